"""One curation run: list raw objects, read the new ones, build every table, check, publish, record.

The Glue script (``glue/jobs/curate.py``) and ``python -m spotify_lake curate`` both call :func:`run`.
Order matters for crash safety (docs/CURATION.md): write every rebuilt table under this run's own version
prefix, check those rows, append quarantine/data-quality, switch the catalog to the new versions
(:mod:`curation.catalog`), and only then extend the manifest. A crash at any point leaves the manifest
behind, so the next run re-reads those raw objects; merges are idempotent. Versions no catalog entry names
(superseded by an earlier run, or left by a killed one) are deleted when the next run starts.
"""

from __future__ import annotations

import gzip
import json
import logging
import secrets
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from curation import api, exports, plays, quality
from curation.catalog import (
    Catalog,
    DocumentCatalog,
    TableLocations,
    partition_location,
    version_of,
    version_prefix,
)
from curation.lake import LakeFS, LakePaths, RawObject, spark_path
from curation.schema import (
    ALBUMS,
    ARTIST_SNAPSHOTS,
    ARTISTS,
    DATA_QUALITY,
    PLAYLIST_ITEMS,
    PLAYLISTS,
    PLAYS,
    QUARANTINE,
    SAVED_TRACKS,
    SEARCH_RESULTS,
    TABLES,
    TOP_ITEMS,
    TRACKS,
    Table,
)
from curation.session import sized_shuffle
from curation.spark_schema import struct_type

logger = logging.getLogger("curation")

#: How far from a new play's end an existing play can be and still merge with it (see plays.ACCOUNT_WINDOW_S).
MERGE_REACH = timedelta(minutes=3)
CATALOGUE_ENDPOINTS = ("albums", "tracks")
#: ``YourLibrary.json`` of account-data exports: metadata (saved shows), not plays (docs/RAW_ZONE.md).
LIBRARY_PREFIX = "raw/source=export/endpoint=library/"


class CurationFailed(RuntimeError):
    """A blocking data-quality check failed; the message names it. Nothing was published."""


@contextmanager
def _timed(step: str):
    start = time.monotonic()
    yield
    logger.info("step %s took %.1f s", step, time.monotonic() - start)


def new_run_id(now: datetime) -> str:
    return f"curate-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


@dataclass
class RunState:
    spark: SparkSession
    paths: LakePaths
    run_id: str
    full_refresh: bool
    now: datetime
    fs: LakeFS
    catalog: Catalog
    #: This attempt's version folder name: unique even when a retried run reuses its run id.
    version: str
    staged: dict[str, Table] = field(default_factory=dict)
    #: Current locations per table, read once per run from the catalog.
    current: dict[str, TableLocations] = field(default_factory=dict)
    affected: dict[str, set[str]] = field(default_factory=dict)
    outcomes: list[DataFrame] = field(default_factory=list)
    quarantine: list[DataFrame] = field(default_factory=list)
    persisted: list[DataFrame] = field(default_factory=list)
    #: Tables without new input: left alone, except that a full refresh empties them.
    cleared: set[str] = field(default_factory=set)
    #: API objects that cannot be read (damaged gzip, empty): key -> reason; each is one quarantined record.
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def now_col(self):
        return F.lit(self.now.replace(tzinfo=None)).cast("timestamp")


# --- reading ---------------------------------------------------------------------------------------------


def _raw_object_col() -> F.Column:
    return F.regexp_extract(F.url_decode(F.input_file_name()), r"(raw/(?:source=|_quarantine/).*)$", 1)


def read_api_lines(spark: SparkSession, objects: list[RawObject]) -> DataFrame:
    """NDJSON(.gz) lines with their object key and 0-based line number (one gzip object = one partition)."""
    lines = spark.read.text([spark_path(o.path) for o in objects]).select(
        _raw_object_col().alias("raw_object"), F.monotonically_increasing_id().alias("_mono"), "value"
    )
    by_object = Window.partitionBy("raw_object").orderBy("_mono")
    return lines.withColumn("_record_index", (F.row_number().over(by_object) - 1).cast("bigint")).drop("_mono")


