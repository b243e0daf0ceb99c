"""API calls: a simulated week of one listener polled on the configured schedule, in both quota modes.

The deployed extractor handler (``extraction.handler.lambda_handler``) runs in-process once per poll
against the emulator, whose simulated clock is advanced by the poll interval between invocations, and
writes into a real lake folder that persists across polls (cursors and known catalogue ids included).
Requests are counted on the server side (the emulator's request log), so nothing the client forgets to
count is missed.

The minimum possible is what the issue defines: one recently-played page per poll, plus one artist
lookup per artist never seen before (development mode: ``GET /artists/{id}``), or one batch request per
50 new artists of a poll (extended mode: ``GET /artists?ids=``); known artists cost nothing. New artists
are read from the raw recently-played objects each poll wrote.

The backfill table (:func:`simulate_backfill`): one imported export worked through by the ``backfill`` source
in a few daily runs, requests per distinct track (1.00 in development mode, one batch per 50 in extended mode)
and the share of the export's plays whose track the catalogue then knows.

Under ``throttle=0.2`` the handler's sleeps for ``Retry-After`` are recorded, not waited (the emulator's
faults depend only on the request number, so waiting would change nothing but the wall time).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import logging
import math
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lake_contract.keys import api_glob

#: The extractor's poll interval when cdk.json does not say otherwise (minutes).
DEFAULT_POLL_MINUTES = 30
#: A week of polls at that interval.
WEEK_POLLS = 7 * 24 * 60 // DEFAULT_POLL_MINUTES
#: Sources the scheduled extractor runs every poll for plays and their artists.
POLL_SOURCES = "recently_played,catalogue"
ARTIST_BATCH = 50
THROTTLE_FAULTS = "throttle=0.2"
TOKEN_ENDPOINTS = ("POST /api/token",)


def _artists_of(item: dict) -> set[str]:
    track = item.get("track") or item.get("item") or {}
    artists = list(track.get("artists") or []) + list((track.get("album") or {}).get("artists") or [])
    return {a["id"] for a in artists if isinstance(a, dict) and a.get("id")}


def _read_items(lake: Path, keys: list[str]) -> list[dict]:
    items = []
    for key in keys:
        path = lake / key
        if not path.name.endswith(".ndjson.gz"):
            continue
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            items.extend(json.loads(line)["item"] for line in fh if line.strip())
    return items


def _lake_objects(lake: Path) -> tuple[int, int]:
    files = [p for p in lake.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def simulate_week(
    mode: str, *, polls: int, every_minutes: float, seed: int, faults: str = "", days: int = 30
) -> dict[str, Any]:
    """Run ``polls`` extractor invocations ``every_minutes`` apart against a fresh emulator and lake."""
    for name, value in (
        ("POWERTOOLS_METRICS_DISABLED", "true"),
        ("POWERTOOLS_TRACE_DISABLED", "true"),
        ("POWERTOOLS_LOG_LEVEL", "WARNING"),
        ("POWERTOOLS_METRICS_NAMESPACE", "SpotifyLake"),
    ):
        os.environ.setdefault(name, value)
    from extraction import handler
    from extraction.api import cold_start
    from extraction.run import Runtime
    from lake_contract.settings import ExtractorSettings
    from lake_contract.summaries import ExtractionSummary
    from spotify_lake.adapters.local_lambda import LocalContext
    from spotify_lake.pipeline import at_emulator, write_emulator_secret
    from spotify_lake.sources.emulator import Emulator

    slept: list[float] = []
    requests_by_status: Counter = Counter()
    minimum = 0
    new_artists_total = 0
    seen_artists: set[str] = set()
    plays = 0
    throttled_seconds = 0.0
    handler_seconds = 0.0
    statuses: Counter = Counter()
    logging.getLogger("extractor").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="bench-api-") as tmp,
        Emulator(seed=seed, days=days, listeners=1, mode=mode, faults=faults) as emu,
    ):
        lake = Path(tmp) / "lake"
        secret = write_emulator_secret(emu, Path(tmp) / "secret.json")
        settings = ExtractorSettings(
            lake_dir=str(lake), secret_file=str(secret), mode_hint="auto", sources=tuple(POLL_SOURCES.split(","))
        )
        env = at_emulator(settings, emu).to_environment()
        cold_start()  # a fresh deployment: no access token from an earlier week's emulator
        runtime = Runtime.from_environment(env, clock=lambda: emu.now, sleep=slept.append)
        handler.install_runtime(runtime)
        emu.reset_request_log()
        try:
            for _ in range(polls):
                emu.advance(minutes=every_minutes)
                start = time.perf_counter()
                # Powertools prints its metrics (EMF) to stdout, as Lambda expects; keep them out of the table.
                with contextlib.redirect_stdout(io.StringIO()):
                    returned = handler.lambda_handler({}, LocalContext(deadline=time.monotonic() + 900))
                handler_seconds += time.perf_counter() - start
                summary = ExtractionSummary.from_dict(returned)
                statuses[summary.status] += 1
                throttled_seconds += summary.throttled_seconds
                requests_by_status.update(summary.requests_by_status)
                rp = summary.sources.get("recently_played")
                items = _read_items(lake, rp.raw_keys if rp else [])
                plays += len(items)
                new = set().union(*(_artists_of(i) for i in items)) - seen_artists if items else set()
                seen_artists |= new
                new_artists_total += len(new)
                minimum += 1 + (len(new) if mode == "development" else math.ceil(len(new) / ARTIST_BATCH))
        finally:
            handler.install_runtime(None)
        log = emu.request_log()
        files, lake_bytes = _lake_objects(lake)
        raw_rp = list(lake.glob(api_glob("recently_played")))
        raw_rp_bytes = sum(p.stat().st_size for p in raw_rp)
    api_log = {f"{ep} {status}": n for (ep, status), n in sorted(log.items()) if ep not in TOKEN_ENDPOINTS}
    requests = sum(n for (ep, _s), n in log.items() if ep not in TOKEN_ENDPOINTS)
    return {
        "requests": requests,
        "minimum": minimum,
        "ratio": round(requests / minimum, 3) if minimum else None,
        "throttled_seconds": round(throttled_seconds, 3),
        "status_429": sum(n for (ep, s), n in log.items() if s == 429 and ep not in TOKEN_ENDPOINTS),
        "token_requests": sum(n for (ep, _s), n in log.items() if ep in TOKEN_ENDPOINTS),
        "requests_by_endpoint": api_log,
        "requests_by_status_client": dict(sorted(requests_by_status.items())),
        "polls": polls,
        "poll_minutes": every_minutes,
        "plays_extracted": plays,
        "new_artists": new_artists_total,
        "run_statuses": dict(statuses),
        "handler_seconds_per_poll": round(handler_seconds / polls, 4) if polls else None,
        "sleeps_recorded_seconds": round(sum(slept), 3),
        "lake_files": files,
        "lake_bytes": lake_bytes,
        "raw_recently_played_bytes": raw_rp_bytes,
        "faults": faults,
    }


def run_api(polls: int | None = None, seed: int = 7, every_minutes: float | None = None) -> dict[str, Any]:
    """The ``api`` section: both modes without faults, then both under ``throttle=0.2``."""
    every = every_minutes or DEFAULT_POLL_MINUTES
    n = polls or int(7 * 24 * 60 // every)
    out: dict[str, Any] = {}
    for mode in ("development", "extended"):
        clean = simulate_week(mode, polls=n, every_minutes=every, seed=seed)
        throttled = simulate_week(mode, polls=n, every_minutes=every, seed=seed, faults=THROTTLE_FAULTS)
        clean["throttled_seconds"] = throttled["throttled_seconds"]
        clean["throttle"] = {
            "faults": THROTTLE_FAULTS,
            "requests": throttled["requests"],
            "status_429": throttled["status_429"],
            "throttled_seconds": throttled["throttled_seconds"],
            "run_statuses": throttled["run_statuses"],
            "plays_extracted": throttled["plays_extracted"],
        }
        out[mode] = clean
    out["backfill"] = {mode: simulate_backfill(mode, seed=seed) for mode in ("development", "extended")}
    out["note"] = (
        f"{n} polls every {every:g} minutes ({n * every / 60 / 24:.2f} simulated days)"
        + ("" if n * every >= 7 * 24 * 60 else f"; a week would be {int(7 * 24 * 60 // every)} polls")
        + f"; sources {POLL_SOURCES}; minimum = 1 recently-played page per poll + new-artist lookups"
    )
    return out


#: Extraction runs of the backfill table, a simulated day apart, each within cdk.json's dev budget.
BACKFILL_RUNS = 3
#: Days of simulated listening in the export the backfill works through.
BACKFILL_DAYS = 60


def simulate_backfill(mode: str, *, seed: int, runs: int = BACKFILL_RUNS, days: int = BACKFILL_DAYS) -> dict[str, Any]:
    """The catalogue backfill of one imported export: ``runs`` extractions of the ``backfill`` source a day apart.

    Per run: the track lookups the emulator answered (``GET /v1/tracks…``, server-side count), the distinct track
    ids settled so far (fetched, or remembered as gone), requests per track, and the share of the export's track
    plays whose track is now in the catalogue (so its album's release year is known after curation).
    """
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    from extraction.api import cold_start
    from lake_contract.backfill import STATE_KEY
    from lake_contract.settings import ExtractorSettings
    from spotify_lake.pipeline import ExtractOptions, at_emulator, invoke_extractor, write_emulator_secret
    from spotify_lake.sources.emulator import Emulator
    from spotify_lake.sources.exportgen import write_export
    from spotify_lake.staging import load_candidates, stage_export

    defaults = ExtractorSettings()
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp,
        Emulator(seed=seed, days=days, listeners=1, mode=mode) as emu,
    ):
        lake = Path(tmp) / "lake"
        export = write_export(Path(tmp) / "export.zip", seed=seed, days=days, listener_index=0, now=emu.now)
        stage_export(export.path, lake, listener=emu.listeners[0].user_id, now=emu.now)
        plays = load_candidates(lake).plays
        total_plays = sum(plays.values())
        secret = write_emulator_secret(emu, Path(tmp) / "secret.json")
        options = ExtractOptions(mode_hint=mode, sources=("backfill",))
        env = at_emulator(options.settings(lake, secret), emu).to_environment()
        cold_start()
        emu.reset_request_log()
        with contextlib.redirect_stdout(io.StringIO()):
            for run in range(1, runs + 1):
                invoke_extractor(env, options, clock=lambda: emu.now)
                log = emu.request_log()
                lookups = sum(n for (ep, _s), n in log.items() if ep.startswith("GET /v1/tracks"))
                state = json.loads((lake / STATE_KEY.format()).read_text())
                known = json.loads((lake / "_state/catalogue/known_tracks.json").read_text())["ids"]
                fetched_plays = sum(n for track, n in plays.items() if track in known and track not in state["gone"])
                rows.append(
                    {
                        "run": run,
                        "requests": lookups,
                        "tracks_looked_up": state["looked_up"],
                        "requests_per_track": round(lookups / state["looked_up"], 3) if state["looked_up"] else None,
                        "coverage_of_plays": round(100 * fetched_plays / total_plays, 1) if total_plays else None,
                    }
                )
                emu.advance(hours=24)  # the next daily run: a new UTC day, the daily cap starts again
    return {
        "runs": rows,
        "distinct_tracks": len(plays),
        "track_plays": total_plays,
        "budget": {"per_run": defaults.backfill_requests_per_run, "per_day": defaults.backfill_requests_per_day},
        "export_days": days,
    }
