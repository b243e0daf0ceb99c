"""Synthesize every environment of cdk.json once per test session; shared by tests/infra and tests/cloud.

The ``synthesized`` fixture is registered in the root ``tests/conftest.py`` so that one session synthesizes
once, whichever test packages run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
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

    def stack_name(self, env: str) -> str:
        return self.stacks[env].stack_name


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> Synthesized:
    """Every environment of cdk.json through the real app (cdk-nag plugin included); fails on any finding."""
    from stacks.app import build_app
    from stacks.config import load_environments

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stacks = build_app(cdk_context(), outdir=str(outdir))
    app.synth()
    by_env = {s.node.id.removeprefix("SpotifyLake-"): s for s in stacks}
    templates = {env: json.loads((outdir / f"{s.stack_name}.template.json").read_text()) for env, s in by_env.items()}
    configs = {c.name: c for c in load_environments(cdk_context())}
    return Synthesized(outdir, templates, by_env, configs)
