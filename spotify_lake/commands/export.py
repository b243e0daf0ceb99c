"""`python -m spotify_lake export`: write a synthetic Spotify privacy-export zip for a simulated listener."""

from __future__ import annotations

import argparse

from spotify_lake.errors import UserError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=7, help="world seed, the same as the emulator's (default 7)")
    parser.add_argument("--days", type=int, default=365, help="days of history before now (default 365)")
    parser.add_argument("--out", required=True, help="zip file to write, e.g. out/export.zip")
    parser.add_argument(
        "--format",
        dest="fmt",
        default="extended",
        help="extended (default), account, account_older (StreamingHistoryN.json naming) or legacy",
    )
    parser.add_argument("--listener-index", type=int, default=0, help="which simulated listener, 0-4 (default 0)")
    parser.add_argument("--plays", type=int, default=None, help="exactly this many plays (benchmark volumes)")
    parser.add_argument("--now", default=None, help="simulated 'now' (ISO-8601, default 2026-11-01T00:00:00Z)")


def run(args: argparse.Namespace) -> int:
    from spotify_lake.sources.exportgen import FORMATS, write_export

    if args.fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)} (got {args.fmt!r})")
    if args.days < 1:
        raise UserError(f"--days must be >= 1 (got {args.days})")
    if args.plays is not None and args.plays < 1:
        raise UserError(f"--plays must be >= 1 (got {args.plays})")
    if not 0 <= args.listener_index <= 4:
        raise UserError(f"--listener-index must be between 0 and 4 (got {args.listener_index})")
    if not args.out.endswith(".zip"):
        raise UserError(f"--out must name a .zip file (got {args.out!r})")
    try:
        from spotify_lake.sources.emulator.simulation import parse_now

        now = parse_now(args.now) if args.now else None
    except ValueError:
        raise UserError(f"--now must be an ISO-8601 time such as 2026-11-01T00:00:00Z (got {args.now!r})") from None
    try:
        summary = write_export(
            args.out, seed=args.seed, days=args.days, fmt=args.fmt, listener_index=args.listener_index,
            plays=args.plays, now=now,
        )  # fmt: skip
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(  # noqa: T201 - the command's summary line
        f"wrote {summary.path}: {summary.format} export, {summary.files} files, {summary.rows} rows "
        f"({summary.plays} plays, {summary.duplicates} duplicated rows), {summary.first_ts} to {summary.last_ts}, "
        f"{summary.bytes} bytes"
    )
    return 0
