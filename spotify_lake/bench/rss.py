"""Run a command and measure its wall time and the peak resident memory of its whole process tree.

The engines we compare spawn children (Spark's JVM under the Python driver, DuckDB threads, pandas in
a worker), so ``ru_maxrss`` of one process would under-count: we sample the resident set of every process
descended from the child every ``interval`` seconds and keep the largest sum. A process running the same
program as its parent (a JVM's fork before it execs a helper, which Hadoop's local file system does for
permissions; a Python daemon's forked workers; a Python starting another) counts only its private pages
(``Private_*`` in ``/proc/<pid>/smaps_rollup``): what it shares with its parent (copy-on-write memory, the
program's code) is already in the parent's figure, so a fork does not show the JVM twice. A child that shares
its parent's address space (``CLONE_VM``: the JVM starts every helper process with ``posix_spawn``, a vfork,
and the child runs in the JVM's memory until it execs) counts nothing: its resident set and its "private" pages
are the JVM's own. Which processes share an address space the kernel says (``kcmp(2)``, ``KCMP_VM``).
Every other process counts its ``VmRSS`` from ``/proc/<pid>/status``, which costs the sampled process nothing
(reading ``smaps_rollup`` walks the process's page tables: ~30 ms for a 2.5 GB process, too much to do ten times
a second to the JVM being measured). Sampling reads ``/proc`` directly (Linux), so no extra package is needed; a
peak shorter than the interval can be missed, which is why the interval is small and the figure is called
"sampled peak".
"""

from __future__ import annotations

import ctypes
import functools
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
    return [pid for pid, _parent in _tree(root)]


def _tree(root: int) -> list[tuple[int, int | None]]:
    """(pid, parent pid) of ``root`` (parent None) and of every process descended from it."""
    children = _children_by_parent()
    found: list[tuple[int, int | None]] = []
    stack: list[tuple[int, int | None]] = [(root, None)]
    while stack:
        pid, parent = stack.pop()
        found.append((pid, parent))
        stack.extend((child, pid) for child in children.get(pid, ()))
    return found


def _program(pid: int) -> str | None:
    try:
        return os.readlink(_PROC / str(pid) / "exe")
    except OSError:
        return None


def rss_bytes(pid: int) -> int:
    """Resident set of one process (``VmRSS``), 0 when it has ended or is a zombie."""
    try:
        with open(_PROC / str(pid) / "status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def private_bytes(pid: int) -> int:
    """Pages of one process no other process maps (``Private_Clean`` + ``Private_Dirty``); 0 when it has ended."""
    total = 0
    try:
        with open(_PROC / str(pid) / "smaps_rollup") as fh:
            for line in fh:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except OSError:
        return 0
    return total


#: ``kcmp`` system call numbers (``asm/unistd.h``) of the architectures this runs on.
_SYS_KCMP = {"x86_64": 312, "aarch64": 272}
_KCMP_VM = 1


def shares_memory(pid: int, other: int) -> bool:
    """Whether two processes share one address space (``kcmp(pid, other, KCMP_VM, 0, 0) == 0``); False when
    the kernel cannot say (no ``kcmp`` on this architecture or kernel, a process gone)."""
    number = _SYS_KCMP.get(os.uname().machine)
    if number is None:
        return False
    return int(_libc().syscall(number, pid, other, _KCMP_VM, 0, 0)) == 0


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, loaded once: the sampler asks about every child ten times a second."""
    return ctypes.CDLL(None, use_errno=True)


def tree_rss_bytes(root: int) -> int:
    """Memory of the process tree: resident sets; a fork of its parent's program counted by its private pages,
    a child in its parent's address space (a vfork before exec) not at all."""
    tree = _tree(root)
    programs = {pid: _program(pid) for pid, _parent in tree}
    total = 0
    for pid, parent in tree:
        if parent is not None and shares_memory(pid, parent):
            continue
        forked = parent is not None and programs[pid] is not None and programs[pid] == programs[parent]
        total += private_bytes(pid) if forked else rss_bytes(pid)
    return total


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
