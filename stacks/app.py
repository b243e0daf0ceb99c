"""Build the CDK app: one stack per selected environment, checked by cdk-nag's AwsSolutions pack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.config import ASSETS_KEY, ENVIRONMENTS_KEY, SELECT_KEY, SKIP_PIP_KEY, AssetPaths, load_environments
from stacks.lake_stack import SpotifyLakeStack


def build_app(
    context: Mapping[str, Any] | None = None, *, outdir: str | None = None
) -> tuple[App, list[SpotifyLakeStack]]:
    """The app for ``context`` (cdk.json's plus ``-c`` overrides when run by the CLI; tests pass their own)."""
    app = App(context=dict(context) if context is not None else None, outdir=outdir)
    ctx = {key: app.node.try_get_context(key) for key in (ENVIRONMENTS_KEY, SELECT_KEY, ASSETS_KEY, SKIP_PIP_KEY)}
    assets = AssetPaths.from_context(ctx)
    skip_pip = str(ctx.get(SKIP_PIP_KEY, "false")).lower() == "true"
    stacks = [
        SpotifyLakeStack(app, config=config, assets=assets, skip_pip_install=skip_pip)
        for config in load_environments(ctx)
    ]
    # cdk-nag 3: a policy-validation plugin; unacknowledged findings fail synth.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stacks