def gzip_problem(content: bytes | bytearray) -> str | None:
    """Why an API object's bytes are not readable gzip NDJSON, or None when they are.

    Runs on the executors, once per object (not per record): Spark's text reader aborts the whole job on a
    truncated or non-gzip ``.gz`` file, and an empty one would vanish without a trace.
    """
    try:
        gzip.decompress(bytes(content))
    except (OSError, EOFError, zlib.error) as exc:
        return f"unreadable gzip: {type(exc).__name__}"
    return None


def unreadable_api_objects(spark: SparkSession, objects: list[RawObject]) -> dict[str, str]:
    """Keys of the API objects that cannot be read, with the reason (a small collect: keys, not data)."""
    files = spark.read.format("binaryFile").load([spark_path(o.path) for o in objects])
    keyed = files.select(F.regexp_extract("path", r"(raw/source=.*)$", 1).alias("key"), "content")
    problems = keyed.rdd.map(lambda row: (row.key, gzip_problem(row.content))).filter(lambda kv: kv[1] is not None)
    return dict(problems.collect())


def read_whole_files(spark: SparkSession, objects: list[RawObject]) -> DataFrame:
    """One row per object with its text. ``binaryFile`` (not ``text``) so that an empty file still yields a
    row and bytes that are not UTF-8 decode to U+FFFD, which the export checks recognise."""
    files = spark.read.format("binaryFile").load([spark_path(o.path) for o in objects])
    return files.select(
        F.regexp_extract("path", r"(raw/(?:source=|_quarantine/).*)$", 1).alias("raw_object"),
        F.decode("content", "UTF-8").alias("text"),
    )


def _empty(spark: SparkSession, schema) -> DataFrame:
    return spark.createDataFrame([], schema)


# --- merging and staging -------------------------------------------------------------------------------


def _partition_values(df: DataFrame, column: str) -> set[str]:
    """Distinct partition values (a few hundred at most: months since 2006): metadata, not data."""
    return {r[0] for r in df.select(column).distinct().collect() if r[0] is not None}


def _partition_key(table: Table) -> str | None:
    return table.partition_keys[0].name if table.partition_keys else None


def current_locations(state: RunState, table: Table) -> TableLocations:
    """The table's published locations (one catalog read per table and run)."""
    if table.name not in state.current:
        state.current[table.name] = state.catalog.current(table.name, _partition_key(table))
    return state.current[table.name]


def _has_partitions(state: RunState, table: Table) -> bool:
    """Whether a merge may read curated partitions back: never on a full refresh (which replaces every
    partition) nor on a first run. Otherwise the partitions a run touches are collected (a small job)."""
    return not state.full_refresh and bool(current_locations(state, table).locations)


def read_existing(state: RunState, table: Table, partitions: set[str] | None) -> DataFrame | None:
    """Published rows of ``table`` (only ``partitions`` when partitioned), or None when there are none."""
    if state.full_refresh:
        return None
    published = current_locations(state, table).locations
    if table.partition_keys:
        published = {v: loc for v, loc in published.items() if v in (partitions or ())}
    return read_locations(state.spark, state.fs, state.paths, table, published)


def read_locations(
    spark: SparkSession, fs: LakeFS, paths: LakePaths, table: Table, locations: dict[str, str]
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
    return _union(frames)


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
        current = catalog.current(table.name, _partition_key(table))
        frame = read_locations(spark, fs, paths, table, dict(current.locations))
    return frame if frame is not None else _empty(spark, struct_type(table))


def _version_uri(state: RunState, table: Table) -> str:
    return state.paths.uri(version_prefix(table.name, state.version)).rstrip("/")


def stage(state: RunState, table: Table, rows: DataFrame, affected: set[str] | None = None) -> None:
    """Write ``rows`` (the table's final content for the partitions it holds) as this run's version of it:
    a fresh prefix no reader follows until :func:`publish` switches the catalog to it."""
    schema = struct_type(table)
    rows = rows.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])
    target = _version_uri(state, table)
    with _timed(f"stage {table.name}"):
        _write_staged(table, rows, target)
    state.staged[table.name] = table
    state.affected[table.name] = set(affected or ())


def _write_staged(table: Table, rows: DataFrame, target: str) -> None:
    if table.partition_keys:
        part = table.partition_keys[0].name
        order = [k for k in table.key if k != part]
        rows.repartition(part).sortWithinPartitions(part, *order).write.mode("overwrite").partitionBy(part).parquet(
            target
        )
    else:
        rows.coalesce(1).sortWithinPartitions(*table.key).write.mode("overwrite").parquet(target)


def _latest_first(df: DataFrame, key: tuple[str, ...]) -> DataFrame:
    """Label rows of one key: the newest extraction is ``kept`` (new rows before curated ones)."""
    order = Window.partitionBy(*key).orderBy(
        F.col("_new").desc(),
        F.col("extracted_at").desc_nulls_last(),
        F.col("raw_object").desc_nulls_last(),
        F.col("_record_index").desc_nulls_last(),
    )
    return df.withColumn("_fate", F.when(F.row_number().over(order) == 1, "kept").otherwise("duplicate"))


def _split(state: RunState, rows: DataFrame) -> DataFrame:
    """Send rows with a ``_reason`` to quarantine; return the valid ones."""
    state.quarantine.append(
        rows.where(F.col("_reason").isNotNull()).select(
            F.col("raw_object").alias("source_object"),
            F.col("_record_index").alias("record_index"),
            "listener_id",
            F.col("_reason").alias("reason"),
            F.col("_raw_text").alias("raw_text"),
            F.col("_source"),
        )
    )
    return rows.where(F.col("_reason").isNull())


def _persist(state: RunState, df: DataFrame) -> DataFrame:
    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    state.persisted.append(df)
    return df


def curate_keyed(state: RunState, table: Table, new_rows: DataFrame) -> None:
    """Snapshot-style tables: new valid rows merged into the affected partitions, latest extraction wins."""
    valid = _split(state, new_rows).withColumn("_new", F.lit(True))
    columns = [f.name for f in struct_type(table).fields]
    partitions = None
    if table.partition_keys and _has_partitions(state, table):
        partitions = _partition_values(valid, table.partition_keys[0].name)
    existing = read_existing(state, table, partitions)
    merged = valid.select(*columns, "_new", "extracted_at", "raw_object", "_record_index", "_source")
    if existing is not None:
        old = existing.select(
            *columns,
            F.lit(False).alias("_new"),
            F.lit(None).cast("timestamp").alias("extracted_at"),
            F.lit(None).cast("string").alias("raw_object"),
            F.lit(None).cast("bigint").alias("_record_index"),
            F.lit(None).cast("string").alias("_source"),
        )
        merged = merged.unionByName(old)
    labelled = _persist(state, _latest_first(merged, table.key))
    state.outcomes.append(labelled.where("_new").select("_source", F.col("_fate").alias("outcome")))
    stage(state, table, labelled.where(F.col("_fate") == "kept"), partitions)


