"""The curation job's life on one backend: first run, re-run, incremental run, full refresh.

The same sequence runs on the local disk and on the S3 endpoint, with the same run ids and the same raw
objects, so their summaries and curated rows can be compared one to one. A backend is its two roots plus how
raw objects reach it (a copy on disk, an upload to the raw bucket) and how its requests are recorded.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.catalog import WHOLE_TABLE, TableLocations
from curation.lake import LakePaths
from curation.reading import read_published
from curation.schema import TABLES, Table
from lake_contract.settings import CurateArguments
from lake_contract.summaries import CurationSummary
from tests.support import lakefix

logger = logging.getLogger(__name__)

#: Runs of the sequence, in order, and the raw objects that arrive before each ("base", "later" or none).
RUNS: tuple[tuple[str, str | None, bool], ...] = (
    ("curate-first", "base", False),
    ("curate-again", None, False),
    ("curate-later", "later", False),
    ("curate-rebuild", None, True),
)
#: Columns a run stamps with its own clock: the two backends run at different times.
CLOCK_COLUMNS = frozenset({"quarantined_at", "checked_at"})


def build_raw_zones(root: Path) -> dict[str, Path]:
    """Two local lakes holding only raw objects: ``base`` (one import of each export kind, one API page of
    recently played, with records to quarantine) and ``later`` (one new API page, a play the exports hold)."""
    base = lakefix.standard_lake(root / "base")
    later = root / "later"
    t2 = json.loads(lakefix.fixture_lines("recently_played.ndjson")[1])["item"]
    new_play = {**t2, "played_at": "2024-01-06T10:00:20.250Z"}
    new_play["track"] = {**t2["track"], "id": "3n3Ppam7vgaVa1iaRUc9Lp", "uri": "spotify:track:3n3Ppam7vgaVa1iaRUc9Lp"}
    lakefix.put_api(
        later, "recently_played", [lakefix.envelope("recently_played", new_play)], run="extract-later", seq=1
    )
    return {"base": base, "later": later}


def raw_objects(lake: Path) -> dict[str, Path]:
    """Key (relative to the lake, ``raw/…``) -> file, for every raw object of a local lake."""
    return {p.relative_to(lake).as_posix(): p for p in sorted((lake / "raw").rglob("*")) if p.is_file()}


def read_curated(spark, curated_root: str, table: Table, catalog: GlueReader | None = None) -> list[tuple]:
    """Every published row of one curated table, sorted, without :data:`CLOCK_COLUMNS`.

    The one place that knows how a table is read: through the catalog readers use (the Glue Data Catalog when
    given, as Athena does, else the lake's table documents, as the local readers do).
    """
    paths = LakePaths(curated_root, curated_root, curated_root)
    frame = read_published(spark, paths, table, catalog)  # type: ignore[arg-type]  # GlueReader only reads
    columns = [c for c in frame.columns if c not in CLOCK_COLUMNS]
    return sorted((tuple(row) for row in frame.select(*columns).collect()), key=repr)


class GlueReader:
    """What Athena reads: each table's current locations as the Glue Data Catalog names them (not the job's
    own table documents, which the job's Glue backend keeps beside it)."""

    def __init__(self, glue, database: str, curated_root: str) -> None:
        self._glue = glue
        self._database = database
        self._root = curated_root.rstrip("/") + "/"

    def current(self, table: str, partition_key: str | None) -> TableLocations:
        if partition_key is None:
            location = self._glue.get_table(DatabaseName=self._database, Name=table)["Table"]["StorageDescriptor"]
            relative = location["Location"].removeprefix(self._root)
            if relative.strip("/") == f"curated/{table}":  # the stack's folder: nothing published yet
                return TableLocations(table, None)
            return TableLocations(table, None, {WHOLE_TABLE: relative})
        found = {}
        for page in self._glue.get_paginator("get_partitions").paginate(DatabaseName=self._database, TableName=table):
            for partition in page["Partitions"]:
                found[partition["Values"][0]] = partition["StorageDescriptor"]["Location"].removeprefix(self._root)
        return TableLocations(table, partition_key, found)


@dataclass
class Backend:
    """Where one sequence runs: its roots, how raw objects arrive, how a run's requests are recorded."""

    name: str
    raw_root: str
    curated_root: str
    publish: Callable[[dict[str, Path]], None]  # key -> local file, put into the raw zone
    recording: Callable[[], AbstractContextManager[Any]] = nullcontext
    job_environment: Callable[[], AbstractContextManager[Any]] = nullcontext
    #: The job's --glue_database: publish through the Glue Data Catalog (as deployed) instead of table documents.
    glue_database: str | None = None
    catalog: Callable[[], Any] = lambda: None  # what the harness reads the published tables through


@dataclass
class RunRecord:
    run_id: str
    summary: CurationSummary
    recorded: list = field(default_factory=list)  # what the backend's recording captured during the run
    rows: dict[str, list[tuple]] | None = None  # every curated table after the run (where the test reads them)
    seconds: float = 0.0  # wall time of the job run alone


@dataclass
class SequenceResult:
    backend: str
    runs: list[RunRecord]
    seconds: float
    #: What the harness saw in the backend's storage right after the last run. Taken then, because a later
    #: test's ``mock_aws()`` resets moto's backends, which the in-process server shares.
    storage: dict[str, Any] = field(default_factory=dict)

    def run(self, run_id: str) -> RunRecord:
        return next(r for r in self.runs if r.run_id == run_id)


def local_backend(root: Path) -> Backend:
    """Two folders standing for the raw and the curated bucket."""
    raw, curated = root / "raw-bucket", root / "curated-bucket"
    raw.mkdir(parents=True)
    curated.mkdir(parents=True)

    def publish(objects: dict[str, Path]) -> None:
        for key, source in objects.items():
            (raw / key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, raw / key)

    return Backend("local disk", raw.resolve().as_uri(), curated.resolve().as_uri(), publish)


def run_sequence(spark, backend: Backend, zones: dict[str, Path], *, rows_after: tuple[str, ...]) -> SequenceResult:
    """:data:`RUNS` through the real job script (``glue/jobs/curate.py``'s ``main``) on ``backend``."""
    from spotify_lake.adapters.local_glue import JOB_SCRIPT, run_job

    started = time.monotonic()
    runs = []
    for run_id, arriving, full_refresh in RUNS:
        if arriving:
            backend.publish(raw_objects(zones[arriving]))
        arguments = CurateArguments(
            raw_root=backend.raw_root,
            curated_root=backend.curated_root,
            run_id=run_id,
            full_refresh=full_refresh,
            glue_database=backend.glue_database,
        )
        argv = [str(JOB_SCRIPT), *arguments.to_argv()]
        run_started = time.monotonic()
        with backend.job_environment(), backend.recording() as recorded:
            summary = run_job(argv, master="local[2]")
        record = RunRecord(run_id, summary, list(recorded or []), seconds=time.monotonic() - run_started)
        logger.warning(
            "%s: %s %s in %.1f s, %d requests recorded",
            *(backend.name, run_id, summary.status, record.seconds, len(record.recorded)),
        )
        if run_id in rows_after:
            catalog = backend.catalog()
            record.rows = {t.name: read_curated(spark, backend.curated_root, t, catalog) for t in TABLES}
        runs.append(record)
    result = SequenceResult(backend.name, runs, time.monotonic() - started)
    logger.warning("%s: the whole sequence took %.1f s", backend.name, result.seconds)
    return result


def accounting(summary: CurationSummary) -> dict[str, Any]:
    """The figures of a run summary that do not depend on when or where it ran."""
    return {
        "status": summary.status,
        "raw_objects": summary.raw_objects,
        "tables": summary.tables,
        "sources": {
            source: (f.read, f.loaded, f.duplicates, f.quarantined_total, f.quarantined)
            for source, f in summary.accounts().items()
        },
    }


def iter_calls(result: SequenceResult) -> Iterator:
    for run in result.runs:
        yield from run.recorded
