"""What a curation run reads: the raw objects it has not seen (listing, classification, the manifest), their
lines or whole texts (with the gzip check that keeps one damaged object from aborting the job), and the
published rows of the curated tables, found through the catalog.

Apart from :mod:`curation.job` so that the run itself is only the order of its steps.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Mapping

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from curation import exports
from curation.catalog import Catalog, DocumentCatalog, TableLocations, version_of, version_prefix
from curation.lake import LakeFS, LakePaths, RawObject, spark_path
from curation.schema import Table
from curation.session import session_conf
from curation.spark_schema import struct_type
from curation.state import RunState
from lake_contract import keys

#: ``YourLibrary.json`` of account-data exports: metadata (saved shows), not plays (docs/RAW_ZONE.md).
LIBRARY_PREFIX = keys.LIBRARY_PREFIX


# --- raw objects -------------------------------------------------------------------------------------------


def classify(objects: list[RawObject]) -> dict[str, list[RawObject]]:
    """The raw objects by kind: api, export, library, extractor_quarantine and unknown."""
    groups: dict[str, list[RawObject]] = {
        "api": [],
        "export": [],
        "library": [],
        "extractor_quarantine": [],
        "unknown": [],
    }
    for o in objects:
        if o.key.startswith(LIBRARY_PREFIX):
            groups["library"].append(o)
        elif o.key.startswith(keys.API_PREFIX):
            groups["api"].append(o)
        elif o.key.startswith(keys.EXPORT_PREFIX):
            groups["export"].append(o)
        elif o.key.startswith(keys.QUARANTINE_PREFIX):
            groups["extractor_quarantine"].append(o)
        else:
            groups["unknown"].append(o)
    return groups


def listener_of(key: str) -> str | None:
    """The key's ``listener=`` segment; None for catalogue endpoints and extractor quarantine."""
    return keys.listener_of(key)


def endpoint_of(key: str) -> str | None:
    """The key's ``endpoint=`` segment (API, export or quarantine key)."""
    return keys.endpoint_of(key)


def export_kind(key: str) -> str:
    """``extended``, ``legacy`` or ``account`` of a streaming-history export key."""
    return (keys.endpoint_of(key) or "").removeprefix(keys.HISTORY_PREFIX)


def read_manifest(fs: LakeFS, paths: LakePaths) -> set[tuple[str, int]]:
    """The (key, length) of every raw object an earlier run has curated."""
    done: set[tuple[str, int]] = set()
    for path in fs.files(paths.manifest):
        for line in fs.read_text(path).splitlines():
            if line.strip():
                entry = json.loads(line)
                done.add((entry["key"], int(entry["length"])))
    return done


def write_manifest(state: RunState, objects: list[RawObject]) -> None:
    """Record ``objects`` as curated by this run (the last step of a run: see :mod:`curation.job`)."""
    old = state.fs.files(state.paths.manifest) if state.full_refresh else []
    body = "".join(json.dumps({"key": o.key, "length": o.length, "run_id": state.run_id}) + "\n" for o in objects)
    if objects or state.full_refresh:
        state.fs.write_text(f"{state.paths.manifest}/{state.run_id}.jsonl", body)
    for path in old:  # a full refresh compacts the manifest into its own file
        state.fs.delete(path)


# --- raw contents ------------------------------------------------------------------------------------------


def _raw_key(path: F.Column | str) -> F.Column:
    """The raw key (``raw/source=…``, ``raw/_quarantine/…``) at the end of a file's path or URI."""
    return F.regexp_extract(path, keys.RAW_OBJECT.regex, keys.RAW_OBJECT.group("key"))


def _raw_object_col() -> F.Column:
    return _raw_key(F.url_decode(F.input_file_name()))


#: Spark lists more than 32 given paths with a Spark job (one task per path, to spread an object store's requests
#: over the executors); for files on this machine that job costs a second where the driver's listing costs
#: milliseconds. It applies to every read a run makes: API objects, export files, curated partitions.
SERIAL_LISTING = {"spark.sql.sources.parallelPartitionDiscovery.threshold": str(2**31 - 1)}


def listing_settings(paths: LakePaths) -> dict[str, str]:
    """Session settings for a run over ``paths``: a lake on this machine is listed on the driver."""
    roots = (paths.raw_root, paths.curated_root, paths.runs_root)
    return SERIAL_LISTING if all(LakeFS.is_local(root) for root in roots) else {}


def read_api_lines(spark: SparkSession, objects: list[RawObject]) -> DataFrame:
    """NDJSON(.gz) lines with their object key and 0-based line number (one gzip object = one partition)."""
    lines = spark.read.text([spark_path(o.path) for o in objects]).select(
        _raw_object_col().alias("raw_object"), F.monotonically_increasing_id().alias("_mono"), "value"
    )
    by_object = Window.partitionBy("raw_object").orderBy("_mono")
    return lines.withColumn("_record_index", (F.row_number().over(by_object) - 1).cast("bigint")).drop("_mono")


