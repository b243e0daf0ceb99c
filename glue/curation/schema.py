"""The curated tables: the one source of truth for their names, columns and partitions.

Everything else is derived from this module: Spark ``StructType``s (``curation.spark_schema``), the Glue
tables deployed by CDK (``stacks``), the local DuckDB DDL (``spotify_lake.adapters.duck``) and ``docs/TABLES.md``.
It must stay free of heavy imports (no pyspark, no aws_cdk) because the Lambda, Glue, CDK and the CLI
all read it.

Column types use Athena/Hive names. Fields that Spotify removed for development-mode apps (popularity,
followers, label, ISRC, linked_from, genres) exist and are nullable: extended-quota apps fill them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: The column types this project uses, in Athena/Hive spelling.
COLUMN_TYPES = ("string", "bigint", "int", "double", "boolean", "timestamp", "date", "array<string>")
#: How a table's files are written: Parquet by curation, or CSV (with a header line) edited by the listener.
FILE_FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    #: Columns whose values identify one row; curation keeps one row per key.
    key: tuple[str, ...]
    partition_keys: tuple[Column, ...] = ()
    listener_scoped: bool = True
    #: Run-scoped facts (quarantine, data quality): each run adds its own files to the table's folder instead
    #: of publishing a new version of the table through the catalog (curation.catalog).
    append_only: bool = False
    #: ``csv``: a small file the listener keeps (``curated/<name>/<name>.csv``, header line first, every column a
    #: string), read where it lies by Athena and DuckDB alike; curation never writes or publishes it.
    file_format: Literal["parquet", "csv"] = "parquet"
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [c.name for c in self.all_columns]
        if len(names) != len(set(names)):
            raise ValueError(f"table {self.name}: duplicate column names")
        if self.file_format not in FILE_FORMATS:
            raise ValueError(f"table {self.name}: unknown file format {self.file_format!r}")
        if self.file_format == "csv" and (
            self.partition_keys or self.append_only or any(c.type != "string" for c in self.columns)
        ):
            # Athena's CSV SerDe reads every column as a string; partitions would need registering by someone.
            raise ValueError(f"table {self.name}: a csv table has string columns only, no partitions")
        missing = [k for k in self.key if k not in names]
        if missing:
            raise ValueError(f"table {self.name}: key columns {missing} are not columns")
        if self.listener_scoped and "listener_id" not in names:
            raise ValueError(f"table {self.name}: listener-scoped tables need listener_id")
        if len(self.partition_keys) > 1:
            raise ValueError(f"table {self.name}: at most one partition key (the catalog stores one per table)")

    @property
    def edited_by_listener(self) -> bool:
        """A file the listener keeps, not a table curation writes and publishes through the catalog."""
        return self.file_format == "csv"

    @property
    def csv_file(self) -> str:
        """Key of a csv table's one file, relative to the lake (the curated bucket's root in AWS)."""
        return f"curated/{self.name}/{self.name}.csv"

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Data columns followed by partition keys, in the order Spark writes and Athena reads them."""
        return self.columns + self.partition_keys

    @property
    def partition_key(self) -> str | None:
        """The name of the table's partition column, or None when the table is not partitioned."""
        return self.partition_keys[0].name if self.partition_keys else None

    def column(self, name: str) -> Column:
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")


def _c(name: str, type_: str, description: str, *, nullable: bool = True) -> Column:
    return Column(name, type_, nullable, description)


def _required(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, False, description)


LISTENER_ID = _required(
    "listener_id", "string", "Stable pseudonym of the Spotify user (hash of the user id, never e-mail or name)"
)
UPDATED_AT = _required(
    "updated_at", "timestamp", "Extraction time (UTC) of the newest raw observation the row's attributes come from"
)
RUN_ID = _c("run_id", "string", "Run that extracted or imported the raw record")
RAW_OBJECT = _c("raw_object", "string", "Raw-zone object (key relative to the lake) the row came from")


def _month_partition(name: str, what: str) -> Column:
    return _required(name, "string", f"Partition: month of {what}, yyyy-MM (UTC)")


