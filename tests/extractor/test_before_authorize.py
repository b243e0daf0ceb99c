"""Before the first `authorize`: the secret holds the stack's placeholder, and a scheduled run ends cleanly."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from moto import mock_aws

from extraction.credentials import parse_secret
from extraction.errors import SecretUnavailable
from lake_contract.settings import ExtractionEvent, ExtractorSettings
from stacks.ingestion import PLACEHOLDER_SECRET

from .conftest import run_handler

REGION = "eu-west-1"
SECRET_ID = "spotify-lake/credentials"


def placeholder_value() -> str:
    # What Secrets Manager stores for the stack's SecretStringGenerator: the template plus a random field.
    return json.dumps({**PLACEHOLDER_SECRET, "placeholder": "Q2hvY29sYXRlQ2FrZTEyMzQ1Njc4OTAxMjM0"})


def test_the_placeholder_and_app_credentials_without_listeners_parse_to_no_listener():
    assert parse_secret(placeholder_value(), "secret x").listeners == ()
    app_only = parse_secret(json.dumps({"client_id": "abc", "client_secret": "def"}), "secret x")
    assert (app_only.client_id, app_only.listeners) == ("abc", ())


def test_a_broken_secret_is_still_an_error():
    # A listener entry without a token, or no JSON at all, is a mistake to alert on, not "not authorized".
    with pytest.raises(SecretUnavailable, match=r"listeners\[0\] lacks a non-empty string 'refresh_token'"):
        parse_secret(json.dumps({"client_id": "a", "client_secret": "b", "listeners": [{}]}), "secret x")
    with pytest.raises(SecretUnavailable, match="is not a JSON object"):
        parse_secret("Kx9v-random-password", "secret x")


def test_a_scheduled_run_before_authorize_ends_cleanly_with_one_log_line(caplog):
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("lake-raw", "lake-curated"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=SECRET_ID, SecretString=placeholder_value()
        )
        env = ExtractorSettings(
            raw_bucket="lake-raw",
            runs_bucket="lake-curated",
            secret_id=SECRET_ID,
            sources=("recently_played", "catalogue"),
            # Nothing may be requested: an unreachable API proves no call is made.
            api_prefix="http://127.0.0.1:9/v1/",
            token_url="http://127.0.0.1:9/api/token",
        ).to_environment()
        with caplog.at_level(logging.INFO):
            event = ExtractionEvent(sources=("recently_played", "catalogue"), trigger="schedule").to_event()
            summary = run_handler(env, event=event)
        # Then: no exception (an asynchronous invocation that returns is a success: no failure event, no alert)
        assert summary["status"] == "not_authorized"
        assert summary["error"] is None
        assert (summary["items_written"], summary["requests_total"], summary["listeners"]) == (0, 0, [])
        # and nothing in the raw zone, only the run summary
        raw = s3.list_objects_v2(Bucket="lake-raw").get("Contents", [])
        assert raw == []
        [run] = s3.list_objects_v2(Bucket="lake-curated", Prefix="_runs/")["Contents"]
        assert json.loads(s3.get_object(Bucket="lake-curated", Key=run["Key"])["Body"].read())["status"] == (
            "not_authorized"
        )
    lines = [r for r in caplog.records if r.name.startswith(("extractor", "extraction")) or r.levelno >= logging.INFO]
    ours = [r.getMessage() for r in lines if "authorize" in r.getMessage() or "extraction run" in r.getMessage()]
    assert ours == ["no listener is authorized yet: run `python -m spotify_lake authorize --secret-id <SecretArn>`"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
