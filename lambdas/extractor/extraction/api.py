"""Spotify Web API access through spotipy, with retries, throttling and token caching under our control.

spotipy is built with ``retries=0, status_retries=0`` and a plain ``requests.Session`` so urllib3 never
sleeps on its own and every 429 reaches us with its Retry-After header. Each call goes through
``SpotifyApi.call`` which applies the run's ``RequestGovernor`` and counts requests by status.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import requests
import spotipy
from spotipy.cache_handler import CacheHandler
from spotipy.oauth2 import SpotifyOAuth, SpotifyOauthError

from extraction.errors import ApiError, AuthorizationExpired, CredentialsInvalid, MalformedResponse
from extraction.policy import RequestGovernor, parse_retry_after
from lake_contract import endpoints

#: What a listener authorizes: the scopes of every endpoint of the registry.
SCOPES = endpoints.SCOPES
SCOPE = " ".join(SCOPES)


class Log(Protocol):
    """What the extractor logs through: a standard-library Logger, or the Lambda's Powertools Logger (which
    has the same methods without being one)."""

    def info(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...

    def warning(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...

    def exception(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...


# spotipy logs request headers (the Authorization bearer token) and token-request bodies at DEBUG, and
# every HTTP error at ERROR. We log each request ourselves without headers, so its logger stays quiet.
logging.getLogger("spotipy").setLevel(logging.CRITICAL)

#: Access tokens by a hash of their refresh token, kept across warm invocations. Tokens ONLY: no other
#: state lives at module level.
_TOKEN_CACHE: dict[str, dict] = {}


def _token_key(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def cold_start() -> None:
    """Forget every cached access token, as a new Lambda execution environment starts without them.

    For local runners that play several deployments in one process (the benchmark's weeks against
    emulators of different quota modes would otherwise reuse each other's tokens and be answered 401)."""
    _TOKEN_CACHE.clear()


class WarmTokenCache(CacheHandler):
    """Serves one listener's token from the warm-invocation cache; when there is none, a token that is
    already expired and carries the refresh token and scope, so spotipy refreshes instead of prompting."""

    def __init__(self, refresh_token: str):
        self._refresh_token = refresh_token
        self._key = _token_key(refresh_token)

    def get_cached_token(self):
        cached = _TOKEN_CACHE.get(self._key)
        if cached is not None:
            return dict(cached)
        return {
            "access_token": "",
            "token_type": "Bearer",
            "expires_at": 0,
            "scope": SCOPE,
            "refresh_token": self._refresh_token,
        }

    def save_token_to_cache(self, token_info):
        token = dict(token_info)
        token.setdefault("scope", SCOPE)  # a refresh answer may omit scope; it keeps the granted one
        token["refresh_token"] = self._refresh_token  # Spotify no longer rotates it on refresh
        _TOKEN_CACHE[self._key] = token

    def forget(self) -> None:
        _TOKEN_CACHE.pop(self._key, None)


class NonInteractiveOAuth(SpotifyOAuth):
    """SpotifyOAuth that can never fall back to an interactive prompt (which would hang a Lambda)."""

    def get_auth_response(self, open_browser=None):
        raise AuthorizationExpired("this listener (the stored token lacks the required scopes)")


class RecordingSession(requests.Session):
    """A plain session that remembers the last response, so a body spotipy could not parse can be
    quarantined exactly as received, and counts statuses of every HTTP exchange."""

    def __init__(self):
        super().__init__()
        self.last_response: requests.Response | None = None
        self.exchanges: list[tuple[str, int | str]] = []  # (kind, status) since the last drain

    def request(self, method, url, *args, **kwargs):
        kind = "token" if "/api/token" in url else "api"
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            self.exchanges.append((kind, type(exc).__name__))
            raise
        self.last_response = response
        self.exchanges.append((kind, response.status_code))
        return response

    def drain(self) -> list[tuple[str, int | str]]:
        exchanges, self.exchanges = self.exchanges, []
        return exchanges


@dataclass
class CallStats:
    """What one unit of work spent talking to Spotify."""

    requests: Counter = field(default_factory=Counter)  # status (as text) -> count
    throttled_seconds: float = 0.0

    def merge(self, other: CallStats) -> None:
        self.requests.update(other.requests)
        self.throttled_seconds += other.throttled_seconds


class SpotifyApi:
    """One listener's authenticated view of the API."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        api_prefix: str,
        token_url: str,
        timeout: float,
        governor: RequestGovernor,
        label: str,
        logger: Log | None = None,
    ):
        self.session = RecordingSession()
        self.cache = WarmTokenCache(refresh_token)
        auth = NonInteractiveOAuth(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri="http://127.0.0.1:8888/callback",  # unused: refresh only, never the code flow here
            scope=SCOPE,
            cache_handler=self.cache,
            requests_session=self.session,
            requests_timeout=timeout,
            open_browser=False,
        )
        auth.OAUTH_TOKEN_URL = token_url
        self.sp = spotipy.Spotify(
            auth_manager=auth,
            requests_session=self.session,
            requests_timeout=timeout,
            retries=0,
            status_retries=0,
        )
        self.sp.prefix = api_prefix
        self.prefix = api_prefix
        self.governor = governor
        self.label = label  # how errors name the listener (never a token)
        self._log = logger or logging.getLogger(__name__)

    def last_body(self) -> str:
        """The body of the last response, as received (what a malformed answer is quarantined with)."""
        response = self.session.last_response
        return response.text if response is not None else ""

    def call(self, endpoint: str, fn: Callable[[spotipy.Spotify], object], stats: CallStats):
        """Run one spotipy call under the run's policy and return its parsed JSON (a dict)."""
        attempt = 0
        refreshed_after_401 = False
        while True:
            result, failure = self._attempt(fn, stats)
            if failure is None:
                return self._json_object(result)
            status = getattr(failure, "http_status", None)
            if status == 429:
                self._wait_out_throttle(endpoint, failure, stats)
                continue
            if status == 401 and not refreshed_after_401:
                # The access token expired early (clock skew, revocation of the token only): refresh once.
                refreshed_after_401 = True
                self.cache.forget()
                continue
            attempt += 1
            self._back_off_or_give_up(endpoint, failure, status, attempt)

    def _attempt(self, fn: Callable[[spotipy.Spotify], object], stats: CallStats) -> tuple[object, Exception | None]:
        """One request (after the governor's pacing) and its accounting: (result, None), or (None, the failure)
        for a failure the retry policy decides on. A token failure that no retry can fix raises at once."""
        self.governor.before_request()
        self.session.last_response = None
        result: object = None
        failure: Exception | None = None
        try:
            result = fn(self.sp)
        except spotipy.SpotifyException as exc:
            failure = exc
        except SpotifyOauthError as exc:
            self._raise_if_grant_or_client_rejected(exc, stats)
            failure = exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            failure = exc
        self._account(stats)
        return result, failure

    def _raise_if_grant_or_client_rejected(self, exc: SpotifyOauthError, stats: CallStats) -> None:
        """A revoked refresh token or rejected client credentials are final: account the request and raise the
        error the orchestrator reports (the listener must authorize again, or the secret must be fixed)."""
        if exc.error == "invalid_grant":
            self._account(stats)
            raise AuthorizationExpired(self.label) from None
        if exc.error in {"invalid_client", "unauthorized_client"}:
            self._account(stats)
            raise CredentialsInvalid(
                f"Spotify rejected the app's client credentials ({exc.error}); check the secret"
            ) from None

    def _json_object(self, result: object) -> dict:
        """A successful call's parsed body, which must be a JSON object (the status and body go into the error)."""
        if not isinstance(result, dict):
            response = self.session.last_response
            code = response.status_code if response is not None else 200
            body = response.text if response is not None else ""
            raise MalformedResponse("response body is not a JSON object", status=code, body=body)
        return result

    def _wait_out_throttle(self, endpoint: str, failure: Exception, stats: CallStats) -> None:
        """A 429: wait as long as Spotify's Retry-After asks (the governor bounds it); not counted as an attempt."""
        headers = getattr(failure, "headers", None) or {}
        retry_after = parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
        self._log.info("throttled", extra={"endpoint": endpoint, "retry_after": retry_after})
        stats.throttled_seconds += self.governor.wait_for_throttle(retry_after)

    def _back_off_or_give_up(self, endpoint: str, failure: Exception, status: int | None, attempt: int) -> None:
        """Retried: no status (connection reset, timeout, a token endpoint hiccup) or a server error, until the
        governor's attempts run out. Any other client error is final."""
        if status is not None and status < 500:
            raise ApiError(status, _describe(failure))
        if attempt >= self.governor.max_attempts:
            raise ApiError(status or type(failure).__name__, f"gave up after {attempt} attempts: {_describe(failure)}")
        self._log.info("retrying", extra={"endpoint": endpoint, "status": status or type(failure).__name__})
        self.governor.wait_for_retry(attempt)

    def _account(self, stats: CallStats) -> None:
        for kind, status in self.session.drain():
            self.governor.count_request()
            stats.requests[f"{kind}:{status}" if kind == "token" else str(status)] += 1


def _describe(failure: Exception) -> str:
    """A short description without URLs' query strings or headers (no tokens can be in them anyway)."""
    if isinstance(failure, spotipy.SpotifyException):
        return f"{failure.http_status} {failure.reason or ''}".strip()
    if isinstance(failure, SpotifyOauthError):
        return f"token endpoint: {failure.error}"
    return type(failure).__name__


def monotonic_remaining(deadline: float) -> Callable[[], float]:
    """Remaining seconds until a monotonic deadline (for runs outside Lambda)."""
    return lambda: deadline - time.monotonic()
