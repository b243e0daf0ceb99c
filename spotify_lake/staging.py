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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from extraction.identity import listener_id as derive_listener_id
from lake_contract.backfill import CANDIDATES_KEY, URI_ENDPOINTS, BackfillCandidates, count_track_plays
from lake_contract.endpoints import HISTORY_ENDPOINTS
from lake_contract.keys import (
    LIBRARY_ENDPOINT,
    SOURCE_API,
    SOURCE_EXPORT,
    ExportKey,
    RunSummaryKey,
    listener_folders_glob,
)
from lake_contract.summaries import ImportSummary
from spotify_lake.errors import UserError

#: File-name patterns of the streaming-history kinds, from the endpoint registry, tried in its order.
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(e.files), e.export_kind) for e in HISTORY_ENDPOINTS if e.files
)
_LISTENER_ID = re.compile(r"^[0-9a-f]{16}$")


def export_kind(file_name: str) -> str | None:
    """extended, legacy or account for a streaming-history file name; None for any other file."""
    for pattern, kind in _KINDS:
        if pattern.match(file_name):
            return kind
    return None


def export_key(kind: str, listener: str, data: bytes, file_name: str) -> str:
    """Raw key of an export file; ``kind`` ``library`` is ``YourLibrary.json`` (saved shows), the rest history."""
    return ExportKey.for_file(kind, listener, hashlib.sha256(data).hexdigest(), file_name).format()


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
    for pattern in (listener_folders_glob(SOURCE_API), listener_folders_glob(SOURCE_EXPORT)):
        found.update(p.name.split("=", 1)[1] for p in lake.glob(pattern) if p.is_dir())
    return found


#: ``"username": "..."`` in a streaming-history record (legacy endsong and 2023-format extended files).
_USERNAME = re.compile(rb'"username"\s*:\s*"((?:[^"\\]|\\.)*)"')
#: Bytes read from the start of each streaming-history file to find its ``username``: every record of a file
#: carries the same one, and the first record sits at the start.
_HEAD_BYTES = 64 * 1024
USERDATA = "Userdata.json"
LIBRARY = "YourLibrary.json"


def _username_in(head: bytes) -> str | None:
    """The ``username`` of the first record in a streaming-history file's first bytes, if it has one."""
    match = _USERNAME.search(head)
    if not match:
        return None
    try:
        return json.loads(b'"' + match.group(1) + b'"') or None
    except json.JSONDecodeError:
        return None


