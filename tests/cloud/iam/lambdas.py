"""Record every AWS request the Lambdas make, by running their real handlers on moto and the offline emulator.

botocore's event hooks on the boto3 default session (the one ``boto3.client`` uses in the Lambda code) see
each operation with its parameters and HTTP status; ``AwsRecorder`` turns it into IAM terms (``AwsCall``):
``HeadObject`` is ``s3:GetObject``, ``ListObjectsV2`` is ``s3:ListBucket`` with ``s3:prefix``, a conditional
``PutObject`` carries ``s3:if-none-match``/``s3:if-match``, a 404 on a read marks the key as missing. Only
requests whose call stack passes through ``lambdas/`` are kept (the test's own set-up is not the code's), and
the origin is the innermost frame there. An operation without an IAM mapping fails the recording: a new
kind of request must be mapped here, never dropped.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lake_contract.settings import (
    ExtractionEvent,
    ExtractorSettings,
    QualityGateEvent,
    QualityGateSettings,
    SearchSpec,
)
from lake_contract.summaries import CURATION_SUCCEEDED, CurationSummary
from tests.cloud.calls import AwsCall, s3_bucket, s3_object

REPO = Path(__file__).resolve().parents[3]
LAMBDAS = REPO / "lambdas"
REGION = "eu-west-1"

#: Names the scenarios give the resources in moto → the placeholders of ``tests.cloud.calls``.
BUCKETS = {"lake-raw": "raw", "lake-curated": "curated"}
SECRET_NAME = "spotify-lake/credentials"


class UnmappedOperation(Exception):
    """A Lambda made a request this recorder cannot express as IAM actions."""


def _origin() -> str | None:
    """``<path under lambdas/<function>/>:<function>`` of the innermost frame in the Lambda code."""
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename).resolve()
        if LAMBDAS in path.parents:
            relative = path.relative_to(LAMBDAS)
            return f"{Path(*relative.parts[1:]).as_posix()}:{frame.name}"
    return None


def _bucket(name: str) -> str:
    if name not in BUCKETS:
        raise UnmappedOperation(f"bucket {name!r} is not one of the scenario's buckets {sorted(BUCKETS)}")
    return BUCKETS[name]


def iam_calls(
    principal: str, service: str, operation: str, params: dict, status: int | None, origin: str
) -> list[AwsCall]:
    """The IAM view of one API operation (see the module docstring)."""
    if service == "s3":
        bucket = _bucket(params["Bucket"]) if "Bucket" in params else None
        key = params.get("Key")
        if operation in {"GetObject", "HeadObject"}:
            return [AwsCall(principal, "s3:GetObject", s3_object(bucket, key), origin, missing=status == 404)]
        if operation in {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}:
            context: dict[str, str | list[str]] = {}
            if params.get("IfNoneMatch"):
                context["s3:if-none-match"] = params["IfNoneMatch"]
            if params.get("IfMatch"):
                context["s3:if-match"] = params["IfMatch"]
            return [AwsCall(principal, "s3:PutObject", s3_object(bucket, key), origin, context)]
        if operation in {"ListObjectsV2", "ListObjects"}:
            context = {}
            if "Prefix" in params:
                context["s3:prefix"] = params["Prefix"]
            if "Delimiter" in params:
                context["s3:delimiter"] = params["Delimiter"]
            return [AwsCall(principal, "s3:ListBucket", s3_bucket(bucket), origin, context)]
        if operation == "DeleteObject":
            return [AwsCall(principal, "s3:DeleteObject", s3_object(bucket, key), origin)]
        if operation == "DeleteObjects":
            keys = [o["Key"] for o in params["Delete"]["Objects"]]
            return [AwsCall(principal, "s3:DeleteObject", s3_object(bucket, k), origin) for k in keys]
        if operation == "CopyObject":
            source = params["CopySource"]
            if isinstance(source, dict):
                source = f"{source['Bucket']}/{source['Key']}"
            source_bucket, _, source_key = str(source).lstrip("/").partition("/")
            context = {"s3:x-amz-copy-source": s3_object(_bucket(source_bucket), source_key)}
            return [AwsCall(principal, "s3:CopyObject", s3_object(bucket, key), origin, context)]
        if operation == "AbortMultipartUpload":
            return [AwsCall(principal, "s3:AbortMultipartUpload", s3_object(bucket, key), origin)]
    if service == "secretsmanager":
        secret = params.get("SecretId", params.get("Name"))
        if secret not in {SECRET_NAME, "{secret}"}:
            raise UnmappedOperation(f"secret {secret!r} is not the scenario's secret {SECRET_NAME!r}")
        if operation in {"GetSecretValue", "PutSecretValue", "DescribeSecret", "CreateSecret", "UpdateSecret"}:
            return [AwsCall(principal, f"secretsmanager:{operation}", "{secret}", origin)]
    raise UnmappedOperation(f"{origin}: {service}.{operation} has no IAM mapping in tests/cloud/iam/lambdas.py")


class AwsRecorder:
    """botocore hooks on a session's event system; ``calls`` grows as the Lambda code makes requests."""

    def __init__(self) -> None:
        self.principal = "extractor"
        self.calls: list[AwsCall] = []
        self.errors: list[str] = []

    def install(self, events: Any) -> None:
        events.register("before-parameter-build", self._before)
        events.register("after-call", self._after)
        events.register("after-call-error", self._after_error)

    def _before(self, params: dict, model: Any, context: dict, **_: Any) -> None:
        origin = _origin()
        if origin is not None:
            context["iam_test"] = (model.service_model.service_name, model.name, dict(params), origin)

    def _record(self, context: dict, status: int | None) -> None:
        pending = context.pop("iam_test", None)
        if pending is None:
            return
        service, operation, params, origin = pending
        try:
            self.calls.extend(iam_calls(self.principal, service, operation, params, status, origin))
        except UnmappedOperation as exc:
            self.errors.append(str(exc))

    def _after(self, http_response: Any, context: dict, **_: Any) -> None:
        self._record(context, http_response.status_code)

    def _after_error(self, context: dict, **_: Any) -> None:
        self._record(context, None)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _Context:
    function_name = "extractor"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:extractor"
    aws_request_id = "00000000-0000-0000-0000-000000000001"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def record_lambda_calls() -> tuple[list[AwsCall], list[str]]:
    """Drive both Lambdas on their normal and error paths; return the calls and any unmapped operations."""
    settings = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "SpotifyLakeTest",
        "POWERTOOLS_SERVICE_NAME": "extractor",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    with _environment(settings):
        import boto3
        from moto import mock_aws

        recorder = AwsRecorder()
        with mock_aws():
            boto3.setup_default_session(region_name=REGION)
            try:
                recorder.install(boto3.DEFAULT_SESSION.events)
                s3 = boto3.client("s3", region_name=REGION)
                for bucket in BUCKETS:
                    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
                recorder.principal = "extractor"
                _extractor_scenarios(boto3.client("secretsmanager", region_name=REGION))
                recorder.principal = "quality_gate"
                _quality_gate_scenarios(s3)
            finally:
                boto3.DEFAULT_SESSION = None
    return recorder.calls, recorder.errors


