"""moto in server mode, in this process, behind a WSGI layer that records every request while asked to.

Hadoop's S3A client speaks real HTTP, so moto runs as a server (its ``DomainDispatcherApplication``, the app
``moto_server`` runs) on a free port of 127.0.0.1. The recording layer sits in front of it: between
:meth:`RecordingMotoServer.recording` entering and leaving, each request becomes an :class:`Exchange` with the
status moto answered; requests outside that window (the harness creating buckets, uploading, reading results)
are served and not recorded.
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, make_server

from tests.cloud.s3.requests import RECORDED_HEADERS, Exchange, scope_service

#: moto accepts any credentials; these are what the harness and the job under test sign with.
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "eu-west-1"


def _needs_body(environ: dict[str, Any]) -> bool:
    """Bodies that decide the IAM action: S3's multi-object delete and Glue's JSON protocol."""
    query = environ.get("QUERY_STRING", "")
    if environ["REQUEST_METHOD"] == "POST" and ("delete" in query.split("&") or query.startswith("delete=")):
        return True
    return environ.get("HTTP_X_AMZ_TARGET", "").startswith("AWSGlue.")


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for name in RECORDED_HEADERS:
        value = environ.get(f"HTTP_{name.upper().replace('-', '_')}")
        if value is not None and name != "authorization":  # the signature is never kept
            headers[name] = value
    return headers


class RecordingApp:
    """WSGI middleware: passes every request to moto, keeps an :class:`Exchange` of it while recording."""

    def __init__(self, app) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._recorded: list[Exchange] | None = None

    def start(self) -> list[Exchange]:
        with self._lock:
            if self._recorded is not None:
                raise RuntimeError("already recording")
            self._recorded = []
            return self._recorded

    def stop(self) -> None:
        with self._lock:
            self._recorded = None

    def __call__(self, environ: dict[str, Any], start_response):
        with self._lock:
            recorded = self._recorded
        if recorded is None:
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = b""
        if _needs_body(environ) and length:
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
        status: list[int] = []

        def recording_start_response(status_line: str, headers, exc_info=None):
            status.append(int(status_line.split(" ", 1)[0]))
            return start_response(status_line, headers, exc_info)

        response = self._app(environ, recording_start_response)
        exchange = Exchange(
            method=environ["REQUEST_METHOD"],
            path=environ.get("RAW_URI", environ.get("PATH_INFO", "")).split("?", 1)[0],
            query=tuple(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
            headers=_headers(environ),
            content_length=length,
            status=status[0] if status else 0,
            body=body,
            service=scope_service(environ.get("HTTP_AUTHORIZATION")),
        )
        with self._lock:
            if self._recorded is recorded:
                recorded.append(exchange)
        return response


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files; boto3 trusts it through ``AWS_CA_BUNDLE``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "moto.crt", directory / "moto.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class RecordingMotoServer:
    """moto's server app on a free port of 127.0.0.1 over TLS, in a daemon thread, a :class:`RecordingApp` in front.

    TLS because the stack's buckets are SSE-KMS: S3A copies an object (every rename) with its source's KMS key
    id, and the AWS SDK for Java refuses to send a KMS key id over plain HTTP. It also matches the buckets'
    ``aws:SecureTransport`` policy: every recorded request was made over TLS, as on AWS.
    """

    def __init__(self, workdir: Path) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

        self.certificate, key = self_signed_certificate(workdir)
        self.app = RecordingApp(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1",
            0,
            self.app,
            threaded=True,
            request_handler=MotoRequestHandler,
            ssl_context=(str(self.certificate), str(key)),
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_port}"

    def start(self) -> RecordingMotoServer:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @contextmanager
    def recording(self) -> Iterator[list[Exchange]]:
        """Record the requests received inside the block; the list grows while the block runs."""
        exchanges = self.app.start()
        try:
            yield exchanges
        finally:
            self.app.stop()

    def client(self, service: str):
        """A boto3 client of this server (the harness's own: its requests are outside any recording)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            verify=str(self.certificate),
        )
