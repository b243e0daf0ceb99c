"""Glue 5.0 job: curate the raw zone into the curated tables (thin entry; the logic is in ``curation``).

Arguments: :class:`lake_contract.settings.CurateArguments` (Glue passes ``--name value`` pairs; all are
optional but a root): ``--lake_root`` or ``--raw_root``/``--curated_root`` [``--runs_root``], ``--run_id``,
``--full_refresh true``, ``--glue_database`` (publish through the Glue Data Catalog; without it the lake's own
table documents are the catalog).

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
from lake_contract.settings import CurateArguments, SettingsError
from lake_contract.summaries import CurationSummary


def options(argv: list[str]) -> CurateArguments:
    return CurateArguments.from_arguments(getResolvedOptions(argv, CurateArguments.given(argv)))


def lake_paths(args: CurateArguments) -> LakePaths:
    try:
        raw, curated, runs = args.roots()
    except SettingsError as exc:
        raise SystemExit(str(exc)) from None
    return LakePaths(raw_root=raw, curated_root=curated, runs_root=runs)


def catalog(args: CurateArguments, paths: LakePaths, spark) -> Catalog | None:
    """The Glue Data Catalog when the job is given a database (AWS); None: the lake's own documents."""
    database = args.glue_database
    if not database:
        return None
    import boto3  # in Glue's runtime; only this path needs it

    return GlueCatalog(boto3.client("glue"), database, paths.curated_root, document_catalog(LakeFS(spark), paths))


def main(argv: list[str]) -> CurationSummary:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = options(argv)
    paths = lake_paths(args)
    spark = build_session()
    return run(spark, paths, run_id=args.run_id, full_refresh=args.full_refresh, catalog=catalog(args, paths, spark))


if __name__ == "__main__":
    main(sys.argv)
