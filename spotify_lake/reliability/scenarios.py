"""The reliability scenarios, shared by ``tests/reliability/`` and ``python -m spotify_lake reliability``.

Each scenario drives the production stages (the extractor Lambda handler against the emulator, the import
command, the Glue curation job on local Spark), injects one kind of trouble, and returns its figures plus
the evidence the tests assert on. Sizes are parameters: the tests run small worlds, the command larger ones.

The "simulated week" (:class:`Week`) is the common yardstick: an emulator world polled every few simulated
hours for a week, extracted and curated fault-free once; the fault, crash and concurrency scenarios must end
with exactly the same curated ``plays`` (compared on every column but provenance, see
``lakecheck.PROVENANCE_COLUMNS``).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lake_contract.keys import RUNS, ApiKey, api_glob
from lake_contract.summaries import CURATION_GOOD_STATUSES, CURATION_SUCCEEDED, CurationSummary
from spotify_lake.reliability import crash, harness, lakecheck

Curator = Callable[..., CurationSummary]  # (lake, *, full_refresh=False) -> curation run summary


class InProcessCurator:
    """The Glue job's ``run`` on an existing SparkSession (the job script is a thin wrapper around it)."""

    def __init__(self, spark):
        self.spark = spark
        self.runs = 0
        self.seconds: list[float] = []

    def __call__(self, lake: Path, *, full_refresh: bool = False) -> CurationSummary:
        from curation.job import run
        from curation.lake import LakePaths, local_uri

        started = time.monotonic()
        try:
            return run(self.spark, LakePaths.single(local_uri(lake)), full_refresh=full_refresh)
        finally:
            self.runs += 1
            self.seconds.append(time.monotonic() - started)


def accounting_problems(summary: CurationSummary) -> list[str]:
    """Sources of one curation run whose records do not add up exactly."""
    problems = []
    for source, f in summary.accounts().items():
        if not f.balanced:
            problems.append(f"{source}: read {f.read} != {f.loaded} + {f.duplicates} + {f.quarantined_total}")
        if sum(f.quarantined.values()) != f.quarantined_total:
            problems.append(f"{source}: quarantine reasons do not add up to {f.quarantined_total}")
        if any(not reason for reason in f.quarantined):
            problems.append(f"{source}: quarantined records without a reason")
    return problems


def totals(summary: CurationSummary) -> dict[str, int]:
    """Read, loaded, duplicates and quarantined records over the run's sources (empty when it read none)."""
    if not summary.accounts():
        return {}
    t = summary.totals()
    return {"read": t.read, "loaded": t.loaded, "duplicates": t.duplicates, "quarantined": t.quarantined_total}


# --- the simulated week ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """An emulator world polled ``polls`` times, ``interval_hours`` of simulated time apart."""

    seed: int = 21
    days: int = 7  # history before the first poll (the first poll sees its newest 50 plays)
    polls: int = 28
    interval_hours: float = 6.0

    def emulator(self, **kwargs):
        from spotify_lake.sources.emulator import Emulator

        return Emulator(seed=self.seed, days=self.days, **kwargs)


@dataclass
class Reference:
    """The fault-free week: its lake and its curated plays (stable columns)."""

    lake: Path
    rows: list[tuple]
    partitions: dict[str, list[tuple]]
    curate_seconds: float
    visible_plays: int


def poll_week(
    week: Week,
    emu,
    lake: Path,
    secret: Path,
    *,
    each: Callable[[int, dict], harness.ExtractOutcome] | None = None,
    advance_last: bool = True,
) -> list[harness.ExtractOutcome]:
    """Extract once per poll, advancing the emulator's clock between polls."""
    env = harness.extractor_env(emu, lake, secret)
    outcomes = []
    for i in range(week.polls):
        if each is not None:
            outcomes.append(each(i, env))
        else:
            outcomes.append(harness.invoke(env, clock=lambda: emu.now))
        if i < week.polls - 1 or advance_last:
            emu.advance(hours=week.interval_hours)
    return outcomes


