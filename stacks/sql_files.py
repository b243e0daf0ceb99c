"""The SQL the deployment runs: view statements from ``sql/views`` and named queries from ``sql/queries``.

Pure Python (no CDK) so tests can check the files directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

TIME_ZONE_PLACEHOLDER = "${time_zone}"
_VIEW_NAME = re.compile(r"\bCREATE\s+OR\s+REPLACE\s+VIEW\s+([A-Za-z_][A-Za-z0-9_]*)\s+AS\b", re.IGNORECASE)
_HEADER = re.compile(r"^--\s*(name|description):\s*(.+?)\s*$")


class SqlFileError(ValueError):
    """A SQL file does not follow the folder's convention; the message names the file."""


@dataclass(frozen=True)
class ViewStatement:
    name: str
    file: str
    sql: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    file: str
    sql: str


def load_views(folder: Path, time_zone: str) -> list[ViewStatement]:
    """Every ``*.sql`` in ``folder`` in lexical file order (a view may read the views before it), with
    ``${time_zone}`` replaced by ``time_zone``. Each file must hold one ``CREATE OR REPLACE VIEW name AS``."""
    ZoneInfo(time_zone)  # an invalid zone would otherwise surface only as a failed Athena query
    views = []
    for path in sorted(folder.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        names = _VIEW_NAME.findall(text)
        if len(names) != 1:
            raise SqlFileError(f"{path.name}: expected one CREATE OR REPLACE VIEW … AS, found {len(names)}")
        sql = text.replace(TIME_ZONE_PLACEHOLDER, time_zone).strip().rstrip(";").strip()
        views.append(ViewStatement(name=names[0], file=path.name, sql=sql))
    if not views:
        raise SqlFileError(f"{folder}: no view files (*.sql)")
    duplicates = sorted({v.name for v in views if [w.name for w in views].count(v.name) > 1})
    if duplicates:
        raise SqlFileError(f"{folder}: views defined twice: {', '.join(duplicates)}")
    return views


def load_named_queries(folder: Path) -> list[NamedQuery]:
    """Every ``*.sql`` in ``folder``, named by its leading ``-- name:`` and ``-- description:`` comments."""
    queries = []
    for path in sorted(folder.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines():
            match = _HEADER.match(line.strip())
            if not match:
                break
            header[match.group(1)] = match.group(2)
        missing = [k for k in ("name", "description") if k not in header]
        if missing:
            raise SqlFileError(f"{path.name}: first lines must be '-- name: …' and '-- description: …' ({missing})")
        queries.append(NamedQuery(header["name"], header["description"], path.name, text.strip().rstrip(";")))
    return queries
