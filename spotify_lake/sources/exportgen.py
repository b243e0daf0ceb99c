"""Synthetic Spotify privacy exports: the emulator's simulated listener, written as Spotify's zip.

Formats (file names as Spotify ships them):

- ``extended``: ``Spotify Extended Streaming History/Streaming_History_Audio_<years>_<n>.json`` (+ an empty
  ``Streaming_History_Video_<years>.json``), the fields listed in SPOTIFY_FACTS.md.
- ``legacy``: ``MyData/endsong_<n>.json`` with ``username``, ``ip_addr_decrypted``, ``user_agent_decrypted``.
- ``account``: ``Spotify Account Data/StreamingHistory_music_<n>.json`` (``endTime`` to the minute, no URIs),
  ``StreamingHistory_podcast_<n>.json`` and ``StreamingHistory_audiobook_<n>.json``; these files start with a
  UTF-8 BOM. ``Userdata.json`` names the user and ``YourLibrary.json`` lists the shows listened to.
- ``account_older``: the older naming, ``MyData/StreamingHistory<n>.json``, music and podcast rows in one file
  (a podcast row carries the show as ``artistName`` and the episode as ``trackName``), with the same
  ``Userdata.json`` and ``YourLibrary.json``.

``write_shapes`` (at the end of this module) writes every other real shape in a few hand-written rows:
2023-format extended files with ``username``, same-second duplicates, overlapping plays on one device,
same-minute replays in account data, exact repeats across files, audiobook account files, real platform
strings.

Audiobooks: the simulated listener's spoken-word plays of two of the catalogue's twelve shows
(:data:`AUDIOBOOK_SHOWS`) are written as audiobook chapters in the formats that have audiobooks (extended
history since 2024 and the newer account data): the show becomes a book, its episodes chapters, with
``audiobook_*`` fields (account data: ``audiobookName``, ``chapterName``, ``authorName``). The legacy and
older account formats predate audiobooks and keep them as podcast episodes.

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

from lake_contract.identity import export_row_identity
from spotify_lake.sources.emulator.catalogue import Catalogue, Episode, catalogue_for
from spotify_lake.sources.emulator.listening import DAY_MS, Listener, Play, make_listener, plan_plays, to_ms
from spotify_lake.sources.emulator.simulation import RECENTLY_PLAYED_REACH, World, parse_now

FORMATS = ("extended", "account", "account_older", "legacy")
_ACCOUNT_FORMATS = ("account", "account_older")
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
    """What identifies a play within its end second (minute in account data), as curation keys it: the
    track, episode or audiobook URI, or without one the lower-cased ``title|by`` names, plus the ms played
    for account-data rows. The rule itself is ``lake_contract.identity.export_row_identity``, whose constants
    ``curation.plays.identity_key`` builds its Spark expression from."""
    return export_row_identity(row)


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

#: Shows whose plays are written as audiobook chapters where the format has audiobooks (see the module doc).
AUDIOBOOK_SHOWS = frozenset({5, 11})
_AUDIOBOOK_FORMATS = ("extended", "account")
_EPISODES_PER_SHOW = 30  # catalogue.py: every show has 30 episodes, in order


@dataclass(frozen=True, slots=True)
class _Chapter:
    book: str
    author: str
    title: str
    book_uri: str
    chapter_uri: str


def _chapter(cat: Catalogue, episode: Episode) -> _Chapter:
    """The audiobook chapter an episode of an :data:`AUDIOBOOK_SHOWS` show stands for."""
    show = cat.shows[episode.show_index]
    number = episode.index - episode.show_index * _EPISODES_PER_SHOW + 1
    return _Chapter(
        book=f"{show.publisher}: A Novel",
        author=f"A. {show.name.split()[1]}",
        title=f"Chapter {number}",
        book_uri=f"spotify:audiobook:{show.id}",
        chapter_uri=f"spotify:chapter:{episode.id}",
    )


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

    def is_audiobook(self, play: Play) -> bool:
        """A spoken-word play this format writes as an audiobook chapter."""
        return (
            play.track < 0
            and self.fmt in _AUDIOBOOK_FORMATS
            and self.cat.episodes[play.episode].show_index in AUDIOBOOK_SHOWS
        )

    def row(self, play: Play) -> dict:
        book = self.is_audiobook(play)
        episode = self.cat.episodes[play.episode] if play.track < 0 and not book else None
        chapter = _chapter(self.cat, self.cat.episodes[play.episode]) if book else None
        if self.fmt in _ACCOUNT_FORMATS:
            return self._account_row(play, episode, chapter)
        return self._extended_row(play, episode, chapter)

    def _account_row(self, play: Play, episode: Episode | None, chapter: _Chapter | None) -> dict:
        """An account-data row: minute precision, names only, one file kind per content type."""
        cat = self.cat
        end = datetime.fromtimestamp(play.end_ms // 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
        if chapter is not None:
            return {
                "endTime": end,
                "audiobookName": chapter.book,
                "chapterName": chapter.title,
                "authorName": chapter.author,
                "msPlayed": play.ms_played,
            }
        if episode is not None:
            show = cat.shows[episode.show_index]
            if self.fmt == "account_older":
                # Older exports mix podcasts into the music file: the show as artist, the episode as track.
                return {"endTime": end, "artistName": show.name, "trackName": episode.name, "msPlayed": play.ms_played}
            return {"endTime": end, "podcastName": show.name, "episodeName": episode.name, "msPlayed": play.ms_played}
        track = cat.tracks[play.track]
        return {
            "endTime": end,
            "artistName": cat.artists[track.artist_indexes[0]].name,
            "trackName": track.name,
            "msPlayed": play.ms_played,
        }

    def _music_fields(self, play: Play, spoken: bool) -> tuple[str | None, str | None, str | None, str | None]:
        """(track name, album artist, album, track URI); all None for spoken word and for the ~1 % of short music
        plays real extended exports leave without metadata."""
        nulled = play.track >= 0 and play.ms_played <= 30_000 and _unit(self.seed, _SALT_NULL, play.end_ms) < 0.01
        if spoken or nulled:
            return None, None, None, None
        cat = self.cat
        track = cat.tracks[play.track]
        album = cat.albums[track.album_index]
        return track.name, cat.artists[album.artist_index].name, album.name, f"spotify:track:{track.id}"

    def _offline_timestamp(self, play: Play) -> int:
        """0 online; offline, seconds or (in most files) milliseconds, as real exports mix them."""
        if not play.offline:
            return 0
        return play.offline_ts * 1000 if _unit(self.seed, _SALT_OFFLINE_MS, play.end_ms) < 0.6 else play.offline_ts

    def _skipped(self, play: Play) -> bool | None:
        """A few finished plays carry no skipped flag at all."""
        if play.reason_end == "trackdone" and _unit(self.seed, _SALT_SKIP_NULL, play.end_ms) < 0.04:
            return None
        return play.skipped

    def _extended_row(self, play: Play, episode: Episode | None, chapter: _Chapter | None) -> dict:
        """An extended (or legacy ``endsong``) row: millisecond timestamps, URIs, every field real files have."""
        track_name, artist_name, album_name, track_uri = self._music_fields(
            play, episode is not None or chapter is not None
        )
        show = self.cat.shows[episode.show_index] if episode is not None else None
        legacy = self.fmt == "legacy"
        out: dict = {"ts": self.clock.iso(play.end_ms)}
        if legacy:
            out["username"] = self.listener.user_id
        out["platform"] = _LEGACY_PLATFORMS.get(play.platform, play.platform) if legacy else play.platform
        out["ms_played"] = play.ms_played
        out["conn_country"] = play.conn_country
        if legacy:
            out["ip_addr_decrypted"] = self._ip(play)
            out["user_agent_decrypted"] = "unknown"
        else:
            out["ip_addr"] = self._ip(play)
        out["master_metadata_track_name"] = track_name
        out["master_metadata_album_artist_name"] = artist_name
        out["master_metadata_album_album_name"] = album_name
        out["spotify_track_uri"] = track_uri
        out["episode_name"] = episode.name if episode else None
        out["episode_show_name"] = show.name if show else None
        out["spotify_episode_uri"] = f"spotify:episode:{episode.id}" if episode else None
        if self.fmt == "extended":
            out |= _audiobook_fields(chapter)
        out["reason_start"] = play.reason_start
        out["reason_end"] = play.reason_end
        out["shuffle"] = play.shuffle
        out["skipped"] = self._skipped(play)
        out["offline"] = play.offline
        out["offline_timestamp"] = self._offline_timestamp(play)
        out["incognito_mode"] = play.incognito
        return out


def _audiobook_fields(chapter: _Chapter | None) -> dict:
    return {
        "audiobook_title": chapter.book if chapter else None,
        "audiobook_uri": chapter.book_uri if chapter else None,
        "audiobook_chapter_uri": chapter.chapter_uri if chapter else None,
        "audiobook_chapter_title": chapter.title if chapter else None,
    }


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


def _userdata(user_id: str) -> dict:
    return {"username": user_id, "country": "DE", "createdFromFacebook": False, "creationTime": "2015-03-01"}


def _library(shows: list[str]) -> dict:
    return {
        "tracks": [],
        "albums": [],
        "shows": [{"name": name, "publisher": f"{name} Media", "uri": None} for name in shows],
        "episodes": [],
        "bannedTracks": [],
        "artists": [],
        "bannedArtists": [],
        "other": [],
    }


def _write_json(archive: zipfile.ZipFile, name: str, doc: object) -> None:
    archive.writestr(name, json.dumps(doc, ensure_ascii=False, indent=2))


class _HistoryFiles:
    """The streaming-history files of one export, filled play by play: each kind of content (music, podcast,
    audiobook; only account data splits them) in files of a random size, a file's last rows sometimes repeated
    at the top of the next one as in real exports. Draws from ``rng`` in a fixed order, so a seed makes one zip.
    """

    KINDS = ("music", "podcast", "audiobook")

    def __init__(self, writer: _ZipWriter, fmt: str, rng: random.Random) -> None:
        self.writer, self.fmt, self.rng = writer, fmt, rng
        self.chunks: dict[str, list] = {k: [] for k in self.KINDS}
        self.targets = {"music": rng.randint(ROWS_MIN, ROWS_MAX), "podcast": rng.randint(ROWS_MIN, ROWS_MAX)}
        self.numbers = dict.fromkeys(self.KINDS, 0)
        self.edges: dict[str, tuple[str, str] | None] = dict.fromkeys(self.KINDS)
        self.carry: dict[str, list] = {k: [] for k in self.KINDS}
        self.rows = 0  # rows written, repeats included
        self.repeated = 0  # rows written twice (a file's tail again at the top of the next)

    def add(self, kind: str, row: dict, ts: str) -> None:
        if kind not in self.targets:
            # Drawn at the first audiobook play only: formats without audiobook files draw what they always did.
            self.targets[kind] = self.rng.randint(ROWS_MIN, ROWS_MAX)
        chunk = self.chunks[kind]
        if not chunk and self.carry[kind]:
            chunk.extend(self.carry[kind])
            self.repeated += len(self.carry[kind])
            self.carry[kind] = []
        chunk.append(row)
        edges = self.edges[kind]
        self.edges[kind] = (edges[0], ts) if edges else (ts, ts)
        if len(chunk) >= self.targets[kind]:
            self.flush(kind)

    def flush(self, kind: str) -> None:
        chunk, edges = self.chunks[kind], self.edges[kind]
        if not chunk or edges is None:
            return
        self.writer.write(self._file_name(kind, *edges), chunk)
        self.rows += len(chunk)
        self.numbers[kind] += 1
        # Real exports sometimes repeat a file's last rows at the top of the next one.
        repeat = self.rng.choice((0, 1, 2, 3))
        self.carry[kind] = chunk[len(chunk) - repeat :] if repeat else []
        self.chunks[kind] = []
        self.edges[kind] = None
        self.targets[kind] = self.rng.randint(ROWS_MIN, ROWS_MAX)

    def close(self) -> None:
        for kind in self.KINDS:
            self.flush(kind)

    def _file_name(self, kind: str, first: str, last: str) -> str:
        number = self.numbers[kind]
        if self.fmt == "extended":
            return f"{_EXTENDED_DIR}/Streaming_History_Audio_{_years(first, last)}_{number}.json"
        if self.fmt == "legacy":
            return f"{_LEGACY_DIR}/endsong_{number}.json"
        if self.fmt == "account_older":
            return f"{_LEGACY_DIR}/StreamingHistory{number}.json"
        return f"{_ACCOUNT_DIR}/StreamingHistory_{kind}_{number}.json"


class _DistinctPlays:
    """Counts distinct plays by curation's identity. The stream is in end-time order, so an identity can only
    repeat within one end second (or minute): only the current second's identities are kept."""

    def __init__(self) -> None:
        self.second: str | None = None
        self.identities: set[str] = set()
        self.distinct = 0
        self.repeats = 0

    def add(self, ts: str, row: dict) -> None:
        if ts != self.second:
            self.second, self.identities = ts, set()
        identity = play_identity(row)
        if identity in self.identities:
            # Two lanes (devices) ending the same content in the same second: one play to everyone
            # who keys plays like Spotify's exports do, so it is counted as a duplicate row.
            self.repeats += 1
        else:
            self.identities.add(identity)
            self.distinct += 1


