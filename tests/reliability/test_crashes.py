"""Guarantee 2: SIGKILL at any point of extraction or curation leaves nothing partial readable, no cursor
ahead of the raw data, and the re-run ends with the fault-free plays."""

from __future__ import annotations

import pytest

from spotify_lake.reliability import scenarios

from .conftest import WEEK


@pytest.mark.spark
@pytest.mark.slow
def test_killed_extractions_and_curations_recover_to_the_fault_free_plays(tmp_path, curator, reference):
    result = scenarios.crashes(tmp_path, WEEK, curator, reference, extract_points=4, curate_points=2, seed=2)
    extract_kills = [k for k in result["kills"] if k["stage"] == "extract"]
    curate_kills = [k for k in result["kills"] if k["stage"] == "curate"]
    assert len(extract_kills) == 4
    assert len(curate_kills) == 2
    # a kill can come after the stage already ended (a poll without new plays writes only its summary)
    assert any(k["killed"] for k in extract_kills)
    assert any(k["killed"] for k in curate_kills)
    assert result["points"] >= 4
    assert result["violations"] == []
    assert result["difference"] == {"missing": 0, "extra": 0}
    assert result["identical"]
