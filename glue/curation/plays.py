"""Play identity, deduplication and the merge of API and export plays (see docs/CURATION.md).

Every function is ``DataFrame -> DataFrame``. Candidates carry the ``plays`` columns plus ``_new`` (read in
this run), ``raw_object``/``_record_index`` (lineage) and, after :func:`merge_plays`, ``_fate``: ``kept`` or
``duplicate``. Labelling instead of filtering lets the job count every new row exactly once.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from curation.schema import PLAYS
from curation.spark_schema import struct_type

#: How far apart (seconds) an API play and an export play of the same track may end and still be one play.
API_EXPORT_TOLERANCE_S = 60
#: Account-data exports give the end minute only ("2024-01-05 14:23"): the real end lies in [minute, minute+60 s).
#: Widened by the tolerance on both sides, another source's play of the same names matches when it ends in
#: [endTime - 60 s, endTime + 120 s]; the nearest to endTime + 30 s wins.
ACCOUNT_WINDOW_S = (-60, 120)

#: Lower is richer: the row kept when two rows of a family are the same play.
SOURCE_PREFERENCE = {"export_extended": 0, "export_legacy": 1, "api": 2, "export_account": 3}

_API_FIELDS = ("track_id", "artist_id", "album_id", "duration_ms", "context_type", "context_uri", "album_name")


#: Sources that are a family of their own; every other source (extended, legacy export) is "export".
_FAMILY_OF = {"api": "api", "export_account": "account"}


def family(source: Column) -> Column:
    """api | export (extended and legacy: seconds and URIs) | account (minutes, names only)."""
    out = F
    for name, fam in _FAMILY_OF.items():
        out = out.when(source == name, fam)
    return out.otherwise("export")


def family_of_source(source: str) -> str:
    """:func:`family` for a source name known on the driver."""
    return _FAMILY_OF.get(source, "export")


def _norm(column: Column) -> Column:
    return F.lower(F.trim(column))


def name_key() -> Column:
    """Lower-cased 'track|artist' (or 'episode|show'); null without a name."""
    title = F.coalesce(F.col("track_name"), F.col("episode_name"), F.col("audiobook_title"))
    by = F.coalesce(F.col("artist_name"), F.col("show_name"), F.lit(""))
    return F.when(title.isNotNull(), F.concat_ws("|", _norm(title), _norm(by)))


def identity_key() -> Column:
    """The play's content: its Spotify URI, or without one, its names."""
    return F.coalesce(
        F.col("track_uri"),
        F.col("episode_uri"),
        F.col("audiobook_uri"),
        F.concat(F.lit("name:"), F.coalesce(name_key(), F.lit(""))),
    )


def play_id() -> Column:
    """32 hex of sha256(listener | end time to the second | identity key)."""
    second = F.date_format("played_at", "yyyy-MM-dd'T'HH:mm:ss")
    return F.substring(F.sha2(F.concat_ws("|", F.col("listener_id"), second, identity_key()), 256), 1, 32)


def with_play_id(candidates: DataFrame) -> DataFrame:
    return candidates.withColumn("play_id", play_id())


def is_stream() -> Column:
    """ms_played >= 30 s; the API lists only plays longer than 30 s, so an API play without ms_played is one."""
    return F.when(F.col("ms_played").isNotNull(), F.col("ms_played") >= 30000).when(F.col("source") == "api", True)


def play_month() -> Column:
    return F.date_format("played_at", "yyyy-MM")


def _row_id() -> Column:
    """Unique per candidate, deterministic (unlike monotonically_increasing_id under recomputation)."""
    return F.concat_ws(
        "|",
        F.col("play_id"),
        F.col("source"),
        F.col("_new").cast("string"),
        F.coalesce(F.col("raw_object"), F.lit("")),
        F.coalesce(F.col("_record_index").cast("string"), F.lit("")),
    )


