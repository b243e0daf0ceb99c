"""Where the project's curation spends its time: one curate run with Spark's event log, summarised by call site.

    python -m spotify_lake.bench.profile EXPORT.zip [--work DIR] [--top 15]

Imports the export into a fresh lake, runs ``spotify_lake curate`` with ``spark.eventLog.enabled`` (through
``PYSPARK_SUBMIT_ARGS``, so the job code is untouched), then reads the event log: wall time, number of
Spark jobs and stages, and the stages' summed durations per source line of the job that triggered them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from spotify_lake.bench.engines import BENCH_USER_ID, subprocess_env
from spotify_lake.bench.rss import run_measured


def summarise_event_log(path: Path, top: int = 15) -> dict[str, Any]:
    jobs = stages = 0
    tasks = 0
    by_site: dict[str, dict[str, float]] = defaultdict(lambda: {"stages": 0, "seconds": 0.0, "tasks": 0})
    app_start = app_end = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            event = json.loads(line)
            kind = event.get("Event")
            if kind == "SparkListenerApplicationStart":
                app_start = event["Timestamp"]
            elif kind == "SparkListenerApplicationEnd":
                app_end = event["Timestamp"]
            elif kind == "SparkListenerJobStart":
                jobs += 1
            elif kind == "SparkListenerStageCompleted":
                info = event["Stage Info"]
                if "Submission Time" not in info or "Completion Time" not in info:
                    continue
                stages += 1
                tasks += info.get("Number of Tasks", 0)
                site = _call_site(info)
                by_site[site]["stages"] += 1
                by_site[site]["tasks"] += info.get("Number of Tasks", 0)
                by_site[site]["seconds"] += (info["Completion Time"] - info["Submission Time"]) / 1000
    ranked = sorted(by_site.items(), key=lambda kv: kv[1]["seconds"], reverse=True)
    return {
        "application_seconds": (app_end - app_start) / 1000 if app_start and app_end else None,
        "jobs": jobs,
        "stages": stages,
        "tasks": tasks,
        "stage_seconds_total": round(sum(v["seconds"] for v in by_site.values()), 1),
        "top_call_sites": [
            {"call_site": site, "stages": int(v["stages"]), "tasks": int(v["tasks"]), "seconds": round(v["seconds"], 1)}
            for site, v in ranked[:top]
        ],
    }


def _call_site(info: dict[str, Any]) -> str:
    """The job code line that triggered a stage: PySpark names a stage ``<action> at <file.py>:<line>``."""
    name = str(info.get("Stage Name", "?"))
    if ".py:" in name:
        action, _, where = name.partition(" at ")
        for marker in ("glue/", "spotify_lake/"):
            if marker in where:
                where = marker + where.split(marker, 1)[1]
                break
        return f"{action} at {where}"
    return name


def profile_curate(zip_path: Path, work: Path, top: int = 15) -> dict[str, Any]:
    lake, events = work / "lake", work / "events"
    for folder in (lake, events):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    env = subprocess_env()
    env["PYSPARK_SUBMIT_ARGS"] = (
        f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir={events.resolve().as_uri()} pyspark-shell"
    )
    cli = [sys.executable, "-m", "spotify_lake"]
    imp = run_measured([*cli, "import", str(zip_path), "--lake", str(lake), "--listener", BENCH_USER_ID], env=env)
    if imp.returncode != 0:
        raise SystemExit(f"import failed: {imp.stderr[-2000:]}")
    start = time.perf_counter()
    cur = run_measured([*cli, "curate", "--lake", str(lake)], env=env)
    if cur.returncode != 0:
        raise SystemExit(f"curate failed: {cur.stderr[-2000:]}")
    logs = sorted(p for p in events.iterdir() if p.is_file())
    if not logs:
        raise SystemExit("Spark wrote no event log")
    out = summarise_event_log(logs[-1], top)
    out["curate_wall_seconds"] = round(time.perf_counter() - start, 1)
    out["curate_peak_rss_mb"] = round(cur.peak_rss_mb)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="export zip (e.g. out/bench/data/export-…/my_spotify_data.zip)")
    parser.add_argument("--work", type=Path, default=Path("out/bench/profile"))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    result = profile_curate(args.export, args.work, args.top)
    (args.work / "profile.json").write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
