"""The engines the project is compared with, each doing the same conversion of an extended-history export.

Every baseline reads the export's JSON-array files from one folder, keeps one row per ``(ts, uri)`` (the
same play listed in two files is the export's best-known quirk), parses the end time, and writes Parquet
partitioned by month of play as ``play_month=yyyy-MM/`` (the layout of ``curated/plays``). ``uri`` is the
first of the track, episode, audiobook-chapter and audiobook URIs that is present, so podcast and
audiobook plays are keyed like the project keys them.

Run one baseline in its own process (the harness measures the whole process tree)::

    python -m spotify_lake.bench.baselines duckdb|pandas|spark_inferred|spark_declared INPUT_DIR OUTPUT_DIR

It prints one JSON line ``{"engine": ..., "rows_out": ...}``; the harness recounts rows from the Parquet
footers itself and does not trust that figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lake_contract.identity import EXPORT_URI_FIELDS

#: The fields of an extended streaming-history record and their DuckDB types (Spotify's export format).
EXPORT_FIELDS: dict[str, str] = {
    "ts": "VARCHAR",
    "username": "VARCHAR",
    "platform": "VARCHAR",
    "ms_played": "BIGINT",
    "conn_country": "VARCHAR",
    "ip_addr": "VARCHAR",
    "master_metadata_track_name": "VARCHAR",
    "master_metadata_album_artist_name": "VARCHAR",
    "master_metadata_album_album_name": "VARCHAR",
    "spotify_track_uri": "VARCHAR",
    "episode_name": "VARCHAR",
    "episode_show_name": "VARCHAR",
    "spotify_episode_uri": "VARCHAR",
    "audiobook_title": "VARCHAR",
    "audiobook_uri": "VARCHAR",
    "audiobook_chapter_uri": "VARCHAR",
    "audiobook_chapter_title": "VARCHAR",
    "reason_start": "VARCHAR",
    "reason_end": "VARCHAR",
    "shuffle": "BOOLEAN",
    "skipped": "BOOLEAN",
    "offline": "BOOLEAN",
    "offline_timestamp": "BIGINT",
    "incognito_mode": "BOOLEAN",
}

#: Order in which a play's identifying URI is taken (the lake's own rule, whose URI order the baselines share).
URI_FIELDS = EXPORT_URI_FIELDS

ENGINES = ("duckdb", "pandas", "spark_inferred", "spark_declared")


def input_files(input_dir: Path) -> list[Path]:
    files = sorted(p for p in input_dir.rglob("*.json") if p.is_file())
    if not files:
        raise SystemExit(f"no .json files under {input_dir}")
    return files


def run_duckdb(input_dir: Path, output_dir: Path) -> int:
    """DuckDB: the practical limit on one machine (vectorised, multi-threaded, no JVM)."""
    import duckdb

    files = [str(p) for p in input_files(input_dir)]
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in EXPORT_FIELDS.items()) + "}"
    uri = "coalesce(" + ", ".join(URI_FIELDS) + ")"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    target = str(output_dir).replace("'", "''")
    # Only module constants and the quoted output path are interpolated; the file list is a parameter.
    con.execute(
        f"""
        COPY (
            SELECT DISTINCT ON (ts, uri) *
            FROM (
                SELECT *, {uri} AS uri, CAST(ts AS TIMESTAMP) AS played_at, substr(ts, 1, 7) AS play_month
                FROM read_json(?, format = 'array', columns = {columns})
            )
        ) TO '{target}' (FORMAT parquet, PARTITION_BY (play_month), OVERWRITE_OR_IGNORE)
        """,  # noqa: S608
        [files],
    )
    return 0


def run_pandas(input_dir: Path, output_dir: Path) -> int:
    """pandas as in a transform Lambda: read_json every file, drop_duplicates, to_parquet."""
    import pandas as pd

    frames = [pd.read_json(path, convert_dates=False) for path in input_files(input_dir)]
    df = pd.concat(frames, ignore_index=True)
    del frames
    present = [c for c in URI_FIELDS if c in df.columns]
    df["uri"] = df[present].bfill(axis=1).iloc[:, 0]
    df = df.drop_duplicates(subset=["ts", "uri"])
    df["played_at"] = pd.to_datetime(df["ts"], utc=True)
    df["play_month"] = df["ts"].str.slice(0, 7)
    df.to_parquet(output_dir, partition_cols=["play_month"], index=False, engine="pyarrow")
    return 0


def _spark_session(app: str, input_dir: Path):
    from pyspark.sql import SparkSession

    from curation.session import shuffle_partitions

    partitions = shuffle_partitions(sum(p.stat().st_size for p in input_files(input_dir)), os.cpu_count() or 1)
    return (
        SparkSession.builder.master(os.environ.get("BENCH_SPARK_MASTER", "local[*]"))
        .appName(app)
        # The resources of the project's local curate run (2 GiB driver heap, one shuffle partition per
        # 128 MiB of input and at least one per core), so the difference measured is the job, not tuning.
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _spark_dedupe_write(df, output_dir: Path) -> None:
    """The peers' shared Spark step: one row per (ts, uri), end time parsed, written by month of play."""
    from pyspark.sql import functions as F

    present = [c for c in URI_FIELDS if c in df.columns]
    out = (
        df.withColumn("uri", F.coalesce(*[F.col(c) for c in present]))
        .dropDuplicates(["ts", "uri"])
        .withColumn("played_at", F.to_timestamp("ts"))
        .withColumn("play_month", F.substring("ts", 1, 7))
    )
    out.write.mode("overwrite").partitionBy("play_month").parquet(str(output_dir))


def run_spark_inferred(input_dir: Path, output_dir: Path) -> int:
    """Spark with schema inference: how a crawler-style pipeline reads the export (no declared schema)."""
    spark = _spark_session("bench-spark-inferred", input_dir)
    try:
        _spark_dedupe_write(spark.read.option("multiLine", "true").json(str(input_dir)), output_dir)
    finally:
        spark.stop()
    return 0


def run_spark_declared(input_dir: Path, output_dir: Path) -> int:
    """Spark with the project's declared export schema: what any Spark job doing the same read, dedupe and
    write costs here (one pass over the JSON, no inference), the floor a Spark curation can approach."""
    from curation.raw_schemas import EXPORT_ROW

    spark = _spark_session("bench-spark-declared", input_dir)
    try:
        df = spark.read.schema(EXPORT_ROW).option("multiLine", "true").json(str(input_dir))
        _spark_dedupe_write(df, output_dir)
    finally:
        spark.stop()
    return 0


RUNNERS = {
    "duckdb": run_duckdb,
    "pandas": run_pandas,
    "spark_inferred": run_spark_inferred,
    "spark_declared": run_spark_declared,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=ENGINES)
    parser.add_argument("input_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    args = parser.parse_args(argv)
    RUNNERS[args.engine](args.input_dir, args.output_dir)
    from spotify_lake.bench.parquet_stats import parquet_stats

    stats = parquet_stats(args.output_dir)
    sys.stdout.write(json.dumps({"engine": args.engine, "rows_out": stats.rows}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
