"""The units of work, one function per source. Each takes the run context, an API view and a result to
fill, writes raw objects, commits state only after the objects it covers are written, and raises on
failure (the orchestrator records the failure and moves on to the next unit)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import spotipy

from extraction.api import SpotifyApi
from extraction.errors import ApiError, ExtractorError, MalformedResponse
from extraction.state import KnownIds, cursor_key
from extraction.units import RunContext, UnitResult, UnitWriter, require_items
from lake_contract.summaries import Gap

PAGE = 50  # the largest page Spotify serves for the listener endpoints
SEARCH_PAGE = 10  # search limit since the 2026 development-mode changes
TIME_RANGES = ("short_term", "medium_term", "long_term")
BATCH_SIZES = {"artists": 50, "albums": 20, "tracks": 50}


def _ms(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _listener_of(result: UnitResult) -> str:
    """The listener of a listener-scoped unit (its state is kept per listener)."""
    if result.listener_id is None:
        raise ExtractorError(f"{result.source} is a listener's unit and needs a listener id")
    return result.listener_id


def _stamped_page(api: SpotifyApi, writer: UnitWriter, result: UnitResult, where: tuple, fetch, stamp: tuple):
    """(page, items, each item's timestamp in ms) of one page of a time-ordered list.

    ``where`` is (endpoint, path, params) and ``stamp`` (what the list is, what an item is, its timestamp
    field). A malformed page, or an item without a readable timestamp, is quarantined and then raised.
    """
    endpoint, path, params = where
    listing, what, field = stamp
    try:
        page = api.call(f"GET {path}", fetch, result.stats)
        items = require_items(page, listing, lambda: api.last_body())
        return page, items, [_ms(item[field]) for item in items]
    except MalformedResponse as exc:
        writer.quarantine(endpoint, path, params, exc)
        raise
    except (KeyError, TypeError, ValueError):
        unreadable = MalformedResponse(f"{what} without a readable {field}", status=200, body=api.last_body())
        writer.quarantine(endpoint, path, params, unreadable)
        raise unreadable from None


# --- recently played -------------------------------------------------------------------------------------


def recently_played(ctx: RunContext, api: SpotifyApi, result: UnitResult) -> list:
    """Plays after the committed cursor; the cursor moves only once the object holding them is written.

    Spotify keeps only the 50 most recent plays. A full page whose oldest play is still newer than the
    cursor means plays between the two may have been pushed out of reach: reported as a gap.
    """
    doc = ctx.state.load(cursor_key(_listener_of(result), "recently_played"))
    writer = UnitWriter(ctx, result, start_seq=doc.resume_seq(ctx.run_id))
    after = doc.value.get("after_ms")
    path = "/v1/me/player/recently-played"
    written: list = []
    while True:
        params = {"limit": PAGE} if after is None else {"limit": PAGE, "after": after}
        _page, items, played = _stamped_page(
            api,
            writer,
            result,
            ("recently_played", path, params),
            lambda sp, a=after: sp.current_user_recently_played(limit=PAGE, after=a),
            ("recently played", "recently played item", "played_at"),
        )
        fresh = [
            (item, i) for i, (item, ms) in enumerate(zip(items, played, strict=True)) if after is None or ms > after
        ]
        if not fresh:
            return written
        if after is not None and len(items) >= PAGE and min(played) > after and result.gap is None:
            result.gap = Gap(
                cursor=_iso_ms(after),
                oldest_returned=_iso_ms(min(played)),
                detail="50-play page full and its oldest play is newer than the cursor: "
                "plays in between may be beyond Spotify's reach",
            )
        prov = writer.provenance("recently_played", path, params)
        writer.write(prov, [item for item, _ in fresh], [i for _, i in fresh])
        written.extend(item for item, _ in fresh)
        newest = max(played)
        doc = ctx.state.commit(
            doc,
            {"after_ms": newest, "run_id": ctx.run_id, "next_seq": writer.seq, "updated_at": ctx.now_iso()},
        )
        if after is None or len(items) < PAGE or newest == after:
            # Without a cursor the page is already the newest plays; a short page has nothing beyond it.
            return written
        after = newest


# --- dated snapshots -----------------------------------------------------------------------------------


def _paged(
    ctx: RunContext,
    api: SpotifyApi,
    result: UnitResult,
    writer: UnitWriter,
    *,
    endpoint: str,
    template: str,
    path: str,
    fetch,
    base_params: dict,
    page_size: int = PAGE,
    parent: dict | None = None,
    max_pages: int = 200,
) -> list:
    """Walk offset pages, one raw object per page; returns every item seen."""
    seen: list = []
    offset = 0
    for _ in range(max_pages):
        params = {**base_params, "limit": page_size, "offset": offset}
        try:

            def one_page(sp: spotipy.Spotify, o: int = offset) -> object:
                return fetch(sp, o)

            page = api.call(template, one_page, result.stats)
            items = require_items(page, endpoint, lambda: api.last_body())
        except MalformedResponse as exc:
            writer.quarantine(endpoint, path, params, exc)
            raise
        writer.write(writer.provenance(endpoint, path, params, parent), items, list(range(offset, offset + len(items))))
        seen.extend(items)
        offset += len(items)
        if not items or not page.get("next"):
            break
    return seen


def top_items(ctx: RunContext, api: SpotifyApi, result: UnitResult, *, kind: str, time_range: str) -> list:
    writer = UnitWriter(ctx, result)
    return _paged(
        ctx,
        api,
        result,
        writer,
        endpoint=f"top_{kind}",
        template=f"GET /v1/me/top/{kind}",
        path=f"/v1/me/top/{kind}",
        fetch=lambda sp, o: getattr(sp, f"current_user_top_{kind}")(limit=PAGE, offset=o, time_range=time_range),
        base_params={"time_range": time_range},
    )


def playlists(ctx: RunContext, api: SpotifyApi, result: UnitResult) -> list:
    writer = UnitWriter(ctx, result)
    return _paged(
        ctx,
        api,
        result,
        writer,
        endpoint="playlists",
        template="GET /v1/me/playlists",
        path="/v1/me/playlists",
        fetch=lambda sp, o: sp.current_user_playlists(limit=PAGE, offset=o),
        base_params={},
    )


def playlist_items(ctx: RunContext, api: SpotifyApi, result: UnitResult, *, playlist: dict) -> list:
    writer = UnitWriter(ctx, result)
    playlist_id = playlist["id"]
    parent = {"playlist_id": playlist_id}
    if playlist.get("snapshot_id"):
        parent["snapshot_id"] = playlist["snapshot_id"]
    return _paged(
        ctx,
        api,
        result,
        writer,
        endpoint="playlist_items",
        template="GET /v1/playlists/{id}/items",
        path=f"/v1/playlists/{playlist_id}/items",
        fetch=lambda sp, o: sp.playlist_items(playlist_id, limit=PAGE, offset=o, additional_types=("track", "episode")),
        base_params={"additional_types": "track,episode"},
        parent=parent,
    )


def configured_playlist(ctx: RunContext, api: SpotifyApi, result: UnitResult, *, playlist_id: str) -> dict:
    """The playlist object of a configured playlist (written under ``playlists``)."""
    writer = UnitWriter(ctx, result)
    path = f"/v1/playlists/{playlist_id}"
    try:
        playlist = api.call("GET /v1/playlists/{id}", lambda sp: sp.playlist(playlist_id), result.stats)
        if not isinstance(playlist.get("id"), str):
            raise MalformedResponse("playlist without an id", status=200, body=api.last_body())
    except MalformedResponse as exc:
        writer.quarantine("playlists", path, {}, exc)
        raise
    writer.write(writer.provenance("playlists", path, {}), [playlist], [0])
    return playlist


def search(ctx: RunContext, api: SpotifyApi, result: UnitResult, *, q: str, kind: str, pages: int) -> list:
    writer = UnitWriter(ctx, result)
    seen: list = []
    for page_index in range(pages):
        offset = page_index * SEARCH_PAGE
        params = {"q": q, "type": kind, "limit": SEARCH_PAGE, "offset": offset}
        try:

            def one_page(sp: spotipy.Spotify, o: int = offset) -> object:
                return sp.search(q=q, limit=SEARCH_PAGE, offset=o, type=kind)

            answer = api.call("GET /v1/search", one_page, result.stats)
            items = require_items(answer.get(f"{kind}s"), "search", lambda: api.last_body())
        except MalformedResponse as exc:
            writer.quarantine("search", "/v1/search", params, exc)
            raise
        writer.write(writer.provenance("search", "/v1/search", params), items, list(range(offset, offset + len(items))))
        seen.extend(items)
        if len(items) < SEARCH_PAGE or not answer[f"{kind}s"].get("next"):
            break
    return seen


def search_unit_name(q: str, kind: str) -> str:
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9]+", "_", q).strip("_").lower()[:60]


# --- saved tracks (incremental by added_at) ------------------------------------------------------------


def saved_tracks(ctx: RunContext, api: SpotifyApi, result: UnitResult) -> list:
    """Tracks saved since the committed ``added_at`` high-water mark (Spotify lists newest first).

    The mark moves only after every newer page is written; a checkpoint in between re-reads them next run.
    """
    doc = ctx.state.load(cursor_key(_listener_of(result), "saved_tracks"))
    writer = UnitWriter(ctx, result, start_seq=doc.resume_seq(ctx.run_id))
    latest = doc.value.get("latest_added_at")
    latest_ms = _ms(latest) if latest else None
    boundary = set(doc.value.get("boundary_ids", []))
    path = "/v1/me/tracks"
    offset = 0
    new_items: list = []
    while True:
        params = {"limit": PAGE, "offset": offset}
        page, items, added = _stamped_page(
            api,
            writer,
            result,
            ("saved_tracks", path, params),
            lambda sp, o=offset: sp.current_user_saved_tracks(limit=PAGE, offset=o),
            ("saved tracks", "saved track", "added_at"),
        )
        fresh, reached_known = [], False
        for index, (item, ms) in enumerate(zip(items, added, strict=True)):
            track_id = (item.get("track") or {}).get("id")
            if latest_ms is not None and (ms < latest_ms or (ms == latest_ms and track_id in boundary)):
                reached_known = True
                break
            fresh.append((item, offset + index))
        writer.write(writer.provenance("saved_tracks", path, params), [i for i, _ in fresh], [p for _, p in fresh])
        new_items.extend(item for item, _ in fresh)
        offset += len(items)
        if reached_known or not items or not page.get("next"):
            break
    if new_items:
        newest = max(_ms(item["added_at"]) for item in new_items)
        ids_at_newest = sorted(
            (item.get("track") or {}).get("id") or "" for item in new_items if _ms(item["added_at"]) == newest
        )
        if latest_ms == newest:
            ids_at_newest = sorted(set(ids_at_newest) | boundary)
        ctx.state.commit(
            doc,
            {
                "latest_added_at": _iso_ms(newest),
                "boundary_ids": ids_at_newest,
                "run_id": ctx.run_id,
                "next_seq": writer.seq,
                "updated_at": ctx.now_iso(),
            },
        )
    return new_items


#: The units of the listener sources that are one endpoint and one unit per listener, by endpoint
#: (``extraction.run`` runs them in the registry's order; the fan-out sources have their own methods there).
LISTENER_UNITS: dict[str, Callable[[RunContext, SpotifyApi, UnitResult], list]] = {
    "recently_played": recently_played,
    "saved_tracks": saved_tracks,
}


# --- catalogue details -----------------------------------------------------------------------------------


class _References:
    """The catalogue ids met while walking raw items, per kind, with whether each needs its details fetched.

    A class because the visits recurse (a track embeds an album and artists, an album embeds artists) and
    all of them fill the same table; an id once marked as lacking details stays marked.
    """

    def __init__(self) -> None:
        self.found: dict[str, dict[str, bool]] = {"artists": {}, "albums": {}, "tracks": {}}

    def item(self, item) -> None:
        """A raw item: a play or a saved entry (its track), or a catalogue object (artist, album, track)."""
        if not isinstance(item, dict):
            return
        if "played_at" in item or "added_at" in item:
            self.track(item.get("track") or item.get("item"))
        elif item.get("type") == "artist":
            self.artist(item)
        elif item.get("type") == "album":
            self.album(item)
        elif item.get("type") == "track":
            self.track(item)

    def track(self, track) -> None:
        """A track (not an episode); its details are needed when the name, album or artists are missing."""
        if not isinstance(track, dict) or track.get("type", "track") != "track" or not track.get("id"):
            return
        lacks = not track.get("name") or not isinstance(track.get("album"), dict) or "artists" not in track
        self._mark("tracks", track["id"], lacks)
        self.album(track.get("album"))
        for artist in track.get("artists") or []:
            self.artist(artist)

    def album(self, album) -> None:
        """An album; its details are needed when the name or release date is missing."""
        if not isinstance(album, dict) or not album.get("id"):
            return
        lacks = not album.get("name") or not album.get("release_date")
        self._mark("albums", album["id"], lacks)
        for artist in album.get("artists") or []:
            self.artist(artist)

    def artist(self, artist) -> None:
        """An artist: embedded artists are always simplified, so every one needs its details."""
        if isinstance(artist, dict) and artist.get("id"):
            self.found["artists"][artist["id"]] = True

    def _mark(self, kind: str, item_id: str, lacks: bool) -> None:
        self.found[kind][item_id] = self.found[kind].get(item_id, False) or lacks


def referenced_ids(items: Iterable) -> dict[str, dict[str, bool]]:
    """Catalogue ids referenced by raw items, per kind, with whether the embedded object lacks details.

    ``{"artists": {id: True}, "albums": {id: needs_fetch}, "tracks": {id: needs_fetch}}``: every artist
    needs its details (embedded artists are simplified); albums and tracks only when the embedded object
    is missing the fields curation needs.
    """
    references = _References()
    for item in items:
        references.item(item)
    return references.found


class _PendingDetails:
    """Fetched details not yet written, and the ids they cover (a 404 covers an id without an object).

    Flushing writes the objects first and only then commits the ids as known, so a crash in between
    fetches them again rather than losing them.
    """

    def __init__(self, ctx: RunContext, writer: UnitWriter, known: KnownIds, kind: str) -> None:
        self.ctx, self.writer, self.known, self.kind = ctx, writer, known, kind
        self.records: list = []  # (provenance, item, position): each detail keeps the request that fetched it
        self.ids: list[str] = []

    def flush(self) -> None:
        self.writer.write_records(self.kind, list(self.records))
        if self.ids:
            self.known.add(list(self.ids), run_id=self.ctx.run_id, next_seq=self.writer.seq)
        self.records.clear()
        self.ids.clear()


def fetch_batch(api: SpotifyApi, writer: UnitWriter, result: UnitResult, kind: str, chunk: list[str]) -> list:
    """The objects of one batch lookup (``/v1/{kind}?ids=``), None for ids Spotify does not know. A malformed
    answer is quarantined and raised; an ApiError (a 403 means batch lookups are forbidden) propagates."""
    params = {"ids": ",".join(chunk)}

    def batch(sp: spotipy.Spotify, c: list[str] = chunk) -> object:
        return getattr(sp, kind)(c)

    try:
        answer = api.call(f"GET /v1/{kind}", batch, result.stats)
        objects = answer.get(kind) if isinstance(answer, dict) else None
        if not isinstance(objects, list):
            raise MalformedResponse(f"{kind} batch without a '{kind}' list", status=200, body=api.last_body())
    except MalformedResponse as exc:
        writer.quarantine(kind, f"/v1/{kind}", params, exc)
        raise
    return objects


def _keep_batch(writer: UnitWriter, result: UnitResult, pending: _PendingDetails, chunk: list[str], objects: list):
    """Queue a batch's objects (in request order, all under the batch request's provenance); every id of the
    chunk is covered, and one without an object is counted as not found."""
    prov = writer.provenance(pending.kind, f"/v1/{pending.kind}", {"ids": ",".join(chunk)})
    for position, (item_id, obj) in enumerate(zip(chunk, objects, strict=False)):
        if obj is None:
            result.skipped["not found"] += 1
        else:
            pending.records.append((prov, obj, position))
        pending.ids.append(item_id)


def fetch_one(api: SpotifyApi, writer: UnitWriter, result: UnitResult, kind: str, item_id: str) -> dict:
    """The object of one lookup by id (``/v1/{kind}/{id}``). A malformed answer (not the requested object) is
    quarantined and raised; an ApiError (404 or 400: an id Spotify does not know) propagates."""
    singular = kind[:-1]
    path = f"/v1/{kind}/{item_id}"

    def single(sp: spotipy.Spotify, i: str = item_id) -> object:
        return getattr(sp, singular)(i)

    try:
        obj = api.call(f"GET /v1/{kind}/{{id}}", single, result.stats)
        if not isinstance(obj, dict) or obj.get("id") != item_id:
            raise MalformedResponse(f"{singular} response without the requested id", status=200, body=api.last_body())
    except MalformedResponse as exc:
        writer.quarantine(kind, path, {}, exc)
        raise
    return obj


def _fetch_single(api: SpotifyApi, writer: UnitWriter, result: UnitResult, pending: _PendingDetails, item_id: str):
    """Fetch and queue one object by id (:func:`fetch_one`). A 404 or 400 counts as not found and still covers
    the id (asking again would only fail again)."""
    kind = pending.kind
    try:
        obj = fetch_one(api, writer, result, kind, item_id)
        pending.records.append((writer.provenance(kind, f"/v1/{kind}/{item_id}", {}), obj, 0))
    except ApiError as exc:
        if exc.status not in (404, 400):
            raise
        result.skipped["not found"] += 1  # remembered as known: asking again would only 404 again
    pending.ids.append(item_id)


def catalogue_details(
    ctx: RunContext,
    api: SpotifyApi,
    result: UnitResult,
    *,
    kind: str,
    candidate_ids: list[str],
    batch_allowed: bool,
    on_batch_forbidden,
    flush_every: int = 50,
) -> bool:
    """Fetch details of ``kind`` ids not yet known; returns whether batch lookups are (still) allowed.

    Batch (``/artists?ids=``) first when allowed; a 403 switches to one-by-one for the rest of the run and
    is remembered via ``on_batch_forbidden``. Known ids are committed after each written object.
    """
    known = KnownIds(ctx.state, kind)
    todo = [i for i in dict.fromkeys(candidate_ids) if not known.is_known(i)]
    writer = UnitWriter(ctx, result, start_seq=known.doc.resume_seq(ctx.run_id))
    pending = _PendingDetails(ctx, writer, known, kind)

    index = 0
    while index < len(todo):
        if batch_allowed:
            chunk = todo[index : index + BATCH_SIZES[kind]]
            try:
                objects = fetch_batch(api, writer, result, kind, chunk)
            except ApiError as exc:
                if exc.status == 403:
                    batch_allowed = False
                    on_batch_forbidden()
                    continue
                raise
            _keep_batch(writer, result, pending, chunk, objects)
            index += len(chunk)
        else:
            _fetch_single(api, writer, result, pending, todo[index])
            index += 1
        if len(pending.ids) >= flush_every:
            pending.flush()
    pending.flush()
    return batch_allowed
