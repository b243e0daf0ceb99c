"""`python -m spotify_lake run`: extract, curate and report in one go, as the state machine does in AWS."""

from __future__ import annotations

import argparse
from pathlib import Path

from spotify_lake.errors import UserError

DEFAULT_SECRET_FILE = "~/.config/spotify-lake/secret.json"  # noqa: S105 - a path, not a secret


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=("emulator", "spotify"), default="emulator", help="where to extract from")
    parser.add_argument("--lake", type=Path, default=Path("out/lake"), help="lake folder; default out/lake")
    parser.add_argument("--out", type=Path, default=Path("out/report"), help="report folder; default out/report")
    parser.add_argument("--time-zone", default="UTC", help="IANA time zone for the report, e.g. Europe/Berlin")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild every curated table from raw")
    parser.add_argument("--search", action="append", default=[], metavar="QUERY", help="catalogue search (repeatable)")
    emulator = parser.add_argument_group("emulator (with --source emulator)")
    emulator.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    emulator.add_argument("--days", type=int, default=365, help="days of simulated history (default 365)")
    emulator.add_argument("--listeners", type=int, default=1, help="simulated listeners, 1-5 (default 1)")
    emulator.add_argument("--mode", choices=("development", "extended"), default="development", help="app quota")
    emulator.add_argument("--faults", default="", help="fault injection, e.g. throttle=0.2,error=0.1,retry_after=1")
    spotify = parser.add_argument_group("spotify (with --source spotify)")
    spotify.add_argument("--secret-file", default=DEFAULT_SECRET_FILE, help="written by `authorize --local`")


def run(args: argparse.Namespace) -> int:
    from spotify_lake import pipeline

    options = pipeline.ExtractOptions(searches=tuple(args.search))
    progress = pipeline.Progress(total=3)
    if args.source == "emulator":
        from spotify_lake.sources.emulator import Emulator, FaultSpecError

        check_emulator_options(args)
        try:
            emu = Emulator(seed=args.seed, days=args.days, listeners=args.listeners, mode=args.mode, faults=args.faults)
        except FaultSpecError as exc:
            raise UserError(f"--faults: {exc}") from None
        with emu, progress.stage(f"Extracting from the emulator ({args.mode} mode)") as outcome:
            summary = pipeline.extract_from_emulator(emu, args.lake, options)
            outcome.append(pipeline.describe_extract(summary))
    else:
        secret_file = Path(args.secret_file).expanduser()
        if not secret_file.exists():
            raise UserError(f"no secret file at {secret_file}: run `python -m spotify_lake authorize --local` first")
        with progress.stage("Extracting from Spotify") as outcome:
            summary = pipeline.extract_from_spotify(secret_file, args.lake, options)
            outcome.append(pipeline.describe_extract(summary))
    return finish(progress, args.lake, args.out, time_zone=args.time_zone, full_refresh=args.full_refresh)


def check_emulator_options(args: argparse.Namespace) -> None:
    if args.days < 1:
        raise UserError("--days must be at least 1")
    if not 1 <= args.listeners <= 5:
        raise UserError("--listeners must be between 1 and 5 (Spotify's development-mode limit)")


def finish(
    progress, lake: Path, out: Path, *, time_zone: str, full_refresh: bool = False, mode: str | None = None
) -> int:
    """Curate and report: the stages every local run ends with."""
    from spotify_lake import pipeline
    from spotify_lake.report import build_report

    with progress.stage("Curating raw data on local Spark (the Glue job script)") as outcome:
        curated = pipeline.curate(lake, full_refresh=full_refresh)
        outcome.append(pipeline.describe_curate(curated))
    with progress.stage("Building the views on DuckDB and writing the report") as outcome:
        report = build_report(lake, out, time_zone=time_zone, mode=mode)
        outcome.append(f"{report.charted} charts, {report.not_available} not available")
    print(f"\nReport: {report.index.resolve()}")  # noqa: T201
    return 0
