"""The endpoint registry: every raw-zone endpoint, one declarative entry each.

An endpoint is what a raw object holds (``raw/source=<source>/endpoint=<name>/…``, docs/RAW_ZONE.md). Its
entry says who writes it (the extractor's sources, or ``spotify_lake import``), whether it is per listener or
catalogue-wide, which Spotify API paths it calls and how they page, what object each line holds, and which
curated tables it feeds through which curation step. The components iterate over this registry instead of
keeping lists of their own: the extractor's sources and unit scopes, the curation job's per-endpoint steps
and item schemas, the fuzzer, the reliability harness, and the tests that hold the emulator, Spotify's
OpenAPI definition and the record-count view to it.

Adding an endpoint is one entry here plus the code only that endpoint can have (docs/ARCHITECTURE.md,
"Add an endpoint"). Standard library only: it ships with the extractor Lambda and the Glue job alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from lake_contract.keys import HISTORY_PREFIX, LIBRARY_ENDPOINT, SOURCE_API, SOURCE_EXPORT


class Scope(StrEnum):
    """Whose data an endpoint holds: one listener's (keys carry ``listener=``) or the shared catalogue's."""

    LISTENER = "listener"
    CATALOGUE = "catalogue"


class Paging(StrEnum):
    """How the extractor walks an endpoint's API paths."""

    CURSOR = "cursor"  # ``after=<cursor>``: recently played's time cursor, or the last item seen
    OFFSET = "offset"  # ``limit``/``offset`` pages until ``next`` is null
    IDS = "ids"  # lookups of known ids: ``?ids=`` batches, one by one when batches are forbidden
    FILE = "file"  # no paging: whole export files


class Step(StrEnum):
    """What the curation job does with an endpoint's records."""

    PLAYS = "plays"  # play candidates, deduplicated and merged into ``plays``
    SNAPSHOT = "snapshot"  # rows of a keyed snapshot table (``tables[0]``), built by ``transform``
    CATALOGUE = "catalogue"  # only catalogue observations (``tracks``, ``albums``, ``artists``)
    METADATA = "metadata"  # read by another step (``YourLibrary.json`` types account-export rows)


#: The curated catalogue tables, built from every object any endpoint embeds.
CATALOGUE_TABLES: Final = ("tracks", "albums", "artists")


@dataclass(frozen=True)
class Endpoint:
    """One raw-zone endpoint.

    - ``item``: the object each record holds (``curation.raw_schemas.ITEMS`` has its Spark schema, the fuzzer
      an example of it); API items only, exports are whole files;
    - ``tables``: every curated table its records end up in, the one its step builds first;
    - ``units``: the extractor sources (``SOURCES`` of its environment) whose units write it;
    - ``paths``: the Spotify Web API paths its units call, templates with ``{id}``;
    - ``scopes``: the OAuth scopes those paths need (a listener authorizes the union of every endpoint's);
    - ``transform``: for ``Step.SNAPSHOT``, the name of the ``curation.api.SNAPSHOT_TRANSFORMS`` function that
      turns its envelopes into rows of ``tables[0]`` (endpoints sharing a transform share a table and are
      built together);
    - ``files``: for exports, the file names (a regular expression) staged under it.
    """

    name: str
    source: str
    scope: Scope
    step: Step
    tables: tuple[str, ...]
    item: str = ""
    units: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    paging: Paging = Paging.FILE
    transform: str | None = None
    files: str | None = None

    def __post_init__(self) -> None:
        if self.source not in (SOURCE_API, SOURCE_EXPORT):
            raise ValueError(f"{self.name}: source must be {SOURCE_API} or {SOURCE_EXPORT}")
        if (self.step is Step.SNAPSHOT) != (self.transform is not None):
            raise ValueError(f"{self.name}: a transform exactly when the step is {Step.SNAPSHOT}")
        if self.source == SOURCE_API and not (self.units and self.paths and self.item):
            raise ValueError(f"{self.name}: an API endpoint needs units, paths and an item")
        if self.source == SOURCE_EXPORT and not self.files:
            raise ValueError(f"{self.name}: an export endpoint needs the file names it holds")

    @property
    def is_api(self) -> bool:
        return self.source == SOURCE_API

    @property
    def per_listener(self) -> bool:
        return self.scope is Scope.LISTENER

    @property
    def export_kind(self) -> str:
        """``extended``, ``legacy``, ``account`` (``streaming_history_<kind>``) or ``library``."""
        return self.name.removeprefix(HISTORY_PREFIX)


