"""`python -m spotify_lake demo`: the whole pipeline on one machine, no AWS account, no Spotify access.

A simulated listener's year: a synthetic privacy export plus the offline Spotify emulator polled three
times an hour apart, imported, its tracks looked up by the catalogue backfill, extracted, curated on local Spark
and reported from DuckDB.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from spotify_lake.errors import UserError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (lake/, report/, export/)")
    parser.add_argument(
        "--mode",
        choices=("extended", "development"),
        default="extended",
        help="Spotify app quota to emulate: extended fills every chart; development shows what a normal app gets",
    )
    parser.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    parser.add_argument("--days", type=int, default=365, help="days of simulated listening (default 365)")
    parser.add_argument("--listeners", type=int, default=1, help="simulated listeners, 1-5 (default 1)")
    parser.add_argument("--faults", default="", help="emulator fault injection, e.g. throttle=0.2,retry_after=1")
    parser.add_argument("--time-zone", default="Europe/Berlin", help="IANA time zone of the report")
    parser.add_argument("--keep", action="store_true", help="keep the previous demo's lake instead of starting over")


def run(args: argparse.Namespace) -> int:
    from spotify_lake import demo_lake, pipeline
    from spotify_lake.commands.run import check_emulator_options, finish
    from spotify_lake.sources.emulator import Emulator, FaultSpecError

    check_emulator_options(args)
    lake, report, export_dir = args.out / "lake", args.out / "report", args.out / "export"
    if not args.keep:
        for folder in (lake, report, export_dir):
            shutil.rmtree(folder, ignore_errors=True)
    try:
        emu = Emulator(seed=args.seed, days=args.days, listeners=args.listeners, mode=args.mode, faults=args.faults)
    except FaultSpecError as exc:
        raise UserError(f"--faults: {exc}") from None

    progress = pipeline.Progress(total=demo_lake.stages(args.listeners) + 2)  # + curation and report
    with emu:
        print(f"Emulator at {emu.base_url}: {args.days} simulated days, {args.mode} mode, seed {args.seed}\n")  # noqa: T201
        demo_lake.build(emu, lake, export_dir, seed=args.seed, days=args.days, progress=progress)
    return finish(progress, lake, report, time_zone=args.time_zone, mode=args.mode)
