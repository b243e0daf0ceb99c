"""Shared fixtures: one curator on the session's SparkSession and the fault-free simulated week.

The fault, crash and concurrency tests all compare against the same fault-free week, extracted and curated
once per test session (the most expensive part: Spark).
"""

from __future__ import annotations

import os

import pytest

from spotify_lake.reliability import harness, scenarios

harness.quiet_powertools()
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")

#: The week the tests simulate: 28 polls six simulated hours apart, no gap for this seed.
WEEK = scenarios.Week(seed=43, days=7, polls=28, interval_hours=6.0)


@pytest.fixture(scope="session")
def curator(spark):
    return scenarios.InProcessCurator(spark)


@pytest.fixture(scope="session")
def reference(curator, tmp_path_factory):
    return scenarios.reference_week(tmp_path_factory.mktemp("reference"), WEEK, curator)
