"""What the interactive page embeds: dictionaries of names, daily aggregates and the year reviews.

The page redraws itself for any period and listener in the browser, so it cannot carry pre-drawn charts for
every choice. It carries the smallest table every view can be computed from instead: plays and milliseconds per
(listener, local day, local hour, item), with skip counts, plus one dictionary per name kind. Plays of the same
item in the same hour collapse into one row, and names are stored once, so a 150,000-play decade stays a few MB
(see docs/REPORT.md for the measured sizes). The year reviews are computed in SQL (``sql/2*_year_review*.sql``)
and embedded as they are, so the PNG cards and the page show the same figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"
#: Item kinds as the page codes them.
KINDS = {"track": "t", "episode": "e", "audiobook": "a"}
_EPOCH = date(1970, 1, 1)


#: The embedded data of a lake whose plays cannot be read (the page then says "no plays yet").
EMPTY_JSON = json.dumps(
    {
        "listeners": [],
        "base": _EPOCH.isoformat(),
        "genres": [],
        "artists": [],
        "albums": [],
        "shows": [],
        "items": [],
        "facts": {k: [] for k in ("d", "l", "h", "i", "n", "ms", "sk", "skn")},
        "reviews": [],
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Explore:
    """The page's embedded data and the year reviews (also used for the PNG cards)."""

    data: dict[str, Any]
    reviews: list[dict[str, Any]]

    def json(self) -> str:
        """The data as compact JSON that is safe inside a ``<script type="application/json">`` element."""
        text = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False, default=str)
        return text.replace("</", "<\\/")


def create_report_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create the page's local SQL views (after the Athena views, which they read)."""
    for path in sorted(SQL_DIR.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def _index(values: list[Any]) -> dict[Any, int]:
    return {v: i for i, v in enumerate(values)}


def _rows(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> list[tuple]:
    return con.execute(query, params or []).fetchall()


def build_explore(con: duckdb.DuckDBPyConnection, listener: str | None = None) -> Explore:
    """Read ``report_plays`` (optionally of one listener) into the page's embedded data."""
    # A view cannot take a prepared parameter: the id is quoted (and build_report has checked its characters).
    where = "WHERE listener_id = '" + listener.replace("'", "''") + "'" if listener else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE page_plays AS SELECT * FROM report_plays {where}")  # noqa: S608

    listeners = [r[0] for r in _rows(con, "SELECT DISTINCT listener_id FROM page_plays ORDER BY 1")]
    genres = [
        r[0]
        for r in _rows(
            con, "SELECT DISTINCT g FROM (SELECT unnest(genres) AS g FROM page_plays) WHERE g IS NOT NULL ORDER BY 1"
        )
    ]
    genre_ix = _index(genres)
    artist_rows = _rows(
        con,
        "SELECT artist_name, list_distinct(flatten(list(coalesce(genres, [])))) FROM page_plays "
        "WHERE artist_name IS NOT NULL GROUP BY artist_name ORDER BY artist_name",
    )
    artists = [[name, sorted(genre_ix[g] for g in gs if g is not None)] for name, gs in artist_rows]
    artist_ix = _index([a[0] for a in artists])
    album_rows = _rows(
        con,
        "SELECT album_name, artist_name, max(release_year) FROM page_plays WHERE album_name IS NOT NULL "
        "GROUP BY album_name, artist_name ORDER BY album_name, artist_name",
    )
    albums = [[name, artist_ix[artist], year] for name, artist, year in album_rows]
    album_ix = {(name, artists[a][0]): i for i, (name, a, _) in enumerate(albums)}
    shows = [
        r[0] for r in _rows(con, "SELECT DISTINCT show_name FROM page_plays WHERE show_name IS NOT NULL ORDER BY 1")
    ]
    show_ix = _index(shows)
    item_rows = _rows(
        con,
        "SELECT item_key, min(content_type), min(item_name), min(artist_name), min(album_name), min(show_name), "
        "CAST(mode(ms) AS bigint) FROM page_plays GROUP BY item_key ORDER BY item_key",
    )
    items, item_ix = [], {}
    usual: list[int] = []
    for key, kind, name, artist, album, show, length in item_rows:
        item_ix[key] = len(items)
        usual.append(length)
        items.append(
            [
                KINDS.get(kind, "o"),
                name,
                artist_ix.get(artist, -1),
                album_ix.get((album, artist), -1),
                show_ix.get(show, -1),
                length,
            ]
        )

    facts = _rows(
        con,
        "SELECT local_date, listener_id, local_hour, item_key, count(*), sum(ms), count(*) FILTER (WHERE skipped), "
        "count(skipped) FROM page_plays GROUP BY ALL ORDER BY local_date, listener_id, local_hour, item_key",
    )
    listener_ix = _index(listeners)
    columns: dict[str, list[int]] = {k: [] for k in ("d", "l", "h", "i", "n", "ms", "sk", "skn")}
    base = facts[0][0] if facts else _EPOCH
    previous = 0
    for day, lid, hour, key, n, ms, skipped, skip_known in facts:
        offset = (day - base).days
        columns["d"].append(offset - previous)  # deltas: mostly 0, one character each
        previous = offset
        columns["l"].append(listener_ix[lid])
        columns["h"].append(hour)
        columns["i"].append(item_ix[key])
        columns["n"].append(n)
        columns["ms"].append(int(ms) - n * usual[item_ix[key]])  # mostly 0: n full plays of the usual length
        columns["sk"].append(skipped)
        columns["skn"].append(skip_known)

    if len(listeners) <= 1:
        columns["l"] = []  # one listener: the page reads listener 0 for every row
    reviews = year_reviews(con, listener)
    if len(listeners) <= 1:  # one listener: their own reviews are the all-listeners ones
        reviews = [r for r in reviews if r["scope"] == "*"]
    data = {
        "listeners": listeners,
        "base": base.isoformat(),
        "genres": genres,
        "artists": artists,
        "albums": albums,
        "shows": shows,
        "items": items,
        "facts": columns,
        "reviews": reviews,
    }
    return Explore(data, reviews)


def year_reviews(con: duckdb.DuckDBPyConnection, listener: str | None = None) -> list[dict[str, Any]]:
    """One review per scope (listener id, or ``*`` for all listeners) and year, with its top-five lists."""
    where = "WHERE scope = ?" if listener else ""
    params = [listener] if listener else []
    cursor = con.execute(f"SELECT * FROM year_review {where} ORDER BY scope, year", params)  # noqa: S608
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    reviews = []
    tops: dict[tuple[str, int], dict[str, list[list[Any]]]] = {}
    for scope, year, kind, name, plays, minutes in _rows(
        con,
        f"SELECT scope, year, kind, name, plays, minutes FROM year_review_top {where} ORDER BY scope, year, kind, rank",  # noqa: S608
        params,
    ):
        tops.setdefault((scope, year), {}).setdefault(kind, []).append([name, int(minutes), plays])
    for row in rows:
        review = {
            k: (v.isoformat() if isinstance(v, date) else int(v) if isinstance(v, float) else v)
            for k, v in zip(names, row, strict=True)
        }
        review["top"] = tops.get((review["scope"], review["year"]), {})
        if listener:
            review["scope"] = "*"  # the page of one listener: their reviews are the page's "all listeners" ones
        reviews.append(review)
    return reviews
