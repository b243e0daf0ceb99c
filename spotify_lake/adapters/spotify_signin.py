"""Spotify's authorization-code sign-in with a loopback redirect, as the ``authorize`` command runs it.

Spotify accepts only HTTPS or loopback IP redirects (since 2025-11), so a tiny local HTTP server on
``http://127.0.0.1:PORT/callback`` catches the code, which is exchanged for the refresh token the
extractor uses. Works against Spotify and against the offline emulator (same endpoints, other base URL).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from spotify_lake.errors import UserError

SPOTIFY_AUTHORIZE_URL = "https://accounts.spotify.com/authorize"


class _CallbackServer(HTTPServer):
    result: dict


class _CallbackHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path != "/callback":
            self.send_response(404)
            self.end_headers()
            return
        self.server.result.update({k: v[0] for k, v in parse_qs(parts.query).items()})
        body = b"spotify-lake: sign-in received, you can close this tab.\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # keep the code out of any output
        return


def authorization_code_flow(
    *,
    client_id: str,
    client_secret: str,
    authorize_url: str,
    token_url: str,
    api_prefix: str,
    port: int,
    open_url: Callable[[str], object],
    timeout: float = 300.0,
    extra_params: dict | None = None,
):
    """Run the flow; returns ``(refresh_token, user_id)``. ``open_url`` shows the sign-in page."""
    import spotipy
    from spotipy.cache_handler import MemoryCacheHandler
    from spotipy.oauth2 import SpotifyOAuth, SpotifyOauthError

    from extraction.api import SCOPE

    server = _CallbackServer(("127.0.0.1", port), _CallbackHandler)
    server.result = {}
    port = server.server_address[1]
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    state = secrets.token_urlsafe(16)
    oauth = SpotifyOAuth(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        scope=SCOPE,
        state=state,
        cache_handler=MemoryCacheHandler(),
        open_browser=False,
    )
    oauth.OAUTH_AUTHORIZE_URL = authorize_url
    oauth.OAUTH_TOKEN_URL = token_url
    url = oauth.get_authorize_url()
    if extra_params:
        from urllib.parse import urlencode

        url += "&" + urlencode(extra_params)
    server.timeout = timeout
    waiter = threading.Thread(target=server.handle_request, daemon=True)
    waiter.start()
    try:
        open_url(url)
        waiter.join(timeout)
    finally:
        server.server_close()
    result = server.result
    if not result:
        raise UserError(f"no sign-in arrived at {redirect_uri} within {timeout:g}s")
    if result.get("error"):
        raise UserError(f"Spotify refused the sign-in: {result['error']}")
    if result.get("state") != state:
        raise UserError("the sign-in answer carried the wrong state; start again")
    try:
        oauth.get_access_token(result["code"], as_dict=False, check_cache=False)
        token = oauth.cache_handler.get_cached_token()  # the whole answer, refresh token included
    except SpotifyOauthError as exc:
        raise UserError(f"exchanging the sign-in code failed: {exc.error}") from None
    sp = spotipy.Spotify(auth=token["access_token"], retries=0, status_retries=0)
    sp.prefix = api_prefix
    user = sp.me()
    return token["refresh_token"], user["id"]
