"""Privacy-export files (JSON arrays) to play candidates, with whole-file and per-record quarantine reasons.

Two readings of the same files, one result (docs/CURATION.md, "Reading exports"):

- :func:`reader_records`: rows of Spark's own JSON reader (multi-line, the declared schema, a corrupt-record
  flag): one streamed pass, one file's records in memory at a time. It is exact for a file that it reads as
  two or more records and no corrupt row: such a file is a JSON array of objects.
- :func:`explode_export_files`: whole files as text (``binaryFile``), parsed with ``from_json``: the exact
  reading of every other file (unreadable, empty, a single object or record, an array holding non-objects),
  each quarantined with its reason and path. Such files are few and small.
"""

from __future__ import annotations

from collections.abc import Callable

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
_TRACK = identity.TRACK_URI_PREFIX
_BOOL_FIELDS = ("shuffle", "skipped", "offline", "incognito_mode")
_STRING_FIELDS = [f.name for f in raw_schemas.EXPORT_ROW.fields]


def export_kind(raw_object: Column) -> Column:
    return F.regexp_extract(raw_object, _EXPORT_KEY.regex, _EXPORT_KEY.group("kind"))


def without_bom(text: Column) -> Column:
    """``text`` without a leading byte-order mark (account-data files start with one).

    Not ``regexp_replace``: Java regular expressions work on a UTF-16 copy of the whole file (two per file
    here, on the executors' heap); this stays on Spark's UTF-8 string."""
    return F.when(text.startswith("\ufeff"), text.substr(F.lit(2), F.length(text))).otherwise(text)


def file_reason(text: Column, records: Column, valid_utf8: Column) -> Column:
    """Why a whole export file cannot be read, or null when it parses as a JSON array."""
    body = F.ltrim(without_bom(text))
    first = F.substring(body, 1, 1)
    return (
        F.when(text.isNull() | (F.length(F.trim(text)) == 0), F.lit("empty file"))
        .when(~valid_utf8, F.lit("not valid UTF-8"))
        .when(first == "{", F.lit("JSON object instead of an array"))
        .when(first != "[", F.lit("not JSON"))
        .when(records.isNull(), F.lit("malformed or truncated JSON array"))
    )


def explode_export_files(files: DataFrame) -> DataFrame:
    """(raw_object, content) -> one row per array element, or one row with record_index -1 for an unreadable
    file. ``content`` is the file's bytes: a file may hold U+FFFD itself (real exports do, in names Spotify
    mangled), which is not a decoding error (:func:`decoded`).

    Columns: raw_object, kind, listener_id, file_name, record_index, rec (struct of strings, null for a
    whole-file failure), file_reason.
    """
    text, valid_utf8 = decoded(F.col("content"))
    body = without_bom(F.col("text"))
    parsed = files.select(text.alias("text"), valid_utf8.alias("valid_utf8"), "raw_object").select(
        "raw_object",
        export_kind(F.col("raw_object")).alias("kind"),
        F.regexp_extract("raw_object", _EXPORT_KEY.regex, _EXPORT_KEY.group("listener_id")).alias("listener_id"),
        F.regexp_extract("raw_object", _EXPORT_KEY.regex, _EXPORT_KEY.group("file_name")).alias("file_name"),
        "text",
        "valid_utf8",
        F.from_json(body, raw_schemas.EXPORT_FILE).alias("records"),
    )
    checked = parsed.select("*", file_reason(F.col("text"), F.col("records"), F.col("valid_utf8")).alias("file_reason"))
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


def decoded(content: Column) -> tuple[Column, Column]:
    """(text, valid_utf8) of a file's bytes: invalid sequences decode to U+FFFD, so the bytes are UTF-8 exactly
    when decoding and encoding again gives them back."""
    text = F.decode(content, "UTF-8")
    return text, F.encode(text, "UTF-8") == content


#: The corrupt-record column Spark's JSON reader fills for a file it cannot read (not a column of the export).
CORRUPT_COLUMN = "_corrupt_record"
#: What Spark's JSON reader is given: the export's fields (as strings) and the corrupt-record column.
READER_SCHEMA = T.StructType([*raw_schemas.EXPORT_ROW.fields, T.StructField(CORRUPT_COLUMN, T.StringType())])
#: A file that the reader reads as fewer records than this may be a single JSON object (which it also reads as
#: one record) or something without records: such files take the whole-file reading.
MIN_READER_RECORDS = 2


#: The columns of :func:`file_attributes`' rows: what every record of a file shares, from its key.
FILE_ATTRIBUTES = "raw_object string, kind string, listener_id string, file_name string"


