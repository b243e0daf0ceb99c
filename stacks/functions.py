"""A Python Lambda with its own role, KMS-encrypted log group and X-Ray tracing: the project's Lambda defaults."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.bundling import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME
from stacks.nag import ANY_RESOURCE, acknowledge


def grant_logs_service(key: kms.IKey) -> None:
    """Let CloudWatch Logs use ``key`` for this account's log groups (needed once per key)."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsUseOfTheKey",
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],  # in a key policy "*" means this key
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"
                }
            },
        )
    )


def encrypted_log_group(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey | None,
    retention_days: int,
    removal: RemovalPolicy,
    log_group_name: str | None = None,
) -> logs.LogGroup:
    """A log group with the configured retention, encrypted with ``key`` (None: CloudWatch Logs' own default
    encryption). No name unless given: CloudFormation's generated names never collide with a retained group."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=log_group_name,
        encryption_key=key,
        retention=retention(retention_days),
        removal_policy=removal,
    )


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS, 120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS, 545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS, 1096: logs.RetentionDays.THREE_YEARS, 1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS, 2557: logs.RetentionDays.SEVEN_YEARS, 2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
}  # fmt: skip


def retention(days: int) -> logs.RetentionDays:
    """The CloudWatch retention for a day count (config validates it is one of these)."""
    return _RETENTION[days]


class PythonFunction(Construct):
    """arm64 Lambda with a role that can write only its own log group (no AWS managed policy)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str,
        environment: dict[str, str],
        timeout: Duration,
        memory_mb: int,
        key: kms.IKey | None,
        log_retention_days: int,
        removal: RemovalPolicy,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = encrypted_log_group(self, "Logs", key=key, retention_days=log_retention_days, removal=removal)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            code=code,
            handler=handler,
            description=description,
            environment=environment,
            environment_encryption=key,
            timeout=timeout,
            memory_size=memory_mb,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=reserved_concurrency,
        )
        acknowledge(
            self.role,
            "IAM5",
            "X-Ray tracing: xray:PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
            findings=[ANY_RESOURCE],
        )
        acknowledge(
            self.function,
            "L1",
            f"{LAMBDA_RUNTIME.name} is a supported Lambda runtime and the one the asset's wheels are resolved "
            "and tested for (stacks.bundling.LAMBDA_PYTHON_VERSION); moving to a newer one is a tested upgrade.",
        )
