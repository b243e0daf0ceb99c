"""Benchmark inputs: synthetic extended-history exports made by the emulator's generator, cached on disk.

An export of N plays is generated once per (plays, seed, days) into ``<data>/export-<N>-s<seed>-d<days>/``:
the zip as Spotify ships it (what ``spotify_lake import`` reads) and the same files extracted into
``json/`` (what the baselines read). Generation and extraction are timed but are not part of any engine's
time. ``manifest.json`` is written last, so an interrupted generation is redone, not reused.
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: The streaming-history files of an extended export (audio and video); anything else in the zip is not plays.
HISTORY_PREFIXES = ("Streaming_History_Audio", "Streaming_History_Video")


@dataclass(frozen=True)
class ExportData:
    plays: int
    seed: int
    days: int
    zip_path: Path
    json_dir: Path
    files: int
    records: int
    input_bytes: int
    zip_bytes: int
    generate_seconds: float
    extract_seconds: float
    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["zip_path"], out["json_dir"] = str(self.zip_path), str(self.json_dir)
        return out


def days_for(plays: int) -> int:
    """Span of the synthetic history: at least a year, at most ten (a heavy listener over a decade)."""
    return int(min(3650, max(365, plays // 100)))


def _count_records(json_dir: Path) -> tuple[int, int, int]:
    """(files, records, bytes) of the JSON-array files: one streaming pass, no full parse into memory."""
    files = sorted(json_dir.rglob("*.json"))
    records = 0
    marker = b'"ts"'
    for path in files:
        with open(path, "rb") as fh:
            tail = b""  # the end of the previous chunk, so a marker split across two chunks is counted once
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                records += (tail + chunk).count(marker)
                tail = chunk[-(len(marker) - 1) :]
    return len(files), records, sum(p.stat().st_size for p in files)


def prepare_export(data_dir: Path, plays: int, seed: int, days: int | None = None) -> ExportData:
    """The cached export of ``plays`` plays, generating and extracting it first if needed."""
    days = days or days_for(plays)
    folder = data_dir / f"export-{plays}-s{seed}-d{days}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        saved = json.loads(manifest.read_text())
        saved["zip_path"], saved["json_dir"] = Path(saved["zip_path"]), Path(saved["json_dir"])
        return ExportData(**saved)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    from spotify_lake.sources.exportgen import write_export

    zip_path = folder / "my_spotify_data.zip"
    start = time.perf_counter()
    summary = write_export(zip_path, seed=seed, days=days, fmt="extended", plays=plays)
    generate_seconds = time.perf_counter() - start

    json_dir = folder / "json"
    start = time.perf_counter()
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = Path(info.filename).name
            if info.is_dir() or not (name.startswith(HISTORY_PREFIXES) and name.endswith(".json")):
                continue
            # Flatten: the baselines read one folder; names are unique within an export.
            target = json_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    extract_seconds = time.perf_counter() - start
    files, records, input_bytes = _count_records(json_dir)
    data = ExportData(
        plays=plays,
        seed=seed,
        days=days,
        zip_path=zip_path,
        json_dir=json_dir,
        files=files,
        records=records,
        input_bytes=input_bytes,
        zip_bytes=zip_path.stat().st_size,
        generate_seconds=round(generate_seconds, 3),
        extract_seconds=round(extract_seconds, 3),
        summary=_jsonable(summary),
    )
    manifest.write_text(json.dumps(data.to_json(), indent=1))
    return data


def _jsonable(summary: Any) -> dict[str, Any]:
    if summary is None:
        return {}
    if isinstance(summary, dict):
        return json.loads(json.dumps(summary, default=str))
    if hasattr(summary, "__dataclass_fields__"):
        return json.loads(json.dumps(asdict(summary), default=str))
    return {"summary": str(summary)}