def _check_export_request(fmt: str, days: int, plays: int | None, listener_index: int) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if days < 1:
        raise ValueError("days must be >= 1")
    if plays is not None and plays < 1:
        raise ValueError("plays must be >= 1")
    if not 0 <= listener_index < 5:
        raise ValueError("listener index must be in 0..4")


def _content_kind(fmt: str, rows: _Rows, play: Play) -> str:
    """The history file kind a play goes to: account data splits podcasts and audiobooks out; older files mix."""
    if fmt == "account" and play.track < 0:
        return "audiobook" if rows.is_audiobook(play) else "podcast"
    return "music"


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
    days = DEFAULT_DAYS if days is None else days
    _check_export_request(fmt, days, plays, listener_index)
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
    first_ts = last_ts = None
    distinct = _DistinctPlays()

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        writer = _ZipWriter(archive, bom=fmt in _ACCOUNT_FORMATS)
        files = _HistoryFiles(writer, fmt, rng)
        shows: set[str] = set()
        for play in stream:
            row = rows.row(play)
            if play.track < 0 and not rows.is_audiobook(play):
                shows.add(rows.cat.shows[rows.cat.episodes[play.episode].show_index].name)
            ts = row.get("ts") or row["endTime"]
            files.add(_content_kind(fmt, rows, play), row, ts)
            distinct.add(ts, row)
            first_ts = first_ts or ts
            last_ts = ts
        files.close()
        if fmt in _ACCOUNT_FORMATS:
            # Account data names its user and lists the saved shows, which type an older file's podcast rows.
            folder = _LEGACY_DIR if fmt == "account_older" else _ACCOUNT_DIR
            _write_json(archive, f"{folder}/Userdata.json", _userdata(listener.user_id))
            _write_json(archive, f"{folder}/YourLibrary.json", _library(sorted(shows)))
        if fmt == "extended" and first_ts and last_ts:
            # Video plays (video podcasts) come in their own file; this listener watched none.
            writer.write(f"{_EXTENDED_DIR}/Streaming_History_Video_{_years(first_ts, last_ts)}.json", [])
            writer.files -= 1
    return ExportSummary(
        path=out,
        format=fmt,
        files=writer.files,
        rows=files.rows,
        plays=distinct.distinct,
        duplicates=files.repeated + distinct.repeats,
        bytes=out.stat().st_size,
        first_ts=first_ts,
        last_ts=last_ts,
        lanes=lanes,
    )


