"""Both storage adapters behave the same, including compare-and-swap; state builds on them."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from extraction.state import KnownIds, StateConflict, StateStore
from extraction.storage import LocalStorage, PreconditionFailed, RetryingStorage, S3Storage, StorageError


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        yield LocalStorage(tmp_path / "lake")
        return
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket="raw-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield S3Storage("raw-bucket", client=client)


def test_put_get_list(storage):
    assert storage.get("raw/a.json") is None
    storage.put("raw/b/2.json", b"two")
    storage.put("raw/a.json", b"one")
    storage.put("_state/x.json", b"x")
    assert storage.get("raw/a.json").body == b"one"
    assert storage.list("raw/") == ["raw/a.json", "raw/b/2.json"]
    storage.put("raw/a.json", b"uno")  # unconditional overwrite: retried runs replace their own objects
    assert storage.get("raw/a.json").body == b"uno"


def test_conditional_writes(storage):
    v1 = storage.put("_state/c.json", b"1", if_none_match=True)
    with pytest.raises(PreconditionFailed):
        storage.put("_state/c.json", b"other", if_none_match=True)
    v2 = storage.put("_state/c.json", b"2", if_match=v1)
    with pytest.raises(PreconditionFailed):
        storage.put("_state/c.json", b"stale", if_match=v1)
    with pytest.raises(PreconditionFailed):
        storage.put("_state/missing.json", b"x", if_match=v2)
    stored = storage.get("_state/c.json")
    assert stored.body == b"2"
    assert stored.version == v2


def test_two_invocations_cannot_both_advance_a_cursor(storage):
    first, second = StateStore(storage), StateStore(storage)
    a = first.load("_state/listener=l/recently_played.json")
    b = second.load("_state/listener=l/recently_played.json")
    first.commit(a, {"after_ms": 10})
    with pytest.raises(StateConflict):
        second.commit(b, {"after_ms": 20})
    assert first.load("_state/listener=l/recently_played.json").value == {"after_ms": 10}


def test_known_ids_merge_on_conflict_and_count_for_every_run(storage):
    store = StateStore(storage)
    one, two = KnownIds(store, "artists"), KnownIds(store, "artists")
    one.add(["a", "b"], run_id="extract-1", next_seq=1)
    two.add(["c"], run_id="extract-2", next_seq=1)  # loaded before one's commit: conflict, reload, merge
    fresh = KnownIds(store, "artists")
    assert fresh.doc.value["ids"] == {"a": "extract-1", "b": "extract-1", "c": "extract-2"}
    assert fresh.is_known("a")
    assert not fresh.is_known("z")
    # A retried extract-1 continues after its committed objects, so what it already stored stays known.
    assert fresh.doc.resume_seq("extract-1") == 0  # the last commit was extract-2's
    assert fresh.is_known("b")


class _FailingFirst:
    """A store that refuses the first ``failures`` writes, then accepts."""

    def __init__(self, inner, failures):
        self.inner, self.failures, self.calls = inner, failures, 0

    def put(self, key, body, **conditions):
        self.calls += 1
        if self.calls <= self.failures:
            raise StorageError("SlowDown")
        return self.inner.put(key, body, **conditions)


def test_retrying_storage_rides_out_refused_writes_but_not_lost_races(tmp_path):

    slept = []
    # Two refusals, then the write lands, after backing off 0.5 s and 1 s.
    flaky = _FailingFirst(LocalStorage(tmp_path), failures=2)
    RetryingStorage(flaky, sleep=slept.append).put("raw/a.json", b"1")
    assert (tmp_path / "raw/a.json").read_bytes() == b"1"
    assert slept == [0.5, 1.0]
    # Three refusals exhaust the attempts: the error reaches the unit, which fails without advancing a cursor.
    with pytest.raises(StorageError):
        RetryingStorage(_FailingFirst(LocalStorage(tmp_path), failures=3), sleep=slept.append).put("raw/b.json", b"2")
    # A lost conditional write is an answer, not a fault: no retry.
    store = RetryingStorage(LocalStorage(tmp_path), sleep=slept.append)
    slept.clear()
    with pytest.raises(PreconditionFailed):
        store.put("raw/a.json", b"3", if_none_match=True)
    assert slept == []
