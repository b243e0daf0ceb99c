"""A moment without an active Trino node is waited out, not reported as a difference in a view."""

import pytest
from trino.exceptions import TrinoQueryError

from spotify_lake.athena_check import check


def _error(name: str) -> TrinoQueryError:
    return TrinoQueryError({"errorName": name, "errorType": "INTERNAL_ERROR", "message": name}, "q")


class Cursor:
    """Fails its first ``failures`` executions with ``error``, then answers one row."""

    def __init__(self, failures: int, error: str) -> None:
        self.failures, self.error, self.executed = failures, error, 0

    def execute(self, sql: str) -> None:
        self.executed += 1
        if self.executed <= self.failures:
            raise _error(self.error)

    def fetchall(self) -> list:
        return [[42]]


def test_no_nodes_available_is_retried(monkeypatch):
    monkeypatch.setattr(check.time, "sleep", lambda s: None)
    cursor = Cursor(failures=2, error="NO_NODES_AVAILABLE")
    assert check._run(cursor, "SELECT 42") == [(42,)]
    assert cursor.executed == 3


def test_other_errors_are_not_retried(monkeypatch):
    monkeypatch.setattr(check.time, "sleep", lambda s: None)
    cursor = Cursor(failures=1, error="SYNTAX_ERROR")
    with pytest.raises(TrinoQueryError):
        check._run(cursor, "SELEC 42")
    assert cursor.executed == 1


def test_retrying_stops_after_the_patience(monkeypatch):
    clock = iter(range(0, 10_000, 60))  # every look at the clock is a minute later
    monkeypatch.setattr(check.time, "monotonic", lambda: float(next(clock)))
    monkeypatch.setattr(check.time, "sleep", lambda s: None)
    cursor = Cursor(failures=100, error="NO_NODES_AVAILABLE")
    with pytest.raises(TrinoQueryError):
        check._run(cursor, "SELECT 42")
    assert cursor.executed == 3  # at 0, 60 and 120 s it retries; past 120 s it gives up
