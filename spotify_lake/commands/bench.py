"""`python -m spotify_lake bench`: transform, scaling, query, API-call and cost figures in one run.

Writes ``<out>/results.json`` and ``<out>/results.md`` and prints the table. Generated exports are
cached under ``<out>/data`` (delete it to regenerate); engine outputs go to ``<out>/work``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spotify_lake.bench.engines import ENGINES
from spotify_lake.bench.harness import SCALES, SECTIONS
from spotify_lake.errors import UserError


def _csv(allowed: tuple[str, ...], what: str):
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(x.strip() for x in text.split(",") if x.strip())
        unknown = [x for x in items if x not in allowed]
        if unknown or not items:
            raise argparse.ArgumentTypeError(f"{what}: choose from {', '.join(allowed)}")
        return items

    return parse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale", choices=tuple(SCALES), default="medium", help="plays: tiny 20k, small 200k, medium 2M, large 8M"
    )
    parser.add_argument("--out", default="out/bench", help="output folder (default out/bench)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per engine (default 3; tiny 1)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic export and emulator")
    parser.add_argument(
        "--sections", type=_csv(SECTIONS, "--sections"), default=SECTIONS, help="comma list, default all"
    )
    parser.add_argument(
        "--engines", type=_csv(ENGINES, "--engines"), default=ENGINES, help="comma list of transform engines"
    )
    parser.add_argument("--api-polls", type=int, default=None, help="polls of the API week (default: a full week)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args) -> int:
    from spotify_lake.bench.harness import BenchConfig, run_bench, stderr_progress, write_results
    from spotify_lake.bench.report import markdown

    repeats = args.repeats if args.repeats is not None else (1 if args.scale == "tiny" else 3)
    if repeats < 1:
        raise UserError("--repeats must be at least 1")
    if args.scale != "tiny" and repeats < 3:
        raise UserError("--repeats must be at least 3 outside --scale tiny (the figure is a median)")
    if args.api_polls is not None and args.api_polls < 1:
        raise UserError("--api-polls must be at least 1")
    cfg = BenchConfig(
        scale=args.scale,
        out_dir=Path(args.out),
        repeats=repeats,
        seed=args.seed,
        sections=args.sections,
        engines=args.engines,
        api_polls=args.api_polls,
        progress=(lambda _m: None) if args.quiet else stderr_progress,
    )
    results = run_bench(cfg)
    json_path, md_path = write_results(results, cfg.out_dir)
    sys.stdout.write(markdown(results))
    sys.stdout.write(f"\nwrote {json_path} and {md_path}\n")
    return 0
