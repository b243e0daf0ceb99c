"""Every view and named query on a real Trino against the DuckDB results the report uses (issue 15).

The lakes are the view tests' hand-built datasets (tests/analytics/dataset.py): 12 counted plays, 9 of listener
A and 3 of listener B, in 2024-01 (8), 2024-02 (2), 2024-03 (1) and 2024-06 (1), plus 5 plays the exclusions file
(CSV, read through the Glue table's OpenCSVSerde) and private sessions leave out; the development-mode copy lacks
popularity, followers and genres; the spoken-word lake is listener C's podcasts and audiobooks.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from spotify_lake.athena_check.check import register_tables, run_check
from spotify_lake.report.sqlfiles import SQL_DIR, view_files
from stacks.sql_files import load_named_queries, load_views

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session", autouse=True)
def _trino_starts_before_the_synth(launched_trino):
    """Requested first by every test here, so Trino's start-up overlaps the CDK synth."""


ALL_VIEWS = [v.name for v in view_files()]
ALL_QUERIES = [q.name for q in load_named_queries(SQL_DIR / "queries")]


def _state_machine_queries(template: dict) -> list[str]:
    """The QueryString of each "Refresh view" state, in the order the state machine runs them."""
    machine = next(r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else "<token>" for p in parts)
    states = json.loads(text)["States"]
    state = states["Data quality passed?"]["Choices"][0]["Next"]
    sent = []
    while state.startswith("Refresh view "):
        sent.append(states[state]["Parameters"]["QueryString"])
        state = states[state]["Next"]
    return sent


def test_the_checked_view_text_is_what_the_state_machine_sends(glue_template):
    # Given the dev environment (Europe/Berlin) as synthesized, when its state machine refreshes the views,
    # then it sends exactly the statements the check creates in Trino, in the same order.
    sent = _state_machine_queries(glue_template)
    checked = [v.sql for v in load_views(SQL_DIR / "views", "Europe/Berlin")]
    assert len(sent) == len(ALL_VIEWS)
    assert sent == checked
    assert "'Europe/Berlin'" in sent[ALL_VIEWS.index("play_events")]


def _assert_agrees(results: dict) -> None:
    assert sorted(results["views"]) == sorted(ALL_VIEWS)
    assert sorted(results["queries"]) == sorted(ALL_QUERIES)
    differences = {
        name: r["first_difference"]
        for kind in ("views", "queries")
        for name, r in results[kind].items()
        if not r["equal"]
    }
    assert differences == {}
    assert results["mismatches"] == 0
    assert results["trino_version"] == "476"


@pytest.mark.parametrize(("time_zone", "schema"), [("Europe/Berlin", "edge_berlin"), ("UTC", "edge_utc")])
def test_edge_case_lake_agrees_with_duckdb(trino_server, tables, edge_lake, time_zone, schema):
    results = run_check(trino_server, edge_lake, tables, time_zone=time_zone, schema=schema)
    _assert_agrees(results)
    # Trino really read the lake: every counted play, the 5 left out, one table-count row per curated table.
    assert results["views"]["play_events"]["rows_trino"] == 12
    assert results["views"]["excluded_plays"]["rows_trino"] == 5
    assert results["views"]["table_record_counts"]["rows_trino"] == 13


def test_development_mode_lake_agrees_with_duckdb(trino_server, tables, dev_lake):
    results = run_check(trino_server, dev_lake, tables, time_zone="UTC", schema="dev_utc")
    _assert_agrees(results)
    assert results["views"]["play_events"]["rows_trino"] == 12


def test_spoken_word_lake_agrees_with_duckdb(trino_server, tables, spoken_lake):
    results = run_check(trino_server, spoken_lake, tables, time_zone="UTC", schema="spoken_utc")
    _assert_agrees(results)
    for view, rows in {"excluded_plays": 1, "play_events": 13, "top_episodes": 3, "audiobook_progress": 2}.items():
        assert results["views"][view]["rows_trino"] == rows, view


