"""AWS's own rule packs over the synthesized app: cdk-nag AwsSolutions and cfn-lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import Validations

from tests.infra.conftest import REPO, cdk_context


def test_cdk_nag_reports_no_unacknowledged_finding_for_any_environment(synthesized):
    # The session fixture synthesized every environment with the AwsSolutions plugin: a finding would have
    # raised there. The report written beside the templates must be empty too.
    assert sorted(synthesized.templates) == ["dev", "prod"]
    [plugin] = json.loads((synthesized.outdir / "validation-report.json").read_text())["pluginReports"]
    assert plugin["pluginName"] == "AwsSolutions"
    assert plugin["conclusion"] == "success"
    assert plugin["violations"] == []
    # Every finding that was acknowledged carries its reason into the report.
    suppressed = plugin["suppressedViolations"]
    assert suppressed
    for finding in suppressed:
        assert len(finding["reason"]) >= 30, finding["acknowledgedId"]


def test_deploy_guide_explains_every_acknowledged_rule(synthesized):
    [plugin] = json.loads((synthesized.outdir / "validation-report.json").read_text())["pluginReports"]
    rules = {f["ruleName"].split("[")[0] for f in plugin["suppressedViolations"]}
    guide = (REPO / "docs" / "DEPLOY.md").read_text()
    assert sorted(r for r in rules if r not in guide) == []


def test_every_acknowledgement_names_a_rule_and_gives_a_reason(synthesized):
    found = []
    for stack in synthesized.stacks.values():
        for construct in stack.node.find_all():
            for entry in construct.node.metadata:
                if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                    found += list(entry.data.items())
    assert found
    for rule, reason in found:
        assert rule.removeprefix("Annotation::").startswith("AwsSolutions::AwsSolutions-"), rule
        assert len(reason) >= 30, (rule, reason)


@pytest.mark.synth
def test_a_new_unacknowledged_finding_fails_synth(tmp_path):
    # Given the real app with one bucket added that breaks AwsSolutions rules (no access logs, no TLS policy)
    from aws_cdk import aws_s3 as s3

    from stacks.app import build_app

    app, [stack] = build_app(cdk_context(env="dev"), outdir=str(tmp_path))
    s3.Bucket(stack, "Careless")
    # When it is synthesized, then the cdk-nag plugin stops it and names the rules
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def test_cfn_lint_finds_no_errors(synthesized):
    templates = sorted(str(p) for p in Path(synthesized.outdir).glob("*.template.json"))
    assert len(templates) == 2
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--format", "json", "--regions", "us-east-1", "eu-west-1", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    findings = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], json.dumps(errors, indent=1)[:4000]
