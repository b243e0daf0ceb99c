"""Run a command and measure its wall time and the peak resident memory of its whole process tree.

The engines we compare spawn children (Spark's JVM under the Python driver, DuckDB threads, pandas in
a worker), so ``ru_maxrss`` of one process would under-count: we sample the memory of every process
descended from the child every ``interval`` seconds and keep the largest sum. Each process counts its
proportional set size (``Pss`` in ``/proc/<pid>/smaps_rollup``): pages shared by several processes of the tree
count once in the sum, not once per process. Summed resident sets (``VmRSS``, the fallback where the kernel has
no rollup) over-count: a JVM that forks a helper process (Hadoop's local file system does, for permissions)
briefly shows twice its size. Sampling reads ``/proc`` directly (Linux), so no extra package is needed; a peak
shorter than the interval can be missed, which is why the interval is small and the figure is called "sampled
peak".
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_pids(root: int) -> list[int]:
    """``root`` and every process descended from it."""
    children = _children_by_parent()
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(children.get(pid, ()))
    return pids


def rss_bytes(pid: int) -> int:
    """Memory of one process: its proportional set size, else its resident set (``VmRSS``); 0 when it has ended
    or is a zombie."""
    try:
        with open(_PROC / str(pid) / "smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(_PROC / str(pid) / "status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def tree_rss_bytes(root: int) -> int:
    return sum(rss_bytes(pid) for pid in tree_pids(root))


class TreeSampler:
    """Background thread recording the largest resident set of a process tree."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.root = root
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"rss-{root}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self.root))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    interval: float = 0.1,
    timeout: float | None = None,
) -> Measurement:
    """Run ``cmd`` to completion; wall seconds and sampled peak RSS (MiB) of its process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with TreeSampler(proc.pid, interval) as sampler:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    return Measurement(
        seconds=seconds,
        peak_rss_mb=sampler.peak_bytes / (1024 * 1024),
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
    )