def test_partitions_are_registered_where_the_lake_publishes_them(trino_server, tables, edge_lake):
    # Given the edge lake registered (the lake publishes plays in four month folders)
    register_tables(trino_server, "edge_partitions", edge_lake, tables)
    with trino_server.connect("edge_partitions") as conn:
        cursor = conn.cursor()
        cursor.execute('SELECT play_month FROM "plays$partitions" ORDER BY 1')
        partitions = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT play_month, count(*) FROM plays GROUP BY play_month ORDER BY 1")
        per_month = cursor.fetchall()
        cursor.execute("SELECT listener_id, count(*) FROM plays GROUP BY listener_id ORDER BY 1")
        per_listener = cursor.fetchall()
    assert partitions == ["2024-01", "2024-02", "2024-03", "2024-06"]
    assert per_month == [["2024-01", 8], ["2024-02", 2], ["2024-03", 1], ["2024-06", 1]]
    assert per_listener == [["aaaaaaaaaaaaaaaa", 9], ["bbbbbbbbbbbbbbbb", 3]]


def _sql_dir(root: Path, view: str, query: str) -> Path:
    (root / "views").mkdir(parents=True)
    (root / "queries").mkdir()
    (root / "views" / "10_canary.sql").write_text(view, encoding="utf-8")
    (root / "queries" / "check_query.sql").write_text(
        f"-- name: check_query\n-- description: a test query\n{query}", encoding="utf-8"
    )
    return root


def test_a_difference_between_the_engines_is_reported(trino_server, tables, edge_lake, tmp_path):
    # Given a view that divides integers (Trino truncates, DuckDB does not) and an unordered-tie query
    sql = _sql_dir(
        tmp_path / "sql",
        "CREATE OR REPLACE VIEW canary AS\nSELECT listener_id, count(*) / 2 AS half FROM plays GROUP BY listener_id",
        "SELECT listener_id, count(*) / 4 AS quarter FROM plays GROUP BY listener_id ORDER BY listener_id",
    )
    results = run_check(trino_server, edge_lake, tables, time_zone="UTC", schema="canary", sql_dir=sql)
    # Then both are mismatches, and the first difference is listener A's 9 plays: 9 / 2 = 4 in Trino, 4.5 in DuckDB
    assert results["mismatches"] == 2
    view = results["views"]["canary"]
    assert (view["rows_trino"], view["rows_duckdb"], view["equal"]) == (2, 2, False)
    assert (view["first_difference"]["column"], view["first_difference"]["trino"]) == ("half", 4)
    assert view["first_difference"]["duckdb"] == 4.5
    query = results["queries"]["check_query"]
    assert (query["rows"], query["ok"], query["first_difference"]["trino"], query["first_difference"]["duckdb"]) == (
        2,
        False,
        2,
        2.25,
    )


def test_a_column_type_glue_declares_wrongly_fails_in_trino(trino_server, tables, edge_lake, tmp_path):
    # Given a catalog that declares plays.track_name as bigint while the Parquet files hold strings
    wrong = [
        replace(t, columns=tuple((n, "bigint" if n == "track_name" else ty) for n, ty in t.columns))
        if t.name == "plays"
        else t
        for t in tables
    ]
    sql = _sql_dir(
        tmp_path / "sql",
        "CREATE OR REPLACE VIEW canary AS SELECT play_id, track_name FROM plays",
        "SELECT count(*) AS plays FROM plays",
    )
    results = run_check(trino_server, edge_lake, wrong, time_zone="UTC", schema="wrong_type", sql_dir=sql)
    # Then reading the column fails on Trino (as it would on Athena) and the view counts as a mismatch,
    # while a query that reads no column of the table still runs
    view = results["views"]["canary"]
    assert view["equal"] is False
    assert "track_name" in view["first_difference"]["trino_error"]
    assert view["rows_duckdb"] == 12
    assert results["queries"]["check_query"]["ok"] is True
    assert results["mismatches"] == 1
