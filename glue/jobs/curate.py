"""Glue 5.0 job: curate the raw zone into the curated tables (thin entry; the logic is in ``curation``).

Arguments (Glue passes ``--name value`` pairs; all but one root are optional):
  --lake_root URI        one root holding raw/, _state/, curated/ and _runs/ (local runs)
  --raw_root URI         root of raw/ (the raw bucket); defaults to --lake_root
  --curated_root URI     root of curated/ (the curated bucket); defaults to --lake_root
  --runs_root URI        root of _runs/ (the curated bucket); defaults to --curated_root
  --run_id ID            defaults to curate-<UTC time>-<random>
  --full_refresh true    rebuild every table from all raw objects (default false)
  --glue_database NAME   publish through this Glue database's tables and partitions (AWS); without it the
                         lake's own table documents under curated/_catalog/ are the catalog (local runs)

The same file runs locally: ``python -m spotify_lake curate --lake DIR`` creates a local SparkSession and
runs this script with these arguments, so Glue and a laptop execute identical code.
"""

from __future__ import annotations

import logging
import sys

from awsglue.utils import getResolvedOptions

from curation.catalog import Catalog, GlueCatalog
from curation.job import run
from curation.lake import LakeFS, LakePaths
from curation.reading import document_catalog
from curation.session import build_session

OPTIONAL = ("lake_root", "raw_root", "curated_root", "runs_root", "run_id", "full_refresh", "glue_database")


def options(argv: list[str]) -> dict[str, str]:
    present = [name for name in OPTIONAL if f"--{name}" in argv]
    return getResolvedOptions(argv, present)


def lake_paths(opts: dict[str, str]) -> LakePaths:
    lake = opts.get("lake_root")
    raw = opts.get("raw_root") or lake
    curated = opts.get("curated_root") or lake
    runs = opts.get("runs_root") or curated
    if not (raw and curated and runs):
        raise SystemExit("curate: give --lake_root, or --raw_root and --curated_root")
    return LakePaths(raw_root=raw, curated_root=curated, runs_root=runs)


def catalog(opts: dict[str, str], paths: LakePaths, spark) -> Catalog | None:
    """The Glue Data Catalog when the job is given a database (AWS); None: the lake's own documents."""
    database = opts.get("glue_database")
    if not database:
        return None
    import boto3  # in Glue's runtime; only this path needs it

    return GlueCatalog(boto3.client("glue"), database, paths.curated_root, document_catalog(LakeFS(spark), paths))


def main(argv: list[str]) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    opts = options(argv)
    paths = lake_paths(opts)
    spark = build_session()
    return run(
        spark,
        paths,
        run_id=opts.get("run_id"),
        full_refresh=str(opts.get("full_refresh", "false")).lower() == "true",
        catalog=catalog(opts, paths, spark),
    )


if __name__ == "__main__":
    main(sys.argv)
