"""The typed environment config: cdk.json parses, and bad values fail with a message naming env and key."""

from __future__ import annotations

import copy

import pytest

from stacks.config import ConfigError, load_environments, parse_environment
from tests.infra.conftest import cdk_context


def dev_settings() -> dict:
    return copy.deepcopy(cdk_context()["spotify-lake:environments"]["dev"])


def test_cdk_json_defines_dev_and_prod_and_all_are_selected_by_default():
    configs = load_environments(cdk_context())
    assert [c.name for c in configs] == ["dev", "prod"]
    assert [c.stack_name for c in configs] == ["SpotifyLake-dev", "SpotifyLake-prod"]
    dev, prod = configs
    assert not dev.retain_data
    assert prod.retain_data
    assert dev.daily_run_hour_minute == (4, 30)
    assert prod.search_queries == ("genre:pop", "genre:rock")
    assert (dev.backfill_requests_per_run, dev.backfill_requests_per_day) == (200, 400)
    assert (prod.backfill_requests_per_run, prod.backfill_requests_per_day) == (300, 1000)


def test_env_context_selects_one_environment():
    assert [c.name for c in load_environments(cdk_context(env="prod"))] == ["prod"]
    with pytest.raises(ConfigError, match=r"unknown environment 'staging'; cdk.json defines dev, prod"):
        load_environments(cdk_context(env="staging"))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("alert_email", "nobody", "alert_email must be an e-mail address"),
        ("time_zone", "Mars/Olympus", "'Mars/Olympus' is not an IANA time zone"),
        ("extract_every_minutes", 120, "extract_every_minutes must be 5..60"),
        ("daily_run_at", "25:00", "daily_run_at must be HH:MM"),
        ("spotify_app_mode", "premium", "spotify_app_mode must be 'development' or 'extended'"),
        ("glue_workers", 1, "glue_workers must be 2..100"),
        ("log_retention_days", 10, "log_retention_days must be one of"),
        ("raw_infrequent_access_after_days", 10, "at least 30"),
        ("athena_bytes_scanned_cutoff_mb", 1, "athena_bytes_scanned_cutoff_mb must be 10..1000000"),
        ("max_quarantine_ratio", 1.5, "max_quarantine_ratio must be between 0 and 1"),
        ("removal_policy", "snapshot", "removal_policy must be 'retain' or 'destroy'"),
        ("account", "12345", "account must be a 12-digit AWS account id"),
        ("glue_flex", "yes", "glue_flex has the wrong type"),
        ("glue_workers", True, "glue_workers has the wrong type"),
        ("search_queries", ["genre:pop", ""], "search_queries must be a list of non-empty strings"),
        # Values AWS would reject at deploy time (or at the first run) are refused at synth.
        ("glue_worker_type", "G.025X", "G.025X is for Glue streaming jobs only; a glueetl job rejects it"),
        ("glue_worker_type", "G.3X", "glue_worker_type must be one of G.1X, G.2X, G.4X, G.8X"),
        ("glue_timeout_minutes", 600, "glue_timeout_minutes must be 5..420 (the daily pipeline stops after 8 hours"),
        ("extractor_timeout_seconds", 901, "extractor_timeout_seconds must be 30..900 (the Lambda maximum)"),
        ("extractor_memory_mb", 64, "extractor_memory_mb must be 128..10240"),
        ("backfill_requests_per_run", -1, "backfill_requests_per_run must be 0..10000"),
        ("backfill_requests_per_day", 100, "backfill_requests_per_day must be at least backfill_requests_per_run"),
        (
            "extractor_reserved_concurrency",
            0,
            "extractor_reserved_concurrency must be null (no reservation) or 1..1000",
        ),
        ("extractor_reserved_concurrency", "1", "extractor_reserved_concurrency has the wrong type"),
        ("encryption", "kms", "encryption must be 'aws-managed' or 'customer-managed'"),
        ("enable_crawler", True, "enable_crawler must be false: the curation job registers each partition"),
    ],
)
def test_bad_values_fail_naming_the_environment_and_key(key, value, message):
    settings = dev_settings()
    settings[key] = value
    with pytest.raises(ConfigError, match=r"cdk.json environment 'dev'") as failure:
        parse_environment("dev", settings)
    assert message in str(failure.value)


def test_flex_runs_on_g1x_or_g2x_only():
    settings = dev_settings() | {"glue_worker_type": "G.4X", "glue_flex": True}
    with pytest.raises(ConfigError, match=r"cdk.json environment 'dev': glue_flex Flex runs on G.1X or G.2X"):
        parse_environment("dev", settings)
    assert parse_environment("dev", settings | {"glue_flex": False}).glue_worker_type == "G.4X"


def test_new_keys_default_and_parse():
    dev, prod = load_environments(cdk_context())
    assert (dev.encryption, dev.customer_managed_key) == ("aws-managed", False)
    assert (prod.encryption, prod.customer_managed_key) == ("customer-managed", True)
    assert dev.extractor_reserved_concurrency is None
    settings = dev_settings()
    settings.pop("extractor_reserved_concurrency")  # absent means null
    assert parse_environment("dev", settings).extractor_reserved_concurrency is None
    assert (
        parse_environment("dev", settings | {"extractor_reserved_concurrency": 3}).extractor_reserved_concurrency == 3
    )


def test_unknown_and_missing_keys_are_errors():
    with pytest.raises(ConfigError, match=r"unknown keys \['retention'\]"):
        parse_environment("dev", dev_settings() | {"retention": 3})
    settings = dev_settings()
    del settings["time_zone"]
    with pytest.raises(ConfigError, match=r"missing keys \['time_zone'\]"):
        parse_environment("dev", settings)


def test_account_and_region_may_be_absent_or_given():
    settings = dev_settings()
    settings.pop("account", None)
    settings.pop("region", None)
    assert parse_environment("dev", settings).account is None
    pinned = parse_environment("dev", settings | {"account": "123456789012", "region": "eu-west-1"})
    assert (pinned.account, pinned.region) == ("123456789012", "eu-west-1")
