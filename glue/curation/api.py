"""Raw API envelopes (NDJSON lines) to table rows, one transform per endpoint.

Input lines come from ``spark.read.text`` (gzip handled by Spark) with ``raw_object`` and ``_record_index``
(0-based line number). Each transform returns the table's columns plus lineage (``raw_object``,
``_record_index``, ``_source``) and ``_reason`` (null when the line becomes a row, else why it is quarantined).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from curation import raw_schemas
from curation.exports import EARLIEST_PLAY, MAX_RECORD_CHARS
from curation.schema import Table
from lake_contract import identity, keys

_API_KEY = keys.API_OBJECT


def parse_envelopes(lines: DataFrame) -> DataFrame:
    """(raw_object, _record_index, value) -> envelope columns; endpoint and listener come from the key."""
    env = F.from_json("value", raw_schemas.ENVELOPE)
    parsed = lines.select(
        "raw_object",
        "_record_index",
        "value",
        F.regexp_extract("raw_object", _API_KEY.regex, _API_KEY.group("endpoint")).alias("endpoint"),
        F.nullif(F.regexp_extract("raw_object", _API_KEY.regex, _API_KEY.group("listener_id")), F.lit("")).alias(
            "_path_listener"
        ),
        env.alias("env"),
    )
    # Characters are counted only for a line whose bytes could be too many (one is at least a byte): counting
    # every line's characters was a tenth of the executors' time in the demo's run.
    line_limit = MAX_RECORD_CHARS * 16
    too_long = (F.octet_length("value") > line_limit) & (F.length("value") > line_limit)
    reason = (
        F.when(F.trim("value") == F.lit(""), F.lit("empty line"))
        .when(too_long, F.lit("line larger than 1 MiB"))
        .when(F.json_object_keys("value").isNull(), F.lit("not a JSON object"))
        .when(F.col("env.item").isNull(), F.lit("envelope without item"))
        .when(F.col("env.extracted_at").isNull() | _ts("env.extracted_at").isNull(), F.lit("no extracted_at"))
    )
    envelopes = parsed.select(
        "raw_object",
        "_record_index",
        "endpoint",
        F.coalesce("_path_listener", "env.listener_id").alias("listener_id"),
        F.col("env.item").alias("item_text"),
        _ts("env.extracted_at").alias("extracted_at"),
        F.col("env.run_id").alias("run_id"),
        F.col("env.position").alias("position"),
        F.col("env.request.params").alias("params"),
        F.col("env.parent.playlist_id").alias("parent_playlist_id"),
        F.concat(F.lit("api:"), F.col("endpoint")).alias("_source"),
        reason.alias("_envelope_reason"),
        "value",
    )
    # A projection of its own, so that the reason (a second JSON parse of the line among its tests) is evaluated
    # once per line, not again for the raw text: Spark does not merge projections that would repeat it.
    raw_text = F.when(F.col("_envelope_reason").isNotNull(), F.substring("value", 1, MAX_RECORD_CHARS))
    return envelopes.withColumn("_raw_text", raw_text).drop("value")


def _ts(text_col: str | Column) -> Column:
    col = F.col(text_col) if isinstance(text_col, str) else text_col
    return F.when(col.rlike(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"), col.cast("timestamp"))


def with_item(envelopes: DataFrame, endpoint: str) -> DataFrame:
    """The endpoint's lines with ``item`` parsed by its explicit schema; an unparseable item gets a reason."""
    item = F.from_json("item_text", raw_schemas.ITEM_SCHEMAS[endpoint])
    rows = envelopes.where(F.col("endpoint") == endpoint).withColumn("item", item)
    reason = F.coalesce(
        F.col("_envelope_reason"), F.when(F.col("item").isNull(), F.lit("item does not match the API schema"))
    )
    return rows.withColumn("_reason", reason)


def _require(df: DataFrame, table: Table, now: Column | None = None) -> DataFrame:
    """Quarantine rows whose required (non-nullable) columns are null; keep the first reason found."""
    reason = F.col("_reason")
    for column in table.all_columns:
        if not column.nullable and column.name in df.columns:
            reason = F.coalesce(reason, F.when(F.col(column.name).isNull(), F.lit(f"missing {column.name}")))
    out = df.withColumn("_reason", reason)
    return out.withColumn(
        "_raw_text",
        F.when(F.col("_reason").isNotNull(), F.coalesce("_raw_text", F.substring("item_text", 1, MAX_RECORD_CHARS))),
    )


