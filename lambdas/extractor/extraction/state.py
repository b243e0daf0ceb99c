"""Extractor state under ``_state/``: cursors and known catalogue ids, written compare-and-swap.

Every state document carries the ``run_id`` that last committed it and that run's ``next_seq`` (the next
raw object number of the unit). A retried invocation of the same run resumes numbering there, so it
overwrites only objects it had not yet committed and never an object a commit already covers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from extraction.storage import PreconditionFailed, Storage
from lake_contract.keys import StateKey


class StateConflict(Exception):
    """Another invocation committed this state first; this one must not advance it."""


def cursor_key(listener_id: str, name: str) -> str:
    return StateKey.cursor(listener_id, name).format()


def catalogue_key(name: str) -> str:
    return StateKey.catalogue(name).format()


def profile_key(refresh_token: str) -> str:
    """Where the Spotify user id behind a refresh token is remembered.

    Keyed by a one-way digest, never the token: a re-authorization (new token) looks the user up once more.
    """
    digest = hashlib.sha256(f"spotify-lake-profile:{refresh_token}".encode()).hexdigest()[:24]
    return StateKey.profile(digest).format()


@dataclass
class StateDocument:
    key: str
    value: dict
    version: str | None  # None: the document does not exist yet

    def resume_seq(self, run_id: str) -> int:
        """Where this run's object numbering continues: 0 for a new run, next_seq for a retry of it."""
        return int(self.value.get("next_seq", 0)) if self.value.get("run_id") == run_id else 0


class StateStore:
    def __init__(self, storage: Storage):
        self._storage = storage

    def load(self, key: str) -> StateDocument:
        stored = self._storage.get(key)
        if stored is None:
            return StateDocument(key, {}, None)
        return StateDocument(key, json.loads(stored.body), stored.version)

    def commit(self, doc: StateDocument, value: dict) -> StateDocument:
        """Replace ``doc`` with ``value`` only if nobody changed it since it was loaded."""
        body = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        try:
            if doc.version is None:
                version = self._storage.put(doc.key, body, if_none_match=True)
            else:
                version = self._storage.put(doc.key, body, if_match=doc.version)
        except PreconditionFailed as exc:
            raise StateConflict(f"{doc.key} was changed by another invocation") from exc
        return StateDocument(doc.key, value, version)


class KnownIds:
    """The catalogue ids already fetched (``{id: run_id}``), kept in the lake so no id is fetched twice.

    An id is committed here only after the object holding its details is written, and a retried invocation
    continues numbering after the objects already committed (``resume_seq``), so an id recorded by the run
    being retried is as known as any other: fetching it again would only store it twice.
    """

    def __init__(self, store: StateStore, kind: str):
        self._store = store
        self.kind = kind
        self.doc = store.load(catalogue_key(f"known_{kind}"))

    def is_known(self, item_id: str) -> bool:
        return item_id in self.doc.value.get("ids", {})

    def add(self, ids: list[str], *, run_id: str, next_seq: int | None, attempts: int = 5) -> None:
        """Record ids as known; on a conflict reload and merge (a set union cannot lose anything).

        ``next_seq`` None keeps the document's numbering as it is: a unit other than the catalogue's own (the
        backfill, which numbers its objects in its own document) must not move where the catalogue resumes.
        """
        for _ in range(attempts):
            merged = dict(self.doc.value.get("ids", {}))
            for item_id in ids:
                merged.setdefault(item_id, run_id)
            if next_seq is None:
                numbering = {k: self.doc.value[k] for k in ("run_id", "next_seq") if k in self.doc.value}
                value = {"ids": merged, **numbering}
            else:
                value = {"ids": merged, "run_id": run_id, "next_seq": next_seq}
            try:
                self.doc = self._store.commit(self.doc, value)
                return
            except StateConflict:
                self.doc = self._store.load(self.doc.key)
        raise StateConflict(f"{self.doc.key}: gave up merging after {attempts} conflicts")
