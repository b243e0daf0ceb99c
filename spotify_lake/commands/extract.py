"""`python -m spotify_lake extract`: run the extractor Lambda handler in-process against a local lake folder.

The handler, its configuration model and every unit of work are the ones deployed to Lambda; only the
environment differs (a lake folder instead of the raw bucket, a secret file instead of Secrets Manager, API and
token URLs pointing at the in-process emulator for ``--source emulator``; see
:class:`lake_contract.settings.ExtractorSettings`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lake_contract.keys import RunSummaryKey
from lake_contract.summaries import EXTRACTION_CHECKPOINTED, EXTRACTION_FINISHED, ExtractionSummary
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
    parser.add_argument(
        "--sources",
        default=None,
        metavar="NAMES",
        help="comma-separated sources for this run (default: every source), e.g. backfill or recently_played,catalogue",
    )
    parser.add_argument(
        "--backfill-per-run", type=int, default=200, help="track lookups the catalogue backfill may make this run"
    )
    parser.add_argument(
        "--backfill-per-day", type=int, default=400, help="track lookups the catalogue backfill may make per UTC day"
    )
    parser.add_argument("--request-budget", type=int, default=600, help="API requests this run may make")
    parser.add_argument("--retry-after-cap", type=float, default=60.0, help="longest Retry-After waited for (s)")
    parser.add_argument("--time-limit", type=float, default=900.0, help="pretend Lambda timeout in seconds")
    parser.add_argument("--run-id", default=None, help="rerun a given run id (overwrites its own objects)")
    parser.add_argument("--json", action="store_true", help="print the whole run summary as JSON")


def run(args) -> int:
    from extraction.config import ConfigError
    from extraction.errors import ExtractorError
    from spotify_lake import pipeline

    lake = Path(args.lake)
    options = pipeline.ExtractOptions(
        mode_hint=args.mode_hint,
        request_budget=args.request_budget,
        retry_after_cap_seconds=args.retry_after_cap,
        time_limit_seconds=args.time_limit,
        searches=tuple(args.search),
        playlist_ids=tuple(args.playlist),
        run_id=args.run_id,
        backfill_requests_per_run=args.backfill_per_run,
        backfill_requests_per_day=args.backfill_per_day,
        sources=_sources(args.sources),
    )
    try:
        if args.source == "emulator":
            summary = _extract_from_emulator(args, lake, options)
        else:
            secret_file = Path(args.secret_file).expanduser()
            if not secret_file.exists():
                raise UserError(
                    f"no secret file at {secret_file}: run `python -m spotify_lake authorize --local` first"
                )
            summary = pipeline.extract_from_spotify(secret_file, lake, options)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    except ExtractorError as exc:
        sys.stderr.write(f"run stopped: {type(exc).__name__}: {exc}" + "\n")
        return 3
    if args.json:
        sys.stdout.write(summary.to_json() + "\n")
    else:
        sys.stdout.write(format_summary(summary, lake) + "\n")
    return 0 if summary.status in {EXTRACTION_FINISHED, EXTRACTION_CHECKPOINTED} else 1


def _sources(names: str | None) -> tuple[str, ...] | None:
    """``--sources``: the names, checked against the extractor's sources (None: every source)."""
    from extraction.config import SOURCES

    if names is None:
        return None
    chosen = tuple(n.strip() for n in names.split(",") if n.strip())
    unknown = sorted(set(chosen) - set(SOURCES))
    if not chosen or unknown:
        raise UserError(f"--sources: unknown {', '.join(unknown) or '(none given)'}; known: {', '.join(SOURCES)}")
    return chosen


def _extract_from_emulator(args, lake: Path, options) -> ExtractionSummary:
    from spotify_lake import pipeline
    from spotify_lake.sources.emulator import Emulator, FaultSpecError

    if not 1 <= args.listeners <= 5:
        raise UserError("--listeners must be between 1 and 5 (Spotify's development-mode limit)")
    try:
        emu = Emulator(seed=args.seed, days=args.days, listeners=args.listeners, mode=args.mode, faults=args.faults)
    except FaultSpecError as exc:
        raise UserError(f"--faults: {exc}") from None
    with emu:
        if args.advance_hours:
            emu.advance(hours=args.advance_hours)
        return pipeline.extract_from_emulator(emu, lake, options)


def format_summary(summary: ExtractionSummary, lake: Path) -> str:
    lines = [
        f"run {summary.run_id}: {summary.status}"
        + (f" ({summary.checkpoint_reason})" if summary.checkpoint_reason else ""),
        f"  {summary.items_written} items written, {summary.requests_total} API requests, "
        f"{summary.throttled_seconds}s throttled, mode {summary.mode}",
    ]
    for name, agg in sorted(summary.sources.items()):
        line = f"  {name:<16} {agg.status:<12} {agg.items_written:>6} items  {agg.requests}"
        if agg.gaps_detected:
            line += f"  GAP: {[gap.to_dict() for gap in agg.gaps]}"
        if agg.skipped:
            line += f"  skipped {agg.skipped}"
        lines.append(line)
    for unit in summary.units:
        if unit.error:
            lines.append(f"  ! {unit.source}/{unit.unit}: {unit.error}")
    lines.append(f"  summary: {lake / RunSummaryKey(summary.run_id).format()}")
    return "\n".join(lines)
