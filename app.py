#!/usr/bin/env python3
"""CDK entry point: `npx cdk synth` (all environments) or `npx cdk synth -c env=prod` (one).

Run by the CDK CLI, the context (cdk.json plus `-c` options) arrives through the CLI. Run directly
(`python app.py`), it reads cdk.json's context itself and writes every environment to cdk.out.
"""

import json
import os
from pathlib import Path

from stacks.app import build_app

if os.environ.get("CDK_CONTEXT_JSON") or os.environ.get("CONTEXT_OVERFLOW_LOCATION_ENV"):
    app, _ = build_app()
else:
    context = json.loads((Path(__file__).parent / "cdk.json").read_text())["context"]
    app, _ = build_app(context, outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
app.synth()
