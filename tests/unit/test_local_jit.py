"""A local run's JVM compiles with C1 only when the lake's whole raw zone is small (so every run over it is),
and as usual for a big raw zone or a lake on S3."""

from __future__ import annotations

from pathlib import Path

from curation.session import INTERPRETED_BELOW_BYTES
from lake_contract.settings import CurateArguments
from spotify_lake.adapters.local_glue import QUICK_JIT, jit_options, job_argv, smaller_than


def _file(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)  # sparse: the size is what counts


def test_a_small_raw_zone_compiles_quickly_and_a_big_one_as_usual(tmp_path: Path):
    lake = tmp_path / "my lake"
    _file(lake / "raw" / "source=api" / "a.ndjson.gz", 10 * 1024 * 1024)
    _file(lake / "curated" / "plays" / "big.parquet", 500 * 1024 * 1024)  # curated rows do not count
    assert jit_options(job_argv(lake, full_refresh=False, run_id=None)) == [QUICK_JIT]

    _file(lake / "raw" / "source=export" / "b.json", INTERPRETED_BELOW_BYTES - 10 * 1024 * 1024)
    assert jit_options(job_argv(lake, full_refresh=True, run_id="r-1")) == []


def test_an_empty_or_missing_raw_zone_is_small_and_an_s3_lake_is_left_alone(tmp_path: Path):
    assert jit_options(job_argv(tmp_path, full_refresh=False, run_id=None)) == [QUICK_JIT]
    s3 = CurateArguments(raw_root="s3://raw-bucket", curated_root="s3://curated-bucket")
    assert jit_options(["curate.py", *s3.to_argv()]) == []


def test_the_walk_counts_every_file_below_the_folder(tmp_path: Path):
    for i in range(3):
        _file(tmp_path / f"d{i}" / "e" / f"f{i}", 100)
    assert smaller_than(tmp_path, 301)
    assert not smaller_than(tmp_path, 300)
