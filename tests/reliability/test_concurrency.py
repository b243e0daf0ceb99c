"""Guarantee 5: two extractions started together never store a play twice in the curated tables and leave
one cursor, never ahead of the data."""

from __future__ import annotations

import pytest

from spotify_lake.reliability import scenarios

from .conftest import WEEK


@pytest.mark.spark
@pytest.mark.slow
def test_two_extractions_at_once_give_one_cursor_and_no_duplicate_plays(tmp_path, curator, reference):
    result = scenarios.concurrency(tmp_path, WEEK, curator, reference, parallel=2)
    assert result["cursors"] == 1
    assert result["cursor_ahead"] == []
    assert set(result["runs"]) <= {"finished", "failed"}  # "failed" = the unit that lost the cursor race
    assert result["duplicates"] == 0
    assert result["difference"] == {"missing": 0, "extra": 0}
    assert result["identical"]
