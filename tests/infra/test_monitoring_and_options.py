"""Monitoring resources and alerts, and asset folders from context."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import cdk_context, logical_id_of, only, resources


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_alarms_notify_the_alerts_topic(synthesized, env):
    stack = synthesized.stacks[env]
    topic = {"Ref": logical_id_of(stack, stack.orchestration.alerts)}
    alarms = resources(synthesized.templates[env], "AWS::CloudWatch::Alarm")
    # One alarm ($0.10 a month): what no step or service event reports. Failures of the pipeline, the Glue
    # job and the extractor are not alarmed: the state machine's described alert or an EventBridge rule sends one.
    names = sorted(a["Properties"].get("MetricName") for a in alarms.values())
    assert names == ["GapsDetected"]
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [topic]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_one_failure_one_alert(synthesized, env):
    stack = synthesized.stacks[env]
    template = synthesized.templates[env]
    topic = {"Ref": logical_id_of(stack, stack.orchestration.alerts)}
    machine = {"Ref": logical_id_of(stack, stack.orchestration.state_machine)}
    rules = {
        k: r["Properties"] for k, r in resources(template, "AWS::Events::Rule").items() if "Targets" in r["Properties"]
    }
    patterns = {json.dumps(r["EventPattern"]["detail"], sort_keys=True): r for r in rules.values()}
    assert len(rules) == 3
    for rule in rules.values():
        [target] = rule["Targets"]
        assert target["Arn"] == topic
        assert f"spotify-lake ({env})" in target["InputTransformer"]["InputTemplate"]
    # The pipeline: timeouts and aborts, and failures that did not reach the "Pipeline failed" state (whose
    # alert was already sent); a failure that did is not matched, so it is e-mailed once.
    stopped = json.dumps({"stateMachineArn": [machine], "status": ["TIMED_OUT", "ABORTED"]}, sort_keys=True)
    failed = json.dumps(
        {"stateMachineArn": [machine], "status": ["FAILED"], "error": [{"anything-but": "PipelineFailed"}]},
        sort_keys=True,
    )
    assert stopped in patterns
    assert failed in patterns
    parts = template["Resources"][logical_id_of(stack, stack.orchestration.state_machine)]["Properties"][
        "DefinitionString"
    ]["Fn::Join"][1]
    definition = "".join(p for p in parts if isinstance(p, str))
    assert '"Pipeline failed":{"Type":"Fail","Error":"PipelineFailed"' in definition
    # The extractor's scheduled (asynchronous) failures: its on-failure destination's event.
    [lambda_rule] = [r for r in rules.values() if r["EventPattern"]["source"] == ["lambda"]]
    assert lambda_rule["EventPattern"]["detail-type"] == ["Lambda Function Invocation Result - Failure"]
    function = logical_id_of(stack, stack.ingestion.extractor.function)
    assert lambda_rule["EventPattern"]["detail"] == {
        "requestContext": {"functionArn": [{"prefix": {"Fn::Join": ["", [{"Fn::GetAtt": [function, "Arn"]}, ":"]]}}]}
    }
    # No Glue rule: every scheduled Glue run is started by the state machine, which alerts for it.
    assert not [r for r in rules.values() if r["EventPattern"]["source"] == ["aws.glue"]]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_alarms_and_rules_may_publish_to_the_topic(synthesized, env):
    # CDK's enforce_ssl policy replaces SNS's default one: without an Allow, CloudWatch and EventBridge
    # (service principals) are denied and no alert arrives.
    stack = synthesized.stacks[env]
    template = synthesized.templates[env]
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert by_sid["AllowPublishThroughSSLOnly"]["Effect"] == "Deny"
    alarm_arns = [{"Fn::GetAtt": [logical_id_of(stack, a), "Arn"]} for a in stack.monitoring.alarms]
    rule_arns = [{"Fn::GetAtt": [logical_id_of(stack, r), "Arn"]} for r in stack.monitoring.rules]
    for sid, service, arns in (
        ("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com", alarm_arns),
        ("EventBridgeRulesPublish", "events.amazonaws.com", rule_arns),
    ):
        statement = by_sid[sid]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": service}
        assert statement["Action"] == "sns:Publish"
        assert statement["Condition"] == {
            "ArnEquals": {"aws:SourceArn": arns},
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        }
    # No other Allow (CDK's unconditioned grant to events.amazonaws.com is not used).
    assert sorted(by_sid) == ["AllowPublishThroughSSLOnly", "CloudWatchAlarmsPublish", "EventBridgeRulesPublish"]


def test_encrypted_topic_lets_cloudwatch_and_eventbridge_use_the_key(synthesized):
    stack = synthesized.stacks["prod"]
    template = synthesized.templates["prod"]
    _, key = only(template, "AWS::KMS::Key")
    by_sid = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    for sid, service in (
        ("CloudWatchAlarmsPublishToEncryptedTopic", "cloudwatch.amazonaws.com"),
        ("EventBridgeRulesPublishToEncryptedTopic", "events.amazonaws.com"),
    ):
        assert by_sid[sid]["Principal"] == {"Service": service}
        assert sorted(by_sid[sid]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert by_sid[sid]["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    _, topic = only(template, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [logical_id_of(stack, stack.storage.key), "Arn"]}


def test_aws_managed_topic_is_not_encrypted_with_the_unusable_aws_sns_key(synthesized):
    # The aws/sns key's policy cannot be changed, so CloudWatch and EventBridge could not publish to it.
    _, topic = only(synthesized.templates["dev"], "AWS::SNS::Topic")
    assert "KmsMasterKeyId" not in topic["Properties"]


def test_alerts_topic_mails_the_configured_address(synthesized):
    template = synthesized.templates["prod"]
    _, subscription = only(template, "AWS::SNS::Subscription")
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == synthesized.configs["prod"].alert_email


def test_dashboard_shows_extraction_lambda_glue_and_workflow(synthesized):
    _, dashboard = only(synthesized.templates["dev"], "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for fragment in ("ItemsExtracted", "Throttled429", "Duration", "Throttles", "glue.driver.aggregate.elapsedTime",
                     "ExecutionsFailed", "ProcessedBytes"):  # fmt: skip
        assert fragment in body, fragment


@pytest.mark.synth
def test_asset_folders_from_context(tmp_path):
    # Given one environment with the views from a temporary folder
    from stacks.app import build_app

    views = tmp_path / "views"
    views.mkdir()
    (views / "10_only.sql").write_text(
        "CREATE OR REPLACE VIEW only_view AS SELECT * FROM plays WHERE '${time_zone}' <> ''"
    )
    context = cdk_context(env="dev")
    context["spotify-lake:assets"] = {"views": str(views)}
    app, [stack] = build_app(context, outdir=str(tmp_path / "out"))
    # When it is synthesized (cdk-nag included)
    app.synth()
    template = json.loads((tmp_path / "out" / "SpotifyLake-dev.template.json").read_text())
    # Then no crawler exists, and the state machine refreshes exactly the one view, in the configured time zone
    assert not resources(template, "AWS::Glue::Crawler")
    assert [v.name for v in stack.catalog.views] == ["only_view"]
    assert "'Europe/Berlin' <> ''" in stack.catalog.views[0].sql