def _lineage() -> list[Column]:
    return [F.col("raw_object"), F.col("_record_index"), F.col("_source"), F.col("_reason"), F.col("_raw_text")]


def _snapshot_provenance() -> list[Column | str]:
    """The columns every snapshot row ends with: its run, month, extraction time, raw text and lineage."""
    return ["run_id", _month("extracted_at").alias("snapshot_month"), "extracted_at", "item_text", *_lineage()]


def _id_from_uri(uri: Column, kind: str) -> Column:
    return F.nullif(F.regexp_extract(uri, rf"^spotify:{kind}:(.+)$", 1), F.lit(""))


def _month(date_col: str) -> Column:
    return F.date_format(date_col, "yyyy-MM")


def recently_played_plays(envelopes: DataFrame, now: Column) -> DataFrame:
    """recently_played items -> play candidates (same columns as ``exports.export_plays``)."""
    rows = with_item(envelopes, "recently_played")
    t = "item.track"
    played_at = _ts("item.played_at")
    reason = F.coalesce(
        F.col("_reason"),
        F.when(played_at.isNull(), F.lit("no parseable timestamp")),
        F.when(played_at < F.lit(EARLIEST_PLAY).cast("timestamp"), F.lit("timestamp before 2006")),
        F.when(played_at > now, F.lit("timestamp in the future")),
    )
    first_artist = F.col(f"{t}.artists").getItem(0)
    uri = F.col(f"{t}.uri")
    is_local = F.coalesce(F.col(f"{t}.is_local"), F.lit(False)) | uri.startswith(identity.LOCAL_URI_PREFIX)
    track_uri = F.when(uri.startswith(identity.TRACK_URI_PREFIX), uri)
    out = rows.select(
        "listener_id",
        played_at.alias("played_at"),
        F.coalesce(F.when(~is_local, F.col(f"{t}.id")), _id_from_uri(track_uri, "track")).alias("track_id"),
        track_uri.alias("track_uri"),
        F.lit(None).cast("string").alias("episode_uri"),
        F.lit(None).cast("string").alias("audiobook_uri"),
        F.when(is_local, "local").when(F.col(t).isNotNull(), "track").otherwise("unknown").alias("content_type"),
        F.col(f"{t}.name").alias("track_name"),
        first_artist["name"].alias("artist_name"),
        F.col(f"{t}.album.name").alias("album_name"),
        first_artist["id"].alias("artist_id"),
        F.col(f"{t}.album.id").alias("album_id"),
        F.lit(None).cast("string").alias("episode_name"),
        F.lit(None).cast("string").alias("show_name"),
        F.lit(None).cast("string").alias("audiobook_title"),
        F.lit(None).cast("string").alias("audiobook_chapter_title"),
        F.lit(None).cast("string").alias("audiobook_author"),
        F.lit(None).cast("bigint").alias("ms_played"),
        F.col(f"{t}.duration_ms").alias("duration_ms"),
        *[
            F.lit(None).cast(ty).alias(n)
            for n, ty in (
                ("reason_start", "string"),
                ("reason_end", "string"),
                ("shuffle", "boolean"),
                ("skipped", "boolean"),
                ("offline", "boolean"),
                ("offline_timestamp", "timestamp"),
                ("incognito_mode", "boolean"),
                ("platform", "string"),
                ("conn_country", "string"),
            )
        ],
        F.col("item.context.type").alias("context_type"),
        F.col("item.context.uri").alias("context_uri"),
        F.lit("api").alias("source"),
        "run_id",
        "raw_object",
        "_record_index",
        track_uri.alias("_uri"),
        F.when(reason.isNotNull(), F.coalesce("_raw_text", F.substring("item_text", 1, MAX_RECORD_CHARS))).alias(
            "_raw_text"
        ),
        reason.alias("_reason"),
    )
    return out.select(*[c for c in out.columns if c != "_raw_text"], "_raw_text")


