"""The local Glue runner: the deployed job script (``glue/jobs/curate.py``) on a local SparkSession.

Glue runs the script as ``__main__`` with its job arguments in ``sys.argv``; this adapter does the same,
so the curate command, the local pipeline (run, demo) and the reliability worker all run the production
script, not a copy of its steps.
"""

from __future__ import annotations

import hashlib
import logging
import os
import runpy
import sys
import tempfile
from pathlib import Path

from lake_contract.settings import CurateArguments
from lake_contract.summaries import CurationSummary

JOB_SCRIPT = Path(__file__).resolve().parents[2] / "glue" / "jobs" / "curate.py"


def job_argv(lake: Path, *, full_refresh: bool, run_id: str | None) -> list[str]:
    """The script and its arguments for a run over a local lake folder."""
    from curation.lake import local_uri

    arguments = CurateArguments(lake_root=local_uri(lake), full_refresh=full_refresh, run_id=run_id or None)
    return [str(JOB_SCRIPT), *arguments.to_argv()]


#: Local runs print only the CLI's own lines: Spark's startup chatter and INFO logs go, warnings stay.
LOG4J2_QUIET = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
logger.utils.name = org.apache.spark.util.Utils
logger.utils.level = error
logger.planstring.name = org.apache.spark.sql.catalyst.util.SparkStringUtils
logger.planstring.level = error
"""


def _quiet_java_options() -> str:
    """JVM option pointing log4j2 at :data:`LOG4J2_QUIET` (one temp file per content, reused by every run)."""
    digest = hashlib.sha256(LOG4J2_QUIET.encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"spotify-lake-log4j2-{digest}.properties"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(LOG4J2_QUIET)
        tmp.replace(path)
    return f"-Dlog4j2.configurationFile={path.as_uri()}"


#: JVM option for a local run whose whole raw zone is small: compile with C1 only. HotSpot's optimising
#: compiler (C2) spent 17-20 of the demo's ~52 CPU-seconds compiling code the run then hardly used, on a core
#: the run's other driver threads need (docs/PERFORMANCE.md, Small runs). A small raw zone means a small new
#: input; the curated rows a merge reads back are as many as the raw zone once held (more only if raw objects
#: were deleted since), and C1 code is slower, never wrong. The JVM reads the option when it starts: a
#: process's first run decides.
QUICK_JIT = "-XX:TieredStopAtLevel=1"


def _local_raw_folder(argv: list[str]) -> Path | None:
    """The raw zone of a local lake the job arguments name, or None when the raw root is not a local folder."""
    from curation.lake import LakePaths

    arguments = CurateArguments.from_arguments(dict(zip(argv[1::2], argv[2::2], strict=True)))
    raw = LakePaths(*arguments.roots()).raw
    return Path(raw.removeprefix("file:")) if raw.startswith("file:") else None


def smaller_than(folder: Path, limit: int) -> bool:
    """Whether the files under ``folder`` hold fewer than ``limit`` bytes (the walk stops at the limit)."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:  # vanished or a dangling link: the run will not read it either
                continue
            if total >= limit:
                return False
    return True


def jit_options(argv: list[str]) -> list[str]:
    """:data:`QUICK_JIT` when the run's raw zone is a local folder smaller than the input a run evaluates
    interpreted (``curation.session.INTERPRETED_BELOW_BYTES``); else none (an S3 lake, a big local one)."""
    from curation.session import INTERPRETED_BELOW_BYTES

    raw = _local_raw_folder(argv)
    return [QUICK_JIT] if raw is not None and smaller_than(raw, INTERPRETED_BELOW_BYTES) else []


def run_job(argv: list[str], *, master: str = "local[*]") -> CurationSummary:
    """Run the job script as Glue would (``__main__`` with patched argv) inside a local SparkSession."""
    from curation.session import build_session

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Before the job script's basicConfig(INFO): a handler on the root logger makes that a no-op, so the
    # job's step timings stay out of the demo's output (Glue keeps them). py4j logs every call at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("py4j").setLevel(logging.WARNING)
    spark = build_session(
        master=master,
        extra={
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.extraJavaOptions": " ".join([_quiet_java_options(), *jit_options(argv)]),
            # Room for the parsed history in memory (Spark's 1 GiB default spills early); the whole process
            # tree stays well under the 4 GB the benchmark allows at two million plays.
            "spark.driver.memory": "2g",
        },
    )
    spark.sparkContext.setLogLevel("WARN")
    saved = sys.argv
    sys.argv = argv
    try:
        namespace = runpy.run_path(str(JOB_SCRIPT), run_name="__job__")
        return namespace["main"](argv)
    finally:
        sys.argv = saved
