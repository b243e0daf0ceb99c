"""Requests that AWS services make for the stack, read from the synthesized template of one environment.

No code of the project sends these, so no recorder sees them: Step Functions calling each Task's service
integration with the state machine's role (and Athena running ``CREATE OR REPLACE VIEW`` with that role's
permissions), EventBridge Scheduler invoking its targets and writing their dead-letter queues with the
schedule's role, CloudWatch alarms and EventBridge rules publishing as service principals, Lambda sending
asynchronous-invocation records to a destination and writing logs and traces with the function's role.

An integration or target this module does not know raises ``TemplateModelError``: a new kind of request
must be modelled here before the test can pass, never skipped.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.cloud.calls import AwsCall
from tests.cloud.iam.template import ACCOUNT, PARTITION, PRINCIPAL_ROLES, REGION, TemplateModel, TemplateModelError


def _labels(model: TemplateModel) -> dict[str, str]:
    """Role logical id → principal label (``state_machine``, ``scheduler``, ... or ``role:<logical id>``)."""
    labels: dict[str, str] = {}
    for label in PRINCIPAL_ROLES:
        try:
            labels[model.role_logical(model.role_arn_of(label))] = label
        except TemplateModelError:
            continue
    return labels


def _principal(model: TemplateModel, role_arn: str, labels: dict[str, str]) -> str:
    logical = model.role_logical(role_arn)
    return labels.get(logical, f"role:{logical}")


def _function_arn(value: str) -> str:
    if value.startswith("arn:"):
        return value
    return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{value}"


def _queue_arn(url_or_arn: str) -> str:
    if url_or_arn.startswith("arn:"):
        return url_or_arn
    name = url_or_arn.rstrip("/").rsplit("/", 1)[1]
    return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}"


def _target_action(arn: str) -> str:
    """The IAM action a service needs to deliver to ``arn`` (a function, state machine, queue or topic)."""
    service = arn.split(":")[2]
    actions = {
        "lambda": "lambda:InvokeFunction",
        "states": "states:StartExecution",
        "sqs": "sqs:SendMessage",
        "sns": "sns:Publish",
        "events": "events:PutEvents",
    }
    if service not in actions:
        raise TemplateModelError(f"delivery to {arn} is not modelled (add it to tests/cloud/iam/platform.py)")
    return actions[service]


def _delivery_resource(arn: str) -> str:
    return _queue_arn(arn) if arn.split(":")[2] == "sqs" or arn.startswith("https://sqs.") else arn


def platform_calls(model: TemplateModel) -> list[AwsCall]:
    labels = _labels(model)
    calls: list[AwsCall] = []
    calls += state_machine_calls(model, labels)
    calls += schedule_calls(model, labels)
    calls += alarm_calls(model)
    calls += rule_calls(model, labels)
    calls += lambda_calls(model, labels)
    calls += log_group_calls(model)
    return calls


# -- Step Functions ---------------------------------------------------------------------------------------


def _states(definition: dict) -> list[tuple[str, dict]]:
    found = []
    for name, state in definition.get("States", {}).items():
        found.append((name, state))
        for branch in state.get("Branches", []):
            found += _states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                found += _states(state[key])
    return found


def state_machine_calls(model: TemplateModel, labels: dict[str, str]) -> list[AwsCall]:
    calls = []
    for logical, resource in model.by_type("AWS::StepFunctions::StateMachine").items():
        props = resource["Properties"]
        principal = _principal(model, str(model.resolve(props["RoleArn"])), labels)
        if "DefinitionString" in props:
            definition = json.loads(model.resolve(props["DefinitionString"]))
        else:
            definition = model.resolve(props["Definition"])
        for name, state in _states(definition):
            if state.get("Type") == "Task":
                calls += _task_calls(model, principal, f"state machine {logical}, state {name!r}", state)
    return calls


def _task_calls(model: TemplateModel, principal: str, origin: str, state: dict) -> list[AwsCall]:
    resource = state["Resource"]
    params = state.get("Parameters", state.get("Arguments", {}))
    integration = resource.split(":::", 1)[1] if ":::" in resource else None
    if integration is None and resource.split(":")[2] == "lambda":
        return [AwsCall(principal, "lambda:InvokeFunction", resource, origin)]
    if integration is None:
        raise TemplateModelError(f"{origin}: Task resource {resource} is not modelled")
    service_call, _, pattern = integration.partition(".")
    sync = pattern.startswith("sync")

    def call(action: str, arn: str, **context: Any) -> AwsCall:
        return AwsCall(principal, action, arn, origin, context)

    if service_call == "lambda:invoke":
        return [call("lambda:InvokeFunction", _function_arn(str(params["FunctionName"])))]
    if service_call == "glue:startJobRun":
        job = f"arn:{PARTITION}:glue:{REGION}:{ACCOUNT}:job/{params['JobName']}"
        actions = ["glue:StartJobRun"] + (["glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"] if sync else [])
        return [call(a, job) for a in actions]
    if service_call == "sns:publish":
        return [call("sns:Publish", str(params["TopicArn"]))]
    if service_call == "sqs:sendMessage":
        return [call("sqs:SendMessage", _queue_arn(str(params["QueueUrl"])))]
    if service_call == "states:startExecution":
        return [call("states:StartExecution", str(params["StateMachineArn"]))]
    if service_call == "athena:startQueryExecution":
        workgroup = str(params.get("WorkGroup", "primary"))
        arn = f"arn:{PARTITION}:athena:{REGION}:{ACCOUNT}:workgroup/{workgroup}"
        actions = ["athena:StartQueryExecution"] + (
            ["athena:GetQueryExecution", "athena:StopQueryExecution"] if sync else []
        )
        calls = [call(a, arn) for a in actions]
        database = params.get("QueryExecutionContext", {}).get("Database", "default")
        return calls + athena_query_calls(model, principal, origin, workgroup, str(database), params["QueryString"])
    raise TemplateModelError(f"{origin}: service integration {integration} is not modelled")


_COMMENT = re.compile(r"--[^\n]*")
_VIEW = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+\"?([\w.]+?)\"?\s+AS\b", re.IGNORECASE)
_SOURCE = re.compile(r"\b(?:FROM|JOIN)\s+([\w.\"]+)(?![\w.\"])(?!\s*\()", re.IGNORECASE)
_CTE = re.compile(r"(?:\bWITH|,)\s*(\w+)\s+AS\s*\(", re.IGNORECASE)


def athena_query_calls(
    model: TemplateModel, principal: str, origin: str, workgroup: str, database: str, sql: str
) -> list[AwsCall]:
    """What Athena does with the caller's permissions for a DDL statement: Glue catalog reads and writes
    (``CREATE OR REPLACE VIEW``: the view is a Glue table, created the first time and updated afterwards;
    Athena reads the definition of every table and view the query names), and the workgroup's result
    location (Athena checks the bucket and writes the statement's result object there, encrypted as the
    workgroup says; the KMS calls follow from the bucket, added by the evaluator)."""
    origin = f"Athena for {origin}"
    text = _COMMENT.sub("", sql)
    view = _VIEW.search(text)
    if view is None:
        raise TemplateModelError(f"{origin}: only CREATE [OR REPLACE] VIEW statements are modelled: {sql[:80]}")
    glue = f"arn:{PARTITION}:glue:{REGION}:{ACCOUNT}"

    def table_arn(name: str) -> str:
        db, _, table = name.replace('"', "").rpartition(".")
        return f"{glue}:table/{db or database}/{table}"

    calls = [AwsCall(principal, "glue:GetDatabase", f"{glue}:database/{database}", origin)]
    view_arn = table_arn(view.group(1))
    calls += [
        AwsCall(principal, a, view_arn, origin) for a in ("glue:GetTable", "glue:CreateTable", "glue:UpdateTable")
    ]
    ctes = {m.lower() for m in _CTE.findall(text)}
    for source in sorted({s for s in _SOURCE.findall(text) if s.replace('"', "").lower() not in ctes}):
        calls.append(AwsCall(principal, "glue:GetTable", table_arn(source), origin))

    config = _workgroup_configuration(model, workgroup)
    output = config.get("ResultConfiguration", {}).get("OutputLocation")
    if not output:
        raise TemplateModelError(f"{origin}: workgroup {workgroup} has no result location")
    bucket, _, prefix = str(output).removeprefix("s3://").partition("/")
    calls.append(AwsCall(principal, "s3:GetBucketLocation", f"arn:{PARTITION}:s3:::{bucket}", origin))
    result_key = f"{prefix.rstrip('/') + '/' if prefix else ''}00000000-0000-0000-0000-000000000000.txt"
    encryption = config.get("ResultConfiguration", {}).get("EncryptionConfiguration", {})
    context = {}
    if encryption.get("EncryptionOption") == "SSE_KMS":
        context = {"s3:x-amz-server-side-encryption": "aws:kms"}
        workgroup_key = encryption.get("KmsKey")
        bucket_key = model.bucket_encryption(bucket)
        if workgroup_key and (bucket_key is None or bucket_key[0].arn != model.key(workgroup_key, "s3").arn):
            raise TemplateModelError(
                f"{origin}: results are encrypted with a key other than the bucket's default; not modelled"
            )
    calls.append(AwsCall(principal, "s3:PutObject", f"arn:{PARTITION}:s3:::{bucket}/{result_key}", origin, context))
    return calls


def _workgroup_configuration(model: TemplateModel, workgroup: str) -> dict:
    for logical in model.by_type("AWS::Athena::WorkGroup"):
        if model.name(logical) == workgroup:
            return model.resolve(model.resources[logical]["Properties"].get("WorkGroupConfiguration", {}))
    raise TemplateModelError(f"Athena workgroup {workgroup} is not in the template")


# -- EventBridge Scheduler, CloudWatch alarms, EventBridge rules, Lambda -------------------------------------


def schedule_calls(model: TemplateModel, labels: dict[str, str]) -> list[AwsCall]:
    calls = []
    for logical, resource in model.by_type("AWS::Scheduler::Schedule").items():
        target = model.resolve(resource["Properties"]["Target"])
        principal = _principal(model, str(target["RoleArn"]), labels)
        origin = f"schedule {logical}"
        arn = str(target["Arn"])
        if ":::aws-sdk:" in arn:
            raise TemplateModelError(f"{origin}: universal target {arn} is not modelled")
        calls.append(AwsCall(principal, _target_action(arn), _delivery_resource(arn), origin))
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        if dead_letter:
            calls.append(
                AwsCall(principal, "sqs:SendMessage", _queue_arn(str(dead_letter)), f"{origin} dead-letter queue")
            )
    return calls


def alarm_calls(model: TemplateModel) -> list[AwsCall]:
    calls = []
    for logical, resource in model.by_type("AWS::CloudWatch::Alarm").items():
        props = model.resolve(resource["Properties"])
        alarm_arn = model.get_att(logical, "Arn")
        context = {"aws:SourceArn": alarm_arn, "aws:SourceAccount": ACCOUNT}
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for action in props.get(key, []) or []:
                service = str(action).split(":")[2]
                if service == "sns":
                    calls.append(
                        AwsCall(
                            "service:cloudwatch.amazonaws.com", "sns:Publish", str(action), f"alarm {logical}", context
                        )
                    )
                elif service == "lambda":
                    calls.append(
                        AwsCall(
                            "service:lambda.alarms.cloudwatch.amazonaws.com",
                            "lambda:InvokeFunction",
                            str(action),
                            f"alarm {logical}",
                            context,
                        )
                    )
                else:
                    raise TemplateModelError(f"alarm {logical}: action {action} is not modelled")
    return calls


def rule_calls(model: TemplateModel, labels: dict[str, str]) -> list[AwsCall]:
    calls = []
    for logical, resource in model.by_type("AWS::Events::Rule").items():
        props = model.resolve(resource["Properties"])
        rule_arn = model.get_att(logical, "Arn")
        context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": ACCOUNT}
        for target in props.get("Targets", []) or []:
            arn = str(target["Arn"])
            origin = f"rule {logical} target {target.get('Id', '')}".strip()
            if target.get("RoleArn"):
                principal = _principal(model, str(target["RoleArn"]), labels)
                calls.append(AwsCall(principal, _target_action(arn), _delivery_resource(arn), origin))
            else:
                action = _target_action(arn)
                if action not in {"sns:Publish", "sqs:SendMessage", "lambda:InvokeFunction"}:
                    raise TemplateModelError(f"{origin}: a {action} target needs a role; not modelled without one")
                calls.append(AwsCall("service:events.amazonaws.com", action, _delivery_resource(arn), origin, context))
            dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
            if dead_letter:
                calls.append(
                    AwsCall(
                        "service:events.amazonaws.com",
                        "sqs:SendMessage",
                        _queue_arn(str(dead_letter)),
                        f"{origin} dead-letter queue",
                        context,
                    )
                )
    return calls


def lambda_calls(model: TemplateModel, labels: dict[str, str]) -> list[AwsCall]:
    """Asynchronous-invocation destinations, and the logs and traces Lambda writes with the function's role."""
    calls = []
    functions = model.by_type("AWS::Lambda::Function")
    roles = {logical: str(model.resolve(f["Properties"]["Role"])) for logical, f in functions.items()}
    names = {model.name(logical): logical for logical in functions}
    for logical, resource in model.by_type("AWS::Lambda::EventInvokeConfig").items():
        props = model.resolve(resource["Properties"])
        function = names.get(str(props["FunctionName"]).rsplit(":", 1)[-1])
        if function is None:
            raise TemplateModelError(f"destination {logical}: function {props['FunctionName']} is not in the template")
        principal = _principal(model, roles[function], labels)
        for outcome in ("OnFailure", "OnSuccess"):
            destination = props.get("DestinationConfig", {}).get(outcome, {}).get("Destination")
            if destination:
                origin = f"Lambda {outcome} destination of {function}"
                calls.append(
                    AwsCall(principal, _target_action(str(destination)), _delivery_resource(str(destination)), origin)
                )
    for logical, resource in functions.items():
        label = labels.get(model.role_logical(roles[logical]))
        if label is None:  # CDK's own helper functions (auto-delete objects, ...) are not the project's code
            continue
        props = model.resolve(resource["Properties"])
        group = props.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{model.name(logical)}"
        stream = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:2026/12/01/[$LATEST]0"
        origin = f"Lambda runtime of {logical}"
        calls.append(AwsCall(label, "logs:CreateLogStream", stream, origin))
        calls.append(AwsCall(label, "logs:PutLogEvents", stream, origin))
        if props.get("TracingConfig", {}).get("Mode") == "Active":
            calls += [AwsCall(label, a, "*", origin) for a in ("xray:PutTraceSegments", "xray:PutTelemetryRecords")]
        if props.get("KmsKeyArn"):  # environment variables under a customer-managed key: decrypted at start
            context = {
                "kms:ViaService": f"lambda.{REGION}.amazonaws.com",
                "kms:CallerAccount": ACCOUNT,
                "kms:EncryptionContext:aws:lambda:FunctionArn": model.get_att(logical, "Arn"),
            }
            calls.append(AwsCall(label, "kms:Decrypt", str(props["KmsKeyArn"]), origin, context))
    return calls


def log_group_calls(model: TemplateModel) -> list[AwsCall]:
    """CloudWatch Logs uses a log group's customer-managed key itself, as its regional service principal."""
    calls = []
    for logical, resource in model.by_type("AWS::Logs::LogGroup").items():
        key = resource.get("Properties", {}).get("KmsKeyId")
        if key is None:
            continue
        group = model.get_att(logical, "Arn").removesuffix(":*")
        context = {"kms:EncryptionContext:aws:logs:arn": group, "aws:SourceAccount": ACCOUNT}
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            principal = f"service:logs.{REGION}.amazonaws.com"
            calls.append(AwsCall(principal, action, model.key(key, "logs").arn, f"log group {logical}", context))
    return calls
