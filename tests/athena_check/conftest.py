"""One Trino server for the whole test session (start-up dominates), the synthesized Glue tables, and the view
tests' hand-built lakes (written as Parquet without Spark, like tests/analytics)."""

from __future__ import annotations

import pytest

from spotify_lake.athena_check import distribution
from spotify_lake.athena_check.server import TrinoServer
from spotify_lake.athena_check.tables import GlueTable, glue_tables, synthesize_template
from tests.analytics import dataset


@pytest.fixture(scope="session")
def launched_trino(tmp_path_factory):
    """Trino 476 on a free loopback port, launched (not yet ready): the Trino tests launch it first, so it
    starts while the app synthesizes.

    Fetched with Maven into the user cache first if `make trino` did not do it yet.
    """
    server = TrinoServer(distribution.ensure(), tmp_path_factory.mktemp("trino"))
    server.launch()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def glue_template() -> dict:
    """The dev environment's CloudFormation template, synthesized through the real app."""
    return synthesize_template("dev")


@pytest.fixture(scope="session")
def tables(glue_template) -> list[GlueTable]:
    return glue_tables(glue_template)


@pytest.fixture(scope="session")
def trino_server(launched_trino, glue_template):
    """The session's Trino, ready for queries."""
    launched_trino.wait_until_ready()
    return launched_trino


@pytest.fixture(scope="session")
def edge_lake(tmp_path_factory):
    return dataset.build(tmp_path_factory.mktemp("edge_lake"))


@pytest.fixture(scope="session")
def dev_lake(tmp_path_factory):
    return dataset.build(tmp_path_factory.mktemp("dev_lake"), development_mode=True)


@pytest.fixture(scope="session")
def spoken_lake(tmp_path_factory):
    return dataset.build_spoken_word(tmp_path_factory.mktemp("spoken_lake"))
