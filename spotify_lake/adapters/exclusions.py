"""The listener's exclusions file: what the analyses leave out, kept as one small CSV per lake.

The file is the ``exclusions`` table of ``curation.schema`` itself (``curated/exclusions/exclusions.csv``, header
line first): DuckDB reads it where it lies, and in AWS the same file at the same key of the curated bucket is
what the Glue table (OpenCSVSerde) points Athena at. Nothing copies or converts it, so the report and Athena read
the same rows; curation never touches it. The views (``sql/views/05_excluded_plays.sql``) decide what a row
means; this module only reads, checks and writes rows, so that ``spotify-lake exclude`` cannot write one the
views would misread.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from curation.schema import EXCLUSIONS
from spotify_lake.errors import UserError

#: Kinds of rule a row can be: a play matching it is left out. ``private_sessions`` is the one setting.
RULE_KINDS = ("artist", "track", "show", "audiobook", "content_type")
SETTING = "private_sessions"
KINDS = (*RULE_KINDS, SETTING)
CONTENT_TYPES = ("track", "episode", "audiobook", "local", "unknown")
#: ``keep`` counts private-session plays; ``leave_out`` is the default and needs no row.
PRIVATE_SESSION_VALUES = ("keep", "leave_out")
COLUMNS = tuple(c.name for c in EXCLUSIONS.columns)


@dataclass(frozen=True)
class Exclusion:
    """One row of the file; ``listener_id`` None applies to every listener of the lake."""

    kind: str
    value: str
    listener_id: str | None = None
    reason: str | None = None

    def same_rule(self, other: Exclusion) -> bool:
        """Rows that a new one replaces: the same rule for the same listener (a setting: any value)."""
        same_value = self.kind == SETTING or self.value.strip().lower() == other.value.strip().lower()
        return self.kind == other.kind and same_value and self.listener_id == other.listener_id


def file_path(lake: Path) -> Path:
    return lake / EXCLUSIONS.csv_file


def checked(row: Exclusion) -> Exclusion:
    """``row`` normalised (kind lower case, spaces trimmed) if the views can read it; a UserError saying why not."""
    kind = row.kind.strip().lower()
    value = row.value.strip()
    if kind not in KINDS:
        raise UserError(f"unknown kind {row.kind!r}: use one of {', '.join(KINDS)}")
    if not value:
        raise UserError("an exclusion needs a value (a name, a Spotify id or URI, or a content type)")
    if kind == "content_type" and value.lower() not in CONTENT_TYPES:
        raise UserError(f"content type {value!r} is not one of {', '.join(CONTENT_TYPES)}")
    if kind == SETTING and value.lower() not in PRIVATE_SESSION_VALUES:
        raise UserError(f"private_sessions takes {' or '.join(PRIVATE_SESSION_VALUES)}, not {value!r}")
    texts = [value, row.listener_id or "", row.reason or ""]
    if any("\\" in t or "\n" in t or "\r" in t for t in texts):
        # Athena's CSV SerDe treats a backslash as an escape character: the two engines would read different text.
        raise UserError("exclusions cannot contain backslashes or line breaks")
    value = value.lower() if kind in (SETTING, "content_type") else value
    listener = (row.listener_id or "").strip() or None
    reason = (row.reason or "").strip() or None
    return Exclusion(kind, value, listener, reason)


def read(lake: Path) -> list[Exclusion]:
    """The rows of the lake's file as written (none when there is no file)."""
    path = file_path(lake)
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    if not records:
        return []
    if [c.strip().lower() for c in records[0]] != list(COLUMNS):
        raise UserError(f"{path}: the first line must be the header {','.join(COLUMNS)}")
    rows = []
    for record in records[1:]:
        if not any(field.strip() for field in record):
            continue
        kind, value, listener, reason = ([*record, "", "", "", ""])[:4]
        rows.append(Exclusion(kind, value, listener or None, reason or None))
    return rows


def write(lake: Path, rows: list[Exclusion]) -> Path:
    """Replace the lake's file with ``rows`` (header first, every field quoted as needed, ``\\n`` line ends)."""
    path = file_path(lake)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.kind, row.value, row.listener_id or "", row.reason or ""])
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(temporary, path)  # readers see the old file or the new one, never half of one
    return path


def add(lake: Path, row: Exclusion) -> list[Exclusion]:
    """Add (or replace) one rule or setting; ``private_sessions leave_out`` removes the scope's setting instead."""
    new = checked(row)
    rows = [r for r in read(lake) if not checked(r).same_rule(new)]
    if not (new.kind == SETTING and new.value == "leave_out"):
        rows.append(new)
    write(lake, rows)
    return rows


def remove(lake: Path, kind: str, value: str, listener_id: str | None = None) -> list[Exclusion]:
    """Remove the rule ``kind value`` (for ``listener_id``, or the lake-wide one); a UserError if there is none."""
    target = checked(Exclusion(kind, value, listener_id))
    rows = read(lake)
    kept = [r for r in rows if not checked(r).same_rule(target)]
    if len(kept) == len(rows):
        raise UserError(f"no exclusion {target.kind} {target.value!r} in {file_path(lake)}")
    write(lake, kept)
    return kept
