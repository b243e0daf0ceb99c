"""The real handler, real spotipy, the real HTTP emulator; a local lake folder (S3 in test_aws.py)."""

from __future__ import annotations

import json
import math

import pytest

from extraction.errors import AuthorizationExpired, ExtractorError
from extraction.identity import listener_id
from lake_contract.settings import SearchSpec
from lake_contract.summaries import ExtractionSummary
from spotify_lake.sources.emulator import Emulator

from .conftest import emulator_env, raw_records, run_handler, write_secret

ONLY_PLAYS = {"sources": ("recently_played",)}


def _played(lake) -> list[str]:
    return [r["item"]["played_at"] for r in raw_records(lake, "recently_played")]


def _cursor(lake, emu, index=0):
    path = lake / f"_state/listener={listener_id(emu.listeners[index].user_id)}/recently_played.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_three_incremental_runs_capture_exactly_the_plays_made(tmp_path):
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    with Emulator(seed=11, days=20) as emu:
        write_secret(secret, emu)
        env = emulator_env(emu, lake, secret, **ONLY_PLAYS)
        clock = lambda: emu.now  # noqa: E731
        first = run_handler(env, clock=clock)
        emu.advance(hours=18)  # 13 plays with this seed
        second = run_handler(env, clock=clock)
        emu.advance(hours=6)  # 36 plays: under the 50 reachable
        third = run_handler(env, clock=clock)
        truth = [p["played_at"] for p in emu.visible_plays()]
    captured = _played(lake)
    assert len(captured) == len(set(captured)), "a play was stored twice"
    oldest = min(captured)
    expected = sorted(p for p in truth if p >= oldest)
    assert sorted(captured) == expected
    assert first["sources"]["recently_played"]["items_written"] == 50  # first run: the 50 reachable plays
    assert second["sources"]["recently_played"]["items_written"] > 0
    assert third["sources"]["recently_played"]["items_written"] > 0
    assert [s["gaps_detected"] for s in (first, second, third)] == [0, 0, 0]
    for summary in (first, second, third):
        assert (lake / "_runs" / f"{summary['run_id']}.json").exists()


def test_more_than_50_plays_between_runs_is_reported_as_a_gap(tmp_path):
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    with Emulator(seed=12, days=20) as emu:
        write_secret(secret, emu)
        env = emulator_env(emu, lake, secret, **ONLY_PLAYS)
        run_handler(env, clock=lambda: emu.now)
        cursor_before = _cursor(lake, emu)["after_ms"]
        emu.advance(hours=96)  # ~200 plays: Spotify keeps only 50 reachable
        summary = run_handler(env, clock=lambda: emu.now)
        newest = max(p["played_at"] for p in emu.visible_plays())
    source = summary["sources"]["recently_played"]
    assert source["gaps_detected"] == 1
    gap = source["gaps"][0]
    assert gap["cursor"] < gap["oldest_returned"] <= newest
    assert source["items_written"] == 50
    assert _cursor(lake, emu)["after_ms"] > cursor_before
    assert max(_played(lake)) == newest
    # The summary file, read through the contract's model and written back, is the same bytes; the handler
    # returned the same object.
    text = (lake / "_runs" / f"{summary['run_id']}.json").read_text()
    parsed = ExtractionSummary.from_json(text)
    assert parsed.to_json() == text
    assert parsed.to_dict() == summary
    assert parsed.sources["recently_played"].gaps[0].gap.cursor == gap["cursor"]


def _fingerprint(lake, base_url: str) -> dict:
    """What a run captured, independent of run ids, timestamps and the emulator's port (in hrefs)."""
    out = {}
    for endpoint in (
        "recently_played",
        "top_artists",
        "top_tracks",
        "saved_tracks",
        "playlists",
        "playlist_items",
        "artists",
        "search",
    ):
        records = raw_records(lake, endpoint)
        out[endpoint] = {
            (
                r["listener_id"],
                r["request"]["params"].get("time_range"),
                (r.get("parent") or {}).get("playlist_id"),
                r["position"] if endpoint not in ("artists", "recently_played", "saved_tracks") else None,
                json.dumps(r["item"], sort_keys=True).replace(base_url, "BASE"),
            )
            for r in records
        }
    return out


