"""Privacy-export files (JSON arrays) to play candidates, with whole-file and per-record quarantine reasons.

Input: one row per raw export object (``raw_object``, ``text``), read with ``spark.read.text(wholetext=True)``
so that a file Spark's JSON reader would silently drop is still seen and quarantined with its path.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from curation import raw_schemas
from lake_contract import identity, keys

#: Quarantined raw text is cut to this many characters; bigger export records are quarantined as giant rows.
MAX_RECORD_CHARS = 64 * 1024
EARLIEST_PLAY = "2006-01-01 00:00:00"  # Spotify launched in 2006

_EXPORT_KEY = keys.HISTORY_OBJECT
_LIBRARY_KEY = keys.LIBRARY_OBJECT
#: Older account-data exports (``StreamingHistory0.json``, ...) mix music and podcast rows in one file.
_COMBINED_ACCOUNT_FILE = r"^StreamingHistory[0-9]+\.json$"
_LIBRARY = T.StructType([T.StructField("shows", T.ArrayType(T.StructType([T.StructField("name", T.StringType())])))])
_BOOL_FIELDS = ("shuffle", "skipped", "offline", "incognito_mode")
_STRING_FIELDS = [f.name for f in raw_schemas.EXPORT_ROW.fields]


def export_kind(raw_object: Column) -> Column:
    return F.regexp_extract(raw_object, _EXPORT_KEY.regex, _EXPORT_KEY.group("kind"))


def without_bom(text: Column) -> Column:
    """``text`` without a leading byte-order mark (account-data files start with one).

    Not ``regexp_replace``: Java regular expressions work on a UTF-16 copy of the whole file (two per file
    here, on the executors' heap); this stays on Spark's UTF-8 string."""
    return F.when(text.startswith("\ufeff"), text.substr(F.lit(2), F.length(text))).otherwise(text)


def file_reason(text: Column, records: Column) -> Column:
    """Why a whole export file cannot be read, or null when it parses as a JSON array."""
    body = F.ltrim(without_bom(text))
    first = F.substring(body, 1, 1)
    return (
        F.when(text.isNull() | (F.length(F.trim(text)) == 0), F.lit("empty file"))
        .when(F.instr(text, "\ufffd") > 0, F.lit("not valid UTF-8"))
        .when(first == "{", F.lit("JSON object instead of an array"))
        .when(first != "[", F.lit("not JSON"))
        .when(records.isNull(), F.lit("malformed or truncated JSON array"))
    )


def explode_export_files(files: DataFrame) -> DataFrame:
    """(raw_object, text) -> one row per array element, or one row with record_index -1 for an unreadable file.

    Columns: raw_object, kind, listener_id, file_name, record_index, rec (struct of strings, null for a
    whole-file failure), file_reason.
    """
    body = without_bom(F.col("text"))
    parsed = files.select(
        "raw_object",
        export_kind(F.col("raw_object")).alias("kind"),
        F.regexp_extract("raw_object", _EXPORT_KEY.regex, _EXPORT_KEY.group("listener_id")).alias("listener_id"),
        F.regexp_extract("raw_object", _EXPORT_KEY.regex, _EXPORT_KEY.group("file_name")).alias("file_name"),
        "text",
        F.from_json(body, raw_schemas.EXPORT_FILE).alias("records"),
    )
    checked = parsed.select("*", file_reason(F.col("text"), F.col("records")).alias("file_reason"))
    # Reason and head are computed per file in the projection above, not beside the generator (where they
    # would be evaluated per generated row). One generator covers both outcomes, so every file is read and
    # parsed once: a readable file explodes into its records, an unreadable one into a single null record.
    # ``posexplode_outer`` because Spark infers a ``size(array) > 0`` filter for a plain ``posexplode`` and
    # pushes it below the projection, where it would parse the JSON again; an empty array's outer row
    # (null position) is dropped after the generator instead.
    entries = F.when(F.col("file_reason").isNull(), F.col("records")).otherwise(
        F.array(F.lit(None).cast(raw_schemas.EXPORT_ROW))
    )
    heads = checked.select(
        "raw_object",
        "kind",
        "listener_id",
        "file_name",
        "file_reason",
        F.when(F.col("file_reason").isNotNull(), F.substring("text", 1, MAX_RECORD_CHARS)).alias("file_text"),
        entries.alias("_entries"),
    )
    exploded = heads.select(
        "raw_object",
        "kind",
        "listener_id",
        "file_name",
        "file_reason",
        "file_text",
        F.posexplode_outer("_entries").alias("_pos", "rec"),
    )
    return exploded.where(F.col("_pos").isNotNull()).select(
        "raw_object",
        "kind",
        "listener_id",
        "file_name",
        F.when(F.col("file_reason").isNull(), F.col("_pos")).otherwise(-1).cast("bigint").alias("record_index"),
        "rec",
        "file_reason",
        "file_text",
    )


def _rec(name: str) -> Column:
    return F.col(f"rec.{name}")


def _bool(name: str) -> Column:
    return F.when(F.lower(_rec(name)) == "true", True).when(F.lower(_rec(name)) == "false", False)


def _not_bool(name: str) -> Column:
    return _rec(name).isNotNull() & ~F.lower(_rec(name)).isin("true", "false")


def record_reason(played_at: Column, ms_raw: Column, ms: Column, now: Column) -> Column:
    """Why one export record is quarantined, or null when it is a play."""
    size = sum((F.coalesce(F.length(_rec(n)), F.lit(0)) for n in _STRING_FIELDS), F.lit(0))
    reason = (
        F.when(F.col("rec").isNull(), F.lit("record is not a JSON object"))
        .when(size > MAX_RECORD_CHARS, F.lit("record larger than 64 KiB"))
        .when(played_at.isNull(), F.lit("no parseable timestamp"))
        .when(played_at < F.lit(EARLIEST_PLAY).cast("timestamp"), F.lit("timestamp before 2006"))
        .when(played_at > now, F.lit("timestamp in the future"))
        .when(ms_raw.isNotNull() & ms.isNull(), F.lit("ms_played is not a number"))
        .when(ms < 0, F.lit("ms_played is negative"))
    )
    for name in _BOOL_FIELDS:
        reason = reason.when(_not_bool(name), F.lit(f"{name} is not a boolean"))
    return reason


def export_plays(records: DataFrame, now: Column) -> DataFrame:
    """Exploded export records -> play candidates (plays columns + provenance + ``_reason``)."""
    ts_text = F.coalesce(_rec("ts"), _rec("endTime"))
    played_at = F.when(
        ts_text.rlike(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),
        F.expr("try_cast(coalesce(rec.ts, rec.endTime) as timestamp)"),
    )
    ms_raw = F.coalesce(_rec("ms_played"), _rec("msPlayed"))
    ms = F.expr("try_cast(try_cast(coalesce(rec.ms_played, rec.msPlayed) as decimal(20, 3)) as bigint)")
    offline_raw = F.expr("try_cast(rec.offline_timestamp as decimal(20, 3))")
    offline_ts = (
        F.when(offline_raw.isNull() | (offline_raw <= 0), F.lit(None).cast("timestamp"))
        .when(offline_raw >= 100_000_000_000, F.timestamp_millis(offline_raw.cast("bigint")))
        .otherwise(F.timestamp_seconds(offline_raw.cast("bigint")))
    )
    track_uri_raw = _rec(identity.EXPORT_URI_FIELDS[0])
    track_uri = F.when(track_uri_raw.startswith(identity.TRACK_URI_PREFIX), track_uri_raw)
    episode_uri = _rec(identity.EXPORT_URI_FIELDS[1])
    # The chapter's URI when there is one (identity.EXPORT_URI_FIELDS: the plays column holds the first present).
    audiobook_uri = F.coalesce(*[_rec(f) for f in identity.EXPORT_URI_FIELDS[2:]])
    episode_name = F.coalesce(_rec("episode_name"), _rec("episodeName"))
    is_account = F.col("kind") == "account"
    audiobook_title = F.coalesce(_rec("audiobook_title"), _rec("audiobookName"))
    chapter_title = F.coalesce(_rec("audiobook_chapter_title"), _rec("chapterName"))
    # Older combined account files (StreamingHistory0.json): music unless the names are a podcast's, which
    # :func:`type_combined_account_rows` decides afterwards from the export's YourLibrary.json.
    combined = is_account & F.col("file_name").rlike(_COMBINED_ACCOUNT_FILE)
    content_type = (
        F.when(track_uri.isNotNull(), "track")
        .when(episode_uri.isNotNull() | (is_account & episode_name.isNotNull()), "episode")
        .when(audiobook_uri.isNotNull() | (is_account & audiobook_title.isNotNull()), "audiobook")
        .when(track_uri_raw.startswith(identity.LOCAL_URI_PREFIX), "local")
        .when(is_account & F.col("file_name").startswith("StreamingHistory_music"), "track")
        .when(combined & _rec("trackName").isNotNull(), "track")
        .otherwise("unknown")
    )
    reason = F.coalesce(F.col("file_reason"), record_reason(played_at, ms_raw, ms, now))
    return records.select(
        F.col("listener_id"),
        played_at.alias("played_at"),
        F.regexp_extract(track_uri, r"^spotify:track:(.+)$", 1).alias("track_id"),
        track_uri.alias("track_uri"),
        episode_uri.alias("episode_uri"),
        audiobook_uri.alias("audiobook_uri"),
        content_type.alias("content_type"),
        F.coalesce(_rec("master_metadata_track_name"), _rec("trackName")).alias("track_name"),
        F.coalesce(_rec("master_metadata_album_artist_name"), _rec("artistName")).alias("artist_name"),
        _rec("master_metadata_album_album_name").alias("album_name"),
        F.lit(None).cast("string").alias("artist_id"),
        F.lit(None).cast("string").alias("album_id"),
        episode_name.alias("episode_name"),
        F.coalesce(_rec("episode_show_name"), _rec("podcastName")).alias("show_name"),
        audiobook_title.alias("audiobook_title"),
        chapter_title.alias("audiobook_chapter_title"),
        _rec("authorName").alias("audiobook_author"),
        ms.alias("ms_played"),
        F.lit(None).cast("bigint").alias("duration_ms"),
        _rec("reason_start").alias("reason_start"),
        _rec("reason_end").alias("reason_end"),
        _bool("shuffle").alias("shuffle"),
        _bool("skipped").alias("skipped"),
        _bool("offline").alias("offline"),
        offline_ts.alias("offline_timestamp"),
        _bool("incognito_mode").alias("incognito_mode"),
        _rec("platform").alias("platform"),
        _rec("conn_country").alias("conn_country"),
        F.lit(None).cast("string").alias("context_type"),
        F.lit(None).cast("string").alias("context_uri"),
        F.concat(F.lit("export_"), F.col("kind")).alias("source"),
        F.lit(None).cast("string").alias("run_id"),
        F.col("raw_object"),
        F.col("record_index").alias("_record_index"),
        _rec_uri().alias("_uri"),
        combined.alias("_combined_account"),
        reason.alias("_reason"),
        F.when(
            reason.isNotNull(),
            F.coalesce(F.col("file_text"), F.substring(F.to_json("rec"), 1, MAX_RECORD_CHARS)),
        ).alias("_raw_text"),
    )


def library_shows(files: DataFrame) -> DataFrame:
    """(listener_id, show_key): the podcast shows saved in the listener's ``YourLibrary.json`` files.

    Input: (raw_object, text) of ``raw/source=export/endpoint=library/...`` objects. A library that does not
    parse yields no shows (it is metadata, not plays: nothing to quarantine)."""
    parsed = files.select(
        F.regexp_extract("raw_object", _LIBRARY_KEY.regex, _LIBRARY_KEY.group("listener_id")).alias("listener_id"),
        F.from_json(without_bom(F.col("text")), _LIBRARY).alias("lib"),
    )
    shows = parsed.select("listener_id", F.explode_outer("lib.shows").alias("show"))
    return (
        shows.select("listener_id", F.lower(F.trim(F.col("show.name"))).alias("_show_key"))
        .where(F.col("_show_key").isNotNull() & (F.col("_show_key") != ""))
        .distinct()
    )


def type_combined_account_rows(candidates: DataFrame, shows: DataFrame | None) -> DataFrame:
    """Rows of older combined account files (``_combined_account``) whose ``artistName`` is a show saved in
    the listener's library are podcast plays: the show moves to ``show_name``, the episode to
    ``episode_name``, and ``content_type`` becomes ``episode``. Every other combined row stays music."""
    if shows is None:
        return candidates.drop("_combined_account")
    show_key = F.lower(F.trim(F.col("artist_name")))
    joined = candidates.join(
        F.broadcast(shows.withColumn("_is_show", F.lit(True))),
        (candidates["listener_id"] == shows["listener_id"]) & (show_key == shows["_show_key"]),
        "left",
    ).drop(shows["listener_id"])
    podcast = F.col("_combined_account") & F.coalesce(F.col("_is_show"), F.lit(False))
    return (
        joined.withColumn("content_type", F.when(podcast, "episode").otherwise(F.col("content_type")))
        .withColumn("show_name", F.when(podcast, F.col("artist_name")).otherwise(F.col("show_name")))
        .withColumn("episode_name", F.when(podcast, F.col("track_name")).otherwise(F.col("episode_name")))
        .withColumn("track_name", F.when(podcast, None).otherwise(F.col("track_name")))
        .withColumn("artist_name", F.when(podcast, None).otherwise(F.col("artist_name")))
        .drop("_combined_account", "_is_show", "_show_key")
    )


def _rec_uri() -> Column:
    return F.coalesce(*[_rec(f) for f in identity.EXPORT_URI_FIELDS])
