"""The platform families in plain Python (curation/rules.py) and the SQL view generated from them."""

from __future__ import annotations

import duckdb
import pytest

from curation import rules
from spotify_lake.report.sqlfiles import to_duckdb, view_files

# Platform strings as they appear in real exports, with the family a person would name.
REAL_PLATFORMS = [
    ("Partner android_tv Amazon;AFTMM;6af2b6ff-4ce1-4d6a-9a86-0f3e1e7cd0a4;", "TV"),  # Fire TV Stick 4K
    ("Partner android_tv Sony;BRAVIA 4K UR3;", "TV"),
    ("Partner tizen_tv Samsung;QN55Q60;", "TV"),
    ("playstation", "Console"),
    ("Partner ps5 Sony;PlayStation 5;", "Console"),
    ("xbox_one", "Console"),
    ("Partner android_auto Google;Android Auto;", "Car"),
    ("Partner tesla Tesla;Model 3;", "Car"),
    ("Partner sonos_arm Sonos;One;", "Speaker"),
    ("Partner cast_audio Google;Nest Mini;", "Speaker"),
    ("Partner amazon_salmon Amazon;Echo Dot;", "Speaker"),
    ("web_player windows 10;chrome 119.0.0.0;desktop", "Web"),
    ("web_player osx 10.15.7;safari 17.1;desktop", "Web"),
    ("Windows 10 (10.0.19045; x64)", "Desktop"),
    ("windows", "Desktop"),
    ("OS X 14.1.1 [x86 8]", "Desktop"),
    ("osx", "Desktop"),
    ("Linux [x86-64 0]", "Desktop"),
    ("Android OS 13 API 33 (Google, Pixel 6)", "Mobile"),
    ("android", "Mobile"),
    ("iOS 17.1.2 (iPhone14,5)", "Mobile"),
    ("ios", "Mobile"),
    ("something new", "Other"),
    (None, "not recorded"),
]


@pytest.mark.parametrize(("platform", "family"), REAL_PLATFORMS)
def test_platform_family_of_real_strings(platform, family):
    assert rules.platform_family(platform) == family


def test_platform_view_uses_the_same_table_and_agrees_on_duckdb():
    view = next(v for v in view_files() if v.name == "plays_by_country_platform")
    assert rules.platform_family_sql() in view.sql  # generated from the table, not a copy
    values = ", ".join("(NULL)" if p is None else "('" + p.replace("'", "''") + "')" for p, _ in REAL_PLATFORMS)
    trino = f"SELECT platform, {rules.platform_family_sql()} AS family FROM (VALUES {values}) AS t (platform)"  # noqa: S608
    got = duckdb.sql(to_duckdb(trino)).fetchall()
    assert [family for _, family in got] == [family for _, family in REAL_PLATFORMS]
