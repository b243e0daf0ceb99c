"""`python -m spotify_lake curate --lake DIR`: run the Glue job script on local Spark."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from spotify_lake.adapters.local_glue import job_argv, run_job
from spotify_lake.errors import UserError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", required=True, type=Path, help="lake folder (raw/, curated/, _runs/)")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild every table from all raw objects")
    parser.add_argument("--run-id", help="run id (default curate-<time>-<random>)")
    parser.add_argument("--master", default="local[*]", help="Spark master (default local[*])")


def run(args: argparse.Namespace) -> int:
    if not args.lake.is_dir():
        raise UserError(f"lake folder {args.lake} does not exist")
    from curation.job import CurationFailed

    try:
        summary = run_job(job_argv(args.lake, full_refresh=args.full_refresh, run_id=args.run_id), master=args.master)
    except CurationFailed as exc:
        raise UserError(str(exc)) from None
    head = {"run_id": summary.run_id, "status": summary.status, "raw_objects": summary.raw_objects}
    print(json.dumps(head, indent=2))  # noqa: T201
    for source, figures in summary.accounts().items():
        print(  # noqa: T201
            f"{source:28} read {figures.read:>8}  loaded {figures.loaded:>8}  "
            f"duplicates {figures.duplicates:>7}  quarantined {figures.quarantined_total:>6}  "
            f"superseded {figures.superseded:>6}"
        )
    return 0
