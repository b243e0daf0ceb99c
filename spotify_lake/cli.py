"""`python -m spotify_lake <command>`: one entry point for every local task.

Each command lives in ``spotify_lake/commands/<module>.py`` and exposes ``configure(parser)`` and
``run(args) -> int``. Command modules must stay cheap to import (no pyspark, no aws_cdk at module level)
because the parser imports them all.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from spotify_lake.errors import UserError

#: command name -> (module under spotify_lake.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "emulator": ("emulator", "serve the offline Spotify Web API emulator on loopback"),
    "export": ("export", "write a synthetic Spotify privacy-export zip"),
    "authorize": ("authorize", "one-time Spotify sign-in that stores a listener's refresh token"),
    "extract": ("extract", "run the extractor Lambda handler locally into a lake folder"),
    "import": ("import_export", "stage a Spotify privacy export into the lake's raw zone"),
    "curate": ("curate", "run the Glue curation job on local Spark"),
    "report": ("report", "build the views in DuckDB and write the HTML report, PNGs and CSVs"),
    "exclude": (
        "exclude",
        "list, add or remove what the analyses leave out (artists, tracks, shows, private sessions)",
    ),
    "run": ("run", "extract, curate and report in one go"),
    "demo": ("demo", "synthetic export + emulator + run, into out/"),
    "bench": ("bench", "benchmarks: transform, scaling, queries, API calls, cost"),
    "reliability": ("reliability", "fault, crash, fuzz and re-run figures for the whole pipeline"),
    "athena-check": ("athena_check", "run every view and named query on Trino (Athena's engine) and DuckDB, compare"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m spotify_lake", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(f"spotify_lake.commands.{module_name}")
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        module.configure(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
