"""The cost model against figures worked out by hand (prices from spotify_lake.bench.cost's constants)."""

import json

import pytest

from spotify_lake.bench import cost

# A deployment and volumes chosen so every line can be checked with a calculator.
DEPLOYMENT = cost.Deployment(
    extract_every_minutes=60,  # 24 polls a day -> 720 listener polls a month for one listener
    extract_lambda_memory_mb=1024,  # 1 GB
    extract_lambda_arm64=True,
    curate_runs_per_day=1,  # 30 runs a month
    glue_workers=2,
    glue_worker_type="G.1X",  # 2 DPU
    glue_flex=False,  # $0.44 per DPU-hour
    state_transitions_per_curate_run=10,
    kms_keys=1,
    secrets=1,
    alarms=2,
    athena_queries_per_day=10,  # 300 a month
)
VOLUMES = cost.Volumes(
    extract_seconds_per_listener_poll=1.0,
    s3_puts_per_listener_poll=2,
    s3_gets_per_listener_poll=2,
    raw_bytes_per_play=1000,
    curated_bytes_per_play=100,
    curate_fixed_seconds=30,
    curate_seconds_per_million_plays=3600,
    curate_fixed_s3_requests=0,
    athena_bytes_per_query_per_play=0,
    log_bytes_per_listener_poll=0,
    log_bytes_per_curate_run=0,
    plays_per_listener_day=100,
    history_years=1,
)


def test_personal_month_line_by_line():
    items = cost.monthly_cost(DEPLOYMENT, VOLUMES, 100)
    # 720 polls x 1 s x 1 GB = 720 GB-s at $0.0000133334
    assert items["lambda_duration"] == pytest.approx(0.009600048)
    # 720 requests at $0.20 per million
    assert items["lambda_requests"] == pytest.approx(0.000144)
    # (24 polls + 1 run) x 30 days = 750 schedules at $1 per million
    assert items["scheduler"] == pytest.approx(0.00075)
    # 30 runs x 10 transitions at $0.025 per 1000
    assert items["step_functions"] == pytest.approx(0.0075)
    # a run takes 30 s + 3600 s x 100/1e6 = 30.36 s, billed as the 60 s minimum:
    # 30 runs x 1/60 h x 2 DPU x $0.44 = $0.44
    assert items["glue"] == pytest.approx(0.44)
    # 36,500 plays x 1100 bytes = 40,150,000 bytes = 0.0373926 GiB at $0.023
    assert items["s3_storage"] == pytest.approx(0.000860030, rel=1e-5)
    # 1440 PUTs at $0.005/1000 + 2880 GETs (polls' own + curation re-reading 1440) at $0.0004/1000
    assert items["s3_requests"] == pytest.approx(0.0072 + 0.001152)
    # 300 queries x 10 MiB minimum = 3000 MiB = 0.00286102 TiB at $5
    assert items["athena"] == pytest.approx(0.0143051, rel=1e-5)
    # $1 key + 4320 requests at $0.03 per 10,000
    assert items["kms"] == pytest.approx(1.01296)
    # $0.40 secret + 720 GetSecretValue at $0.05 per 10,000
    assert items["secrets_manager"] == pytest.approx(0.4036)
    # no logs, 2 alarms at $0.10
    assert items["cloudwatch"] == pytest.approx(0.2)
    parts = sum(v for k, v in items.items() if k != "total")
    assert items["total"] == pytest.approx(parts)
    assert items["total"] == pytest.approx(2.098071, abs=1e-6)


def test_flex_and_long_runs_are_billed_per_second():
    flex = cost.Deployment(**{**DEPLOYMENT.__dict__, "glue_flex": True})
    # 1,000,000 plays a day in one run: 30 s + 3600 s = 3630 s; 30 runs x 3630/3600 h x 2 DPU x $0.29
    items = cost.monthly_cost(flex, VOLUMES, 1_000_000)
    assert items["glue"] == pytest.approx(30 * 3630 / 3600 * 2 * 0.29)
    assert items["glue"] == pytest.approx(17.545)


def test_listeners_multiply_polls():
    one = cost.monthly_cost(DEPLOYMENT, VOLUMES, 100)
    ten = cost.monthly_cost(DEPLOYMENT, VOLUMES, 1000)  # 10 listeners at 100 plays a day
    assert ten["lambda_duration"] == pytest.approx(10 * one["lambda_duration"])
    # one invocation per schedule polls every listener: the request count does not grow
    assert ten["lambda_requests"] == pytest.approx(0.000144)


def test_minimums():
    assert cost.glue_billed_seconds(1) == 60
    assert cost.glue_billed_seconds(60) == 60
    assert cost.glue_billed_seconds(61.2) == 62
    mib = 1024**2
    assert cost.athena_billed_bytes(0) == 10 * mib
    assert cost.athena_billed_bytes(10 * mib + 1) == 11 * mib
    assert cost.athena_billed_bytes(25.5 * mib) == 26 * mib


def test_per_million_plays():
    # 1 h x 2 DPU x $0.44 = $0.88, plus 1e6 x 1100 bytes = 1.02445 GiB x $0.023 = $0.023562
    assert cost.per_million_plays_cost(DEPLOYMENT, VOLUMES) == pytest.approx(0.88 + 0.0235624, rel=1e-5)


