"""What a component asked AWS to do, as IAM sees it: the record shared by every recorder and the IAM test.

Recorders (botocore event hooks on the Lambdas' real clients, the recording moto server behind Hadoop's S3A
client, the synthesized state machine and schedules) turn each request into one or more ``AwsCall`` with an
IAM action. Resources are written with placeholders for the deployed names, so one recording is evaluated
against the synthesized template of every environment:

``{raw}``, ``{curated}``, ``{athena_results}`` (bucket names), ``{lake_key}`` (the lake's KMS key ARN, when the
environment has one), ``{secret}``, ``{alerts}`` (SNS topic ARN), ``{extractor_failures}`` (SQS queue ARN),
``{extractor}``, ``{quality_gate}`` (function ARNs), ``{curate_job}`` (Glue job name), ``{database}`` (Glue
database name), ``{workgroup}``, ``{state_machine}``, plus ``{partition}``, ``{region}``, ``{account}``.

The IAM test adds the calls AWS makes on the caller's behalf (KMS for SSE-KMS objects, S3's ListBucket check
behind a 404 for a missing key) from the template, so recorders write only what the code asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Who made the call: a role of the stack (by component) or a service principal acting for the stack.
PRINCIPALS = (
    "extractor",  # the extractor Lambda's execution role
    "quality_gate",  # the quality-gate Lambda's execution role
    "curate_job",  # the Glue job's role
    "state_machine",  # the Step Functions state machine's role
    "scheduler",  # EventBridge Scheduler's role for the extractor schedule
    "daily_scheduler",  # EventBridge Scheduler's role for the daily pipeline schedule
    "service:cloudwatch.amazonaws.com",  # alarm actions
    "service:events.amazonaws.com",  # EventBridge rule targets
)


@dataclass(frozen=True)
class AwsCall:
    """One IAM-authorized request. ``context`` holds request context keys (``s3:prefix``, ``s3:x-amz-…``)."""

    principal: str
    action: str  # e.g. "s3:GetObject"
    resource: str  # ARN with placeholders, e.g. "arn:{partition}:s3:::{raw}/_state/cursors/x.json"
    origin: str  # the code that made it: "extraction/storage.py:read_json", "hadoop-s3a HEAD", "state: Curate"
    context: dict[str, str | list[str]] = field(default_factory=dict)
    #: S3 answered 404: the key did not exist (S3 then checks s3:ListBucket on the bucket).
    missing: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> AwsCall:
        return cls(**json.loads(line))


def s3_object(bucket_placeholder: str, key: str) -> str:
    return f"arn:{{partition}}:s3:::{{{bucket_placeholder}}}/{key}"


def s3_bucket(bucket_placeholder: str) -> str:
    return f"arn:{{partition}}:s3:::{{{bucket_placeholder}}}"


def write_calls(path: Path, calls: Iterable[AwsCall]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(c.to_json() + "\n" for c in calls))


def read_calls(path: Path) -> list[AwsCall]:
    return [AwsCall.from_json(line) for line in path.read_text().splitlines() if line.strip()]
