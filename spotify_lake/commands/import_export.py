"""`python -m spotify_lake import PATH --lake DIR`: stage a privacy export into the raw zone unchanged."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="the export: a zip file or an unpacked folder")
    parser.add_argument("--lake", required=True, type=Path, help="lake folder")
    parser.add_argument(
        "--listener",
        help="listener id (16 hex) or Spotify user id; default: the user the export names (Userdata.json or the "
        "records' username), else the only listener in the lake. An export naming another user is refused.",
    )


def run(args: argparse.Namespace) -> int:
    from spotify_lake.staging import stage_export

    args.lake.mkdir(parents=True, exist_ok=True)
    summary = stage_export(args.path, args.lake, listener=args.listener)
    print(f"import {summary.run_id}: listener {summary.listener_id} ({summary.listener_how})")  # noqa: T201
    print(f"  staged {len(summary.staged)} file(s), {len(summary.already_present)} already in the lake")  # noqa: T201
    if summary.ignored:
        print(f"  ignored {len(summary.ignored)} file(s) that are not streaming history:")  # noqa: T201
        for name in summary.ignored:
            print(f"    {name}")  # noqa: T201
    return 0