@pytest.mark.slow
def test_faulty_api_union_of_runs_equals_fault_free_result(tmp_path):
    searches = (SearchSpec("genre:pop", pages=2),)
    clean_lake, faulty_lake, secret = tmp_path / "clean", tmp_path / "faulty", tmp_path / "secret.json"
    with Emulator(seed=5, days=30, listeners=2) as emu:
        write_secret(secret, emu)
        clean = run_handler(emulator_env(emu, clean_lake, secret, searches=searches), clock=lambda: emu.now)
        clean_base = emu.base_url
    assert clean["status"] == "finished"
    with Emulator(seed=5, days=30, listeners=2, faults="throttle=0.3,error=0.2,reset=0.05,retry_after=0") as emu:
        write_secret(secret, emu)
        env = emulator_env(emu, faulty_lake, secret, searches=searches)
        statuses = []
        for _ in range(8):
            summary = run_handler(env, clock=lambda: emu.now)
            statuses.append(summary["status"])
            if summary["status"] == "finished":
                break
        log = emu.request_log()
        faulty_base = emu.base_url
    assert statuses[-1] == "finished", statuses
    assert sum(n for (_, status), n in log.items() if status == 429) > 0
    assert sum(n for (_, status), n in log.items() if status >= 500) > 0
    assert len(statuses) > 1  # the faults did cost the first run something
    assert _fingerprint(faulty_lake, faulty_base) == _fingerprint(clean_lake, clean_base)
    plays = _played(faulty_lake)
    assert len(plays) == len(set(plays))


def _artist_ids_referenced(lake) -> set[str]:
    ids = set()
    for endpoint in ("recently_played", "top_tracks", "saved_tracks", "playlist_items"):
        for r in raw_records(lake, endpoint):
            track = r["item"].get("track") or r["item"].get("item") or r["item"]
            if not isinstance(track, dict) or track.get("type") != "track":
                continue
            for artist in [*track.get("artists", []), *(track.get("album") or {}).get("artists", [])]:
                if artist.get("id"):  # a local file's artists have no id
                    ids.add(artist["id"])
    # Top artists come as full objects, but the artists table is built from the artists endpoint alone.
    ids.update(r["item"]["id"] for r in raw_records(lake, "top_artists"))
    return ids


@pytest.mark.parametrize(
    ("emulator_mode", "hint"), [("development", "development"), ("extended", "extended"), ("development", "auto")]
)
def test_artist_lookups_use_the_minimum_requests_for_the_mode(tmp_path, emulator_mode, hint):
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    env_extra = {
        "mode_hint": hint,
        "sources": ("recently_played", "top_items", "saved_tracks", "playlists", "catalogue"),
    }
    with Emulator(seed=3, days=30, mode=emulator_mode) as emu:
        write_secret(secret, emu)
        env = emulator_env(emu, lake, secret, **env_extra)
        first = run_handler(env, clock=lambda: emu.now)
        log = emu.request_log()
        n = len(_artist_ids_referenced(lake))
        assert n > 50
        singles, batches = log[("GET /v1/artists/{id}", 200)], log[("GET /v1/artists", 200)]
        forbidden = log[("GET /v1/artists", 403)]
        if hint == "extended":
            assert (batches, singles, forbidden) == (math.ceil(n / 50), 0, 0)
        elif hint == "development":
            assert (batches, singles, forbidden) == (0, n, 0)
        else:  # auto on a development app: one 403 teaches it, then one by one
            assert (batches, singles, forbidden) == (0, n, 1)
        assert first["sources"]["artists"]["items_written"] == n
        assert {r["item"]["id"] for r in raw_records(lake, "artists")} == _artist_ids_referenced(lake)

        # A second run a little later: zero lookups of artists already known, no second 403 probe.
        emu.reset_request_log()
        emu.advance(hours=20)
        known = _artist_ids_referenced(lake)
        run_handler(env, clock=lambda: emu.now)
        log = emu.request_log()
        new = _artist_ids_referenced(lake) - known
        assert log[("GET /v1/artists", 403)] == 0
        lookups = log[("GET /v1/artists/{id}", 200)] if hint != "extended" else None
        if lookups is not None:
            assert lookups == len(new)
        else:
            assert log[("GET /v1/artists", 200)] == math.ceil(len(new) / 50)
        assert len({r["item"]["id"] for r in raw_records(lake, "artists")}) == len(raw_records(lake, "artists"))


def test_revoked_refresh_token_stops_with_a_clear_error_and_keeps_the_cursor(tmp_path):
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    with Emulator(seed=4, days=20, listeners=2) as emu:
        write_secret(secret, emu)
        env = emulator_env(emu, lake, secret, **ONLY_PLAYS)
        run_handler(env, clock=lambda: emu.now)
        cursor = _cursor(lake, emu, 0)
        emu.advance(hours=20)
        emu.revoke(emu.listeners[0].refresh_token)
        from extraction import api

        api.cold_start()  # the revoked token must be refreshed and fail
        with pytest.raises(AuthorizationExpired, match="authorize"):
            run_handler(env, clock=lambda: emu.now)
        assert _cursor(lake, emu, 0) == cursor  # not advanced
        # the other listener was still extracted, and the run summary says what happened
        summaries = [json.loads(p.read_text()) for p in sorted((lake / "_runs").glob("*.json"))]
        failed = next(s for s in summaries if s["error_type"] == "AuthorizationExpired")
        statuses = {li["listener_id"]: li["status"] for li in failed["listeners"]}
        assert statuses.get(listener_id(emu.listeners[1].user_id)) == "done"
        assert _cursor(lake, emu, 1)["run_id"] == failed["run_id"]