def reference_week(work: Path, week: Week, curator: Curator) -> Reference:
    lake = work / "reference"
    with week.emulator() as emu:
        outcomes = poll_week(week, emu, lake, harness.write_secret(work / "reference-secret.json", emu))
        visible = len(emu.visible_plays())
    bad = [o.status for o in outcomes if o.status != "finished"]
    gaps = sum(o.summary.gaps_detected for o in outcomes if o.summary)
    if bad or gaps:
        raise RuntimeError(f"the fault-free week is not clean: {bad[:3]} failed runs, {gaps} gaps")
    started = time.monotonic()
    summary = curator(lake)
    seconds = time.monotonic() - started
    if summary.status != CURATION_SUCCEEDED:
        raise RuntimeError(f"curating the fault-free week: {summary.status}")
    return Reference(lake, lakecheck.table_rows(lake), lakecheck.partitions(lake), seconds, visible)


# --- 1. faults converge ----------------------------------------------------------------------------------


def faults(
    work: Path,
    week: Week,
    curator: Curator,
    reference: Reference,
    *,
    spec: str = "throttle=0.3,error=0.2,reset=0.05,retry_after=1",
    storage_failure_rate: float = 0.1,
    max_runs: int = 2,
) -> dict:
    """The week again with API faults and failing lake writes; then curate, and if the plays differ, run the
    pipeline once more (one more extraction at the same moment, one more curation)."""
    from extraction.storage import LocalStorage

    lake = work / "faulty"
    flaky = harness.FlakyStorage(LocalStorage(lake), rate=storage_failure_rate, seed=week.seed)
    statuses: Counter = Counter()
    waited = 0.0
    runs_to_converge = 0
    identical = False
    diff: dict = {}
    with week.emulator(faults=spec) as emu:
        secret = harness.write_secret(work / "faulty-secret.json", emu)

        def each(_i, env):
            return harness.invoke(env, clock=lambda: emu.now, wrap_storage=lambda _inner: flaky)

        outcomes = poll_week(week, emu, lake, secret, each=each, advance_last=False)
        for run in range(1, max_runs + 1):
            if run > 1:  # the pipeline's next scheduled run: extract again, curate again
                outcomes.append(each(None, harness.extractor_env(emu, lake, secret)))
            curator(lake)
            rows = lakecheck.table_rows(lake)
            diff = lakecheck.diff_rows(reference.rows, rows)
            if rows == reference.rows:
                identical, runs_to_converge = True, run
                break
        api_faults = harness.fault_counts(emu)
    for o in outcomes:
        statuses[o.status] += 1
        waited += o.slept
    injected = dict(api_faults) | {"storage_write": sum(flaky.injected.values())}
    total = sum(injected.values())
    return {
        "injected": total,
        "survived": total if identical else 0,
        "runs_to_converge": runs_to_converge,
        "identical": identical,
        "injected_by_kind": injected,
        "storage_failures_by_prefix": dict(flaky.injected),
        "extract_runs": dict(statuses),
        "virtual_seconds_waited": round(waited, 1),
        "plays": len(reference.rows),
        "difference": diff,
        "spec": spec,
        "storage_failure_rate": storage_failure_rate,
    }


# --- 2. crash anywhere -----------------------------------------------------------------------------------


