"""Stage a Spotify privacy export (zip or folder) into the raw zone, byte for byte (docs/RAW_ZONE.md).

Keys carry the first 16 hex of each file's SHA-256, so importing the same export twice writes nothing new.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from extraction.identity import listener_id as derive_listener_id
from spotify_lake.errors import UserError

_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Streaming_History_(Audio|Video)_.*\.json$"), "extended"),
    (re.compile(r"^endsong_\d+\.json$"), "legacy"),
    (re.compile(r"^StreamingHistory.*\.json$"), "account"),
)
_LISTENER_ID = re.compile(r"^[0-9a-f]{16}$")


def export_kind(file_name: str) -> str | None:
    """extended, legacy or account for a streaming-history file name; None for any other file."""
    for pattern, kind in _KINDS:
        if pattern.match(file_name):
            return kind
    return None


def export_key(kind: str, listener: str, data: bytes, file_name: str) -> str:
    digest = hashlib.sha256(data).hexdigest()[:16]
    return f"raw/source=export/endpoint=streaming_history_{kind}/listener={listener}/sha256={digest}/{file_name}"


@dataclass
class ImportSummary:
    run_id: str
    source: str
    listener_id: str = ""
    staged: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "stage": "import",
            "source": self.source,
            "listener_id": self.listener_id,
            "staged": self.staged,
            "already_present": self.already_present,
            "ignored": self.ignored,
        }


def _names(path: Path) -> list[str]:
    """Paths inside the export of every file of a zip or folder (or the one file), in a stable order."""
    if path.is_dir():
        return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return sorted(i.filename for i in archive.infolist() if not i.is_dir())
    if path.is_file():
        return [path.name]
    raise UserError(f"{path} is neither a zip file nor a folder")


def _contents(path: Path, names: list[str]) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of ``names``, one file in memory at a time (an export can be gigabytes)."""
    if path.is_dir():
        for name in names:
            yield name, (path / name).read_bytes()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in names:
                yield name, archive.read(name)
    else:
        for name in names:
            yield name, path.read_bytes()


def known_listeners(lake: Path) -> set[str]:
    """Listener ids that already have raw data in the lake (API or export)."""
    found = set()
    for pattern in ("raw/source=api/endpoint=*/listener=*", "raw/source=export/endpoint=*/listener=*"):
        found.update(p.name.split("=", 1)[1] for p in lake.glob(pattern) if p.is_dir())
    return found


def _username(legacy_files: Iterable[tuple[str, bytes]]) -> str | None:
    """The Spotify user id from a legacy file's ``username`` field (the only export kind that has one)."""
    for _name, data in legacy_files:
        try:
            rows = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and row.get("username"):
                return str(row["username"])
    return None


def resolve_listener(given: str | None, lake: Path, legacy_files: Iterable[tuple[str, bytes]]) -> str:
    """The listener id to import for: given, the lake's only listener, or the legacy files' user name
    (``legacy_files`` is read only in that last case)."""
    if given:
        return given if _LISTENER_ID.match(given) else derive_listener_id(given)
    known = known_listeners(lake)
    if len(known) == 1:
        return known.pop()
    if len(known) > 1:
        raise UserError(f"the lake has several listeners ({', '.join(sorted(known))}): pass --listener")
    username = _username(legacy_files)
    if username:
        return derive_listener_id(username)
    raise UserError("no listener known in the lake and the export names none: pass --listener USER_ID")


def _write_once(target: Path, data: bytes) -> bool:
    """Create ``target`` with ``data`` atomically; False if it already exists (same key = same bytes)."""
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return True


def stage_export(path: Path, lake: Path, *, listener: str | None = None, now: datetime | None = None) -> ImportSummary:
    """Copy the export's streaming-history files into ``lake``'s raw zone; other files are listed as ignored."""
    if not path.exists():
        raise UserError(f"{path} does not exist")
    moment = now or datetime.now(UTC)
    summary = ImportSummary(
        run_id=f"import-{moment.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}", source=path.name
    )
    kinds: dict[str, str] = {}
    for name in _names(path):
        kind = export_kind(name.rsplit("/", 1)[-1])
        if kind is None:
            summary.ignored.append(name)
        else:
            kinds[name] = kind
    legacy = [name for name, kind in kinds.items() if kind == "legacy"]
    summary.listener_id = resolve_listener(listener, lake, _contents(path, legacy))
    for name, data in _contents(path, list(kinds)):
        key = export_key(kinds[name], summary.listener_id, data, name.rsplit("/", 1)[-1])
        (summary.staged if _write_once(lake / key, data) else summary.already_present).append(key)
    runs = lake / "_runs"
    runs.mkdir(parents=True, exist_ok=True)
    (runs / f"{summary.run_id}.json").write_text(json.dumps(summary.as_dict(), indent=2) + "\n")
    return summary
