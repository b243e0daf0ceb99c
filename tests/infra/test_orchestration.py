"""The state machine as synthesized: its structure, and its execution in moto (success and failure paths)."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest

from stacks.sql_files import TIME_ZONE_PLACEHOLDER, load_views
from tests.infra.conftest import REPO, logical_id_of, only

REGION = "us-east-1"
ACCOUNT = "123456789012"


def definition_parts(synthesized, env: str) -> list:
    _, machine = only(synthesized.templates[env], "AWS::StepFunctions::StateMachine")
    return machine["Properties"]["DefinitionString"]["Fn::Join"][1]


def resolve(parts: list, values: dict[str, str]) -> dict:
    """Render the definition's Fn::Join with concrete values for every Ref / Fn::GetAtt it contains."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif "Ref" in part:
            out.append(values[part["Ref"]])
        elif "Fn::GetAtt" in part:
            out.append(values[".".join(part["Fn::GetAtt"])])
        else:
            raise AssertionError(f"unexpected token in the definition: {part}")
    return json.loads("".join(out))


def placeholder_definition(synthesized, env: str) -> dict:
    refs = set()
    for part in definition_parts(synthesized, env):
        if isinstance(part, dict):
            refs.add(part["Ref"] if "Ref" in part else ".".join(part["Fn::GetAtt"]))
    return resolve(definition_parts(synthesized, env), {r: f"<{r}>" for r in refs})