def crashes(
    work: Path,
    week: Week,
    curator: Curator,
    reference: Reference,
    *,
    extract_points: int = 4,
    curate_points: int = 2,
    seed: int = 2,
) -> dict:
    """SIGKILL extraction runs (right after their N-th write, or at a seeded moment) during the week and
    curation runs at seeded moments; after every kill check what a reader would see, then finish."""
    rng = random.Random(seed)
    lake = work / "crashed"
    logs = work / "crash-logs"
    logs.mkdir(parents=True, exist_ok=True)
    kill_polls = sorted(rng.sample(range(week.polls), min(extract_points, week.polls)))
    kills: list[crash.Kill] = []
    violations: list[str] = []

    with week.emulator() as emu:
        secret = harness.write_secret(work / "crash-secret.json", emu)

        def each(i, env):
            if i in kill_polls:
                env_file = crash.write_env(work / "crash-env.json", env)
                now = emu.now.isoformat()
                if len(kills) % 2 == 0:  # at a write boundary: 1 = raw object written, cursor not yet
                    args = crash.extract_args(env_file, now, die_at_write=rng.choice((1, 1, 2, 3)))
                    kills.append(crash.run_and_kill(args, log=logs / "extract.log", delay=None, stage="extract"))
                else:
                    delay = rng.uniform(0.0, 0.06)  # a poll takes ~50 ms once the worker is ready
                    args = crash.extract_args(env_file, now)
                    kills.append(crash.run_and_kill(args, log=logs / "extract.log", delay=delay, stage="extract"))
                violations.extend(f"after {kills[-1].how}: {p}" for p in lakecheck.raw_problems(lake))
                violations.extend(f"after {kills[-1].how}: {p}" for p in lakecheck.cursors_ahead(lake))
            return harness.invoke(env, clock=lambda: emu.now)  # the next invocation (Lambda retry)

        outcomes = poll_week(week, emu, lake, secret, each=each, advance_last=False)
    violations.extend(f"extraction after a crash: {o.status}" for o in outcomes if o.status != "finished")
    raw_dups = lakecheck.raw_duplicates(lake)

    # Curation: kill at seeded moments of a run over the whole lake; runs continue from the leftovers.
    budget = max(reference.curate_seconds, 5.0) * 1.5
    for _ in range(curate_points):
        delay = rng.uniform(0.05, 1.0) * budget
        kills.append(
            crash.run_and_kill(["curate", "--lake", str(lake)], log=logs / "curate.log", delay=delay, stage="curate")
        )
        violations.extend(f"after curate {kills[-1].how}: {p}" for p in lakecheck.unreadable_parquet(lake))
        for name, rows in lakecheck.partitions(lake).items():
            if rows != reference.partitions.get(name):
                violations.append(
                    f"after curate {kills[-1].how}: partition {name} readable with {len(rows)} rows, "
                    f"complete it has {len(reference.partitions.get(name, []))}"
                )
    final = curator(lake)
    rows = lakecheck.table_rows(lake)
    identical = rows == reference.rows and final.status == CURATION_SUCCEEDED
    staging = lake / "curated" / "_staging"
    return {
        "points": sum(1 for k in kills if k.killed),
        "identical": identical,
        "violations": violations,
        "staging_leftovers": sorted(p.name for p in staging.iterdir()) if staging.exists() else [],
        "kills": [k.__dict__ for k in kills],
        "raw_duplicates_folded": raw_dups,
        "difference": lakecheck.diff_rows(reference.rows, rows),
    }


# --- 4. re-runs ------------------------------------------------------------------------------------------


def reruns(
    work: Path,
    curator: Curator,
    *,
    seed: int = 31,
    days: int = 7,
    extract_sources: str = harness.ALL_SOURCES,
    full_refresh_runs: int = 2,
) -> dict:
    """Every stage twice on the same input: extract (same run id, same moment), import (same export),
    curate (incremental: the second run finds nothing new) and curate --full-refresh (same rows as each other
    and as the incremental runs; ``full_refresh_runs=1`` compares one full refresh with the incremental rows)."""
    from extraction.identity import listener_id
    from spotify_lake.sources.emulator import Emulator
    from spotify_lake.sources.exportgen import write_export
    from spotify_lake.staging import stage_export

    lake = work / "reruns"
    stages: dict[str, bool] = {}
    with Emulator(seed=seed, days=days) as emu:
        secret = harness.write_secret(work / "reruns-secret.json", emu)
        env = harness.extractor_env(emu, lake, secret, sources=extract_sources, mode_hint="development")
        run_id = "extract-reliability-rerun"
        first = harness.invoke(env, clock=lambda: emu.now, event={"run_id": run_id})
        before = lakecheck.tree_digest(lake, exclude=(f"{RUNS}/",))
        second = harness.invoke(env, clock=lambda: emu.now, event={"run_id": run_id})
        after = lakecheck.tree_digest(lake, exclude=(f"{RUNS}/",))
        stages["extract"] = before == after and first.status == second.status == "finished"
        user = emu.listeners[0].user_id
        now = emu.now
    export = write_export(work / "export.zip", seed=seed, days=days, fmt="extended", plays=300, now=now)
    del export
    lid = listener_id(user)
    lake.mkdir(parents=True, exist_ok=True)
    stage_export(work / "export.zip", lake, listener=lid)
    before = lakecheck.tree_digest(lake / "raw")
    stage_export(work / "export.zip", lake, listener=lid)
    stages["import"] = lakecheck.tree_digest(lake / "raw") == before

    one = curator(lake)
    before = lakecheck.tree_digest(lake / "curated")
    rows_before = _all_tables(lake)
    two = curator(lake)
    stages["curate"] = (
        one.status == CURATION_SUCCEEDED
        and lakecheck.tree_digest(lake / "curated") == before
        and _all_tables(lake) == rows_before
        and two.status in CURATION_GOOD_STATUSES
    )
    incremental = {k: v for k, v in rows_before.items() if k not in RUN_SCOPED_TABLES}
    refreshed = []
    for _ in range(full_refresh_runs):
        status = curator(lake, full_refresh=True).status
        refreshed.append((status, _all_tables(lake, exclude_runs=True)))
    stages["curate --full-refresh"] = all(
        status == "succeeded" and rows == incremental  # updated_at is left out: when, not what
        for status, rows in refreshed
    )
    return {
        "stages": len(stages),
        "identical": all(stages.values()),
        "by_stage": stages,
        "plays": len(rows_before.get("plays", [])),
        "extract_sources": extract_sources,
        "curate_second_run": two.status,
    }


