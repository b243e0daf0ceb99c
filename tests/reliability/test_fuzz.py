"""Guarantee 3: 1,000+ generated damaged raw objects and export files never crash curation; every run's
records add up exactly, every quarantined record has its reason, every good record among them is loaded."""

from __future__ import annotations

import pytest

from spotify_lake.reliability import fuzz, scenarios


@pytest.mark.spark
@pytest.mark.slow
def test_damaged_files_are_accounted_for_record_by_record(tmp_path, curator):
    result = scenarios.fuzz_runs(tmp_path, curator, files=1000, runs=2, seed=8)
    assert result["crashes"] == 0, result["crash_messages"]
    assert result["files"] >= 1000
    assert result["problems"] == []
    assert result["records"] == result["accounted"] >= result["files"]
    assert result["quarantined"] > 200  # the damage really was damage
    assert result["duplicates"] > 0  # duplicate lines, records and re-delivered objects were recognised
    assert result["control_plays_loaded"] == result["control_plays"] >= 150
    damage = result["files_by_damage"]
    for kind in ("api:empty_file", "api:none", "export:truncated", "export:non_utf8", "export:bom", "export:none"):
        assert damage.get(kind, 0) > 0, kind


def test_generation_is_reproducible(tmp_path):
    a = fuzz.generate(tmp_path / "a", examples=40, seed=5)
    b = fuzz.generate(tmp_path / "b", examples=40, seed=5)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)
    assert a.control_plays == b.control_plays
    assert a.files == b.files == 40 + len(a.control_plays)