def top_items(envelopes: DataFrame, table: Table) -> DataFrame:
    parts = []
    for endpoint, item_type in (("top_artists", "artist"), ("top_tracks", "track")):
        rows = with_item(envelopes, endpoint)
        parts.append(
            rows.select(
                "listener_id",
                F.to_date("extracted_at").alias("snapshot_date"),
                F.coalesce(F.col("params.time_range"), F.lit("medium_term")).alias("time_range"),
                F.lit(item_type).alias("item_type"),
                (F.col("position") + 1).cast("int").alias("rank"),
                F.col("item.id").alias("item_id"),
                F.col("item.name").alias("item_name"),
                *_snapshot_provenance(),
            )
        )
    return _require(parts[0].unionByName(parts[1]), table)


def saved_tracks(envelopes: DataFrame, table: Table) -> DataFrame:
    rows = with_item(envelopes, "saved_tracks")
    out = rows.select(
        "listener_id",
        F.col("item.track.id").alias("track_id"),
        _ts("item.added_at").alias("added_at"),
        "run_id",
        "extracted_at",
        "item_text",
        *_lineage(),
    )
    return _require(out, table)


def _own_listener_id(user_id: Column) -> Column:
    """listener_id of a Spotify user id computed in Spark (``lake_contract.identity.listener_id``)."""
    salted = F.concat(F.lit(identity.LISTENER_SALT), user_id)
    return F.substring(F.sha2(salted, 256), 1, identity.LISTENER_ID_HEX)


def playlists(envelopes: DataFrame, table: Table) -> DataFrame:
    rows = with_item(envelopes, "playlists")
    out = rows.select(
        "listener_id",
        F.col("item.id").alias("playlist_id"),
        F.to_date("extracted_at").alias("snapshot_date"),
        F.col("item.name").alias("name"),
        F.col("item.description").alias("description"),
        F.col("item.owner.id").alias("owner_id"),
        (_own_listener_id(F.col("item.owner.id")) == F.col("listener_id")).alias("is_owner"),
        F.col("item.collaborative").alias("collaborative"),
        F.col("item.public").alias("public"),
        F.col("item.snapshot_id").alias("spotify_snapshot_id"),
        F.coalesce("item.items.total", "item.tracks.total").cast("int").alias("total_items"),
        *_snapshot_provenance(),
    )
    return _require(out, table)


def playlist_items(envelopes: DataFrame, table: Table) -> DataFrame:
    rows = with_item(envelopes, "playlist_items")
    entry = F.coalesce(F.col("item.item"), F.col("item.track"))
    is_local = F.coalesce(F.col("item.is_local"), entry["is_local"], F.lit(False))
    item_type = entry["type"]
    out = rows.select(
        "listener_id",
        F.col("parent_playlist_id").alias("playlist_id"),
        F.to_date("extracted_at").alias("snapshot_date"),
        F.col("position").cast("int").alias("position"),
        item_type.alias("item_type"),
        F.when((item_type == "track") & ~is_local, entry["id"]).alias("track_id"),
        entry["uri"].alias("item_uri"),
        _ts("item.added_at").alias("added_at"),
        F.col("item.added_by.id").alias("added_by"),
        *_snapshot_provenance(),
    )
    return _require(out, table)


def artist_snapshots(envelopes: DataFrame, table: Table) -> DataFrame:
    rows = with_item(envelopes, "artists")
    out = rows.select(
        F.col("item.id").alias("artist_id"),
        F.to_date("extracted_at").alias("snapshot_date"),
        F.col("item.popularity").cast("int").alias("popularity"),
        F.col("item.followers.total").alias("followers"),
        F.col("item.genres").alias("genres"),
        "listener_id",
        *_snapshot_provenance(),
    )
    return _require(out, table)


def search_results(envelopes: DataFrame, table: Table) -> DataFrame:
    rows = with_item(envelopes, "search")
    query = F.col("params.q")
    genre = F.nullif(F.regexp_extract(query, r'genre:"?([^"]+?)"?(?:\s|$)', 1), F.lit(""))
    out = rows.select(
        query.alias("query"),
        genre.alias("genre"),
        F.to_date("extracted_at").alias("snapshot_date"),
        F.col("item.type").alias("item_type"),
        (F.col("position") + 1).cast("int").alias("rank"),
        F.col("item.id").alias("item_id"),
        F.col("item.name").alias("item_name"),
        "listener_id",
        *_snapshot_provenance(),
    )
    return _require(out, table)


