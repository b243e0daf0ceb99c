"""Monitoring resources, and the optional parts of the app (crawler flag, asset folders from context)."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import cdk_context, logical_id_of, only, resources


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_alarms_notify_the_alerts_topic(synthesized, env):
    stack = synthesized.stacks[env]
    topic = {"Ref": logical_id_of(stack, stack.orchestration.alerts)}
    alarms = resources(synthesized.templates[env], "AWS::CloudWatch::Alarm")
    names = {a["Properties"].get("MetricName") for a in alarms.values()}
    assert {"Errors", "ApproximateNumberOfMessagesVisible", "GapsDetected", "ExecutionsFailed"} <= names
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [topic]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


def test_alerts_topic_is_encrypted_and_mails_the_configured_address(synthesized):
    stack = synthesized.stacks["prod"]
    template = synthesized.templates["prod"]
    _, topic = only(template, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [logical_id_of(stack, stack.storage.key), "Arn"]}
    _, subscription = only(template, "AWS::SNS::Subscription")
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == synthesized.configs["prod"].alert_email


def test_dashboard_shows_extraction_lambda_glue_and_workflow(synthesized):
    _, dashboard = only(synthesized.templates["dev"], "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for fragment in ("ItemsExtracted", "Throttled429", "Duration", "Throttles", "glue.driver.aggregate.elapsedTime",
                     "ExecutionsFailed", "ProcessedBytes"):  # fmt: skip
        assert fragment in body, fragment


def test_crawler_flag_and_asset_folders_from_context(tmp_path):
    # Given one environment with the crawler on and the views from a temporary folder
    from stacks.app import build_app

    views = tmp_path / "views"
    views.mkdir()
    (views / "10_only.sql").write_text(
        "CREATE OR REPLACE VIEW only_view AS SELECT * FROM plays WHERE '${time_zone}' <> ''"
    )
    context = cdk_context(env="dev")
    context["spotify-lake:environments"]["dev"]["enable_crawler"] = True
    context["spotify-lake:assets"] = {"views": str(views)}
    app, [stack] = build_app(context, outdir=str(tmp_path / "out"))
    # When it is synthesized (cdk-nag included)
    app.synth()
    template = json.loads((tmp_path / "out" / "SpotifyLake-dev.template.json").read_text())
    # Then the crawler targets the schema's tables with LOG-only schema changes
    _, crawler = only(template, "AWS::Glue::Crawler")
    targets = crawler["Properties"]["Targets"]["CatalogTargets"][0]
    from curation.schema import TABLES

    assert targets["Tables"] == [t.name for t in TABLES]
    assert crawler["Properties"]["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    # And the state machine refreshes exactly the one view, in the configured time zone
    assert [v.name for v in stack.catalog.views] == ["only_view"]
    assert "'Europe/Berlin' <> ''" in stack.catalog.views[0].sql
