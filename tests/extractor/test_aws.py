"""The handler on moto S3 and Secrets Manager: the deployed configuration (RAW_BUCKET, SECRET_ID)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from extraction.errors import SecretUnavailable
from extraction.identity import listener_id
from extraction.raw import decode_ndjson_gz
from lake_contract.settings import ExtractorSettings
from spotify_lake.sources.emulator import Emulator

from .conftest import run_handler

REGION = "eu-west-1"


@pytest.fixture
def aws():
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("lake-raw", "lake-curated"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3, boto3.client("secretsmanager", region_name=REGION)


def _env(emu, **settings):
    return ExtractorSettings(
        raw_bucket="lake-raw",
        runs_bucket="lake-curated",
        secret_id="spotify-lake/credentials",
        api_prefix=emu.api_prefix,
        token_url=emu.token_url,
        sources=("recently_played", "top_items"),
        backoff_base_seconds=0.0,
        **settings,
    ).to_environment()


def _store_secret(sm, emu):
    document = {
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "listeners": [{"refresh_token": li.refresh_token} for li in emu.listeners],
    }
    sm.create_secret(Name="spotify-lake/credentials", SecretString=json.dumps(document))


def _keys(s3, bucket, prefix=""):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def test_run_on_s3_writes_raw_state_and_run_summary(aws):
    s3, sm = aws
    with Emulator(seed=21, days=20) as emu:
        _store_secret(sm, emu)
        summary = run_handler(_env(emu), clock=lambda: emu.now)
        lid = listener_id(emu.listeners[0].user_id)
    assert summary["status"] == "finished"
    raw = _keys(s3, "lake-raw", "raw/")
    assert f"_state/listener={lid}/recently_played.json" in _keys(s3, "lake-raw", "_state/")
    assert _keys(s3, "lake-curated", "_runs/") == [f"_runs/{summary['run_id']}.json"]
    plays_key = next(k for k in raw if "endpoint=recently_played" in k)
    assert plays_key.startswith(f"raw/source=api/endpoint=recently_played/listener={lid}/extract_date=2026-11-01/")
    records = decode_ndjson_gz(s3.get_object(Bucket="lake-raw", Key=plays_key)["Body"].read())
    assert len(records) == 50
    assert {r["run_id"] for r in records} == {summary["run_id"]}
    assert len({k for k in raw if "endpoint=top_" in k}) == 6 * 2  # 2 kinds x 3 ranges, 100 items in pages of 50


def test_missing_secret_is_a_clear_error_and_writes_nothing(aws):
    s3, _ = aws
    with Emulator(seed=21, days=5) as emu, pytest.raises(SecretUnavailable, match="ResourceNotFoundException"):
        run_handler(_env(emu), clock=lambda: emu.now)
    assert _keys(s3, "lake-raw") == []


def test_s3_write_failure_mid_run_keeps_the_cursor_and_loses_nothing(aws):
    s3, sm = aws
    with Emulator(seed=22, days=20) as emu:
        _store_secret(sm, emu)
        env = _env(emu)
        run_handler(env, clock=lambda: emu.now)
        lid = listener_id(emu.listeners[0].user_id)
        state_key = f"_state/listener={lid}/recently_played.json"
        cursor_before = s3.get_object(Bucket="lake-raw", Key=state_key)["Body"].read()
        emu.advance(hours=20)

        def refuse_raw_plays(params, **_):
            if "endpoint=recently_played" in params.get("Key", ""):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "PutObject")

        from extraction import handler
        from extraction.run import Runtime

        runtime = Runtime.from_environment(env, clock=lambda: emu.now, sleep=lambda s: None)
        runtime.storage._s3.meta.events.register("before-parameter-build.s3.PutObject", refuse_raw_plays)
        handler.install_runtime(runtime)
        try:
            from .conftest import FakeLambdaContext

            failed = handler.lambda_handler({}, FakeLambdaContext())
        finally:
            handler.install_runtime(None)
        unit = next(u for u in failed["units"] if u["source"] == "recently_played")
        assert failed["status"] == "failed"
        assert unit["status"] == "failed"
        assert "AccessDenied" in unit["error"]
        assert unit["error_type"] == "StorageError"
        assert failed["sources"]["top_tracks"]["status"] == "finished"  # the other units went on
        assert s3.get_object(Bucket="lake-raw", Key=state_key)["Body"].read() == cursor_before

        recovered = run_handler(env, clock=lambda: emu.now)
        truth = {p["played_at"] for p in emu.visible_plays()}
    assert recovered["sources"]["recently_played"]["status"] == "finished"
    played = []
    for key in _keys(s3, "lake-raw", "raw/source=api/endpoint=recently_played/"):
        played += [
            r["item"]["played_at"] for r in decode_ndjson_gz(s3.get_object(Bucket="lake-raw", Key=key)["Body"].read())
        ]
    assert len(played) == len(set(played))
    assert set(played) == {p for p in truth if p >= min(played)}
