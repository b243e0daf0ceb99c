"""The curated tables as Athena has them: read from the synthesized ``AWS::Glue::Table`` resources.

Columns, types, SerDe, location and partition keys come from the CloudFormation template the CDK app
synthesizes, not from ``curation.schema`` directly, so a difference between what the stacks declare to Glue
and what Spark writes shows up in Trino exactly as it would in Athena.

Where the *data* of a table or partition currently lives is a separate question, answered by
``current_partitions`` / ``current_location`` only (the lake's catalog names it; see those functions).
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curation.catalog import WHOLE_TABLE
from spotify_lake.adapters.lakefiles import published_locations

REPO = Path(__file__).resolve().parents[2]

#: Hive SerDe class -> Trino Hive connector ``format``. Anything else is an error, not a guess.
SERDE_FORMATS = {
    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe": "PARQUET",
    # The listener-kept exclusions file: Trino's CSV format is this SerDe (string columns only), as in Athena.
    "org.apache.hadoop.hive.serde2.OpenCSVSerde": "CSV",
}
#: Hive (Glue) primitive type -> Trino type. Timestamps are millisecond precision in Athena and here.
PRIMITIVE_TYPES = {
    "string": "varchar",
    "varchar": "varchar",
    "boolean": "boolean",
    "tinyint": "tinyint",
    "smallint": "smallint",
    "int": "integer",
    "integer": "integer",
    "bigint": "bigint",
    "float": "real",
    "double": "double",
    "date": "date",
    "timestamp": "timestamp(3)",
    "binary": "varbinary",
}
_ARRAY = re.compile(r"^array<(.+)>$")
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class TableDefinitionError(ValueError):
    """The template declares something the check cannot reproduce in Trino; the message says what."""


def trino_type(hive_type: str) -> str:
    """The Trino spelling of a Glue column type (``array<string>`` -> ``array(varchar)``)."""
    text = hive_type.strip().lower()
    if text in PRIMITIVE_TYPES:
        return PRIMITIVE_TYPES[text]
    if match := _ARRAY.match(text):
        return f"array({trino_type(match.group(1))})"
    if match := _DECIMAL.match(text):
        return f"decimal({match.group(1)}, {match.group(2)})"
    raise TableDefinitionError(f"unsupported Glue column type {hive_type!r}")


@dataclass(frozen=True)
class GlueTable:
    """One ``AWS::Glue::Table`` as the template declares it."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, Glue type), data columns in order
    partition_keys: tuple[tuple[str, str], ...]
    serde: str
    location: str  # key prefix in the curated bucket, e.g. "curated/plays/"
    parameters: dict[str, str]

    @property
    def partition_key(self) -> str | None:
        if len(self.partition_keys) > 1:
            raise TableDefinitionError(f"{self.name}: more than one partition key is not supported")
        return self.partition_keys[0][0] if self.partition_keys else None

    @property
    def format(self) -> str:
        if self.serde not in SERDE_FORMATS:
            raise TableDefinitionError(f"{self.name}: unsupported SerDe {self.serde!r}")
        return SERDE_FORMATS[self.serde]

    @property
    def skip_header_lines(self) -> int:
        """Header lines Athena skips (``skip.header.line.count``); 0 when the table declares none."""
        return int(self.parameters.get("skip.header.line.count", "0"))


def _bucket_key(location: Any, table: str) -> str:
    """``curated/plays/`` from ``{"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/curated/plays/"]]}``."""
    try:
        parts = location["Fn::Join"][1]
        scheme, bucket, key = parts
    except (KeyError, TypeError, ValueError) as exc:
        raise TableDefinitionError(f"{table}: unexpected location {location!r}") from exc
    if scheme != "s3://" or not isinstance(bucket, dict) or "Ref" not in bucket or not key.startswith("/"):
        raise TableDefinitionError(f"{table}: unexpected location {location!r}")
    return key.lstrip("/")


def glue_tables(template: dict[str, Any]) -> list[GlueTable]:
    """Every Glue table of a synthesized template, in template order."""
    tables = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Glue::Table":
            continue
        spec = resource["Properties"]["TableInput"]
        name = spec["Name"]
        storage = spec["StorageDescriptor"]
        columns = tuple((c["Name"], c["Type"]) for c in storage["Columns"])
        keys = tuple((c["Name"], c["Type"]) for c in spec.get("PartitionKeys", []))
        for column, _type in columns + keys:
            if not _IDENTIFIER.match(column):
                raise TableDefinitionError(f"{name}: column name {column!r} is not a plain identifier")
        parameters = {k: v for k, v in spec.get("Parameters", {}).items() if isinstance(v, str)}
        tables.append(
            GlueTable(
                name=name,
                columns=columns,
                partition_keys=keys,
                serde=storage["SerdeInfo"]["SerializationLibrary"],
                location=_bucket_key(storage["Location"], name),
                parameters=parameters,
            )
        )
    if not tables:
        raise TableDefinitionError("the template declares no AWS::Glue::Table")
    return tables


def cdk_context(environment: str | None = None) -> dict[str, Any]:
    """cdk.json's context for one environment (default: the first), extractor bundled from source only."""
    from stacks.config import ENVIRONMENTS_KEY, SELECT_KEY, SKIP_PIP_KEY

    context = json.loads((REPO / "cdk.json").read_text(encoding="utf-8"))["context"]
    context[SKIP_PIP_KEY] = "true"  # no pip install: synth stays offline and fast
    context[SELECT_KEY] = environment or next(iter(context[ENVIRONMENTS_KEY]))
    return context


def synthesize_template(environment: str | None = None) -> dict[str, Any]:
    """The CloudFormation template of one environment, through the real app (cdk-nag included)."""
    from stacks.app import build_app

    with tempfile.TemporaryDirectory(prefix="athena-check-cdk-") as outdir:
        app, stacks = build_app(cdk_context(environment), outdir=outdir)
        assembly = app.synth()
        return dict(assembly.get_stack_by_name(stacks[0].stack_name).template)


# -- where the data is -------------------------------------------------------------------------------------


def current_partitions(lake: Path, table: GlueTable) -> dict[str, Path]:
    """{partition value: folder} of every partition the lake currently publishes for ``table``: the
    locations its catalog document names (``spotify_lake.adapters.lakefiles``), as the Glue catalog does in AWS."""
    if table.partition_key is None:
        raise TableDefinitionError(f"{table.name} is not partitioned")
    return published_locations(lake, table.name)


def current_location(lake: Path, table: GlueTable) -> Path | None:
    """The folder holding an unpartitioned table's current data, or None if the lake has none yet."""
    if table.partition_key is not None:
        raise TableDefinitionError(f"{table.name} is partitioned: use current_partitions")
    return published_locations(lake, table.name).get(WHOLE_TABLE)
