"""The local pipeline end to end: the `run` command chains the real extractor, curation job and report."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from lake_contract.summaries import CurationSummary
from spotify_lake.adapters.lakefiles import published_files
from spotify_lake.cli import main
from spotify_lake.sources.emulator import Emulator

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_run_extracts_curates_and_reports_the_last_50_plays(spark, tmp_path, capsys):
    # Given the emulator's 14-day world: Spotify lets a first run see only the 50 most recent plays.
    with Emulator(seed=11, days=14) as emu:
        expected = {
            datetime.fromisoformat(p["played_at"]).replace(microsecond=0, tzinfo=None)
            for p in emu.visible_plays()[-50:]
        }
    lake, report = tmp_path / "lake", tmp_path / "report"

    # When the whole local pipeline runs once against it.
    exit_code = main(
        ["run", "--source", "emulator", "--seed", "11", "--days", "14", "--lake", str(lake), "--out", str(report)]
    )

    # Then it prints one line per stage and where the report is,
    assert exit_code == 0
    printed = capsys.readouterr().out
    assert "[1/3] Extracting from the emulator (development mode)" in printed
    assert "[3/3] Building the views on DuckDB and writing the report" in printed
    assert f"Report: {(report / 'index.html').resolve()}" in printed
    # the curated plays are exactly those 50 plays, once each, all from the API,
    rows = duckdb.execute(
        "SELECT played_at, source FROM read_parquet(?, hive_partitioning=true)",
        [[str(f) for f in published_files(lake, "plays")]],
    ).fetchall()
    assert len(rows) == 50
    assert {source for _, source in rows} == {"api"}
    assert {t.astimezone(UTC).replace(microsecond=0, tzinfo=None) for t, _ in rows} == expected
    # every record read is accounted for in the curation run's summary,
    curate_summary = CurationSummary.from_json(next((lake / "_runs").glob("curate-*.json")).read_text())
    assert curate_summary.accounts()
    assert curate_summary.unbalanced_sources() == {}
    # and the report shows the plays.
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "Top artists" in page or "top_artists" in page
    assert (report / "csv" / "top_artists.csv").exists()


def test_run_rejects_impossible_options_with_one_line(tmp_path, capsys):
    assert main(["run", "--source", "emulator", "--listeners", "9", "--lake", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "error: --listeners must be between 1 and 5 (Spotify's development-mode limit)"
    )
    assert main(["run", "--source", "spotify", "--secret-file", str(tmp_path / "none.json")]) == 2
    assert "authorize --local" in capsys.readouterr().err


def test_played_at_is_utc():
    # Guard for the comparison above: the emulator's played_at strings are UTC ("Z").
    with Emulator(seed=11, days=1) as emu:
        stamp = emu.visible_plays()[-1]["played_at"]
    assert datetime.fromisoformat(stamp).utcoffset() == UTC.utcoffset(None)
