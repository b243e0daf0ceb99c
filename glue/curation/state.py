"""What one curation run carries from step to step: its session, lake, catalog and what it has staged so far.

Its own module so that reading, publishing and accounting, which all take the run's state, sit below the run
(:mod:`curation.job`) instead of importing it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import ParamSpec, TypeVar

from pyspark import StorageLevel, inheritable_thread_target
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from curation.catalog import Catalog, TableLocations
from curation.lake import LakeFS, LakePaths
from curation.schema import Table

logger = logging.getLogger("curation")

T = TypeVar("T")
P = ParamSpec("P")

#: Driver threads for steps that run side by side (:func:`side_by_side`). A small run's steps are mostly
#: driver latency (planning, scheduling, one task per stage), which another step's work fills: the demo's
#: curation 27-28 s -> 24-25 s with three (docs/PERFORMANCE.md, Small runs). Big steps share the executors
#: as Spark's scheduler hands them out.
SIDE_BY_SIDE_THREADS = 3


class SideBySide:
    """Submits calls to driver threads that each run their own Spark jobs (see :func:`side_by_side`)."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        # Wrapped here, on the submitting thread: the call runs with this thread's Spark local properties
        # (PySpark's pinned-thread mode gives each Python thread its own JVM thread).
        return self._pool.submit(inheritable_thread_target(fn), *args, **kwargs)


@contextmanager
def side_by_side(threads: int = SIDE_BY_SIDE_THREADS) -> Iterator[SideBySide]:
    """A block whose submitted calls run on up to ``threads`` driver threads; every call has ended when the
    block is left (also when it raises). A call's result or error is its future's."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="curation-step") as pool:
        yield SideBySide(pool)


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
    #: (source, outcome) -> records: what each step's merge did with the records it was given (counted by the
    #: step itself, :func:`curation.accounting.count_outcomes`).
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    quarantine: list[DataFrame] = field(default_factory=list)
    persisted: list[DataFrame] = field(default_factory=list)
    #: Tables without new input: left alone, except that a full refresh empties them.
    cleared: set[str] = field(default_factory=set)
    #: API objects that cannot be read (damaged gzip, empty): key -> reason; each is one quarantined record.
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def now_col(self) -> Column:
        return F.lit(self.now.replace(tzinfo=None)).cast("timestamp")

    def ledger(self) -> RunState:
        """This run's state with empty records of what is staged, labelled, quarantined and persisted: what a
        step running :func:`side_by_side` with others writes to, handed back to the run by :meth:`absorb`."""
        return dataclasses.replace(
            self, staged={}, affected={}, outcomes=Counter(), quarantine=[], persisted=[], cleared=set()
        )

    def absorb(self, ledger: RunState) -> None:
        """Take over what a :meth:`ledger` recorded (ledgers absorbed in a fixed order keep the run's order)."""
        self.staged.update(ledger.staged)
        self.affected.update(ledger.affected)
        self.outcomes.update(ledger.outcomes)
        self.quarantine += ledger.quarantine
        self.persisted += ledger.persisted
        self.cleared |= ledger.cleared

    def persist(self, df: DataFrame) -> DataFrame:
        """Keep ``df`` for the rest of the run (unpersisted when the run ends).

        On local disk, not the heap: cached blocks in memory compete with the windows' sorts for the executor's
        heap, and at 8,000,000 plays on the local 2 GiB heap that ran out of memory (docs/PERFORMANCE.md, Large);
        from disk (the page cache, in practice) the 2M run is as fast and peaks 0.5 GB lower."""
        df = df.persist(StorageLevel.DISK_ONLY)
        self.persisted.append(df)
        return df


#: A step of a run: what it does with its ledger of the run state (its result is not used).
RunStep = Callable[[RunState], object]


class _StartedSteps:
    """The steps one :func:`steps_side_by_side` block started: their ledgers and futures, in starting order."""

    def __init__(self, state: RunState, pool: SideBySide) -> None:
        self._state, self._pool = state, pool
        self.ledgers: list[RunState] = []
        self._futures: list[Future[object]] = []
        self._stopped = threading.Event()

    def start(self, step: RunStep) -> None:
        if self._stopped.is_set():  # a step has failed: the run is lost, start nothing more
            return
        ledger = self._state.ledger()
        self.ledgers.append(ledger)
        future = self._pool.submit(step, ledger)
        self._futures.append(future)
        future.add_done_callback(self._stop_after_failure)

    def stop(self) -> None:
        """Start no more steps and cancel those not yet running."""
        self._stopped.set()
        for future in list(self._futures):
            future.cancel()

    def _stop_after_failure(self, done: Future[object]) -> None:
        if not done.cancelled() and done.exception() is not None:
            self.stop()

    def failures(self) -> list[BaseException]:
        return [e for f in self._futures if not f.cancelled() and (e := f.exception()) is not None]


@contextmanager
def steps_side_by_side(state: RunState, threads: int = SIDE_BY_SIDE_THREADS) -> Iterator[Callable[[RunStep], None]]:
    """A block that starts steps (``start(step)``) on up to ``threads`` driver threads, each step recording into
    its own :meth:`RunState.ledger`. The block's own code goes on meanwhile (it may plan the next steps' frames
    while the first ones run). When it is left, every started step has ended and the ledgers are taken back in
    the order the steps were started, whichever ended first, also after a failure (what a step persisted is
    released when the run ends).

    After a step fails, steps not yet running are not started; every failure is logged, and the first, in the
    order the steps were started, is raised."""
    steps: _StartedSteps | None = None
    try:
        with side_by_side(threads) as pool:
            steps = _StartedSteps(state, pool)
            try:
                yield steps.start
            except BaseException:  # the block itself failed: nothing more is started
                steps.stop()
                raise
        errors = steps.failures()
        for error in errors:
            logger.error("curation step failed: %s", error, exc_info=error)
        if errors:
            raise errors[0]
    finally:
        for ledger in steps.ledgers if steps else []:
            state.absorb(ledger)