#: The snapshot transforms by the name the endpoint registry gives them (``Endpoint.transform``): the
#: curation job builds each snapshot table with its transform when one of its endpoints has new records.
SNAPSHOT_TRANSFORMS: dict[str, Callable[[DataFrame, Table], DataFrame]] = {
    "top_items": top_items,
    "saved_tracks": saved_tracks,
    "playlists": playlists,
    "playlist_items": playlist_items,
    "artist_snapshots": artist_snapshots,
    "search_results": search_results,
}


def _largest_image(images: Column) -> Column:
    """URL of the widest image (Spotify lists them largest first, but do not rely on it)."""
    best = F.array_max(
        F.transform(images, lambda i: F.struct(F.coalesce(i["width"], F.lit(0)).alias("w"), i["url"].alias("url")))
    )
    return best["url"]


# --- catalogue versions: every embedded object is a dated observation of a track, album or artist -------


def _track_version(track: Column, observed_at: Column) -> Column:
    return F.struct(
        track["id"].alias("track_id"),
        track["uri"].alias("track_uri"),
        track["name"].alias("name"),
        track["album"]["id"].alias("album_id"),
        F.transform(track["artists"], lambda a: a["id"]).alias("artist_ids"),
        F.transform(track["artists"], lambda a: a["name"]).alias("artist_names"),
        track["duration_ms"].alias("duration_ms"),
        track["explicit"].alias("explicit"),
        track["disc_number"].cast("int").alias("disc_number"),
        track["track_number"].cast("int").alias("track_number"),
        track["is_local"].alias("is_local"),
        track["popularity"].cast("int").alias("popularity"),
        track["external_ids"]["isrc"].alias("isrc"),
        track["linked_from"]["id"].alias("linked_from_id"),
        observed_at.alias("updated_at"),
    )


def _album_version(album: Column, observed_at: Column) -> Column:
    return F.struct(
        album["id"].alias("album_id"),
        album["uri"].alias("album_uri"),
        album["name"].alias("name"),
        album["album_type"].alias("album_type"),
        album["release_date"].alias("release_date"),
        album["release_date_precision"].alias("release_date_precision"),
        F.substring(album["release_date"], 1, 4).cast("int").alias("release_year"),
        album["total_tracks"].cast("int").alias("total_tracks"),
        F.transform(album["artists"], lambda a: a["id"]).alias("artist_ids"),
        _largest_image(album["images"]).alias("image_url"),
        album["label"].alias("label"),
        album["popularity"].cast("int").alias("popularity"),
        album["external_ids"]["upc"].alias("upc"),
        observed_at.alias("updated_at"),
    )


def _artist_version(artist: Column, observed_at: Column) -> Column:
    return F.struct(
        artist["id"].alias("artist_id"),
        artist["uri"].alias("artist_uri"),
        artist["name"].alias("name"),
        _largest_image(artist["images"]).alias("image_url"),
        artist["genres"].alias("genres"),
        artist["popularity"].cast("int").alias("popularity"),
        artist["followers"]["total"].alias("followers"),
        observed_at.alias("updated_at"),
    )


def _simplified_artist(artist: Column) -> Column:
    """A simplified artist widened to the full artist struct (missing fields null)."""
    return F.struct(
        artist["id"].alias("id"),
        artist["name"].alias("name"),
        artist["uri"].alias("uri"),
        artist["type"].alias("type"),
        F.lit(None).cast(raw_schemas.ARTIST["images"].dataType).alias("images"),
        F.lit(None).cast("array<string>").alias("genres"),
        F.lit(None).cast("bigint").alias("popularity"),
        F.lit(None).cast(raw_schemas.ARTIST["followers"].dataType).alias("followers"),
    )