PLAYS = Table(
    name="plays",
    description="One row per play from any source (API polling and privacy exports), deduplicated.",
    key=("play_id",),
    columns=(
        _required("play_id", "string", "Deterministic id: hash of listener, end time to the second and URI"),
        LISTENER_ID,
        _required("played_at", "timestamp", "When the play ended (UTC)"),
        _c("track_id", "string", "Spotify track id (base-62), when the play was a track"),
        _c("track_uri", "string", "spotify:track:… URI"),
        _c("episode_uri", "string", "spotify:episode:… URI for podcast plays"),
        _c("audiobook_uri", "string", "spotify:audiobook:… or chapter URI for audiobook plays"),
        _required("content_type", "string", "track, episode, audiobook, local or unknown"),
        _c("track_name", "string", "Track name as seen in the source"),
        _c("artist_name", "string", "Primary (album) artist name as seen in the source"),
        _c("album_name", "string", "Album name as seen in the source"),
        _c("artist_id", "string", "Primary artist id (API plays, or resolved from the catalogue)"),
        _c("album_id", "string", "Album id (API plays, or resolved from the catalogue)"),
        _c("episode_name", "string", "Podcast episode name"),
        _c("show_name", "string", "Podcast show name"),
        _c("audiobook_title", "string", "Audiobook title"),
        _c("audiobook_chapter_title", "string", "Audiobook chapter title (extended and account-data exports)"),
        _c("audiobook_author", "string", "Audiobook author (account-data audiobook files only)"),
        _c("ms_played", "bigint", "Milliseconds played; exports only (the API does not say), else null"),
        _c("duration_ms", "bigint", "Length of the track in ms, when known"),
        _c("is_stream", "boolean", "ms_played >= 30000 (API plays are always streams: Spotify lists no shorter ones)"),
        _c(
            "overlaps_previous",
            "boolean",
            "Started before an earlier play on the same platform ended (overlapping or ghost plays of one device)",
        ),
        _c(
            "ms_wall_clock",
            "bigint",
            "Part of ms_played not already covered by earlier plays on the same platform: sums to wall-clock time",
        ),
        _c("reason_start", "string", "Why playback started (export only)"),
        _c("reason_end", "string", "Why playback ended (export only)"),
        _c("shuffle", "boolean", "Shuffle on (export only)"),
        _c("skipped", "boolean", "Skipped (export only; null when the export says null)"),
        _c("offline", "boolean", "Played offline (export only)"),
        _c("offline_timestamp", "timestamp", "When an offline play happened, normalised from s or ms (export only)"),
        _c("incognito_mode", "boolean", "Private session (export only)"),
        _c("platform", "string", "Device platform (export only)"),
        _c("conn_country", "string", "Country code of the connection (export) or of the listener (API)"),
        _c("context_type", "string", "album, artist, playlist, show … (API only)"),
        _c("context_uri", "string", "URI of the context the play started from (API only)"),
        _required("source", "string", "api, export_extended, export_legacy or export_account"),
        RUN_ID,
        RAW_OBJECT,
    ),
    partition_keys=(_month_partition("play_month", "played_at"),),
)

TRACKS = Table(
    name="tracks",
    description="Current attributes of every track seen in plays, top items, saved tracks, playlists or searches.",
    key=("track_id",),
    listener_scoped=False,
    columns=(
        _required("track_id", "string", "Spotify track id"),
        _c("track_uri", "string", "spotify:track:… URI"),
        _c("name", "string", "Track name"),
        _c("album_id", "string", "Album id"),
        _c("artist_ids", "array<string>", "Artist ids in credit order"),
        _c("artist_names", "array<string>", "Artist names in credit order"),
        _c("duration_ms", "bigint", "Track length in ms"),
        _c("explicit", "boolean", "Explicit lyrics"),
        _c("disc_number", "int", "Disc number on the album"),
        _c("track_number", "int", "Track number on the disc"),
        _c("is_local", "boolean", "Local file"),
        _c("popularity", "int", "0–100; removed for development-mode apps (null then)"),
        _c("isrc", "string", "ISRC; removed for development-mode apps (null then)"),
        _c("linked_from_id", "string", "Original track id when relinked; removed for development-mode apps"),
        UPDATED_AT,
    ),
)

