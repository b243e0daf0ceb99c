"""Data-quality checks run on the staged output of a curation run, before anything is swapped in."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from curation.schema import PLAYS, Table


@dataclass(frozen=True)
class CheckResult:
    table_name: str
    check_name: str
    observed: float
    threshold: float
    passed: bool
    blocking: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _at_most(table: str, check: str, observed: float, threshold: float = 0.0, *, blocking: bool = True):
    return CheckResult(table, check, float(observed), float(threshold), observed <= threshold, blocking)


def table_checks(table: Table, rows: DataFrame) -> list[CheckResult]:
    """Non-null keys and unique keys, in one aggregation over the staged rows."""
    key_null = F.lit(False)
    for k in table.key:
        key_null = key_null | F.col(k).isNull()
    aggs = [
        F.count(F.lit(1)).alias("n"),
        F.sum(key_null.cast("int")).alias("null_keys"),
        F.count_distinct(F.struct(*table.key)).alias("distinct_keys"),
    ]
    if table is PLAYS:
        aggs += [
            F.sum((F.col("ms_played") < 0).cast("int")).alias("negative_ms"),
            F.max("played_at").alias("latest"),
        ]
    got = rows.agg(*aggs).first()
    n = got["n"] or 0
    results = [
        _at_most(table.name, "non_null_keys", got["null_keys"] or 0),
        _at_most(
            table.name, f"unique_{'_'.join(table.key) if len(table.key) == 1 else 'key'}", n - got["distinct_keys"]
        ),
    ]
    if table is PLAYS:
        results.append(_at_most(table.name, "ms_played_non_negative", got["negative_ms"] or 0))
    return results


def plays_checks(plays: DataFrame, known_tracks: DataFrame, now) -> list[CheckResult]:
    """No plays in the future; every API play's track id present in ``tracks``."""
    future = plays.where(F.col("played_at") > F.lit(now)).count()
    api_tracks = plays.where((F.col("source") == "api") & F.col("track_id").isNotNull()).select("track_id")
    unknown = api_tracks.join(known_tracks.select("track_id"), "track_id", "left_anti").count()
    return [
        _at_most(PLAYS.name, "no_future_plays", future),
        _at_most(PLAYS.name, "known_track_references", unknown),
    ]


def accounting_check(sources: dict[str, dict]) -> CheckResult:
    """Sum over sources of |read - (loaded + duplicates + quarantined)|: must be exactly 0."""
    off = sum(abs(s["read"] - (s["loaded"] + s["duplicates"] + s["quarantined_total"])) for s in sources.values())
    return _at_most("*", "row_accounting", off)


def failures(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.blocking and not r.passed]
