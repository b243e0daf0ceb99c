"""lake_contract.summaries: the run summaries' serializers and parsers, and the accounting identity."""

from __future__ import annotations

import json

import pytest

from lake_contract.summaries import (
    CheckResult,
    CurationSummary,
    ExtractionSummary,
    ImportSummary,
    SourceAccount,
    SummaryError,
    parse_run_summary,
    summary_stage,
    unbalanced_sources,
)


def curation_summary() -> CurationSummary:
    return CurationSummary(
        run_id="curate-20261201T030000Z-abc123",
        started_at="2026-12-01T03:00:00+00:00",
        finished_at="2026-12-01T03:04:00.5+00:00",
        full_refresh=False,
        raw_objects={"listed": 3, "api": 2, "export": 1, "library": 0, "extractor_quarantine": 0, "unknown": 0},
        status="succeeded",
        sources={
            "api:recently_played": SourceAccount(
                read=10, loaded=7, duplicates=2, quarantined={"bad": 1}, quarantined_total=1
            ),
            "export_extended": SourceAccount(read=5, loaded=5, superseded=2),
        },
        data_quality=[CheckResult("plays", "unique_play_id", 0.0, 0.0, True, True)],
        tables={"plays": ["2026-11", "2026-12"], "tracks": ["*"]},
    )


def test_the_accounting_identity_is_one_method():
    assert SourceAccount(read=10, loaded=7, duplicates=2, quarantined_total=1).balanced
    # superseded rows are outside the balance: they were read by an earlier run
    assert SourceAccount(read=0, superseded=4).balanced
    off = SourceAccount(read=10, loaded=7, duplicates=1, quarantined_total=1)
    assert off.imbalance() == 1
    assert not off.balanced
    assert unbalanced_sources({"api": off, "export": SourceAccount()}) == {"api": 1}


def test_quarantine_keeps_the_reasons_and_their_total_together():
    account = SourceAccount(read=3, loaded=1)
    account.quarantine("empty file", 1)
    account.quarantine("empty file", 1)
    assert (account.quarantined, account.quarantined_total, account.balanced) == ({"empty file": 2}, 2, True)


def test_curation_summary_round_trips_through_its_file_text():
    summary = curation_summary()
    text = summary.to_json()
    # the file's format: two-space indent, sorted keys (what the job has always written)
    assert text == json.dumps(summary.to_dict(), indent=2, sort_keys=True)
    assert CurationSummary.from_json(text) == summary
    assert CurationSummary.from_json(text).to_json() == text
    assert summary.totals().read == 15
    assert summary.unbalanced_sources() == {}


def test_a_failed_run_leaves_out_what_it_never_reached():
    failed = CurationSummary(run_id="curate-1", started_at="t", full_refresh=True, raw_objects={"listed": 0})
    assert set(failed.to_dict()) == {"run_id", "stage", "started_at", "full_refresh", "raw_objects", "status"}
    assert failed.status == "failed"
    assert CurationSummary.from_json(failed.to_json()) == failed


def test_old_summaries_without_superseded_still_parse():
    old = curation_summary().to_dict()
    for account in old["sources"].values():
        del account["superseded"]
    parsed = CurationSummary.from_dict(old)
    assert parsed.accounts()["export_extended"].superseded == 0


def test_malformed_summaries_say_where():
    bad = curation_summary().to_dict()
    bad["sources"]["api:recently_played"]["read"] = "many"
    with pytest.raises(SummaryError, match=r"^source api:recently_played: counts missing or not numbers$"):
        CurationSummary.from_dict(bad)
    bad = curation_summary().to_dict()
    bad["sources"]["export_extended"]["superseded"] = True
    with pytest.raises(SummaryError, match=r"superseded True is not a count"):
        CurationSummary.from_dict(bad)
    with pytest.raises(SummaryError, match="not JSON"):
        CurationSummary.from_json("{")
    with pytest.raises(SummaryError, match="full_refresh is str, not bool"):
        CurationSummary.from_dict({**curation_summary().to_dict(), "full_refresh": "false"})


def extraction_summary_data(run_id: str = "extract-1", mode: str = "development") -> dict:
    unit = {
        "source": "recently_played", "unit": "recently_played", "listener_id": "l1", "status": "finished",
        "items_written": 50, "raw_keys": ["raw/k"], "requests": {"200": 2}, "throttled_seconds": 0.0,
        "quarantined": [], "skipped": {}, "gap_detected": True,
        "gap": {"cursor": "2026-12-01T00:00:00.000Z", "oldest_returned": "2026-12-01T01:00:00.000Z", "detail": "d"},
        "error": None, "error_type": None,
    }  # fmt: skip
    return {
        "run_id": run_id, "stage": "extract", "started_at": "s", "finished_at": "f", "status": "finished",
        "checkpoint_reason": None, "mode": mode, "batch_lookups": False, "lake": "s3://raw",
        "requests_total": 3, "requests_by_status": {"200": 3}, "throttled_seconds": 0, "items_written": 50,
        "gaps_detected": 1, "quarantined": 0, "error": None, "error_type": None,
        "listeners": [{"listener": "listener #1", "listener_id": "l1", "status": "done", "error": None}],
        "sources": {
            "recently_played": {
                "items_written": 50, "raw_keys": ["raw/k"], "requests": {"200": 2}, "throttled_seconds": 0.0,
                "status": "finished", "units": 1, "quarantined": 0, "skipped": {}, "gaps_detected": 1,
                "gaps": [{"listener_id": "l1", **unit["gap"]}],
            }
        },
        "units": [unit],
    }  # fmt: skip


def test_extraction_summary_round_trips():
    data = extraction_summary_data()
    text = json.dumps(data, indent=2, sort_keys=True)
    parsed = ExtractionSummary.from_json(text)
    assert parsed.to_json() == text  # an int 0 stays 0, a float 0.0 stays 0.0
    assert parsed.sources["recently_played"].gaps[0].listener_id == "l1"
    assert summary_stage(data) == "extract"
    assert summary_stage({"run_id": "import-20261201-x"}) == "import"


IMPORT_FILE = """{
  "run_id": "import-20261201T030000Z-0a1b2c",
  "stage": "import",
  "source": "my_spotify_data.zip",
  "listener_id": "0123456789abcdef",
  "listener_how": "named by the export",
  "staged": [
    "raw/source=export/endpoint=streaming_history_extended/listener=0123456789abcdef/sha256=ab/x.json"
  ],
  "already_present": [],
  "ignored": [
    "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf"
  ]
}
"""


def test_import_summary_reads_and_writes_the_file_the_import_has_always_written():
    summary = ImportSummary.from_json(IMPORT_FILE)
    assert summary.listener_how == "named by the export"
    assert summary.staged[0].endswith("/x.json")
    assert summary.to_json() == IMPORT_FILE  # field order as written, not sorted


def test_any_run_summary_parses_by_its_stage():
    assert isinstance(parse_run_summary(json.loads(IMPORT_FILE)), ImportSummary)
    assert isinstance(parse_run_summary(curation_summary().to_dict()), CurationSummary)
    with pytest.raises(SummaryError, match="unknown stage 'export'"):
        parse_run_summary({"run_id": "export-1", "stage": "export"})
    with pytest.raises(SummaryError, match="import summary: staged missing"):
        parse_run_summary({k: v for k, v in json.loads(IMPORT_FILE).items() if k != "staged"})
