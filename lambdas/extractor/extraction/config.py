"""The extractor's configuration: read once from the environment into a typed, validated model.

A bad value fails the first invocation (cold start) with one clear message instead of a half-run. The model
and every variable name are the contract's (:class:`lake_contract.settings.ExtractorSettings`); this module
adds what only the extractor knows: the sources it can run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

from lake_contract.endpoints import EXTRACTOR_SOURCES
from lake_contract.settings import (
    DEFAULT_API_PREFIX,
    DEFAULT_TOKEN_URL,
    MODE_HINTS,
    SEARCH_TYPES,
    ExtractorSettings,
    SearchSpec,
)
from lake_contract.settings import SettingsError as ConfigError

#: What SOURCES may name: every extractor source of the endpoint registry, in extraction order.
SOURCES = EXTRACTOR_SOURCES

__all__ = [
    "DEFAULT_API_PREFIX",
    "DEFAULT_TOKEN_URL",
    "MODE_HINTS",
    "SEARCH_TYPES",
    "SOURCES",
    "ConfigError",
    "ExtractorConfig",
    "SearchSpec",
]


class ExtractorConfig(ExtractorSettings):
    """The extractor's settings, its sources checked against (and defaulting to) :data:`SOURCES`."""

    @classmethod
    def from_environment(cls, env: Mapping[str, str], *, known_sources: Sequence[str] = SOURCES) -> Self:
        return super().from_environment(env, known_sources=known_sources)