def _userdata_username(data: bytes) -> str | None:
    """``username`` of an account-data export's ``Userdata.json`` (a JSON object), if readable."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    name = doc.get("username") if isinstance(doc, dict) else None
    return str(name) if name else None


#: How a listener finds their Spotify user id: extended-history exports since 2024 no longer name it.
FIND_USER_ID = (
    "your Spotify user id is the 'Username' on spotify.com/account/overview (also the `username` in the "
    "Userdata.json of an account-data export, and the id in your profile link open.spotify.com/user/<id>)"
)


@dataclass(frozen=True)
class Listener:
    """Who an import is filed under, and why (the command prints ``how``)."""

    listener_id: str
    how: str


def _as_listener_id(user: str) -> str:
    return user if _LISTENER_ID.match(user) else derive_listener_id(user)


def resolve_listener(given: str | None, lake: Path, named: set[str]) -> Listener:
    """The listener of an export: the user it names (``Userdata.json`` or the records' ``username``), checked
    against ``--listener`` and against the lake's only listener; without a name, ``--listener`` or the lake's
    only listener. A mismatch is refused: filing one person's plays under another spoils both."""
    if len(named) > 1:
        raise UserError(f"the export names several users ({', '.join(sorted(named))}): import each person's export")
    known = known_listeners(lake)
    if named:
        user = next(iter(named))
        own = derive_listener_id(user)
        if given and _as_listener_id(given) != own:
            raise UserError(
                f"the export belongs to Spotify user {user!r} (listener {own}), not to --listener {given}: "
                "check that this is the right person's export"
            )
        if not given and len(known) == 1 and own not in known:
            only = next(iter(known))
            raise UserError(
                f"the export belongs to Spotify user {user!r} (listener {own}) but the lake's only listener is "
                f"{only}: pass --listener {user} to add a second listener"
            )
        return Listener(own, f"named by the export (Spotify user {user!r})")
    if given:
        return Listener(_as_listener_id(given), "given with --listener")
    if len(known) == 1:
        only = next(iter(known))
        return Listener(only, f"the export names nobody; attributed to the lake's only listener {only}")
    if len(known) > 1:
        raise UserError(
            f"the export names nobody and the lake has several listeners ({', '.join(sorted(known))}): "
            f"pass --listener USER_ID; {FIND_USER_ID}"
        )
    raise UserError(f"no listener known in the lake and the export names none: pass --listener USER_ID; {FIND_USER_ID}")


def _heads(path: Path, names: list[str]) -> Iterator[tuple[str, bytes]]:
    """(name, first bytes) of ``names``: enough to find a ``username`` without reading gigabytes twice."""
    if path.is_dir():
        for name in names:
            with (path / name).open("rb") as handle:
                yield name, handle.read(_HEAD_BYTES)
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in names:
                with archive.open(name) as handle:
                    yield name, handle.read(_HEAD_BYTES)
    else:
        for name in names:
            with path.open("rb") as handle:
                yield name, handle.read(_HEAD_BYTES)


def named_users(path: Path, history: list[str], userdata: list[str]) -> set[str]:
    """Every Spotify user id the export names: ``Userdata.json`` and the first record of each history file."""
    users = {u for _n, data in _contents(path, userdata) if (u := _userdata_username(data))}
    users |= {u for _n, head in _heads(path, history) if (u := _username_in(head))}
    return users


def _write_once(target: Path, data: bytes) -> bool:
    """Create ``target`` with ``data`` atomically; False if it already exists (same key = same bytes)."""
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return True


def _records(data: bytes) -> list:
    """The rows of a streaming-history file, or none when it is not a JSON array (curation quarantines it)."""
    try:
        rows = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    return rows if isinstance(rows, list) else []


def load_candidates(lake: Path) -> BackfillCandidates:
    """The lake's backfill queue (``_state/catalogue/backfill_candidates.json``), empty before the first import."""
    target = lake / CANDIDATES_KEY.format()
    return BackfillCandidates.from_json(target.read_bytes()) if target.exists() else BackfillCandidates()


def _replace(target: Path, data: bytes) -> None:
    """Write ``target`` atomically (a reader sees the old document or the new one, never half of one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def stage_export(path: Path, lake: Path, *, listener: str | None = None, now: datetime | None = None) -> ImportSummary:
    """Copy the export's streaming-history files into ``lake``'s raw zone; other files are listed as ignored.

    The track ids of extended-history files (and their plays) join the catalogue backfill's queue, each file
    counted once by its key (``lake_contract.backfill``)."""
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
    userdata = [n for n in summary.ignored if n.rsplit("/", 1)[-1] == USERDATA]
    who = resolve_listener(listener, lake, named_users(path, list(kinds), userdata))
    summary.listener_id, summary.listener_how = who.listener_id, who.how
    # The account export's saved shows type the podcast rows of older combined files (docs/CURATION.md).
    libraries = [n for n in summary.ignored if n.rsplit("/", 1)[-1] == LIBRARY]
    for name in libraries:
        summary.ignored.remove(name)
        kinds[name] = LIBRARY_ENDPOINT
    candidates, queued = load_candidates(lake), False
    for name, data in _contents(path, list(kinds)):
        key = export_key(kinds[name], summary.listener_id, data, name.rsplit("/", 1)[-1])
        (summary.staged if _write_once(lake / key, data) else summary.already_present).append(key)
        if ExportKey.parse(key).endpoint in URI_ENDPOINTS:
            queued = candidates.add_file(key, count_track_plays(_records(data))) or queued
    if queued:
        candidates.updated_at = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        _replace(lake / CANDIDATES_KEY.format(), candidates.to_json().encode())
    target = lake / RunSummaryKey(summary.run_id).format()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(summary.to_json())
    return summary
