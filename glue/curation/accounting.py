"""A curation run's record accounting: every record read ends up loaded, a duplicate or quarantined, and
the run summary says how many of each, per source (``read == loaded + duplicates + quarantined``).

The steps of the run (:mod:`curation.job`) report here: rows with a reason go to quarantine through
:func:`split`, raw objects that yield no records become one quarantined record each
(:func:`quarantine_objects`), and each merge counts its labelled outcomes (:func:`count_outcomes`). One
aggregation of the reads and the quarantined rows, plus those counts (:func:`source_figures`), gives the
summary's per-source figures.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from curation import exports
from curation.lake import RawObject
from curation.reading import endpoint_of, export_kind, listener_of, read_whole_files, union
from curation.state import RunState
from lake_contract import keys
from lake_contract.summaries import SourceAccount


def split(state: RunState, rows: DataFrame) -> DataFrame:
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


def quarantine_objects(state: RunState, groups: dict[str, list[RawObject]], reads: list[DataFrame]) -> None:
    """The extractor's own quarantine objects and unknown raw objects: one quarantined record each."""
    spark = state.spark
    if groups["extractor_quarantine"]:
        files = read_whole_files(spark, groups["extractor_quarantine"])
        pattern = keys.QUARANTINE_OBJECT
        endpoint = F.regexp_extract("raw_object", pattern.regex, pattern.group("endpoint"))
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
        rows = state.persist(rows)
        reads.append(rows.select("_source"))
        split(state, rows)
    # Spark's file readers skip zero-length files, so empty exports are quarantined from the listing.
    data: list[tuple[str, int, str | None, str, None, str]] = [
        (o.key, -1, listener_of(o.key), "empty file", None, "export_" + export_kind(o.key))
        for o in groups["export"]
        if o.length == 0
    ]
    data += [(o.key, -1, None, "unknown raw object", None, "unknown") for o in groups["unknown"]]
    data += [
        (
            o.key,
            -1,
            listener_of(o.key),
            state.unreadable[o.key],
            None,
            f"api:{endpoint_of(o.key) or ''}",
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
        split(state, rows)


def count_outcomes(state: RunState, labelled: DataFrame) -> None:
    """Count a merge's outcomes (``_source``, ``outcome`` columns: kept, duplicate, superseded) into the run's
    figures: one small job over rows the step has just written, run by the step itself. (Counting every
    step's outcomes in the run's final aggregation instead made Spark analyse one plan holding every step's
    lineage, seconds of driver time even for a small run.)"""
    for row in labelled.groupBy("_source", "outcome").count().collect():
        state.outcomes[(row["_source"], row["outcome"])] += row["count"]


def source_figures(state: RunState, reads: DataFrame) -> dict[str, SourceAccount]:
    """Per source: read, loaded, duplicates, quarantined by reason, and superseded (curated rows of earlier
    runs that this run replaced; not part of ``read``, so ``read == loaded + duplicates + quarantined``).
    One small aggregation to the driver counts the reads (from the parsed input) and the quarantined rows; the
    merges' outcomes were counted by their steps."""
    sources: dict[str, SourceAccount] = {}

    none = F.lit(None).cast("string")
    parts = [reads.select("_source", F.lit("read").alias("outcome"), none.alias("reason"))]
    parts += [q.select("_source", F.lit("quarantined").alias("outcome"), "reason") for q in state.quarantine]
    counted = [
        (row["_source"], row["outcome"], row["reason"], row["count"])
        for row in union(parts).groupBy("_source", "outcome", "reason").count().collect()
    ]
    counted += [(source, outcome, None, n) for (source, outcome), n in state.outcomes.items()]
    for source, outcome, reason, n in counted:
        account = sources.setdefault(source, SourceAccount())
        if outcome == "read":
            account.read += n
        elif outcome == "kept":
            account.loaded += n
        elif outcome == "duplicate":
            account.duplicates += n
        elif outcome == "superseded":
            account.superseded += n
        else:
            account.quarantine(reason, n)
    return dict(sorted(sources.items()))


def quarantine_rows(state: RunState, quarantined_at: datetime) -> DataFrame:
    """This run's quarantined records as rows of the quarantine table."""
    return union([q.drop("_source") for q in state.quarantine]).select(
        F.lit(state.run_id).alias("run_id"),
        "source_object",
        "record_index",
        "listener_id",
        "reason",
        "raw_text",
        F.lit(quarantined_at).cast("timestamp").alias("quarantined_at"),
    )
