"""Where the lake's parts live and the few file-system operations curation needs, through Hadoop's FileSystem.

Hadoop's FileSystem is what Spark already uses, so the same code lists and moves ``file:`` paths locally and
``s3://`` objects in Glue without boto3 (the curation package depends on pyspark and the stdlib only).
Only metadata (object keys, sizes) and small documents pass through the driver. A local lake is listed, read and
written by Python where Hadoop's local file system would start a process per file or cannot replace a document
in one step; the local path is always the one Hadoop would use for the same URI.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from lake_contract.keys import RAW, RUNS, RunSummaryKey, raw_key_in

_GLOB_CHARS = re.compile(r"([\[\]{}*?\\])")


@dataclass(frozen=True)
class LakePaths:
    """Roots as URIs (``file:///…`` or ``s3://bucket``): raw bucket = raw/ + _state/, curated = curated/ + _runs/."""

    raw_root: str
    curated_root: str
    runs_root: str

    @classmethod
    def single(cls, lake_root: str) -> LakePaths:
        return cls(lake_root, lake_root, lake_root)

    @property
    def raw(self) -> str:
        return f"{self.raw_root.rstrip('/')}/{RAW}"

    @property
    def curated(self) -> str:
        return f"{self.curated_root.rstrip('/')}/curated"

    @property
    def runs(self) -> str:
        return f"{self.runs_root.rstrip('/')}/{RUNS}"

    def run_summary(self, run_id: str) -> str:
        """Where the summary of run ``run_id`` goes (``_runs/<run_id>.json`` under the runs root)."""
        return f"{self.runs_root.rstrip('/')}/{RunSummaryKey(run_id).format()}"

    @property
    def manifest(self) -> str:
        return f"{self.curated}/_manifest"

    def table(self, name: str) -> str:
        return f"{self.curated}/{name}"

    def uri(self, key: str) -> str:
        """A key of the curated bucket (``curated/…``) as a URI under the curated root."""
        return f"{self.curated_root.rstrip('/')}/{key}"

    def staging(self, run_id: str) -> str:
        return f"{self.curated}/_staging/{run_id}"


def local_uri(path: Path) -> str:
    """The ``file:`` URI Hadoop (and so Spark) reads as the local ``path``: ``file:/abs/path`` with every character
    as it is. Not ``Path.as_uri()``: Hadoop takes a percent escape literally, so a lake in ``My Music`` given as
    ``My%20Music`` would be looked for, and written, in a folder of that name."""
    return f"file:{path.resolve()}"


def raw_key(path: str) -> str | None:
    """Key of a raw object relative to the lake root (``raw/source=…``), or None outside the raw zone."""
    return raw_key_in(path)


def spark_path(path: str) -> str:
    """Escape glob characters: Spark expands globs in the paths it is given, our keys are literal."""
    return _GLOB_CHARS.sub(r"\\\1", path)


@dataclass(frozen=True)
class RawObject:
    path: str  # fully qualified, as listed
    key: str  # relative to the lake root
    length: int


class LakeFS:
    """Thin adapter over Hadoop FileSystem (via the SparkSession's JVM)."""

    def __init__(self, spark) -> None:
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _p(self, path: str):
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def _fs(self, path: str):
        return self._p(path).getFileSystem(self._conf)

    @staticmethod
    def is_local(path: str) -> bool:
        """Whether ``path`` is on this machine's file system (a ``file:`` URI)."""
        return path.startswith("file:")

    def _local(self, uri: str) -> Path | None:
        """The file Hadoop's local file system opens for ``uri`` (its ``toUri().getPath()``), or None for any
        other scheme. Hadoop's reading, not a URL parser's: ``%20``, ``#`` and ``?`` mean what they mean to Hadoop."""
        return Path(str(self._p(uri).toUri().getPath())) if self.is_local(uri) else None

    def exists(self, path: str) -> bool:
        return bool(self._fs(path).exists(self._p(path)))

    def list_files(self, root: str) -> list[RawObject]:
        """Every file under ``root`` (recursively), skipping hidden/underscore temp names; [] if absent.

        A local root is walked in Python: Hadoop's local file system starts an ``ls`` process for every file
        it lists (the permissions of a located status, without Hadoop's native library), 5 ms a file here.
        The paths are written as Hadoop writes them (``file:/abs/path``)."""
        local = self._local(root)
        if local is not None:
            return sorted((_raw_object(f"file:{p}", size) for p, size in _walk(local)), key=lambda o: o.key)
        if not self.exists(root):
            return []
        found = []
        it = self._fs(root).listFiles(self._p(root), True)
        while it.hasNext():
            status = it.next()
            path = status.getPath().toString()
            if not _hidden(path.rsplit("/", 1)[-1]):
                found.append(_raw_object(path, int(status.getLen())))
        return sorted(found, key=lambda o: o.key)

    def list_dirs(self, root: str) -> list[str]:
        """Names of the sub-directories of ``root`` (not hidden ones); [] if absent."""
        if not self.exists(root):
            return []
        names = []
        for status in self._fs(root).listStatus(self._p(root)):
            name = status.getPath().getName()
            if status.isDirectory() and not _hidden(name):
                names.append(name)
        return sorted(names)

    def read_bytes(self, path: str) -> bytes:
        """A small object's bytes (through the driver)."""
        local = self._local(path)
        if local is not None:
            return local.read_bytes()
        stream = self._fs(path).open(self._p(path))
        try:
            data = self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
        finally:
            stream.close()
        return bytes(data)

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8")

    def read_text_if_exists(self, path: str) -> str | None:
        return self.read_text(path) if self.exists(path) else None

    def write_text(self, path: str, text: str) -> None:
        """Write a small document so that readers never see half of it.

        On an object store one PUT replaces an object atomically, so it is written in place (a rename there
        would be a copy plus a delete, and the job may not delete under ``_runs/``). On a local file system a
        temporary file replaces the old one in one rename (``os.replace``): Hadoop's rename refuses an
        existing target, and deleting it first would leave a moment with no document at all.
        """
        local = self._local(path)
        if local is not None:
            local.parent.mkdir(parents=True, exist_ok=True)
            tmp = local.with_name(f".{local.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, local)
            return
        out = self._fs(path).create(self._p(path), True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()

    def delete(self, path: str) -> None:
        if self.exists(path):
            self._fs(path).delete(self._p(path), True)

    def move(self, src: str, dst: str) -> None:
        """Rename ``src`` to ``dst`` (which must not exist), creating ``dst``'s parent."""
        parent = dst.rstrip("/").rsplit("/", 1)[0]
        self._fs(parent).mkdirs(self._p(parent))
        if not self._fs(src).rename(self._p(src), self._p(dst)):
            raise OSError(f"could not move {src} to {dst}")

    def files(self, root: str) -> list[str]:
        """Data files directly under ``root`` (no hidden/underscore files)."""
        if not self.exists(root):
            return []
        out = []
        for status in self._fs(root).listStatus(self._p(root)):
            name = status.getPath().getName()
            if status.isFile() and not _hidden(name):
                out.append(status.getPath().toString())
        return sorted(out)


def _raw_object(path: str, length: int) -> RawObject:
    """A listed file: keyed by its raw-zone key, or by its path outside the raw zone's layout."""
    return RawObject(path, raw_key(path) or path, length)


def _hidden(name: str) -> bool:
    """Names Spark and Hadoop treat as temporary or hidden (``_SUCCESS``, ``.crc`` files, ``_temporary``)."""
    return name.startswith((".", "_"))


def _walk(root: Path) -> list[tuple[str, int]]:
    """(absolute path, size) of every file under ``root`` that is not hidden, as Hadoop's recursive listing gives
    them: directory links followed, a file that vanishes (or a dangling link) skipped, a root that is a file
    listed itself, [] if ``root`` does not exist. A directory that cannot be read, or a link back into its own
    ancestry, is an error: a listing that silently missed or repeated objects would miscount the run."""
    if root.is_file():
        return [] if _hidden(root.name) else [(str(root), root.stat().st_size)]
    if not root.exists():
        return []
    found = []
    ancestry: dict[str, set[tuple[int, int]]] = {}

    def fail(error: OSError) -> None:
        raise error

    for folder, dirs, names in os.walk(root, onerror=fail, followlinks=True):
        here = os.stat(folder)
        seen = ancestry.get(os.path.dirname(folder), set()) | {(here.st_dev, here.st_ino)}
        for name in dirs:
            target = os.stat(os.path.join(folder, name))
            if (target.st_dev, target.st_ino) in seen:
                raise OSError(f"directory link loop in the raw zone: {os.path.join(folder, name)}")
        ancestry[folder] = seen
        for name in names:
            if _hidden(name):
                continue
            path = os.path.join(folder, name)
            try:
                found.append((path, os.stat(path).st_size))
            except FileNotFoundError:  # removed since the folder was read, or a dangling link
                continue
    return found
