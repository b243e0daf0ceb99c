"""The SQL files: conventions, Trino parsing, execution on DuckDB (also over an empty lake)."""

from __future__ import annotations

import re

import pytest
import sqlglot

from spotify_lake.errors import UserError
from spotify_lake.report.lake import connect, create_views
from spotify_lake.report.sqlfiles import (
    TIME_ZONE_PLACEHOLDER,
    created_view_name,
    named_queries,
    parse_trino,
    to_duckdb,
    view_files,
)

VIEWS = view_files()
QUERIES = named_queries()


def test_there_is_a_view_per_analysis():
    assert len(VIEWS) >= 30
    assert len(QUERIES) >= 5


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_view_file_is_one_create_view_named_like_the_file(view):
    tree = parse_trino(view.sql.replace(TIME_ZONE_PLACEHOLDER, "UTC"))
    assert isinstance(tree, sqlglot.exp.Create)
    assert created_view_name(view.sql) == view.name
    assert view.description, "a view file starts with a comment saying what it answers"


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_view_uses_only_earlier_views_and_no_other_placeholder(view):
    earlier = {v.name for v in VIEWS[: VIEWS.index(view)]}
    later = {v.name for v in VIEWS[VIEWS.index(view) :]} - {view.name}
    tree = parse_trino(view.sql.replace(TIME_ZONE_PLACEHOLDER, "UTC"))
    used = {t.name for t in tree.expression.find_all(sqlglot.exp.Table)}
    assert not used & later
    assert used <= earlier | {
        "plays",
        "tracks",
        "albums",
        "artists",
        "artist_snapshots",
        "top_items",
        "saved_tracks",
        "playlists",
        "playlist_items",
        "search_results",
        "quarantine",
        "data_quality",
        "exclusions",
    } | _cte_names(tree)
    assert re.findall(r"\$\{[^}]*\}", view.sql) in ([], [TIME_ZONE_PLACEHOLDER] * view.sql.count(TIME_ZONE_PLACEHOLDER))


def _cte_names(tree) -> set[str]:
    return {cte.alias for cte in tree.find_all(sqlglot.exp.CTE)}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_named_query_header_and_trino(query):
    assert query.sql.splitlines()[0] == f"-- name: {query.name}"
    assert query.description
    assert TIME_ZONE_PLACEHOLDER not in query.sql
    parse_trino(query.sql)


@pytest.fixture(scope="module")
def empty_lake(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("empty"))
    yield con, create_views(con, "Asia/Kolkata")
    con.close()


def test_every_view_runs_over_an_empty_lake(empty_lake):
    con, statuses = empty_lake
    assert [s for s in statuses if not s.ok] == []
    for view in VIEWS:
        count = con.execute(f"SELECT count(*) FROM {view.name}").fetchone()[0]  # noqa: S608
        # table_record_counts lists the tables; listener_churn has no months: everything else is empty
        assert count == (13 if view.name == "table_record_counts" else 0), view.name


def test_named_queries_run_on_duckdb(berlin):
    for query in QUERIES:
        berlin.execute(to_duckdb(query.sql)).fetchall()


def test_albums_played_in_full(berlin):
    query = next(q for q in QUERIES if q.name == "albums_played_in_full")
    assert [r[1] for r in berlin.execute(to_duckdb(query.sql)).fetchall()] == ["Album One"]


def test_time_zone_conversion_is_rewritten_for_duckdb():
    sql = "SELECT CAST(at_timezone(with_timezone(ts, 'UTC'), '${time_zone}') AS timestamp) FROM t"
    assert to_duckdb(sql, "Europe/Berlin") == (
        "SELECT CAST(ts AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Berlin' AS TIMESTAMP) FROM t"
    )


def test_unknown_time_zone_is_a_user_error():
    with pytest.raises(UserError, match="unknown time zone"):
        to_duckdb("SELECT '${time_zone}'", "Europe/Berlin'; DROP TABLE plays; --")


def test_count_if_counts_zero_over_nulls_as_trino_does(berlin):
    # DuckDB's own count_if gives NULL here; Trino gives 0
    sql = "SELECT count_if(x >= 70) FROM (VALUES (CAST(NULL AS integer))) AS v (x)"
    assert berlin.execute(to_duckdb(sql)).fetchall() == [(0,)]
