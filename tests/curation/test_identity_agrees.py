"""Curation's Spark expressions and ``lake_contract.identity`` agree on generated plays.

The Spark side is what builds the lake; the plain-Python side is what the synthetic exports, the benchmark and
the import count with. Both are built from the same constants, and here hypothesis looks for a play on which
they still differ: its identity, play id and listener id, and which row of two stays in the merge.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from curation import api, plays
from lake_contract import identity

SOURCES = [identity.API_SOURCE, identity.EXTENDED_SOURCE, identity.LEGACY_SOURCE, identity.ACCOUNT_SOURCE]
NAME_COLUMNS = (*identity.TITLE_COLUMNS, *identity.BY_COLUMNS)
START = datetime(2024, 1, 31, 23, 0, tzinfo=UTC)

# Each example is a Spark job or a few: few examples, each with many plays, keep this well under a minute.
SPARK_SETTINGS = settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

names = st.none() | st.text(alphabet="aZ éÜ|", max_size=4)
uris = {
    "track_uri": st.none() | st.sampled_from(["spotify:track:T1", "spotify:track:T2"]),
    "episode_uri": st.none() | st.just("spotify:episode:E1"),
    "audiobook_uri": st.none() | st.sampled_from(["spotify:chapter:C1", "spotify:audiobook:B1"]),
}
ms_played = st.none() | st.sampled_from([0, 29_999, 30_000, 200_000]) | st.integers(0, 400_000)


@st.composite
def contents(draw: st.DrawFn) -> dict[str, Any]:
    """What was played: URIs, names (empty strings included: they are present, unlike nulls) and ms played."""
    out = {c: draw(s) for c, s in uris.items()}
    out |= {c: draw(names) for c in NAME_COLUMNS}
    out["ms_played"] = draw(ms_played)
    return out


@st.composite
def identity_plays(draw: st.DrawFn) -> dict[str, Any]:
    offset = draw(st.integers(0, 3 * 86_400_000_000))  # microseconds: the end second truncates them
    return {
        "listener_id": draw(st.sampled_from(["3dc9738c1761942d", "L2"])),
        "played_at": START + timedelta(microseconds=offset),
        "source": draw(st.sampled_from(SOURCES)),
        "user": draw(st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8)),
        **draw(contents()),
    }


def _frame(spark, rows: list[dict[str, Any]], extra: tuple[str, ...] = ()):
    """The rows as ``plays`` candidates: every column of the table, null where the row does not say."""
    typed = {c.name: c.type for c in plays.PLAYS.all_columns if c.name not in ("play_id", "play_month")}
    columns = [*typed, *extra]
    types = {**typed, "_new": "boolean", "_record_index": "bigint", "user": "string"}
    schema = ", ".join(f"`{c}` {types[c]}" for c in columns)
    return spark.createDataFrame([tuple(r.get(c) for c in columns) for r in rows], schema)


@SPARK_SETTINGS
@given(st.lists(identity_plays(), min_size=1, max_size=30))
def test_identity_play_id_and_listener_id_agree(spark, rows):
    frame = _frame(spark, rows, ("user",))
    got = frame.select(
        plays.identity_key().alias("identity"),
        plays.play_id().alias("play_id"),
        plays.name_key().alias("names"),
        api._own_listener_id(F.col("user")).alias("listener"),
    ).collect()
    for row, spark_row in zip(rows, got, strict=True):
        key = identity.play_identity(row)
        assert spark_row["identity"] == key, row
        assert spark_row["play_id"] == identity.play_id(row["listener_id"], row["played_at"], key), row
        assert spark_row["names"] == identity.name_key(row), row
        assert spark_row["listener"] == identity.listener_id(row["user"]), row


@st.composite
def pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two plays of one listener, often of the same content and near each other, so that they merge often."""
    first = draw(contents())
    second = first if draw(st.booleans()) else draw(contents())
    if draw(st.booleans()):
        second = {**second, "ms_played": draw(ms_played)}
    window_edges = [0, 1, -1, 59, 60, 61, -60, -61, 119, 120, 121, 150]
    delta = draw(st.sampled_from(window_edges) | st.integers(-200, 200))
    at = START + timedelta(seconds=draw(st.integers(0, 7_200)))  # whole seconds: the windows are exact
    a = {"source": draw(st.sampled_from(SOURCES)), "played_at": at, "_new": draw(st.booleans()), **first}
    b = {"source": draw(st.sampled_from(SOURCES)), "played_at": at + timedelta(seconds=delta), **second}
    return a, {**b, "_new": draw(st.booleans())}


@SPARK_SETTINGS
@given(st.lists(pairs(), min_size=1, max_size=12))
def test_merge_keeps_the_row_python_says(spark, generated):
    rows: list[dict[str, Any]] = []
    expected: dict[str, str] = {}
    for n, (a, b) in enumerate(generated):
        pair = []
        for side, play in (("a", a), ("b", b)):
            raw_object = f"pair-{n:03d}-{side}"  # distinct lineage: no two rows tie in the duplicate order
            pair.append(
                {
                    **play,
                    "listener_id": f"L{n:03d}",
                    "raw_object": raw_object,
                    "_record_index": n if play["_new"] else None,
                }
            )
        winner = identity.pair_winner(pair[0], pair[1])
        for play in pair:
            expected[play["raw_object"]] = "kept" if winner is None or winner is play else "duplicate"
        rows += pair

    frame = plays.with_play_id(_frame(spark, rows, ("_new", "_record_index"))).withColumn(
        "is_stream", plays.is_stream()
    )
    new = plays.prepare_new(frame.where("_new").drop("play_id", "is_stream"))
    curated = plays.prepare_existing(frame.where(~F.col("_new")))
    merged = plays.merge_plays(new.unionByName(curated))
    got = {r["raw_object"]: r["_fate"] for r in merged.select("raw_object", "_fate").collect()}
    differ = [(a, b) for a, b in zip(rows[::2], rows[1::2], strict=True) if _fates(got, a, b) != _fates(expected, a, b)]
    assert not differ, differ


def _fates(fates: dict[str, str], *rows: dict[str, Any]) -> list[str]:
    return [fates[r["raw_object"]] for r in rows]
