"""The process-tree sampler sees memory held by grandchildren, not just the direct child."""

import sys

from spotify_lake.bench.rss import run_measured

# The child starts a grandchild that holds ~300 MiB for a second; the child itself stays small.
CHILD = """
import subprocess, sys
grandchild = (
    "b = bytearray(300 * 1024 * 1024)\\nfor i in range(0, len(b), 4096): b[i] = 1\\nimport time; time.sleep(1.0)"
)
subprocess.run([sys.executable, "-c", grandchild], check=True)
print("done")
"""


def test_peak_includes_grandchildren():
    m = run_measured([sys.executable, "-c", CHILD], interval=0.05)
    assert m.returncode == 0
    assert m.stdout.strip() == "done"
    assert m.peak_rss_mb >= 300
    # the child's own interpreter is tens of MiB: well under what the tree held
    assert m.peak_rss_mb < 2000


def test_failure_is_reported_with_stderr():
    m = run_measured([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    assert m.returncode == 3
    assert "boom" in m.stderr


# The child fills 300 MiB, then forks: parent and fork share those pages (copy-on-write) for a second.
FORKED = """
import os, time
b = bytearray(300 * 1024 * 1024)
for i in range(0, len(b), 4096): b[i] = 1
pid = os.fork()
time.sleep(1.0)
if pid:
    os.waitpid(pid, 0)
"""


def test_pages_shared_by_a_fork_count_once():
    m = run_measured([sys.executable, "-c", FORKED], interval=0.05)
    assert m.returncode == 0
    assert 300 <= m.peak_rss_mb < 450  # summed resident sets would say over 600


def test_the_kernel_tells_a_fork_from_the_same_address_space():
    import os
    import time

    from spotify_lake.bench.rss import shares_memory

    assert shares_memory(os.getpid(), os.getpid())
    pid = os.fork()
    if pid == 0:  # the fork: its own (copy-on-write) address space
        time.sleep(2)
        os._exit(0)
    try:
        assert not shares_memory(os.getpid(), pid)
    finally:
        os.waitpid(pid, 0)


def test_a_child_in_its_parents_address_space_counts_nothing(monkeypatch):
    """A vfork child before exec (how the JVM starts helpers) reports the JVM's pages as its own."""
    from spotify_lake.bench import rss

    sizes = {10: 2_000, 11: 2_000, 12: 300}  # the JVM, its vfork child, a real child
    monkeypatch.setattr(rss, "_tree", lambda root: [(10, None), (11, 10), (12, 10)])
    monkeypatch.setattr(rss, "_program", lambda pid: "/usr/bin/java" if pid != 12 else "/bin/chmod")
    monkeypatch.setattr(rss, "rss_bytes", lambda pid: sizes[pid])
    monkeypatch.setattr(rss, "private_bytes", lambda pid: sizes[pid])
    monkeypatch.setattr(rss, "shares_memory", lambda pid, other: pid == 11)
    assert rss.tree_rss_bytes(10) == 2_300
    monkeypatch.setattr(rss, "shares_memory", lambda pid, other: False)
    assert rss.tree_rss_bytes(10) == 4_300  # counted as a fork's private pages: the JVM twice
