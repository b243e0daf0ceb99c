"""Curation must quarantine a damaged API object instead of crashing (issue 4: "Truncated files ... the job
never crashes"; "A whole unreadable file is quarantined as one record with its path")."""

import gzip
import json

import pytest

from spotify_lake.reliability import lakecheck, scenarios

GOOD = {
    "listener_id": "f0f0f0f0f0f0f0f0",
    "endpoint": "recently_played",
    "request": {"path": "/v1/me/player/recently-played", "params": {"limit": 50}},
    "position": 0,
    "extracted_at": "2026-10-02T10:00:00.000Z",
    "run_id": "extract-20261002T100000Z-aaaaaa",
    "mode": "development",
    "item": {
        "played_at": "2025-03-01T10:00:00.000Z",
        "context": None,
        "track": {
            "id": "0000000000000000000001",
            "uri": "spotify:track:0000000000000000000001",
            "name": "a",
            "type": "track",
            "duration_ms": 1000,
            "artists": [],
            "album": None,
        },
    },
}


def _key(run):
    return (
        f"raw/source=api/endpoint=recently_played/listener=f0f0f0f0f0f0f0f0/extract_date=2026-10-02/"
        f"run={run}/page-00000.ndjson.gz"
    )


DAMAGES = {
    "truncated_gzip": lambda b: b[: len(b) // 2],
    "not_gzip": lambda b: gzip.decompress(b),
    "empty_file": lambda b: b"",
    "garbage": lambda b: bytes(range(256)) * 4,
}


@pytest.mark.spark
def test_damaged_gzip_objects_are_quarantined_not_fatal(tmp_path, curator):
    # Given one good API object and one object with each kind of damage, in one lake (one curation run),
    good = gzip.compress((json.dumps(GOOD) + "\n").encode(), mtime=0)
    objects = {"extract-20261002T100000Z-good00": good}
    objects |= {
        f"extract-20261002T100000Z-{name.replace('_', '')[:6]}": damage(good) for name, damage in DAMAGES.items()
    }
    for run, data in objects.items():
        path = tmp_path / _key(run)
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    # when curation runs,
    summary = curator(tmp_path)
    # then it succeeds, every damaged object is one quarantined record with its reason, and the good play loads.
    assert summary.status == "succeeded"
    assert not scenarios.accounting_problems(summary)
    reasons = summary.accounts()["api:recently_played"].quarantined
    assert reasons == {"empty object": 1, "unreadable gzip: BadGzipFile": 2, "unreadable gzip: EOFError": 1}
    assert len(lakecheck.table_rows(tmp_path, "plays", ["play_id"])) == 1


@pytest.mark.spark
@pytest.mark.parametrize("where", ["driver", "executors"])
def test_the_driver_and_the_executors_find_the_same_damage(tmp_path, spark, where):
    # Given the good object and each damaged one (the empty one is left to the listing, as the job does),
    from curation.lake import LakeFS
    from curation.reading import unreadable_api_objects

    good = gzip.compress((json.dumps(GOOD) + "\n").encode(), mtime=0)
    damaged = {name: damage(good) for name, damage in DAMAGES.items() if name != "empty_file"}
    for run, data in {"good": good, **damaged}.items():
        path = tmp_path / _key(run)
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    fs = LakeFS(spark)
    objects = fs.list_files((tmp_path / "raw").as_uri())
    # when they are checked on the driver (few objects) or by a Spark job (many),
    limit = len(objects) if where == "driver" else 0
    found = unreadable_api_objects(spark, fs, objects, driver_limit=limit)
    # then both name each damaged object with the same reason, and not the good one.
    assert found == {
        _key("truncated_gzip"): "unreadable gzip: EOFError",
        _key("not_gzip"): "unreadable gzip: BadGzipFile",
        _key("garbage"): "unreadable gzip: BadGzipFile",
    }
