"""Pure parts of the harness: medians across repeats, the scaling fit, alternating order, the markdown."""

import json

import pytest

from spotify_lake.bench.fit import linear_fit
from spotify_lake.bench.harness import aggregate_runs, scaling_summary
from spotify_lake.bench.report import markdown


def run(seconds, rss, rows=100):
    return {"seconds": seconds, "peak_rss_mb": rss, "rows_out": rows, "files_out": 2, "bytes_out": 10}


def test_aggregate_takes_median_time_and_largest_memory():
    out = aggregate_runs([run(9.0, 100), run(3.0, 300), run(5.0, 200)], rows=1000)
    assert out["seconds"] == 5.0
    assert out["peak_rss_mb"] == 300
    assert out["rows_per_second"] == 200
    assert out["seconds_runs"] == [9.0, 3.0, 5.0]
    assert out["rows_out_consistent"] is True


def test_aggregate_flags_inconsistent_rows_and_failures():
    out = aggregate_runs([run(1.0, 1, rows=5), {"error": "x exited 1"}, run(2.0, 1, rows=6)], rows=10)
    assert out["rows_out_consistent"] is False
    assert out["failed_runs"] == 1
    failed = aggregate_runs([{"error": "pandas exited -9", "stderr_tail": "Killed"}], rows=10)
    assert failed["error"] == "pandas exited -9"


def test_linear_fit_recovers_a_line():
    # y = 10 + 2x exactly
    assert linear_fit([(0, 10), (5, 20), (10, 30)]) == pytest.approx((10.0, 2.0))


def test_scaling_summary_by_hand():
    points = [
        {"rows": 500_000, "seconds": 70.0, "peak_rss_mb": 2000},
        {"rows": 1_000_000, "seconds": 120.0, "peak_rss_mb": 2100},
        {"rows": 2_000_000, "seconds": 220.0, "peak_rss_mb": 2200},
    ]
    s = scaling_summary(points)
    # seconds = 20 + 100 per million exactly
    assert s["fixed_seconds"] == pytest.approx(20.0)
    assert s["seconds_per_million_marginal"] == pytest.approx(100.0)
    assert s["rows_ratio"] == 4.0
    assert s["seconds_ratio"] == pytest.approx(220 / 70, abs=0.01)
    assert s["peak_rss_ratio"] == 1.1
    assert scaling_summary([points[0], {"rows": 1, "error": "boom"}]) == {}


def test_markdown_reports_failures_and_ratios():
    results = {
        "machine": {"cpus": 2, "memory_gb": 24, "python": "3.11", "spark": "3.5.4", "duckdb": "2.0.0"},
        "scale": "tiny",
        "transform": {
            "scale": "tiny",
            "rows": 100,
            "input_bytes": 2 * 1024 * 1024,
            "input_files": 1,
            "input_records": 102,
            "repeats": 1,
            "engines": {"project": {**run(4.0, 900), "rows_per_second": 25}, "pandas": {"error": "pandas exited -9"}},
            "ratios": {
                "project_over_duckdb": 2.0,
                "project_over_spark_declared": 1.25,
                "pandas_over_project": None,
                "spark_inferred_over_project": None,
            },
            "rows_agree": False,
            "rows_out_by_engine": {"project": 100},
        },
    }
    md = markdown(results)
    assert "| project (import + curate, local Spark) | 4.0 | 25 | 900 | 100 | 2 | 0.0 |" in md
    assert "failed: pandas exited -9" in md
    assert "project / Spark declared time: **1.25x** (target ≤ 1.3x)" in md
    assert "project / DuckDB time: 2.00x" in md  # informational since issue 16: no target
    assert "same number of rows: **NO**" in md


def test_event_log_summary_by_call_site(tmp_path):
    from spotify_lake.bench.profile import summarise_event_log

    def stage(sid, start, end, tasks, name):
        info = {"Stage ID": sid, "Submission Time": start, "Completion Time": end, "Number of Tasks": tasks}
        return {"Event": "SparkListenerStageCompleted", "Stage Info": {**info, "Stage Name": name}}

    events = [
        {"Event": "SparkListenerApplicationStart", "Timestamp": 1_000},
        {"Event": "SparkListenerJobStart"},
        stage(0, 2_000, 5_000, 4, "save at /work/main/glue/curation/plays.py:10"),
        {"Event": "SparkListenerJobStart"},
        stage(1, 5_000, 6_500, 2, "save at /work/main/glue/curation/plays.py:10"),
        stage(2, 6_500, 7_000, 1, "count at /x/glue/curation/quality.py:3"),
        {"Event": "SparkListenerApplicationEnd", "Timestamp": 11_000},
    ]
    path = tmp_path / "app-1"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    s = summarise_event_log(path)
    assert (s["application_seconds"], s["jobs"], s["stages"], s["tasks"]) == (10.0, 2, 3, 7)
    assert s["stage_seconds_total"] == 5.0
    top = {"call_site": "save at glue/curation/plays.py:10", "stages": 2, "tasks": 6, "seconds": 4.5}
    assert s["top_call_sites"][0] == top
    assert s["top_call_sites"][1]["call_site"] == "count at glue/curation/quality.py:3"


def test_markdown_reports_scaling_targets_and_small_runs():
    points = [
        {"rows": 2_000_000, "seconds": 130.0, "peak_rss_mb": 2500.0, "seconds_per_million": 65.0},
        {"rows": 8_000_000, "seconds": 460.0, "peak_rss_mb": 4800.0, "seconds_per_million": 57.5},
    ]
    small = {
        "demo_curation": {"seconds": 31.5, "peak_rss_mb": 1500.0, "records_read": 29_805, "records_loaded": 29_778},
        "incremental": {
            "seconds": 12.25,
            "peak_rss_mb": 900.0,
            "records_read": 52,
            "records_loaded": 50,
            "new_plays": 51,
            "plays_polled": 50,
            "poll_requests": 3,
        },
    }
    results = {
        "machine": {"cpus": 2, "memory_gb": 24, "python": "3.11", "spark": "3.5.4", "duckdb": "2.0.0"},
        "scale": "large",
        "scaling": points,
        "scaling_summary": scaling_summary(points),
        "small_runs": small,
    }
    md = markdown(results)
    # 130 = a + 2b and 460 = a + 8b: b = 55 s per million, a = 20 s fixed; 57.5 / 65 = 0.88
    assert "**20.0 s fixed** (target ≤ 15 s) + 55.0 s per million plays" in md
    assert "seconds per million plays at 8,000,000 / at 2,000,000: **0.88x** (target ≤ 1.1x" in md
    assert "largest peak memory: **4,800 MB** (target ≤ 4,096 MB)" in md
    assert "| demo curation | 29,805 | 31.5 | 1,500 |" in md
    assert "- demo curation: **31.5 s** (target ≤ 20 s)" in md
    assert "- incremental after one poll: **12.2 s** (target ≤ 15 s)" in md
    assert "the poll brought 50 plays (51 new on the emulator) in 3 request(s)" in md


def test_markdown_reports_a_failed_small_run():
    results = {
        "machine": {"cpus": 2, "memory_gb": 24, "python": "3.11", "spark": "3.5.4", "duckdb": "2.0.0"},
        "scale": "medium",
        "small_runs": {"demo_curation": {"error": "curate exited 1", "stderr_tail": "boom"}},
    }
    md = markdown(results)
    assert "| demo curation | failed: curate exited 1 |" in md
    assert "target ≤ 20 s" not in md
