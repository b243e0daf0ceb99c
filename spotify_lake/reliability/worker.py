"""A pipeline stage in a process of its own, so it can be killed anywhere (``SIGKILL`` leaves no chance to
clean up) or have every byte of its output captured.

    python -m spotify_lake.reliability.worker extract --env FILE --now ISO [--run-id ID] [--log-level L]
    python -m spotify_lake.reliability.worker curate --lake DIR [--full-refresh]

``extract`` runs the Lambda handler against an emulator served by the parent process (the environment file
names its URLs), with the parent's simulated time as the clock. ``curate`` runs the Glue job script
(``glue/jobs/curate.py``) as ``python -m spotify_lake curate`` does, on a one-core local Spark.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import runpy
import signal
import sys
import time
from datetime import datetime
from pathlib import Path


class _DieAtWrite:
    """Storage that kills its own process right after the N-th write returned (the object is durable,
    nothing after it happened): the narrowest windows, e.g. between a raw object and its cursor."""

    def __init__(self, inner, n: int):
        self.inner, self.n, self.count = inner, n, 0

    def put(self, key: str, body: bytes, **conditions) -> str:
        version = self.inner.put(key, body, **conditions)
        self.count += 1
        if self.count == self.n:
            os.kill(os.getpid(), signal.SIGKILL)
        return version

    def get(self, key: str):
        return self.inner.get(key)

    def list(self, prefix: str) -> list[str]:
        return self.inner.list(prefix)

    def describe(self) -> str:
        return self.inner.describe()


def extract(args: argparse.Namespace) -> int:
    os.environ["POWERTOOLS_LOG_LEVEL"] = args.log_level
    from spotify_lake.reliability.harness import invoke, quiet_powertools

    quiet_powertools(args.log_level)
    import extraction.handler  # noqa: F401 - the heavy imports happen before "ready"

    env = json.loads(Path(args.env).read_text())
    moment = datetime.fromisoformat(args.now)
    wrap = (lambda inner: _DieAtWrite(inner, args.die_at_write)) if args.die_at_write else None
    _ready()
    outcome = invoke(
        env, clock=lambda: moment, event={"run_id": args.run_id} if args.run_id else None, wrap_storage=wrap
    )
    sys.stdout.write(json.dumps({"status": outcome.status, "error_type": outcome.error_type}) + "\n")
    return 0 if outcome.error is None else 3


def curate(args: argparse.Namespace) -> int:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from curation.session import build_session
    from spotify_lake.adapters.local_glue import JOB_SCRIPT, job_argv

    build_session(
        master=args.master,
        extra={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
        },
    )
    argv = job_argv(Path(args.lake), full_refresh=args.full_refresh, run_id=None)
    sys.argv = argv
    _ready()
    started = time.monotonic()
    summary = runpy.run_path(str(JOB_SCRIPT), run_name="__job__")["main"](argv)
    sys.stdout.write(json.dumps({"status": summary.status, "seconds": round(time.monotonic() - started, 2)}) + "\n")
    return 0


def _ready() -> None:
    sys.stdout.write("ready\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spotify_lake.reliability.worker")
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("extract")
    p.add_argument("--env", required=True)
    p.add_argument("--now", required=True)
    p.add_argument("--run-id")
    p.add_argument("--log-level", default="WARNING")
    p.add_argument("--die-at-write", type=int, default=None)
    p = sub.add_parser("curate")
    p.add_argument("--lake", required=True)
    p.add_argument("--full-refresh", action="store_true")
    p.add_argument("--master", default="local[1]")
    args = parser.parse_args(argv)
    if args.stage == "extract":
        level = getattr(logging, args.log_level.upper(), logging.WARNING)
        logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
        return extract(args)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return curate(args)


if __name__ == "__main__":
    sys.exit(main())
