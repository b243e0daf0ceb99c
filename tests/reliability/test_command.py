"""The command's results file keeps the issue's shape, and a failed guarantee is reported as such."""

from __future__ import annotations

from spotify_lake.cli import build_parser
from spotify_lake.reliability import suite
from spotify_lake.reliability.scenarios import Results

SECTIONS = {
    "faults": {"identical": True, "runs_to_converge": 1, "injected": 9, "survived": 9, "injected_by_kind": {"x": 9}},
    "crashes": {"points": 6, "identical": True, "violations": []},
    "fuzz": {"files": 1000, "records": 1400, "accounted": 1400, "crashes": 0, "problems": []},
    "reruns": {"stages": 4, "identical": True},
    "concurrency": {"duplicates": 0, "identical": True, "cursors": 1, "cursor_ahead": []},
    "authorization": {"resumed": True},
    "secrets": {"leaks": 0, "where": []},
}


def test_results_document_has_the_issue_shape_first():
    doc = Results(dict(SECTIONS)).document()
    assert list(doc) == ["faults", "crashes", "fuzz", "reruns", "concurrency", "authorization", "secrets"]
    assert list(doc["faults"])[:4] == ["injected", "survived", "runs_to_converge", "identical"]
    assert list(doc["fuzz"])[:4] == ["files", "records", "accounted", "crashes"]
    assert doc["faults"]["injected_by_kind"] == {"x": 9}  # details follow the issue's fields


def test_every_section_passes_and_each_failure_is_caught():
    assert all(suite.passed(name, section) for name, section in SECTIONS.items())
    assert not suite.passed("fuzz", SECTIONS["fuzz"] | {"accounted": 1399})
    assert not suite.passed("faults", SECTIONS["faults"] | {"runs_to_converge": 3})
    assert not suite.passed("concurrency", SECTIONS["concurrency"] | {"cursors": 2})
    assert not suite.passed("secrets", {"leaks": 1})
    assert not suite.passed("reruns", {"error": "boom"})


def test_the_cli_knows_the_command():
    args = build_parser().parse_args(["reliability", "--quick", "--only", "authorization", "--out", "x"])
    assert args.quick
    assert args.only == ["authorization"]
