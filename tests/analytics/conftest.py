"""Fixtures: the hand-built lake and DuckDB connections with every view created over it."""

from __future__ import annotations

import pytest

from spotify_lake.report.lake import connect, create_views

from . import dataset


@pytest.fixture(scope="session")
def lake(tmp_path_factory):
    return dataset.build(tmp_path_factory.mktemp("lake"))


def _connection(lake, time_zone):
    con = connect(lake)
    failed = [s for s in create_views(con, time_zone) if not s.ok]
    assert failed == []
    return con


@pytest.fixture(scope="session")
def berlin(lake):
    """Views in Europe/Berlin (UTC+1 in winter, +2 in summer)."""
    con = _connection(lake, "Europe/Berlin")
    yield con
    con.close()


@pytest.fixture(scope="session")
def utc(lake):
    con = _connection(lake, "UTC")
    yield con
    con.close()


@pytest.fixture(scope="session")
def dev_mode(tmp_path_factory):
    """The same lake as a development-mode app would fill it: no popularity, followers or genres."""
    con = _connection(dataset.build(tmp_path_factory.mktemp("dev_lake"), development_mode=True), "UTC")
    yield con
    con.close()


@pytest.fixture(scope="session")
def spoken(tmp_path_factory):
    """Listener C's podcasts and audiobooks (dataset.build_spoken_word), in UTC."""
    con = _connection(dataset.build_spoken_word(tmp_path_factory.mktemp("spoken_lake")), "UTC")
    yield con
    con.close()