# -- structure --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_logging_all_and_tracing(synthesized, env):
    stack = synthesized.stacks[env]
    _, machine = only(synthesized.templates[env], "AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
    group = logical_id_of(stack, stack.orchestration.state_machine_logs)
    destination = props["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    assert destination == {"Fn::GetAtt": [group, "Arn"]}
    assert props["StateMachineName"] == f"spotify-lake-{env}-pipeline"


def test_workflow_order_extract_curate_gate_views_done(synthesized):
    states = placeholder_definition(synthesized, "dev")
    d = states["States"]
    assert states["StartAt"] == "Extract from Spotify"
    assert d["Extract from Spotify"]["Next"] == "Curate with Glue"
    assert d["Curate with Glue"]["Resource"].endswith(":states:::glue:startJobRun.sync")
    assert d["Curate with Glue"]["Next"] == "Check data quality"
    assert d["Check data quality"]["Next"] == "Data quality passed?"
    views = load_views(REPO / "sql" / "views", "Europe/Berlin")
    first = d["Data quality passed?"]["Choices"][0]["Next"]
    assert first == f"Refresh view {views[0].name}"
    # The views run one after the other in lexical file order, then the run succeeds.
    order, state = [], first
    while d[state]["Type"] == "Task":
        assert d[state]["Resource"].endswith(":states:::athena:startQueryExecution.sync")
        order.append(state)
        state = d[state]["Next"]
    assert order == [f"Refresh view {v.name}" for v in views]
    assert d[state]["Type"] == "Succeed"


@pytest.mark.parametrize(("env", "zone"), [("dev", "Europe/Berlin"), ("prod", "Europe/Berlin")])
def test_view_sql_has_the_configured_time_zone(synthesized, env, zone):
    d = placeholder_definition(synthesized, env)["States"]
    queries = [s["Parameters"]["QueryString"] for s in d.values() if s.get("Resource", "").endswith("Execution.sync")]
    assert queries
    assert not any(TIME_ZONE_PLACEHOLDER in q for q in queries)
    play_events = d["Refresh view play_events"]["Parameters"]
    assert f"'{zone}'" in play_events["QueryString"]
    assert play_events["QueryExecutionContext"] == {"Database": "<CatalogAndQueryDatabase938C7A87>"}


def test_every_task_has_a_catch_leading_to_the_alert(synthesized):
    d = placeholder_definition(synthesized, "dev")["States"]
    for name, state in d.items():
        if state["Type"] != "Task" or name == "Send failure alert":
            continue
        assert state.get("TimeoutSeconds") or state["Parameters"].get("Timeout"), f"{name} has no timeout"
        catches = state["Catch"]
        assert catches[-1]["ErrorEquals"] == ["States.ALL"], name
        for catch in catches:
            describe = d[catch["Next"]]
            assert describe["Type"] == "Pass", name
            assert describe["Next"] == "Send failure alert", name
    assert d["Send failure alert"]["Next"] == "Pipeline failed"
    assert d["Send failure alert"]["Resource"].endswith(":states:::sns:publish")


def test_expired_spotify_authorization_has_its_own_message(synthesized):
    d = placeholder_definition(synthesized, "dev")["States"]
    catches = d["Extract from Spotify"]["Catch"]
    assert catches[0]["ErrorEquals"] == ["AuthorizationExpired"]
    expired = d[catches[0]["Next"]]["Parameters"]
    generic = d[catches[-1]["Next"]]["Parameters"]
    assert expired["subject"] == "spotify-lake dev: Spotify authorization expired"
    assert "python -m spotify_lake authorize" in expired["message.$"]
    assert "authorize" not in generic["message.$"]
    # The error class name is the extractor's (Lambda reports it as the error).
    from extraction.errors import AuthorizationExpired

    assert AuthorizationExpired.__name__ == catches[0]["ErrorEquals"][0]


def test_extractor_busy_is_retried_not_failed(synthesized):
    retries = placeholder_definition(synthesized, "dev")["States"]["Extract from Spotify"]["Retry"]
    busy = next(r for r in retries if r["ErrorEquals"] == ["Lambda.TooManyRequestsException"])
    assert busy["IntervalSeconds"] >= 30
    assert busy["MaxAttempts"] >= 3


# -- execution in moto ----------------------------------------------------------------------------------------


def request_response(definition: dict) -> dict:
    """The ONLY change to the synthesized definition: `.sync` integrations become request-response, because
    moto 5.2.5 cannot run `.sync` tasks (its interpreter fails with "'NoneType' object has no attribute
    'interrupt_all'") and has no Athena `.sync` at all."""
    text = json.dumps(definition)
    return json.loads(text.replace(':startJobRun.sync"', ':startJobRun"').replace('Execution.sync"', 'Execution"'))


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        yield


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("handler.py", "def lambda_handler(event, context):\n    return event\n")
    return buffer.getvalue()


def deploy_to_moto(synthesized, env: str, *, create_glue_job: bool = True) -> dict:
    """Create the resources the definition names, resolve it to their ARNs and create the state machine."""
    import boto3

    stack = synthesized.stacks[env]
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda")
    fns = {}
    for name in ("extractor", "quality-gate"):
        fns[name] = lam.create_function(
            FunctionName=f"{env}-{name}", Runtime="python3.13", Role=role, Handler="handler.lambda_handler",
            Code={"ZipFile": _zip()},
        )["FunctionArn"]  # fmt: skip
    job_name = f"spotify-lake-{env}-curate"
    if create_glue_job:
        boto3.client("glue").create_job(
            Name=job_name, Role=role, Command={"Name": "glueetl", "ScriptLocation": "s3://x/y.py"}
        )
    topic = boto3.client("sns").create_topic(Name="alerts")["TopicArn"]
    boto3.client("athena").create_work_group(Name=f"spotify-lake-{env}")

    values = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        f"{logical_id_of(stack, stack.ingestion.extractor.function)}.Arn": fns["extractor"],
        f"{logical_id_of(stack, stack.orchestration.quality_gate.function)}.Arn": fns["quality-gate"],
        logical_id_of(stack, stack.processing.curate_job): job_name,
        logical_id_of(stack, stack.orchestration.alerts): topic,
        logical_id_of(stack, stack.catalog.workgroup): f"spotify-lake-{env}",
        logical_id_of(stack, stack.catalog.database): f"spotify_lake_{env}",
    }
    definition = request_response(resolve(definition_parts(synthesized, env), values))
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(name="pipeline", definition=json.dumps(definition), roleArn=role)
    return {"machine": machine["stateMachineArn"], "topic": topic}


def queue_lambda_results(*results: dict) -> None:
    """Results of the next Lambda invocations, in order (moto's lambda-simple backend)."""
    import requests

    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/lambda-simple/response",
        json={"results": [json.dumps(r) for r in results], "region": REGION},
        timeout=5,
    )
    assert response.status_code == 201, response.text


def run_to_end(machine: str, name: str) -> tuple[dict, list[dict]]:
    import boto3

    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"trigger": "test"}))
    deadline = time.monotonic() + 60
    while True:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            break
        assert time.monotonic() < deadline, "execution did not finish within 60 s"
        time.sleep(0.2)
    events = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
    return described, events