ALBUMS = Table(
    name="albums",
    description="Current attributes of every album seen.",
    key=("album_id",),
    listener_scoped=False,
    columns=(
        _required("album_id", "string", "Spotify album id"),
        _c("album_uri", "string", "spotify:album:… URI"),
        _c("name", "string", "Album name"),
        _c("album_type", "string", "album, single or compilation"),
        _c("release_date", "string", "Release date as Spotify gives it (yyyy, yyyy-MM or yyyy-MM-dd)"),
        _c("release_date_precision", "string", "year, month or day"),
        _c("release_year", "int", "Year part of release_date"),
        _c("total_tracks", "int", "Number of tracks on the album"),
        _c("artist_ids", "array<string>", "Album artist ids"),
        _c("image_url", "string", "Largest cover image"),
        _c("label", "string", "Record label; removed for development-mode apps (null then)"),
        _c("popularity", "int", "0–100; removed for development-mode apps (null then)"),
        _c("upc", "string", "UPC; removed for development-mode apps (null then)"),
        UPDATED_AT,
    ),
)

ARTISTS = Table(
    name="artists",
    description="Current attributes of every artist seen.",
    key=("artist_id",),
    listener_scoped=False,
    columns=(
        _required("artist_id", "string", "Spotify artist id"),
        _c("artist_uri", "string", "spotify:artist:… URI"),
        _c("name", "string", "Artist name"),
        _c("image_url", "string", "Largest artist image"),
        _c("genres", "array<string>", "Genres; deprecated by Spotify, may be null for development-mode apps"),
        _c("popularity", "int", "0–100; removed for development-mode apps (null then)"),
        _c("followers", "bigint", "Follower count; removed for development-mode apps (null then)"),
        UPDATED_AT,
    ),
)

ARTIST_SNAPSHOTS = Table(
    name="artist_snapshots",
    description="Artist popularity, followers and genres as seen on each snapshot date, for trends.",
    key=("artist_id", "snapshot_date"),
    listener_scoped=False,
    columns=(
        _required("artist_id", "string", "Spotify artist id"),
        _required("snapshot_date", "date", "Date the artist details were fetched (UTC)"),
        _c("popularity", "int", "0–100; null for development-mode apps"),
        _c("followers", "bigint", "Follower count; null for development-mode apps"),
        _c("genres", "array<string>", "Genres; may be null for development-mode apps"),
        RUN_ID,
    ),
    partition_keys=(_month_partition("snapshot_month", "snapshot_date"),),
)

TOP_ITEMS = Table(
    name="top_items",
    description="The listener's top artists and tracks per time range, as dated snapshots.",
    key=("listener_id", "snapshot_date", "time_range", "item_type", "rank"),
    columns=(
        LISTENER_ID,
        _required("snapshot_date", "date", "Date of the snapshot (UTC)"),
        _required("time_range", "string", "short_term (~4 weeks), medium_term (~6 months) or long_term (years)"),
        _required("item_type", "string", "artist or track"),
        _required("rank", "int", "1 = top"),
        _required("item_id", "string", "Artist or track id"),
        _c("item_name", "string", "Artist or track name"),
        RUN_ID,
    ),
    partition_keys=(_month_partition("snapshot_month", "snapshot_date"),),
)

SAVED_TRACKS = Table(
    name="saved_tracks",
    description="Tracks in the listener's library ('Liked Songs') with when they were saved.",
    key=("listener_id", "track_id"),
    columns=(
        LISTENER_ID,
        _required("track_id", "string", "Spotify track id"),
        _required("added_at", "timestamp", "When the track was saved (UTC)"),
        RUN_ID,
    ),
)

PLAYLISTS = Table(
    name="playlists",
    description="The listener's own and collaborative playlists, as dated snapshots.",
    key=("listener_id", "playlist_id", "snapshot_date"),
    columns=(
        LISTENER_ID,
        _required("playlist_id", "string", "Spotify playlist id"),
        _required("snapshot_date", "date", "Date of the snapshot (UTC)"),
        _c("name", "string", "Playlist name"),
        _c("description", "string", "Playlist description"),
        _c("owner_id", "string", "Spotify user id of the owner"),
        _c("is_owner", "boolean", "The listener owns the playlist"),
        _c("collaborative", "boolean", "Collaborative playlist"),
        _c("public", "boolean", "Public playlist"),
        _c("spotify_snapshot_id", "string", "Spotify's version id of the playlist"),
        _c("total_items", "int", "Number of items"),
        RUN_ID,
    ),
    partition_keys=(_month_partition("snapshot_month", "snapshot_date"),),
)

