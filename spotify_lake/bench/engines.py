"""One timed run of one engine on one export, each in its own process tree (so the JVM is measured too)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from spotify_lake.adapters.lakefiles import published_files
from spotify_lake.bench.data import ExportData
from spotify_lake.bench.parquet_stats import files_stats, parquet_stats
from spotify_lake.bench.rss import Measurement, run_measured

#: The Spotify user id the benchmark export is imported for.
BENCH_USER_ID = "bench-listener"
#: Every engine of the transform comparison, in the order of the first repeat.
ENGINES = ("project", "duckdb", "pandas", "spark_inferred", "spark_declared")


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    # Spark's Python workers must be this interpreter (the venv), as `make` sets it.
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return env


def _failure(step: str, m: Measurement) -> dict[str, Any]:
    tail = "\n".join((m.stderr or m.stdout).strip().splitlines()[-15:])
    return {"error": f"{step} exited {m.returncode}", "stderr_tail": tail}


def run_project(data: ExportData, work: Path) -> dict[str, Any]:
    """This project: ``spotify_lake import`` of the zip, then ``spotify_lake curate`` (local Spark)."""
    lake = work / "lake"
    if lake.exists():
        shutil.rmtree(lake)
    lake.mkdir(parents=True)
    env = subprocess_env()
    cli = [sys.executable, "-m", "spotify_lake"]
    # An extended export does not name its user: say who it belongs to, as a user importing it would.
    imp = run_measured([*cli, "import", str(data.zip_path), "--lake", str(lake), "--listener", BENCH_USER_ID], env=env)
    if imp.returncode != 0:
        return _failure("import", imp)
    cur = run_measured([*cli, "curate", "--lake", str(lake)], env=env)
    if cur.returncode != 0:
        return _failure("curate", cur)
    stats = files_stats(published_files(lake, "plays"))
    return {
        "seconds": imp.seconds + cur.seconds,
        "peak_rss_mb": max(imp.peak_rss_mb, cur.peak_rss_mb),
        "rows_out": stats.rows,
        "files_out": stats.files,
        "bytes_out": stats.bytes,
        "partitions_out": stats.partitions,
        "import_seconds": imp.seconds,
        "import_peak_rss_mb": imp.peak_rss_mb,
        "curate_seconds": cur.seconds,
        "curate_peak_rss_mb": cur.peak_rss_mb,
        "lake": str(lake),
    }


def run_baseline(engine: str, data: ExportData, work: Path) -> dict[str, Any]:
    out = work / "out"
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    m = run_measured(
        [sys.executable, "-m", "spotify_lake.bench.baselines", engine, str(data.json_dir), str(out)],
        env=subprocess_env(),
    )
    if m.returncode != 0:
        return _failure(engine, m)
    stats = parquet_stats(out)
    return {
        "seconds": m.seconds,
        "peak_rss_mb": m.peak_rss_mb,
        "rows_out": stats.rows,
        "files_out": stats.files,
        "bytes_out": stats.bytes,
        "partitions_out": stats.partitions,
    }


def run_engine(engine: str, data: ExportData, work: Path) -> dict[str, Any]:
    if engine == "project":
        return run_project(data, work / engine)
    return run_baseline(engine, data, work / engine)