def entered(events: list[dict]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def sent_alerts(topic_arn: str) -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    topic = sns_backends[ACCOUNT][REGION].topics[topic_arn]
    return [(subject, message) for _, message, subject, *_ in topic.sent_notifications]


EXTRACT_SUMMARY = {"run_id": "extract-run-1", "status": "finished", "items_written": 42}


def test_success_path_runs_every_step_in_order(synthesized, aws):
    # Given the synthesized definition deployed to moto, and Lambda results for the extractor and the gate
    deployed = deploy_to_moto(synthesized, "dev")
    queue_lambda_results(EXTRACT_SUMMARY, {"passed": True, "problems": [], "run_id": "curate-run-1"})
    # When the pipeline runs
    described, events = run_to_end(deployed["machine"], "run-1")
    # Then every step ran once, in order, and no alert was sent
    assert described["status"] == "SUCCEEDED", described
    views = [f"Refresh view {v.name}" for v in load_views(REPO / "sql" / "views", "Europe/Berlin")]
    assert entered(events) == [
        "Extract from Spotify",
        "Curate with Glue",
        "Check data quality",
        "Data quality passed?",
        *views,
        "Pipeline succeeded",
    ]
    assert sent_alerts(deployed["topic"]) == []
    output = json.loads(described["output"])
    assert output["extract"] == {"run_id": "extract-run-1", "status": "finished", "items_written": 42}
    assert output["quality"] == {"passed": True, "problems": []}
    assert output["curate"]["JobRunId"]
    assert output["last_refreshed"] == {"view": views[-1].removeprefix("Refresh view ")}
    # The Glue run got the run id derived from the execution name
    import boto3

    runs = boto3.client("glue").get_job_runs(JobName="spotify-lake-dev-curate")["JobRuns"]
    assert [r["Arguments"]["--run_id"] for r in runs] == ["curate-run-1"]
    # The views ran in the workgroup with the time zone substituted
    athena = boto3.client("athena")
    ids = athena.list_query_executions(WorkGroup="spotify-lake-dev")["QueryExecutionIds"]
    assert len(ids) == len(views)
    first = athena.get_query_execution(QueryExecutionId=ids[-1])["QueryExecution"]
    texts = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
    assert any("CREATE OR REPLACE VIEW play_events" in t and "'Europe/Berlin'" in t for t in texts)
    assert first["QueryExecutionContext"]["Database"] == "spotify_lake_dev"


def test_failing_step_reaches_the_sns_alert(synthesized, aws):
    # Given a deployment whose Glue job does not exist, so the curation step fails
    deployed = deploy_to_moto(synthesized, "dev", create_glue_job=False)
    queue_lambda_results(EXTRACT_SUMMARY)
    # When the pipeline runs
    described, events = run_to_end(deployed["machine"], "run-2")
    # Then the failure is described, published once, and the execution fails without touching the views
    assert described["status"] == "FAILED"
    assert entered(events) == [
        "Extract from Spotify",
        "Curate with Glue",
        "Describe failure: curation",
        "Send failure alert",
        "Pipeline failed",
    ]
    [(subject, message)] = sent_alerts(deployed["topic"])
    assert subject == "spotify-lake dev: pipeline failed at Curate with Glue"
    assert message.startswith('spotify-lake (dev): the pipeline run run-2 failed at step "Curate with Glue".')
    assert "Error: " in message
    assert "EntityNotFoundException" in message
    assert "What to do: Open the Glue job run" in message
    assert message.rstrip().endswith(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:pipeline:run-2")
    assert f"https://{REGION}.console.aws.amazon.com/states/home?region={REGION}#/v2/executions/details/" in message


def test_failed_quality_gate_alerts_with_the_problems(synthesized, aws):
    # Given a gate verdict that fails the run
    deployed = deploy_to_moto(synthesized, "dev")
    problem = "plays.unique_play_id: observed 3.0, limit 0.0"
    queue_lambda_results(EXTRACT_SUMMARY, {"passed": False, "problems": [problem], "run_id": "curate-run-3"})
    # When the pipeline runs
    described, events = run_to_end(deployed["machine"], "run-3")
    # Then no view is refreshed and the alert lists the problem
    assert described["status"] == "FAILED"
    assert not any(name.startswith("Refresh view") for name in entered(events))
    [(subject, message)] = sent_alerts(deployed["topic"])
    assert subject == "spotify-lake dev: pipeline failed at Check data quality"
    assert problem in message
    assert "The views were not refreshed" in message
