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
from lake_contract import identity
from lake_contract.identity import STREAM_MS

# The rule's constants and its plain-Python form live in lake_contract.identity; every expression here is
# built from them (tests/curation/test_identity_agrees.py checks that both agree on generated plays).

_API = identity.family_of_source(identity.API_SOURCE)
_ACCOUNT = identity.family_of_source(identity.ACCOUNT_SOURCE)

_API_FIELDS = ("track_id", "artist_id", "album_id", "duration_ms", "context_type", "context_uri", "album_name")


def family(source: Column) -> Column:
    """api | export (extended and legacy: seconds and URIs) | account (minutes, names only)."""
    named = [F.when(source == name, F.lit(fam)) for name, fam in identity.FAMILY_OF.items()]
    return F.coalesce(*named, F.lit(identity.OTHER_FAMILY))


def family_of_source(source: str) -> str:
    """:func:`family` for a source name known on the driver."""
    return identity.family_of_source(source)


def _norm(column: Column) -> Column:
    return F.lower(F.trim(column))


def name_key() -> Column:
    """Lower-cased 'track|artist', 'episode|show', 'chapter|audiobook' or 'audiobook|'; null without a title
    (``lake_contract.identity.name_key`` in plain Python)."""
    chapter = F.col(identity.CHAPTER_COLUMN)
    title = F.coalesce(*[F.col(c) for c in identity.TITLE_COLUMNS])
    by = F.coalesce(
        *[F.col(c) for c in identity.BY_COLUMNS],
        F.when(chapter.isNotNull(), F.col(identity.CHAPTER_BY)),
        F.lit(""),
    )
    return F.when(title.isNotNull(), F.concat_ws("|", _norm(title), _norm(by)))


def identity_key() -> Column:
    """The play's content: its Spotify URI, or without one its names, plus the ms played for account data
    (``lake_contract.identity.play_identity``): a same-minute replay in account data is another play, not a
    duplicate."""
    names = F.concat(F.lit(identity.NAME_PREFIX), F.coalesce(name_key(), F.lit("")))
    account_ms = F.concat(F.lit(identity.ACCOUNT_MS_PREFIX), F.coalesce(F.col("ms_played").cast("string"), F.lit("")))
    return F.coalesce(
        *[F.col(c) for c in identity.URI_COLUMNS],
        F.when(F.col("source") == identity.ACCOUNT_SOURCE, F.concat(names, account_ms)).otherwise(names),
    )


def play_id() -> Column:
    """32 hex of sha256(listener | end time to the second | identity key) (``lake_contract.identity.play_id``)."""
    second = F.date_format("played_at", "yyyy-MM-dd'T'HH:mm:ss")
    return F.substring(F.sha2(F.concat_ws("|", F.col("listener_id"), second, identity_key()), 256), 1, 32)


def with_play_id(candidates: DataFrame) -> DataFrame:
    return candidates.withColumn("play_id", play_id())


def is_stream() -> Column:
    """ms_played >= 30 s (``identity.STREAM_MS``); the API lists only plays longer than 30 s, so an API play
    without ms_played is one."""
    return F.when(F.col("ms_played").isNotNull(), F.col("ms_played") >= STREAM_MS).when(
        F.col("source") == identity.API_SOURCE, True
    )


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


