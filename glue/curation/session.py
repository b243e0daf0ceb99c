"""The SparkSession settings curation relies on, shared by the Glue job, the local CLI and the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

#: Settings the transforms assume. UTC everywhere; Parquet timestamps as INT64 microseconds so Athena and
#: DuckDB read them without the legacy INT96 conversion; partition overwrite limited to what a run touched.
SETTINGS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.caseSensitive": "true",
    "spark.sql.files.maxPartitionBytes": str(128 * 1024 * 1024),
    # Raw objects are many small files (one API page each): a low open cost packs hundreds of them into one
    # task instead of one task per handful, while big export files still spread over every core.
    "spark.sql.files.openCostInBytes": str(1024 * 1024),
    # Adaptive execution: shuffle partitions coalesced to the data actually produced, small join sides
    # broadcast at run time. (Spark 3.5's default, stated because the job relies on it.)
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # A cached frame keeps the partitioning it was built with (Spark 3.5 forgets it by default, so that
    # adaptive execution may change it): the merged plays, clustered by month, then feed the overlap window
    # and the partitioned write without another shuffle (curation.plays.merge_plays).
    "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "false",
    # Cached frames live on local disk for one run (curation.state.RunState.persist): the columnar cache's
    # encodings (dictionaries, run lengths) cost more CPU to build than the few extra bytes on disk save. At
    # 2,000,000 plays: the export read with its cache 30 s instead of 36 s, 313 MB on disk instead of 235 MB.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
}

#: Input bytes per shuffle partition when the job sizes ``spark.sql.shuffle.partitions`` itself.
BYTES_PER_SHUFFLE_PARTITION = 128 * 1024 * 1024
SHUFFLE_CONF = "spark.sql.shuffle.partitions"


def shuffle_partitions(input_bytes: int, cores: int) -> int:
    """One shuffle partition per 128 MiB of input, at least one per core, at most 2000."""
    return min(max(cores, -(-input_bytes // BYTES_PER_SHUFFLE_PARTITION)), 2000)


#: Below this much new raw input, a run evaluates expressions interpreted instead of compiling them: Spark
#: compiles a class for every projection, ordering and predicate of every job (tens of milliseconds each on a
#: cold JVM), which a small run does not earn back. Measured here (docs/PERFORMANCE.md, Small runs): the run
#: after a 50-play poll 17.0 s -> 13.0 s, the demo's curation (16 MB) 36-41 s -> 33 s; at 500,000 plays
#: (307 MB) both ways took the same time, so the compiled path stays for anything bigger than this.
INTERPRETED_BELOW_BYTES = 64 * 1024 * 1024
#: Spark's switch between compiled and interpreted expressions (whole stages stay compiled either way).
#: Spark documents it as internal; the interpreted path it selects is the one Spark itself falls back to.
EXPRESSION_CONF = "spark.sql.codegen.factoryMode"


def input_settings(input_bytes: int, cores: int) -> dict[str, str]:
    """The session settings a run over ``input_bytes`` of new raw input uses (see :func:`sized_for_input`)."""
    return {
        SHUFFLE_CONF: str(shuffle_partitions(input_bytes, cores)),
        EXPRESSION_CONF: "NO_CODEGEN" if input_bytes < INTERPRETED_BELOW_BYTES else "FALLBACK",
    }


@contextmanager
def sized_for_input(spark: SparkSession, input_bytes: int) -> Iterator[None]:
    """:func:`input_settings` for the duration of a run, except those the session was given explicitly.

    Shuffle partitions proportional to the input: Spark's default of 200 turns a personal history into hundreds
    of tiny tasks per shuffle; and interpreted expressions for a small input."""
    given = spark.sparkContext.getConf()
    settings = input_settings(input_bytes, spark.sparkContext.defaultParallelism)
    with session_conf(spark, {k: v for k, v in settings.items() if not given.contains(k)}):
        yield


@contextmanager
def session_conf(spark: SparkSession, settings: Mapping[str, str]) -> Iterator[None]:
    """``settings`` on the session for the duration of the block, then the values before."""
    before = {k: spark.conf.get(k, None) for k in settings}
    try:
        for key, value in settings.items():
            spark.conf.set(key, value)
        yield
    finally:
        for key, earlier in before.items():
            if earlier is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, earlier)


#: Local Spark only: jars (paths separated by ``:`` or ``,``) put on ``spark.jars`` when the JVM starts. The tests
#: set it to Hadoop's S3A client (hadoop-aws + the AWS SDK bundle, fetched by the Makefile's set-up) so the job's
#: ``s3://`` paths can reach an S3 endpoint; Glue never sets it, because EMRFS serves ``s3://`` there.
EXTRA_JARS_ENV = "CURATION_EXTRA_JARS"


def extra_jars() -> list[str]:
    """The jars named by :data:`EXTRA_JARS_ENV`; a named jar that does not exist is an error, never skipped."""
    named = [p for p in os.environ.get(EXTRA_JARS_ENV, "").replace(",", ":").split(":") if p]
    missing = [p for p in named if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"{EXTRA_JARS_ENV} names jars that do not exist: {missing} (`make test` fetches them)")
    return named


def build_session(
    *,
    master: str | None = None,
    extra: dict[str, str] | None = None,
    app_name: str = "curate",
    jars: Sequence[str] | None = None,
):
    """A SparkSession with :data:`SETTINGS`; in Glue ``master`` is None and the cluster's master is used.

    A local session (``master`` given) also loads ``jars`` or, when none are given, :func:`extra_jars`. The JVM
    reads ``spark.jars`` only when it starts, so the first session of a process decides.
    """
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
        local_jars = list(jars) if jars is not None else extra_jars()
        if local_jars:
            builder = builder.config("spark.jars", ",".join(local_jars))
    for key, value in {**SETTINGS, **(extra or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in SETTINGS.items():  # getOrCreate may hand back an existing session: enforce ours
        spark.conf.set(key, value)
    return spark


@dataclass(frozen=True)
class S3Endpoint:
    """An S3-compatible endpoint for local Spark (tests: moto in server mode), reached with Hadoop's S3A client."""

    url: str  # e.g. https://127.0.0.1:5000
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    #: SSE-KMS key the client names on every write, as the Glue job's security configuration makes EMRFS do.
    sse_kms_key: str | None = None


