"""The SparkSession settings curation relies on, shared by the Glue job, the local CLI and the tests."""

from __future__ import annotations

from contextlib import contextmanager

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
}

#: Input bytes per shuffle partition when the job sizes ``spark.sql.shuffle.partitions`` itself.
BYTES_PER_SHUFFLE_PARTITION = 128 * 1024 * 1024
SHUFFLE_CONF = "spark.sql.shuffle.partitions"


def shuffle_partitions(input_bytes: int, cores: int) -> int:
    """One shuffle partition per 128 MiB of input, at least one per core, at most 2000."""
    return min(max(cores, -(-input_bytes // BYTES_PER_SHUFFLE_PARTITION)), 2000)


@contextmanager
def sized_shuffle(spark, input_bytes: int):
    """Shuffle partitions proportional to the input (one per 128 MiB, at least one per core) for the
    duration of a run, unless the session was given ``spark.sql.shuffle.partitions`` explicitly. Spark's
    default of 200 turns a personal history into hundreds of tiny tasks per shuffle."""
    if spark.sparkContext.getConf().contains(SHUFFLE_CONF):
        yield
        return
    before = spark.conf.get(SHUFFLE_CONF)
    spark.conf.set(SHUFFLE_CONF, str(shuffle_partitions(input_bytes, spark.sparkContext.defaultParallelism)))
    try:
        yield
    finally:
        spark.conf.set(SHUFFLE_CONF, before)


def build_session(*, master: str | None = None, extra: dict[str, str] | None = None, app_name: str = "curate"):
    """A SparkSession with :data:`SETTINGS`; in Glue ``master`` is None and the cluster's master is used."""
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    for key, value in {**SETTINGS, **(extra or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in SETTINGS.items():  # getOrCreate may hand back an existing session: enforce ours
        spark.conf.set(key, value)
    return spark