def nearest_pairs(
    left: DataFrame, right: DataFrame, keys: list[str], lo: float, hi: float, *, same_ms: bool = False
) -> DataFrame:
    """Mutually nearest (l_rid, r_rid) pairs with equal ``keys`` and ``r_t - l_t`` in [lo, hi].

    Both inputs have ``_rid``, ``_t`` (epoch seconds, double) and ``keys``. An equi-join on time buckets of
    width hi - lo keeps this a hash join instead of a cross join; distance is measured to the window centre.
    With ``same_ms`` both sides also carry ``ms_played``: a right row that has one must have the left row's
    (the same listen seen by two exports); a right row without one (an API play, which the API lists only
    from 30 s on) pairs with left rows of at least ``STREAM_MS``.
    """
    width = float(hi - lo)
    centre = (lo + hi) / 2.0
    l_extra = [F.col("ms_played").alias("l_ms")] if same_ms else []
    r_extra = [F.col("ms_played").alias("r_ms")] if same_ms else []
    lft = left.select(
        *keys,
        F.col("_rid").alias("l_rid"),
        F.col("_t").alias("l_t"),
        *l_extra,
        F.floor(F.col("_t") / width).alias("_b"),
    )
    rgt = right.select(
        *keys,
        F.col("_rid").alias("r_rid"),
        F.col("_t").alias("r_t"),
        *r_extra,
        F.explode(
            F.array_distinct(F.array(F.floor((F.col("_t") - hi) / width), F.floor((F.col("_t") - lo) / width)))
        ).alias("_b"),
    )
    delta = F.col("r_t") - F.col("l_t")
    condition = (delta >= lo) & (delta <= hi)
    if same_ms:
        condition = condition & F.coalesce(
            F.col("r_ms") == F.col("l_ms"), F.col("r_ms").isNull() & (F.col("l_ms") >= STREAM_MS), F.lit(False)
        )
    cand = lft.join(rgt, [*keys, "_b"]).where(condition).select("l_rid", "r_rid", F.abs(delta - centre).alias("_d"))
    by_left = Window.partitionBy("l_rid").orderBy("_d", "r_rid")
    by_right = Window.partitionBy("r_rid").orderBy("_d", "l_rid")
    return (
        cand.withColumn("_nl", F.row_number().over(by_left))
        .withColumn("_nr", F.row_number().over(by_right))
        .where((F.col("_nl") == 1) & (F.col("_nr") == 1))
        .select("l_rid", "r_rid")
    )


#: Columns computed over the kept rows by :func:`with_overlaps`, not carried by candidates.
DERIVED_COLUMNS = ("overlaps_previous", "ms_wall_clock")
_CANDIDATE_COLUMNS = [c.name for c in PLAYS.columns if c.name not in DERIVED_COLUMNS]


def prepare_existing(existing: DataFrame) -> DataFrame:
    """Curated rows read back for a merge: same columns as candidates, ``_new`` false."""
    return existing.select(
        *_CANDIDATE_COLUMNS,
        F.lit(False).alias("_new"),
        F.lit(None).cast("bigint").alias("_record_index"),
    )


def prepare_new(candidates: DataFrame) -> DataFrame:
    """Valid play candidates of this run (``_reason`` null) with ids: the columns of :func:`prepare_existing`."""
    with_ids = with_play_id(candidates).withColumn("is_stream", is_stream())
    return with_ids.select(*_CANDIDATE_COLUMNS, F.lit(True).alias("_new"), F.col("_record_index").cast("bigint"))


#: Every family a candidate can belong to (see :func:`family`).
FAMILIES = identity.FAMILIES


def merge_plays(candidates: DataFrame, families: frozenset[str] | None = None) -> DataFrame:
    """Label every candidate ``kept`` or ``duplicate`` and enrich the kept rows from their merged partners.

    1. Within a family (api / export / account), rows with the same play_id are one play: the longest
       ms played wins, then the richer source (extended over legacy), then the row already curated, then
       lineage order. (Account play_ids include the ms played, so only true repeats meet here.)
    2. API play + export play of the same track URI ending <= 60 s apart (mutually nearest): the export row
       stays (its ms_played, reasons, skipped, timestamp and play_id) and takes the API's ids and context.
    3. Account-data play + another play with the same names in the account window and the same ms played
       (an API play, which has none, when the account row is a stream): the other row stays and takes the
       account's ms_played if it had none and the audiobook author (only account data names it).

    A curated row (``_new`` false) labelled ``duplicate`` was *superseded* by this run's rows: the job counts
    those so that loaded minus superseded, summed over runs, is the table's row count.

    ``families`` are the families the candidates may contain, when the raw objects read say so (an over-estimate
    is safe); None when curated rows of any family were read back: the labelled rows are then materialised and
    their families looked up (one small job). A step whose two sides are not both present is skipped: it could
    pair nothing, and each step scans every row several times (a first import of an export is export-only; an
    incremental poll over a lake without account data needs no account step).

    The rows come back hash-partitioned by ``play_month`` (the plays table's partition key).
    """
    # Every row of a play shares its play month (the play_id includes the end second), and so does every pair
    # of rows the overlap rule compares once earlier months are carried in (:func:`with_overlaps`): one
    # shuffle by month serves the dedupe window, the overlap window and the partitioned write.
    rows = _label_within_family(candidates.withColumn("play_month", play_month()).repartition("play_month"))
    if families is not None and not (_api_step(families) or _account_step(families)):
        return _merged(rows)
    # The steps read the labelled rows several times (kept rows, both sides of a join, the result):
    # materialise them once instead of recomputing the whole lineage per branch.
    rows = _with_pairing_columns(rows).localCheckpoint()
    if families is None:
        families = frozenset(r[0] for r in rows.where(F.col("_fate") == "kept").select("_family").distinct().collect())
    api_step, account_step = _api_step(families), _account_step(families)
    if api_step:
        rows = _merge_api_into_export(rows)
    if account_step:
        rows = _merge_account(rows.localCheckpoint() if api_step else rows)
    if api_step or account_step:
        rows = rows.repartition("play_month")  # the steps' joins shuffled the rows by row id: by month again
    return _merged(rows)


