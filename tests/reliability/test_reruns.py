"""Guarantee 4: every stage run twice on the same input changes nothing."""

from __future__ import annotations

import pytest

from spotify_lake.reliability import scenarios


@pytest.mark.spark
@pytest.mark.slow
def test_every_stage_twice_changes_nothing(tmp_path, curator):
    result = scenarios.reruns(tmp_path, curator, full_refresh_runs=1)
    assert result["by_stage"] == {
        "extract": True,
        "import": True,
        "curate": True,
        "curate --full-refresh": True,
    }
    assert result["stages"] == 4
    assert result["identical"]
    assert result["plays"] > 300  # API plays and the imported export's plays
    assert result["curate_second_run"] == "nothing to do"