def test_secrets_and_tokens_never_reach_logs_raw_records_or_summaries(tmp_path, capsys, caplog):
    import base64
    import logging

    from extraction import api

    caplog.set_level(logging.DEBUG)
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    with Emulator(seed=8, days=20, faults="throttle=0.2,error=0.1,retry_after=0") as emu:
        write_secret(secret, emu)
        run_handler(
            emulator_env(emu, lake, secret, environment={"POWERTOOLS_LOG_LEVEL": "DEBUG"}), clock=lambda: emu.now
        )
        refresh = emu.listeners[0].refresh_token
    access_tokens = [t["access_token"] for t in api._TOKEN_CACHE.values()]
    assert access_tokens
    assert all(access_tokens)
    captured = capsys.readouterr()
    haystacks = [captured.out, captured.err, caplog.text]
    haystacks += [p.read_bytes().decode("latin-1") for p in lake.rglob("*.json")]
    haystacks += [json.dumps(r) for e in ("recently_played", "top_tracks", "artists") for r in raw_records(lake, e)]
    basic = base64.b64encode(f"{emu.client_id}:{emu.client_secret}".encode()).decode()
    for text in haystacks:
        for secret_value in [refresh, basic, "Bearer ", *access_tokens]:
            assert secret_value not in text


def test_an_event_narrows_the_sources_of_one_run(tmp_path):
    # Given an extractor configured with every source,
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    with Emulator(seed=13, days=10, mode="extended") as emu:
        write_secret(secret, emu)
        env = emulator_env(emu, lake, secret)
        # when the frequent schedule's event asks only for what Spotify forgets,
        polled = run_handler(env, clock=lambda: emu.now, event={"sources": ["recently_played", "catalogue"]})
        # then only those sources ran: no snapshot of top items, library or playlists was taken.
        assert sorted(polled["sources"]) == ["artists", "profile", "recently_played"]
        assert polled["sources"]["recently_played"]["items_written"] == 50
        # An event cannot widen the configuration, and says what is configured.
        narrow = emulator_env(emu, lake, secret, sources=("recently_played",))
        message = "event sources top_items are not configured; configured: recently_played"
        with pytest.raises(ExtractorError, match=message):
            run_handler(narrow, clock=lambda: emu.now, event={"sources": ["top_items"]})


def test_retrying_a_run_id_stores_no_catalogue_details_twice(tmp_path):
    # Given a development-mode run that looked up every artist one by one,
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    with Emulator(seed=31, days=7) as emu:
        write_secret(secret, emu)
        env = emulator_env(
            emu, lake, secret, sources=("recently_played", "top_items", "catalogue"), mode_hint="development"
        )
        first = run_handler(env, clock=lambda: emu.now, event={"run_id": "extract-retry-1"})
        objects = sorted(p.relative_to(lake) for p in lake.glob("raw/source=api/endpoint=artists/**/*.ndjson.gz"))
        emu.reset_request_log()
        # when the same invocation is retried (as Lambda or the state machine may do),
        second = run_handler(env, clock=lambda: emu.now, event={"run_id": "extract-retry-1"})
        lookups = emu.request_log()[("GET /v1/artists/{id}", 200)]
    # then no artist is fetched or stored again.
    assert first["status"] == second["status"] == "finished"
    assert objects, "the first run stored artist details"
    assert sorted(p.relative_to(lake) for p in lake.glob("raw/source=api/endpoint=artists/**/*.ndjson.gz")) == objects
    assert lookups == 0


def test_a_poll_asks_who_the_listener_is_only_once(tmp_path):
    # Given a first run that had to ask /v1/me whose refresh token it holds,
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    with Emulator(seed=14, days=5) as emu:
        write_secret(secret, emu)
        env = emulator_env(emu, lake, secret, **ONLY_PLAYS)
        first = run_handler(env, clock=lambda: emu.now)
        emu.advance(hours=2)
        emu.reset_request_log()
        # when the next poll runs,
        second = run_handler(env, clock=lambda: emu.now)
        requests = emu.request_log()
    # then it makes exactly one API request: the page of recently played plays.
    assert first["sources"]["profile"]["requests"]["200"] == 1  # (plus the token request)
    assert "profile" not in second["sources"]
    assert {key: n for key, n in requests.items() if key[0].startswith("GET /v1/")} == {
        ("GET /v1/me/player/recently-played", 200): 1
    }
    # and the listener stays the same pseudonym, without its refresh token stored anywhere.
    assert second["listeners"][0]["listener_id"] == listener_id(emu.listeners[0].user_id)
    for path in (lake / "_state").rglob("*.json"):
        assert emu.listeners[0].refresh_token not in path.read_text() + str(path)
