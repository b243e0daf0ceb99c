"""The catalogue backfill against the emulator with real spotipy: order by plays, budget per run and per day,
resume, 404s remembered and never asked again, batches in extended mode, and the candidates the import writes.

Every expected figure is worked out by hand from the candidates each test writes itself."""

from __future__ import annotations

import json
from datetime import timedelta

from extraction.api import cold_start
from lake_contract.backfill import CANDIDATES_KEY, STATE_KEY, BackfillCandidates
from spotify_lake.sources.emulator import Emulator
from spotify_lake.sources.emulator.catalogue import catalogue_for, spotify_id
from spotify_lake.sources.exportgen import write_export
from spotify_lake.staging import load_candidates, stage_export

from .conftest import emulator_env, raw_records, run_handler, write_secret

SEED = 21
ONLY_BACKFILL = {"sources": ("backfill",)}
#: Valid base-62 ids the emulator's catalogue does not hold (another seed's tracks): Spotify answers 404.
GONE = [spotify_id(999, "track", i) for i in range(2)]


def _queue(lake, plays: dict[str, int]) -> None:
    """Candidates as the import writes them (one export file's counts)."""
    candidates = BackfillCandidates()
    candidates.add_file("raw/source=export/endpoint=streaming_history_extended/listener=x/sha256=0/f.json", plays)
    target = lake / CANDIDATES_KEY.format()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(candidates.to_json())


def _state(lake) -> dict:
    return json.loads((lake / STATE_KEY.format()).read_text())


def _track_lookups(emu) -> dict[str, int]:
    """Requests the emulator answered for track lookups, by route template (every status)."""
    counts: dict[str, int] = {}
    for (template, _status), n in emu.request_log().items():
        if template.startswith("GET /v1/tracks"):
            counts[template] = counts.get(template, 0) + n
    return counts


def _fetched(lake, summary: dict | None = None) -> list[str]:
    """Track ids written under ``tracks`` in request order: by one run, or (sorted) by all."""
    if summary is None:
        return sorted(r["item"]["id"] for r in raw_records(lake, "tracks"))
    return [r["item"]["id"] for r in raw_records(lake, "tracks") if r["run_id"] == summary["run_id"]]


def _tracks(n: int) -> list[str]:
    return [t.id for t in catalogue_for(SEED).tracks[:n]]


def _setup(tmp_path, emu, **settings):
    cold_start()  # a token cached by an earlier test's emulator would cost a 401 and a refresh
    lake, secret = tmp_path / "lake", tmp_path / "secret.json"
    write_secret(secret, emu)
    settings.setdefault("mode_hint", "development")
    return lake, emulator_env(emu, lake, secret, **ONLY_BACKFILL, **settings)


def test_most_played_first_within_the_run_budget_then_resumed_next_run(tmp_path):
    with Emulator(seed=SEED, days=3) as emu:
        lake, env = _setup(tmp_path, emu, backfill_requests_per_run=3, backfill_requests_per_day=100)
        t = _tracks(5)
        # plays: t3 9, t1 7, t4 7, t0 2, t2 1 (ties by id)
        _queue(lake, {t[0]: 2, t[1]: 7, t[2]: 1, t[3]: 9, t[4]: 7})
        tie = sorted([t[1], t[4]])
        clock = lambda: emu.now  # noqa: E731
        first = run_handler(env, clock=clock)
        assert _fetched(lake, first) == [t[3], *tie]
        assert first["sources"]["backfill"]["requests"] == {"200": 3}
        assert first["sources"]["backfill"]["skipped"] == {"left for later (budget per run)": 2}
        # the albums and artists the answers name go through the catalogue lookups in the same run
        assert first["sources"]["artists"]["items_written"] >= 1
        state = _state(lake)
        assert (state["requests_today"], state["looked_up"], state["requests"]) == (3, 3, 3)
        second = run_handler(env, clock=clock)
        assert _fetched(lake, second) == [t[0], t[2]]
        assert second["sources"]["backfill"]["requests"] == {"200": 2}
        assert second["sources"]["backfill"]["skipped"] == {}
        third = run_handler(env, clock=clock)  # nothing left: no request at all
        assert third["sources"]["backfill"]["requests"] == {}
        assert sum(_track_lookups(emu).values()) == 5  # five ids, five requests: none asked twice
        known = json.loads((lake / "_state/catalogue/known_tracks.json").read_text())["ids"]
        assert set(t) <= set(known)


def test_daily_cap_holds_across_runs_and_a_new_day_resets_it(tmp_path):
    with Emulator(seed=SEED, days=3) as emu:
        lake, env = _setup(tmp_path, emu, backfill_requests_per_run=3, backfill_requests_per_day=4)
        _queue(lake, {tid: 10 - i for i, tid in enumerate(_tracks(8))})
        clock = lambda: emu.now  # noqa: E731
        run_handler(env, clock=clock)  # 3 of the day's 4
        second = run_handler(env, clock=clock)  # 1 left today
        assert second["sources"]["backfill"]["requests"] == {"200": 1}
        assert second["sources"]["backfill"]["skipped"] == {"left for later (budget per day)": 4}
        third = run_handler(env, clock=clock)
        assert third["sources"]["backfill"]["requests"] == {}
        assert _state(lake)["requests_today"] == 4
        later = emu.now + timedelta(days=1)
        fourth = run_handler(env, clock=lambda: later)  # a new UTC day: the per-run cap applies again
        assert fourth["sources"]["backfill"]["requests"] == {"200": 3}
        assert _fetched(lake, fourth) == _tracks(7)[4:]
        assert _fetched(lake) == sorted(_tracks(7))
        assert _state(lake)["requests_today"] == 3