_LISTENER, _CATALOGUE = Scope.LISTENER, Scope.CATALOGUE
_API, _EXPORT = SOURCE_API, SOURCE_EXPORT

#: A listener's endpoints in extraction order (the extractor runs a listener's sources in this order), then the
#: catalogue's. Snapshot tables are built in this order too, which fixes the order of a curation summary's lists.
ENDPOINTS: Final[tuple[Endpoint, ...]] = (
    Endpoint(
        "recently_played",
        _API,
        _LISTENER,
        Step.PLAYS,
        ("plays", *CATALOGUE_TABLES),
        item="play_history",
        units=("recently_played",),
        paths=("/v1/me/player/recently-played",),
        scopes=("user-read-recently-played",),
        paging=Paging.CURSOR,
    ),
    Endpoint(
        "top_artists",
        _API,
        _LISTENER,
        Step.SNAPSHOT,
        ("top_items", "artists"),
        item="artist",
        units=("top_items",),
        paths=("/v1/me/top/artists",),
        scopes=("user-top-read",),
        paging=Paging.OFFSET,
        transform="top_items",
    ),
    Endpoint(
        "top_tracks",
        _API,
        _LISTENER,
        Step.SNAPSHOT,
        ("top_items", *CATALOGUE_TABLES),
        item="track",
        units=("top_items",),
        paths=("/v1/me/top/tracks",),
        scopes=("user-top-read",),
        paging=Paging.OFFSET,
        transform="top_items",
    ),
    Endpoint(
        "saved_tracks",
        _API,
        _LISTENER,
        Step.SNAPSHOT,
        ("saved_tracks", *CATALOGUE_TABLES),
        item="saved_track",
        units=("saved_tracks",),
        paths=("/v1/me/tracks",),
        scopes=("user-library-read",),
        paging=Paging.OFFSET,
        transform="saved_tracks",
    ),
    Endpoint(
        "playlists",
        _API,
        _LISTENER,
        Step.SNAPSHOT,
        ("playlists",),
        item="playlist",
        units=("playlists", "configured_playlists"),
        paths=("/v1/me/playlists", "/v1/playlists/{id}"),
        scopes=("playlist-read-private", "playlist-read-collaborative"),
        paging=Paging.OFFSET,
        transform="playlists",
    ),
    Endpoint(
        "playlist_items",
        _API,
        _LISTENER,
        Step.SNAPSHOT,
        ("playlist_items", *CATALOGUE_TABLES),
        item="playlist_item",
        units=("playlists", "configured_playlists"),
        paths=("/v1/playlists/{id}/items",),
        scopes=("playlist-read-private", "playlist-read-collaborative"),
        paging=Paging.OFFSET,
        transform="playlist_items",
    ),
    Endpoint(
        "artists",
        _API,
        _CATALOGUE,
        Step.SNAPSHOT,
        ("artist_snapshots", "artists"),
        item="artist",
        units=("catalogue", "backfill"),
        paths=("/v1/artists", "/v1/artists/{id}"),
        paging=Paging.IDS,
        transform="artist_snapshots",
    ),
    Endpoint(
        "albums",
        _API,
        _CATALOGUE,
        Step.CATALOGUE,
        ("albums", "artists"),
        item="album",
        units=("catalogue", "backfill"),
        paths=("/v1/albums", "/v1/albums/{id}"),
        paging=Paging.IDS,
    ),
    Endpoint(
        "tracks",
        _API,
        _CATALOGUE,
        Step.CATALOGUE,
        CATALOGUE_TABLES,
        item="track",
        units=("catalogue", "backfill"),
        paths=("/v1/tracks", "/v1/tracks/{id}"),
        paging=Paging.IDS,
    ),
    Endpoint(
        "search",
        _API,
        _CATALOGUE,
        Step.SNAPSHOT,
        ("search_results", "artists"),
        item="search_item",
        units=("searches",),
        paths=("/v1/search",),
        paging=Paging.OFFSET,
        transform="search_results",
    ),
    Endpoint(
        f"{HISTORY_PREFIX}extended",
        _EXPORT,
        _LISTENER,
        Step.PLAYS,
        ("plays",),
        files=r"^Streaming_History_(Audio|Video)_.*\.json$",
    ),
    Endpoint(f"{HISTORY_PREFIX}legacy", _EXPORT, _LISTENER, Step.PLAYS, ("plays",), files=r"^endsong_\d+\.json$"),
    Endpoint(
        f"{HISTORY_PREFIX}account", _EXPORT, _LISTENER, Step.PLAYS, ("plays",), files=r"^StreamingHistory.*\.json$"
    ),
    Endpoint(LIBRARY_ENDPOINT, _EXPORT, _LISTENER, Step.METADATA, (), files=r"^YourLibrary\.json$"),
)

