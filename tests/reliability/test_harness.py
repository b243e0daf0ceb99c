"""The fault injectors themselves: reproducible, and really failing what they claim to fail."""

from __future__ import annotations

import pytest

from extraction.storage import LocalStorage, StorageError
from spotify_lake.reliability import harness


def _attempts(storage, n=400):
    outcome = []
    for i in range(n):
        try:
            storage.put(f"raw/k{i}", b"x")
            outcome.append(True)
        except StorageError:
            outcome.append(False)
    return outcome


def test_flaky_storage_fails_the_same_writes_for_the_same_seed(tmp_path):
    a = _attempts(harness.FlakyStorage(LocalStorage(tmp_path / "a"), rate=0.25, seed=3))
    b = _attempts(harness.FlakyStorage(LocalStorage(tmp_path / "b"), rate=0.25, seed=3))
    c = _attempts(harness.FlakyStorage(LocalStorage(tmp_path / "c"), rate=0.25, seed=4))
    assert a == b
    assert a != c
    assert 70 <= a.count(False) <= 130  # about a quarter of 400
    written = {p.name for p in (tmp_path / "a/raw").iterdir()}
    assert written == {f"k{i}" for i, ok in enumerate(a) if ok}  # a failed write leaves nothing behind


def test_flaky_storage_counts_failures_by_lake_prefix(tmp_path):
    flaky = harness.FlakyStorage(LocalStorage(tmp_path), rate=1.0, seed=1)
    for key in ("raw/a", "_state/b", "_state/c"):
        with pytest.raises(StorageError, match="injected"):
            flaky.put(key, b"x")
    assert dict(flaky.injected) == {"raw": 1, "_state": 2}
