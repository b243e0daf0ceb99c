"""Stable pseudonymous listener ids, shared by API extraction and privacy-export imports."""

from __future__ import annotations

import hashlib


def listener_id(spotify_user_id: str) -> str:
    """First 16 hex digits of sha256("spotify-user:" + user id): never the e-mail or display name."""
    if not spotify_user_id:
        raise ValueError("a Spotify user id is required to derive a listener id")
    return hashlib.sha256(f"spotify-user:{spotify_user_id}".encode()).hexdigest()[:16]