def curate_plays(state: RunState, candidates: DataFrame, families: frozenset[str] = plays.FAMILIES) -> DataFrame:
    """Plays: dedup and merge new candidates with the curated plays they may touch; returns what was staged.

    ``families`` are the play families the new candidates may hold (see :func:`plays.merge_plays`)."""
    acct = F.when(F.col("source") == "api", F.lit("api:recently_played")).otherwise(F.col("source"))
    valid = _split(state, candidates.withColumn("_source", acct))
    # Not persisted: a projection of the persisted candidates, read by one materialisation in merge_plays.
    new = plays.prepare_new(valid)
    months: set[str] = set()
    if _has_partitions(state, PLAYS):
        reach = int(MERGE_REACH.total_seconds())
        months = _partition_values(
            new.select(
                F.explode(
                    F.array(
                        F.date_format(F.col("played_at") - F.expr(f"INTERVAL {reach} SECONDS"), "yyyy-MM"),
                        F.date_format(F.col("played_at") + F.expr(f"INTERVAL {reach} SECONDS"), "yyyy-MM"),
                    )
                ).alias("m")
            ),
            "m",
        )
    existing = read_existing(state, PLAYS, months)
    if existing is None:
        rows = new
    else:  # curated rows may be of any family
        rows, families = new.unionByName(plays.prepare_existing(existing)), plays.FAMILIES
    merged = _persist(state, plays.merge_plays(rows, families))
    source = F.when(F.col("source") == "api", F.lit("api:recently_played")).otherwise(F.col("source"))
    state.outcomes.append(merged.where("_new").select(source.alias("_source"), F.col("_fate").alias("outcome")))
    # Curated plays of earlier runs that this run's rows replaced (an account play absorbed by the extended
    # export imported later, a 0 ms row beaten by a longer same-second duplicate): counted per source of the
    # replaced row, so that loaded - superseded summed over runs is the table's row count.
    state.outcomes.append(
        merged.where(~F.col("_new") & (F.col("_fate") == "duplicate")).select(
            source.alias("_source"), F.lit("superseded").alias("outcome")
        )
    )
    kept = plays.kept_plays(merged)
    stage(state, PLAYS, kept, months)
    return kept


def curate_catalogue(state: RunState, table: Table, key: str, observations: DataFrame) -> DataFrame:
    existing = read_existing(state, table, None)
    columns = [f.name for f in struct_type(table).fields]
    rows = observations.select(*columns)
    if existing is not None:
        rows = rows.unionByName(existing.select(*columns))
    latest = api.latest_attributes(rows, key).select(*columns)
    stage(state, table, latest)
    return latest


# --- the run -----------------------------------------------------------------------------------------


def _classify(objects: list[RawObject]) -> dict[str, list[RawObject]]:
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
        elif o.key.startswith("raw/source=api/"):
            groups["api"].append(o)
        elif o.key.startswith("raw/source=export/"):
            groups["export"].append(o)
        elif o.key.startswith("raw/_quarantine/"):
            groups["extractor_quarantine"].append(o)
        else:
            groups["unknown"].append(o)
    return groups


def read_manifest(fs: LakeFS, paths: LakePaths) -> set[tuple[str, int]]:
    done: set[tuple[str, int]] = set()
    for path in fs.files(paths.manifest):
        for line in fs.read_text(path).splitlines():
            if line.strip():
                entry = json.loads(line)
                done.add((entry["key"], int(entry["length"])))
    return done


def write_manifest(state: RunState, objects: list[RawObject]) -> None:
    old = state.fs.files(state.paths.manifest) if state.full_refresh else []
    body = "".join(json.dumps({"key": o.key, "length": o.length, "run_id": state.run_id}) + "\n" for o in objects)
    if objects or state.full_refresh:
        state.fs.write_text(f"{state.paths.manifest}/{state.run_id}.jsonl", body)
    for path in old:  # a full refresh compacts the manifest into its own file
        state.fs.delete(path)


def _accounting(state: RunState, reads: DataFrame) -> dict[str, dict]:
    """Per source: read, loaded, duplicates, quarantined by reason, and superseded (curated rows of earlier
    runs that this run replaced; not part of ``read``, so ``read == loaded + duplicates + quarantined``).
    One small aggregation to the driver: the reads (counted from the parsed input) and the labelled outcomes
    are counted in the same job."""
    sources: dict[str, dict] = {}

    def entry(name: str) -> dict:
        return sources.setdefault(
            name,
            {"read": 0, "loaded": 0, "duplicates": 0, "superseded": 0, "quarantined": {}, "quarantined_total": 0},
        )

    none = F.lit(None).cast("string")
    parts = [reads.select("_source", F.lit("read").alias("outcome"), none.alias("reason"))]
    parts += [o.select("_source", "outcome", none.alias("reason")) for o in state.outcomes]
    parts += [q.select("_source", F.lit("quarantined").alias("outcome"), "reason") for q in state.quarantine]
    for row in _union(parts).groupBy("_source", "outcome", "reason").count().collect():
        e = entry(row["_source"])
        if row["outcome"] == "read":
            e["read"] += row["count"]
        elif row["outcome"] == "kept":
            e["loaded"] += row["count"]
        elif row["outcome"] == "duplicate":
            e["duplicates"] += row["count"]
        elif row["outcome"] == "superseded":
            e["superseded"] += row["count"]
        else:
            e["quarantined"][row["reason"]] = e["quarantined"].get(row["reason"], 0) + row["count"]
            e["quarantined_total"] += row["count"]
    return dict(sorted(sources.items()))


