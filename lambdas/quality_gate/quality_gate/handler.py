"""Lambda entry point ``quality_gate.handler.lambda_handler``: read the run summary, return the verdict.

Event: ``{"run_id": "curate-…"}`` (:class:`lake_contract.settings.QualityGateEvent`). Environment: the bucket
holding ``_runs/`` and the quarantine share allowed (:class:`lake_contract.settings.QualityGateSettings`).
A missing or unreadable summary raises (the state machine reports it as a failed step); a summary that fails
the checks returns ``passed: false`` with the problems, which the state machine e-mails.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3

from lake_contract.keys import RunSummaryKey
from lake_contract.settings import QualityGateEvent, QualityGateSettings, SettingsError
from quality_gate.gate import evaluate

logger = logging.getLogger()
logger.setLevel(logging.INFO)

_s3: Any = None


class SummaryUnavailable(Exception):
    """The run summary is missing or not JSON."""


def lambda_handler(event: object, context: object) -> dict[str, Any]:
    try:
        run_id = QualityGateEvent.from_event(event).run_id
    except SettingsError as exc:
        raise ValueError(str(exc)) from None
    settings = QualityGateSettings.from_environment(os.environ)
    key = RunSummaryKey(run_id).format()
    summary = _read_summary(settings.curated_bucket, key)
    verdict = evaluate(summary, run_id=run_id, max_quarantine_ratio=settings.max_quarantine_ratio)
    logger.info(json.dumps({"message": "quality gate", **verdict.as_dict()}))
    return verdict.as_dict()


def _read_summary(bucket: str, key: str) -> dict[str, Any]:
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3")
    try:
        body = _s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except _s3.exceptions.NoSuchKey:
        raise SummaryUnavailable(f"s3://{bucket}/{key} does not exist: the curation run wrote no summary") from None
    try:
        summary = json.loads(body)
    except json.JSONDecodeError as exc:
        raise SummaryUnavailable(f"s3://{bucket}/{key} is not JSON: {exc.msg}") from None
    if not isinstance(summary, dict):
        raise SummaryUnavailable(f"s3://{bucket}/{key} is not a JSON object")
    return summary
