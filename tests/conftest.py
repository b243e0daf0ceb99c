"""Shared fixtures: one local SparkSession for every Spark test in the run (the JVM starts once)."""

from __future__ import annotations

import os
import sys

import pytest

from tests.support.synth import synthesized  # noqa: F401 - the session fixture, shared by every package


@pytest.fixture(scope="session")
def spark():
    """A small local SparkSession configured like the Glue job (UTC, microsecond Parquet timestamps)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from curation.session import build_session

    session = build_session(
        master="local[2]",
        extra={"spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false", "spark.default.parallelism": "2"},
    )
    yield session
    session.stop()
