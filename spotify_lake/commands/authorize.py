"""`python -m spotify_lake authorize`: the one-time Spotify sign-in that stores a listener's refresh token.

Authorization-code flow with a loopback redirect ``http://127.0.0.1:PORT/callback`` (Spotify accepts only
HTTPS or loopback IP redirects since 2025-11). A tiny local HTTP server catches the code; the refresh
token goes into the Secrets Manager secret (``--secret-id``) or a local file (``--local``) in the JSON
shape the extractor reads. Tokens are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser

from spotify_lake.adapters.spotify_signin import SPOTIFY_AUTHORIZE_URL, authorization_code_flow
from spotify_lake.errors import UserError

DEFAULT_SECRET_FILE = "~/.config/spotify-lake/secret.json"  # noqa: S105 - a path, not a secret


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
