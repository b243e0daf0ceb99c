"""The analytics report: the Athena views of ``sql/views`` run locally on DuckDB, as HTML, PNG and CSV.

Public entry point: :func:`build_report`.
"""

from spotify_lake.report.build import ReportSummary, ViewReport, build_report

__all__ = ["ReportSummary", "ViewReport", "build_report"]