# --- every real shape, small and hand-written ---------------------------------------------------------------
#
# ``write_shapes`` writes one person's exports as Spotify ships them, small enough that tests can state every
# expected count by hand (docs/CURATION.md walks through them): the extended history (a 2023-format file
# with ``username``, minified, and 2024-format files without it, plus an empty video file), the account
# data of the same 2024 listens in the newer naming (music, podcast and audiobook files, ``Userdata.json``)
# and in the older naming (one combined ``StreamingHistoryN.json`` series, ``YourLibrary.json``).

SHAPES_USER = "shapes-user"
_TV = "Partner android_tv Amazon;AFTMM;6af2b6ff-4ce1-4d6a-9a86-0f3e1e7cd0a4;"
_PIXEL = "Android OS 13 API 33 (Google, Pixel 6)"
_IPHONE = "iOS 17.1.2 (iPhone14,5)"
_WINDOWS = "Windows 10 (10.0.19045; x64)"
_CAR = "Partner android_auto Google;Android Auto;"
_SONOS = "Partner sonos_arm Sonos;One;"
_WEB = "web_player windows 10;chrome 119.0.0.0;desktop"
_PLAYSTATION = "playstation"


@dataclass(frozen=True, slots=True)
class Listen:
    """One real listen: end time (UTC, to the second), what was played, how long, on which device."""

    ts: str
    kind: str  # track | episode | audiobook
    title: str  # track, episode or chapter
    by: str  # artist, show or audiobook
    uri_id: str
    ms: int
    platform: str
    reason_end: str = "trackdone"
    author: str | None = None


