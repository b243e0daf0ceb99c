"""Shared fixtures and the test tiers.

One local SparkSession serves every Spark test in the run (the JVM starts once). Tests are marked by what
they need, from the fixtures they use (directly or through other fixtures), so a new test lands in the right
tier without anyone remembering a marker:

- ``spark``: a local SparkSession (the ``spark`` fixture);
- ``jvm``: another Java process: Trino (``launched_trino``) or Hadoop's S3A client (``s3a_jars``);
- ``synth``: the CDK app synthesized through jsii/node (``synthesized``, ``glue_template``);
- ``browser``: headless Chromium (marked in the browser test's module).

``make test-fast`` deselects the heavy markers; ``make test`` runs everything.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.support.synth import synthesized  # noqa: F401 - the session fixture, shared by every package

#: marker -> the fixtures whose use (anywhere in a test's fixture closure) earns it.
MARKED_BY_FIXTURE: dict[str, frozenset[str]] = {
    "spark": frozenset({"spark"}),
    "jvm": frozenset({"launched_trino", "s3a_jars"}),
    "synth": frozenset({"synthesized", "glue_template"}),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in MARKED_BY_FIXTURE.items():
            if used & fixtures:
                item.add_marker(marker)


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
