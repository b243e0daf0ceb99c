"""Steps that run side by side: really at the same time, every one ended before the run goes on, their records
taken back in the steps' order whichever ends first, and the first failing step (in that order) raised."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from curation.state import RunState, side_by_side, steps_side_by_side


def _state() -> RunState:
    # Only the records matter here; steps that would touch Spark or the lake are not run.
    none: Any = None
    return RunState(none, none, "r-1", False, datetime(2026, 12, 8, tzinfo=UTC), none, none, "r-1-abc")


def test_submitted_calls_run_at_the_same_time_and_have_ended_when_the_block_is_left():
    meet = threading.Barrier(3, timeout=10)  # three calls that each wait for the others: only concurrently
    ended: list[int] = []

    def call(i: int) -> int:
        meet.wait()
        time.sleep(0.05 * (3 - i))
        ended.append(i)
        return i * 10

    with side_by_side(threads=3) as threads:
        futures = [threads.submit(call, i) for i in range(3)]
    assert sorted(ended) == [0, 1, 2]
    assert [f.result() for f in futures] == [0, 10, 20]


def test_ledgers_come_back_in_the_steps_order_not_the_order_they_ended():
    def step(name: str, delay: float):
        def run(ledger: RunState) -> None:
            time.sleep(delay)
            ledger.staged[name] = name  # type: ignore[assignment]
            ledger.outcomes[(f"api:{name}", "kept")] += 2
            ledger.cleared.add(f"{name}-cleared")

        return run

    state = _state()
    state.outcomes[("api:top_tracks", "kept")] = 1
    _run(state, [step("plays", 0.3), step("tracks", 0.0), step("top_tracks", 0.1)])
    assert list(state.staged) == ["plays", "tracks", "top_tracks"]
    assert state.outcomes == {("api:top_tracks", "kept"): 3, ("api:plays", "kept"): 2, ("api:tracks", "kept"): 2}
    assert state.cleared == {"plays-cleared", "tracks-cleared", "top_tracks-cleared"}


def _run(state: RunState, steps: list, threads: int = 3, pause: float = 0.0) -> None:
    """A block that starts ``steps`` in order, ``pause`` seconds after the first."""
    with steps_side_by_side(state, threads) as start:
        for i, step in enumerate(steps):
            start(step)
            if i == 0:
                time.sleep(pause)


def test_the_first_failing_step_in_order_is_raised_after_every_step_has_ended_and_what_they_did_is_kept():
    def failing(message: str, delay: float):
        def run(ledger: RunState) -> None:
            time.sleep(delay)
            ledger.persisted.append(message)  # type: ignore[arg-type]
            raise RuntimeError(message)

        return run

    def slow(ledger: RunState) -> None:
        time.sleep(0.3)
        ledger.staged["slow"] = "slow"  # type: ignore[assignment]

    state = _state()
    with pytest.raises(RuntimeError, match="first"):
        _run(state, [slow, failing("first", 0.2), failing("second", 0.0)])
    assert state.staged == {"slow": "slow"}  # the slow step ended before the failure was raised
    assert state.persisted == ["first", "second"]  # released by the run's end, in the steps' order


def test_after_a_failure_the_steps_not_yet_running_are_not_started(caplog: pytest.LogCaptureFixture):
    ran: list[str] = []

    def step(name: str, fails: bool = False):
        def run(ledger: RunState) -> None:
            ran.append(name)
            if fails:
                raise ValueError(name)

        return run

    with pytest.raises(ValueError, match="a"):
        _run(_state(), [step("a", fails=True), step("b"), step("c")], threads=1, pause=0.2)
    assert ran == ["a"]
    assert "curation step failed: a" in caplog.text


def test_a_failure_of_the_block_itself_cancels_the_steps_not_yet_running():
    ran: list[str] = []
    running, gate = threading.Event(), threading.Event()

    def step(name: str):
        def run(ledger: RunState) -> None:
            running.set()
            gate.wait(5)
            ran.append(name)

        return run

    def block() -> None:
        with steps_side_by_side(_state(), threads=1) as start:
            start(step("running"))
            start(step("queued"))
            assert running.wait(5)
            gate.set()
            raise KeyError("planning the next step failed")

    with pytest.raises(KeyError):
        block()
    assert ran == ["running"]
