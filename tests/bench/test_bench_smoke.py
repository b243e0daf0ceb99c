"""`bench --scale tiny` end to end: every engine runs, they agree on rows, results.json has the issue's shape.

The scaling section is left out here: it is three more runs of the project's Spark job (minutes of JVM
start-up on a CI machine) and its arithmetic is tested in test_harness.py; `make bench` runs it.
Timings are never asserted (they are what the benchmark measures, not a property of the code).
"""

import json

import pytest

from spotify_lake.cli import main

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# The shape issue 7 fixes for results.json, so that runs can be compared over time.
ISSUE_SHAPE = {
    "machine": ["cpus", "memory_gb", "python", "spark", "duckdb"],
    "transform": ["scale", "rows", "input_bytes", "engines"],
    "engine": ["seconds", "peak_rss_mb", "rows_out", "files_out", "bytes_out"],
    "queries": ["view", "seconds", "bytes_read", "bytes_total"],
    "api": ["requests", "minimum", "throttled_seconds"],
    "cost": ["personal_month_usd", "per_million_plays_usd"],
}


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    sections = "transform,queries,api,cost"
    code = main(["bench", "--scale", "tiny", "--out", str(out), "--api-polls", "12", "--sections", sections, "--quiet"])
    assert code == 0
    return json.loads((out / "results.json").read_text()), (out / "results.md").read_text()


def test_results_have_every_field_of_the_issue(tiny_results):
    results, _ = tiny_results
    for key in ("machine", "transform", "queries", "api", "cost"):
        assert key in results, key
    assert set(ISSUE_SHAPE["machine"]) <= set(results["machine"])
    assert set(ISSUE_SHAPE["transform"]) <= set(results["transform"])
    assert set(results["transform"]["engines"]) == {"project", "duckdb", "pandas", "spark_inferred", "spark_declared"}
    for name, engine in results["transform"]["engines"].items():
        assert "error" not in engine, (name, engine)
        assert set(ISSUE_SHAPE["engine"]) <= set(engine), name
    assert results["queries"], "no view was profiled"
    for query in results["queries"]:
        assert set(ISSUE_SHAPE["queries"]) <= set(query), query
    for mode in ("development", "extended"):
        assert set(ISSUE_SHAPE["api"]) <= set(results["api"][mode])
    assert set(ISSUE_SHAPE["cost"]) <= set(results["cost"])


def test_every_engine_wrote_the_same_plays(tiny_results):
    results, _ = tiny_results
    t = results["transform"]
    assert t["rows"] == 20_000
    counts = {name: e["rows_out"] for name, e in t["engines"].items()}
    # The generator writes exactly 20,000 distinct plays plus cross-file duplicates: all must dedupe to it.
    assert t["input_records"] > t["rows"]
    assert set(counts.values()) == {20_000}, counts
    assert t["rows_agree"] is True
    assert t["expected_rows"] == 20_000
    assert t["rows_match_generator"] is True
    for engine in t["engines"].values():
        assert engine["files_out"] >= 1
        assert engine["bytes_out"] > 0
        assert engine["peak_rss_mb"] > 0


def test_views_read_parquet(tiny_results):
    results, _ = tiny_results
    ok = [q for q in results["queries"] if "error" not in q]
    assert ok, results["queries"]
    # An export-only lake has plays and nothing else: views over plays read bytes, the others read none.
    on_plays = [q for q in ok if "plays" in q["tables"]]
    assert on_plays, "no view reads plays"
    assert all(q["bytes_read"] > 0 and q["bytes_total"] > 0 for q in on_plays)
    plays_bytes = results["transform"]["engines"]["project"]["bytes_out"]
    assert all(q["bytes_total"] >= plays_bytes for q in on_plays)
    pruning = results["query_pruning"]
    # With the partition key in the filter, fewer plays files are opened than without it.
    assert pruning["with_play_month"]["files_read"] < pruning["partitions_total"]


def test_api_week_counts_requests(tiny_results):
    results, _ = tiny_results
    for mode in ("development", "extended"):
        api = results["api"][mode]
        assert api["polls"] == 12
        # at least one recently-played page per poll
        assert api["minimum"] >= 12
        assert api["requests"] >= api["minimum"]
        assert api["throttle"]["status_429"] > 0
        assert api["throttled_seconds"] > 0


def test_api_backfill_table(tiny_results):
    results, md = tiny_results
    backfill = results["api"]["backfill"]
    # seed 7, a 60-day export: 1,931 distinct tracks; development mode looks up 200 a run, one request each
    dev = backfill["development"]["runs"]
    assert [(r["requests"], r["tracks_looked_up"], r["requests_per_track"]) for r in dev] == [
        (200, 200, 1.0),
        (400, 400, 1.0),
        (600, 600, 1.0),
    ]
    assert dev[0]["coverage_of_plays"] < dev[1]["coverage_of_plays"] < dev[2]["coverage_of_plays"] < 100
    # extended mode: ceil(1931 / 50) = 39 batches in the first run settle every track; later runs ask nothing
    ext = backfill["extended"]["runs"]
    assert [(r["requests"], r["tracks_looked_up"], r["coverage_of_plays"]) for r in ext] == [(39, 1931, 100.0)] * 3
    assert ext[0]["requests_per_track"] <= 0.03
    assert "### Catalogue backfill of an imported export" in md


def test_markdown_has_the_tables(tiny_results):
    _, md = tiny_results
    for heading in ("## Transform", "## Queries", "## API calls", "## Cost model"):
        assert heading in md
