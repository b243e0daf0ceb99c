"""Publishing: a reader of the catalog sees each partition's old rows or its new rows, never a mix, a part or
both, at every step of a run; and versions nobody reads any more are deleted by the next run.

The reader looks after every file-system change the run makes (each write, delete, move and each
table version Spark writes) and once more between the catalog switches, so a partial or doubled partition
at any moment of the run would be seen (the rename-based swap this replaced failed exactly here on S3).
"""

from __future__ import annotations

import json

import pytest

from curation import job, publishing
from curation.catalog import DocumentCatalog
from curation.lake import LakeFS, LakePaths
from spotify_lake.reliability import lakecheck
from tests.support.lakefix import put_export, standard_lake

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _extended(ts: str, uri: str, ms: int) -> dict:
    return {"ts": ts, "ms_played": ms, "spotify_track_uri": uri, "skipped": False, "platform": "android"}


#: New plays in an old month (2023-12), a month the first run merged (2024-01) and a new month (2024-03).
NEW_PLAYS = [
    _extended("2023-12-30T10:00:00Z", "spotify:track:0VjIjW4GlUZAMYd2vXMi3b", 200000),
    _extended("2024-01-20T10:00:00Z", "spotify:track:7qiZfU4dY1lWllzX7mPBI3", 210000),
    _extended("2024-03-02T10:00:00Z", "spotify:track:3n3Ppam7vgaVa1iaRUc9Lp", 220000),
]


def test_a_reader_sees_old_or_new_partitions_at_every_step_of_a_run(spark, tmp_path, monkeypatch):
    lake = standard_lake(tmp_path / "lake")
    paths = LakePaths.single(lake.as_uri())
    assert job.run(spark, paths, run_id="curate-one").status == "succeeded"
    old = lakecheck.partitions(lake)
    assert sorted(old) == ["play_month=2023-12", "play_month=2024-01", "play_month=2024-02"]

    seen: list[tuple[str, dict]] = []

    def look(after: str) -> None:
        seen.append((after, lakecheck.partitions(lake)))

    def watching(method):
        def wrapper(self, *args, **kwargs):
            result = method(self, *args, **kwargs)
            look(f"{method.__name__}{args[:1]}")
            return result

        return wrapper

    for name in ("write_text", "delete", "move"):
        monkeypatch.setattr(LakeFS, name, watching(getattr(LakeFS, name)))
    write_staged = publishing._write_staged

    def staged_then_look(table, rows, target, clustered):
        write_staged(table, rows, target, clustered)
        look(f"version of {table.name} written")

    monkeypatch.setattr(publishing, "_write_staged", staged_then_look)
    switch = DocumentCatalog.switch

    def switch_then_look(self, current, changes, dropped):
        look(f"before switching {current.table}")
        return switch(self, current, changes, dropped)

    monkeypatch.setattr(DocumentCatalog, "switch", switch_then_look)

    put_export(lake, "extended", "Streaming_History_Audio_2024_9.json", json.dumps(NEW_PLAYS).encode())
    summary = job.run(spark, paths, run_id="curate-two")
    assert summary.status == "succeeded"
    assert summary.tables["plays"] == ["2023-12", "2024-01", "2024-03"]
    new = lakecheck.partitions(lake)
    assert sorted(new) == ["play_month=2023-12", "play_month=2024-01", "play_month=2024-02", "play_month=2024-03"]
    assert len(new["play_month=2023-12"]) == len(old["play_month=2023-12"]) + 1
    assert len(new["play_month=2024-01"]) == len(old["play_month=2024-01"]) + 1
    assert new["play_month=2024-02"] == old["play_month=2024-02"]

    # At each moment of the run (after its versions were written, around each move of the appended files,
    # before and after the catalog switch, after the manifest and the summary) every partition was whole.
    moments = [m for m, _ in seen]
    assert {"version of plays written", "before switching plays"} <= set(moments)
    assert any(m.startswith("move") for m in moments)
    assert any(m.startswith("write_text") and "_catalog/plays.json" in m for m in moments)
    for moment, partitions in seen:
        for name, rows in partitions.items():
            assert rows in (old.get(name), new.get(name)), f"after {moment}: {name} is neither old nor new"
        assert set(partitions) in (set(old), set(new)), f"after {moment}: partitions {sorted(partitions)}"
    assert any(p == old for _, p in seen)
    assert any(p == new for _, p in seen)


def test_superseded_and_killed_versions_are_deleted_by_the_next_run_only(spark, tmp_path):
    lake = standard_lake(tmp_path / "lake")
    paths = LakePaths.single(lake.as_uri())
    job.run(spark, paths, run_id="curate-one")
    put_export(lake, "extended", "Streaming_History_Audio_2024_9.json", json.dumps(NEW_PLAYS).encode())
    job.run(spark, paths, run_id="curate-two")
    plays = lake / "curated" / "plays"
    (one,) = (p for p in plays.iterdir() if p.name.startswith("curate-one-"))
    # curate-two superseded curate-one's December and January; they stay while a query may still read them.
    assert sorted(p.name for p in one.iterdir() if p.is_dir()) == [
        "play_month=2023-12",
        "play_month=2024-01",
        "play_month=2024-02",
    ]
    # A run killed after writing its version and its staging, before publishing anything:
    killed = plays / "curate-killed-abcdef" / "play_month=2024-01"
    killed.mkdir(parents=True)
    (killed / "part-00000.parquet").write_bytes(b"PAR1 half written")
    staging = lake / "curated" / "_staging" / "curate-killed"
    staging.mkdir(parents=True)
    before = lakecheck.partitions(lake)

    third = job.run(spark, paths, run_id="curate-three")
    assert third.status == "nothing to do"
    assert lakecheck.partitions(lake) == before
    assert sorted(p.name for p in one.iterdir() if p.is_dir()) == ["play_month=2024-02"]
    assert not (plays / "curate-killed-abcdef").exists()
    assert not staging.exists()
