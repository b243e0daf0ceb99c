"""Errors the extractor raises on purpose. Their class names are part of the interface: the state
machine matches ``AuthorizationExpired`` by name (Lambda's ``errorType``) to alert the user."""

from __future__ import annotations


class ExtractorError(Exception):
    """Base class; messages never contain secrets, tokens or authorization headers."""


class AuthorizationExpired(ExtractorError):
    """Spotify answered invalid_grant: the listener's refresh token is expired or revoked."""

    def __init__(self, listener: str):
        super().__init__(
            f"Spotify refused the refresh token of {listener} (invalid_grant: expired after six months or "
            "revoked). Run `python -m spotify_lake authorize` again for this listener to store a new one."
        )
        self.listener = listener


class CredentialsInvalid(ExtractorError):
    """Spotify rejected the app's client id or secret (invalid_client)."""


class SecretUnavailable(ExtractorError):
    """The credentials secret could not be read or does not have the documented JSON shape."""


class MalformedResponse(ExtractorError):
    """A response body that is not the JSON document the endpoint promises; it goes to quarantine."""

    def __init__(self, reason: str, *, status: int, body: str):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.body = body


class ApiError(ExtractorError):
    """A non-retryable HTTP answer (403, 404, 400 ...) or retries exhausted on a transient one."""

    def __init__(self, status: int | str, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