RUN_SCOPED_TABLES = frozenset({"quarantine", "data_quality"})  # one set of rows per run, by design


def _all_tables(lake: Path, *, exclude_runs: bool = False) -> dict[str, list[tuple]]:
    """Rows of every curated table; plays with their provenance columns too (a re-run must keep them)."""
    from curation.schema import TABLES

    out = {}
    for table in TABLES:
        if exclude_runs and table.name in RUN_SCOPED_TABLES:
            continue
        columns = None
        if table.name == "plays":
            columns = [c.name for c in table.all_columns]
        out[table.name] = lakecheck.table_rows(lake, table.name, columns)
    return out


# --- 5. concurrency --------------------------------------------------------------------------------------


def concurrency(work: Path, week: Week, curator: Curator, reference: Reference, *, parallel: int = 2) -> dict:
    """Every poll of the week started ``parallel`` times at once against the same lake and emulator."""
    lake = work / "concurrent"
    statuses: Counter = Counter()
    with week.emulator() as emu:
        secret = harness.write_secret(work / "concurrent-secret.json", emu)

        def each(_i, env):
            outcomes = harness.invoke_concurrently([env] * parallel, clock=lambda: emu.now)
            for o in outcomes:
                statuses[o.status] += 1
            return outcomes[0]

        poll_week(week, emu, lake, secret, each=each, advance_last=False)
    cursor_docs = [p for p in lakecheck.cursor_files(lake) if p.endswith(".json")]
    ahead = lakecheck.cursors_ahead(lake)
    raw_dups = lakecheck.raw_duplicates(lake)
    curator(lake)
    rows = lakecheck.table_rows(lake)
    key = lakecheck.stable_columns().index("play_id")
    return {
        "duplicates": lakecheck.duplicate_keys(rows, key),
        "identical": rows == reference.rows,
        "cursors": len(cursor_docs),
        "cursor_ahead": ahead,
        "raw_duplicates_folded": raw_dups,
        "runs": dict(statuses),
        "parallel": parallel,
        "difference": lakecheck.diff_rows(reference.rows, rows),
    }


# --- 6. authorization ------------------------------------------------------------------------------------


