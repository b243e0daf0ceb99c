"""Guarantee 7: no client secret, refresh token or access token in logs, raw records, state, run summaries,
curated rows or the report."""

from __future__ import annotations

import gzip
import json

import pytest

from spotify_lake.reliability import scenarios


@pytest.mark.spark
@pytest.mark.slow
def test_a_full_run_leaks_no_secret(tmp_path, curator):
    figures, needles = scenarios.secrets_scan(tmp_path, curator)
    assert figures["extract_status"] == "finished"
    assert figures["access_tokens_issued"] > 10  # short-lived tokens: many refreshes were logged around
    assert figures["log_bytes"] > 10_000  # DEBUG logs were really captured
    assert figures["leaks"] == 0, figures["where"]
    report = json.dumps(figures)
    assert not scenarios.find_leaks({"report": report}, needles)


def test_the_scan_finds_a_token_hidden_in_a_gzip_raw_object(tmp_path):
    lake = tmp_path / "lake"
    raw = lake / "raw/source=api/endpoint=recently_played/listener=x/extract_date=2026-11-01/run=r/p-00000.ndjson.gz"
    raw.parent.mkdir(parents=True)
    raw.write_bytes(gzip.compress(b'{"item": {"note": "BQplantedAccessToken123"}}\n'))
    (lake / "_runs").mkdir()
    (lake / "_runs/extract-x.json").write_text('{"fine": true}')
    leaks = scenarios.find_leaks(scenarios.lake_texts(lake), {"access token": "BQplantedAccessToken123"})
    assert leaks == ["access token in " + raw.relative_to(lake).as_posix()]
