"""The lake's key layout (docs/RAW_ZONE.md), written once: typed keys with ``format`` and ``parse``.

The extractor and ``spotify_lake import`` write these keys, the curation job (Spark) and the local toolkit
read them. Every form a reader needs is built here from the same constants: the typed keys, the regular
expressions Spark's ``regexp_extract`` applies to object paths (:class:`KeyPattern`, Java- and
Python-compatible, groups by position), and the globs local tools use on a lake folder. A renamed segment
then fails a round-trip test instead of showing a user zeros.

Standard library only: this module ships with the extractor Lambda and the Glue job alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Final

#: Top-level prefixes. The raw bucket holds ``raw/`` and ``_state/``, the curated bucket ``curated/`` and ``_runs/``.
RAW: Final = "raw"
STATE: Final = "_state"
RUNS: Final = "_runs"
QUARANTINE: Final = "_quarantine"

#: ``source=`` values of the raw zone.
SOURCE_API: Final = "api"
SOURCE_EXPORT: Final = "export"

API_PREFIX: Final = f"{RAW}/source={SOURCE_API}/"
EXPORT_PREFIX: Final = f"{RAW}/source={SOURCE_EXPORT}/"
QUARANTINE_PREFIX: Final = f"{RAW}/{QUARANTINE}/"

#: Export endpoints: ``streaming_history_<kind>`` (plays) and ``library`` (``YourLibrary.json``).
HISTORY_PREFIX: Final = "streaming_history_"
LIBRARY_ENDPOINT: Final = "library"
LIBRARY_PREFIX: Final = f"{EXPORT_PREFIX}endpoint={LIBRARY_ENDPOINT}/"

API_SUFFIX: Final = ".ndjson.gz"
QUARANTINE_SUFFIX: Final = ".json"
#: Digits of ``<seq>`` (more when a unit writes 100 000 objects or more).
SEQ_DIGITS: Final = 5
#: Hex digits of the file's SHA-256 in an export key.
DIGEST_HEX: Final = 16

# Pieces of the patterns below. No named groups: Spark (Java) and Python spell them differently.
_ENDPOINT = "[a-z_]+"
_SEGMENT = "[^/]+"
_DATE = "[0-9-]+"
_SEQ = rf"[0-9]{{{SEQ_DIGITS},}}"


def _literal(text: str) -> str:
    """``text`` as a regex literal; only ``.`` occurs in our constants (``re.escape`` would also escape ``=``,
    ``/`` and ``_``, which Java's regex dialect accepts but which make the patterns hard to read)."""
    return text.replace(".", r"\.")


@dataclass(frozen=True)
class KeyPattern:
    """A regular expression over object keys or paths, valid in Python and in Spark's ``regexp_extract``.

    ``groups`` names the capturing groups in order; Spark takes a group by position (:meth:`group`)."""

    regex: str
    groups: tuple[str, ...] = ()

    def group(self, name: str) -> int:
        """The 1-based index of the group ``name`` (what ``regexp_extract`` takes)."""
        return self.groups.index(name) + 1

    def search(self, text: str) -> dict[str, str] | None:
        """The named groups of the first match in ``text`` (unmatched optional groups as ""), or None."""
        match = re.search(self.regex, text)
        if match is None:
            return None
        return {name: match.group(i + 1) or "" for i, name in enumerate(self.groups)}


#: The raw key inside a full path or URI (``file:///…/raw/source=…``, ``s3://bucket/raw/_quarantine/…``).
RAW_OBJECT = KeyPattern(rf"({RAW}/(?:source=|{QUARANTINE}/).*)$", ("key",))
#: An API object's endpoint, listener (empty for catalogue endpoints) and extraction date.
API_OBJECT = KeyPattern(
    rf"{API_PREFIX}endpoint=({_ENDPOINT})/(?:listener=({_SEGMENT})/)?extract_date=({_DATE})/",
    ("endpoint", "listener_id", "extract_date"),
)
#: A streaming-history export file: its kind (``extended``, ``legacy``, ``account``), listener and file name.
HISTORY_OBJECT = KeyPattern(
    rf"{EXPORT_PREFIX}endpoint={HISTORY_PREFIX}([a-z]+)/listener=({_SEGMENT})/sha256={_SEGMENT}/({_SEGMENT})$",
    ("kind", "listener_id", "file_name"),
)
#: An account export's ``YourLibrary.json``: its listener.
LIBRARY_OBJECT = KeyPattern(
    rf"{LIBRARY_PREFIX}listener=({_SEGMENT})/sha256={_SEGMENT}/{_SEGMENT}$",
    ("listener_id",),
)
#: An extractor quarantine object: the endpoint whose response it holds.
QUARANTINE_OBJECT = KeyPattern(rf"{QUARANTINE_PREFIX}endpoint=({_SEGMENT})/", ("endpoint",))
#: The ``endpoint=`` segment of any raw key (API, export or quarantine).
ENDPOINT_SEGMENT = KeyPattern(rf"^{RAW}/(?:source={_SEGMENT}|{QUARANTINE})/endpoint=({_SEGMENT})/", ("endpoint",))
#: The ``listener=`` segment of any key that has one.
LISTENER_SEGMENT = KeyPattern(rf"/listener=({_SEGMENT})/", ("listener_id",))


def safe_unit(unit: str) -> str:
    """Units become file-name stems: keep them to [A-Za-z0-9_.-]."""
    return "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in unit)


def _fullmatch(pattern: re.Pattern[str], key: str, what: str) -> re.Match[str]:
    match = pattern.fullmatch(key)
    if match is None:
        raise ValueError(f"not {what}: {key!r}")
    return match


@dataclass(frozen=True)
class ApiKey:
    """``raw/source=api/endpoint=<e>/[listener=<l>/]extract_date=<d>/run=<r>/<unit>-<seq:05d>.ndjson.gz``.

    ``listener_id`` is None for catalogue endpoints. ``unit`` is kept as given; :meth:`format` makes it safe."""

    endpoint: str
    listener_id: str | None
    extract_date: str
    run_id: str
    unit: str
    seq: int

    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(
        rf"{API_PREFIX}endpoint=({_ENDPOINT})/(?:listener=({_SEGMENT})/)?extract_date=({_DATE})/"
        rf"run=({_SEGMENT})/({_SEGMENT})-({_SEQ}){_literal(API_SUFFIX)}"
    )

    def format(self) -> str:
        scope = f"listener={self.listener_id}/" if self.listener_id else ""
        return (
            f"{API_PREFIX}endpoint={self.endpoint}/{scope}extract_date={self.extract_date}/run={self.run_id}/"
            f"{safe_unit(self.unit)}-{self.seq:0{SEQ_DIGITS}d}{API_SUFFIX}"
        )

    def __str__(self) -> str:
        return self.format()

    @classmethod
    def parse(cls, key: str) -> ApiKey:
        """The key's parts; ValueError when ``key`` is not an API object key."""
        m = _fullmatch(cls._PATTERN, key, "an API object key")
        return cls(m[1], m[2], m[3], m[4], m[5], int(m[6]))


@dataclass(frozen=True)
class QuarantineKey:
    """``raw/_quarantine/endpoint=<e>/extract_date=<d>/run=<r>/<unit>-<seq:05d>.json``: a response the
    extractor could not parse, stored as received."""

    endpoint: str
    extract_date: str
    run_id: str
    unit: str
    seq: int

    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(
        rf"{QUARANTINE_PREFIX}endpoint=({_SEGMENT})/extract_date=({_DATE})/run=({_SEGMENT})/"
        rf"({_SEGMENT})-({_SEQ}){_literal(QUARANTINE_SUFFIX)}"
    )

    def format(self) -> str:
        return (
            f"{QUARANTINE_PREFIX}endpoint={self.endpoint}/extract_date={self.extract_date}/run={self.run_id}/"
            f"{safe_unit(self.unit)}-{self.seq:0{SEQ_DIGITS}d}{QUARANTINE_SUFFIX}"
        )

    def __str__(self) -> str:
        return self.format()

    @classmethod
    def parse(cls, key: str) -> QuarantineKey:
        m = _fullmatch(cls._PATTERN, key, "an extractor quarantine key")
        return cls(m[1], m[2], m[3], m[4], int(m[5]))


@dataclass(frozen=True)
class ExportKey:
    """``raw/source=export/endpoint=<e>/listener=<l>/sha256=<16 hex>/<file name>``: a privacy-export file.

    ``endpoint`` is ``streaming_history_<kind>`` or ``library``; :meth:`for_file` builds it from a kind."""

    endpoint: str
    listener_id: str
    digest: str
    file_name: str

    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(
        rf"{EXPORT_PREFIX}endpoint=({_ENDPOINT})/listener=({_SEGMENT})/sha256=({_SEGMENT})/({_SEGMENT})"
    )

    @classmethod
    def for_file(cls, kind: str, listener_id: str, sha256_hex: str, file_name: str) -> ExportKey:
        """The key of an export file of ``kind`` (``extended``, ``legacy``, ``account`` or ``library``)."""
        endpoint = LIBRARY_ENDPOINT if kind == LIBRARY_ENDPOINT else f"{HISTORY_PREFIX}{kind}"
        return cls(endpoint, listener_id, sha256_hex[:DIGEST_HEX], file_name)

    @property
    def kind(self) -> str:
        """``extended``, ``legacy``, ``account`` or ``library``."""
        return self.endpoint.removeprefix(HISTORY_PREFIX)

    def format(self) -> str:
        return (
            f"{EXPORT_PREFIX}endpoint={self.endpoint}/listener={self.listener_id}/sha256={self.digest}/{self.file_name}"
        )

    def __str__(self) -> str:
        return self.format()

    @classmethod
    def parse(cls, key: str) -> ExportKey:
        m = _fullmatch(cls._PATTERN, key, "an export key")
        return cls(m[1], m[2], m[3], m[4])


@dataclass(frozen=True)
class RunSummaryKey:
    """``_runs/<run_id>.json``: one summary per extract, import or curate run (run ids start with the stage)."""

    run_id: str

    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(rf"{RUNS}/([^/]+)\.json")

    @property
    def stage(self) -> str:
        """``extract``, ``import`` or ``curate``: the run id's first word."""
        return self.run_id.split("-", 1)[0]

    def format(self) -> str:
        return f"{RUNS}/{self.run_id}.json"

    def __str__(self) -> str:
        return self.format()

    @classmethod
    def parse(cls, key: str) -> RunSummaryKey:
        return cls(_fullmatch(cls._PATTERN, key, "a run summary key")[1])

    @staticmethod
    def glob(stage: str = "*") -> str:
        """Glob of the summaries of one stage (``extract``, ``import``, ``curate``) in a lake folder."""
        return f"{RUNS}/{stage}-*.json"


@dataclass(frozen=True)
class StateKey:
    """A document of the extractor's state (``_state/``): a listener's cursor, a catalogue document or a
    remembered profile. Written by the extractor, read back by it and by the reliability checks."""

    scope: str  # "listener=<id>", "catalogue" or "profiles"
    name: str

    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(rf"{STATE}/(listener=[^/]+|catalogue|profiles)/([^/]+)\.json")

    @classmethod
    def cursor(cls, listener_id: str, name: str) -> StateKey:
        return cls(f"listener={listener_id}", name)

    @classmethod
    def catalogue(cls, name: str) -> StateKey:
        return cls("catalogue", name)

    @classmethod
    def profile(cls, digest: str) -> StateKey:
        return cls("profiles", digest)

    @property
    def listener_id(self) -> str | None:
        return self.scope.removeprefix("listener=") if self.scope.startswith("listener=") else None

    def format(self) -> str:
        return f"{STATE}/{self.scope}/{self.name}.json"

    def __str__(self) -> str:
        return self.format()

    @classmethod
    def parse(cls, key: str) -> StateKey:
        m = _fullmatch(cls._PATTERN, key, "a state key")
        return cls(m[1], m[2])

    @staticmethod
    def cursor_glob(name: str = "*") -> str:
        """Glob of every listener's ``name`` cursor in a lake folder."""
        return f"{STATE}/listener=*/{name}" + (".json" if name != "*" else "")


# --- lenient readers: what the curation job needs of any key, matched exactly as Spark matches it ----------


def endpoint_of(key: str) -> str | None:
    """The ``endpoint=`` segment of any raw key (API, export or quarantine), or None when it has none."""
    found = ENDPOINT_SEGMENT.search(key)
    return found["endpoint"] if found else None


def listener_of(key: str) -> str | None:
    """The ``listener=`` segment of a key, or None when it has none (catalogue endpoints, quarantine)."""
    found = LISTENER_SEGMENT.search(key)
    return found["listener_id"] if found else None


def raw_key_in(path: str) -> str | None:
    """Key of a raw object relative to the lake root (``raw/source=…``), or None outside the raw zone."""
    found = RAW_OBJECT.search(path)
    return found["key"] if found else None


def api_glob(endpoint: str = "*") -> str:
    """Glob of the API objects of ``endpoint`` (every endpoint by default) in a lake folder."""
    return f"{API_PREFIX}endpoint={endpoint}/**/*{API_SUFFIX}"


def listener_folders_glob(source: str) -> str:
    """Glob of the ``listener=`` folders of a raw source (``api`` or ``export``) in a lake folder."""
    return f"{RAW}/source={source}/endpoint=*/listener=*"
