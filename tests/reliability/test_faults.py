"""Guarantee 1: a week extracted with API faults (429, 5xx, dropped connections) and failing lake writes,
then curated, ends with exactly the fault-free plays within two pipeline runs."""

from __future__ import annotations

import pytest

from spotify_lake.reliability import scenarios

from .conftest import WEEK


@pytest.mark.spark
@pytest.mark.slow
def test_faulty_week_converges_to_the_fault_free_plays(tmp_path, curator, reference):
    result = scenarios.faults(tmp_path, WEEK, curator, reference)
    kinds = result["injected_by_kind"]
    # every kind of fault really happened, many times
    assert kinds.get("throttle", 0) > 5
    assert kinds.get("error", 0) > 5
    assert kinds.get("reset", 0) > 0
    assert kinds["storage_write"] > 0
    assert result["virtual_seconds_waited"] > 0  # Retry-After was honoured (on the virtual clock)
    assert result["difference"] == {"missing": 0, "extra": 0}
    assert result["identical"]
    assert 1 <= result["runs_to_converge"] <= 2
    assert result["survived"] == result["injected"]
    assert result["plays"] == len(reference.rows) > 200
