"""Data-quality checks run on the staged output of a curation run, before anything is swapped in."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from curation.schema import PLAYS, Table
from lake_contract.summaries import CheckResult, SourceAccount

__all__ = ["CheckResult", "accounting_check", "check_results", "failures", "reference_metrics", "table_metrics"]


def _at_most(table: str, check: str, observed: float, threshold: float = 0.0, *, blocking: bool = True):
    return CheckResult(table, check, float(observed), float(threshold), observed <= threshold, blocking)


_METRICS = ("n", "null_keys", "distinct_keys", "negative_ms", "future", "unknown_tracks")


def _metrics(name: str, **aggs) -> list:
    """One row of metrics (every name in ``_METRICS``, 0 where a check does not apply) labelled ``name``."""
    return [F.lit(name).alias("table_name"), *[aggs.get(m, F.lit(0)).cast("bigint").alias(m) for m in _METRICS]]


def table_metrics(table: Table, rows: DataFrame, now) -> DataFrame:
    """Non-null keys, unique keys (and for plays: negative ms_played, future plays) as one aggregate row."""
    key_null = F.lit(False)
    for k in table.key:
        key_null = key_null | F.col(k).isNull()
    aggs = {
        "n": F.count(F.lit(1)),
        "null_keys": F.coalesce(F.sum(key_null.cast("int")), F.lit(0)),
        "distinct_keys": F.count_distinct(F.struct(*table.key)),
    }
    if table is PLAYS:
        aggs["negative_ms"] = F.coalesce(F.sum((F.col("ms_played") < 0).cast("int")), F.lit(0))
        aggs["future"] = F.coalesce(F.sum((F.col("played_at") > F.lit(now)).cast("int")), F.lit(0))
    return rows.agg(*_metrics(table.name, **aggs))


def reference_metrics(plays: DataFrame, known_tracks: DataFrame) -> DataFrame:
    """API plays whose track id is not in ``tracks``, as one aggregate row."""
    api_tracks = plays.where((F.col("source") == "api") & F.col("track_id").isNotNull()).select("track_id")
    unknown = api_tracks.join(known_tracks.select("track_id"), "track_id", "left_anti")
    return unknown.agg(*_metrics(f"{PLAYS.name}:references", unknown_tracks=F.count(F.lit(1))))


def check_results(tables: list[Table], metrics: DataFrame) -> list[CheckResult]:
    """Every check from the metric rows, collected in one Spark job (one small row per table)."""
    got = {r["table_name"]: r for r in metrics.collect()}
    results: list[CheckResult] = []
    for table in tables:
        row = got[table.name]
        key_name = "_".join(table.key) if len(table.key) == 1 else "key"
        results += [
            _at_most(table.name, "non_null_keys", row["null_keys"]),
            _at_most(table.name, f"unique_{key_name}", row["n"] - row["distinct_keys"]),
        ]
        if table is PLAYS:
            results.append(_at_most(table.name, "ms_played_non_negative", row["negative_ms"]))
    if PLAYS in tables:
        results += [
            _at_most(PLAYS.name, "no_future_plays", got[PLAYS.name]["future"]),
            _at_most(PLAYS.name, "known_track_references", got[f"{PLAYS.name}:references"]["unknown_tracks"]),
        ]
    return results


def accounting_check(sources: dict[str, SourceAccount]) -> CheckResult:
    """Sum over sources of |read - (loaded + duplicates + quarantined)|: must be exactly 0."""
    off = sum(abs(account.imbalance()) for account in sources.values())
    return _at_most("*", "row_accounting", off)


def failures(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.blocking and not r.passed]
