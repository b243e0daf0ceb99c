"""`python -m spotify_lake reliability`: faults, crashes, bad input, re-runs, concurrency, authorization and
secrets across the whole pipeline; prints the figures and writes ``<out>/results.json``.

The suite itself is :mod:`spotify_lake.reliability.suite`; docs/RELIABILITY.md explains each figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spotify_lake.reliability import suite
from spotify_lake.reliability.suite import SCENARIOS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("out/reliability"), help="where results.json goes")
    parser.add_argument("--quick", action="store_true", help="the test suite's sizes (fewer crash points and files)")
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, metavar="SCENARIO", help=f"run only these: {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scenario lakes under <out>/work")
    parser.add_argument("--seed", type=int, default=43, help="the simulated week's world seed")
    parser.add_argument(
        "--gzip-damage",
        action="store_true",
        help="also fuzz truncated/non-gzip API objects (known to abort curation; see docs/RELIABILITY.md)",
    )


def run(args: argparse.Namespace) -> int:
    path, failed = suite.run_suite(
        args.out,
        chosen=args.only or list(SCENARIOS),
        quick=args.quick,
        keep=args.keep,
        seed=args.seed,
        gzip_damage=args.gzip_damage,
        say=_say,
    )
    _say(f"results: {path}" + (f"; NOT MET: {', '.join(failed)}" if failed else "; every guarantee held"))
    return 1 if failed else 0


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