def authorization(work: Path, *, seed: int = 43, days: int = 7) -> dict:
    """The refresh token is revoked right after the run's first raw object is written (access tokens live
    one second, so the next call must refresh): the run stops with AuthorizationExpired, keeps what it
    wrote, and after a new authorization the next run continues from the cursor."""
    from spotify_lake.sources.emulator import Emulator

    lake = work / "authorization"
    sources = "recently_played,top_items,saved_tracks"
    with Emulator(seed=seed, days=days, token_ttl=1) as emu:
        secret = harness.write_secret(work / "authorization-secret.json", emu)
        env = harness.extractor_env(emu, lake, secret, sources=sources)
        first = harness.invoke(env, clock=lambda: emu.now)
        emu.advance(hours=6)
        token = emu.listeners[0].refresh_token
        hook = harness.HookedStorage(None, lambda _key, n: emu.revoke(token) if n == 1 else None)

        def wrap(inner):
            hook.inner = inner
            return hook

        objects_before = set(lakecheck.raw_objects(lake))
        stopped = harness.invoke(env, clock=lambda: emu.now, wrap_storage=wrap)
        written = sorted(set(lakecheck.raw_objects(lake)) - objects_before)
        cursor_after_stop = lakecheck.cursors(lake)
        plays_after_stop = set(lakecheck.raw_plays(lake))
        ahead_after_stop = lakecheck.cursors_ahead(lake)

        secret = harness.write_secret(secret, emu, refresh_tokens=[harness.reauthorize(emu)])
        emu.advance(hours=6)
        resumed_run = harness.invoke(env, clock=lambda: emu.now)
        truth = {p["played_at"] for p in emu.visible_plays()}
    kept = bool(written) and all(p.exists() for p in written) and not lakecheck.raw_problems(lake)
    plays = lakecheck.raw_plays(lake)
    played = [p[1] for p in plays]
    resumed_id = resumed_run.summary.run_id if resumed_run.summary else None
    resumed_after = sorted(
        {
            record["request"]["params"].get("after")
            for path in lakecheck.raw_objects(lake)
            for record in lakecheck.read_raw(path)
            if record["run_id"] == resumed_id
        },
        key=str,
    )
    cursor_ms = next(iter(cursor_after_stop.values()), None) if len(cursor_after_stop) == 1 else None
    continued = cursor_ms is not None and resumed_after[:1] == [cursor_ms]
    complete = bool(played) and sorted(set(played)) == sorted(t for t in truth if t >= min(played))
    return {
        "resumed": bool(
            stopped.error_type == "AuthorizationExpired"
            and kept
            and not ahead_after_stop
            and plays_after_stop <= set(plays)
            and resumed_run.status == "finished"
            and continued
            and complete
            and len(played) == len(set(played))
        ),
        "first_run": first.status,
        "stopped_with": stopped.error_type,
        "message_says_authorize": "authorize" in str(stopped.error or ""),
        "objects_written_before_stop": len(written),
        "cursor_after_stop": cursor_ms,
        "resumed_from": resumed_after,
        "resumed_run": resumed_run.status,
        "continued_from_cursor": continued,
        "complete": complete,
        "plays": len(played),
        "duplicate_plays": len(played) - len(set(played)),
    }


# --- 7. secrets ------------------------------------------------------------------------------------------

SECRET_CLIENT = "reliability-client-secret-7f3a9c2e1d"  # noqa: S105 - a planted canary, not a credential