def nearest_pairs(left: DataFrame, right: DataFrame, keys: list[str], lo: float, hi: float) -> DataFrame:
    """Mutually nearest (l_rid, r_rid) pairs with equal ``keys`` and ``r_t - l_t`` in [lo, hi].

    Both inputs have ``_rid``, ``_t`` (epoch seconds, double) and ``keys``. An equi-join on time buckets of
    width hi - lo keeps this a hash join instead of a cross join; distance is measured to the window centre.
    """
    width = float(hi - lo)
    centre = (lo + hi) / 2.0
    lft = left.select(
        *keys, F.col("_rid").alias("l_rid"), F.col("_t").alias("l_t"), F.floor(F.col("_t") / width).alias("_b")
    )
    rgt = right.select(
        *keys,
        F.col("_rid").alias("r_rid"),
        F.col("_t").alias("r_t"),
        F.explode(
            F.array_distinct(F.array(F.floor((F.col("_t") - hi) / width), F.floor((F.col("_t") - lo) / width)))
        ).alias("_b"),
    )
    delta = F.col("r_t") - F.col("l_t")
    cand = (
        lft.join(rgt, [*keys, "_b"])
        .where((delta >= lo) & (delta <= hi))
        .select("l_rid", "r_rid", F.abs(delta - centre).alias("_d"))
    )
    by_left = Window.partitionBy("l_rid").orderBy("_d", "r_rid")
    by_right = Window.partitionBy("r_rid").orderBy("_d", "l_rid")
    return (
        cand.withColumn("_nl", F.row_number().over(by_left))
        .withColumn("_nr", F.row_number().over(by_right))
        .where((F.col("_nl") == 1) & (F.col("_nr") == 1))
        .select("l_rid", "r_rid")
    )


def prepare_existing(existing: DataFrame) -> DataFrame:
    """Curated rows read back for a merge: same columns as candidates, ``_new`` false."""
    return existing.select(
        *[c.name for c in PLAYS.columns],
        F.lit(False).alias("_new"),
        F.lit(None).cast("bigint").alias("_record_index"),
    )


def prepare_new(candidates: DataFrame) -> DataFrame:
    """Valid play candidates of this run (``_reason`` null) with ids: the columns of :func:`prepare_existing`."""
    with_ids = with_play_id(candidates).withColumn("is_stream", is_stream())
    return with_ids.select(
        *[c.name for c in PLAYS.columns], F.lit(True).alias("_new"), F.col("_record_index").cast("bigint")
    )


#: Every family a candidate can belong to (see :func:`family`).
FAMILIES = frozenset({"api", "export", "account"})


def merge_plays(candidates: DataFrame, families: frozenset[str] = FAMILIES) -> DataFrame:
    """Label every candidate ``kept`` or ``duplicate`` and enrich the kept rows from their merged partners.

    1. Within a family (api / export / account), rows with the same play_id are one play: the richer
       source wins (extended over legacy), then the row already curated, then lineage order.
    2. API play + export play of the same track URI ending <= 60 s apart (mutually nearest): the export row
       stays (its ms_played, reasons, skipped, timestamp and play_id) and takes the API's ids and context.
    3. Account-data play + any other play with the same names in the account window: the other row stays
       and takes the account's ms_played if it had none.

    ``families`` are the families the candidates may contain (known from the raw objects read and whether
    curated rows were read back). A step whose two sides cannot both be present is skipped: it could pair
    nothing, and each step scans every row several times (a first import of an export is export-only).
    """
    rows = _label_within_family(candidates)
    if {"api", "export"} <= families:
        rows = _merge_api_into_export(rows)
    if "account" in families and families - {"account"}:
        rows = _merge_account(rows)
    return (
        rows.withColumn("is_stream", is_stream())
        .withColumn("play_month", play_month())
        .drop("_t", "_name_key", "_rid", "_family")
    )


def _label_within_family(candidates: DataFrame) -> DataFrame:
    """Step 1, plus the helper columns of steps 2 and 3 (``_family``, ``_rid``, ``_t``, ``_name_key``)."""
    pref = F.coalesce(*[F.when(F.col("source") == s, F.lit(p)) for s, p in SOURCE_PREFERENCE.items()], F.lit(9))
    order = Window.partitionBy("play_id", "_family").orderBy(
        pref, F.col("_new").asc(), F.col("raw_object").asc_nulls_last(), F.col("_record_index").asc_nulls_last()
    )
    return (
        candidates.withColumn("_family", family(F.col("source")))
        .withColumn("_rid", _row_id())
        .withColumn("_t", F.col("played_at").cast("double"))
        .withColumn("_name_key", name_key())
        .withColumn("_fate", F.when(F.row_number().over(order) == 1, "kept").otherwise("duplicate"))
    )


