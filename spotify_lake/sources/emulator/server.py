"""A loopback HTTP server speaking the Spotify Web API and accounts service, over a simulated ``World``.

Routing is a table of (method, path pattern, endpoint template, handler). Handlers return
``(status, body)`` or raise :class:`ApiError`; the request handler turns both into Spotify's wire format,
applies fault injection to ``/v1/`` requests and counts every answer in the request log.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from spotify_lake.sources.emulator.catalogue import is_valid_id
from spotify_lake.sources.emulator.faults import RESET, Faults, parse_faults
from spotify_lake.sources.emulator.objects import DEVELOPMENT, MODES, Shapes, page
from spotify_lake.sources.emulator.simulation import (
    LOCAL_FILES,
    RECENTLY_PLAYED_REACH,
    TOP_RANGES_DAYS,
    World,
    iso_ms,
    iso_s,
    parse_now,
)

logger = logging.getLogger(__name__)

CLIENT_ID = "emulator"
CLIENT_SECRET = "emulator"  # noqa: S105 - the emulator's published test credential, not a secret
ALL_SCOPES = (
    "user-read-recently-played user-top-read user-library-read playlist-read-private "
    "playlist-read-collaborative user-read-private user-read-email"
)
LOOPBACK_HOSTS = ("127.0.0.1", "::1")
_ID = r"(?P<id>[^/]+)"


class ApiError(Exception):
    """An answer in Spotify's error shape ``{"error": {"status": ..., "message": ...}}``."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class OAuthError(Exception):
    """An accounts-service error: ``{"error": code, "error_description": text}``."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass
class _Grant:
    kind: str  # "user" or "app"
    listener_index: int | None
    scopes: frozenset[str]
    expires_at: float  # time.monotonic() deadline: spotipy computes expiry from the wall clock too


@dataclass
class _AuthCode:
    client_id: str
    redirect_uri: str
    listener_index: int
    scopes: str
    code_challenge: str | None


@dataclass
class _State:
    tokens: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[int, str]] = field(default_factory=dict)  # token -> (listener, scopes)
    revoked: set[str] = field(default_factory=set)
    codes: dict[str, _AuthCode] = field(default_factory=dict)
    log: Counter = field(default_factory=Counter)
    request_number: int = 0
    token_number: int = 0


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str) -> str | None:
    """Why Spotify would refuse this redirect URI (HTTPS, or http on a loopback IP literal), or None."""
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return None
    if parts.scheme == "http" and parts.hostname == "localhost":
        return "Insecure redirect URI: use http://127.0.0.1:PORT instead of localhost"
    return "Insecure redirect URI: only https or http://127.0.0.1 loopback addresses are allowed"


class EmulatorApp:
    """The request-independent core: state, routes and handlers. One per running server."""

    def __init__(self, world: World, *, mode: str, faults: Faults, token_ttl: float):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.world = world
        self.mode = mode
        self.faults = faults
        self.token_ttl = token_ttl
        self.base_url = ""
        self._lock = threading.Lock()
        self.state = _State()
        for listener in world.listeners:
            self.state.refresh_tokens[listener.refresh_token] = (listener.index, ALL_SCOPES)
        self.routes: list[tuple[str, re.Pattern, str, Callable]] = []
        for method, pattern, handler in (
            ("GET", "/v1/me", self.me),
            ("GET", "/v1/me/player/recently-played", self.recently_played),
            ("GET", "/v1/me/top/{type}", self.top),
            ("GET", "/v1/me/tracks", self.saved_tracks),
            ("GET", "/v1/me/playlists", self.my_playlists),
            ("GET", "/v1/playlists/{id}", self.playlist),
            ("GET", "/v1/playlists/{id}/items", self.playlist_items),
            ("GET", "/v1/playlists/{id}/tracks", self.playlist_tracks),
            ("GET", "/v1/artists/{id}", self.artist),
            ("GET", "/v1/albums/{id}", self.album),
            ("GET", "/v1/tracks/{id}", self.track),
            ("GET", "/v1/artists", self.batch("artists")),
            ("GET", "/v1/albums", self.batch("albums")),
            ("GET", "/v1/tracks", self.batch("tracks")),
            ("GET", "/v1/search", self.search),
        ):
            regex = re.escape(pattern).replace(r"\{id\}", _ID).replace(r"\{type\}", r"(?P<type>[^/]+)")
            self.routes.append((method, re.compile(f"^{regex}/?$"), f"{method} {pattern}", handler))

    @property
    def api(self) -> str:
        return f"{self.base_url}/v1"

    def shapes(self) -> Shapes:
        return Shapes(self.world.catalogue, self.api, self.mode)

    # -- tokens --------------------------------------------------------------------------------
    def _new_token(self, prefix: str) -> str:
        with self._lock:
            self.state.token_number += 1
            n = self.state.token_number
        digest = hashlib.blake2b(f"{self.world.seed}:{prefix}:{n}".encode(), digest_size=24).digest()
        return prefix + base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _issue(self, kind: str, listener_index: int | None, scopes: str) -> dict:
        token = self._new_token("BQ")
        with self._lock:
            self.state.tokens[token] = _Grant(
                kind, listener_index, frozenset(scopes.split()), time.monotonic() + self.token_ttl
            )
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(self.token_ttl), "scope": scopes}

    def revoke(self, refresh_token: str) -> bool:
        with self._lock:
            known = refresh_token in self.state.refresh_tokens
            self.state.revoked.add(refresh_token)
        return known

    def token_endpoint(self, form: dict[str, str], authorization: str | None) -> dict:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except ValueError:
                raise OAuthError(400, "invalid_client", "Invalid client") from None
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "unsupported_grant_type", "grant_type parameter is missing")
        if client_id != CLIENT_ID:
            raise OAuthError(400, "invalid_client", "Invalid client")
        pkce = grant_type in ("authorization_code", "refresh_token") and client_secret is None
        if not pkce and client_secret != CLIENT_SECRET:
            raise OAuthError(400, "invalid_client", "Invalid client secret")
        if grant_type == "client_credentials":
            if pkce:
                raise OAuthError(400, "invalid_client", "Invalid client secret")
            out = self._issue("app", None, "")
            del out["scope"]
            return out
        if grant_type == "refresh_token":
            return self._refresh_grant(form.get("refresh_token", ""))
        if grant_type == "authorization_code":
            return self._code_grant(form, client_id, pkce=pkce)
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")

    def _refresh_grant(self, refresh_token: str) -> dict:
        with self._lock:
            revoked = refresh_token in self.state.revoked
            grant = self.state.refresh_tokens.get(refresh_token)
        if revoked:
            raise OAuthError(400, "invalid_grant", "Refresh token revoked")
        if grant is None:
            raise OAuthError(400, "invalid_grant", "Invalid refresh token")
        # Since 2026 the refresh response carries no new refresh token; the old one stays valid.
        return self._issue("user", grant[0], grant[1])

    def _code_grant(self, form: dict[str, str], client_id: str | None, *, pkce: bool) -> dict:
        with self._lock:
            code = self.state.codes.pop(form.get("code", ""), None)
        if code is None or code.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "Invalid authorization code")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError(400, "invalid_grant", "Invalid redirect URI")
        if pkce:
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if code.code_challenge is None or challenge != code.code_challenge:
                raise OAuthError(400, "invalid_grant", "code_verifier was incorrect")
        refresh_token = self._new_token("AQ")
        with self._lock:
            self.state.refresh_tokens[refresh_token] = (code.listener_index, code.scopes)
        return {**self._issue("user", code.listener_index, code.scopes), "refresh_token": refresh_token}

    def authorize(self, params: dict[str, str]) -> str:
        """The redirect location for an (automatically approved) authorization request."""
        if params.get("client_id") != CLIENT_ID:
            raise ApiError(400, "INVALID_CLIENT: Invalid client")
        redirect_uri = params.get("redirect_uri", "")
        problem = redirect_uri_problem(redirect_uri)
        if problem:
            raise ApiError(400, f"INVALID_CLIENT: {problem}")
        if params.get("response_type") != "code":
            raise ApiError(400, "unsupported_response_type: response_type must be code")
        challenge = params.get("code_challenge")
        if challenge is not None and params.get("code_challenge_method") != "S256":
            raise ApiError(400, "invalid_request: code_challenge_method must be S256")
        # Emulator extension: ?listener=N chooses which simulated listener signs in (default 0).
        try:
            listener_index = int(params.get("listener", "0"))
            self.world.listener(listener_index)
        except (ValueError, IndexError):
            raise ApiError(400, "invalid_request: unknown listener") from None
        requested = " ".join(sorted(set(params.get("scope", "").replace(",", " ").split())))
        code = self._new_token("AC")
        with self._lock:
            self.state.codes[code] = _AuthCode(CLIENT_ID, redirect_uri, listener_index, requested, challenge)
        query = {"code": code}
        if "state" in params:
            query["state"] = params["state"]
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return f"{redirect_uri}{separator}{urlencode(query)}"

    def grant_for(self, authorization: str | None) -> _Grant:
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, "No token provided")
        with self._lock:
            grant = self.state.tokens.get(authorization[7:].strip())
        if grant is None:
            raise ApiError(401, "Invalid access token")
        if time.monotonic() >= grant.expires_at:
            raise ApiError(401, "The access token expired")
        return grant

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _user(grant: _Grant, scope: str | None = None) -> int:
        if grant.kind != "user":
            raise ApiError(401, "Valid user authentication required")
        if scope and scope not in grant.scopes:
            raise ApiError(403, "Insufficient client scope")
        return grant.listener_index

    @staticmethod
    def _int(params: dict, name: str, default: int, low: int, high: int | None) -> int:
        raw = params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"Invalid {name}") from None
        if value < low or (high is not None and value > high):
            raise ApiError(400, f"Invalid {name}")
        return value

    def _lookup(self, kind: str, id_: str):
        if not is_valid_id(id_):
            raise ApiError(400, "Invalid base62 id")
        table = {
            "artists": self.world.catalogue.artist_by_id,
            "albums": self.world.catalogue.album_by_id,
            "tracks": self.world.catalogue.track_by_id,
        }[kind]
        entity = table.get(id_)
        if entity is None:
            raise ApiError(404, "Resource not found")
        return entity

    # -- endpoints -----------------------------------------------------------------------------
    def me(self, grant, params, match):
        listener = self.world.listener(self._user(grant))
        body = {
            "display_name": listener.display_name,
            "external_urls": {"spotify": f"https://open.spotify.com/user/{listener.user_id}"},
            "href": f"{self.api}/users/{listener.user_id}",
            "id": listener.user_id,
            "images": [],
            "type": "user",
            "uri": listener.uri,
        }
        if "user-read-private" in grant.scopes:
            body["country"] = listener.country
            body["product"] = listener.product
            body["explicit_content"] = {"filter_enabled": False, "filter_locked": False}
        if "user-read-email" in grant.scopes:
            body["email"] = listener.email
        return 200, body

    def recently_played(self, grant, params, match):
        index = self._user(grant, "user-read-recently-played")
        limit = self._int(params, "limit", 20, 1, 50)
        after = self._int(params, "after", -1, 0, None) if "after" in params else None
        before = self._int(params, "before", -1, 0, None) if "before" in params else None
        if after is not None and before is not None:
            raise ApiError(400, "Only one of after and before can be specified")
        reachable = self.world.recent_visible(index, RECENTLY_PLAYED_REACH)  # newest first
        if after is not None:
            newer = [p for p in reachable if p.end_ms > after]
            chosen = newer[-limit:]  # the plays right after the cursor, listed newest first
            more = len(newer) > len(chosen)
        else:
            older = [p for p in reachable if before is None or p.end_ms < before]
            chosen = older[:limit]
            more = len(older) > len(chosen)
        shapes = self.shapes()
        cat = self.world.catalogue
        playlists = self.world.playlists(index)
        items = []
        for play in chosen:
            track = cat.tracks[play.track]
            items.append(
                {
                    "track": shapes.track(track),
                    "played_at": iso_ms(play.end_ms),
                    "context": self._context(play, playlists, index),
                }
            )
        query = {k: v for k, v in (("after", after), ("before", before)) if v is not None}
        body = {
            "items": items,
            "next": None,
            "cursors": None,
            "limit": limit,
            "href": f"{self.api}/me/player/recently-played?{urlencode({**query, 'limit': limit})}",
        }
        if chosen:
            body["cursors"] = {"after": str(chosen[0].end_ms), "before": str(chosen[-1].end_ms)}
            if more:
                cursor = {"after": chosen[0].end_ms} if after is not None else {"before": chosen[-1].end_ms}
                body["next"] = f"{self.api}/me/player/recently-played?{urlencode({**cursor, 'limit': limit})}"
        return 200, body

    def _context(self, play, playlists, listener_index):
        cat = self.world.catalogue
        if play.context == 1:
            kind, id_ = "album", cat.albums[cat.tracks[play.track].album_index].id
        elif play.context == 2:
            kind, id_ = "artist", cat.artists[cat.tracks[play.track].artist_indexes[0]].id
        elif play.context >= 3:
            kind, id_ = "playlist", playlists[play.context - 3].id
        elif play.track % 4 == 0:
            return None  # played from search or the queue: Spotify sends "context": null
        else:  # Liked Songs
            user_id = self.world.listener(listener_index).user_id
            return {
                "type": "collection",
                "href": f"{self.api}/me/tracks",
                "external_urls": {"spotify": "https://open.spotify.com/collection/tracks"},
                "uri": f"spotify:user:{user_id}:collection",
            }
        return {
            "type": kind,
            "href": f"{self.api}/{kind}s/{id_}",
            "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{id_}"},
            "uri": f"spotify:{kind}:{id_}",
        }

    def top(self, grant, params, match):
        index = self._user(grant, "user-top-read")
        kind = match["type"]
        if kind not in ("artists", "tracks"):
            raise ApiError(400, "Unsupported type")
        time_range = params.get("time_range", "medium_term")
        if time_range not in (*TOP_RANGES_DAYS, "long_term"):
            raise ApiError(400, "Invalid time range")
        limit = self._int(params, "limit", 20, 1, 50)
        offset = self._int(params, "offset", 0, 0, None)
        ranked = self.world.top(index, kind, time_range)
        shapes = self.shapes()
        cat = self.world.catalogue
        if kind == "artists":
            items = [shapes.artist(cat.artists[i]) for i in ranked[offset : offset + limit]]
        else:
            items = [shapes.track(cat.tracks[i]) for i in ranked[offset : offset + limit]]
        return 200, page(f"{self.api}/me/top/{kind}", items, len(ranked), limit, offset, time_range=time_range)

    def saved_tracks(self, grant, params, match):
        index = self._user(grant, "user-library-read")
        limit = self._int(params, "limit", 20, 1, 50)
        offset = self._int(params, "offset", 0, 0, None)
        saved = self.world.saved_tracks(index)
        shapes = self.shapes()
        cat = self.world.catalogue
        items = [
            {"added_at": iso_s(ms), "track": shapes.track(cat.tracks[t])} for ms, t in saved[offset : offset + limit]
        ]
        return 200, page(f"{self.api}/me/tracks", items, len(saved), limit, offset)

    def _playlist_summary(self, playlist) -> dict:
        owner = {
            "external_urls": {"spotify": f"https://open.spotify.com/user/{playlist.owner_id}"},
            "href": f"{self.api}/users/{playlist.owner_id}",
            "id": playlist.owner_id,
            "type": "user",
            "uri": f"spotify:user:{playlist.owner_id}",
            "display_name": playlist.owner_name,
        }
        items_ref = {"href": f"{self.api}/playlists/{playlist.id}/items", "total": playlist.size}
        return {
            "collaborative": playlist.collaborative,
            "description": playlist.description,
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist.id}"},
            "href": f"{self.api}/playlists/{playlist.id}",
            "id": playlist.id,
            "images": [],
            "name": playlist.name,
            "owner": owner,
            "public": playlist.public,
            "snapshot_id": playlist.snapshot_id,
            "items": items_ref,
            "tracks": dict(items_ref),
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist.id}",
        }

    def my_playlists(self, grant, params, match):
        index = self._user(grant)
        limit = self._int(params, "limit", 20, 1, 50)
        offset = self._int(params, "offset", 0, 0, 100_000)
        playlists = self.world.playlists(index)
        items = [self._playlist_summary(p) for p in playlists[offset : offset + limit]]
        return 200, page(f"{self.api}/me/playlists", items, len(playlists), limit, offset)

    def playlist_items(self, grant, params, match):
        """``GET /playlists/{id}/items``: pages of at most 50 (``limit=100`` is a 400, as Spotify answers)."""
        return self._playlist_page(grant, params, match, path="items", key="item", max_limit=50, default=20)

    def playlist_tracks(self, grant, params, match):
        """``GET /playlists/{id}/tracks``, deprecated: 403 for development-mode apps since the February 2026
        changes; extended-quota apps still get it, with ``track`` entries and pages of up to 100."""
        if self.mode == DEVELOPMENT:
            self._user(grant)
            raise ApiError(403, "Forbidden")
        return self._playlist_page(grant, params, match, path="tracks", key="track", max_limit=100, default=100)

    def playlist(self, grant, params, match):
        """``GET /playlists/{id}``: the playlist object (what configured playlists, PLAYLIST_IDS, fetch).

        Any playlist a listener follows is readable by its listeners, a public one by everyone; a private one
        of someone else is a 404, as for a playlist that does not exist. The first page of entries comes only
        for playlists the listener owns or collaborates on (Spotify's definition: ``items`` "is only available
        for playlists owned by the current user or playlists the user is a collaborator of"; other playlists'
        entries are a 403 on ``/items``). ``items`` holds a page of 50 (the most ``/items`` serves); the
        deprecated ``tracks`` page of up to 100 only for extended-quota apps, whose ``/tracks`` still works.
        """
        index = self._user(grant)
        if not is_valid_id(match["id"]):
            raise ApiError(400, "Invalid base62 id")
        found = self.world.playlist(match["id"])
        if found is None or (found[0] != index and not found[1].public):
            raise ApiError(404, "Resource not found")
        owner_index, playlist = found
        body = self._playlist_summary(playlist)
        del body["items"], body["tracks"]
        if owner_index == index and (playlist.owned_by_listener or playlist.collaborative):
            body["items"] = self._entries_page(playlist, path="items", key="item", limit=50, offset=0)
            if self.mode != DEVELOPMENT:
                body["tracks"] = self._entries_page(playlist, path="tracks", key="track", limit=100, offset=0)
        return 200, body

    def _playlist_page(self, grant, params, match, *, path: str, key: str, max_limit: int, default: int):
        index = self._user(grant)
        if not is_valid_id(match["id"]):
            raise ApiError(400, "Invalid base62 id")
        found = self.world.playlist(match["id"])
        if found is None:
            raise ApiError(404, "Resource not found")
        owner_index, playlist = found
        if owner_index != index or not (playlist.owned_by_listener or playlist.collaborative):
            raise ApiError(403, "Forbidden")
        limit = self._int(params, "limit", default, 1, max_limit)
        offset = self._int(params, "offset", 0, 0, None)
        return 200, self._entries_page(playlist, path=path, key=key, limit=limit, offset=offset)

    def _entries_page(self, playlist, *, path: str, key: str, limit: int, offset: int) -> dict:
        """A page of a playlist's entries (tracks, episodes, local files), each under ``key`` (item or track)."""
        shapes = self.shapes()
        cat = self.world.catalogue
        adder = playlist.owner_id
        added_by = {
            "external_urls": {"spotify": f"https://open.spotify.com/user/{adder}"},
            "href": f"{self.api}/users/{adder}",
            "id": adder,
            "type": "user",
            "uri": f"spotify:user:{adder}",
        }
        items = []
        for kind, k, added_ms in playlist.entries()[offset : offset + limit]:
            if kind == "local":
                entry = shapes.local_track(*LOCAL_FILES[k])
            elif kind == "episode":
                entry = shapes.episode(cat.episodes[k])
            else:
                entry = shapes.track(cat.tracks[k])
            items.append({"added_at": iso_s(added_ms), "added_by": added_by, "is_local": kind == "local", key: entry})
        return page(f"{self.api}/playlists/{playlist.id}/{path}", items, playlist.size, limit, offset)

    def artist(self, grant, params, match):
        return 200, self.shapes().artist(self._lookup("artists", match["id"]))

    def album(self, grant, params, match):
        return 200, self.shapes().album(self._lookup("albums", match["id"]))

    def track(self, grant, params, match):
        return 200, self.shapes().track(self._lookup("tracks", match["id"]))

    def batch(self, kind: str, maximum: int | None = None):
        limit = maximum or (20 if kind == "albums" else 50)

        def handler(grant, params, match):
            if self.mode == DEVELOPMENT:
                # Batch lookups were withdrawn from development-mode apps in February 2026.
                raise ApiError(403, "Forbidden")
            raw = params.get("ids")
            if not raw:
                raise ApiError(400, "invalid id")
            ids = raw.split(",")
            if len(ids) > limit:
                raise ApiError(400, "Too many ids requested")
            shapes = self.shapes()
            build = {"artists": shapes.artist, "albums": shapes.album, "tracks": shapes.track}[kind]
            table = {
                "artists": self.world.catalogue.artist_by_id,
                "albums": self.world.catalogue.album_by_id,
                "tracks": self.world.catalogue.track_by_id,
            }[kind]
            out = []
            for id_ in ids:
                if not is_valid_id(id_):
                    raise ApiError(400, "Invalid base62 id")
                entity = table.get(id_)
                out.append(build(entity) if entity else None)  # unknown ids come back as null entries
            return 200, {kind: out}

        return handler

    def search(self, grant, params, match):
        q = params.get("q", "").strip()
        if not q:
            raise ApiError(400, "No search query")
        types = [t for t in params.get("type", "").split(",") if t]
        if not types:
            raise ApiError(400, "Missing parameter type")
        valid = ("album", "artist", "playlist", "track", "show", "episode", "audiobook")
        for t in types:
            if t not in valid:
                raise ApiError(400, "Bad search type field " + t)
        limit = self._int(params, "limit", 5, 0, 10)
        offset = self._int(params, "offset", 0, 0, 1000)
        filters, words = _parse_query(q)
        cat = self.world.catalogue
        shapes = self.shapes()
        body = {}
        base = f"{self.api}/search"
        for t in types:
            if t == "artist":
                hits = [a for a in cat.artists if _matches_artist(a, filters, words)]
                hits.sort(key=lambda a: (-a.popularity, a.index))
                items = [shapes.artist(a) for a in hits[offset : offset + limit]]
            elif t == "track":
                hits = [x for x in cat.tracks if _matches_track(cat, x, filters, words)]
                hits.sort(key=lambda x: (-x.popularity, x.index))
                items = [shapes.track(x) for x in hits[offset : offset + limit]]
            elif t == "album":
                hits = [b for b in cat.albums if _matches_album(cat, b, filters, words)]
                hits.sort(key=lambda b: (-b.popularity, b.index))
                items = [shapes.simplified_album(b) for b in hits[offset : offset + limit]]
            else:  # no playlists, shows, episodes or audiobooks in the searchable catalogue
                hits, items = [], []
            body[t + "s"] = page(base, items, len(hits), limit, offset, q=q, type=t)
        return 200, body


