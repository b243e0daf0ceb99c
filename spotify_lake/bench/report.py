"""results.md (and the printed table) from results.json."""

from __future__ import annotations

from typing import Any

ENGINE_LABELS = {
    "project": "project (import + curate, local Spark)",
    "duckdb": "DuckDB (read_json, DISTINCT ON, COPY)",
    "pandas": "pandas (read_json, drop_duplicates, to_parquet)",
    "spark_inferred": "Spark, inferred schema",
    "spark_declared": "Spark, declared schema (read, dropDuplicates, write)",
}


def _n(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _mb(value: Any) -> str:
    return "–" if value is None else f"{value / 1024 / 1024:,.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def transform_lines(results: dict[str, Any]) -> list[str]:
    t = results.get("transform")
    if not t:
        return []
    lines = [
        f"## Transform: {t['rows']:,} plays ({t['scale']}), {t['input_files']} files, "
        f"{t['input_bytes'] / 1024 / 1024:,.0f} MB of JSON, {t['input_records']:,} records with duplicates",
        "",
        f"Median of {t['repeats']} run(s) per engine, alternating order; peak RSS is the whole process tree "
        "(the JVM included), the largest of the runs.",
        "",
    ]
    rows = []
    for name, e in t["engines"].items():
        label = ENGINE_LABELS.get(name, name)
        if "error" in e:
            rows.append([label, "failed: " + e["error"], "", "", "", "", ""])
            continue
        rows.append(
            [
                label,
                _n(e["seconds"]),
                _n(e["rows_per_second"]),
                _n(e["peak_rss_mb"], 0),
                _n(e["rows_out"]),
                _n(e["files_out"]),
                _mb(e["bytes_out"]),
            ]
        )
    lines += _table(["engine", "seconds", "rows/s", "peak RSS MB", "rows out", "files", "MB out"], rows)
    r = t["ratios"]
    lines += [
        "",
        f"- project / Spark declared time: **{_n(r.get('project_over_spark_declared'), 2)}x** (target ≤ 1.3x)",
        f"- pandas / project time: **{_n(r['pandas_over_project'], 2)}x** (target ≥ 1.5x)",
        f"- Spark inferred / project time: **{_n(r['spark_inferred_over_project'], 2)}x** (target > 1x)",
        f"- project / DuckDB time: {_n(r['project_over_duckdb'], 2)}x",
        f"- all engines wrote the same number of rows: **{_n(t['rows_agree'])}** {t['rows_out_by_engine']}",
        f"- and it is the generator's count of distinct plays ({_n(t.get('expected_rows'))}): "
        f"**{_n(t.get('rows_match_generator'))}**",
        "",
    ]
    return lines


def scaling_lines(results: dict[str, Any]) -> list[str]:
    points = results.get("scaling")
    if not points:
        return []
    lines = ["## Scaling: the project's job at three sizes", ""]
    rows = []
    for p in points:
        if "error" in p:
            rows.append([_n(p["rows"]), "failed: " + p["error"], "", "", ""])
            continue
        rows.append(
            [
                _n(p["rows"]),
                _n(p["seconds"]),
                _n(p["seconds_per_million"]),
                _n(p["peak_rss_mb"], 0),
                _n(p.get("curate_peak_rss_mb"), 0),
            ]
        )
    lines += _table(["plays", "seconds", "s per million", "peak RSS MB", "curate peak RSS MB"], rows)
    s = results.get("scaling_summary", {})
    if s:
        lines += [
            "",
            f"- {s['rows_ratio']}x the plays took {s['seconds_ratio']}x the time (linear = {s['rows_ratio']}x); "
            f"peak memory {s['peak_rss_ratio']}x",
            f"- least-squares fit: **{s['fixed_seconds']} s fixed** (target ≤ 15 s) + "
            f"{s['seconds_per_million_marginal']} s per million plays",
        ]
    good = [p for p in points if "seconds" in p]
    if len(good) >= 2:
        per_million = good[-1]["seconds_per_million"] / good[0]["seconds_per_million"]
        largest = max(p["peak_rss_mb"] for p in good)
        lines += [
            f"- seconds per million plays at {_n(good[-1]['rows'])} / at {_n(good[0]['rows'])}: "
            f"**{per_million:.2f}x** (target ≤ 1.1x at 8M against 2M)",
            f"- largest peak memory: **{_n(largest, 0)} MB** (target ≤ 4,096 MB)",
        ]
    return [*lines, ""]


def small_runs_lines(results: dict[str, Any]) -> list[str]:
    small = results.get("small_runs")
    if not small:
        return []
    lines = [
        "## Small runs: the demo's curation, and an incremental run after one poll",
        "",
        "Each is `spotify_lake curate` in its own process tree, JVM start included.",
        "",
    ]
    # (label, figures, the target in seconds)
    runs = [
        ("demo curation", small.get("demo_curation"), 20),
        ("incremental after one poll", small.get("incremental"), 15),
    ]
    rows = []
    for label, run, _ in runs:
        if not run:
            continue
        if "error" in run:
            rows.append([label, "failed: " + run["error"], "", ""])
            continue
        rows.append([label, _n(run["records_read"]), _n(run["seconds"]), _n(run["peak_rss_mb"], 0)])
    lines += _table(["run", "records read", "seconds", "peak RSS MB"], rows)
    lines.append("")
    for label, run, target in runs:
        if run and "error" not in run:
            lines.append(f"- {label}: **{_n(run['seconds'])} s** (target ≤ {target} s)")
    incremental = small.get("incremental")
    if incremental and "error" not in incremental:
        lines.append(
            f"- the poll brought {incremental['plays_polled']} plays ({incremental['new_plays']} new on the "
            f"emulator) in {incremental['poll_requests']} request(s)"
        )
    return [*lines, ""]


def query_lines(results: dict[str, Any]) -> list[str]:
    queries = results.get("queries")
    if not queries and "queries_error" not in results:
        return []
    lines = ["## Queries: every view on the curated lake in DuckDB", ""]
    if "queries_error" in results:
        return [*lines, results["queries_error"], ""]
    rows = []
    for q in queries:
        if "error" in q:
            rows.append([q["view"], "failed: " + q["error"], "", "", ""])
            continue
        share = q["bytes_read"] / q["bytes_total"] if q["bytes_total"] else 0
        rows.append(
            [q["view"], f"{q['seconds'] * 1000:,.0f}", _mb(q["bytes_read"]), _mb(q["bytes_total"]), f"{share:.0%}"]
        )
    lines += _table(["view", "ms", "MB read", "MB in tables", "read share"], rows)
    p = results.get("query_pruning")
    if p and "error" not in p:
        a, b = p["played_at_only"], p["with_play_month"]
        lines += [
            "",
            f"Last 30 days of plays ({p['partitions_total']} monthly partitions in the lake):",
            "",
            *_table(
                ["filter", "ms", "files read / matching", "MB read", "MB in plays"],
                [
                    [
                        name,
                        f"{m['seconds'] * 1000:,.0f}",
                        f"{m['files_read']}/{m['files_matching']}",
                        _mb(m["bytes_read"]),
                        _mb(m["bytes_total"]),
                    ]
                    for name, m in (("played_at only", a), ("played_at + play_month", b))
                ],
            ),
        ]
    return [*lines, ""]


def api_lines(results: dict[str, Any]) -> list[str]:
    api = results.get("api")
    if not api:
        return []
    lines = ["## API calls: a simulated week polled on the configured schedule", ""]
    rows = []
    for mode in ("development", "extended"):
        a = api.get(mode)
        if not a:
            continue
        if "error" in a:
            rows.append([mode, "failed: " + a["error"], "", "", "", ""])
            continue
        ratio = a["requests"] / a["minimum"] if a.get("minimum") else None
        rows.append(
            [
                mode,
                _n(a["requests"]),
                _n(a["minimum"]),
                _n(ratio, 2),
                _n(a.get("throttle", {}).get("status_429")),
                _n(a.get("throttle", {}).get("throttled_seconds")),
            ]
        )
    lines += _table(["mode", "requests", "minimum", "ratio (target 1.00)", "429s (throttle)", "throttled s"], rows)
    if api.get("note"):
        lines += ["", api["note"]]
    return [*lines, *backfill_lines(api.get("backfill") or {}), ""]


def backfill_lines(backfill: dict[str, Any]) -> list[str]:
    """The catalogue backfill of one export, run by run (``spotify_lake.bench.api.simulate_backfill``)."""
    rows = [
        [mode, _n(r["run"]), _n(r["requests"]), _n(r["tracks_looked_up"]), _n(r["requests_per_track"], 2),
         f"{r['coverage_of_plays']} %"]
        for mode, b in backfill.items()
        for r in b.get("runs", [])
    ]  # fmt: skip
    if not rows:
        return []
    some = next(iter(backfill.values()))
    header = ["mode", "run", "track requests so far", "tracks looked up", "requests per track", "plays covered"]
    return [
        "",
        f"### Catalogue backfill of an imported export ({some['export_days']} days, {some['distinct_tracks']:,} "
        f"tracks, {some['track_plays']:,} track plays; budget {some['budget']['per_run']} a run, "
        f"{some['budget']['per_day']} a day; one run a day)",
        "",
        *_table(header, rows),
        "",
        "Targets: 1.00 requests per track in development mode (one `GET /tracks/{id}` each), at most 0.03 in "
        "extended mode (`GET /tracks?ids=` batches of 50).",
    ]


def cost_lines(results: dict[str, Any]) -> list[str]:
    c = results.get("cost")
    if not c:
        return []
    lines = [
        "## Cost model (USD, us-east-1 on-demand prices, free tiers ignored)",
        "",
        f"- personal user ({c['personal_plays_per_day']} plays/day): **${c['personal_month_usd']:.2f} per month** "
        "(target ≤ $1)",
        "- per million plays curated (Glue time, S3 requests, a month of storage): "
        f"**${c['per_million_plays_usd']:.4f}**",
        f"- configuration: {c['deployment']['source']}",
        *[
            f"- environment {name}: ${e['personal_month_usd']:.2f} per month personal, "
            f"${e['per_million_plays_usd']:.4f} per million plays (Flex: {'yes' if e['glue_flex'] else 'no'})"
            for name, e in c.get("by_environment", {}).items()
        ],
        "",
        *_table(
            ["line item", "USD / month"],
            [[k, f"{v:.4f}"] for k, v in c["personal_items_usd"].items()],
        ),
        "",
        *_table(
            ["plays/day", "listeners", "USD / month", "Glue", "Lambda", "KMS, secret, CloudWatch", "limits"],
            [
                [
                    _n(g["plays_per_day"]),
                    _n(g["listeners"]),
                    f"{g['month_usd']:.2f}",
                    f"{g['glue_usd']:.2f}",
                    f"{g['lambda_usd']:.2f}",
                    f"{g['fixed_usd']:.2f}",
                    g.get("note", ""),
                ]
                for g in c["growth"]
            ],
        ),
    ]
    if c.get("assumptions"):
        lines += ["", "Assumptions (not measured):", *[f"- {a}" for a in c["assumptions"]]]
    return [*lines, ""]


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"# Benchmark results ({results['scale']})",
        "",
        f"Machine: {m['cpus']} CPUs ({m.get('cpu_model') or 'unknown CPU'}), {m['memory_gb']} GB RAM, "
        f"Python {m['python']}, Spark {m['spark']}, DuckDB {m['duckdb']}, pandas {m.get('pandas')}. "
        f"Run {results.get('started_at')} – {results.get('finished_at')} ({results.get('wall_seconds')} s).",
        "",
    ]
    for part in (transform_lines, scaling_lines, small_runs_lines, query_lines, api_lines, cost_lines):
        lines += part(results)
    return "\n".join(lines).rstrip() + "\n"