def _append(state: RunState, table: Table, rows: DataFrame) -> None:
    """Run-scoped facts (quarantine, data_quality): write this run's file(s), then move them into the table."""
    staged = f"{state.paths.staging(state.run_id)}/_append/{table.name}"
    schema = struct_type(table)
    rows.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields]).coalesce(1).write.mode("overwrite").parquet(
        staged
    )
    for i, path in enumerate(state.fs.files(staged)):
        state.fs.move(path, f"{state.paths.table(table.name)}/{state.run_id}-{i:03d}.parquet")


def publish(state: RunState) -> dict[str, list[str]]:
    """Switch the catalog to this run's versions: per partition (or table), old rows or new, never a mix."""
    written: dict[str, list[str]] = {}
    for table in TABLES:
        if table.append_only:
            continue
        current = current_locations(state, table)
        key = _partition_key(table)
        if table.name in state.staged:
            if key is None:
                new = {"": partition_location(table.name, state.version, None, "")}
            else:
                values = [d.split("=", 1)[1] for d in state.fs.list_dirs(_version_uri(state, table))]
                new = {v: partition_location(table.name, state.version, key, v) for v in values}
            # Partitions whose every row merged into another one (or, on a full refresh, every old one).
            gone = set(current.locations) if state.full_refresh else state.affected.get(table.name, set())
            state.current[table.name] = state.catalog.switch(current, new, gone - set(new))
            written[table.name] = ["*"] if key is None else sorted(new)
        elif state.full_refresh and table.name in state.cleared and current.locations:
            state.current[table.name] = state.catalog.switch(current, {}, set(current.locations))
    return written


def clean_unpublished(state: RunState) -> list[str]:
    """Delete every version folder the catalog does not name: versions superseded by an earlier run (kept
    until now so that a query planned just before that run's switch still found its files) and folders of
    runs that were killed or failed their checks. Returns what was deleted (keys under the curated root)."""
    deleted: list[str] = []
    for table in TABLES:
        if table.append_only:
            continue
        root = state.paths.table(table.name)
        published = current_locations(state, table).locations
        current_versions = {version_of(loc) for loc in published.values()}
        # Folders with "=" are partitions of the layout before versions; they are not this code's to delete.
        for version in (d for d in state.fs.list_dirs(root) if "=" not in d):
            folder = f"{root}/{version}"
            if version not in current_versions:
                state.fs.delete(folder)
                deleted.append(version_prefix(table.name, version))
                continue
            if table.partition_keys:
                for part in state.fs.list_dirs(folder):
                    location = f"{version_prefix(table.name, version)}{part}/"
                    if published.get(part.split("=", 1)[1]) != location:
                        state.fs.delete(f"{folder}/{part}")
                        deleted.append(location)
    for leftover in state.fs.list_dirs(f"{state.paths.curated}/_staging"):
        state.fs.delete(state.paths.staging(leftover))
        deleted.append(f"curated/_staging/{leftover}/")
    return deleted


