"""The SparkSession settings curation relies on, shared by the Glue job, the local CLI and the tests."""

from __future__ import annotations

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
}


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
