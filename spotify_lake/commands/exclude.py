"""`python -m spotify_lake exclude [KIND VALUE]`: list, add or remove what the analyses leave out (ANALYTICS.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        nargs="?",
        help="artist, track, show, audiobook, content_type, or private_sessions (the setting); none: list the file",
    )
    parser.add_argument(
        "value",
        nargs="?",
        help="name (any case) or Spotify id/URI; show or audiobook title; track|episode|audiobook|local|unknown "
        "for content_type; keep or leave_out (the default) for private_sessions",
    )
    parser.add_argument("--lake", type=Path, default=Path("out/lake"), help="lake folder (default out/lake)")
    parser.add_argument("--listener", help="apply to this listener_id only (default: every listener of the lake)")
    parser.add_argument("--reason", help="why, in your words (the report shows it)")
    parser.add_argument("--remove", action="store_true", help="remove the rule KIND VALUE instead of adding it")


def run(args: argparse.Namespace) -> int:
    from spotify_lake.adapters import exclusions
    from spotify_lake.errors import UserError

    if args.kind is None:
        rows = exclusions.read(args.lake)
    elif args.value is None:
        raise UserError("give a VALUE after the KIND (or neither, to list the exclusions)")
    elif args.remove:
        rows = exclusions.remove(args.lake, args.kind, args.value, args.listener)
    else:
        rows = exclusions.add(args.lake, exclusions.Exclusion(args.kind, args.value, args.listener, args.reason))
    path = exclusions.file_path(args.lake)
    print(f"exclusions: {path} ({len(rows)} row(s))")  # noqa: T201
    for row in rows:
        scope = f"listener {row.listener_id}" if row.listener_id else "every listener"
        reason = f" ({row.reason})" if row.reason else ""
        print(f"  {row.kind} {row.value!r}, {scope}{reason}")  # noqa: T201
    if not any(r.kind == exclusions.SETTING and r.value.strip().lower() == "keep" for r in rows):
        print("  private-session plays are left out (the default; `exclude private_sessions keep` counts them)")  # noqa: T201
    print(  # noqa: T201
        "  the next `report` applies them; in AWS copy the file to the same key of the curated bucket: "
        f"aws s3 cp {path} s3://<CuratedBucketName>/{exclusions.EXCLUSIONS.csv_file}"
    )
    return 0