def _api_step(families: frozenset[str]) -> bool:
    """Whether step 2 can pair anything: API and export-survivor rows both present."""
    return {_API, identity.API_EXPORT_SURVIVOR} <= families


def _account_step(families: frozenset[str]) -> bool:
    """Whether step 3 can pair anything: account rows and rows of another family both present."""
    return _ACCOUNT in families and bool(families - {_ACCOUNT})


def _merged(rows: DataFrame) -> DataFrame:
    """The merged rows' final columns: ``is_stream`` (a merge may have filled ms_played), helpers dropped."""
    return rows.withColumn("is_stream", is_stream()).drop("_t", "_name_key", "_rid", "_family")


def _duplicate_order() -> list[Column]:
    """``identity.DUPLICATE_ORDER`` as Spark sort columns (nulls last, as ``identity.duplicate_rank``)."""
    pref = F.coalesce(
        *[F.when(F.col("source") == s, F.lit(p)) for s, p in identity.SOURCE_PREFERENCE.items()],
        F.lit(identity.UNLISTED_PREFERENCE),
    )
    order = []
    for name, direction in identity.DUPLICATE_ORDER:
        column = pref if name == "source_preference" else F.col(name)
        order.append(column.desc_nulls_last() if direction == "desc" else column.asc_nulls_last())
    return order


def _label_within_family(candidates: DataFrame) -> DataFrame:
    """Step 1: ``_fate`` within each (play_id, family), plus the ``_family`` column the other steps use.

    ``play_month`` leads the window's keys: it adds nothing to the grouping (a play_id fixes the month) but
    lets the window reuse the rows' clustering by month instead of shuffling them by play_id."""
    order = Window.partitionBy("play_month", "play_id", "_family").orderBy(*_duplicate_order())
    return candidates.withColumn("_family", family(F.col("source"))).withColumn(
        "_fate", F.when(F.row_number().over(order) == 1, "kept").otherwise("duplicate")
    )


def _with_pairing_columns(rows: DataFrame) -> DataFrame:
    """The helper columns of steps 2 and 3 (``_rid``, ``_t``, ``_name_key``), added only when a step runs:
    they are wide strings no export-only run needs."""
    if "_rid" in rows.columns:
        return rows
    return (
        rows.withColumn("_rid", _row_id())
        .withColumn("_t", F.col("played_at").cast("double"))
        .withColumn("_name_key", name_key())
    )


