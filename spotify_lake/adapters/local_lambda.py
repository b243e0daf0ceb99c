"""The local Lambda runner: the deployed extractor handler, invoked in-process with a stand-in context.

AWS hands the handler an event, a context and its environment; locally the environment is a dict passed
to :class:`extraction.run.Runtime` and the context is :class:`LocalContext`, so the local pipeline, the
benchmarks and the reliability harness exercise the production handler, not a copy of it.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class LocalContext:
    """The parts of a Lambda context the handler and Powertools read."""

    deadline: float
    function_name: str = "spotify-lake-extractor-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:spotify-lake-extractor-local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def quiet_powertools() -> None:
    """Keep local runs quiet and offline: Powertools reads these when the handler module is imported."""
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SpotifyLake")


def invoke_handler(
    env: dict[str, str],
    event: dict[str, Any],
    *,
    time_limit_seconds: float,
    clock: Callable[[], datetime] | None = None,
) -> dict:
    """Run the extractor's Lambda handler once with ``env`` as its environment; return its summary.

    Raises ``extraction.config.ConfigError`` for a bad environment and the extractor's own errors
    (``AuthorizationExpired`` …) exactly as the Lambda would.
    """
    quiet_powertools()
    from extraction import handler
    from extraction.run import Runtime

    runtime = Runtime.from_environment(env, **({"clock": clock} if clock else {}))
    handler.install_runtime(runtime)
    try:
        return handler.lambda_handler(event, LocalContext(deadline=time.monotonic() + time_limit_seconds))
    finally:
        handler.install_runtime(None)
