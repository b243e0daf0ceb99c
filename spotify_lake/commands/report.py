"""`python -m spotify_lake report --lake DIR --out DIR`: views in DuckDB, then the HTML report, PNGs and CSVs."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", type=Path, default=Path("out/lake"), help="lake folder (curated/, _runs/)")
    parser.add_argument("--out", type=Path, default=Path("out/report"), help="report folder; default out/report")
    parser.add_argument(
        "--time-zone", default="UTC", help="IANA time zone for days and hours, e.g. Europe/Berlin (default UTC)"
    )
    parser.add_argument("--listener", help="show only this listener_id in the listener-scoped views")
    parser.add_argument(
        "--mode",
        choices=("development", "extended"),
        help="Spotify quota mode to state on the page (default: from the latest extraction run)",
    )


def run(args: argparse.Namespace) -> int:
    from spotify_lake.report import build_report  # matplotlib and duckdb load only when the command runs

    summary = build_report(args.lake, args.out, time_zone=args.time_zone, mode=args.mode, listener=args.listener)
    print(f"report: {summary.index}")  # noqa: T201
    print(f"  {summary.charted} charts, {summary.not_available} not available; CSVs in {args.out / 'csv'}")  # noqa: T201
    for view in summary.views:
        if view.status != "chart":
            print(f"  {view.view}: {view.note}")  # noqa: T201
    return 0