PLAYLIST_ITEMS = Table(
    name="playlist_items",
    description="Items of the listener's playlists, as dated snapshots.",
    key=("listener_id", "playlist_id", "snapshot_date", "position"),
    columns=(
        LISTENER_ID,
        _required("playlist_id", "string", "Spotify playlist id"),
        _required("snapshot_date", "date", "Date of the snapshot (UTC)"),
        _required("position", "int", "0-based position in the playlist"),
        _c("item_type", "string", "track or episode"),
        _c("track_id", "string", "Track id (null for episodes and local files)"),
        _c("item_uri", "string", "URI of the item"),
        _c("added_at", "timestamp", "When the item was added (UTC)"),
        _c("added_by", "string", "Spotify user id of who added it"),
        RUN_ID,
    ),
    partition_keys=(_month_partition("snapshot_month", "snapshot_date"),),
)

SEARCH_RESULTS = Table(
    name="search_results",
    description="Results of the configured catalogue searches (e.g. genre:pop), as dated snapshots.",
    key=("query", "snapshot_date", "item_type", "rank"),
    listener_scoped=False,
    columns=(
        _required("query", "string", "The search query as configured"),
        _c("genre", "string", "Genre named by a genre:… query, else null"),
        _required("snapshot_date", "date", "Date of the snapshot (UTC)"),
        _required("item_type", "string", "track, artist or album"),
        _required("rank", "int", "1-based position in the results"),
        _required("item_id", "string", "Id of the result"),
        _c("item_name", "string", "Name of the result"),
        RUN_ID,
    ),
    partition_keys=(_month_partition("snapshot_month", "snapshot_date"),),
)

QUARANTINE = Table(
    name="quarantine",
    description="Raw records curation could not turn into rows, with the reason; nothing is dropped silently.",
    key=("run_id", "source_object", "record_index"),
    listener_scoped=False,
    append_only=True,
    columns=(
        _required("run_id", "string", "Curation run that quarantined the record"),
        _required("source_object", "string", "Raw-zone object the record came from"),
        _required("record_index", "bigint", "Position of the record in the object (-1: the whole object)"),
        _c("listener_id", "string", "Listener the object belongs to, when known"),
        _required("reason", "string", "Why the record was quarantined"),
        _c("raw_text", "string", "The record as read (truncated to 64 KiB)"),
        _required("quarantined_at", "timestamp", "When (UTC)"),
    ),
)

DATA_QUALITY = Table(
    name="data_quality",
    description="Outcome of every data-quality check of every curation run.",
    key=("run_id", "table_name", "check_name"),
    listener_scoped=False,
    append_only=True,
    columns=(
        _required("run_id", "string", "Curation run"),
        _required("table_name", "string", "Table checked"),
        _required("check_name", "string", "Check, e.g. unique_play_id"),
        _c("observed", "double", "Measured value"),
        _c("threshold", "double", "Limit the value was compared with"),
        _required("passed", "boolean", "Check passed"),
        _required("blocking", "boolean", "A failure fails the run"),
        _required("checked_at", "timestamp", "When (UTC)"),
    ),
)

EXCLUSIONS = Table(
    name="exclusions",
    description=(
        "What the listener leaves out of the analyses, and the private-session setting: a small CSV file the "
        "listener keeps (`spotify-lake exclude`); the views skip matching plays, the plays table keeps them."
    ),
    key=("kind", "value"),
    listener_scoped=False,
    file_format="csv",
    columns=(
        _required(
            "kind",
            "string",
            "artist, track, show, audiobook or content_type (a play matching it is left out); private_sessions "
            "(a setting: value keep counts private-session plays, which are left out by default)",
        ),
        _required(
            "value",
            "string",
            "Name (any case) or Spotify id/URI of the artist or track; show or audiobook title; content type "
            "(track, episode, audiobook, local, unknown); keep or leave_out for private_sessions",
        ),
        _c("listener_id", "string", "Listener the row applies to; empty: every listener of the lake"),
        _c("reason", "string", "Why, in the listener's words (shown in the report)"),
    ),
)

TABLES: tuple[Table, ...] = (
    PLAYS,
    TRACKS,
    ALBUMS,
    ARTISTS,
    ARTIST_SNAPSHOTS,
    TOP_ITEMS,
    SAVED_TRACKS,
    PLAYLISTS,
    PLAYLIST_ITEMS,
    SEARCH_RESULTS,
    QUARANTINE,
    DATA_QUALITY,
    EXCLUSIONS,
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

#: Glue database / DuckDB schema holding the curated tables and the views.
DATABASE = "spotify_lake"


def table(name: str) -> Table:
    """The table called ``name``; ``KeyError`` names the known tables."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLES_BY_NAME)}") from None