def run(
    spark: SparkSession,
    paths: LakePaths,
    *,
    run_id: str | None = None,
    full_refresh: bool = False,
    now: datetime | None = None,
    catalog: Catalog | None = None,
) -> dict:
    """Curate every raw object not yet in the manifest (all of them with ``full_refresh``); returns the summary.

    ``catalog`` says where readers find each table (default: the lake's own table documents)."""
    started = now or datetime.now(UTC)
    fs = LakeFS(spark)
    catalog = catalog or document_catalog(fs, paths)
    run_id = run_id or new_run_id(started)
    version = f"{run_id}-{secrets.token_hex(3)}"
    state = RunState(spark, paths, run_id, full_refresh, started, fs, catalog, version)
    corrected = sum(catalog.sync(current_locations(state, t)) for t in TABLES if not t.append_only)
    if corrected:
        logger.warning("catalog: %d entries differed from the published versions and were put back", corrected)
    removed = clean_unpublished(state)
    if removed:
        logger.info("deleted %d unpublished version folder(s): %s", len(removed), ", ".join(removed[:20]))
    listing = state.fs.list_files(paths.raw)
    done = set() if full_refresh else read_manifest(state.fs, paths)
    todo = [o for o in listing if (o.key, o.length) not in done]
    groups = _classify(todo)
    logger.info(
        "curation run %s: %d raw objects listed, %d to process (full_refresh=%s)",
        state.run_id,
        len(listing),
        len(todo),
        full_refresh,
    )
    summary: dict = {
        "run_id": state.run_id,
        "stage": "curate",
        "started_at": started.isoformat(),
        "full_refresh": full_refresh,
        "raw_objects": {"listed": len(listing), **{k: len(v) for k, v in groups.items()}},
    }
    try:
        if todo:
            with sized_shuffle(spark, sum(o.length for o in todo)):
                _process(state, groups, summary)
        else:
            summary.update({"status": "nothing to do", "sources": {}, "tables": {}, "data_quality": []})
        if todo or full_refresh:
            write_manifest(state, todo)
    finally:
        for df in state.persisted:
            df.unpersist()
        state.fs.delete(paths.staging(state.run_id))
        summary["finished_at"] = datetime.now(UTC).isoformat()
        summary.setdefault("status", "failed")
        state.fs.write_text(f"{paths.runs}/{state.run_id}.json", json.dumps(summary, indent=2, sort_keys=True))
        logger.info("curation summary %s", json.dumps(summary, sort_keys=True))
    return summary


