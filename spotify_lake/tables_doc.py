"""Render docs/TABLES.md from ``curation.schema``; a test keeps the committed file current.

Regenerate with ``python -m spotify_lake.tables_doc > docs/TABLES.md``.
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


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
