"""Raw-zone keys and record envelopes, exactly as docs/RAW_ZONE.md lays them out."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime

LISTENER_ENDPOINTS = frozenset(
    {"recently_played", "top_artists", "top_tracks", "saved_tracks", "playlists", "playlist_items"}
)
CATALOGUE_ENDPOINTS = frozenset({"artists", "albums", "tracks", "search"})


def iso_millis(moment: datetime) -> str:
    """UTC timestamp with millisecond precision and a Z suffix: 2026-11-22T10:15:03.120Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def raw_key(endpoint: str, *, listener_id: str | None, extract_date: str, run_id: str, unit: str, seq: int) -> str:
    if endpoint in LISTENER_ENDPOINTS:
        if not listener_id:
            raise ValueError(f"endpoint {endpoint} is listener-scoped and needs a listener id")
        scope = f"listener={listener_id}/"
    elif endpoint in CATALOGUE_ENDPOINTS:
        scope = ""
    else:
        raise ValueError(f"unknown raw endpoint {endpoint!r}")
    return (
        f"raw/source=api/endpoint={endpoint}/{scope}extract_date={extract_date}/run={run_id}/"
        f"{_safe_unit(unit)}-{seq:05d}.ndjson.gz"
    )


def quarantine_key(endpoint: str, *, extract_date: str, run_id: str, unit: str, seq: int) -> str:
    prefix = f"raw/_quarantine/endpoint={endpoint}/extract_date={extract_date}/run={run_id}/"
    return f"{prefix}{_safe_unit(unit)}-{seq:05d}.json"


def _safe_unit(unit: str) -> str:
    """Units become file-name stems: keep them to [A-Za-z0-9_.-]."""
    return "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in unit)


@dataclass(frozen=True)
class Provenance:
    """What every line of one raw object shares."""

    listener_id: str | None
    endpoint: str
    path: str
    params: dict
    extracted_at: str
    run_id: str
    mode: str
    parent: dict | None = None


def envelope(prov: Provenance, item, position: int) -> dict:
    record = {
        "listener_id": prov.listener_id,
        "endpoint": prov.endpoint,
        "request": {"path": prov.path, "params": prov.params},
    }
    if prov.parent is not None:
        record["parent"] = prov.parent
    record.update(
        {
            "position": position,
            "extracted_at": prov.extracted_at,
            "run_id": prov.run_id,
            "mode": prov.mode,
            "item": item,
        }
    )
    return record


def encode_ndjson_gz(records: list[dict]) -> bytes:
    """gzip NDJSON, one record per line; mtime fixed so the same records give the same bytes."""
    text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def decode_ndjson_gz(body: bytes) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(body).decode("utf-8").splitlines() if line]


def quarantine_body(*, reason: str, endpoint: str, path: str, params: dict, status: int, body: str) -> bytes:
    document = {
        "reason": reason,
        "endpoint": endpoint,
        "request": {"path": path, "params": params},
        "status": status,
        "body": body,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
