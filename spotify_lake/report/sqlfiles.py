"""The Athena SQL in ``sql/views`` and ``sql/queries``: discovery, the ``${time_zone}`` placeholder, and the
Trino-to-DuckDB transpilation that lets the same files run locally.

Conventions (documented in docs/ANALYTICS.md):

- ``sql/views/NN_<view>.sql`` holds exactly one ``CREATE OR REPLACE VIEW <view> AS …``; files run in lexical
  order, so a view may use only views of files that sort before it.
- ``${time_zone}`` is the only placeholder: the display time zone (an IANA name) substituted before running.
- ``sql/queries/<name>.sql`` starts with ``-- name: …`` and ``-- description: …`` lines (Athena named queries).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from spotify_lake.errors import UserError

#: The repository's sql/ folder (the toolkit is installed editable, next to it).
SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
TIME_ZONE_PLACEHOLDER = "${time_zone}"

_VIEW_FILE = re.compile(r"^(?P<order>\d{2})_(?P<name>[a-z][a-z0-9_]*)\.sql$")
_HEADER = re.compile(r"^--\s*(?P<key>name|description):\s*(?P<value>.+?)\s*$")
_TIMEZONE_FUNCTIONS = {"with_timezone", "at_timezone"}


@dataclass(frozen=True)
class ViewFile:
    name: str
    path: Path
    sql: str  # Athena (Trino) text, with the placeholder still in it

    @property
    def description(self) -> str:
        """The leading comment block, joined into one paragraph."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            text = line[2:].strip()
            if TIME_ZONE_PLACEHOLDER in text:
                continue
            lines.append(text)
        return " ".join(lines)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    path: Path
    sql: str


def view_files(directory: Path | None = None) -> list[ViewFile]:
    """The view files in execution order; a file that breaks the naming convention is an error."""
    directory = directory or SQL_DIR / "views"
    views = []
    for path in sorted(directory.glob("*.sql")):
        match = _VIEW_FILE.match(path.name)
        if not match:
            raise ValueError(f"{path.name}: view files are named NN_<view_name>.sql")
        views.append(ViewFile(match["name"], path, path.read_text(encoding="utf-8")))
    return views


def named_queries(directory: Path | None = None) -> list[NamedQuery]:
    """The ad-hoc questions, each with the name and description from its header lines."""
    directory = directory or SQL_DIR / "queries"
    queries = []
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines()[:2]:
            match = _HEADER.match(line)
            if match:
                header[match["key"]] = match["value"]
        if set(header) != {"name", "description"}:
            raise ValueError(f"{path.name}: the first two lines must be '-- name: …' and '-- description: …'")
        queries.append(NamedQuery(header["name"], header["description"], path, text))
    return queries


def check_time_zone(time_zone: str) -> str:
    """``time_zone`` if it is an IANA zone name; a UserError otherwise (it ends up inside SQL text)."""
    if time_zone not in _available_time_zones():
        raise UserError(f"unknown time zone {time_zone!r}: use an IANA name such as Europe/Berlin or UTC")
    return time_zone


@cache
def _available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def substitute_time_zone(sql: str, time_zone: str) -> str:
    return sql.replace(TIME_ZONE_PLACEHOLDER, check_time_zone(time_zone))


def _timezone_functions(node: exp.Expression) -> exp.Expression:
    """Trino ``with_timezone(ts, z)`` and ``at_timezone(tstz, z)`` become DuckDB ``… AT TIME ZONE z``.

    DuckDB's ``AT TIME ZONE`` reads a naive TIMESTAMP as wall time in ``z`` (Trino's ``with_timezone``) and turns a
    TIMESTAMPTZ into the wall time in ``z`` (Trino's ``at_timezone`` followed by the ``CAST(… AS timestamp)``
    the views always apply). sqlglot 30 passes both functions through unchanged, which DuckDB lacks.
    """
    if isinstance(node, exp.Anonymous) and node.name.lower() in _TIMEZONE_FUNCTIONS and len(node.expressions) == 2:
        value, zone = node.expressions
        # transform() does not descend into a replacement, so nested calls are rewritten here.
        return exp.AtTimeZone(this=value.transform(_timezone_functions), zone=zone.copy())
    return node


def _count_if(node: exp.Expression) -> exp.Expression:
    """Trino ``count_if(c)`` becomes ``count(CASE WHEN c THEN 1 END)``.

    DuckDB's ``count_if`` returns NULL (not 0) when every input is NULL, and a HUGEINT; Trino returns a BIGINT 0.
    """
    if isinstance(node, exp.CountIf):
        condition = node.this.transform(_count_if)
        return exp.Count(this=exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))]))
    return node


#: The small set of rewrites applied before generating DuckDB SQL, in order.
TRANSFORMS = (_timezone_functions, _count_if)


def parse_trino(sql: str) -> exp.Expression:
    """One Trino statement; ``sqlglot.errors.ParseError`` if it is not valid Trino or not exactly one statement."""
    statements = [s for s in sqlglot.parse(sql, read="trino") if s is not None]
    if len(statements) != 1:
        raise sqlglot.errors.ParseError(f"expected one statement, found {len(statements)}")
    return statements[0]


def to_duckdb(sql: str, time_zone: str = "UTC") -> str:
    """The DuckDB form of one Athena statement, with the display time zone filled in."""
    tree = parse_trino(substitute_time_zone(sql, time_zone))
    for transform in TRANSFORMS:
        tree = tree.transform(transform)
    return tree.sql(dialect="duckdb")


def created_view_name(sql: str) -> str:
    """The name a ``CREATE VIEW`` statement creates (to check file name against content)."""
    tree = parse_trino(sql.replace(TIME_ZONE_PLACEHOLDER, "UTC"))
    if not isinstance(tree, exp.Create) or tree.kind != "VIEW":
        raise ValueError("not a CREATE VIEW statement")
    return tree.this.name
