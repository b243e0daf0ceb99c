"""Rate-limit and retry policy: pure decisions plus a governor that applies them to one run.

Spotify answers 429 with a Retry-After of seconds to hours. We wait only while the wait is under a
configured cap and fits in the Lambda's remaining time; otherwise the run checkpoints (ends cleanly with
what it wrote, the next run resumes from the committed state). 5xx answers and connection resets are
retried with full-jitter exponential backoff a bounded number of times. The sleeper and the clock for the
remaining time are injected so the policy is testable without waiting.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn


class Checkpoint(Exception):
    """Stop the run cleanly now; everything committed so far stays, the next run resumes."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (Spotify sends delta-seconds); None when absent or unreadable."""
    if value is None:
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


def throttle_wait(retry_after: float, *, cap: float, remaining_seconds: float, margin: float) -> float | None:
    """How long to wait before retrying a 429, or None when the run should checkpoint instead."""
    if retry_after > cap or retry_after > remaining_seconds - margin:
        return None
    return retry_after


def backoff_delay(attempt: int, *, base: float, maximum: float, rng: random.Random) -> float:
    """Full-jitter exponential backoff for retry ``attempt`` (1-based): uniform(0, min(max, base * 2^(attempt-1)))."""
    return rng.uniform(0.0, min(maximum, base * 2 ** (attempt - 1)))


@dataclass
class RequestGovernor:
    """Applies the policy across one run: request budget, throttle waits, backoff, remaining time."""

    budget: int
    retry_after_cap: float
    max_attempts: int
    backoff_base: float
    backoff_max: float
    safety_margin: float
    remaining_seconds: Callable[[], float]
    sleep: Callable[[float], None]
    rng: random.Random = field(default_factory=random.Random)
    requests_made: int = 0
    throttled_seconds: float = 0.0
    checkpoint_reason: str | None = None

    def before_request(self) -> None:
        if self.checkpoint_reason:
            raise Checkpoint(self.checkpoint_reason)
        if self.requests_made >= self.budget:
            self._checkpoint(f"request budget of {self.budget} requests used up")
        if self.remaining_seconds() < self.safety_margin:
            self._checkpoint("Lambda time nearly used up")

    def count_request(self, n: int = 1) -> None:
        self.requests_made += n

    def wait_for_throttle(self, retry_after: float | None) -> float:
        """Sleep for a 429's Retry-After (or checkpoint); returns the seconds waited."""
        if retry_after is None:
            retry_after = 1.0  # Spotify always sends one; a missing header gets a short, polite pause
        wait = throttle_wait(
            retry_after,
            cap=self.retry_after_cap,
            remaining_seconds=self.remaining_seconds(),
            margin=self.safety_margin,
        )
        if wait is None:
            self._checkpoint(f"rate limited: Retry-After {retry_after:g}s exceeds the cap or the remaining time")
        self.sleep(wait)
        self.throttled_seconds += wait
        return wait

    def wait_for_retry(self, attempt: int) -> float:
        """Back off before retry ``attempt`` of a failed request (or checkpoint when time is short)."""
        delay = backoff_delay(attempt, base=self.backoff_base, maximum=self.backoff_max, rng=self.rng)
        if delay > self.remaining_seconds() - self.safety_margin:
            self._checkpoint("Lambda time nearly used up while backing off")
        self.sleep(delay)
        return delay

    def _checkpoint(self, reason: str) -> NoReturn:
        self.checkpoint_reason = reason
        raise Checkpoint(reason)
