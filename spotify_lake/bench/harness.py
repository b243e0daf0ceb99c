"""The benchmark run: transform, scaling, queries, API calls and cost, written to results.json / results.md.

Absolute times on a shared machine are noise; ratios measured side by side in one run hold. So every
engine runs in the same invocation, in alternating order (A B C D, then D C B A, ...), and the figure
kept is the median of the repeats.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spotify_lake.bench.data import ExportData, prepare_export
from spotify_lake.bench.engines import ENGINES, run_engine
from spotify_lake.bench.fit import linear_fit

log = logging.getLogger(__name__)

#: Plays in the export at each scale.
SCALES: dict[str, int] = {"tiny": 20_000, "small": 200_000, "medium": 2_000_000, "large": 8_000_000}
SECTIONS = ("transform", "scaling", "small_runs", "queries", "api", "cost")
#: The three sizes of the scaling section, as fractions of the scale's plays.
SCALING_FRACTIONS = (0.25, 0.5, 1.0)


@dataclass
class BenchConfig:
    scale: str = "medium"
    out_dir: Path = Path("out/bench")
    repeats: int = 3
    seed: int = 7
    sections: tuple[str, ...] = SECTIONS
    engines: tuple[str, ...] = ENGINES
    api_polls: int | None = None
    progress: Callable[[str], None] = field(default=lambda _msg: None)

    @property
    def plays(self) -> int:
        return SCALES[self.scale]

    @property
    def data_dir(self) -> Path:
        return self.out_dir / "data"

    @property
    def work_dir(self) -> Path:
        return self.out_dir / "work"


def machine() -> dict[str, Any]:
    import duckdb
    import pyspark

    mem_kb = 0
    try:
        with open("/proc/meminfo") as fh:
            mem_kb = int(next(line for line in fh if line.startswith("MemTotal:")).split()[1])
    except (OSError, StopIteration):
        pass
    try:
        import pandas

        pandas_version = pandas.__version__
    except ImportError:
        pandas_version = None
    cpu_model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu_model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "spark": pyspark.__version__,
        "duckdb": duckdb.__version__,
        "pandas": pandas_version,
        "cpu_model": cpu_model,
        "platform": platform.platform(),
    }


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def aggregate_runs(runs: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    """One engine's figure from its repeats: median time, largest peak memory, outputs of the last run."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[-1]["error"], "stderr_tail": runs[-1].get("stderr_tail", ""), "runs": len(runs)}
    seconds = _median([r["seconds"] for r in ok])
    last = ok[-1]
    out = {
        "seconds": seconds,
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in ok), 1),
        "rows_out": last["rows_out"],
        "files_out": last["files_out"],
        "bytes_out": last["bytes_out"],
        "rows_per_second": round(rows / seconds) if seconds else None,
        "partitions_out": last.get("partitions_out"),
        "seconds_runs": [round(r["seconds"], 3) for r in ok],
        "peak_rss_mb_runs": [round(r["peak_rss_mb"], 1) for r in ok],
        "rows_out_consistent": len({r["rows_out"] for r in ok}) == 1,
    }
    for key in ("import_seconds", "curate_seconds", "import_peak_rss_mb", "curate_peak_rss_mb"):
        if key in last:
            out[key] = _median([r[key] for r in ok]) if "seconds" in key else round(max(r[key] for r in ok), 1)
    if len(ok) < len(runs):
        out["failed_runs"] = len(runs) - len(ok)
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def run_transform(cfg: BenchConfig, data: ExportData) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {e: [] for e in cfg.engines}
    for repeat in range(cfg.repeats):
        order = cfg.engines if repeat % 2 == 0 else tuple(reversed(cfg.engines))
        for engine in order:
            cfg.progress(f"transform: repeat {repeat + 1}/{cfg.repeats} {engine}")
            result = run_engine(engine, data, cfg.work_dir / "transform")
            runs[engine].append(result)
            if "error" in result:
                cfg.progress(f"  {engine} failed: {result['error']}")
            else:
                cfg.progress(f"  {engine}: {result['seconds']:.1f} s, {result['peak_rss_mb']:.0f} MB")
    engines = {e: aggregate_runs(r, data.plays) for e, r in runs.items()}
    counts = {e: r["rows_out"] for e, r in engines.items() if "rows_out" in r}
    expected = _expected_unique(data)
    secs = {e: r.get("seconds") for e, r in engines.items()}
    return {
        "scale": cfg.scale,
        "rows": data.plays,
        "input_bytes": data.input_bytes,
        "engines": engines,
        "input_files": data.files,
        "input_records": data.records,
        "input_zip_bytes": data.zip_bytes,
        # The generator's count of distinct plays (by the export's own key, end second + URI).
        "expected_rows": expected,
        "rows_agree": len(set(counts.values())) == 1 and len(counts) == len(cfg.engines),
        "rows_match_generator": expected is not None and set(counts.values()) == {expected},
        "rows_out_by_engine": counts,
        "ratios": {
            "project_over_duckdb": _ratio(secs.get("project"), secs.get("duckdb")),
            "pandas_over_project": _ratio(secs.get("pandas"), secs.get("project")),
            "spark_inferred_over_project": _ratio(secs.get("spark_inferred"), secs.get("project")),
            "project_over_spark_declared": _ratio(secs.get("project"), secs.get("spark_declared")),
        },
        "repeats": cfg.repeats,
        "order": "alternating: " + " ".join(cfg.engines) + ", then reversed, ...",
        "generate_seconds": data.generate_seconds,
        "extract_seconds": data.extract_seconds,
        "excluded_from_timings": "export generation and zip extraction",
    }


