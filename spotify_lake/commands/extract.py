"""`python -m spotify_lake extract`: run the extractor Lambda handler in-process against a local lake folder.

The handler, its configuration model and every unit of work are the ones deployed to Lambda; only the
environment differs (``LAKE_DIR`` instead of ``RAW_BUCKET``, ``SECRET_FILE`` instead of ``SECRET_ID``,
API and token URLs pointing at the in-process emulator for ``--source emulator``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from spotify_lake.errors import UserError

DEFAULT_SECRET_FILE = "~/.config/spotify-lake/secret.json"  # noqa: S105 - a path, not a secret


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=("emulator", "spotify"), default="emulator", help="where to extract from")
    parser.add_argument("--lake", default="out/lake", help="lake folder (raw/, _state/, _runs/); default out/lake")
    parser.add_argument("--seed", type=int, default=7, help="emulator: world seed")
    parser.add_argument("--days", type=int, default=365, help="emulator: days of simulated listening history")
    parser.add_argument("--listeners", type=int, default=1, help="emulator: simulated listeners (1-5)")
    parser.add_argument(
        "--mode", choices=("development", "extended"), default="development", help="emulator: app quota"
    )
    parser.add_argument("--faults", default="", help="emulator: e.g. throttle=0.3,error=0.2,reset=0.05,retry_after=1")
    parser.add_argument("--advance-hours", type=float, default=0.0, help="emulator: let simulated time pass first")
    parser.add_argument(
        "--secret-file", default=DEFAULT_SECRET_FILE, help="spotify: secret written by authorize --local"
    )
    parser.add_argument(
        "--mode-hint",
        choices=("auto", "development", "extended"),
        default="auto",
        help="what the extractor assumes about batch lookups (auto: try, fall back on 403)",
    )
    parser.add_argument("--search", action="append", default=[], metavar="QUERY", help="catalogue search (repeatable)")
    parser.add_argument(
        "--playlist", action="append", default=[], metavar="ID", help="configured playlist (repeatable)"
    )
    parser.add_argument("--request-budget", type=int, default=600, help="API requests this run may make")
    parser.add_argument("--retry-after-cap", type=float, default=60.0, help="longest Retry-After waited for (s)")
    parser.add_argument("--time-limit", type=float, default=900.0, help="pretend Lambda timeout in seconds")
    parser.add_argument("--run-id", default=None, help="rerun a given run id (overwrites its own objects)")
    parser.add_argument("--json", action="store_true", help="print the whole run summary as JSON")


@dataclass
class LocalContext:
    """The parts of a Lambda context the handler and Powertools read."""

    deadline: float
    function_name: str = "spotify-lake-extractor-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:spotify-lake-extractor-local"
    aws_request_id: str = ""

    def __post_init__(self):
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def local_environment(args, *, lake: Path, secret_file: Path, api_prefix: str | None, token_url: str | None) -> dict:
    env = {
        "LAKE_DIR": str(lake),
        "SECRET_FILE": str(secret_file),
        "SPOTIFY_MODE_HINT": args.mode_hint,
        "REQUEST_BUDGET": str(args.request_budget),
        "RETRY_AFTER_CAP_SECONDS": str(args.retry_after_cap),
        "SEARCHES": json.dumps([{"q": q, "type": "track"} for q in args.search]),
        "PLAYLIST_IDS": ",".join(args.playlist),
    }
    if api_prefix:
        env["SPOTIFY_API_PREFIX"] = api_prefix
    if token_url:
        env["SPOTIFY_TOKEN_URL"] = token_url
    return env


def run(args) -> int:
    # Powertools reads these when the handler module is imported: keep local runs quiet and offline.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SpotifyLake")
    from extraction import handler
    from extraction.config import ConfigError
    from extraction.errors import ExtractorError
    from extraction.run import Runtime

    lake = Path(args.lake)
    event = {"run_id": args.run_id} if args.run_id else {}
    with ExitStack() as stack:
        clock = None
        if args.source == "emulator":
            from spotify_lake.emulator import Emulator, FaultSpecError

            if not 1 <= args.listeners <= 5:
                raise UserError("--listeners must be between 1 and 5 (Spotify's development-mode limit)")
            try:
                emu = stack.enter_context(
                    Emulator(
                        seed=args.seed, days=args.days, listeners=args.listeners, mode=args.mode, faults=args.faults
                    )
                )
            except FaultSpecError as exc:
                raise UserError(f"--faults: {exc}") from None
            if args.advance_hours:
                emu.advance(hours=args.advance_hours)
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="spotify-lake-emulator-")))
            secret_file = folder / "secret.json"
            secret_file.write_text(
                json.dumps(
                    {
                        "client_id": emu.client_id,
                        "client_secret": emu.client_secret,
                        "listeners": [{"refresh_token": li.refresh_token} for li in emu.listeners],
                    }
                )
            )
            env = local_environment(
                args, lake=lake, secret_file=secret_file, api_prefix=emu.api_prefix, token_url=emu.token_url
            )
            clock = lambda: emu.now  # noqa: E731 - extraction dates follow the simulated world
        else:
            secret_file = Path(args.secret_file).expanduser()
            if not secret_file.exists():
                raise UserError(
                    f"no secret file at {secret_file}: run `python -m spotify_lake authorize --local` first"
                )
            env = local_environment(args, lake=lake, secret_file=secret_file, api_prefix=None, token_url=None)
        try:
            runtime = Runtime.from_environment(env, **({"clock": clock} if clock else {}))
        except ConfigError as exc:
            raise UserError(str(exc)) from None
        handler.install_runtime(runtime)
        context = LocalContext(deadline=time.monotonic() + args.time_limit)
        try:
            summary = handler.lambda_handler(event, context)
        except ExtractorError as exc:
            sys.stderr.write(f"run stopped: {type(exc).__name__}: {exc}" + "\n")
            return 3
        finally:
            handler.install_runtime(None)
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(format_summary(summary, lake) + "\n")
    return 0 if summary["status"] in {"finished", "checkpointed"} else 1


def format_summary(summary: dict, lake: Path) -> str:
    lines = [
        f"run {summary['run_id']}: {summary['status']}"
        + (f" ({summary['checkpoint_reason']})" if summary.get("checkpoint_reason") else ""),
        f"  {summary['items_written']} items written, {summary['requests_total']} API requests, "
        f"{summary['throttled_seconds']}s throttled, mode {summary['mode']}",
    ]
    for name, agg in sorted(summary["sources"].items()):
        line = f"  {name:<16} {agg['status']:<12} {agg['items_written']:>6} items  {agg['requests']}"
        if agg["gaps_detected"]:
            line += f"  GAP: {agg['gaps']}"
        if agg["skipped"]:
            line += f"  skipped {agg['skipped']}"
        lines.append(line)
    for unit in summary["units"]:
        if unit["error"]:
            lines.append(f"  ! {unit['source']}/{unit['unit']}: {unit['error']}")
    lines.append(f"  summary: {lake / '_runs' / (summary['run_id'] + '.json')}")
    return "\n".join(lines)