def _merge_api_into_export(rows: DataFrame) -> DataFrame:
    """Step 2: API <-> export by track URI."""
    # The step reads the labelled rows several times (kept rows, both sides of a join, the result):
    # materialise them once instead of recomputing the whole lineage per branch.
    rows = rows.localCheckpoint()
    kept = rows.where(F.col("_fate") == "kept")
    api = kept.where((F.col("_family") == "api") & F.col("track_uri").isNotNull())
    exp = kept.where((F.col("_family") == "export") & F.col("track_uri").isNotNull())
    ae = nearest_pairs(
        exp, api, ["listener_id", "track_uri"], -API_EXPORT_TOLERANCE_S, API_EXPORT_TOLERANCE_S
    )  # l = export, r = api
    api_fields = api.select(F.col("_rid").alias("r_rid"), *[F.col(c).alias(f"_api_{c}") for c in _API_FIELDS])
    enrich = ae.join(api_fields, "r_rid").select(
        F.col("l_rid").alias("_rid"),
        *[f"_api_{c}" for c in _API_FIELDS],
        F.lit(None).cast("boolean").alias("_merged_api"),
    )
    absorbed = ae.select(
        F.col("r_rid").alias("_rid"),
        *[F.lit(None).cast(api.schema[c].dataType).alias(f"_api_{c}") for c in _API_FIELDS],
        F.lit(True).alias("_merged_api"),
    )
    # One join of every row with both kinds of mark (a row is an export or an API row, never both, and
    # pairs are mutually nearest, so each _rid is marked at most once): one shuffle of all rows, not two.
    rows = rows.join(enrich.unionByName(absorbed), "_rid", "left")
    for c in _API_FIELDS:
        # The API's ids win; names and context fill gaps only.
        first, second = (f"_api_{c}", c) if c.endswith("_id") or c == "duration_ms" else (c, f"_api_{c}")
        rows = rows.withColumn(c, F.coalesce(F.col(first), F.col(second))).drop(f"_api_{c}")
    return rows.withColumn("_fate", F.when(F.col("_merged_api"), "duplicate").otherwise(F.col("_fate"))).drop(
        "_merged_api"
    )


def _merge_account(rows: DataFrame) -> DataFrame:
    """Step 3: account <-> anything else by names."""
    rows = rows.localCheckpoint()
    kept = rows.where(F.col("_fate") == "kept")
    account = kept.where((F.col("_family") == "account") & F.col("_name_key").isNotNull())
    other = kept.where((F.col("_family") != "account") & F.col("_name_key").isNotNull())
    lo, hi = ACCOUNT_WINDOW_S
    co = nearest_pairs(account, other, ["listener_id", "_name_key"], lo, hi)  # l = account, r = other
    account_ms = account.select(F.col("_rid").alias("l_rid"), F.col("ms_played").alias("_acct_ms"))
    fill = co.join(account_ms, "l_rid").select(
        F.col("r_rid").alias("_rid"), "_acct_ms", F.lit(None).cast("boolean").alias("_merged_account")
    )
    absorbed = co.select(
        F.col("l_rid").alias("_rid"), F.lit(None).cast("bigint").alias("_acct_ms"), F.lit(True).alias("_merged_account")
    )
    rows = rows.join(fill.unionByName(absorbed), "_rid", "left")
    return (
        rows.withColumn("ms_played", F.coalesce("ms_played", "_acct_ms"))
        .withColumn("_fate", F.when(F.col("_merged_account"), "duplicate").otherwise(F.col("_fate")))
        .drop("_acct_ms", "_merged_account")
    )


def kept_plays(merged: DataFrame) -> DataFrame:
    """The rows to write, in the table's column order."""
    cols = [f.name for f in struct_type(PLAYS).fields]
    return merged.where(F.col("_fate") == "kept").select(*cols)