_FILTER = re.compile(r'(\w+):("[^"]*"|\S+)')


def _parse_query(q: str) -> tuple[dict[str, str], list[str]]:
    filters = {k.lower(): v.strip('"').lower() for k, v in _FILTER.findall(q)}
    rest = _FILTER.sub(" ", q)
    return filters, [w.lower() for w in rest.split()]


def _year_ok(year: int, spec: str | None) -> bool:
    if not spec:
        return True
    low, _, high = spec.partition("-")
    try:
        return int(low) <= year <= int(high or low)
    except ValueError:
        return False


def _text_ok(name: str, words: list[str]) -> bool:
    lowered = name.lower()
    return all(w in lowered for w in words)


def _matches_artist(artist, filters, words) -> bool:
    if "genre" in filters and filters["genre"] not in artist.genres:
        return False
    if "artist" in filters and filters["artist"] not in artist.name.lower():
        return False
    return _text_ok(artist.name, words)


def _matches_album(cat, album, filters, words) -> bool:
    artist = cat.artists[album.artist_index]
    if "artist" in filters and filters["artist"] not in artist.name.lower():
        return False
    if "album" in filters and filters["album"] not in album.name.lower():
        return False
    if "upc" in filters and filters["upc"] != album.upc:
        return False
    return _year_ok(album.release_year, filters.get("year")) and _text_ok(f"{album.name} {artist.name}", words)