def gzip_problem(content: bytes | bytearray) -> str | None:
    """Why an API object's bytes are not readable gzip NDJSON, or None when they are.

    Runs once per object (not per record), on the driver or the executors (:func:`unreadable_api_objects`):
    Spark's text reader aborts the whole job on a truncated or non-gzip ``.gz`` file, and an empty one would
    vanish without a trace.
    """
    try:
        gzip.decompress(bytes(content))
    except (OSError, EOFError, zlib.error) as exc:
        return f"unreadable gzip: {type(exc).__name__}"
    return None


#: Up to this many objects of an object store are checked on the driver, their bytes read through the lake's
#: file system (one request each): a run after one poll has a handful, and a Spark job with Python workers
#: costs 1-3 s to start. Local files are always checked on the driver: an executor would read the same disk,
#: and one core decompresses a local lake's API objects (the demo's 160: 16 MB of JSON) in well under that.
DRIVER_CHECKED_OBJECTS = 32


def unreadable_api_objects(
    spark: SparkSession, fs: LakeFS, objects: list[RawObject], driver_limit: int | None = None
) -> dict[str, str]:
    """Keys of the API objects that cannot be read, with the reason: on the driver for up to ``driver_limit``
    objects (default: every local file, else :data:`DRIVER_CHECKED_OBJECTS`), else on the executors (a small
    collect: keys, not data)."""
    if driver_limit is None:
        local = all(LakeFS.is_local(o.path) for o in objects)
        driver_limit = len(objects) if local else DRIVER_CHECKED_OBJECTS
    if len(objects) <= driver_limit:
        checked = {o.key: gzip_problem(fs.read_bytes(o.path)) for o in objects}
        return {key: problem for key, problem in checked.items() if problem is not None}
    files = spark.read.format("binaryFile").load([spark_path(o.path) for o in objects])
    keyed = files.select(_raw_key("path").alias("key"), "content")
    problems = keyed.rdd.map(lambda row: (row.key, gzip_problem(row.content))).filter(lambda kv: kv[1] is not None)
    return dict(problems.collect())


def read_contents(spark: SparkSession, objects: list[RawObject]) -> DataFrame:
    """One row per object with its bytes (``raw_object``, ``content``). ``binaryFile`` (not ``text``) so that
    an empty file still yields a row and bytes that are not UTF-8 can be recognised."""
    files = spark.read.format("binaryFile").load([spark_path(o.path) for o in objects])
    return files.select(_raw_key("path").alias("raw_object"), "content")


def read_whole_files(spark: SparkSession, objects: list[RawObject]) -> DataFrame:
    """One row per object with its text (bytes that are not UTF-8 decode to U+FFFD)."""
    return read_contents(spark, objects).select("raw_object", F.decode("content", "UTF-8").alias("text"))


#: Local and Glue file splitting: with this maximum every multi-line JSON file (never split) is a task of its
#: own, so a record's position in its task is its position in its file.
ONE_FILE_PER_TASK = {"spark.sql.files.maxPartitionBytes": "1"}


def read_export_rows(spark: SparkSession, objects: list[RawObject]) -> DataFrame:
    """Spark's multi-line JSON reader over export files, with the declared schema and a corrupt-record column:
    one row per record (``raw_object``, ``_position``, the :data:`exports.READER_SCHEMA` columns).

    ``_position`` counts the records of the row's task from 0, taken at the scan: the record's position in its
    file when the file is its task's only input (run the first action under :data:`ONE_FILE_PER_TASK`;
    ``exports.is_exact`` checks it)."""
    rows = (
        spark.read.schema(exports.READER_SCHEMA)
        .option("multiLine", "true")
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", exports.CORRUPT_COLUMN)
        .json([spark_path(o.path) for o in objects])
    )
    task_start = F.shiftleft(F.spark_partition_id().cast("bigint"), 33)  # monotonically_increasing_id's layout
    position = F.monotonically_increasing_id() - task_start
    return rows.select(_raw_object_col().alias("raw_object"), position.alias("_position"), "*")