def secrets_scan(work: Path, curator: Curator | None, *, seed: int = 51, days: int = 7) -> tuple[dict, dict[str, str]]:
    """A full run (every source, faults on, DEBUG logging) in its own process with every byte of output
    captured, then curation with Python logging captured at DEBUG; every log, raw record, state document,
    run summary and curated row is searched for the client secret, refresh tokens and access tokens.
    Returns the figures and the secrets searched for (so the caller can search its own report too)."""
    import base64
    import subprocess
    import sys

    from spotify_lake.sources.emulator import Emulator

    lake = work / "secrets"
    texts: dict[str, str] = {}
    emulator = Emulator(seed=seed, days=days, faults="throttle=0.2,error=0.1,retry_after=0", token_ttl=2)
    with emulator as emu, harness.distinctive_client_secret(emu, SECRET_CLIENT):
        refresh = harness.reauthorize(emu)
        secret = harness.write_secret(work / "secrets-secret.json", emu, refresh_tokens=[refresh])
        env = harness.extractor_env(
            emu,
            lake,
            secret,
            sources=harness.ALL_SOURCES,
            request_budget=5000,
            environment={"POWERTOOLS_LOG_LEVEL": "DEBUG"},
        )
        env_file = crash.write_env(work / "secrets-env.json", env)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "spotify_lake.reliability.worker",
                *crash.extract_args(env_file, emu.now.isoformat(), log_level="DEBUG"),
            ],
            capture_output=True,
            timeout=600,
            check=False,
        )
        texts["extract stdout"] = proc.stdout.decode("utf-8", "replace")
        texts["extract stderr"] = proc.stderr.decode("utf-8", "replace")
        with emu.app._lock:
            access_tokens = sorted(emu.app.state.tokens)
        all_refresh = [refresh, *(li.refresh_token for li in emu.listeners)]
    extract_status = json.loads(texts["extract stdout"].strip().splitlines()[-1]).get("status")
    if curator is not None:
        buffer = io.StringIO()
        handler = logging.StreamHandler(buffer)
        handler.setLevel(logging.DEBUG)
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            curator(lake)
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
        texts["curate log"] = buffer.getvalue()
    texts.update(lake_texts(lake))
    basic = base64.b64encode(f"{emu.client_id}:{SECRET_CLIENT}".encode()).decode()
    needles = {"client secret": SECRET_CLIENT, "basic auth": basic, "bearer header": "Bearer "}
    needles |= {f"refresh token {i}": t for i, t in enumerate(all_refresh)}
    needles |= {f"access token {i}": t for i, t in enumerate(access_tokens)}
    leaks = find_leaks(texts, needles)
    figures = {
        "leaks": len(leaks),
        "where": leaks[:20],
        "searched": len(texts),
        "secrets_searched": len(needles),
        "access_tokens_issued": len(access_tokens),
        "extract_status": extract_status,
        "log_bytes": sum(len(texts[k]) for k in texts if " std" in k or k.endswith(" log")),
    }
    return figures, needles


def find_leaks(texts: dict[str, str], needles: dict[str, str]) -> list[str]:
    """ "<which secret> in <where>" for every secret found in any text."""
    return [f"{what} in {where}" for where, text in texts.items() for what, needle in needles.items() if needle in text]


def lake_texts(lake: Path) -> dict[str, str]:
    """Every file of a lake as text: gzip objects decompressed, Parquet rows dumped."""
    import gzip

    import pyarrow.parquet as pq

    out = {}
    for path in sorted(p for p in lake.rglob("*") if p.is_file()):
        rel = path.relative_to(lake).as_posix()
        data = path.read_bytes()
        if path.suffix == ".gz":
            with contextlib.suppress(OSError, EOFError):
                data = gzip.decompress(data)
        text = data.decode("utf-8", "replace")
        if path.suffix == ".parquet":
            with contextlib.suppress(Exception):  # an unreadable file is searched as bytes
                text = json.dumps(pq.read_table(path).to_pylist(), default=str)
        out[rel] = text
    return out


@dataclass
class Results:
    """``out/reliability/results.json``: the issue's shape first, details after."""

    sections: dict = field(default_factory=dict)

    def document(self) -> dict:
        shape = {
            "faults": ("injected", "survived", "runs_to_converge", "identical"),
            "crashes": ("points", "identical"),
            "fuzz": ("files", "records", "accounted", "crashes"),
            "reruns": ("stages", "identical"),
            "concurrency": ("duplicates",),
            "authorization": ("resumed",),
            "secrets": ("leaks",),
        }
        doc = {}
        for name, keys in shape.items():
            section = self.sections.get(name)
            if section is None:
                continue
            doc[name] = {k: section.get(k) for k in keys} | {k: v for k, v in section.items() if k not in keys}
        return doc


