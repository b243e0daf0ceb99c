"""The analytics report: the Athena views of ``sql/views`` run locally on DuckDB, as HTML, PNG and CSV.

Public entry point: :func:`build_report`.
"""

from spotify_lake.report.build import build_report
from spotify_lake.report.summary import ReportSummary, ViewReport

__all__ = ["ReportSummary", "ViewReport", "build_report"]
