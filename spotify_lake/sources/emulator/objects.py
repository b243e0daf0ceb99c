"""Spotify Web API JSON shapes for catalogue entities, in development or extended mode.

Development mode (what a normal app gets since February 2026) leaves out the fields Spotify removed:
track ``popularity``/``available_markets``/``external_ids``/``linked_from``, album ``popularity``/``label``/
``external_ids``/``available_markets``, artist ``followers``/``popularity`` and, by this emulator's choice,
artist ``genres`` (deprecated in the spec and disputed in practice; keeping it out means only extended
mode feeds genre charts). Extended mode returns all of them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from spotify_lake.sources.emulator.catalogue import MARKETS, Album, Artist, Catalogue, Episode, Track

DEVELOPMENT = "development"
EXTENDED = "extended"
MODES = (DEVELOPMENT, EXTENDED)

# i.scdn.co image ids: a size-specific 16-hex prefix followed by 24 hex digits of the image itself.
_ARTIST_IMAGE = (("ab6761610000e5eb", 640), ("ab67616100005174", 320), ("ab6761610000f178", 160))
_ALBUM_IMAGE = (("ab67616d0000b273", 640), ("ab67616d00001e02", 300), ("ab67616d00004851", 64))


class Shapes:
    """Builds response objects; ``api`` is the emulator's ``.../v1`` base for ``href`` links."""

    def __init__(self, catalogue: Catalogue, api: str, mode: str):
        self.cat = catalogue
        self.api = api.rstrip("/")
        self.extended = mode == EXTENDED

    def _links(self, kind: str, id_: str) -> dict:
        return {
            "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{id_}"},
            "href": f"{self.api}/{kind}s/{id_}",
            "id": id_,
            "type": kind,
            "uri": f"spotify:{kind}:{id_}",
        }

    @staticmethod
    def _images(sizes: tuple, image_hash: str | None) -> list[dict]:
        if image_hash is None:
            return []
        return [
            {"url": f"https://i.scdn.co/image/{prefix}{image_hash}", "height": size, "width": size}
            for prefix, size in sizes
        ]

    def simplified_artist(self, artist: Artist) -> dict:
        return {"name": artist.name, **self._links("artist", artist.id)}

    def artist(self, artist: Artist) -> dict:
        out = {**self.simplified_artist(artist), "images": self._images(_ARTIST_IMAGE, artist.image_hash)}
        if self.extended:
            out["followers"] = {"href": None, "total": artist.followers}
            out["genres"] = list(artist.genres)
            out["popularity"] = artist.popularity
        return out

    def simplified_album(self, album: Album) -> dict:
        out = {
            "album_type": album.album_type,
            "total_tracks": len(album.track_indexes),
            **self._links("album", album.id),
            "images": self._images(_ALBUM_IMAGE, album.image_hash),
            "name": album.name,
            "release_date": album.release_date,
            "release_date_precision": album.release_date_precision,
            "artists": [self.simplified_artist(self.cat.artists[album.artist_index])],
        }
        if self.extended:
            out["available_markets"] = list(MARKETS)
        return out

    def album(self, album: Album) -> dict:
        out = self.simplified_album(album)
        tracks = [self.simplified_track(self.cat.tracks[t]) for t in album.track_indexes]
        out["tracks"] = page(f"{self.api}/albums/{album.id}/tracks", tracks[:50], len(tracks), 50, 0)
        out["copyrights"] = [
            {"text": f"© {album.release_year} {album.label}", "type": "C"},
            {"text": f"℗ {album.release_year} {album.label}", "type": "P"},
        ]
        out["genres"] = []  # always empty, per the spec
        if self.extended:
            out["external_ids"] = {"upc": album.upc}
            out["label"] = album.label
            out["popularity"] = album.popularity
        return out

    def simplified_track(self, track: Track) -> dict:
        out = {
            "artists": [self.simplified_artist(self.cat.artists[a]) for a in track.artist_indexes],
            "disc_number": track.disc_number,
            "duration_ms": track.duration_ms,
            "explicit": track.explicit,
            **self._links("track", track.id),
            "is_local": False,
            "name": track.name,
            "preview_url": None,
            "track_number": track.track_number,
        }
        if self.extended:
            out["available_markets"] = list(MARKETS)
        return out

    def track(self, track: Track) -> dict:
        out = self.simplified_track(track)
        out["album"] = self.simplified_album(self.cat.albums[track.album_index])
        if self.extended:
            out["external_ids"] = {"isrc": track.isrc}
            out["popularity"] = track.popularity
        return out

    def local_track(self, name: str, artist: str, album: str, duration_ms: int) -> dict:
        """A local file in a playlist, as Spotify sends it: no ids, hrefs or catalogue URIs, ``is_local``."""
        quoted = "+".join(artist.split()), "+".join(album.split()), "+".join(name.split())
        return {
            "album": {
                "album_type": None,
                "total_tracks": 0,
                "artists": [],
                "external_urls": {},
                "href": None,
                "id": None,
                "images": [],
                "name": album,
                "release_date": None,
                "release_date_precision": None,
                "type": "album",
                "uri": None,
            },
            "artists": [{"external_urls": {}, "href": None, "id": None, "name": artist, "type": "artist", "uri": None}],
            "disc_number": 0,
            "duration_ms": duration_ms,
            "explicit": False,
            "external_ids": {},
            "external_urls": {},
            "href": None,
            "id": None,
            "is_local": True,
            "name": name,
            "popularity": 0,
            "preview_url": None,
            "track_number": 0,
            "type": "track",
            "uri": f"spotify:local:{quoted[0]}:{quoted[1]}:{quoted[2]}:{duration_ms // 1000}",
        }

    def episode(self, episode: Episode) -> dict:
        """A podcast episode (playlists can hold episodes) with its simplified show."""
        show = self.cat.shows[episode.show_index]
        return {
            "audio_preview_url": None,
            "description": f"{episode.name} from {show.name}.",
            "html_description": f"<p>{episode.name} from {show.name}.</p>",
            "duration_ms": episode.duration_ms,
            "explicit": False,
            **self._links("episode", episode.id),
            "images": [],
            "is_externally_hosted": False,
            "is_playable": True,
            "languages": ["en"],
            "name": episode.name,
            "release_date": "2026-01-15",
            "release_date_precision": "day",
            "show": {
                "available_markets": [],
                "copyrights": [],
                "description": f"{show.name} by {show.publisher}",
                "html_description": f"<p>{show.name} by {show.publisher}</p>",
                "explicit": False,
                **self._links("show", show.id),
                "images": [],
                "is_externally_hosted": False,
                "languages": ["en"],
                "media_type": "audio",
                "name": show.name,
                "publisher": show.publisher,
                "total_episodes": sum(1 for e in self.cat.episodes if e.show_index == show.index),
            },
        }


def page(base: str, items: list, total: int, limit: int, offset: int, **params) -> dict:
    """Spotify's offset paging object with absolute ``href``/``next``/``previous`` links."""

    def link(at: int) -> str:
        return f"{base}?{urlencode({**params, 'offset': at, 'limit': limit})}"

    return {
        "href": link(offset),
        "items": items,
        "limit": limit,
        "next": link(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }
