"""The Trino server and its Hive plugin, fetched once with Maven by coordinates and cached outside the repository.

Trino 476 is the last release published to Maven Central together with its plugins. ``trino-server-core`` holds
the engine and a handful of small plugins; ``trino-hive`` is the one connector the check needs (Athena's
catalog is a Hive metastore). The archives are unpacked into the cache and deleted; Maven keeps its own copy
in the local repository (``~/.m2``), so a second fetch after ``rm -rf`` of the cache is offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from spotify_lake.errors import UserError

TRINO_VERSION = "476"
#: (artifact id, packaging) of the two Maven artifacts, group ``io.trino``.
ARTIFACTS = (("trino-server-core", "tar.gz"), ("trino-hive", "zip"))
_STAMP = "distribution.json"


def cache_dir() -> Path:
    """Where the unpacked server lives: ``$SPOTIFY_LAKE_CACHE`` or ``~/.cache/spotify-lake``, per version."""
    root = os.environ.get("SPOTIFY_LAKE_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return Path(root) / "spotify-lake" / f"trino-{TRINO_VERSION}"


@dataclass(frozen=True)
class Distribution:
    """An unpacked Trino: the server's ``lib`` folder and a plugin folder holding only the Hive connector.

    Loading only the Hive plugin (not the core tarball's geospatial, Python-functions, exchange … plugins)
    shortens start-up, which dominates the check's wall time.
    """

    root: Path
    version: str
    download_bytes: int

    @property
    def lib(self) -> Path:
        return self.root / "server" / "lib"

    @property
    def plugins(self) -> Path:
        return self.root / "plugins"


def installed(cache: Path | None = None) -> Distribution | None:
    """The cached distribution, or None if it was never fetched (or a fetch was interrupted)."""
    root = cache or cache_dir()
    stamp = root / _STAMP
    if not stamp.is_file():
        return None
    facts = json.loads(stamp.read_text(encoding="utf-8"))
    return Distribution(root, facts["version"], int(facts["download_bytes"]))


def ensure(cache: Path | None = None) -> Distribution:
    """The cached distribution, fetched with ``mvn dependency:copy`` and unpacked first if needed."""
    found = installed(cache)
    if found is not None:
        return found
    root = cache or cache_dir()
    mvn = shutil.which("mvn")
    if mvn is None:
        raise UserError("Maven (mvn) is needed once to fetch Trino: install it (apt-get install maven)")
    root.mkdir(parents=True, exist_ok=True)
    for leftover in ("server", "plugins"):
        shutil.rmtree(root / leftover, ignore_errors=True)
    total = 0
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        download = Path(tmp)
        for artifact, packaging in ARTIFACTS:
            coordinates = f"io.trino:{artifact}:{TRINO_VERSION}:{packaging}"
            artifact_arg, output_arg = f"-Dartifact={coordinates}", f"-DoutputDirectory={download}"
            subprocess.run(
                [mvn, "-q", "-B", "-Dstyle.color=never", "dependency:copy", artifact_arg, output_arg], check=True
            )
        server = download / f"trino-server-core-{TRINO_VERSION}.tar.gz"
        plugin = download / f"trino-hive-{TRINO_VERSION}.zip"
        total = server.stat().st_size + plugin.stat().st_size
        with tarfile.open(server) as archive:
            archive.extractall(download, filter="data")
        (download / f"trino-server-core-{TRINO_VERSION}").rename(root / "server")
        with zipfile.ZipFile(plugin) as archive:
            archive.extractall(download)  # noqa: S202 - zipfile drops absolute and ".." member paths
        (root / "plugins").mkdir()
        (download / f"trino-hive-{TRINO_VERSION}").rename(root / "plugins" / "hive")
    stamp = {"version": TRINO_VERSION, "download_bytes": total}
    (root / _STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    return Distribution(root, TRINO_VERSION, total)