def _process(state: RunState, groups: dict[str, list[RawObject]], out: dict) -> None:
    spark = state.spark
    now = state.now_col

    # One read of each kind of input; the parsed frames are reused by every table and by the accounting.
    reads: list[DataFrame] = []
    # Damaged API objects become one quarantined record each (in _quarantine_objects); the rest are read.
    # Spark's file readers skip zero-length files: those are found from the listing.
    state.unreadable = {o.key: "empty object" for o in groups["api"] if o.length == 0}
    non_empty_api = [o for o in groups["api"] if o.length > 0]
    if non_empty_api:
        state.unreadable |= unreadable_api_objects(spark, non_empty_api)
    readable_api = [o for o in groups["api"] if o.key not in state.unreadable]
    if readable_api:
        envelopes = _persist(state, api.parse_envelopes(read_api_lines(spark, readable_api)))
    else:
        envelopes = _persist(state, api.parse_envelopes(_empty_lines(spark)))
    reads.append(envelopes.select("_source"))
    non_empty = [o for o in groups["export"] if o.length > 0]
    if non_empty:
        records = exports.explode_export_files(read_whole_files(spark, non_empty))
        typed = exports.type_combined_account_rows(exports.export_plays(records, now), _library_shows(state))
        export_candidates = _persist(state, typed)
        reads.append(export_candidates.select(F.col("source").alias("_source")))
    else:
        export_candidates = None

    # Lines of endpoints curation does not know are quarantined, never dropped.
    known = list(api.raw_schemas.ITEM_SCHEMAS)
    unknown_lines = envelopes.where(~F.col("endpoint").isin(known)).select(
        "raw_object",
        "_record_index",
        "listener_id",
        F.lit("unknown endpoint").alias("_reason"),
        "_raw_text",
        "_source",
    )
    _split(state, unknown_lines.withColumn("_raw_text", F.lit(None).cast("string")))
    _quarantine_objects(state, groups, reads)

    # Only tables with new input are rebuilt; a full refresh clears the ones whose input is gone.
    present = {o.key.split("/")[2].removeprefix("endpoint=") for o in groups["api"]}
    if "recently_played" in present or export_candidates is not None:
        candidates = api.recently_played_plays(envelopes, now)
        if export_candidates is not None:
            candidates = candidates.unionByName(export_candidates)
        curate_plays(state, candidates, _play_families(present, groups["export"]))
    else:
        state.cleared.add(PLAYS.name)

    snapshot_tables = (
        (TOP_ITEMS, ("top_artists", "top_tracks"), api.top_items),
        (SAVED_TRACKS, ("saved_tracks",), api.saved_tracks),
        (PLAYLISTS, ("playlists",), api.playlists),
        (PLAYLIST_ITEMS, ("playlist_items",), api.playlist_items),
        (ARTIST_SNAPSHOTS, ("artists",), api.artist_snapshots),
        (SEARCH_RESULTS, ("search",), api.search_results),
    )
    for table, endpoints, transform in snapshot_tables:
        if present.intersection(endpoints):
            curate_keyed(state, table, transform(envelopes, table))
        else:
            state.cleared.add(table.name)

    # catalogue: albums/tracks endpoint lines are loaded (merged attribute-wise) or quarantined
    for endpoint, key in (("albums", "album_id"), ("tracks", "track_id")):
        if endpoint not in present:
            continue
        lines = api.with_item(envelopes, endpoint)
        lines = lines.withColumn(
            "_reason",
            F.coalesce("_reason", F.when(F.col("item.id").isNull(), F.lit(f"missing {key}"))),
        ).withColumn(
            "_raw_text",
            F.when(F.col("_reason").isNotNull(), F.coalesce("_raw_text", F.substring("item_text", 1, 65536))),
        )
        valid = _split(state, lines)
        state.outcomes.append(valid.select("_source", F.lit("kept").alias("outcome")))
    if present:
        track_obs, album_obs, artist_obs = api.catalogue_observations(envelopes)
        curate_catalogue(state, TRACKS, "track_id", track_obs)
        curate_catalogue(state, ALBUMS, "album_id", album_obs)
        curate_catalogue(state, ARTISTS, "artist_id", artist_obs)
    else:
        state.cleared.update((TRACKS.name, ALBUMS.name, ARTISTS.name))

    with _timed("accounting"):
        sources = _accounting(state, _union(reads))

    # Checks on the staged rows: a blocking failure publishes nothing. Every table's metrics are one
    # aggregate row; their union is collected in a single Spark job.
    tables = list(state.staged.values())
    metrics: list[DataFrame] = []
    now_ts = state.now.replace(tzinfo=None)
    for table in tables:
        staged_rows = spark.read.schema(struct_type(table)).parquet(_version_uri(state, table))
        metrics.append(quality.table_metrics(table, staged_rows, now_ts))
    if PLAYS.name in state.staged:
        staged_plays = spark.read.schema(struct_type(PLAYS)).parquet(_version_uri(state, PLAYS))
        if TRACKS.name in state.staged:
            known_tracks = spark.read.schema(struct_type(TRACKS)).parquet(_version_uri(state, TRACKS))
        else:
            known_tracks = read_existing(state, TRACKS, None) or _empty(spark, struct_type(TRACKS))
        metrics.append(quality.reference_metrics(staged_plays, known_tracks))
    results: list[quality.CheckResult] = []
    if metrics:
        with _timed("data quality"):
            results = quality.check_results(tables, _union(metrics))
    results.append(quality.accounting_check(sources))

    checked_at = state.now.replace(tzinfo=None)
    dq_rows = [
        (state.run_id, r.table_name, r.check_name, r.observed, r.threshold, r.passed, r.blocking, checked_at)
        for r in results
    ]
    _append(state, DATA_QUALITY, spark.createDataFrame(dq_rows, struct_type(DATA_QUALITY)))
    quarantine = _union([q.drop("_source") for q in state.quarantine]).select(
        F.lit(state.run_id).alias("run_id"),
        "source_object",
        "record_index",
        "listener_id",
        "reason",
        "raw_text",
        F.lit(checked_at).cast("timestamp").alias("quarantined_at"),
    )
    _append(state, QUARANTINE, quarantine)

    out.update({"sources": sources, "data_quality": [r.as_dict() for r in results]})
    failed = quality.failures(results)
    if failed:
        out["status"] = "failed"
        names = ", ".join(
            f"{r.table_name}.{r.check_name} (observed {r.observed:g}, limit {r.threshold:g})" for r in failed
        )
        raise CurationFailed(f"blocking data-quality check failed: {names}")
    out["tables"] = publish(state)
    out["status"] = "succeeded"


