"""Loading sql/views and sql/queries for the deployment."""

from __future__ import annotations

import pytest

from stacks.sql_files import SqlFileError, load_named_queries, load_views
from tests.infra.conftest import REPO


def test_views_load_in_lexical_file_order_with_the_time_zone(tmp_path):
    (tmp_path / "20_second.sql").write_text("-- b\nCREATE OR REPLACE VIEW second AS SELECT * FROM first;\n")
    (tmp_path / "10_first.sql").write_text(
        "CREATE OR REPLACE VIEW first AS\nSELECT at_timezone(played_at, '${time_zone}') AS t FROM plays\n"
    )
    views = load_views(tmp_path, "America/New_York")
    assert [(v.file, v.name) for v in views] == [("10_first.sql", "first"), ("20_second.sql", "second")]
    assert (
        views[0].sql
        == "CREATE OR REPLACE VIEW first AS\nSELECT at_timezone(played_at, 'America/New_York') AS t FROM plays"
    )
    assert views[1].sql.endswith("FROM first")  # trailing semicolon removed: Athena runs one statement


def test_a_file_without_exactly_one_view_is_rejected(tmp_path):
    (tmp_path / "10_bad.sql").write_text("SELECT 1")
    with pytest.raises(SqlFileError, match=r"10_bad.sql: expected one CREATE OR REPLACE VIEW"):
        load_views(tmp_path, "UTC")


def test_the_same_view_twice_is_rejected(tmp_path):
    (tmp_path / "10_a.sql").write_text("CREATE OR REPLACE VIEW v AS SELECT 1")
    (tmp_path / "20_b.sql").write_text("CREATE OR REPLACE VIEW v AS SELECT 2")
    with pytest.raises(SqlFileError, match=r"views defined twice: v"):
        load_views(tmp_path, "UTC")


def test_an_invalid_time_zone_is_rejected_before_deployment(tmp_path):
    (tmp_path / "10_a.sql").write_text("CREATE OR REPLACE VIEW v AS SELECT 1")
    with pytest.raises(Exception, match=r"Nowhere"):
        load_views(tmp_path, "Nowhere/Land")


def test_named_queries_read_their_header(tmp_path):
    (tmp_path / "top.sql").write_text("-- name: top_artists\n-- description: My top artists.\nSELECT 1;\n")
    [query] = load_named_queries(tmp_path)
    assert (query.name, query.description, query.file) == ("top_artists", "My top artists.", "top.sql")
    assert query.sql == "-- name: top_artists\n-- description: My top artists.\nSELECT 1"
    (tmp_path / "bad.sql").write_text("-- name: x\nSELECT 1\n")
    with pytest.raises(SqlFileError, match=r"bad.sql: first lines must be .*\['description'\]"):
        load_named_queries(tmp_path)


def test_the_repository_sql_follows_the_conventions():
    views = load_views(REPO / "sql" / "views", "Europe/Berlin")
    # the plays the analyses leave out come first: play_events (the base of the listening views) skips them
    assert [v.name for v in views[:2]] == ["excluded_plays", "play_events"]
    assert all("${time_zone}" not in v.sql for v in views)
    assert load_named_queries(REPO / "sql" / "queries")