def file_attributes(keys_of_files: list[str]) -> list[tuple[str, str, str, str]]:
    """(raw_object, kind, listener_id, file_name) of each export file: parsed once per file on the driver, not
    once per record (:func:`reader_records` joins them)."""
    rows = []
    for key in keys_of_files:
        found = _EXPORT_KEY.search(key) or {}
        rows.append((key, found.get("kind", ""), found.get("listener_id", ""), found.get("file_name", "")))
    return rows


def reader_records(rows: DataFrame, attributes: DataFrame) -> DataFrame:
    """Rows of Spark's JSON reader (``raw_object``, ``_position``, the :data:`READER_SCHEMA` columns) in the
    shape of :func:`explode_export_files`, plus ``_corrupt``. ``attributes`` is :func:`file_attributes` (a row
    per file: broadcast)."""
    return rows.join(F.broadcast(attributes), "raw_object").select(
        "raw_object",
        "kind",
        "listener_id",
        "file_name",
        F.col("_position").alias("record_index"),
        F.struct(*[F.col(f.name) for f in raw_schemas.EXPORT_ROW.fields]).alias("rec"),
        F.lit(None).cast("string").alias("file_reason"),
        F.lit(None).cast("string").alias("file_text"),
        F.col(CORRUPT_COLUMN).isNotNull().alias("_corrupt"),
    )


def file_stats(candidates: DataFrame) -> DataFrame:
    """Per raw object of :func:`reader_records`' candidates: the number of records, the first and last
    ``_record_index``, and whether any row is corrupt. One small aggregation: a row per file."""
    return candidates.groupBy("raw_object").agg(
        F.count(F.lit(1)).alias("_records"),
        F.min("_record_index").alias("_first"),
        F.max("_record_index").alias("_last"),
        F.max(F.col("_corrupt").cast("int")).alias("_corrupt_rows"),
    )


def is_exact(records: int, first: int, last: int, corrupt_rows: int) -> bool:
    """Whether the reader's reading of a file is exact (see the module docstring): two or more records, none
    corrupt, and positions 0 to records - 1 (the file was its task's only input, so ``_position`` is the
    record's position in the array; a file that shared a task fails this and is read whole instead)."""
    return records >= MIN_READER_RECORDS and corrupt_rows == 0 and first == 0 and last == records - 1


def _rec(name: str) -> Column:
    return F.col(f"rec.{name}")


def _bool(name: str) -> Column:
    # The reader gives JSON's true and false as "true" and "false": compared as they are first, so only other
    # spellings pay for a lower-cased copy.
    value = _rec(name)
    return (
        F.when(value == "true", True)
        .when(value == "false", False)
        .when(F.lower(value) == "true", True)
        .when(F.lower(value) == "false", False)
    )


def _not_bool(name: str) -> Column:
    value = _rec(name)
    return value.isNotNull() & ~value.isin("true", "false") & ~F.lower(value).isin("true", "false")


def _record_size(measure: Callable[[Column], Column]) -> Column:
    """The sum of ``measure`` (characters or bytes) over the record's fields."""
    return sum((F.coalesce(measure(_rec(n)), F.lit(0)) for n in _STRING_FIELDS), F.lit(0))


def record_reason(played_at: Column, ms_raw: Column, ms: Column, now: Column) -> Column:
    """Why one export record is quarantined, or null when it is a play."""
    # Characters are counted only when the bytes (known without a scan) could be too many: a character is at
    # least one byte, so a record within the limit in bytes is within it in characters.
    too_large = (_record_size(F.octet_length) > MAX_RECORD_CHARS) & (_record_size(F.length) > MAX_RECORD_CHARS)
    reason = (
        F.when(F.col("rec").isNull(), F.lit("record is not a JSON object"))
        .when(too_large, F.lit("record larger than 64 KiB"))
        .when(played_at.isNull(), F.lit("no parseable timestamp"))
        .when(played_at < F.lit(EARLIEST_PLAY).cast("timestamp"), F.lit("timestamp before 2006"))
        .when(played_at > now, F.lit("timestamp in the future"))
        .when(ms_raw.isNotNull() & ms.isNull(), F.lit("ms_played is not a number"))
        .when(ms < 0, F.lit("ms_played is negative"))
    )
    for name in _BOOL_FIELDS:
        reason = reason.when(_not_bool(name), F.lit(f"{name} is not a boolean"))
    return reason


def export_plays(records: DataFrame, now: Column, keep: tuple[str, ...] = ()) -> DataFrame:
    """Exploded export records -> play candidates (plays columns + provenance + ``_reason``), and the
    ``keep`` columns of ``records`` unchanged."""
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
        # The id after the prefix (track_uri has it): a substring, not a regular expression per record.
        F.when(F.length(track_uri) > len(_TRACK), F.substring(track_uri, len(_TRACK) + 1, MAX_RECORD_CHARS))
        .when(track_uri.isNotNull(), F.lit(""))
        .alias("track_id"),
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
        *keep,
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
