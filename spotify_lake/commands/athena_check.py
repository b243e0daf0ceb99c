"""`python -m spotify_lake athena-check --lake DIR`: every view and named query on a real Trino (Athena engine v3's
engine) and on DuckDB (the report's), compared; writes ``<out>/results.json``. Exit status 1 on any mismatch."""

from __future__ import annotations

import argparse
import json
import logging
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

    from spotify_lake.athena_check.check import check_lake

    results, path = check_lake(dist, args.lake, args.out, environment=args.environment, time_zone=args.time_zone)
    equal = sum(r["equal"] for r in results["views"].values())
    ok = sum(r["ok"] for r in results["queries"].values())
    print(f"athena-check: {path}")  # noqa: T201
    print(  # noqa: T201
        f"  Trino {results['trino_version']}: {equal}/{len(results['views'])} views equal to DuckDB, "
        f"{ok}/{len(results['queries'])} named queries equal; {results['mismatches']} mismatches"
    )
    print(  # noqa: T201
        f"  Trino start {results['timings']['trino_start_seconds']:.0f} s, "
        f"check {results['timings']['check_seconds']:.0f} s, synth {results['timings']['synth_seconds']:.0f} s"
    )
    for kind in ("views", "queries"):
        for name, result in results[kind].items():
            if not result["equal"]:
                print(f"  {kind[:-1]} {name}: {json.dumps(result['first_difference'])[:400]}")  # noqa: T201
    return 1 if results["mismatches"] else 0
