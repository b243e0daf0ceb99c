"""`python -m spotify_lake athena-check --lake DIR`: every view and named query on a real Trino (Athena engine v3's
engine) and on DuckDB (the report's), compared; writes ``<out>/results.json``. Exit status 1 on any mismatch."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import time
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", type=Path, default=Path("out/lake"), help="lake folder (curated/); default out/lake")
    parser.add_argument(
        "--out", type=Path, default=Path("out/athena-check"), help="results folder; default out/athena-check"
    )
    parser.add_argument(
        "--environment", help="cdk.json environment whose Glue tables and time zone to use (default: the first)"
    )
    parser.add_argument("--time-zone", help="display time zone for the views (default: the environment's)")
    parser.add_argument(
        "--fetch-only", action="store_true", help="only fetch and cache Trino (Maven), then stop: the set-up step"
    )


def run(args: argparse.Namespace) -> int:
    from spotify_lake.athena_check import distribution

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    dist = distribution.ensure()
    if args.fetch_only:
        print(f"Trino {dist.version} cached in {dist.root} (a {dist.download_bytes / 1e6:.0f} MB download)")  # noqa: T201
        return 0

    from spotify_lake.athena_check.check import run_check
    from spotify_lake.athena_check.server import TrinoServer
    from spotify_lake.athena_check.tables import cdk_context, glue_tables, synthesize_template
    from spotify_lake.errors import UserError
    from spotify_lake.report.sqlfiles import check_time_zone
    from stacks.config import load_environments

    if not (args.lake / "curated").is_dir():
        raise UserError(f"{args.lake} has no curated/ folder: run `make demo` (or point --lake at a lake)")
    config = load_environments(cdk_context(args.environment))[0]
    time_zone = check_time_zone(args.time_zone or config.time_zone)
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="athena-check-trino-"))
    server = TrinoServer(dist, workdir)
    try:
        server.launch()  # Trino starts while the CDK app synthesizes
        began = time.monotonic()
        tables = glue_tables(synthesize_template(config.name))
        synth_seconds = time.monotonic() - began
        server.wait_until_ready()
        results = run_check(server, args.lake.resolve(), tables, time_zone=time_zone, schema="lake")
    finally:
        server.stop()
        if (workdir / "server.log").is_file():
            shutil.copy(workdir / "server.log", args.out / "trino-server.log")
        shutil.rmtree(workdir, ignore_errors=True)
    results["environment"] = config.name
    results["timings"] = {
        "synth_seconds": round(synth_seconds, 1),
        "trino_start_seconds": round(server.start_seconds, 1),
        "check_seconds": results.pop("seconds"),
    }
    results["download_bytes"] = dist.download_bytes
    path = args.out / "results.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    equal = sum(r["equal"] for r in results["views"].values())
    ok = sum(r["ok"] for r in results["queries"].values())
    print(f"athena-check: {path}")  # noqa: T201
    print(  # noqa: T201
        f"  Trino {results['trino_version']}: {equal}/{len(results['views'])} views equal to DuckDB, "
        f"{ok}/{len(results['queries'])} named queries equal; {results['mismatches']} mismatches"
    )
    print(  # noqa: T201
        f"  Trino start {server.start_seconds:.0f} s, check {results['timings']['check_seconds']:.0f} s, "
        f"synth {synth_seconds:.0f} s"
    )
    for kind in ("views", "queries"):
        for name, result in results[kind].items():
            if not result["equal"]:
                print(f"  {kind[:-1]} {name}: {json.dumps(result['first_difference'])[:400]}")  # noqa: T201
    return 1 if results["mismatches"] else 0
