"""Synthesize every environment once per test session (synth takes seconds; every test reads the result)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


# The session-wide ``synthesized`` fixture lives in tests/support/synth.py (registered by tests/conftest.py),
# so tests/infra and tests/cloud share one synthesis; these names stay importable from here.
from tests.support.synth import Synthesized, cdk_context  # noqa: E402, F401


def resources(template: dict, type_: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def only(template: dict, type_: str) -> tuple[str, dict]:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def logical_id_of(stack, construct) -> str:
    from aws_cdk import CfnResource

    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    return stack.resolve(stack.get_logical_id(resource))