def _expected_unique(data: ExportData) -> int | None:
    for key in ("unique_plays", "plays", "unique"):
        value = data.summary.get(key)
        if isinstance(value, int):
            return value
    return None


def run_scaling(cfg: BenchConfig, full: dict[str, Any] | None) -> dict[str, Any]:
    points = []
    for fraction in SCALING_FRACTIONS:
        plays = int(cfg.plays * fraction)
        if fraction == 1.0 and full and "seconds" in full:
            result = full  # the transform section's median at this size
        else:
            cfg.progress(f"scaling: {plays} plays")
            data = prepare_export(cfg.data_dir, plays, cfg.seed, days=_days(cfg))
            result = aggregate_runs([run_engine("project", data, cfg.work_dir / "scaling")], plays)
        if "error" in result:
            points.append({"rows": plays, "error": result["error"]})
            continue
        points.append(
            {
                "rows": plays,
                "seconds": result["seconds"],
                "peak_rss_mb": result["peak_rss_mb"],
                "seconds_per_million": round(result["seconds"] / plays * 1e6, 2),
                "peak_rss_mb_per_million": round(result["peak_rss_mb"] / plays * 1e6, 1),
                "curate_seconds": result.get("curate_seconds"),
                "curate_peak_rss_mb": result.get("curate_peak_rss_mb"),
            }
        )
    return {"points": points, **scaling_summary(points)}


def scaling_summary(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Linear fit and the largest/smallest ratios of the successful scaling points (empty if fewer than two)."""
    good = [p for p in points if "seconds" in p]
    if len(good) < 2:
        return {}
    intercept, slope = linear_fit([(p["rows"], p["seconds"]) for p in good])
    first, last = good[0], good[-1]
    return {
        "fixed_seconds": round(intercept, 2),
        "seconds_per_million_marginal": round(slope * 1e6, 2),
        "rows_ratio": round(last["rows"] / first["rows"], 2),
        "seconds_ratio": round(last["seconds"] / first["seconds"], 2),
        "peak_rss_ratio": round(last["peak_rss_mb"] / first["peak_rss_mb"], 2),
    }


def _days(cfg: BenchConfig) -> int:
    from spotify_lake.bench.data import days_for

    # Every size spans the same days, so only density changes across the scaling runs.
    return days_for(cfg.plays)


def run_bench(cfg: BenchConfig) -> dict[str, Any]:
    started = time.time()
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "scale": cfg.scale, "started_at": _iso(started)}
    data = None
    if {"transform", "scaling", "queries", "cost"} & set(cfg.sections):
        cfg.progress(f"preparing export of {cfg.plays} plays")
        data = prepare_export(cfg.data_dir, cfg.plays, cfg.seed, days=_days(cfg))
        results["input"] = data.to_json()
    transform = None
    if "transform" in cfg.sections and data is not None:
        transform = run_transform(cfg, data)
        results["transform"] = transform
    if "scaling" in cfg.sections:
        full = transform["engines"].get("project") if transform else None
        scaling = run_scaling(cfg, full)
        results["scaling"] = scaling["points"]
        results["scaling_summary"] = {k: v for k, v in scaling.items() if k != "points"}
    if "small_runs" in cfg.sections:
        cfg.progress("small runs: the demo's curation, then an incremental run after one poll")
        from spotify_lake.bench.small_runs import run_small_runs

        results["small_runs"] = run_small_runs(cfg.work_dir / "small_runs", cfg.seed)
    lake = _project_lake(cfg, transform, data)
    if "queries" in cfg.sections:
        cfg.progress("queries")
        if lake is None:
            results["queries"] = []
            results["queries_error"] = "no curated lake: the project engine did not run or failed"
        else:
            from spotify_lake.bench.queries import run_queries

            q = run_queries(lake, repeats=cfg.repeats)
            results["queries"] = q["views"]
            results["query_pruning"] = q["pruning"]
            results["queries_lake"] = {"plays": cfg.plays, "path": str(lake)}
    if "api" in cfg.sections:
        cfg.progress("api calls")
        from spotify_lake.bench.api import run_api
        from spotify_lake.bench.cost import deployment_from_cdk_json

        every = deployment_from_cdk_json(repo_root() / "cdk.json").extract_every_minutes
        results["api"] = run_api(polls=cfg.api_polls, seed=cfg.seed, every_minutes=every)
    if "cost" in cfg.sections:
        from spotify_lake.bench.volumes import cost_section

        results["cost"] = cost_section(results, repo_root())
    results["finished_at"] = _iso(time.time())
    results["wall_seconds"] = round(time.time() - started, 1)
    return results


def _project_lake(cfg: BenchConfig, transform: dict[str, Any] | None, data: ExportData | None) -> Path | None:
    """The curated lake of the full-size project run (kept from the transform section, else built now)."""
    lake = cfg.work_dir / "transform" / "project" / "lake"
    if transform and "error" not in transform["engines"].get("project", {"error": "not run"}):
        return lake if lake.is_dir() else None
    if "queries" in cfg.sections and data is not None and "project" in cfg.engines and not transform:
        cfg.progress("queries: curating the lake once")
        result = run_engine("project", data, cfg.work_dir / "transform")
        return lake if "error" not in result else None
    return None


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def write_results(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    from spotify_lake.bench.report import markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "results.json", out_dir / "results.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path


def clean_work(cfg: BenchConfig) -> None:
    if cfg.work_dir.exists():
        shutil.rmtree(cfg.work_dir)


def stderr_progress(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()
