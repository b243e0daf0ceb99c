"""Every AWS request the components make is allowed by the synthesized templates of every environment.

Moto allows everything, so this test asks a real IAM evaluator (``@cloud-copilot/iam-simulate``, pinned in
package.json) instead: the Lambdas' requests recorded on moto (normal and error paths), the Glue job's requests
recorded by the S3 protocol test (``glue_job_calls``), and what the services do for the stack (Step Functions
tasks and Athena's view DDL, schedules and their dead-letter queues, alarms and rules, Lambda destinations),
each with the KMS calls made on the caller's behalf and S3's ListBucket check behind a missing key's 404.
A denied request fails with a table saying who, what, where, which code and which statement decided.
Granted actions that no request used are written to ``out/iam/least-privilege.md`` (a report, not a failure).
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from pathlib import Path

import pytest

from tests.cloud.calls import AwsCall
from tests.cloud.iam.evaluate import Outcome, denial_table, evaluate, requests_for, unique
from tests.cloud.iam.lambdas import record_lambda_calls
from tests.cloud.iam.platform import platform_calls
from tests.cloud.iam.template import PRINCIPAL_ROLES, TemplateModel, construct_paths

REPO = Path(__file__).resolve().parents[2]
REPORT = REPO / "out" / "iam" / "least-privilege.md"


@pytest.fixture(scope="module")
def models(synthesized) -> dict[str, TemplateModel]:
    built = {}
    for env, template in synthesized.templates.items():
        stack_name = synthesized.stacks[env].stack_name
        built[env] = TemplateModel(env, stack_name, template, construct_paths(synthesized.outdir, stack_name, template))
    return built


@pytest.fixture(scope="module")
def lambda_calls() -> list[AwsCall]:
    calls, unmapped = record_lambda_calls()
    assert not unmapped, "requests without an IAM mapping:\n" + "\n".join(unmapped)
    return calls


@pytest.fixture(scope="module")
def outcomes(models, lambda_calls, glue_job_calls) -> list[Outcome]:
    requests = []
    for model in models.values():
        recorded = [*lambda_calls, *glue_job_calls, *platform_calls(model)]
        requests += requests_for(recorded, model)
    return evaluate(unique(requests), models)


def test_every_placeholder_and_principal_has_its_resource(models):
    for env, model in models.items():
        assert not model.missing_placeholders(), env
        for principal in PRINCIPAL_ROLES:
            assert model.role_logical(model.role_arn_of(principal)), (env, principal)


def test_the_recordings_cover_the_paths_that_matter(lambda_calls, glue_job_calls, models):
    """The verdict is only as good as the recording: a first run reads state that does not exist yet, the gate
    reads a missing summary, the extractor reads its secret, and every environment has its Task states."""
    missing = {(c.principal, c.resource.split("/", 1)[-1].split("/")[0]) for c in lambda_calls if c.missing}
    assert ("extractor", "_state") in missing
    assert ("quality_gate", "_runs") in missing
    assert any(c.action == "secretsmanager:GetSecretValue" for c in lambda_calls)
    assert any(c.action == "s3:PutObject" and "s3:if-none-match" in c.context for c in lambda_calls)
    assert glue_job_calls, "the Glue job's recording is empty"
    for env, model in models.items():
        actions = {c.action for c in platform_calls(model)}
        assert {"lambda:InvokeFunction", "glue:StartJobRun", "athena:StartQueryExecution"} <= actions, env
        assert {"glue:CreateTable", "glue:UpdateTable", "s3:PutObject"} <= actions, env


def test_every_request_is_allowed_in_every_environment(outcomes, models):
    write_least_privilege_report(outcomes, models)
    denied = [o for o in outcomes if not o.allowed]
    assert not denied, f"{len(denied)} of {len(outcomes)} requests would be denied on AWS:\n" + denial_table(denied)


# -- least-privilege report ------------------------------------------------------------------------------


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def write_least_privilege_report(outcomes: list[Outcome], models: dict[str, TemplateModel]) -> str:
    """Identity-policy actions that no allowed request used, per environment, role and statement."""
    used: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    roles: dict[str, set[str]] = defaultdict(set)
    for outcome in outcomes:
        request = outcome.request
        if request.role:
            roles[request.env].add(request.role)
        for policy, index in outcome.allowed_by:
            used[(request.env, policy, index)].add(request.action.lower())
    lines = [
        "# Least-privilege report",
        "",
        "Granted identity-policy actions that no recorded request used (the IAM conformance test; not a failure).",
        "",
    ]
    for env, model in sorted(models.items()):
        lines.append(f"## {env}")
        for role in sorted(roles[env]):
            for policy in model.identity_policies(role):
                for index, statement in enumerate(policy["policy"]["Statement"], start=1):
                    if statement.get("Effect") != "Allow" or "Action" not in statement:
                        continue
                    actions = _as_list(statement["Action"])
                    hits = used.get((env, policy["name"], index), set())
                    unused = [a for a in actions if not any(fnmatch.fnmatch(h, a.lower()) for h in hits)]
                    if unused:
                        resources = ", ".join(str(r) for r in _as_list(statement.get("Resource", "*")))
                        lines.append(
                            f"- {role} / {policy['name']} statement #{index}: unused {', '.join(unused)} on {resources}"
                        )
        lines.append("")
    text = "\n".join(lines)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print(text)
    return text