def read_export_candidates(state: RunState, objects: list[RawObject]) -> DataFrame:
    """Play candidates of non-empty export files (``exports.export_plays`` rows), typed by the lake's libraries.

    Every file is read once by Spark's JSON reader, one file per task (persisted); the files that reading is
    not exact for are read again whole, the exact and slower way (``curation.exports``: few, small files)."""
    spark, now = state.spark, state.now_col
    attributes = spark.createDataFrame(exports.file_attributes([o.key for o in objects]), exports.FILE_ATTRIBUTES)
    with session_conf(spark, ONE_FILE_PER_TASK):
        records = exports.reader_records(read_export_rows(spark, objects), attributes)
        streamed = state.persist(exports.export_plays(records, now, keep=("_corrupt",)))
        stats = exports.file_stats(streamed).collect()  # a row per file; the first action: it fills the cache
    exact = [(r.raw_object,) for r in stats if exports.is_exact(r._records, r._first, r._last, r._corrupt_rows)]
    exact_files = spark.createDataFrame(exact, "raw_object string")
    candidates = streamed.join(F.broadcast(exact_files), "raw_object", "left_semi").drop("_corrupt")
    read_exactly = {key for (key,) in exact}
    others = [o for o in objects if o.key not in read_exactly]
    if others:
        whole = exports.export_plays(exports.explode_export_files(read_contents(spark, others)), now)
        candidates = candidates.unionByName(state.persist(whole))
    return exports.type_combined_account_rows(candidates, library_shows(state))


def library_shows(state: RunState) -> DataFrame | None:
    """Shows saved in every ``YourLibrary.json`` of the lake (not only new ones: a later account export's
    files are typed with the library imported before). Small: one object per account export."""
    prefix = LIBRARY_PREFIX.removeprefix(f"{keys.RAW}/").rstrip("/")
    libraries = [o for o in state.fs.list_files(f"{state.paths.raw}/{prefix}") if o.length]
    if not libraries:
        return None
    return exports.library_shows(read_whole_files(state.spark, libraries))


def empty(spark: SparkSession, schema: StructType | str) -> DataFrame:
    return spark.createDataFrame([], schema)


def empty_lines(spark: SparkSession) -> DataFrame:
    """No API lines, in the shape of :func:`read_api_lines`."""
    return spark.createDataFrame([], "raw_object string, _record_index bigint, value string")


def union(frames: list[DataFrame]) -> DataFrame:
    """The rows of every frame (at least one), matched by column name."""
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


# --- published rows ----------------------------------------------------------------------------------------


def current_locations(state: RunState, table: Table) -> TableLocations:
    """The table's published locations (one catalog read per table and run)."""
    if table.name not in state.current:
        state.current[table.name] = state.catalog.current(table.name, table.partition_key)
    return state.current[table.name]


def read_existing(state: RunState, table: Table, partitions: set[str] | None) -> DataFrame | None:
    """Published rows of ``table`` (only ``partitions`` when partitioned), or None when there are none."""
    if state.full_refresh:
        return None
    published = current_locations(state, table).locations
    if table.partition_keys:
        published = {v: loc for v, loc in published.items() if v in (partitions or ())}
    return read_locations(state.spark, state.fs, state.paths, table, published)


def read_locations(
    spark: SparkSession, fs: LakeFS, paths: LakePaths, table: Table, locations: Mapping[str, str]
) -> DataFrame | None:
    """The rows at catalog ``locations`` (partition value → location), or None when they hold no file."""
    reader = spark.read.schema(struct_type(table))
    if not table.partition_keys:
        location = locations.get("")
        if location is None or not fs.files(paths.uri(location)):
            return None
        return reader.parquet(paths.uri(location))
    if not locations:
        return None
    # Partitions of one version share a base folder, from which Spark reads the partition column; a table
    # holds a few versions at most (one per run that last rewrote some of its partitions).
    by_version: dict[str, list[str]] = {}
    for value in sorted(locations):
        by_version.setdefault(version_of(locations[value]), []).append(paths.uri(locations[value]))
    frames = [
        reader.option("basePath", paths.uri(version_prefix(table.name, version))).parquet(*found)
        for version, found in sorted(by_version.items())
    ]
    return union(frames)


def document_catalog(fs: LakeFS, paths: LakePaths) -> DocumentCatalog:
    """The lake's own table documents (``curated/_catalog/``): the catalog of local runs."""
    return DocumentCatalog(
        lambda key: fs.read_text_if_exists(paths.uri(key)), lambda key, text: fs.write_text(paths.uri(key), text)
    )


def read_published(spark: SparkSession, paths: LakePaths, table: Table, catalog: Catalog | None = None) -> DataFrame:
    """Every published row of ``table``, as a reader of the catalog sees it (empty when there is none)."""
    fs = LakeFS(spark)
    if table.append_only:
        found = fs.files(paths.table(table.name))
        frame = spark.read.schema(struct_type(table)).parquet(*found) if found else None
    else:
        catalog = catalog or document_catalog(fs, paths)
        current = catalog.current(table.name, table.partition_key)
        frame = read_locations(spark, fs, paths, table, dict(current.locations))
    return frame if frame is not None else empty(spark, struct_type(table))
