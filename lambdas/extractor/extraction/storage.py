"""One storage adapter for the lake, with an S3 and a local-filesystem implementation.

Nothing outside this module knows which one it talks to. Keys are lake-relative (``raw/...``,
``_state/...``, ``_runs/...``). Conditional writes give compare-and-swap semantics for state objects:
``put(key, body, if_none_match=True)`` creates only if absent, ``put(key, body, if_match=version)``
replaces only if the object is still at ``version``; otherwise ``PreconditionFailed``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Protocol

fcntl: ModuleType | None
try:  # fcntl is POSIX-only; the local adapter serialises compare-and-swap with it where available.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class PreconditionFailed(Exception):
    """A conditional write lost: the object appeared, vanished or changed since it was read."""


class StorageError(Exception):
    """The store refused a read or write (permissions, missing bucket, disk full...)."""


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    version: str  # S3 ETag or local content hash: what if_match compares against


class Storage(Protocol):
    def put(self, key: str, body: bytes, *, if_match: str | None = None, if_none_match: bool = False) -> str:
        """Write ``body``; return the new version. Raise PreconditionFailed when a condition does not hold."""
        ...

    def get(self, key: str) -> StoredObject | None:
        """The object and its version, or None when absent."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``, sorted."""
        ...

    def describe(self) -> str:
        """Where the lake is, for logs and summaries (no credentials)."""
        ...


class S3Storage:
    """The lake in an S3 bucket; conditional writes are S3's native If-Match / If-None-Match."""

    def __init__(self, bucket: str, client=None):
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.bucket = bucket
        self._s3 = client

    def put(self, key: str, body: bytes, *, if_match: str | None = None, if_none_match: bool = False) -> str:
        kwargs = {"Bucket": self.bucket, "Key": key, "Body": body}
        if if_match is not None:
            kwargs["IfMatch"] = if_match
        if if_none_match:
            kwargs["IfNoneMatch"] = "*"
        try:
            response = self._s3.put_object(**kwargs)
        except self._s3.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            # 404 NoSuchKey answers an If-Match on an object that is gone; 409 ConditionalRequestConflict
            # answers two racing conditional writes. Both mean: someone else changed it.
            if code in {"PreconditionFailed", "ConditionalRequestConflict"} or (if_match and code == "NoSuchKey"):
                raise PreconditionFailed(f"s3://{self.bucket}/{key}: {code}") from None
            raise StorageError(f"writing s3://{self.bucket}/{key} failed: {code or exc}") from None
        return response["ETag"]

    def get(self, key: str) -> StoredObject | None:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            return None
        except self._s3.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise StorageError(f"reading s3://{self.bucket}/{key} failed: {code or exc}") from None
        return StoredObject(body=response["Body"].read(), version=response["ETag"])

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        except self._s3.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise StorageError(f"listing s3://{self.bucket}/{prefix} failed: {code or exc}") from None
        return sorted(keys)

    def describe(self) -> str:
        return f"s3://{self.bucket}"


class LocalStorage:
    """The lake in a folder. Writes go to a temporary file and are renamed into place (atomic on POSIX);
    a conditional write holds an exclusive lock on a per-folder lock file while it checks the version."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in Path(key).parts:
            raise StorageError(f"refusing key outside the lake: {key!r}")
        return self.root / key

    @staticmethod
    def _version(body: bytes) -> str:
        return hashlib.sha256(body).hexdigest()[:32]

    def put(self, key: str, body: bytes, *, if_match: str | None = None, if_none_match: bool = False) -> str:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if if_match is None and not if_none_match:
                self._write_atomically(path, body)
                return self._version(body)
            with self._lock(path.parent):
                current = path.read_bytes() if path.exists() else None
                if if_none_match and current is not None:
                    raise PreconditionFailed(f"{path}: already exists")
                if if_match is not None and (current is None or self._version(current) != if_match):
                    raise PreconditionFailed(f"{path}: changed since version {if_match}")
                self._write_atomically(path, body)
        except OSError as exc:
            raise StorageError(f"writing {path} failed: {exc.strerror or exc}") from None
        return self._version(body)

    def get(self, key: str) -> StoredObject | None:
        path = self._path(key)
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"reading {path} failed: {exc.strerror or exc}") from None
        return StoredObject(body=body, version=self._version(body))

    def list(self, prefix: str) -> list[str]:
        if not self.root.exists():
            return []
        keys = []
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.startswith(".lake-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def describe(self) -> str:
        return str(self.root)

    @staticmethod
    def _write_atomically(path: Path, body: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".lake-tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    class _lock:
        def __init__(self, folder: Path):
            self._path = folder / ".lake-lock"
            self._handle: IO[bytes] | None = None

        def __enter__(self):
            handle = self._handle = open(self._path, "a+b")
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            return self

        def __exit__(self, *exc):
            handle, self._handle = self._handle, None
            if handle is None:
                return
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


class RetryingStorage:
    """Retries a write the store refused (``StorageError``) a few times with a short backoff.

    boto3 already retries S3's own throttling; this covers what is left after it (and local disks), because a
    poll whose raw write fails for good may lose plays once Spotify's 50-play window moves on. A lost
    conditional write (``PreconditionFailed``) is an answer, not a fault, and is never retried.
    """

    def __init__(self, inner: Storage, *, sleep, attempts: int = 3, backoff_seconds: float = 0.5):
        self.inner = inner
        self._sleep = sleep
        self._attempts = attempts
        self._backoff = backoff_seconds

    def put(self, key: str, body: bytes, *, if_match: str | None = None, if_none_match: bool = False) -> str:
        for attempt in range(1, self._attempts + 1):
            try:
                return self.inner.put(key, body, if_match=if_match, if_none_match=if_none_match)
            except StorageError:
                if attempt == self._attempts:
                    raise
                self._sleep(self._backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def get(self, key: str) -> StoredObject | None:
        return self.inner.get(key)

    def list(self, prefix: str) -> list[str]:
        return self.inner.list(prefix)

    def describe(self) -> str:
        return self.inner.describe()
