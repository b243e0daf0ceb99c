"""`python -m spotify_lake emulator`: serve the offline Spotify Web API emulator on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from spotify_lake.errors import UserError


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port, 0 for any free one (default 8765)")
    parser.add_argument("--seed", type=int, default=7, help="world seed: same seed, same data (default 7)")
    parser.add_argument("--days", type=int, default=365, help="days of listening history before now (default 365)")
    parser.add_argument("--listeners", type=int, default=1, help="simulated listeners, 1-5 (default 1)")
    parser.add_argument("--mode", default="development", help="development (default) or extended quota")
    parser.add_argument("--faults", default="", help="e.g. throttle=0.2,error=0.1,reset=0.02,retry_after=2")
    parser.add_argument("--token-ttl", type=float, default=3600, help="access-token lifetime in seconds")
    parser.add_argument("--now", default=None, help="simulated 'now' (ISO-8601, default 2026-11-01T00:00:00Z)")


def build(args: argparse.Namespace):
    """Validate the options and return an (unstarted) Emulator; raises UserError on bad input."""
    from spotify_lake.sources.emulator import MAX_LISTENERS, MODES, Emulator, FaultSpecError

    if not _loopback(args.host):
        raise UserError(f"--host must be a loopback address such as 127.0.0.1 (got {args.host!r}): test server only")
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port must be between 0 and 65535 (got {args.port})")
    if args.days < 0:
        raise UserError(f"--days must be >= 0 (got {args.days})")
    if not 1 <= args.listeners <= MAX_LISTENERS:
        raise UserError(f"--listeners must be between 1 and {MAX_LISTENERS} (got {args.listeners})")
    if args.mode not in MODES:
        raise UserError(f"--mode must be one of {', '.join(MODES)} (got {args.mode!r})")
    if args.token_ttl <= 0:
        raise UserError(f"--token-ttl must be > 0 seconds (got {args.token_ttl})")
    try:
        from spotify_lake.sources.emulator.simulation import parse_now

        now = parse_now(args.now) if args.now else None
    except ValueError:
        raise UserError(f"--now must be an ISO-8601 time such as 2026-11-01T00:00:00Z (got {args.now!r})") from None
    try:
        return Emulator(
            seed=args.seed, days=args.days, listeners=args.listeners, mode=args.mode, faults=args.faults,
            token_ttl=args.token_ttl, now=now, host=args.host, port=args.port,
        )  # fmt: skip
    except FaultSpecError as exc:
        raise UserError(f"--faults: {exc}") from None


def run(args: argparse.Namespace) -> int:
    emu = build(args)
    try:
        emu.bind()
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    listeners = ", ".join(f"{x.display_name} ({x.country}) refresh token {x.refresh_token}" for x in emu.listeners)
    print(  # noqa: T201 - the command's one line of output for the person at the keyboard
        f"Spotify emulator at {emu.base_url} (api {emu.api_prefix}, token {emu.token_url}); client id/secret "
        f"emulator/emulator; mode {emu.mode}; now {emu.now.isoformat()}; listeners: {listeners}. Ctrl-C stops.",
        flush=True,
    )
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        print("emulator stopped", file=sys.stderr)  # noqa: T201
    return 0
