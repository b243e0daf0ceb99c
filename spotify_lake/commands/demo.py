"""`python -m spotify_lake demo`: the whole pipeline on one machine, no AWS account, no Spotify access.

A simulated listener's year: a synthetic privacy export plus the offline Spotify emulator polled three
times an hour apart, imported, its tracks looked up by the catalogue backfill, extracted, curated on local Spark
and reported from DuckDB.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
from pathlib import Path

from spotify_lake.errors import UserError

POLLS = 3  # extractions an hour apart: shows the incremental cursor picking up only new plays


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
    from spotify_lake import pipeline
    from spotify_lake.commands.run import check_emulator_options, finish
    from spotify_lake.sources.emulator import Emulator, FaultSpecError
    from spotify_lake.sources.exportgen import write_export
    from spotify_lake.staging import stage_export

    check_emulator_options(args)
    lake, report, export_dir = args.out / "lake", args.out / "report", args.out / "export"
    if not args.keep:
        for folder in (lake, report, export_dir):
            shutil.rmtree(folder, ignore_errors=True)
    try:
        emu = Emulator(seed=args.seed, days=args.days, listeners=args.listeners, mode=args.mode, faults=args.faults)
    except FaultSpecError as exc:
        raise UserError(f"--faults: {exc}") from None

    progress = pipeline.Progress(total=args.listeners + 5)
    options = pipeline.ExtractOptions(searches=pipeline.DEMO_SEARCHES)
    with emu:
        print(f"Emulator at {emu.base_url}: {args.days} simulated days, {args.mode} mode, seed {args.seed}\n")  # noqa: T201
        with progress.stage("First extraction (recently played, top items, library, playlists, artists)") as outcome:
            outcome.append(pipeline.describe_extract(pipeline.extract_from_emulator(emu, lake, options)))
        for index, listener in enumerate(emu.listeners):
            zip_path = export_dir / f"my_spotify_data_listener{index + 1}.zip"
            with progress.stage(f"Writing and importing listener {index + 1}'s privacy export") as outcome:
                written = write_export(zip_path, seed=args.seed, days=args.days, listener_index=index, now=emu.now)
                staged = stage_export(zip_path, lake, listener=listener.user_id, now=emu.now)
                outcome.append(f"{written.rows} rows in {len(staged.staged)} files")
        # The exported plays name tracks the catalogue never saw: look them up (most-played first, in budget).
        backfill = replace(options, sources=("backfill",))
        with progress.stage("Catalogue backfill of the exported tracks (release dates, artists)") as outcome:
            outcome.append(pipeline.describe_extract(pipeline.extract_from_emulator(emu, lake, backfill)))
        # Later polls ask for what the deployed 30-minute schedule asks for: new plays and new artists.
        poll = replace(options, sources=pipeline.FREQUENT_SOURCES)
        with progress.stage(f"{POLLS - 1} more polls, an hour of simulated listening apart") as outcome:
            for _ in range(POLLS - 1):
                emu.advance(hours=1)
                outcome.append(pipeline.describe_extract(pipeline.extract_from_emulator(emu, lake, poll)))
    return finish(progress, lake, report, time_zone=args.time_zone, mode=args.mode)
