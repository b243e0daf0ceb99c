"""The platform families of the lake in plain Python: one table for curation's report views, the SQL view
generated from it and the tests (docs/CURATION.md shows it with real examples).

The play identity, merge and stream rules live in ``lake_contract.identity``, shared beyond curation.
"""

from __future__ import annotations

import re

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
