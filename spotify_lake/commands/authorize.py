"""`python -m spotify_lake authorize`: the one-time Spotify sign-in that stores a listener's refresh token.

Authorization-code flow with a loopback redirect ``http://127.0.0.1:PORT/callback`` (Spotify accepts only
HTTPS or loopback IP redirects since 2025-11). A tiny local HTTP server catches the code; the refresh
token goes into the Secrets Manager secret (``--secret-id``) or a local file (``--local``) in the JSON
shape the extractor reads. Tokens are never printed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from spotify_lake.errors import UserError

DEFAULT_SECRET_FILE = "~/.config/spotify-lake/secret.json"  # noqa: S105 - a path, not a secret
SPOTIFY_AUTHORIZE_URL = "https://accounts.spotify.com/authorize"


def configure(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--secret-id", help="Secrets Manager secret to update (created if missing)")
    where.add_argument("--local", action="store_true", help="store in a local JSON file (see --secret-file)")
    parser.add_argument("--secret-file", default=DEFAULT_SECRET_FILE, help="file used with --local")
    parser.add_argument("--client-id", default=os.environ.get("SPOTIFY_CLIENT_ID"), help="app client id")
    parser.add_argument(
        "--client-secret-env",
        default="SPOTIFY_CLIENT_SECRET",
        help="environment variable holding the client secret (never pass secrets on the command line)",
    )
    parser.add_argument("--port", type=int, default=8888, help="loopback port of the redirect URI (register it)")
    parser.add_argument("--emulator-url", help="sign in against a running emulator (base URL) instead of Spotify")
    parser.add_argument("--listener", type=int, default=0, help="emulator: which simulated listener signs in")
    parser.add_argument("--no-browser", action="store_true", help="only print the sign-in URL")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the redirect")


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


def run(args) -> int:
    from extraction.credentials import AppCredentials, FileSecretSource, ListenerCredentials, SecretsManagerSource
    from extraction.errors import SecretUnavailable
    from extraction.identity import listener_id

    source = FileSecretSource(args.secret_file) if args.local else SecretsManagerSource(args.secret_id)
    try:
        existing = source.load()
    except SecretUnavailable:
        existing = None
    if args.emulator_url:
        base = args.emulator_url.rstrip("/")
        authorize_url, token_url, api_prefix = f"{base}/authorize", f"{base}/api/token", f"{base}/v1/"
        client_id, client_secret = "emulator", "emulator"
        extra = {"listener": str(args.listener)}
    else:
        authorize_url, token_url, api_prefix = SPOTIFY_AUTHORIZE_URL, None, "https://api.spotify.com/v1/"
        client_id = args.client_id or (existing.client_id if existing else None)
        client_secret = os.environ.get(args.client_secret_env) or (existing.client_secret if existing else None)
        extra = None
        if not client_id or not client_secret:
            raise UserError(
                f"need the app's client id (--client-id or SPOTIFY_CLIENT_ID) and secret (${args.client_secret_env})"
            )
    if token_url is None:
        from extraction.config import DEFAULT_TOKEN_URL

        token_url = DEFAULT_TOKEN_URL
    if args.emulator_url:

        def open_url(url):
            import requests

            return requests.get(url, timeout=30)  # the emulator approves at once and redirects to us
    elif args.no_browser:

        def open_url(url):
            sys.stdout.write(f"open this URL to sign in:\n  {url}" + "\n")
    else:

        def open_url(url):
            sys.stdout.write(f"opening the Spotify sign-in page (if nothing opens, visit):\n  {url}" + "\n")
            webbrowser.open(url)

    refresh_token, user_id = authorization_code_flow(
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=authorize_url,
        token_url=token_url,
        api_prefix=api_prefix,
        port=args.port,
        open_url=open_url,
        timeout=args.timeout,
        extra_params=extra,
    )
    lid = listener_id(user_id)
    base = existing if existing and existing.client_id == client_id else AppCredentials(client_id, client_secret)
    source.save(base.with_listener(ListenerCredentials(refresh_token, lid)))
    where = source.path if args.local else f"secret {args.secret_id}"
    sys.stderr.write(f"stored the refresh token of listener {lid} in {where}" + "\n")
    return 0