#: The 2023 listens (extended history only) and the 2024 listens (extended history and account data).
LISTENS_2023 = (
    Listen("2023-06-01T08:00:00Z", "track", "Song A", "Artist A", "0000000000000000000A01", 200_000, _PIXEL),
    Listen("2023-06-01T08:03:30Z", "track", "Song B", "Artist B", "0000000000000000000B01", 210_000, _PIXEL),
    Listen("2023-06-02T19:00:00Z", "episode", "Episode P1", "Show P", "00000000000000000000P1", 1_800_000, _IPHONE),
)
LISTENS_2024 = (
    Listen("2024-03-01T10:00:40Z", "track", "Song A", "Artist A", "0000000000000000000A01", 200_000, _WINDOWS),
    # the same track again in the same minute, skipped after 5 s: a replay, not a duplicate
    Listen("2024-03-01T10:00:50Z", "track", "Song A", "Artist A", "0000000000000000000A01", 5_000, _WINDOWS, "fwdbtn"),
    Listen("2024-03-01T10:04:55Z", "track", "Song B", "Artist B", "0000000000000000000B01", 240_000, _WINDOWS),
    # ghost plays: one track every 5 s on a remote-controlled Fire TV; 525 s summed, 190 s of wall clock
    Listen("2024-03-02T21:00:00Z", "track", "Song C", "Artist C", "0000000000000000000C01", 180_000, _TV, "remote"),
    Listen("2024-03-02T21:00:05Z", "track", "Song C", "Artist C", "0000000000000000000C01", 175_000, _TV, "remote"),
    Listen("2024-03-02T21:00:10Z", "track", "Song C", "Artist C", "0000000000000000000C01", 170_000, _TV, "remote"),
    Listen("2024-03-03T07:30:00Z", "episode", "Episode P2", "Show P", "00000000000000000000P2", 1_500_000, _CAR),
    Listen(
        "2024-03-04T22:10:00Z",
        "audiobook",
        "Chapter 1",
        "Book Q",
        "00000000000000000000Q1",
        600_000,
        _SONOS,
        author="Author Q",
    ),
    Listen("2024-03-05T12:00:20Z", "track", "Song D", "Artist D", "0000000000000000000D01", 20_000, _WEB, "fwdbtn"),
    Listen("2024-03-05T18:00:00Z", "track", "Song E", "Artist E", "0000000000000000000E01", 300_000, _PLAYSTATION),
)
_SHOWS_IN_LIBRARY = ("Show P",)