def test_a_404_is_remembered_with_its_reason_and_never_asked_again(tmp_path):
    with Emulator(seed=SEED, days=3) as emu:
        lake, env = _setup(tmp_path, emu, backfill_requests_per_run=10)
        t = _tracks(2)
        _queue(lake, {GONE[0]: 50, t[0]: 5, GONE[1]: 3, t[1]: 1})
        first = run_handler(env, clock=lambda: emu.now)
        assert first["status"] == "finished"
        assert first["sources"]["backfill"]["requests"] == {"200": 2, "404": 2}
        assert first["sources"]["backfill"]["skipped"] == {"gone (404)": 2}
        gone = _state(lake)["gone"]
        assert set(gone) == set(GONE)
        assert gone[GONE[0]]["reason"] == f"HTTP 404 for /v1/tracks/{GONE[0]}"
        assert gone[GONE[0]]["run_id"] == first["run_id"]
        assert _fetched(lake, first) == t
        second = run_handler(env, clock=lambda: emu.now)
        assert second["sources"]["backfill"]["requests"] == {}
        assert sum(_track_lookups(emu).values()) == 4


def test_extended_mode_looks_up_50_tracks_a_request(tmp_path):
    with Emulator(seed=SEED, days=3, mode="extended") as emu:
        lake, env = _setup(tmp_path, emu, mode_hint="extended", backfill_requests_per_run=3)
        ids = _tracks(120)
        _queue(lake, {tid: 1000 - i for i, tid in enumerate(ids)} | {GONE[0]: 1})
        summary = run_handler(env, clock=lambda: emu.now)
        # 121 ids: batches of 50, 50 and 21; the unknown id comes back null and is remembered as gone
        assert summary["sources"]["backfill"]["requests"] == {"200": 3}
        assert summary["sources"]["backfill"]["skipped"] == {"gone (null)": 1}
        assert _track_lookups(emu) == {"GET /v1/tracks": 3}
        assert _fetched(lake, summary) == ids
        assert _state(lake)["gone"][GONE[0]]["reason"] == "null in the batch answer of /v1/tracks?ids="
        state = _state(lake)
        assert (state["looked_up"], state["requests"]) == (121, 3)  # 0.025 requests per track


def test_a_checkpoint_keeps_what_was_fetched_and_the_next_run_continues(tmp_path):
    with Emulator(seed=SEED, days=3) as emu:
        # the run's whole request budget stops the backfill after 4 lookups (2 go to the token and /v1/me)
        lake, env = _setup(tmp_path, emu, backfill_requests_per_run=100, request_budget=6)
        ids = _tracks(6)
        _queue(lake, {tid: 10 - i for i, tid in enumerate(ids)})
        first = run_handler(env, clock=lambda: emu.now)
        assert first["status"] == "checkpointed"
        assert first["sources"]["backfill"]["requests"] == {"200": 4}
        assert _fetched(lake, first) == ids[:4]
        env_after = {**env, "REQUEST_BUDGET": "600"}
        second = run_handler(env_after, clock=lambda: emu.now)
        assert second["sources"]["backfill"]["requests"] == {"200": 2}
        assert _fetched(lake, second) == ids[4:]
        assert sum(_track_lookups(emu).values()) == 6


def test_without_an_imported_export_there_is_nothing_to_do(tmp_path):
    with Emulator(seed=SEED, days=3) as emu:
        _lake, env = _setup(tmp_path, emu)
        summary = run_handler(env, clock=lambda: emu.now)
        assert summary["sources"]["backfill"]["skipped"] == {"no export imported yet": 1}
        assert _track_lookups(emu) == {}


def test_import_queues_exported_track_ids_once_and_the_emulator_knows_them_all(tmp_path):
    with Emulator(seed=SEED, days=20) as emu:
        zip_path, lake = tmp_path / "export.zip", tmp_path / "lake"
        write_export(zip_path, seed=SEED, days=20, listener_index=0, now=emu.now)
        user = emu.listeners[0].user_id
        stage_export(zip_path, lake, listener=user, now=emu.now)
        first = load_candidates(lake)
        # the plays queued are the rows of the export's extended files that carry a track URI, counted by hand
        rows = []
        for path in sorted(lake.glob("raw/source=export/endpoint=streaming_history_extended/**/*.json")):
            rows += json.loads(path.read_text(encoding="utf-8-sig"))
        uris = [r["spotify_track_uri"] for r in rows if (r.get("spotify_track_uri") or "").startswith("spotify:track:")]
        assert sum(first.plays.values()) == len(uris)
        assert set(first.plays) == {u.rsplit(":", 1)[1] for u in uris}
        # importing the same export again counts nothing twice
        stage_export(zip_path, lake, listener=user, now=emu.now)
        assert load_candidates(lake).plays == first.plays
        # the emulator serves every track id the export names (the same catalogue)
        assert set(first.plays) <= set(catalogue_for(SEED).track_by_id)
