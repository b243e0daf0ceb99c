"""cdk-nag acknowledgements: every one names a rule of the AwsSolutions pack and says why it does not apply.

cdk-nag 3 matches acknowledgements by exact id: ``AwsSolutions::AwsSolutions-<rule>`` for a whole rule, and
``AwsSolutions::AwsSolutions-IAM5[<finding>]`` for one wildcard finding (a bare ``AwsSolutions-IAM5`` matches
nothing). Wildcard findings are acknowledged one by one, so a new wildcard fails synth until someone reviews it.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, CfnResource, Stack, Validations
from constructs import IConstruct

PACK = "AwsSolutions"
#: ``Resource::*``: actions that AWS does not scope to resources (X-Ray, CloudWatch metrics, log delivery).
ANY_RESOURCE = "Resource::*"


def acknowledge(scope: IConstruct, rule: str, reason: str, *, findings: list[str] | tuple[str, ...] = ()) -> None:
    """Acknowledge ``rule`` (e.g. ``"L1"``), or only its ``findings``, on ``scope`` and its children."""
    if len(reason) < 30:
        raise ValueError(f"acknowledgement of {rule} needs a specific reason, got {reason!r}")
    ids = [f"{PACK}::{PACK}-{rule}[{f}]" for f in findings] if findings else [f"{PACK}::{PACK}-{rule}"]
    Validations.of(scope).acknowledge(*[Acknowledgment(id=i, reason=reason) for i in ids])


def logical_id(construct: IConstruct) -> str:
    """The CloudFormation logical id of ``construct`` (or of its default child), as cdk-nag prints it."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to name")
    stack = Stack.of(construct)
    return stack.resolve(stack.get_logical_id(resource))


def arn_finding(construct: IConstruct, suffix: str) -> str:
    """cdk-nag's name for the wildcard resource ``<construct ARN><suffix>``, e.g. a bucket prefix ``/raw/*``."""
    return f"Resource::<{logical_id(construct)}.Arn>{suffix}"