def _expect(error: type[BaseException] | tuple[type[BaseException], ...], action: Callable[[], Any]) -> None:
    try:
        action()
    except error:
        return
    raise AssertionError(f"the scenario expected {error} from {action}")


def _extractor_scenarios(secrets: Any) -> None:
    from extraction import api, handler
    from extraction.errors import AuthorizationExpired, SecretUnavailable
    from extraction.run import Runtime
    from spotify_lake.sources.emulator import Emulator

    def invoke(env: dict[str, str], event: dict, clock: Callable[[], Any]) -> dict:
        handler.install_runtime(Runtime.from_environment(env, clock=clock, sleep=lambda s: None))
        try:
            return handler.lambda_handler(event, _Context())
        finally:
            handler.install_runtime(None)

    with Emulator(seed=31, days=3, listeners=2) as emu:
        document = {
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
            "listeners": [{"refresh_token": li.refresh_token} for li in emu.listeners],
        }
        placeholder = {"client_id": "", "client_secret": "", "listeners": []}
        secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps(placeholder))
        # The variables the stack sets (stacks.ingestion.extractor_environment), pointed at the emulator.
        env = ExtractorSettings(
            raw_bucket="lake-raw",
            runs_bucket="lake-curated",
            secret_id=SECRET_NAME,
            searches=(SearchSpec("genre:pop"),),
            api_prefix=emu.api_prefix,
            token_url=emu.token_url,
            backoff_base_seconds=0.0,
        ).to_environment()
        clock = lambda: emu.now  # noqa: E731
        # 0. Deployed, not yet authorized: the secret is the stack's placeholder; the run ends cleanly.
        scheduled = ExtractionEvent(sources=("recently_played", "catalogue"), trigger="schedule")
        early = invoke(env, scheduled.to_event(), clock)
        assert early["status"] == "not_authorized", early["status"]
        secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=json.dumps(document))
        api.cold_start()
        # An imported export's backfill queue (written by the listener's upload, not recorded): the daily run's
        # backfill reads it, looks the tracks up (one unknown: remembered as gone) and commits its state.
        import boto3

        from lake_contract.backfill import CANDIDATES_KEY, BackfillCandidates
        from spotify_lake.sources.emulator.catalogue import catalogue_for

        queue = BackfillCandidates()
        queue.add_file("export-key", {**{t.id: 2 for t in catalogue_for(31).tracks[:2]}, "0" * 22: 1})
        uploader = boto3.session.Session(region_name=REGION).client("s3")
        uploader.put_object(Bucket="lake-raw", Key=CANDIDATES_KEY.format(), Body=queue.to_json().encode())
        # 1. First run ever, as the state machine starts it: no cursor exists yet.
        first = invoke(env, ExtractionEvent(run_id="extract-first", trigger="state-machine").to_event(), clock)
        assert first["status"] == "finished", first["status"]
        # 2. The frequent schedule's run, later: state exists now.
        emu.advance(hours=6)
        scheduled_run = invoke(env, scheduled.to_event(), clock)
        assert scheduled_run["status"] == "finished", scheduled_run["status"]
        # 3. An expired authorization: one listener's refresh token is revoked.
        emu.advance(hours=6)
        emu.revoke(emu.listeners[0].refresh_token)
        api.cold_start()
        _expect(AuthorizationExpired, lambda: invoke(env, ExtractionEvent(trigger="schedule").to_event(), clock))
        # 4. The secret is gone (deleted or never written): a clear error, nothing else read.
        secrets.delete_secret(SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True)
        api.cold_start()
        _expect(SecretUnavailable, lambda: invoke(env, ExtractionEvent(trigger="schedule").to_event(), clock))


def _quality_gate_scenarios(s3: Any) -> None:
    from quality_gate import handler

    handler._s3 = None
    summary = CurationSummary(
        run_id="curate-1",
        started_at="2026-12-01T03:00:00+00:00",
        finished_at="2026-12-01T03:00:05+00:00",
        full_refresh=False,
        raw_objects={"listed": 0},
        status=CURATION_SUCCEEDED,
        sources={},
        data_quality=[],
    )
    s3.put_object(Bucket="lake-curated", Key="_runs/curate-1.json", Body=summary.to_json().encode())
    with _environment(QualityGateSettings("lake-curated", 0.05).to_environment()):
        verdict = handler.lambda_handler(QualityGateEvent("curate-1").to_event(), None)
        assert verdict["passed"] is True, verdict
        _expect(
            handler.SummaryUnavailable,
            lambda: handler.lambda_handler(QualityGateEvent("curate-missing").to_event(), None),
        )
    handler._s3 = None