def _matches_track(cat, track, filters, words) -> bool:
    album = cat.albums[track.album_index]
    artist = cat.artists[track.artist_indexes[0]]
    if "genre" in filters and filters["genre"] not in artist.genres:
        return False
    if "artist" in filters and filters["artist"] not in artist.name.lower():
        return False
    if "album" in filters and filters["album"] not in album.name.lower():
        return False
    if "track" in filters and filters["track"] not in track.name.lower():
        return False
    if "isrc" in filters and filters["isrc"] != track.isrc.lower():
        return False
    return _year_ok(album.release_year, filters.get("year")) and _text_ok(f"{track.name} {artist.name}", words)


class _Handler(BaseHTTPRequestHandler):
    server_version = "spotify-lake-emulator/1"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two sends; with Nagle on, every answer would wait ~40 ms for the
    # client's delayed ACK.
    disable_nagle_algorithm = True
    app: EmulatorApp  # set on the subclass made per server

    def log_message(self, format, *args):
        logger.debug("emulator %s", format % args)

    def _send(self, status: int, body, headers: dict | None = None, content_type: str = "application/json"):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type if data else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _count(self, template: str, status: int) -> None:
        with self.app._lock:
            self.app.state.log[(template, status)] += 1

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body = self._read_body()
        if path.startswith("/_emulator/"):
            self._control(method, path, body, params)
        elif path == "/api/token":
            self._token(method, body)
        elif path == "/authorize":
            self._authorize(method, params)
        elif path.startswith("/v1/"):
            self._api(method, path, params)
        else:
            self._count(f"{method} <unknown>", 404)
            self._send(404, {"error": {"status": 404, "message": "Service not found"}})

    def _api(self, method: str, path: str, params: dict) -> None:
        app = self.app
        template, handler, match = f"{method} <unknown>", None, None
        for route_method, regex, route_template, route_handler in app.routes:
            found = regex.match(path)
            if found:
                template = route_template
                if route_method == method:
                    handler, match = route_handler, found
                    break
        with app._lock:
            app.state.request_number += 1
            number = app.state.request_number
            faults = app.faults
        fault = faults.decide(app.world.seed, number)
        if fault is not None:
            kind, status = fault
            self._count(template, status)
            if kind == RESET:
                self.close_connection = True  # hang up without an answer, like a dropped connection
                return
            headers = {"Retry-After": str(faults.retry_after)} if status == 429 else {}
            message = "API rate limit exceeded" if status == 429 else "Server error"
            self._send(status, {"error": {"status": status, "message": message}}, headers)
            return
        try:
            grant = app.grant_for(self.headers.get("Authorization"))
            if handler is None:
                raise ApiError(405 if template != f"{method} <unknown>" else 404, "Service not found")
            status, body = handler(grant, params, match)
            self._count(template, status)
            self._send(status, body)
        except ApiError as exc:
            self._count(template, exc.status)
            headers = {"WWW-Authenticate": 'Bearer realm="spotify"'} if exc.status == 401 else {}
            self._send(exc.status, {"error": {"status": exc.status, "message": exc.message}}, headers)
        except Exception:
            # An emulator bug must surface as a visible 500 in tests, not as a dropped connection.
            logger.exception("emulator handler failed for %s %s", method, path)
            self._count(template, 500)
            self._send(500, {"error": {"status": 500, "message": "Emulator internal error"}})

    def _token(self, method: str, body: bytes) -> None:
        if method != "POST":
            self._count(f"{method} /api/token", 405)
            self._send(405, {"error": "invalid_request", "error_description": "Only POST is supported"})
            return
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        try:
            answer = self.app.token_endpoint(form, self.headers.get("Authorization"))
            self._count("POST /api/token", 200)
            self._send(200, answer)
        except OAuthError as exc:
            self._count("POST /api/token", exc.status)
            self._send(exc.status, {"error": exc.error, "error_description": exc.description})

    def _authorize(self, method: str, params: dict) -> None:
        try:
            location = self.app.authorize(params)
        except ApiError as exc:
            self._count(f"{method} /authorize", 400)
            self._send(400, exc.message.encode(), content_type="text/plain; charset=utf-8")
            return
        self._count(f"{method} /authorize", 303)
        self._send(303, None, {"Location": location})

    def _control(self, method: str, path: str, body: bytes, params: dict) -> None:
        app = self.app
        try:
            payload = json.loads(body) if body else {}
            if not isinstance(payload, dict):
                raise ValueError("the body must be a JSON object")
            answer = app_control(app, method, path.removeprefix("/_emulator/").rstrip("/"), payload, params)
        except (ValueError, TypeError, IndexError) as exc:
            self._send(400, {"error": {"status": 400, "message": str(exc)}})
            return
        if answer is None:
            self._send(404, {"error": {"status": 404, "message": "unknown control endpoint"}})
        else:
            self._send(200, answer)


