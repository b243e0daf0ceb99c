"""What one curation run carries from step to step: its session, lake, catalog and what it has staged so far.

Its own module so that reading, publishing and accounting, which all take the run's state, sit below the run
(:mod:`curation.job`) instead of importing it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from curation.catalog import Catalog, TableLocations
from curation.lake import LakeFS, LakePaths
from curation.schema import Table

logger = logging.getLogger("curation")


@contextmanager
def timed(step: str) -> Iterator[None]:
    """Log how long ``step`` took."""
    start = time.monotonic()
    yield
    logger.info("step %s took %.1f s", step, time.monotonic() - start)


@dataclass
class RunState:
    spark: SparkSession
    paths: LakePaths
    run_id: str
    full_refresh: bool
    now: datetime
    fs: LakeFS
    catalog: Catalog
    #: This attempt's version folder name: unique even when a retried run reuses its run id.
    version: str
    staged: dict[str, Table] = field(default_factory=dict)
    #: Current locations per table, read once per run from the catalog.
    current: dict[str, TableLocations] = field(default_factory=dict)
    affected: dict[str, set[str]] = field(default_factory=dict)
    outcomes: list[DataFrame] = field(default_factory=list)
    quarantine: list[DataFrame] = field(default_factory=list)
    persisted: list[DataFrame] = field(default_factory=list)
    #: Tables without new input: left alone, except that a full refresh empties them.
    cleared: set[str] = field(default_factory=set)
    #: API objects that cannot be read (damaged gzip, empty): key -> reason; each is one quarantined record.
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def now_col(self) -> Column:
        return F.lit(self.now.replace(tzinfo=None)).cast("timestamp")

    def persist(self, df: DataFrame) -> DataFrame:
        """Keep ``df`` for the rest of the run (unpersisted when the run ends).

        On local disk, not the heap: cached blocks in memory compete with the windows' sorts for the executor's
        heap, and at 8,000,000 plays on the local 2 GiB heap that ran out of memory (docs/PERFORMANCE.md, Large);
        from disk (the page cache, in practice) the 2M run is as fast and peaks 0.5 GB lower."""
        df = df.persist(StorageLevel.DISK_ONLY)
        self.persisted.append(df)
        return df
