"""The gate's verdict on one curation run summary (``_runs/<run_id>.json``, written by the Glue job).

The job already fails on a blocking check; the gate re-checks the published summary so the views are
refreshed only over a run that balanced its books and did not quarantine more than the configured share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Run statuses after which the curated tables are consistent.
GOOD_STATUSES = ("succeeded", "nothing to do")


@dataclass(frozen=True)
class Verdict:
    run_id: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records_read: int = 0
    records_quarantined: int = 0

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "passed": self.passed,
            "problems": self.problems,
            "warnings": self.warnings,
            "records_read": self.records_read,
            "records_quarantined": self.records_quarantined,
        }


def evaluate(summary: dict, *, run_id: str, max_quarantine_ratio: float) -> Verdict:
    """Pass when the run succeeded, every source balances, no check failed and quarantine stays under the limit."""
    problems: list[str] = []
    warnings: list[str] = []
    if summary.get("run_id") != run_id:
        problems.append(f"summary belongs to run {summary.get('run_id')!r}, not {run_id!r}")
    status = summary.get("status")
    if status not in GOOD_STATUSES:
        problems.append(f"run status is {status!r}, expected one of {', '.join(GOOD_STATUSES)}")

    read = quarantined = 0
    for source, counts in sorted((summary.get("sources") or {}).items()):
        try:
            s_read, loaded, dups, s_quarantined = (
                int(counts["read"]),
                int(counts["loaded"]),
                int(counts["duplicates"]),
                int(counts["quarantined_total"]),
            )
        except (KeyError, TypeError, ValueError):
            problems.append(f"source {source}: counts missing or not numbers")
            continue
        superseded = counts.get("superseded", 0)
        if not isinstance(superseded, int) or isinstance(superseded, bool) or superseded < 0:
            problems.append(f"source {source}: superseded {superseded!r} is not a count")
        if s_read != loaded + dups + s_quarantined:
            problems.append(
                f"source {source}: read {s_read} != loaded {loaded} + duplicates {dups} + quarantined {s_quarantined}"
            )
        read += s_read
        quarantined += s_quarantined

    for check in summary.get("data_quality") or []:
        if check.get("passed"):
            continue
        text = (
            f"{check.get('table_name')}.{check.get('check_name')}: observed {check.get('observed')}, "
            f"limit {check.get('threshold')}"
        )
        (problems if check.get("blocking", True) else warnings).append(text)

    if read and quarantined / read > max_quarantine_ratio:
        problems.append(
            f"{quarantined} of {read} raw records quarantined ({quarantined / read:.1%}), "
            f"more than the allowed {max_quarantine_ratio:.1%}"
        )
    return Verdict(run_id, not problems, problems, warnings, read, quarantined)
