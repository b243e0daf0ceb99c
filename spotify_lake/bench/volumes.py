"""The cost model's inputs taken from this run's measurements; what could not be measured is listed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from spotify_lake.bench import cost
from spotify_lake.bench.fit import linear_fit

#: Round trip of one Spotify Web API request from Lambda (assumed: the emulator is on loopback).
SPOTIFY_LATENCY_SECONDS = 0.15
#: Lambda start-up and import time billed per invocation beyond the handler itself (assumed).
LAMBDA_OVERHEAD_SECONDS = 0.3


def volumes_from_results(results: dict[str, Any]) -> cost.Volumes:
    v = cost.Volumes()
    assumptions: list[str] = []
    changes: dict[str, Any] = {}

    project = (results.get("transform") or {}).get("engines", {}).get("project", {})
    if project.get("rows_out"):
        changes["curated_bytes_per_play"] = project["bytes_out"] / project["rows_out"]
    else:
        assumptions.append(f"curated bytes per play {v.curated_bytes_per_play} (no project transform measured)")

    summary = results.get("scaling_summary") or {}
    points = [p for p in results.get("scaling") or [] if p.get("curate_seconds")]
    if len(points) >= 2:
        fixed, slope = linear_fit([(p["rows"], p["curate_seconds"]) for p in points])
        changes["curate_fixed_seconds"] = max(0.0, fixed)
        changes["curate_seconds_per_million_plays"] = max(0.0, slope * 1e6)
        assumptions.append(
            "Glue run time = this machine's local-Spark curate time (fit over the scaling runs); "
            "2 G.1X workers (8 vCPU) are assumed at least as fast as this machine"
        )
    elif summary:
        assumptions.append("curation time from defaults: the scaling fit had fewer than two points")
    else:
        assumptions.append(
            f"curation time {v.curate_fixed_seconds} s + {v.curate_seconds_per_million_plays} s per million (defaults)"
        )

    api = (results.get("api") or {}).get("development")
    if api and api.get("polls"):
        polls = api["polls"]
        per_poll = api["requests"] / polls
        changes["api_requests_per_listener_poll"] = per_poll
        changes["extract_seconds_per_listener_poll"] = (
            api["handler_seconds_per_poll"] + per_poll * SPOTIFY_LATENCY_SECONDS + LAMBDA_OVERHEAD_SECONDS
        )
        # Every object the week wrote was one PUT; reads of state are about as many (load before commit).
        changes["s3_puts_per_listener_poll"] = api["lake_files"] / polls
        changes["s3_gets_per_listener_poll"] = api["lake_files"] / polls
        if api.get("plays_extracted"):
            changes["raw_bytes_per_play"] = api["raw_recently_played_bytes"] / api["plays_extracted"]
        assumptions.append(
            f"Lambda billed time per poll = local handler time + {SPOTIFY_LATENCY_SECONDS} s per Spotify request "
            f"+ {LAMBDA_OVERHEAD_SECONDS} s start-up"
        )
    else:
        assumptions.append("extraction volumes are defaults (API section not run)")

    views = [q for q in results.get("queries") or [] if "bytes_read" in q]
    lake_plays = (results.get("queries_lake") or {}).get("plays")
    if views and lake_plays:
        mean_read = sum(q["bytes_read"] for q in views) / len(views)
        changes["athena_bytes_per_query_per_play"] = mean_read / lake_plays
    else:
        assumptions.append(f"Athena bytes per query per play {v.athena_bytes_per_query_per_play} (default)")
    assumptions.append(
        f"{v.history_years:g} years of history kept; {v.plays_per_listener_day:g} plays per listener per day; "
        "CloudWatch log volumes per poll and per run are defaults"
    )
    return replace(v, **changes, assumptions=tuple(assumptions))


def cost_section(results: dict[str, Any], repo: Path) -> dict[str, Any]:
    """Headline figures for the default environment of cdk.json, and the same model for every environment."""
    from spotify_lake.report.sqlfiles import view_files

    path = repo / "cdk.json"
    volumes = volumes_from_results(results)
    # extract, curate, gate, choice, one Athena DDL state per view, succeed
    transitions = 5 + len(view_files())
    names = list(cost.cdk_environments(path)) or [cost.DEFAULT_ENVIRONMENT]
    by_env = {}
    for name in names:
        deployment = replace(cost.deployment_from_cdk_json(path, name), state_transitions_per_curate_run=transitions)
        by_env[name] = cost.summarise(deployment, volumes)
    headline_env = cost.DEFAULT_ENVIRONMENT if cost.DEFAULT_ENVIRONMENT in by_env else names[0]
    section = dict(by_env[headline_env])
    section["environment"] = headline_env
    section["by_environment"] = {
        name: {
            "personal_month_usd": s["personal_month_usd"],
            "per_million_plays_usd": s["per_million_plays_usd"],
            "glue_flex": s["deployment"]["glue_flex"],
        }
        for name, s in by_env.items()
    }
    section["assumptions"] = list(volumes.assumptions)
    return section
