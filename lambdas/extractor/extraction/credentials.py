"""The app's Spotify credentials and each listener's refresh token: one JSON secret.

Shape (Secrets Manager secret string, or the local file written by ``authorize --local``)::

    {"client_id": "...", "client_secret": "...",
     "listeners": [{"refresh_token": "...", "listener_id": "3f1c..."}, ...]}

``listener_id`` is optional (written by ``authorize``; the extractor always re-derives it from ``/v1/me``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from extraction.errors import SecretUnavailable


@dataclass(frozen=True)
class ListenerCredentials:
    refresh_token: str = field(repr=False)
    listener_id: str | None = None


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    client_secret: str = field(repr=False)
    listeners: tuple[ListenerCredentials, ...] = ()

    def to_document(self) -> dict:
        listeners = []
        for listener in self.listeners:
            entry = {"refresh_token": listener.refresh_token}
            if listener.listener_id:
                entry["listener_id"] = listener.listener_id
            listeners.append(entry)
        return {"client_id": self.client_id, "client_secret": self.client_secret, "listeners": listeners}

    def with_listener(self, new: ListenerCredentials) -> AppCredentials:
        """Add a listener, replacing an entry for the same listener id (a re-authorization)."""
        kept = [li for li in self.listeners if not (new.listener_id and li.listener_id == new.listener_id)]
        return AppCredentials(self.client_id, self.client_secret, (*kept, new))


def parse_secret(text: str, where: str) -> AppCredentials:
    """Validate the secret's JSON; errors name the problem, never a value.

    A document without listeners (the placeholder the stack creates, ``{"client_id": "", "client_secret": "",
    "listeners": [], "placeholder": "..."}``, or app credentials before the first ``authorize``) is not an
    error: it yields credentials with no listener, and the extractor ends without extracting anything.
    """
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        raise SecretUnavailable(f"{where} is not a JSON object") from None
    if not isinstance(document, dict):
        raise SecretUnavailable(f"{where} is not a JSON object")
    if document.get("listeners", []) == []:
        return AppCredentials(str(document.get("client_id") or ""), str(document.get("client_secret") or ""), ())
    for name in ("client_id", "client_secret"):
        if not isinstance(document.get(name), str) or not document[name]:
            raise SecretUnavailable(f"{where} lacks a non-empty string {name!r}")
    entries = document.get("listeners", [])
    if not isinstance(entries, list):
        raise SecretUnavailable(f"{where}: 'listeners' must be a list")
    listeners = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("refresh_token"), str) or not entry["refresh_token"]:
            raise SecretUnavailable(f"{where}: listeners[{index}] lacks a non-empty string 'refresh_token'")
        listeners.append(ListenerCredentials(entry["refresh_token"], entry.get("listener_id")))
    return AppCredentials(document["client_id"], document["client_secret"], tuple(listeners))


class SecretSource(Protocol):
    def load(self) -> AppCredentials: ...

    def save(self, credentials: AppCredentials) -> None: ...


class SecretsManagerSource:
    def __init__(self, secret_id: str, client=None):
        if client is None:
            import boto3

            client = boto3.client("secretsmanager")
        self.secret_id = secret_id
        self._client = client

    def load(self) -> AppCredentials:
        where = f"secret {self.secret_id}"
        try:
            response = self._client.get_secret_value(SecretId=self.secret_id)
        except self._client.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise SecretUnavailable(f"cannot read {where}: {code}") from None
        return parse_secret(response.get("SecretString"), where)

    def save(self, credentials: AppCredentials) -> None:
        text = json.dumps(credentials.to_document())
        try:
            try:
                self._client.put_secret_value(SecretId=self.secret_id, SecretString=text)
            except self._client.exceptions.ResourceNotFoundException:
                self._client.create_secret(Name=self.secret_id, SecretString=text)
        except self._client.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise SecretUnavailable(f"cannot write secret {self.secret_id}: {code}") from None


class FileSecretSource:
    """A local JSON file, readable by its owner only."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()

    def load(self) -> AppCredentials:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretUnavailable(f"cannot read secret file {self.path}: {exc.strerror or exc}") from None
        return parse_secret(text, f"secret file {self.path}")

    def save(self, credentials: AppCredentials) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(credentials.to_document(), handle, indent=2)
        os.replace(tmp, self.path)
