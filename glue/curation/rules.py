"""The counting rules of the lake in plain Python: one source for curation (Spark), the synthetic exports
(``spotify_lake.exportgen``), the report and the tests (docs/CURATION.md states each rule with an example).

No pyspark here: ``curation.plays`` builds its Spark expressions from these constants, and
``spotify_lake.exportgen.play_identity`` calls :func:`identity_of` on a raw export row, so the two
cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Spotify counts a play as a *stream* at 30 seconds or more (royalties, Wrapped). Shorter plays are skips
#: or previews: they count for skip statistics, not for top charts.
STREAM_MS = 30_000

#: How far apart (seconds) an API play and an export play of the same track may end and still be one play.
API_EXPORT_TOLERANCE_S = 60

#: Account-data rows give the end minute only ("2024-01-05 14:23"): the real end lies in [minute, minute+60 s).
#: Widened by the tolerance on both sides, another source's play of the same names (and, when both have it, the
#: same ms played) matches when it ends in [endTime - 60 s, endTime + 120 s]; the nearest to endTime + 30 s wins.
ACCOUNT_WINDOW_S = (-60, 120)

#: Lower is richer: among true duplicates of equal ms played, the row of the richer source is kept.
SOURCE_PREFERENCE: dict[str, int] = {"export_extended": 0, "export_legacy": 1, "api": 2, "export_account": 3}

#: Sources that are a family of their own; every other source (extended, legacy export) is "export".
FAMILY_OF: dict[str, str] = {"api": "api", "export_account": "account"}


def family_of_source(source: str) -> str:
    """api | export (extended and legacy: seconds and URIs) | account (minutes, names only)."""
    return FAMILY_OF.get(source, "export")


def _norm(text: str) -> str:
    return text.strip().lower()


def name_key(
    track: str | None,
    artist: str | None,
    episode: str | None = None,
    show: str | None = None,
    chapter: str | None = None,
    audiobook: str | None = None,
) -> str | None:
    """Lower-cased ``title|by``: track|artist, episode|show, chapter|audiobook or audiobook|; None without a title.

    The Spark form is ``curation.plays.name_key``; both take the first present title and the matching "by"."""
    title = track or episode or chapter or audiobook
    if not title:
        return None
    by = artist or show or (audiobook if chapter else None) or ""
    return f"{_norm(title)}|{_norm(by)}"


def identity_of(
    *,
    track_uri: str | None,
    episode_uri: str | None,
    audiobook_uri: str | None,
    names: str | None,
    account: bool,
    ms_played: int | None,
) -> str:
    """What a play *is* within its end second: its URI, else ``name:<title|by>``.

    Account data has no URIs and only the end minute, so a replay of one track in one minute differs from
    the first play only by its ms played: there the identity is ``name:<title|by>|ms=<ms>`` and two rows merge
    only when they are true repeats (same minute, names and ms played)."""
    uri = track_uri or episode_uri or audiobook_uri
    if uri:
        return uri
    key = f"name:{names or ''}"
    if account:
        key += f"|ms={'' if ms_played is None else ms_played}"
    return key


def export_row_identity(row: Mapping[str, object]) -> str:
    """:func:`identity_of` for one raw export row (any format), as curation derives the play's columns."""

    def s(*fields: str) -> str | None:
        for f in fields:
            v = row.get(f)
            if v:
                return str(v)
        return None

    account = "endTime" in row
    track_uri = s("spotify_track_uri")
    names = name_key(
        s("master_metadata_track_name", "trackName"),
        s("master_metadata_album_artist_name", "artistName"),
        s("episode_name", "episodeName"),
        s("episode_show_name", "podcastName"),
        s("audiobook_chapter_title", "chapterName"),
        s("audiobook_title", "audiobookName"),
    )
    ms = row.get("ms_played", row.get("msPlayed"))
    return identity_of(
        track_uri=track_uri if track_uri and track_uri.startswith("spotify:track:") else None,
        episode_uri=s("spotify_episode_uri"),
        audiobook_uri=s("audiobook_chapter_uri", "audiobook_uri"),
        names=names,
        account=account,
        ms_played=int(ms) if isinstance(ms, int | float) else None,
    )


#: Platform families, first match wins: (family, regular expression on the lower-cased platform string).
#: Order matters: Fire TV strings say "android", web-player strings name the OS they run on, car and speaker
#: integrations are "Partner ..." strings. docs/CURATION.md shows the table with real examples; the SQL view
#: ``plays_by_country_platform`` is generated from it (:func:`platform_family_sql`).
PLATFORM_FAMILIES: tuple[tuple[str, str], ...] = (
    ("TV", r"android_tv|;aft[a-z]|fire ?tv|smart_tv|tizen|webos|roku|apple ?tv|tvos|chromecast|google_tv|\btv\b"),
    ("Console", r"playstation|ps4|ps5|xbox|nintendo"),
    ("Car", r"android_auto|carplay|\bauto\b|\bcar\b|tesla|volvo|polestar|bmw|mercedes|\baudi\b|\bford\b|stellantis"),
    ("Speaker", r"sonos|cast_audio|google_home|nest|alexa|echo|amazon_speaker|bose|denon|yamaha|speaker|\bcast\b"),
    ("Web", r"web_player|web player|webplayer|\bweb\b"),
    ("Desktop", r"windows|os x|osx|macos|mac os|linux|desktop"),
    ("Mobile", r"android|ios|iphone|ipad|ipod|mobile"),
)
PLATFORM_NOT_RECORDED = "not recorded"
PLATFORM_OTHER = "Other"

_COMPILED = tuple((family, re.compile(pattern)) for family, pattern in PLATFORM_FAMILIES)


def platform_family(platform: str | None) -> str:
    """The family of a platform string (``not recorded`` for API plays, ``Other`` when nothing matches)."""
    if platform is None:
        return PLATFORM_NOT_RECORDED
    text = platform.lower()
    for family, pattern in _COMPILED:
        if pattern.search(text):
            return family
    return PLATFORM_OTHER


def platform_family_sql(column: str = "platform") -> str:
    """The same table as a SQL ``CASE`` (``regexp_like`` is Trino's and DuckDB's)."""
    lines = ["CASE", f"            WHEN {column} IS NULL THEN '{PLATFORM_NOT_RECORDED}'"]
    for family, pattern in PLATFORM_FAMILIES:
        lines.append(f"            WHEN regexp_like(lower({column}), '{pattern}') THEN '{family}'")
    lines.append(f"            ELSE '{PLATFORM_OTHER}'")
    lines.append("        END")
    return "\n".join(lines)