def _extended_row(listen: Listen, *, username: str | None, ms: int | None = None) -> dict:
    """A 2024-format extended record (2023 format: with ``username``, without the audiobook fields)."""
    track, episode, book = listen.kind == "track", listen.kind == "episode", listen.kind == "audiobook"
    row: dict = {"ts": listen.ts}
    if username is not None:
        row["username"] = username
    row |= {
        "platform": listen.platform,
        "ms_played": listen.ms if ms is None else ms,
        "conn_country": "DE",
        "ip_addr": "203.0.113.7",
        "master_metadata_track_name": listen.title if track else None,
        "master_metadata_album_artist_name": listen.by if track else None,
        "master_metadata_album_album_name": f"{listen.by} Album" if track else None,
        "spotify_track_uri": f"spotify:track:{listen.uri_id}" if track else None,
        "episode_name": listen.title if episode else None,
        "episode_show_name": listen.by if episode else None,
        "spotify_episode_uri": f"spotify:episode:{listen.uri_id}" if episode else None,
    }
    if username is None:
        row |= {
            "audiobook_title": listen.by if book else None,
            "audiobook_uri": f"spotify:audiobook:{listen.uri_id}" if book else None,
            "audiobook_chapter_uri": f"spotify:chapter:{listen.uri_id}" if book else None,
            "audiobook_chapter_title": listen.title if book else None,
        }
    row |= {
        "reason_start": "clickrow",
        "reason_end": listen.reason_end,
        "shuffle": False,
        "skipped": listen.reason_end == "fwdbtn",
        "offline": False,
        "offline_timestamp": 0,
        "incognito_mode": False,
    }
    return row


def _account_row(listen: Listen, *, older: bool) -> dict:
    """An account-data record: end minute, names, ms played. Older files put podcasts in the music file."""
    end = listen.ts[:16].replace("T", " ")
    if listen.kind == "audiobook":
        return {
            "endTime": end,
            "audiobookName": listen.by,
            "chapterName": listen.title,
            "authorName": listen.author,
            "msPlayed": listen.ms,
        }
    if listen.kind == "episode" and not older:
        return {"endTime": end, "podcastName": listen.by, "episodeName": listen.title, "msPlayed": listen.ms}
    return {"endTime": end, "artistName": listen.by, "trackName": listen.title, "msPlayed": listen.ms}


