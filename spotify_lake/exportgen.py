"""Synthetic Spotify privacy exports: the emulator's simulated listener, written as Spotify's zip.

Formats (file names as Spotify ships them):

- ``extended``: ``Spotify Extended Streaming History/Streaming_History_Audio_<years>_<n>.json`` (+ an empty
  ``Streaming_History_Video_<years>.json``), the fields listed in SPOTIFY_FACTS.md.
- ``legacy``: ``MyData/endsong_<n>.json`` with ``username``, ``ip_addr_decrypted``, ``user_agent_decrypted``.
- ``account``: ``Spotify Account Data/StreamingHistory_music_<n>.json`` (``endTime`` to the minute, no URIs)
  and ``StreamingHistory_podcast_<n>.json``; these files start with a UTF-8 BOM.

Every file is one JSON array of 10,000-16,000 rows (the last one may be shorter). Quirks: podcast rows
(null track fields, an episode URI), rows with null names and URIs (only on plays of 30 s or less),
the last 1-3 rows of a file repeated at the start of the next, ``offline_timestamp`` in seconds or
milliseconds (0 when online), and ``skipped`` null on about 4% of completed plays.

The export ends where real ones do, a little before the API's view: at the 26th most recent play the
emulator's recently-played lists at ``now``. So of the 50 plays the API can still return, the older
25 are also in the export (same ``ts`` to the second, same track URI) and the newer 25 are not.

``plays=N`` asks for exactly N rows' worth of plays (before duplicates). When one listener's history
over the window holds fewer, extra *lanes* are generated: independent streams of the same listener's
taste, merged by time. Lane 0 is always the real simulated listener the emulator serves; the other lanes
exist only to reach benchmark volumes and have no real-life counterpart. Two lanes now and then end the
same track in the same second: one play by the export's own key (end second + URI), so the summary's
``plays`` counts distinct identities (1,999,998 of 2,000,000 plays at seed 7) and the rest are duplicates.
"""

from __future__ import annotations

import json
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from spotify_lake.emulator.catalogue import catalogue_for
from spotify_lake.emulator.listening import DAY_MS, Listener, Play, make_listener, plan_plays, to_ms
from spotify_lake.emulator.simulation import RECENTLY_PLAYED_REACH, World, parse_now

FORMATS = ("extended", "account", "legacy")
EXPORT_OVERLAP = 25  # of the 50 plays recently-played can list at "now", the older 25 are in the export
ROWS_MIN, ROWS_MAX = 10_000, 16_000
DEFAULT_DAYS = 365

_EXTENDED_DIR = "Spotify Extended Streaming History"
_ACCOUNT_DIR = "Spotify Account Data"
_LEGACY_DIR = "MyData"
_BOM = "\ufeff"
_LEGACY_PLATFORMS = {
    "android": "Android OS 13 API 33 (Google, Pixel 6)",
    "ios": "iOS 17.1.2 (iPhone14,5)",
    "windows": "Windows 10 (10.0.19045; x64)",
    "osx": "OS X 14.1.1 [x86 8]",
    "web_player": "web_player windows 10;chrome 119.0.0.0;desktop",
    "linux": "Linux [x86-64 0]",
}


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    format: str
    files: int  # JSON files of streaming history in the zip
    rows: int  # rows written, duplicates included
    plays: int  # distinct plays, by curation's identity (end second + URI, or names without a URI)
    duplicates: int  # rows - plays: rows repeated across files, and plays of one identity in one second
    bytes: int  # size of the zip
    first_ts: str | None
    last_ts: str | None
    lanes: int


def play_identity(row: dict) -> str:
    """What identifies a play within its end second, as curation keys it (``curation.plays.identity_key``):
    the track or episode URI, or without one the lower-cased ``title|by`` names."""
    uri = row.get("spotify_track_uri") or row.get("spotify_episode_uri")
    if uri:
        return uri
    title = row.get("master_metadata_track_name") or row.get("episode_name") or row.get("trackName")
    title = title or row.get("episodeName")
    by = row.get("master_metadata_album_artist_name") or row.get("episode_show_name") or row.get("artistName")
    by = by or row.get("podcastName") or ""
    return f"name:{title.strip().lower()}|{by.strip().lower()}" if title else "name:"


def export_cutoff_ms(world: World, listener_index: int) -> int:
    """End time of the export's last play: the newest of the older 25 of the 50 plays the API lists at now."""
    recent = world.recent_visible(listener_index)  # newest first, at most 50
    if len(recent) == RECENTLY_PLAYED_REACH:
        return recent[RECENTLY_PLAYED_REACH - EXPORT_OVERLAP].end_ms
    return recent[-1].end_ms if recent else world.now_ms


_MASK = 2**64 - 1


