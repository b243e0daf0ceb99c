"""Lambda entry point ``quality_gate.handler.lambda_handler``: read the run summary, return the verdict.

Event: ``{"run_id": "curate-…"}``. Environment: ``CURATED_BUCKET`` (holds ``_runs/``), ``MAX_QUARANTINE_RATIO``.
A missing or unreadable summary raises (the state machine reports it as a failed step); a summary that fails
the checks returns ``passed: false`` with the problems, which the state machine e-mails.
"""

from __future__ import annotations

import json
import logging
import os
import re

import boto3

from quality_gate.gate import evaluate

logger = logging.getLogger()
logger.setLevel(logging.INFO)

_RUN_ID = re.compile(r"^curate-[A-Za-z0-9_-]+$")
_s3 = None


class SummaryUnavailable(Exception):
    """The run summary is missing or not JSON."""


def lambda_handler(event, context):
    run_id = event.get("run_id") if isinstance(event, dict) else None
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise ValueError(f"event run_id must look like curate-<letters, digits, - or _>, got {run_id!r}")
    bucket = os.environ["CURATED_BUCKET"]
    ratio = float(os.environ.get("MAX_QUARANTINE_RATIO", "0.05"))
    key = f"_runs/{run_id}.json"
    summary = _read_summary(bucket, key)
    verdict = evaluate(summary, run_id=run_id, max_quarantine_ratio=ratio)
    logger.info(json.dumps({"message": "quality gate", **verdict.as_dict()}))
    return verdict.as_dict()


def _read_summary(bucket: str, key: str) -> dict:
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
