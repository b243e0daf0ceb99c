"""Rows, files and bytes of a Parquet dataset folder, read from the file footers (no data scan)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ParquetStats:
    rows: int
    files: int
    bytes: int
    partitions: int


def parquet_files(root: Path) -> list[Path]:
    """Data files only: Spark's ``_SUCCESS`` and ``.crc`` side files are not output."""
    return sorted(p for p in root.rglob("*.parquet") if p.is_file() and not p.name.startswith((".", "_")))


def parquet_stats(root: Path) -> ParquetStats:
    return files_stats(parquet_files(root))


def files_stats(files: list[Path]) -> ParquetStats:
    """Stats of the given data files; a partition is a folder holding some of them."""
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    partitions = {f.parent for f in files}
    return ParquetStats(
        rows=rows, files=len(files), bytes=sum(f.stat().st_size for f in files), partitions=len(partitions)
    )