#: Where each endpoint's item holds a track (its album and artists are observed with it). A unit test holds
#: these maps to the endpoint registry: an endpoint feeds a catalogue table exactly when it is named here.
TRACK_PATHS = {
    "recently_played": "item.track",
    "top_tracks": "item",
    "saved_tracks": "item.track",
    "playlist_items": "coalesce(item.item, item.track)",
    "tracks": "item",
}
#: Endpoints whose item is a full artist.
ARTIST_ITEMS = ("top_artists", "artists")
#: Endpoints whose item is an album (its artists are observed with it).
ALBUM_ITEMS = ("albums",)
#: Endpoints whose items include simplified artists (search results of type artist).
SEARCH_ITEMS = ("search",)


def catalogue_observations(
    envelopes: DataFrame, present: Collection[str | None]
) -> tuple[DataFrame | None, DataFrame | None, DataFrame | None]:
    """(track, album, artist) observations, one row per object seen, from the ``present`` endpoints (those with
    new objects in this run) that embed them; None for a table no present endpoint feeds. Absent endpoints are
    left out of the plan: each would be one more scan of the envelopes and one more JSON parse for no row."""
    tracks: list[DataFrame] = []
    artists: list[DataFrame] = []
    albums: list[DataFrame] = []
    for endpoint, path in TRACK_PATHS.items():
        if endpoint not in present:
            continue
        rows = with_item(envelopes, endpoint).where(F.col("_reason").isNull())
        track = F.expr(path)
        if endpoint == "playlist_items":
            track = F.when(track["type"] == "track", track)
        rows = rows.select(track.alias("t"), F.col("extracted_at").alias("at")).where(F.col("t.id").isNotNull())
        tracks.append(rows.select(_track_version(F.col("t"), F.col("at")).alias("v")).select("v.*"))
        albums.append(rows.select(_album_version(F.col("t.album"), F.col("at")).alias("v")).select("v.*"))
        for artists_col in ("t.artists", "t.album.artists"):
            artists.append(
                rows.select(F.explode_outer(artists_col).alias("a"), "at").select(
                    _artist_version(_simplified_artist(F.col("a")), F.col("at")).alias("v")
                )
            )
    for endpoint in (e for e in ARTIST_ITEMS if e in present):
        rows = with_item(envelopes, endpoint).where(F.col("_reason").isNull())
        artists.append(rows.select(_artist_version(F.col("item"), F.col("extracted_at")).alias("v")))
    for endpoint in (e for e in ALBUM_ITEMS if e in present):
        album_rows = with_item(envelopes, endpoint).where(F.col("_reason").isNull())
        albums.append(album_rows.select(_album_version(F.col("item"), F.col("extracted_at")).alias("v")).select("v.*"))
        artists.append(
            album_rows.select(F.explode_outer("item.artists").alias("a"), "extracted_at").select(
                _artist_version(_simplified_artist(F.col("a")), F.col("extracted_at")).alias("v")
            )
        )
    for endpoint in (e for e in SEARCH_ITEMS if e in present):
        search = with_item(envelopes, endpoint).where(F.col("_reason").isNull())
        artists.append(
            search.where(F.col("item.type") == "artist").select(
                _artist_version(_simplified_artist(F.col("item")), F.col("extracted_at")).alias("v")
            )
        )
    return (
        _union(tracks).where(F.col("track_id").isNotNull()) if tracks else None,
        _union(albums).where(F.col("album_id").isNotNull()) if albums else None,
        _union([a.select("v.*") for a in artists]).where(F.col("artist_id").isNotNull()) if artists else None,
    )


def _union(frames: list[DataFrame]) -> DataFrame:
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def latest_attributes(observations: DataFrame, key: str) -> DataFrame:
    """One row per ``key``: each attribute from the latest observation that has it (Spotify drops fields
    for development-mode apps; a later simplified object must not erase an earlier full one's genres)."""
    attrs = [c for c in observations.columns if c not in (key, "updated_at")]
    ordering = F.struct(F.col("updated_at"), F.xxhash64(*attrs))
    aggs = [F.max_by(F.col(c), F.when(F.col(c).isNotNull(), ordering)).alias(c) for c in attrs]
    return observations.groupBy(key).agg(*aggs, F.max("updated_at").alias("updated_at"))