def _merge_api_into_export(rows: DataFrame) -> DataFrame:
    """Step 2: API <-> export by track URI (``rows`` materialised: the step reads them several times)."""
    kept = rows.where(F.col("_fate") == "kept")
    api = kept.where((F.col("_family") == _API) & F.col("track_uri").isNotNull())
    exp = kept.where((F.col("_family") == identity.API_EXPORT_SURVIVOR) & F.col("track_uri").isNotNull())
    tolerance = identity.API_EXPORT_TOLERANCE_S
    ae = nearest_pairs(exp, api, ["listener_id", "track_uri"], -tolerance, tolerance)  # l = export, r = api
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
    """Step 3: account <-> anything else by names (``rows`` materialised, as for step 2)."""
    kept = rows.where(F.col("_fate") == "kept")
    account = kept.where((F.col("_family") == _ACCOUNT) & F.col("_name_key").isNotNull())
    other = kept.where((F.col("_family") != _ACCOUNT) & F.col("_name_key").isNotNull())
    lo, hi = identity.ACCOUNT_WINDOW_S
    co = nearest_pairs(account, other, ["listener_id", "_name_key"], lo, hi, same_ms=True)  # l = account
    account_fill = account.select(
        F.col("_rid").alias("l_rid"),
        F.col("ms_played").alias("_acct_ms"),
        F.col("audiobook_author").alias("_acct_author"),
    )
    fill = co.join(account_fill, "l_rid").select(
        F.col("r_rid").alias("_rid"), "_acct_ms", "_acct_author", F.lit(None).cast("boolean").alias("_merged_account")
    )
    absorbed = co.select(
        F.col("l_rid").alias("_rid"),
        F.lit(None).cast("bigint").alias("_acct_ms"),
        F.lit(None).cast("string").alias("_acct_author"),
        F.lit(True).alias("_merged_account"),
    )
    rows = rows.join(fill.unionByName(absorbed), "_rid", "left")
    return (
        rows.withColumn("ms_played", F.coalesce("ms_played", "_acct_ms"))
        # Only account-data audiobook files name the author: the extended row that absorbs one keeps it.
        .withColumn("audiobook_author", F.coalesce("audiobook_author", "_acct_author"))
        .withColumn("_fate", F.when(F.col("_merged_account"), "duplicate").otherwise(F.col("_fate")))
        .drop("_acct_ms", "_acct_author", "_merged_account")
    )


def with_overlaps(kept: DataFrame) -> DataFrame:
    """``overlaps_previous`` and ``ms_wall_clock`` of kept plays, per listener and platform string (one device).

    A play started (``played_at - ms_played``) before an earlier play on the same platform ended overlaps it:
    real exports hold bursts of one track every few seconds on a remote-controlled device whose summed
    ms_played exceeds the wall-clock time. ``ms_wall_clock`` is the part of the play not already covered by
    earlier plays on the device, so summing it gives wall-clock listening. Plays without a platform (API,
    account data) or without ms_played cannot overlap: their wall-clock ms is their ms_played.
    """
    end_ms = F.col("played_at").cast("double") * 1000
    start_ms = end_ms - F.col("ms_played")
    known = F.col("platform").isNotNull() & F.col("ms_played").isNotNull()
    device = ["listener_id", "platform"]
    # The window runs per device and month (the rows are clustered by month, and one device's whole history
    # in one window would be one task); the latest end on the device in earlier months is carried in.
    month = Window.partitionBy("play_month", *device).orderBy("played_at", "play_id")
    before = month.rowsBetween(Window.unboundedPreceding, -1)
    month_ends = kept.where(known).groupBy(*device, "play_month").agg(F.max(end_ms).alias("_month_end"))
    earlier_months = Window.partitionBy(*device).orderBy("play_month").rowsBetween(Window.unboundedPreceding, -1)
    carried = month_ends.select(*device, "play_month", F.max("_month_end").over(earlier_months).alias("_carried"))
    timed = kept.join(F.broadcast(carried), [*device, "play_month"], "left").withColumn(
        "_prev_end", F.when(known, F.greatest(F.max(F.when(known, end_ms)).over(before), F.col("_carried")))
    )
    covered = F.greatest(F.least(F.col("_prev_end"), end_ms) - start_ms, F.lit(0.0))
    overlapped = known & F.col("_prev_end").isNotNull() & (F.col("_prev_end") > start_ms)
    return (
        timed.withColumn("overlaps_previous", F.when(known, overlapped).otherwise(F.lit(False)))
        .withColumn(
            "ms_wall_clock",
            F.when(
                overlapped, F.greatest(F.col("ms_played") - F.round(covered).cast("bigint"), F.lit(0).cast("bigint"))
            ).otherwise(F.col("ms_played")),
        )
        .drop("_prev_end", "_carried")
    )


def kept_plays(merged: DataFrame) -> DataFrame:
    """The rows to write, in the table's column order, with the overlap columns computed over them; still
    clustered by ``play_month`` as :func:`merge_plays` left them (the table's partition key)."""
    cols = [f.name for f in struct_type(PLAYS).fields]
    return with_overlaps(merged.where(F.col("_fate") == "kept")).select(*cols)
