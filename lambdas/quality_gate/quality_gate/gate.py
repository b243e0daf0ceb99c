"""The gate's verdict on one curation run summary (``_runs/<run_id>.json``, written by the Glue job).

The job already fails on a blocking check; the gate re-checks the published summary so the views are
refreshed only over a run that balanced its books and did not quarantine more than the configured share.
The summary is read through the contract's model, so a summary of another shape fails the gate by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lake_contract.summaries import CURATION_GOOD_STATUSES, CurationSummary, SummaryError

#: Run statuses after which the curated tables are consistent.
GOOD_STATUSES = CURATION_GOOD_STATUSES


@dataclass(frozen=True)
class Verdict:
    run_id: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records_read: int = 0
    records_quarantined: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "passed": self.passed,
            "problems": self.problems,
            "warnings": self.warnings,
            "records_read": self.records_read,
            "records_quarantined": self.records_quarantined,
        }


def evaluate(summary: dict[str, Any], *, run_id: str, max_quarantine_ratio: float) -> Verdict:
    """Pass when the run succeeded, every source balances, no check failed and quarantine stays under the limit."""
    try:
        run = CurationSummary.from_dict(summary)
    except SummaryError as exc:
        return Verdict(run_id, False, [str(exc)])
    problems: list[str] = []
    warnings: list[str] = []
    if run.run_id != run_id:
        problems.append(f"summary belongs to run {run.run_id!r}, not {run_id!r}")
    if run.status not in GOOD_STATUSES:
        problems.append(f"run status is {run.status!r}, expected one of {', '.join(GOOD_STATUSES)}")

    for source, counts in sorted(run.accounts().items()):
        if not counts.balanced:
            problems.append(
                f"source {source}: read {counts.read} != loaded {counts.loaded} + duplicates {counts.duplicates} "
                f"+ quarantined {counts.quarantined_total}"
            )
    totals = run.totals()
    read, quarantined = totals.read, totals.quarantined_total

    for check in run.data_quality or []:
        if check.passed:
            continue
        text = f"{check.table_name}.{check.check_name}: observed {check.observed}, limit {check.threshold}"
        (problems if check.blocking else warnings).append(text)

    if read and quarantined / read > max_quarantine_ratio:
        problems.append(
            f"{quarantined} of {read} raw records quarantined ({quarantined / read:.1%}), "
            f"more than the allowed {max_quarantine_ratio:.1%}"
        )
    return Verdict(run_id, not problems, problems, warnings, read, quarantined)