def copy_lake(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# --- 3. bad input ----------------------------------------------------------------------------------------


def fuzz_runs(
    work: Path, curator: Curator, *, files: int = 1000, runs: int = 3, seed: int = 8, gzip_damage: bool = False
) -> dict:
    """Generated damaged files in a few curation runs (API objects, then export files, then a mix with
    copies of earlier good files under new keys): no run may crash, every run's records must add up exactly,
    every quarantined record must carry its reason, and every control play must be loaded exactly once."""
    import math

    from spotify_lake.reliability import fuzz

    lake = work / "fuzz"
    per_run = math.ceil(files / runs)
    kinds = ["api", "export", "any"] if runs >= 3 else ["api", "any"] if runs == 2 else ["any"]
    figures = Counter()
    problems: list[str] = []
    controls: set[tuple[str, str]] = set()
    written = 0
    crashed: list[str] = []
    by_damage: Counter = Counter()
    for r in range(runs):
        batch = fuzz.generate(
            lake,
            examples=per_run,
            seed=seed + r,
            start_index=r * 100_000,
            kinds=kinds[r % len(kinds)],
            gzip_damage=gzip_damage,
        )
        written += batch.files
        controls |= batch.control_plays
        by_damage.update(batch.by_damage)
        if r == runs - 1 and r > 0:
            written += _copy_controls(lake, limit=10)
        try:
            summary = curator(lake)
        except Exception as exc:  # the finding: a job that crashes on input
            crashed.append(f"run {r + 1}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        if summary.status != CURATION_SUCCEEDED:
            problems.append(f"run {r + 1}: status {summary.status}")
        problems.extend(f"run {r + 1}: {p}" for p in accounting_problems(summary))
        problems.extend(f"run {r + 1}: {p}" for p in _quarantine_problems(lake, summary))
        figures.update(totals(summary))
    rows = lakecheck.table_rows(lake, "plays", ["played_at", "track_id"])
    loaded = Counter((played.strftime("%Y-%m-%dT%H:%M:%S"), track) for played, track in rows if played)
    missing = sorted(c for c in controls if loaded[c] == 0)
    doubled = sorted(c for c in controls if loaded[c] > 1)
    problems.extend(f"control play {c} not loaded" for c in missing[:10])
    problems.extend(f"control play {c} loaded {loaded[c]} times" for c in doubled[:10])
    accounted = figures["loaded"] + figures["duplicates"] + figures["quarantined"]
    return {
        "files": written,
        "records": figures["read"],
        "accounted": accounted,
        "crashes": len(crashed),
        "runs": runs,
        "loaded": figures["loaded"],
        "duplicates": figures["duplicates"],
        "quarantined": figures["quarantined"],
        "control_plays": len(controls),
        "control_plays_loaded": len(controls) - len(missing),
        "problems": problems[:30],
        "crash_messages": crashed,
        "files_by_damage": dict(sorted(by_damage.items())),
    }


def _copy_controls(lake: Path, *, limit: int) -> int:
    """Good API objects again under another run's key: the same plays read twice must be duplicates."""
    copied = 0
    for path in sorted(lake.glob(api_glob("recently_played"))):
        key = ApiKey.parse(path.relative_to(lake).as_posix())
        if (key.unit, key.seq) != ("page", 0):
            continue
        try:
            records = lakecheck.read_raw(path)
        except (OSError, EOFError, ValueError):
            continue
        names = [_track_name(r) for r in records]
        if not names or not all(isinstance(n, str) and n.startswith("control ") for n in names):
            continue
        target = lake / replace(key, run_id=f"extract-20261003T100000Z-copy-{key.run_id}", unit="copy").format()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied += 1
        if copied == limit:
            break
    return copied


def _track_name(record) -> str | None:
    item = record.get("item") if isinstance(record, dict) else None
    track = item.get("track") if isinstance(item, dict) else None
    return track.get("name") if isinstance(track, dict) else None


def _quarantine_problems(lake: Path, summary: CurationSummary) -> list[str]:
    """The run's quarantine rows: as many as the summary says, each with a reason and its source object."""
    import pyarrow.parquet as pq

    run_id = summary.run_id
    rows = []
    for path in sorted((lake / "curated" / "quarantine").glob(f"{run_id}*.parquet")):
        rows.extend(pq.read_table(path, columns=["reason", "source_object"]).to_pylist())
    expected = totals(summary).get("quarantined", 0)
    problems = []
    if len(rows) != expected:
        problems.append(f"{len(rows)} quarantine rows, the summary counts {expected}")
    if any(not r["reason"] for r in rows):
        problems.append("quarantine rows without a reason")
    if any(not r["source_object"] for r in rows):
        problems.append("quarantine rows without their source object")
    return problems