def state_summary(app: EmulatorApp) -> dict:
    return {
        "now": iso_ms(app.world.now_ms),
        "seed": app.world.seed,
        "days": app.world.days,
        "mode": app.mode,
        "faults": app.faults.spec(),
        "token_ttl": app.token_ttl,
        "listeners": [
            {"index": x.index, "user_id": x.user_id, "display_name": x.display_name, "country": x.country}
            for x in app.world.listeners
        ],
    }


def app_control(app: EmulatorApp, method: str, name: str, payload: dict, params: dict) -> dict | None:
    """The ``/_emulator/*`` control endpoints (not part of Spotify's API)."""
    if (method, name) == ("GET", "state"):
        return state_summary(app)
    if (method, name) == ("POST", "clock"):
        if "now" in payload:
            target = parse_now(payload["now"])
            seconds = (target.timestamp() * 1000 - app.world.now_ms) / 1000
        else:
            seconds = float(payload.get("advance_seconds", 0))
        app.world.advance(seconds=seconds)
        return {"now": iso_ms(app.world.now_ms)}
    if (method, name) == ("GET", "requests"):
        with app._lock:
            log = sorted(app.state.log.items())
        return {"requests": [{"endpoint": e, "status": s, "count": c} for (e, s), c in log]}
    if (method, name) == ("POST", "reset-log"):
        with app._lock:
            app.state.log.clear()
        return {"ok": True}
    if (method, name) == ("POST", "revoke"):
        token = payload.get("refresh_token")
        if not isinstance(token, str):
            raise ValueError("refresh_token is required")
        return {"revoked": True, "known": app.revoke(token)}
    if (method, name) == ("POST", "faults"):
        app.faults = parse_faults(str(payload.get("spec", "")))
        return {"faults": app.faults.spec()}
    if (method, name) == ("GET", "plays"):
        index = int(params.get("listener", "0"))
        return {"plays": list(app.world.play_dicts(index))}
    return None


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(app: EmulatorApp, host: str, port: int) -> EmulatorServer:
    if host not in LOOPBACK_HOSTS and not _is_loopback(host):
        raise ValueError(f"the emulator only listens on loopback addresses, not {host!r}")
    handler = type("EmulatorHandler", (_Handler,), {"app": app})
    server_class = (
        type("EmulatorServer6", (EmulatorServer,), {"address_family": socket.AF_INET6})
        if ":" in host
        else EmulatorServer
    )
    server = server_class((host, port), handler)
    bound_port = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    app.base_url = f"http://{shown}:{bound_port}"
    return server
