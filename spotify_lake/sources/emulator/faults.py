"""Fault injection: a spec like ``throttle=0.2,error=0.1,reset=0.02,retry_after=2`` and a reproducible draw.

Whether request number *n* (counted from 1 over the emulator's ``/v1/`` requests) fails depends only on
(seed, n), so a sequential client sees the same faults on every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

THROTTLE = "throttle"
ERROR = "error"
RESET = "reset"
_RATES = (THROTTLE, ERROR, RESET)
ERROR_STATUSES = (500, 502, 503)


class FaultSpecError(ValueError):
    """The fault spec cannot be parsed or holds impossible values."""


@dataclass(frozen=True, slots=True)
class Faults:
    throttle: float = 0.0
    error: float = 0.0
    reset: float = 0.0
    retry_after: int = 1

    @property
    def active(self) -> bool:
        return self.throttle + self.error + self.reset > 0

    def spec(self) -> str:
        return f"throttle={self.throttle},error={self.error},reset={self.reset},retry_after={self.retry_after}"

    def decide(self, seed: int, request_number: int) -> tuple[str, int] | None:
        """None, or (kind, status) for the request: ("throttle", 429), ("error", 5xx) or ("reset", 0)."""
        if not self.active:
            return None
        digest = hashlib.blake2b(f"{seed}:fault:{request_number}".encode(), digest_size=8).digest()
        draw = int.from_bytes(digest[:7], "big") / 2**56
        if draw < self.throttle:
            return THROTTLE, 429
        if draw < self.throttle + self.error:
            return ERROR, ERROR_STATUSES[digest[7] % len(ERROR_STATUSES)]
        if draw < self.throttle + self.error + self.reset:
            return RESET, 0
        return None


def _parse_item(part: str) -> tuple[str, float]:
    """One ``key=value`` item: a known fault and a number in its range."""
    key, sep, raw = part.partition("=")
    key = key.strip()
    if not sep:
        raise FaultSpecError(f"fault spec item {part!r} is not key=value")
    if key not in (*_RATES, "retry_after"):
        raise FaultSpecError(f"unknown fault {key!r}: use throttle, error, reset, retry_after")
    try:
        value = float(raw)
    except ValueError:
        raise FaultSpecError(f"fault {key!r} needs a number, got {raw.strip()!r}") from None
    if key == "retry_after":
        if value != int(value) or value < 0:
            raise FaultSpecError("retry_after must be a whole number of seconds >= 0")
    elif not 0.0 <= value <= 1.0:
        raise FaultSpecError(f"fault rate {key}={raw.strip()} must be between 0 and 1")
    return key, value


def parse_faults(spec: str | None) -> Faults:
    """Parse ``key=value`` pairs separated by commas; rates in [0, 1] summing to at most 1."""
    if spec is None or not spec.strip():
        return Faults()
    values: dict[str, float] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        key, value = _parse_item(part)
        if key in values:
            raise FaultSpecError(f"fault {key!r} given twice")
        values[key] = value
    if sum(values.get(k, 0.0) for k in _RATES) > 1.0:
        raise FaultSpecError("fault rates add up to more than 1")
    return Faults(
        throttle=values.get(THROTTLE, 0.0),
        error=values.get(ERROR, 0.0),
        reset=values.get(RESET, 0.0),
        retry_after=int(values.get("retry_after", 1)),
    )