def _unit(seed: int, salt: int, value: int) -> float:
    """A reproducible uniform draw in [0, 1) for (seed, salt, value): a few multiply-xorshift rounds, no RNG state."""
    x = (value * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9 + salt * 0x94D049BB133111EB) & _MASK
    x = ((x ^ (x >> 31)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return (x ^ (x >> 31)) / 2**64


_SALT_NULL, _SALT_OFFLINE_MS, _SALT_SKIP_NULL, _SALT_IP = 1, 2, 3, 4


class _Timestamps:
    """Fast ``YYYY-MM-DDTHH:MM:SSZ`` for epoch ms: the date part is formatted once per UTC day."""

    def __init__(self):
        self._day = None
        self._prefix = ""

    def iso(self, ms: int) -> str:
        day, rest = divmod(ms // 1000, 86_400)
        if day != self._day:
            self._day = day
            self._prefix = datetime.fromtimestamp(day * 86_400, tz=UTC).strftime("%Y-%m-%dT")
        hours, rest = divmod(rest, 3_600)
        minutes, seconds = divmod(rest, 60)
        return f"{self._prefix}{hours:02d}:{minutes:02d}:{seconds:02d}Z"


class _Rows:
    """Turns plays into export rows of one format."""

    def __init__(self, seed: int, listener: Listener, fmt: str):
        self.seed = seed
        self.cat = catalogue_for(seed)
        self.listener = listener
        self.fmt = fmt
        self._ips: dict[tuple[str, int], str] = {}
        self.clock = _Timestamps()

    def _ip(self, play: Play) -> str:
        # TEST-NET-3 addresses that change every few days and per device, like an ISP lease.
        key = (play.platform, play.end_ms // (3 * DAY_MS))
        ip = self._ips.get(key)
        if ip is None:
            draw = _unit(
                self.seed, _SALT_IP + len(play.platform) * 7 + ord(play.platform[0]), key[1] + self.listener.index
            )
            ip = self._ips[key] = f"203.0.113.{int(draw * 254) + 1}"
        return ip

    def row(self, play: Play) -> dict:
        cat = self.cat
        seed = self.seed
        podcast = play.track < 0
        nulled = not podcast and play.ms_played <= 30_000 and _unit(seed, _SALT_NULL, play.end_ms) < 0.01
        if podcast:
            episode = cat.episodes[play.episode]
            show = cat.shows[episode.show_index]
        if self.fmt == "account":
            end = datetime.fromtimestamp(play.end_ms // 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
            if podcast:
                return {
                    "endTime": end,
                    "podcastName": show.name,
                    "episodeName": episode.name,
                    "msPlayed": play.ms_played,
                }
            track = cat.tracks[play.track]
            return {
                "endTime": end,
                "artistName": cat.artists[track.artist_indexes[0]].name,
                "trackName": track.name,
                "msPlayed": play.ms_played,
            }
        if podcast or nulled:
            track_name = artist_name = album_name = track_uri = None
        else:
            track = cat.tracks[play.track]
            track_name = track.name
            artist_name = cat.artists[cat.albums[track.album_index].artist_index].name
            album_name = cat.albums[track.album_index].name
            track_uri = f"spotify:track:{track.id}"
        if play.offline:
            offline_ts = play.offline_ts * 1000 if _unit(seed, _SALT_OFFLINE_MS, play.end_ms) < 0.6 else play.offline_ts
        else:
            offline_ts = 0
        skipped = (
            None
            if play.reason_end == "trackdone" and _unit(seed, _SALT_SKIP_NULL, play.end_ms) < 0.04
            else play.skipped
        )
        out = {"ts": self.clock.iso(play.end_ms)}
        if self.fmt == "legacy":
            out["username"] = self.listener.user_id
            out["platform"] = _LEGACY_PLATFORMS.get(play.platform, play.platform)
        else:
            out["platform"] = play.platform
        out["ms_played"] = play.ms_played
        out["conn_country"] = play.conn_country
        if self.fmt == "legacy":
            out["ip_addr_decrypted"] = self._ip(play)
            out["user_agent_decrypted"] = "unknown"
        else:
            out["ip_addr"] = self._ip(play)
        out["master_metadata_track_name"] = track_name
        out["master_metadata_album_artist_name"] = artist_name
        out["master_metadata_album_album_name"] = album_name
        out["spotify_track_uri"] = track_uri
        out["episode_name"] = episode.name if podcast else None
        out["episode_show_name"] = show.name if podcast else None
        out["spotify_episode_uri"] = f"spotify:episode:{episode.id}" if podcast else None
        if self.fmt == "extended":
            out["audiobook_title"] = None
            out["audiobook_uri"] = None
            out["audiobook_chapter_uri"] = None
            out["audiobook_chapter_title"] = None
        out["reason_start"] = play.reason_start
        out["reason_end"] = play.reason_end
        out["shuffle"] = play.shuffle
        out["skipped"] = skipped
        out["offline"] = play.offline
        out["offline_timestamp"] = offline_ts
        out["incognito_mode"] = play.incognito
        return out


def _years(first: str, last: str) -> str:
    return first[:4] if first[:4] == last[:4] else f"{first[:4]}-{last[:4]}"


class _ZipWriter:
    """Writes JSON-array files into the zip one buffered chunk (at most 16k rows) at a time."""

    def __init__(self, archive: zipfile.ZipFile, bom: bool):
        self.archive = archive
        self.bom = bom
        self.files = 0

    def write(self, name: str, rows: list[dict]) -> None:
        # One C-accelerated encode per file, then one row per line as in Spotify's files. Generated
        # names never contain '},{"', so the split cannot land inside a string.
        text = _encode(rows).replace('},{"', '},\n{"')
        body = ("[\n" + text[1:-1] + "\n]\n") if rows else "[]\n"
        with self.archive.open(name, "w", force_zip64=True) as handle:
            handle.write(((_BOM if self.bom else "") + body).encode())
        self.files += 1


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_export(
    out_path: str | Path,
    *,
    seed: int,
    days: int | None = DEFAULT_DAYS,
    fmt: str = "extended",
    listener_index: int = 0,
    plays: int | None = None,
    now: datetime | str | None = None,
) -> ExportSummary:
    """Write the simulated listener's privacy export as a zip; streams, so memory stays bounded."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    days = DEFAULT_DAYS if days is None else days
    if days < 1:
        raise ValueError("days must be >= 1")
    if plays is not None and plays < 1:
        raise ValueError("plays must be >= 1")
    if not 0 <= listener_index < 5:
        raise ValueError("listener index must be in 0..4")
    moment = parse_now(now)
    world = World(seed=seed, days=days, listeners=listener_index + 1, now=moment)
    listener = make_listener(seed, listener_index)
    end_ms = export_cutoff_ms(world, listener_index)
    start_ms = to_ms(moment) - days * DAY_MS
    stream, _, lanes = plan_plays(seed=seed, listener=listener, start_ms=start_ms, end_ms=end_ms, plays=plays)
    rows = _Rows(seed, listener, fmt)
    rng = random.Random(f"export:{seed}:{listener_index}:{fmt}")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    total_rows = distinct = duplicates = 0
    first_ts = last_ts = None
    # The stream is in end-time order, so identities can only repeat within one end second (or minute).
    second, identities = None, set()

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        writer = _ZipWriter(archive, bom=fmt == "account")
        chunks: dict[str, list] = {"music": [], "podcast": []}  # account data splits podcasts out
        targets = {"music": rng.randint(ROWS_MIN, ROWS_MAX), "podcast": rng.randint(ROWS_MIN, ROWS_MAX)}
        numbers = {"music": 0, "podcast": 0}
        edges: dict[str, tuple[str, str] | None] = {"music": None, "podcast": None}
        carry: dict[str, list[str]] = {"music": [], "podcast": []}

        def flush(kind: str) -> None:
            nonlocal total_rows, duplicates
            chunk = chunks[kind]
            if not chunk:
                return
            first, last = edges[kind]
            if fmt == "extended":
                name = f"{_EXTENDED_DIR}/Streaming_History_Audio_{_years(first, last)}_{numbers[kind]}.json"
            elif fmt == "legacy":
                name = f"{_LEGACY_DIR}/endsong_{numbers[kind]}.json"
            else:
                name = f"{_ACCOUNT_DIR}/StreamingHistory_{kind}_{numbers[kind]}.json"
            writer.write(name, chunk)
            total_rows += len(chunk)
            numbers[kind] += 1
            # Real exports sometimes repeat a file's last rows at the top of the next one.
            repeat = rng.choice((0, 1, 2, 3))
            carry[kind] = chunk[len(chunk) - repeat :] if repeat else []
            chunks[kind] = []
            edges[kind] = None
            targets[kind] = rng.randint(ROWS_MIN, ROWS_MAX)

        for play in stream:
            kind = "podcast" if fmt == "account" and play.track < 0 else "music"
            if not chunks[kind] and carry[kind]:
                chunks[kind].extend(carry[kind])
                duplicates += len(carry[kind])
                carry[kind] = []
            row = rows.row(play)
            ts = row.get("ts") or row["endTime"]
            chunks[kind].append(row)
            if ts != second:
                second, identities = ts, set()
            identity = play_identity(row)
            if identity in identities:
                # Two lanes (devices) ending the same content in the same second: one play to everyone
                # who keys plays like Spotify's exports do, so it is counted as a duplicate row.
                duplicates += 1
            else:
                identities.add(identity)
                distinct += 1
            edges[kind] = (edges[kind][0], ts) if edges[kind] else (ts, ts)
            first_ts = first_ts or ts
            last_ts = ts
            if len(chunks[kind]) >= targets[kind]:
                flush(kind)
        for kind in ("music", "podcast"):
            flush(kind)
        if fmt == "extended" and first_ts:
            # Video plays (video podcasts) come in their own file; this listener watched none.
            writer.write(f"{_EXTENDED_DIR}/Streaming_History_Video_{_years(first_ts, last_ts)}.json", [])
            writer.files -= 1
    return ExportSummary(
        path=out,
        format=fmt,
        files=writer.files,
        rows=total_rows,
        plays=distinct,
        duplicates=duplicates,
        bytes=out.stat().st_size,
        first_ts=first_ts,
        last_ts=last_ts,
        lanes=lanes,
    )