def _quarantine_objects(state: RunState, groups: dict[str, list[RawObject]], reads: list[DataFrame]) -> None:
    """The extractor's own quarantine objects and unknown raw objects: one quarantined record each."""
    spark = state.spark
    if groups["extractor_quarantine"]:
        files = read_whole_files(spark, groups["extractor_quarantine"])
        endpoint = F.regexp_extract("raw_object", r"raw/_quarantine/endpoint=([^/]+)/", 1)
        rows = files.select(
            "raw_object",
            F.lit(-1).cast("bigint").alias("_record_index"),
            F.lit(None).cast("string").alias("listener_id"),
            F.concat(
                F.lit("extractor: "),
                F.coalesce(F.get_json_object("text", "$.reason"), F.lit("unreadable quarantine object")),
            ).alias("_reason"),
            F.substring("text", 1, exports.MAX_RECORD_CHARS).alias("_raw_text"),
            F.concat(F.lit("api:"), endpoint).alias("_source"),
        )
        rows = _persist(state, rows)
        reads.append(rows.select("_source"))
        _split(state, rows)
    # Spark's file readers skip zero-length files, so empty exports are quarantined from the listing.
    data = [
        (o.key, -1, o.key.split("/listener=")[1].split("/")[0], "empty file", None, "export_" + _export_kind(o.key))
        for o in groups["export"]
        if o.length == 0
    ]
    data += [(o.key, -1, None, "unknown raw object", None, "unknown") for o in groups["unknown"]]
    data += [
        (
            o.key,
            -1,
            _listener_of(o.key),
            state.unreadable[o.key],
            None,
            "api:" + o.key.split("/")[2].removeprefix("endpoint="),
        )
        for o in groups["api"]
        if o.key in state.unreadable
    ]
    if data:
        rows = spark.createDataFrame(
            data,
            "raw_object string, _record_index bigint, listener_id string, _reason string, _raw_text string, "
            "_source string",
        )
        reads.append(rows.select("_source"))
        _split(state, rows)


def _library_shows(state: RunState) -> DataFrame | None:
    """Shows saved in every ``YourLibrary.json`` of the lake (not only new ones: a later account export's
    files are typed with the library imported before). Small: one object per account export."""
    prefix = LIBRARY_PREFIX.removeprefix("raw/").rstrip("/")
    libraries = [o for o in state.fs.list_files(f"{state.paths.raw}/{prefix}") if o.length]
    if not libraries:
        return None
    return exports.library_shows(read_whole_files(state.spark, libraries))


def _play_families(api_endpoints: set[str], export_objects: list[RawObject]) -> frozenset[str]:
    """The play families this run's raw objects can yield (an over-estimate is safe, merely slower)."""
    families = {"api"} if "recently_played" in api_endpoints else set()
    for o in export_objects:
        if o.key.startswith(LIBRARY_PREFIX):
            continue
        families.add(plays.family_of_source("export_" + _export_kind(o.key)))
    return frozenset(families)


def _listener_of(key: str) -> str | None:
    return key.split("/listener=")[1].split("/")[0] if "/listener=" in key else None


def _export_kind(key: str) -> str:
    return key.split("/")[2].removeprefix("endpoint=streaming_history_")


def _empty_lines(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([], "raw_object string, _record_index bigint, value string")


def _union(frames: list[DataFrame]) -> DataFrame:
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out
