"""Raw-zone keys and record envelopes, exactly as docs/RAW_ZONE.md lays them out."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lake_contract.endpoints import api_endpoint
from lake_contract.keys import ApiKey, QuarantineKey


def iso_millis(moment: datetime) -> str:
    """UTC timestamp with millisecond precision and a Z suffix: 2026-11-22T10:15:03.120Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def raw_key(endpoint: str, *, listener_id: str | None, extract_date: str, run_id: str, unit: str, seq: int) -> str:
    """The API object key (lake_contract.keys.ApiKey) of an endpoint the registry knows, scoped as it says."""
    if api_endpoint(endpoint).per_listener:
        if not listener_id:
            raise ValueError(f"endpoint {endpoint} is listener-scoped and needs a listener id")
    else:
        listener_id = None
    return ApiKey(endpoint, listener_id, extract_date, run_id, unit, seq).format()


def quarantine_key(endpoint: str, *, extract_date: str, run_id: str, unit: str, seq: int) -> str:
    return QuarantineKey(endpoint, extract_date, run_id, unit, seq).format()


@dataclass(frozen=True)
class Provenance:
    """What every line of one raw object shares."""

    listener_id: str | None
    endpoint: str
    path: str
    params: dict[str, Any]
    extracted_at: str
    run_id: str
    mode: str
    parent: dict[str, Any] | None = None


def envelope(prov: Provenance, item: Any, position: int) -> dict[str, Any]:
    record: dict[str, Any] = {
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


def encode_ndjson_gz(records: list[dict[str, Any]]) -> bytes:
    """gzip NDJSON, one record per line; mtime fixed so the same records give the same bytes."""
    text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def decode_ndjson_gz(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(body).decode("utf-8").splitlines() if line]


def quarantine_body(*, reason: str, endpoint: str, path: str, params: dict[str, Any], status: int, body: str) -> bytes:
    document = {
        "reason": reason,
        "endpoint": endpoint,
        "request": {"path": path, "params": params},
        "status": status,
        "body": body,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
