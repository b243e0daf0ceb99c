"""Synthesize every environment once per test session (synth takes seconds; every test reads the result)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The quality gate is a Lambda asset folder, not an installed package; its tests import it from there.
sys.path.insert(0, str(REPO / "lambdas" / "quality_gate"))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


def cdk_context(**extra) -> dict:
    """cdk.json's context, with the extractor bundled from source only (no pip install: tests stay offline)."""
    context = json.loads((REPO / "cdk.json").read_text())["context"]
    context["spotify-lake:skip-pip-install"] = "true"
    context.update(extra)
    return context


@dataclass
class Synthesized:
    outdir: Path
    templates: dict[str, dict]  # environment name -> CloudFormation template
    stacks: dict  # environment name -> SpotifyLakeStack
    configs: dict  # environment name -> EnvironmentConfig

    def template(self, env: str):
        from aws_cdk.assertions import Template

        return Template.from_json(self.templates[env])


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> Synthesized:
    """Both environments of cdk.json through the real app (cdk-nag plugin included); fails on any finding."""
    from stacks.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stacks = build_app(cdk_context(), outdir=str(outdir))
    app.synth()
    by_env = {s.node.id.removeprefix("SpotifyLake-"): s for s in stacks}
    templates = {env: json.loads((outdir / f"{s.stack_name}.template.json").read_text()) for env, s in by_env.items()}
    from stacks.config import load_environments

    configs = {c.name: c for c in load_environments(cdk_context())}
    return Synthesized(outdir, templates, by_env, configs)


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
