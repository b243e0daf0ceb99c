"""One curation run: list raw objects, read the new ones, build every table, check, publish, record.

The Glue script (``glue/jobs/curate.py``) and ``python -m spotify_lake curate`` both call :func:`run`.
Order matters for crash safety (docs/CURATION.md): write every rebuilt table under this run's own version
prefix, check those rows, append quarantine/data-quality, switch the catalog to the new versions
(:mod:`curation.catalog`), and only then extend the manifest. A crash at any point leaves the manifest
behind, so the next run re-reads those raw objects; merges are idempotent. Versions no catalog entry names
(superseded by an earlier run, or left by a killed one) are deleted when the next run starts.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from curation import api, plays, quality, schema
from curation.accounting import count_outcomes, quarantine_objects, quarantine_rows, source_figures, split
from curation.catalog import Catalog
from curation.lake import LakeFS, LakePaths, RawObject
from curation.publishing import append, clean_unpublished, publish, stage, version_uri
from curation.reading import (
    LIBRARY_PREFIX,
    classify,
    current_locations,
    document_catalog,
    empty,
    empty_lines,
    endpoint_of,
    export_kind,
    listing_settings,
    read_api_lines,
    read_existing,
    read_export_candidates,
    read_manifest,
    union,
    unreadable_api_objects,
    write_manifest,
)
from curation.schema import (
    ALBUMS,
    ARTISTS,
    DATA_QUALITY,
    PLAYS,
    QUARANTINE,
    TABLES,
    TRACKS,
    Table,
)
from curation.session import session_conf, sized_for_input
from curation.spark_schema import struct_type
from curation.state import RunState, RunStep, side_by_side, steps_side_by_side, timed
from lake_contract import endpoints, identity
from lake_contract.endpoints import Step
from lake_contract.summaries import (
    CURATION_FAILED,
    CURATION_NOTHING_TO_DO,
    CURATION_SUCCEEDED,
    CurationSummary,
    SourceAccount,
)

logger = logging.getLogger("curation")

#: The API endpoints whose records are play candidates (``curation.api.recently_played_plays``).
API_PLAY_ENDPOINTS = endpoints.endpoints_of_step(Step.PLAYS)


class CurationFailed(RuntimeError):
    """A blocking data-quality check failed; the message names it. Nothing was published."""


def new_run_id(now: datetime) -> str:
    return f"curate-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


# --- merging -----------------------------------------------------------------------------------------------


def _partition_values(df: DataFrame, column: str) -> set[str]:
    """Distinct partition values (a few hundred at most: months since 2006): metadata, not data."""
    return {r[0] for r in df.select(column).distinct().collect() if r[0] is not None}


def _has_partitions(state: RunState, table: Table) -> bool:
    """Whether a merge may read curated partitions back: never on a full refresh (which replaces every
    partition) nor on a first run. Otherwise the partitions a run touches are collected (a small job)."""
    return not state.full_refresh and bool(current_locations(state, table).locations)


def _latest_first(df: DataFrame, key: tuple[str, ...]) -> DataFrame:
    """Label rows of one key: the newest extraction is ``kept`` (new rows before curated ones)."""
    order = Window.partitionBy(*key).orderBy(
        F.col("_new").desc(),
        F.col("extracted_at").desc_nulls_last(),
        F.col("raw_object").desc_nulls_last(),
        F.col("_record_index").desc_nulls_last(),
    )
    return df.withColumn("_fate", F.when(F.row_number().over(order) == 1, "kept").otherwise("duplicate"))


def curate_keyed(state: RunState, table: Table, new_rows: DataFrame) -> None:
    """Snapshot-style tables: new valid rows merged into the affected partitions, latest extraction wins."""
    valid = split(state, new_rows).withColumn("_new", F.lit(True))
    columns = [f.name for f in struct_type(table).fields]
    partitions = None
    if table.partition_key is not None and _has_partitions(state, table):
        partitions = _partition_values(valid, table.partition_key)
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
    labelled = state.persist(_latest_first(merged, table.key))
    stage(state, table, labelled.where(F.col("_fate") == "kept"), partitions)
    count_outcomes(state, labelled.where("_new").select("_source", F.col("_fate").alias("outcome")))


def curate_plays(state: RunState, candidates: DataFrame, families: frozenset[str] = plays.FAMILIES) -> DataFrame:
    """Plays: dedup and merge new candidates with the curated plays they may touch; returns what was staged.

    ``families`` are the play families the new candidates may hold (see :func:`plays.merge_plays`)."""
    acct = F.when(F.col("source") == "api", F.lit("api:recently_played")).otherwise(F.col("source"))
    valid = split(state, candidates.withColumn("_source", acct))
    # Not persisted: a projection of the persisted candidates, read by one materialisation in merge_plays.
    new = plays.prepare_new(valid)
    months: set[str] = set()
    if _has_partitions(state, PLAYS):
        reach = identity.MERGE_REACH_S  # how far from a new play a curated one can change fate
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
        rows, present = new, families
    else:  # curated rows may be of any family: merge_plays looks
        rows, present = new.unionByName(plays.prepare_existing(existing)), None
    merged = state.persist(plays.merge_plays(rows, present))
    kept = plays.kept_plays(merged)
    stage(state, PLAYS, kept, months, clustered=True)
    source = F.when(F.col("source") == "api", F.lit("api:recently_played")).otherwise(F.col("source"))
    # New rows are kept or duplicates; curated plays of earlier runs that this run's rows replaced (an account
    # play absorbed by the extended export imported later, a 0 ms row beaten by a longer same-second
    # duplicate) are superseded, counted per source of the replaced row, so that loaded - superseded summed
    # over runs is the table's row count.
    outcome = F.when(F.col("_new"), F.col("_fate")).when(F.col("_fate") == "duplicate", F.lit("superseded"))
    count_outcomes(state, merged.select(source.alias("_source"), outcome.alias("outcome")).where("outcome IS NOT NULL"))
    return kept


def curate_catalogue(state: RunState, table: Table, observations: DataFrame) -> DataFrame:
    """A catalogue table (one key column): new observations merged attribute-wise into the curated rows."""
    (key,) = table.key
    existing = read_existing(state, table, None)
    columns = [f.name for f in struct_type(table).fields]
    rows = observations.select(*columns)
    if existing is not None:
        rows = rows.unionByName(existing.select(*columns))
    latest = api.latest_attributes(rows, key).select(*columns)
    stage(state, table, latest)
    return latest


# --- the run -----------------------------------------------------------------------------------------


def run(
    spark: SparkSession,
    paths: LakePaths,
    *,
    run_id: str | None = None,
    full_refresh: bool = False,
    now: datetime | None = None,
    catalog: Catalog | None = None,
) -> CurationSummary:
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
    groups = classify(todo)
    logger.info(
        "curation run %s: %d raw objects listed, %d to process (full_refresh=%s)",
        state.run_id,
        len(listing),
        len(todo),
        full_refresh,
    )
    summary = CurationSummary(
        run_id=state.run_id,
        started_at=started.isoformat(),
        full_refresh=full_refresh,
        raw_objects={"listed": len(listing), **{k: len(v) for k, v in groups.items()}},
    )
    try:
        if todo:
            with sized_for_input(spark, sum(o.length for o in todo)), session_conf(spark, listing_settings(paths)):
                _process(state, groups, summary)
        else:
            summary.status, summary.sources, summary.tables, summary.data_quality = CURATION_NOTHING_TO_DO, {}, {}, []
        if todo or full_refresh:
            write_manifest(state, todo)
    finally:
        for df in state.persisted:
            df.unpersist()
        state.fs.delete(paths.staging(state.run_id))
        summary.finished_at = datetime.now(UTC).isoformat()
        state.fs.write_text(paths.run_summary(state.run_id), summary.to_json())
        logger.info("curation summary %s", json.dumps(summary.to_dict(), sort_keys=True))
    return summary


def _process(state: RunState, groups: dict[str, list[RawObject]], out: CurationSummary) -> None:
    """Read, merge, stage, check and publish; fills ``out`` (whose status stays failed unless all of it ends)."""
    envelopes, export_candidates, reads = _read_inputs(state, groups)
    _quarantine_unknown_endpoints(state, envelopes)
    quarantine_objects(state, groups, reads)

    # Only tables with new input are rebuilt; a full refresh clears the ones whose input is gone.
    # The endpoints of this run's API objects: the registry (lake_contract.endpoints) says which step each takes.
    present = {endpoint_of(o.key) for o in groups["api"]}
    with steps_side_by_side(state) as start:
        start(
            functools.partial(
                _plays_step, groups=groups, envelopes=envelopes, export_candidates=export_candidates, present=present
            )
        )
        _catalogue_steps(state, start, envelopes, present)  # plans while the plays are merged
        _snapshot_steps(state, start, envelopes, present)
    results, sources = _check(state, reads)

    out.sources, out.data_quality = sources, results
    failed = quality.failures(results)
    if failed:
        out.status = CURATION_FAILED
        failing = ", ".join(
            f"{r.table_name}.{r.check_name} (observed {r.observed:g}, limit {r.threshold:g})" for r in failed
        )
        raise CurationFailed(f"blocking data-quality check failed: {failing}")
    out.tables = publish(state)
    out.status = CURATION_SUCCEEDED


def _read_inputs(
    state: RunState, groups: dict[str, list[RawObject]]
) -> tuple[DataFrame, DataFrame | None, list[DataFrame]]:
    """(API envelopes, export play candidates or None, each input's ``_source`` column for the accounting).

    One read of each kind of input; the parsed frames are reused by every table and by the accounting.
    """
    spark = state.spark
    reads: list[DataFrame] = []
    # Damaged API objects become one quarantined record each (in accounting.quarantine_objects); the rest are read.
    # Spark's file readers skip zero-length files: those are found from the listing.
    state.unreadable = {o.key: "empty object" for o in groups["api"] if o.length == 0}
    non_empty_api = [o for o in groups["api"] if o.length > 0]
    if non_empty_api:
        state.unreadable |= unreadable_api_objects(spark, state.fs, non_empty_api)
    readable_api = [o for o in groups["api"] if o.key not in state.unreadable]
    lines = read_api_lines(spark, readable_api) if readable_api else empty_lines(spark)
    envelopes = state.persist(api.parse_envelopes(lines))
    reads.append(envelopes.select("_source"))
    non_empty = [o for o in groups["export"] if o.length > 0]
    if not non_empty:
        return envelopes, None, reads
    export_candidates = read_export_candidates(state, non_empty)
    reads.append(export_candidates.select(F.col("source").alias("_source")))
    return envelopes, export_candidates, reads


def _quarantine_unknown_endpoints(state: RunState, envelopes: DataFrame) -> None:
    """Lines of endpoints curation does not know are quarantined, never dropped."""
    known = list(api.raw_schemas.ITEM_SCHEMAS)
    unknown_lines = envelopes.where(~F.col("endpoint").isin(known)).select(
        "raw_object",
        "_record_index",
        "listener_id",
        F.lit("unknown endpoint").alias("_reason"),
        "_raw_text",
        "_source",
    )
    split(state, unknown_lines.withColumn("_raw_text", F.lit(None).cast("string")))


def _plays_step(
    state: RunState,
    groups: dict[str, list[RawObject]],
    envelopes: DataFrame,
    export_candidates: DataFrame | None,
    present: set[str | None],
) -> None:
    """API and export play candidates merged into ``plays``, or the table cleared when neither is new."""
    if not present.intersection(API_PLAY_ENDPOINTS) and export_candidates is None:
        state.cleared.add(PLAYS.name)
        return
    candidates = api.recently_played_plays(envelopes, state.now_col)
    if export_candidates is not None:
        candidates = candidates.unionByName(export_candidates)
    curate_plays(state, candidates, _play_families(present, groups["export"]))


def _snapshot_steps(
    state: RunState, start: Callable[[RunStep], None], envelopes: DataFrame, present: set[str | None]
) -> None:
    """Start a step for each snapshot table the registry names whose endpoints have new objects; the others
    are cleared."""
    for name, table_name, names in endpoints.snapshot_steps():
        table = schema.table(table_name)
        if present.intersection(names):
            start(
                functools.partial(
                    _snapshot_step, table=table, transform=api.SNAPSHOT_TRANSFORMS[name], envelopes=envelopes
                )
            )
        else:
            state.cleared.add(table.name)


def _snapshot_step(
    state: RunState, *, table: Table, transform: Callable[[DataFrame, Table], DataFrame], envelopes: DataFrame
) -> None:
    """One snapshot table: the endpoint's rows (``transform`` of the envelopes) merged into its partitions."""
    curate_keyed(state, table, transform(envelopes, table))


def _catalogue_steps(
    state: RunState, start: Callable[[RunStep], None], envelopes: DataFrame, present: set[str | None]
) -> None:
    """Catalogue endpoints' lines (albums, tracks) loaded or quarantined; then tracks, albums and artists merged
    attribute-wise from every endpoint of this run that embeds them, each a step of its own. A table none of
    them feeds is left alone (an artist lookup rewrites neither tracks nor albums)."""
    lines = [e for e in endpoints.endpoints_of_step(Step.CATALOGUE) if e in present]
    if lines:
        start(functools.partial(_catalogue_lines, envelopes=envelopes, names=lines))
    observed = api.catalogue_observations(envelopes, present)
    for table, observations in zip((TRACKS, ALBUMS, ARTISTS), observed, strict=True):
        if observations is None:  # no endpoint of this run feeds it: left alone
            state.cleared.add(table.name)
        else:
            start(functools.partial(curate_catalogue, table=table, observations=observations))


def _catalogue_lines(state: RunState, *, envelopes: DataFrame, names: list[str]) -> None:
    """Catalogue endpoints' lines: those without an id are quarantined, the rest counted as kept."""
    for endpoint in names:
        key = schema.table(endpoints.endpoint(endpoint).tables[0]).key[0]
        lines = api.with_item(envelopes, endpoint)
        lines = lines.withColumn(
            "_reason",
            F.coalesce("_reason", F.when(F.col("item.id").isNull(), F.lit(f"missing {key}"))),
        ).withColumn(
            "_raw_text",
            F.when(F.col("_reason").isNotNull(), F.coalesce("_raw_text", F.substring("item_text", 1, 65536))),
        )
        valid = split(state, lines)
        count_outcomes(state, valid.select("_source", F.lit("kept").alias("outcome")))


def _check(state: RunState, reads: list[DataFrame]) -> tuple[list[quality.CheckResult], dict[str, SourceAccount]]:
    """The checks on the staged rows side by side with the accounting, which then appends the quarantined rows
    (when there are any: most runs quarantine nothing, and their append was a job and a file of no rows); then
    the data_quality rows appended. A blocking failure then publishes nothing."""
    checked_at = state.now.replace(tzinfo=None)
    with side_by_side() as threads:
        checks = threads.submit(_table_checks, state)
        accounting = threads.submit(_accounting, state, reads, checked_at)
    results, sources = checks.result(), accounting.result()
    results.append(quality.accounting_check(sources))
    dq_rows = [
        (state.run_id, r.table_name, r.check_name, r.observed, r.threshold, r.passed, r.blocking, checked_at)
        for r in results
    ]
    append(state, DATA_QUALITY, state.spark.createDataFrame(dq_rows, struct_type(DATA_QUALITY)))
    return results, sources


def _accounting(state: RunState, reads: list[DataFrame], checked_at: datetime) -> dict[str, SourceAccount]:
    """Every source's figures; the quarantined rows appended to the quarantine table when there are some."""
    with timed("accounting"):
        sources = source_figures(state, union(reads))
    if any(account.quarantined_total for account in sources.values()):
        append(state, QUARANTINE, quarantine_rows(state, checked_at))
    return sources


def _table_checks(state: RunState) -> list[quality.CheckResult]:
    """The staged tables' checks. Every table's metrics are one aggregate row; their union is collected in one
    Spark job."""
    tables = list(state.staged.values())
    metrics: list[DataFrame] = []
    now_ts = state.now.replace(tzinfo=None)
    for table in tables:
        metrics.append(quality.table_metrics(table, _staged(state, table), now_ts))
    if PLAYS.name in state.staged:
        metrics.append(quality.reference_metrics(_staged(state, PLAYS), _known_tracks(state)))
    if not metrics:
        return []
    with timed("data quality"):
        return quality.check_results(tables, union(metrics))


def _staged(state: RunState, table: Table) -> DataFrame:
    return state.spark.read.schema(struct_type(table)).parquet(version_uri(state, table))


def _known_tracks(state: RunState) -> DataFrame:
    """The tracks a staged play may reference: this run's staged version, else the published one."""
    if TRACKS.name in state.staged:
        return _staged(state, TRACKS)
    return read_existing(state, TRACKS, None) or empty(state.spark, struct_type(TRACKS))


def _play_families(api_endpoints: set[str | None], export_objects: list[RawObject]) -> frozenset[str]:
    """The play families this run's raw objects can yield (an over-estimate is safe, merely slower)."""
    families = {"api"} if api_endpoints.intersection(API_PLAY_ENDPOINTS) else set()
    for o in export_objects:
        if o.key.startswith(LIBRARY_PREFIX):
            continue
        families.add(plays.family_of_source("export_" + export_kind(o.key)))
    return frozenset(families)
