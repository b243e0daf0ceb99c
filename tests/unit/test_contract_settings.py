"""lake_contract.settings: each model's serializer and parser are inverses, and the parsers keep their rules."""

from __future__ import annotations

import pytest

from lake_contract.settings import (
    ARGUMENT_NAMES,
    CurateArguments,
    ExtractionEvent,
    ExtractorSettings,
    QualityGateEvent,
    QualityGateSettings,
    SearchSpec,
    SettingsError,
)

KNOWN = ("recently_played", "top_items", "catalogue")


def test_extractor_settings_round_trip_through_the_environment():
    # Given settings with every field away from its default
    settings = ExtractorSettings(
        raw_bucket="lake-raw",
        runs_bucket="lake-curated",
        secret_id="arn:aws:secretsmanager:eu-west-1:1:secret:s",
        mode_hint="extended",
        request_budget=50,
        retry_after_cap_seconds=5.0,
        request_timeout_seconds=3.5,
        max_attempts=2,
        backoff_base_seconds=0.0,
        backoff_max_seconds=1.0,
        time_safety_margin_seconds=1.0,
        backfill_requests_per_run=300,
        backfill_requests_per_day=1000,
        searches=(SearchSpec("genre:pop"), SearchSpec("x", type="album", pages=3)),
        playlist_ids=("a", "b"),
        sources=("recently_played", "catalogue"),
        api_prefix="http://127.0.0.1:1/v1/",
        token_url="http://127.0.0.1:1/api/token",
    )
    # When serialized and parsed back, Then nothing is lost
    assert ExtractorSettings.from_environment(settings.to_environment(), known_sources=KNOWN) == settings


def test_defaults_are_left_out_but_the_stack_variables_stay():
    env = ExtractorSettings(lake_dir="/lake", secret_file="/s.json").to_environment()
    assert env == {"LAKE_DIR": "/lake", "SECRET_FILE": "/s.json", "SPOTIFY_MODE_HINT": "auto", "SEARCHES": "[]"}
    parsed = ExtractorSettings.from_environment(env, known_sources=KNOWN)
    # an environment without SOURCES runs every source the extractor knows
    assert parsed.sources == KNOWN
    assert ExtractorSettings.from_environment(parsed.to_environment(), known_sources=KNOWN) == parsed


def test_searches_are_written_as_the_stack_always_wrote_them():
    settings = ExtractorSettings(lake_dir="/l", secret_file="/s", searches=(SearchSpec("genre:pop"),))
    assert settings.to_environment()["SEARCHES"] == '[{"q": "genre:pop"}]'


def test_backfill_budget_variables():
    env = ExtractorSettings(lake_dir="/l", secret_file="/s", backfill_requests_per_run=0).to_environment()
    assert env["BACKFILL_REQUESTS_PER_RUN"] == "0"  # 0 turns the backfill off
    assert "BACKFILL_REQUESTS_PER_DAY" not in env  # the default, 400
    with pytest.raises(SettingsError, match=r"BACKFILL_REQUESTS_PER_DAY must be a int, not 'many'"):
        ExtractorSettings.from_environment(
            {"LAKE_DIR": "/l", "SECRET_FILE": "/s", "BACKFILL_REQUESTS_PER_DAY": "many"}, known_sources=KNOWN
        )


def test_environment_validation_messages():
    with pytest.raises(SettingsError, match="exactly one of LAKE_DIR"):
        ExtractorSettings.from_environment({"SECRET_FILE": "/s"}, known_sources=KNOWN)
    with pytest.raises(SettingsError, match=r"SOURCES has unknown source\(s\) audio_features; known: recently_played"):
        ExtractorSettings.from_environment(
            {"LAKE_DIR": "/l", "SECRET_FILE": "/s", "SOURCES": "audio_features"}, known_sources=KNOWN
        )


def test_extraction_event_round_trip_and_rules():
    event = ExtractionEvent(run_id="extract-1", sources=("recently_played",), trigger="schedule")
    assert event.to_event() == {"trigger": "schedule", "run_id": "extract-1", "sources": ["recently_played"]}
    assert ExtractionEvent.from_event(event.to_event()) == event
    assert ExtractionEvent.from_event({}) == ExtractionEvent()
    with pytest.raises(SettingsError, match="event run_id must look like extract-"):
        ExtractionEvent.from_event({"run_id": "../x"})
    with pytest.raises(SettingsError, match="event sources must be a list"):
        ExtractionEvent.from_event({"sources": "recently_played"})


def test_quality_gate_settings_and_event():
    settings = QualityGateSettings("lake-curated", 0.1)
    assert settings.to_environment() == {"CURATED_BUCKET": "lake-curated", "MAX_QUARANTINE_RATIO": "0.1"}
    assert QualityGateSettings.from_environment(settings.to_environment()) == settings
    assert QualityGateEvent.from_event(QualityGateEvent("curate-1").to_event()) == QualityGateEvent("curate-1")
    for bad in ({"run_id": "curate-"}, {"run_id": "extract-1"}, {}, None):
        with pytest.raises(SettingsError, match="event run_id must look like curate-"):
            QualityGateEvent.from_event(bad)


def test_curate_arguments_round_trip():
    arguments = CurateArguments(
        raw_root="s3://raw", curated_root="s3://curated", runs_root="s3://curated", run_id="curate-1",
        full_refresh=True, glue_database="spotify_lake_dev",
    )  # fmt: skip
    assert arguments.to_arguments() == {
        "--raw_root": "s3://raw",
        "--curated_root": "s3://curated",
        "--runs_root": "s3://curated",
        "--run_id": "curate-1",
        "--full_refresh": "true",
        "--glue_database": "spotify_lake_dev",
    }
    assert CurateArguments.from_arguments(arguments.to_arguments()) == arguments
    # getResolvedOptions hands the names without their dashes
    resolved = {name.removeprefix("--"): value for name, value in arguments.to_arguments().items()}
    assert CurateArguments.from_arguments(resolved) == arguments
    argv = ["curate.py", *arguments.to_argv()]
    assert CurateArguments.given(argv) == [n for n in ARGUMENT_NAMES if n != "lake_root"]


def test_curate_roots_default_to_the_lake_root():
    assert CurateArguments(lake_root="file:///lake").roots() == ("file:///lake",) * 3
    assert CurateArguments(raw_root="s3://r", curated_root="s3://c").roots() == ("s3://r", "s3://c", "s3://c")
    with pytest.raises(SettingsError, match="curate: give --lake_root, or --raw_root and --curated_root"):
        CurateArguments(raw_root="s3://r").roots()
