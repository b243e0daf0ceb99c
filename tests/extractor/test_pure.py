"""Pure pieces: identity, config, raw keys and envelopes, rate-limit policy."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from extraction.config import ConfigError, ExtractorConfig
from extraction.identity import listener_id
from extraction.policy import Checkpoint, RequestGovernor, backoff_delay, parse_retry_after, throttle_wait
from extraction.raw import Provenance, decode_ndjson_gz, encode_ndjson_gz, envelope, iso_millis, raw_key


def test_listener_id_is_first_16_hex_of_sha256_of_prefixed_user_id():
    # echo -n "spotify-user:alice" | sha256sum | cut -c1-16
    assert listener_id("alice") == "3dc9738c1761942d"
    with pytest.raises(ValueError, match="user id is required"):
        listener_id("")


def test_raw_keys_follow_the_contract():
    assert (
        raw_key(
            "recently_played",
            listener_id="3f1c",
            extract_date="2026-11-22",
            run_id="extract-x",
            unit="recently_played",
            seq=3,
        )
        == "raw/source=api/endpoint=recently_played/listener=3f1c/extract_date=2026-11-22/run=extract-x/"
        "recently_played-00003.ndjson.gz"
    )
    assert (
        raw_key("artists", listener_id=None, extract_date="2026-11-22", run_id="extract-x", unit="artists", seq=0)
        == "raw/source=api/endpoint=artists/extract_date=2026-11-22/run=extract-x/artists-00000.ndjson.gz"
    )
    with pytest.raises(ValueError, match="listener-scoped"):
        raw_key("top_tracks", listener_id=None, extract_date="d", run_id="r", unit="u", seq=0)
    with pytest.raises(ValueError, match="unknown"):
        raw_key("audio_features", listener_id=None, extract_date="d", run_id="r", unit="u", seq=0)


def test_envelope_and_encoding_are_deterministic():
    prov = Provenance(
        "3f1c",
        "playlist_items",
        "/v1/playlists/p/items",
        {"limit": 50},
        "2026-11-22T10:15:03.120Z",
        "extract-x",
        "development",
        {"playlist_id": "p"},
    )
    records = [envelope(prov, {"a": 1, "unknown_field": [1]}, 7)]
    assert records[0] == {
        "listener_id": "3f1c",
        "endpoint": "playlist_items",
        "request": {"path": "/v1/playlists/p/items", "params": {"limit": 50}},
        "parent": {"playlist_id": "p"},
        "position": 7,
        "extracted_at": "2026-11-22T10:15:03.120Z",
        "run_id": "extract-x",
        "mode": "development",
        "item": {"a": 1, "unknown_field": [1]},
    }
    assert encode_ndjson_gz(records) == encode_ndjson_gz(records)
    assert decode_ndjson_gz(encode_ndjson_gz(records)) == records
    assert iso_millis(datetime(2026, 11, 22, 10, 15, 3, 120999, tzinfo=UTC)) == "2026-11-22T10:15:03.120Z"


def test_config_requires_one_lake_and_one_secret_and_validates_values():
    base = {"LAKE_DIR": "/tmp/lake", "SECRET_FILE": "/tmp/s.json"}
    cfg = ExtractorConfig.from_environment(
        {**base, "SEARCHES": '[{"q": "genre:pop", "pages": 2}]', "PLAYLIST_IDS": "a, b"}
    )
    assert cfg.searches[0].q == "genre:pop"
    assert cfg.searches[0].pages == 2
    assert cfg.searches[0].type == "track"
    assert cfg.playlist_ids == ("a", "b")
    assert cfg.api_prefix == "https://api.spotify.com/v1/"
    for bad, message in [
        ({"SECRET_FILE": "/tmp/s.json"}, "LAKE_DIR"),
        ({**base, "RAW_BUCKET": "b"}, "exactly one of LAKE_DIR"),
        ({"LAKE_DIR": "/x"}, "SECRET_ID"),
        ({**base, "SPOTIFY_MODE_HINT": "turbo"}, "SPOTIFY_MODE_HINT"),
        ({**base, "REQUEST_BUDGET": "lots"}, "REQUEST_BUDGET must be a int"),
        ({**base, "REQUEST_BUDGET": "0"}, "at least 1"),
        ({**base, "SEARCHES": "genre:pop"}, "not valid JSON"),
        ({**base, "SEARCHES": '[{"q": "x", "type": "episode"}]'}, "type must be"),
        ({**base, "SOURCES": "recently_played,audio_features"}, "audio_features"),
    ]:
        with pytest.raises(ConfigError, match=message):
            ExtractorConfig.from_environment(bad)


def test_throttle_policy_waits_only_under_cap_and_remaining_time():
    assert throttle_wait(5, cap=60, remaining_seconds=300, margin=20) == 5
    assert throttle_wait(61, cap=60, remaining_seconds=300, margin=20) is None
    assert throttle_wait(7293, cap=60, remaining_seconds=900, margin=20) is None
    assert throttle_wait(30, cap=60, remaining_seconds=45, margin=20) is None
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT") is None


def test_backoff_is_jittered_exponential_and_bounded():
    rng = random.Random(1)
    for attempt in range(1, 8):
        delays = [backoff_delay(attempt, base=0.5, maximum=4, rng=rng) for _ in range(200)]
        assert min(delays) >= 0
        assert max(delays) <= min(4, 0.5 * 2 ** (attempt - 1))
        assert len(set(delays)) > 100  # jittered, not a fixed ladder


def _governor(**kw):
    sleeps = []
    defaults = {
        "budget": 3,
        "retry_after_cap": 10,
        "max_attempts": 3,
        "backoff_base": 1,
        "backoff_max": 8,
        "safety_margin": 5,
        "remaining_seconds": lambda: 100,
        "sleep": sleeps.append,
    }
    defaults.update(kw)
    return RequestGovernor(**defaults), sleeps


def test_governor_budget_and_long_retry_after_checkpoint_and_stay_checkpointed():
    gov, sleeps = _governor()
    for _ in range(3):
        gov.before_request()
        gov.count_request()
    with pytest.raises(Checkpoint, match="budget"):
        gov.before_request()

    gov, sleeps = _governor()
    assert gov.wait_for_throttle(4) == 4
    assert sleeps == [4]
    assert gov.throttled_seconds == 4
    with pytest.raises(Checkpoint, match="Retry-After 3600"):
        gov.wait_for_throttle(3600)
    assert sleeps == [4]  # never slept for the long one
    with pytest.raises(Checkpoint):
        gov.before_request()  # a checkpointed run makes no further request

    gov, _ = _governor(remaining_seconds=lambda: 4)
    with pytest.raises(Checkpoint, match="time"):
        gov.before_request()
