"""The data-quality gate Lambda: the verdict on a curation run summary, and the handler against moto S3."""

from __future__ import annotations

import json

import pytest

from quality_gate.gate import evaluate


def summary(**overrides) -> dict:
    base = {
        "run_id": "curate-1",
        "stage": "curate",
        "started_at": "2026-12-01T03:00:00+00:00",
        "finished_at": "2026-12-01T03:04:00+00:00",
        "full_refresh": False,
        "raw_objects": {"listed": 12, "api": 10, "export": 2, "library": 0, "extractor_quarantine": 0, "unknown": 0},
        "status": "succeeded",
        "sources": {
            "api": {"read": 100, "loaded": 90, "duplicates": 8, "quarantined": {"bad": 2}, "quarantined_total": 2},
            "export_extended": {"read": 50, "loaded": 50, "duplicates": 0, "quarantined": {}, "quarantined_total": 0},
        },
        "data_quality": [
            {"table_name": "plays", "check_name": "unique_play_id", "observed": 0.0, "threshold": 0.0,
             "passed": True, "blocking": True},
        ],
    }  # fmt: skip
    base.update(overrides)
    return base


def test_a_balanced_successful_run_passes():
    verdict = evaluate(summary(), run_id="curate-1", max_quarantine_ratio=0.05)
    assert verdict.passed
    assert verdict.problems == []
    assert (verdict.records_read, verdict.records_quarantined) == (150, 2)


def test_nothing_to_do_passes():
    verdict = evaluate(
        summary(status="nothing to do", sources={}, data_quality=[], tables={}),
        run_id="curate-1",
        max_quarantine_ratio=0.0,
    )
    assert verdict.passed


def test_unbalanced_accounting_fails_naming_the_source():
    bad = summary()
    bad["sources"]["api"]["loaded"] = 89
    verdict = evaluate(bad, run_id="curate-1", max_quarantine_ratio=0.05)
    assert not verdict.passed
    assert verdict.problems == ["source api: read 100 != loaded 89 + duplicates 8 + quarantined 2"]


def test_superseded_rows_are_outside_the_balance_but_must_be_a_count():
    # A later import replaced 10 curated account plays: read 0, loaded 0, superseded 10 balances.
    later = summary()
    later["sources"]["export_account"] = {
        "read": 0, "loaded": 0, "duplicates": 0, "superseded": 10, "quarantined": {}, "quarantined_total": 0,
    }  # fmt: skip
    assert evaluate(later, run_id="curate-1", max_quarantine_ratio=0.05).passed
    later["sources"]["export_account"]["superseded"] = -1
    verdict = evaluate(later, run_id="curate-1", max_quarantine_ratio=0.05)
    assert verdict.problems == ["source export_account: superseded -1 is not a count"]


def test_a_summary_of_another_shape_fails_naming_what_is_wrong():
    bad = summary()
    del bad["sources"]["api"]["quarantined_total"]
    verdict = evaluate(bad, run_id="curate-1", max_quarantine_ratio=0.05)
    assert verdict.problems == ["source api: counts missing or not numbers"]
    verdict = evaluate(summary(status=None), run_id="curate-1", max_quarantine_ratio=0.05)
    assert verdict.problems == ["curation summary: status is NoneType, not str"]


def test_too_much_quarantine_fails():
    verdict = evaluate(summary(), run_id="curate-1", max_quarantine_ratio=0.01)
    assert verdict.problems == ["2 of 150 raw records quarantined (1.3%), more than the allowed 1.0%"]


def test_failed_checks_block_or_warn():
    checks = [
        {"table_name": "plays", "check_name": "no_future_plays", "observed": 3.0, "threshold": 0.0,
         "passed": False, "blocking": True},
        {"table_name": "plays", "check_name": "known_tracks", "observed": 0.2, "threshold": 0.1,
         "passed": False, "blocking": False},
    ]  # fmt: skip
    verdict = evaluate(summary(data_quality=checks), run_id="curate-1", max_quarantine_ratio=0.05)
    assert verdict.problems == ["plays.no_future_plays: observed 3.0, limit 0.0"]
    assert verdict.warnings == ["plays.known_tracks: observed 0.2, limit 0.1"]


def test_failed_status_or_foreign_summary_fails():
    verdict = evaluate(summary(status="failed", run_id="curate-2"), run_id="curate-1", max_quarantine_ratio=0.05)
    assert verdict.problems == [
        "summary belongs to run 'curate-2', not 'curate-1'",
        "run status is 'failed', expected one of succeeded, nothing to do",
    ]


@pytest.fixture
def curated_bucket(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    from moto import mock_aws

    with mock_aws():
        import boto3

        from quality_gate import handler

        monkeypatch.setattr(handler, "_s3", None)
        boto3.client("s3").create_bucket(Bucket="curated")
        monkeypatch.setenv("CURATED_BUCKET", "curated")
        monkeypatch.setenv("MAX_QUARANTINE_RATIO", "0.05")
        yield boto3.client("s3")


def test_handler_reads_the_run_summary(curated_bucket):
    from quality_gate.handler import lambda_handler

    curated_bucket.put_object(Bucket="curated", Key="_runs/curate-1.json", Body=json.dumps(summary()).encode())
    result = lambda_handler({"run_id": "curate-1"}, None)
    assert result["passed"] is True
    assert result["records_read"] == 150


def test_handler_raises_when_the_summary_is_missing_or_the_event_is_wrong(curated_bucket):
    from quality_gate.handler import SummaryUnavailable, lambda_handler

    with pytest.raises(SummaryUnavailable, match=r"_runs/curate-9.json does not exist"):
        lambda_handler({"run_id": "curate-9"}, None)
    with pytest.raises(ValueError, match=r"event run_id must look like curate-"):
        lambda_handler({"run_id": "../etc/passwd"}, None)