def s3a_options(endpoint: S3Endpoint) -> dict[str, str]:
    """Hadoop options that make ``s3://`` and ``s3a://`` paths S3A paths on ``endpoint``.

    ``fs.s3.impl`` maps the job's ``s3://`` URIs to S3A, as Glue maps them to EMRFS. Directory markers are kept
    (S3A's default in 3.3.4 deletes the parent markers after every write, a request EMRFS does not make), and
    retries are few so a refused request fails the run quickly instead of retrying for minutes. An endpoint
    with SSE-KMS buckets must be HTTPS: the AWS SDK for Java refuses to send a KMS key id over plain HTTP, and
    S3A sends the source's key id with every copy.
    """
    options = {
        "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.AbstractFileSystem.s3.impl": "org.apache.hadoop.fs.s3a.S3A",
        "fs.s3a.endpoint": endpoint.url,
        "fs.s3a.endpoint.region": endpoint.region,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": str(endpoint.url.startswith("https:")).lower(),
        "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "fs.s3a.access.key": endpoint.access_key,
        "fs.s3a.secret.key": endpoint.secret_key,
        "fs.s3a.directory.marker.retention": "keep",
        "fs.s3a.attempts.maximum": "2",
        "fs.s3a.retry.limit": "2",
        "fs.s3a.retry.interval": "100ms",
        "fs.s3a.connection.establish.timeout": "5000",
        "fs.s3a.connection.timeout": "30000",
    }
    if endpoint.sse_kms_key:
        options["fs.s3a.encryption.algorithm"] = "SSE-KMS"
        options["fs.s3a.encryption.key"] = endpoint.sse_kms_key
    return options


def use_s3_endpoint(spark, endpoint: S3Endpoint) -> None:
    """Point a running local session's ``s3://``/``s3a://`` paths at ``endpoint`` (needs the S3A jars loaded).

    Options go on the live Hadoop configuration, which every later FileSystem and Spark job reads. Hadoop caches
    one FileSystem per scheme and bucket with the options it was created with, so when an option changes the
    cache is emptied and the next access builds a client with the new ones.
    """
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    jvm = spark.sparkContext._jvm
    conf.getClassByName("org.apache.hadoop.fs.s3a.S3AFileSystem")  # without the jars: fails here, not mid-run
    changed = False
    for key, value in s3a_options(endpoint).items():
        if conf.get(key) != value:
            conf.set(key, value)
            changed = True
    if changed:
        jvm.org.apache.hadoop.fs.FileSystem.closeAll()
