"""Fixtures for the extractor tests: Powertools settings, a fake Lambda context, emulator and lake helpers."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, replace

import pytest

from lake_contract.settings import ExtractorSettings

# Powertools reads these when extraction.handler is imported.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SpotifyLakeTest")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "extractor")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


@dataclass
class FakeLambdaContext:
    remaining_ms: int = 900_000
    function_name: str = "extractor"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:extractor"
    aws_request_id: str = ""

    def __post_init__(self):
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def lambda_context():
    return FakeLambdaContext()


def emulator_env(emu, lake, secret_file, *, environment: dict | None = None, **settings) -> dict:
    """The extractor's environment for a local lake at the emulator; ``settings`` override fields of
    ``ExtractorSettings``, ``environment`` adds the Lambda runtime's own variables (Powertools)."""
    base = ExtractorSettings(
        lake_dir=str(lake),
        secret_file=str(secret_file),
        api_prefix=emu.api_prefix,
        token_url=emu.token_url,
        backoff_base_seconds=0.0,
        time_safety_margin_seconds=1.0,
    )
    return replace(base, **settings).to_environment() | (environment or {})


def write_secret(path, emu, listeners=None) -> None:
    tokens = [li.refresh_token for li in emu.listeners] if listeners is None else listeners
    path.write_text(
        json.dumps(
            {
                "client_id": emu.client_id,
                "client_secret": emu.client_secret,
                "listeners": [{"refresh_token": t} for t in tokens],
            }
        )
    )


def run_handler(env: dict, *, clock=None, sleeps=None, context=None, event=None):
    """Invoke the real Lambda handler with a runtime built from ``env`` (as a cold start would)."""
    from extraction import handler
    from extraction.run import Runtime

    overrides = {"sleep": (sleeps.append if sleeps is not None else lambda s: None)}
    if clock is not None:
        overrides["clock"] = clock
    handler.install_runtime(Runtime.from_environment(env, **overrides))
    try:
        return handler.lambda_handler(event or {}, context or FakeLambdaContext())
    finally:
        handler.install_runtime(None)


def raw_records(lake, endpoint: str) -> list[dict]:
    from extraction.raw import decode_ndjson_gz

    records = []
    for path in sorted(lake.glob(f"raw/source=api/endpoint={endpoint}/**/*.ndjson.gz")):
        records.extend(decode_ndjson_gz(path.read_bytes()))
    return records