BY_NAME: Final[dict[str, Endpoint]] = {e.name: e for e in ENDPOINTS}
API_ENDPOINTS: Final[tuple[Endpoint, ...]] = tuple(e for e in ENDPOINTS if e.is_api)
#: Streaming-history exports (play files), in the order their file-name patterns are tried.
HISTORY_ENDPOINTS: Final[tuple[Endpoint, ...]] = tuple(
    e for e in ENDPOINTS if not e.is_api and e.name.startswith(HISTORY_PREFIX)
)
LISTENER_ENDPOINTS: Final = frozenset(e.name for e in API_ENDPOINTS if e.per_listener)
CATALOGUE_ENDPOINTS: Final = frozenset(e.name for e in API_ENDPOINTS if not e.per_listener)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


#: The extractor's sources (its ``SOURCES`` setting and the event's ``sources``), in extraction order.
EXTRACTOR_SOURCES: Final[tuple[str, ...]] = _unique([u for e in API_ENDPOINTS for u in e.units])
#: The OAuth scopes a listener grants at authorization: every endpoint's, in registry order.
SCOPES: Final[tuple[str, ...]] = _unique([s for e in API_ENDPOINTS for s in e.scopes])
#: The curated tables endpoints feed (not the run-scoped ``quarantine`` and ``data_quality``, nor the
#: listener-kept ``exclusions``).
FED_TABLES: Final[tuple[str, ...]] = _unique([t for e in ENDPOINTS for t in e.tables])


def endpoint(name: str) -> Endpoint:
    """The entry of endpoint ``name``; KeyError naming the known ones otherwise."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown endpoint {name!r}; known: {', '.join(BY_NAME)}") from None


def api_endpoint(name: str) -> Endpoint:
    """The entry of API endpoint ``name``; ValueError for anything else (as the extractor's key check)."""
    found = BY_NAME.get(name)
    if found is None or not found.is_api:
        raise ValueError(f"unknown raw endpoint {name!r}")
    return found


def snapshot_steps() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(transform, table, endpoints) of every snapshot table, in registry order: the curation job builds
    ``table`` with ``curation.api.<transform>`` when any of ``endpoints`` has new records."""
    steps: dict[str, tuple[str, list[str]]] = {}
    for e in API_ENDPOINTS:
        if e.transform is not None:
            steps.setdefault(e.transform, (e.tables[0], []))[1].append(e.name)
    return tuple((transform, table, tuple(names)) for transform, (table, names) in steps.items())


def endpoints_of_step(step: Step, *, source: str = SOURCE_API) -> tuple[str, ...]:
    """Names of the endpoints of ``source`` whose records take curation ``step``."""
    return tuple(e.name for e in ENDPOINTS if e.step is step and e.source == source)


def endpoints_of_unit(unit_source: str) -> tuple[Endpoint, ...]:
    """The endpoints an extractor source writes."""
    return tuple(e for e in API_ENDPOINTS if unit_source in e.units)