def test_growth_table_rows_grow():
    rows = cost.growth_table(DEPLOYMENT, VOLUMES)
    assert [r["plays_per_day"] for r in rows] == list(cost.GROWTH_PLAYS_PER_DAY)
    assert [r["listeners"] for r in rows] == [1, 10, 100, 1000, 10000]
    totals = [r["month_usd"] for r in rows]
    assert totals == sorted(totals)
    assert rows[0]["month_usd"] == pytest.approx(cost.monthly_cost(DEPLOYMENT, VOLUMES, 100)["total"])


def test_deployment_defaults_say_so(tmp_path):
    d = cost.deployment_from_cdk_json(tmp_path / "cdk.json")
    assert d.source.startswith("defaults (cdk.json not found)")
    assert d.extract_every_minutes == 30


def test_deployment_from_cdk_environment(tmp_path):
    path = tmp_path / "cdk.json"
    env = {"glue_workers": 3, "glue_flex": False, "extractor_memory_mb": 256, "extract_every_minutes": 15}
    path.write_text(json.dumps({"app": "x", "context": {cost.CDK_ENVIRONMENTS_KEY: {"prod": env, "dev": {}}}}))
    d = cost.deployment_from_cdk_json(path, "prod")
    assert (d.glue_workers, d.glue_flex, d.extract_lambda_memory_mb, d.extract_every_minutes) == (3, False, 256, 15.0)
    assert d.polls_per_day == 96
    assert d.curate_runs_per_day == 1
    assert "environment 'prod'" in d.source
    assert d.kms_keys == 0  # no `encryption` key: no customer-managed key
    path.write_text(
        json.dumps({"context": {cost.CDK_ENVIRONMENTS_KEY: {"prod": env | {"encryption": "customer-managed"}}}})
    )
    assert cost.deployment_from_cdk_json(path, "prod").kms_keys == 1
    assert cost.deployment_from_cdk_json(path, "staging").source.startswith("defaults (cdk.json has no environment")


def test_growth_notes_say_what_breaks():
    rows = {r["plays_per_day"]: r["note"] for r in cost.growth_table(DEPLOYMENT, VOLUMES)}
    assert rows[100] == ""
    assert rows[1000] == "needs extended quota (> 5 users)"
    # 10,000 listeners x 1 s > the 900 s timeout
    assert "exceeds the Lambda timeout" in rows[1_000_000]


def test_summary_shape():
    s = cost.summarise(DEPLOYMENT, VOLUMES)
    assert s["personal_month_usd"] == pytest.approx(2.0981, abs=1e-4)
    assert s["per_million_plays_usd"] == pytest.approx(0.9036, abs=1e-4)
    assert len(s["growth"]) == len(cost.GROWTH_PLAYS_PER_DAY)


def test_personal_deployment_costs_at_most_one_dollar_and_prod_keeps_its_key():
    # The repository's own cdk.json with the model's default volumes (100 plays a day, one listener).
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "cdk.json"
    dev = cost.deployment_from_cdk_json(path, "dev")
    prod = cost.deployment_from_cdk_json(path, "prod")
    assert cost.DEFAULT_ENVIRONMENT == "dev"
    assert (dev.kms_keys, dev.glue_flex, dev.alarms) == (0, True, 1)
    assert (prod.kms_keys, prod.glue_flex, prod.alarms) == (1, False, 1)
    volumes = cost.Volumes()
    personal = cost.monthly_cost(dev, volumes, cost.PERSONAL_PLAYS_PER_DAY)
    # 48 polls a day -> 1440 a month x 2 s x 0.5 GB = 1440 GB-s at $0.0000133334
    assert personal["lambda_duration"] == pytest.approx(0.0192000, rel=1e-5)
    # a run is 60 s + 120 s x 100/1e6 = 60.012 s, billed 61 s: 30 x 61/3600 h x 2 DPU x $0.29 (Flex)
    assert personal["glue"] == pytest.approx(0.2948333, rel=1e-6)
    # 4320 + 1500 PUTs at $0.005/1000 and 8640 + 1500 GETs at $0.0004/1000
    assert personal["s3_requests"] == pytest.approx(0.0291 + 0.004056)
    # aws-managed: no key, and SSE-S3 makes no KMS request
    assert personal["kms"] == 0
    # $0.40 secret + 1440 GetSecretValue at $0.05 per 10,000
    assert personal["secrets_manager"] == pytest.approx(0.4072)
    # 8,880,000 log bytes = 0.00827014 GiB x $0.53, plus one alarm at $0.10
    assert personal["cloudwatch"] == pytest.approx(0.1043832, rel=1e-5)
    assert personal["total"] == pytest.approx(0.933026, abs=1e-5)
    assert personal["total"] <= 1.00
    expensive = cost.monthly_cost(prod, volumes, cost.PERSONAL_PLAYS_PER_DAY)
    # standard Glue 30 x 61/3600 x 2 x $0.44; the key $1 + 15,960 S3 requests at $0.03 per 10,000
    assert expensive["glue"] == pytest.approx(0.4473333, rel=1e-6)
    assert expensive["kms"] == pytest.approx(1.04788)
    assert expensive["total"] == pytest.approx(2.133406, abs=1e-5)
