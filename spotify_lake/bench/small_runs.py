"""Small runs: what curation costs when there is little to do.

A personal deployment mostly runs small jobs: the first curation of a listener's year (the demo's lake), then a
run after every poll with a few dozen new plays. Their time is almost all fixed cost (JVM start, listings, one
Spark job per step), which the 2M transform hides. Two figures, each ``spotify_lake curate`` in its own measured
process tree like the transform's engines:

- **demo curation**: the lake `python -m spotify_lake demo` builds (:mod:`spotify_lake.demo_lake`), curated once;
- **incremental after a 50-play poll**: the emulator's clock advanced until its listener has played
  :data:`POLL_PLAYS` new tracks, one poll of what the deployed schedule polls, then curation of that poll alone.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from lake_contract.keys import RunSummaryKey
from lake_contract.summaries import CurationSummary
from spotify_lake import demo_lake, pipeline
from spotify_lake.bench.engines import subprocess_env
from spotify_lake.bench.rss import run_measured
from spotify_lake.sources.emulator import Emulator

#: New plays the incremental run's poll brings (recently-played pages hold at most 50).
POLL_PLAYS = 50
#: Simulated minutes between the emulator's clock steps while waiting for :data:`POLL_PLAYS` new plays.
STEP_MINUTES = 5


def advance_until_new_plays(emu: Emulator, plays: int, step_minutes: float = STEP_MINUTES) -> int:
    """Advance the simulated clock in ``step_minutes`` steps until listener 1 has ``plays`` more plays that
    recently-played can list; returns how many there are (``plays``, or a few more within the last step)."""
    before = len(emu.visible_plays(0))
    new = 0
    while new < plays:
        emu.advance(minutes=step_minutes)
        new = len(emu.visible_plays(0)) - before
    return new


def _curate(lake: Path, run_id: str) -> dict[str, Any]:
    """``spotify_lake curate`` in its own process tree: seconds, peak RSS and what its summary counted."""
    cli = [sys.executable, "-m", "spotify_lake", "curate", "--lake", str(lake), "--run-id", run_id]
    measured = run_measured(cli, env=subprocess_env())
    if measured.returncode != 0:
        tail = "\n".join((measured.stderr or measured.stdout).strip().splitlines()[-15:])
        return {"error": f"curate exited {measured.returncode}", "stderr_tail": tail}
    summary = CurationSummary.from_dict(json.loads((lake / RunSummaryKey(run_id).format()).read_text()))
    totals = summary.totals()
    return {
        "seconds": round(measured.seconds, 2),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "records_read": totals.read,
        "records_loaded": totals.loaded,
        "raw_objects": summary.raw_objects,
    }


def run_small_runs(work: Path, seed: int) -> dict[str, Any]:
    """Build the demo's lake under ``work``, time its curation, poll :data:`POLL_PLAYS` new plays, time again."""
    if work.exists():
        shutil.rmtree(work)
    lake = work / "lake"
    progress = pipeline.Progress(total=demo_lake.stages(1), stream=io.StringIO())
    with Emulator(seed=seed, days=demo_lake.DAYS, listeners=1, mode=demo_lake.MODE) as emu:
        demo_lake.build(emu, lake, work / "export", seed=seed, days=demo_lake.DAYS, progress=progress)
        first = _curate(lake, "curate-bench-demo")
        if "error" in first:
            return {"demo_curation": first}
        new_plays = advance_until_new_plays(emu, POLL_PLAYS)
        poll = pipeline.extract_from_emulator(emu, lake, demo_lake.POLL_OPTIONS)
    after_poll = _curate(lake, "curate-bench-incremental")
    polled = poll.sources.get("recently_played")
    return {
        "demo_curation": first,
        "incremental": {
            **after_poll,
            "new_plays": new_plays,
            "plays_polled": polled.items_written if polled else 0,
            "poll_requests": poll.requests_total,
        },
        "seed": seed,
        "days": demo_lake.DAYS,
        "mode": demo_lake.MODE,
    }
