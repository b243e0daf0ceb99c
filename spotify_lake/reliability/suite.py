"""The reliability suite: every scenario over the whole pipeline, its pass criteria and its one-line figures.

``python -m spotify_lake reliability`` runs it; the scenarios are the ones ``tests/reliability/`` runs
(:mod:`spotify_lake.reliability.scenarios`), with more crash points and more fuzzed files unless ``quick``.
docs/RELIABILITY.md explains each figure.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from spotify_lake.reliability import harness, scenarios

SCENARIOS = ("faults", "crashes", "fuzz", "reruns", "concurrency", "authorization", "secrets")

#: (quick, full) sizes
SIZES = {
    "crash_extract_points": (4, 12),
    "crash_curate_points": (2, 5),
    "fuzz_files": (1000, 3000),
    "fuzz_runs": (2, 4),
    "parallel": (2, 3),
}


def run_suite(
    out: Path,
    *,
    chosen: Sequence[str],
    quick: bool,
    keep: bool,
    seed: int,
    gzip_damage: bool,
    say: Callable[[str], None],
) -> tuple[Path, list[str]]:
    """Run the chosen scenarios, write ``<out>/results.json``; return its path and the scenarios not met.

    ``say`` receives one progress line per scenario (what runs, then its figures)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")  # units failing on purpose would flood the figures
    logging.getLogger("spotify_lake.reliability").setLevel(logging.ERROR)
    size = {k: v[0 if quick else 1] for k, v in SIZES.items()}
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work" if keep else Path(tempfile.mkdtemp(prefix="spotify-lake-reliability-"))
    if work.exists() and keep:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    harness.quiet_powertools()

    started = time.monotonic()
    results = scenarios.Results()
    needles: dict[str, str] = {}
    spark = None
    try:
        curator = None
        if set(chosen) - {"authorization"}:
            spark = _spark()
            curator = scenarios.InProcessCurator(spark)
        week = scenarios.Week(seed=seed)
        reference = None
        if set(chosen) & {"faults", "crashes", "concurrency"}:
            say("fault-free week: extracting and curating the yardstick")
            reference = scenarios.reference_week(work, week, curator)
        steps = {
            "faults": lambda: scenarios.faults(work, week, curator, reference),
            "crashes": lambda: scenarios.crashes(
                work,
                week,
                curator,
                reference,
                extract_points=size["crash_extract_points"],
                curate_points=size["crash_curate_points"],
            ),
            "fuzz": lambda: scenarios.fuzz_runs(
                work, curator, files=size["fuzz_files"], runs=size["fuzz_runs"], gzip_damage=gzip_damage
            ),
            "reruns": lambda: scenarios.reruns(work, curator),
            "concurrency": lambda: scenarios.concurrency(work, week, curator, reference, parallel=size["parallel"]),
            "authorization": lambda: scenarios.authorization(work),
            "secrets": lambda: _secrets(work, curator, needles),
        }
        for name in chosen:
            say(f"{name} …")
            t0 = time.monotonic()
            try:
                section = steps[name]()
            except Exception as exc:  # one broken scenario must not hide the others' figures
                section = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-2000:]}
            section["seconds"] = round(time.monotonic() - t0, 1)
            results.sections[name] = section
            say("  " + describe(name, section))
    finally:
        if spark is not None:
            spark.stop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)

    document = results.document()
    document["run"] = {"quick": quick, "seconds": round(time.monotonic() - started, 1), "seed": seed}
    text = json.dumps(document, indent=2, sort_keys=False, default=str)
    if needles:  # the report itself must not carry a secret either
        report_leaks = [what for what, needle in needles.items() if needle in text]
        document["secrets"]["leaks"] += len(report_leaks)
        document["secrets"]["report_leaks"] = report_leaks
        text = json.dumps(document, indent=2, sort_keys=False, default=str)
    path = out / "results.json"
    path.write_text(text + "\n", encoding="utf-8")
    return path, [name for name in chosen if not passed(name, results.sections.get(name, {}))]


def _secrets(work: Path, curator, needles: dict[str, str]) -> dict:
    figures, found = scenarios.secrets_scan(work, curator)
    needles.update(found)
    return figures


def _spark():
    from curation.session import build_session

    return build_session(
        master="local[2]",
        extra={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
        },
    )


def passed(name: str, s: dict) -> bool:
    if "error" in s:
        return False
    checks = {
        "faults": lambda: s["identical"] and s["runs_to_converge"] <= 2,
        "crashes": lambda: s["identical"] and not s["violations"],
        "fuzz": lambda: s["crashes"] == 0 and s["records"] == s["accounted"] and not s["problems"],
        "reruns": lambda: s["identical"],
        "concurrency": lambda: s["duplicates"] == 0 and s["identical"] and s["cursors"] == 1 and not s["cursor_ahead"],
        "authorization": lambda: s["resumed"],
        "secrets": lambda: s["leaks"] == 0,
    }
    return bool(checks[name]())


def describe(name: str, s: dict) -> str:
    """One line of figures per scenario."""
    if "error" in s:
        return f"ERROR {s['error']}"
    if name == "faults":
        kinds = ", ".join(f"{k} {v}" for k, v in s["injected_by_kind"].items())
        return (
            f"{s['injected']} faults injected ({kinds}), {s['survived']} survived; plays identical: "
            f"{s['identical']} after {s['runs_to_converge']} run(s)"
        )
    if name == "crashes":
        return (
            f"{s['points']} crash points tried, {len(s['violations'])} violations; final plays identical: "
            f"{s['identical']}"
        )
    if name == "fuzz":
        return (
            f"{s['files']} damaged files fuzzed in {s['runs']} runs, {s['records']} records read, "
            f"{s['accounted']} accounted ({s['loaded']} loaded + {s['duplicates']} duplicates + "
            f"{s['quarantined']} quarantined), {s['crashes']} crashes, "
            f"{s['control_plays_loaded']}/{s['control_plays']} control plays loaded"
        )
    if name == "reruns":
        return f"{s['stages']} stages run twice, unchanged: {s['identical']} {s['by_stage']}"
    if name == "concurrency":
        return (
            f"{s['parallel']} extractions at once per poll: {s['duplicates']} duplicate plays, {s['cursors']} cursor, "
            f"{s['raw_duplicates_folded']} raw duplicates folded by curation, runs {s['runs']}"
        )
    if name == "authorization":
        return (
            f"stopped with {s['stopped_with']}, {s['objects_written_before_stop']} object(s) kept, "
            f"resumed from the cursor: {s['resumed']}"
        )
    if name == "secrets":
        return f"{s['leaks']} leaks in {s['searched']} logs and files ({s['secrets_searched']} secrets searched)"
    return json.dumps(s)