@dataclass(frozen=True, slots=True)
class ShapesExport:
    """The three zips of :func:`write_shapes` and the Spotify user they name."""

    extended: Path
    account: Path
    account_older: Path
    user: str


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def _pretty(rows: list[dict], *, bom: bool = False) -> bytes:
    return ((_BOM if bom else "") + json.dumps(rows, ensure_ascii=False, indent=2)).encode()


def write_shapes(out_dir: str | Path, user: str = SHAPES_USER) -> ShapesExport:
    """Write every shape of real exports for one person (see the comment above and docs/CURATION.md).

    Extended history, 15 rows, 13 plays:
      ``Streaming_History_Audio_2023_0.json`` (minified, ``username`` in every record): 3 listens, plus a
      same-second duplicate of the second one with 0 ms played, written *before* it (the longer row wins);
      ``Streaming_History_Audio_2024_0.json``: the first 6 listens of 2024 (a same-minute replay, three
      overlapping ghost plays on a Fire TV); ``Streaming_History_Audio_2024_1.json``: the last ghost play
      repeated (an exact repeat across files) and 4 more listens (an episode in a car, an audiobook chapter
      on a Sonos speaker, a 20 s skip on the web player, a PlayStation play); an empty video file.
    Account data (newer naming), 11 rows, 10 plays: the same 2024 listens, music in two files (the last row
      of the first repeated in the second), the episode in a podcast file, the chapter in an audiobook file
      (with its author); ``Userdata.json`` names the user.
    Account data (older naming), 10 rows, 9 plays: the 2024 listens without the audiobook, music and the
      episode in ``StreamingHistory0.json`` and ``StreamingHistory1.json``; ``YourLibrary.json`` lists the
      show, which is how curation tells the episode from music.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ext = "Spotify Extended Streaming History"
    first, second, third = (_extended_row(x, username=user) for x in LISTENS_2023)
    zero_ms_twin = _extended_row(LISTENS_2023[1], username=user, ms=0)
    audio_2023 = json.dumps([first, zero_ms_twin, second, third], separators=(",", ":")).encode()  # minified
    rows_2024 = [_extended_row(x, username=None) for x in LISTENS_2024]
    extended = _zip(
        out / "my_spotify_data.zip",
        {
            f"{ext}/Streaming_History_Audio_2023_0.json": audio_2023,
            f"{ext}/Streaming_History_Audio_2024_0.json": _pretty(rows_2024[:6]),
            f"{ext}/Streaming_History_Audio_2024_1.json": _pretty(rows_2024[5:]),
            f"{ext}/Streaming_History_Video_2023-2024.json": b"[]",
            f"{ext}/ReadMeFirst_ExtendedStreamingHistory.pdf": b"%PDF-1.4\n",
        },
    )
    music = [x for x in LISTENS_2024 if x.kind == "track"]
    acct = "Spotify Account Data"
    music_rows = [_account_row(x, older=False) for x in music]
    userdata = json.dumps(_userdata(user)).encode()
    account = _zip(
        out / "my_spotify_data_account.zip",
        {
            f"{acct}/StreamingHistory_music_0.json": _pretty(music_rows[:6], bom=True),
            f"{acct}/StreamingHistory_music_1.json": _pretty(music_rows[5:], bom=True),
            f"{acct}/StreamingHistory_podcast_0.json": _pretty(
                [_account_row(x, older=False) for x in LISTENS_2024 if x.kind == "episode"], bom=True
            ),
            f"{acct}/StreamingHistory_audiobook_0.json": _pretty(
                [_account_row(x, older=False) for x in LISTENS_2024 if x.kind == "audiobook"], bom=True
            ),
            f"{acct}/Userdata.json": userdata,
            f"{acct}/Playlist1.json": json.dumps({"playlists": []}).encode(),
        },
    )
    older_rows = [_account_row(x, older=True) for x in LISTENS_2024 if x.kind != "audiobook"]
    account_older = _zip(
        out / "my_spotify_data_older.zip",
        {
            "MyData/StreamingHistory0.json": _pretty(older_rows[:6], bom=True),
            "MyData/StreamingHistory1.json": _pretty(older_rows[5:], bom=True),
            "MyData/Userdata.json": userdata,
            "MyData/YourLibrary.json": json.dumps(_library(list(_SHOWS_IN_LIBRARY))).encode(),
        },
    )
    return ShapesExport(extended, account, account_older, user)
