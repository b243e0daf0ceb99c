"""Build small lakes from the hand-made fixtures, laid out exactly as docs/RAW_ZONE.md says."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from lake_contract.identity import listener_id

FIXTURES = Path(__file__).resolve().parents[1] / "curation" / "fixtures"
USER = "listener-one"
LISTENER = listener_id(USER)
EXPORT_FILES = {
    "extended": "Streaming_History_Audio_2024_0.json",
    "legacy": "endsong_0.json",
    "account": "StreamingHistory_music_0.json",
}


def put_api(
    lake: Path,
    endpoint: str,
    lines: list[str],
    *,
    run: str = "extract-20240105T150000Z-aaaaaa",
    date: str = "2024-01-05",
    listener: str | None = LISTENER,
    unit: str = "page",
    seq: int = 0,
) -> Path:
    scope = f"listener={listener}/" if listener else ""
    path = lake / f"raw/source=api/endpoint={endpoint}/{scope}extract_date={date}/run={run}/{unit}-{seq:05d}.ndjson.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress("".join(line + "\n" for line in lines).encode()))
    return path


def put_export(lake: Path, kind: str, name: str, data: bytes, *, listener: str = LISTENER) -> Path:
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = lake / f"raw/source=export/endpoint=streaming_history_{kind}/listener={listener}/sha256={digest}/{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def fixture_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text().splitlines()


def envelope(endpoint: str, item, position: int = 0, **extra) -> str:
    record = {
        "listener_id": extra.pop("listener_id", LISTENER),
        "endpoint": endpoint,
        "request": {"path": f"/v1/{endpoint}", "params": extra.pop("params", {})},
        "position": position,
        "extracted_at": extra.pop("extracted_at", "2024-01-05T15:00:00.000Z"),
        "run_id": extra.pop("run_id", "extract-20240105T150000Z-aaaaaa"),
        "mode": "development",
        "item": item,
        **extra,
    }
    return json.dumps(record)


def standard_lake(lake: Path) -> Path:
    """recently_played + one export of each kind: the merge scenario of docs/CURATION.md."""
    put_api(lake, "recently_played", fixture_lines("recently_played.ndjson"))
    for kind, name in EXPORT_FILES.items():
        put_export(lake, kind, name, (FIXTURES / name).read_bytes())
    return lake
