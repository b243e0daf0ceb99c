"""Killing pipeline stages: a stage runs in its own process group and gets ``SIGKILL`` (no clean-up, like a
Lambda timeout, an out-of-memory kill or a lost Glue worker), either at a seeded moment or right after its
N-th write to the lake."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Kill:
    stage: str  # extract | curate
    how: str  # "after write N" or "at T s"
    killed: bool  # False when the stage finished before the signal
    seconds: float  # how long it ran


def _spawn(args: list[str], log: Path) -> tuple[subprocess.Popen, object]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    handle = open(log, "ab")  # noqa: SIM115 - closed by the caller once the process is gone
    proc = subprocess.Popen(
        [sys.executable, "-m", "spotify_lake.reliability.worker", *args],
        stdout=subprocess.PIPE,
        stderr=handle,
        start_new_session=True,  # its own process group: the kill takes the JVM of a curate worker with it
        env=env,
    )
    return proc, handle


def _wait_ready(proc: subprocess.Popen, timeout: float = 180.0) -> None:
    """Block until the worker printed ``ready`` (imports done, Spark up), so kill times fall in the work."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            return  # the worker died or ended before getting ready
        if line.strip() == b"ready":
            return


def _kill_group(proc: subprocess.Popen) -> bool:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def run_and_kill(args: list[str], *, log: Path, delay: float | None, stage: str) -> Kill:
    """Run a worker; with ``delay`` send SIGKILL that many seconds after it is ready, else let it end
    (the worker may kill itself, e.g. ``--die-at-write``). Returns what happened."""
    proc, handle = _spawn(args, log)
    try:
        _wait_ready(proc)
        started = time.monotonic()
        killed = False
        if delay is not None:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                killed = _kill_group(proc)
        proc.wait(timeout=600)
        if proc.returncode == -signal.SIGKILL:
            killed = True
        how = f"at {delay:.2f} s" if delay is not None else "after write " + args[args.index("--die-at-write") + 1]
        return Kill(stage, how, killed, round(time.monotonic() - started, 2))
    finally:
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        handle.close()


def extract_args(env_file: Path, now_iso: str, *, die_at_write: int | None = None, log_level: str = "WARNING"):
    args = ["extract", "--env", str(env_file), "--now", now_iso, "--log-level", log_level]
    if die_at_write is not None:
        args += ["--die-at-write", str(die_at_write)]
    return args


def write_env(path: Path, env: dict[str, str]) -> Path:
    path.write_text(json.dumps(env), encoding="utf-8")
    return path
