"""Render the forms of ``curation.schema`` that are committed files; tests keep them current.

Regenerate docs/TABLES.md with ``python -m spotify_lake.tables_doc > docs/TABLES.md`` and the record-count
view (one row per curated table) with
``python -m spotify_lake.tables_doc record-counts > sql/views/70_table_record_counts.sql``.
"""

from __future__ import annotations

from curation.schema import TABLES, Table


def render_table(table: Table) -> str:
    lines = [f"## `{table.name}`", "", table.description, ""]
    partition = ", ".join(f"`{c.name}`" for c in table.partition_keys) or "none"
    lines.append(f"Key: {', '.join(f'`{k}`' for k in table.key)}. Partitioned by: {partition}.")
    if table.partition_keys:
        # No partition projection: Athena reads the partitions (and their locations) the job registers.
        lines.append("Partitions are registered in the Glue Data Catalog by the curation job.")
    if table.edited_by_listener:
        lines.append(
            f"A CSV file the listener keeps, header line first: `{table.csv_file}` in the lake and at the same key "
            "of the curated bucket (Glue: OpenCSVSerde, header skipped). Curation never writes it; "
            "`python -m spotify_lake exclude` does (docs/ANALYTICS.md)."
        )
    lines += ["", "| column | type | nullable | description |", "| --- | --- | --- | --- |"]
    for c in table.all_columns:
        lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {c.description} |")
    return "\n".join(lines)


def render() -> str:
    header = [
        "# Curated tables",
        "",
        "Generated from `glue/curation/schema.py` (the single source of truth) by",
        "`python -m spotify_lake.tables_doc`; do not edit by hand.",
        "",
    ]
    return "\n".join(header) + "\n" + "\n\n".join(render_table(t) for t in TABLES) + "\n"


#: Where the record-count view lives (a view file like any other: Athena, Trino and DuckDB read it as written).
RECORD_COUNTS_VIEW = "sql/views/70_table_record_counts.sql"


def render_record_counts() -> str:
    """The ``table_record_counts`` view: one row per curated table, in the schema's order."""
    first, *rest = TABLES
    # Table names come from the schema module, not from input.
    lines = [
        "-- Records per curated table: what the lake holds.",
        "CREATE OR REPLACE VIEW table_record_counts AS",
        f"SELECT '{first.name}' AS table_name, count(*) AS records FROM {first.name}",  # noqa: S608
        *(f"UNION ALL SELECT '{t.name}', count(*) FROM {t.name}" for t in rest),  # noqa: S608
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(render_record_counts() if sys.argv[1:] == ["record-counts"] else render(), end="")  # noqa: T201
