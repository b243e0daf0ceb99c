"""The report's run figures: every ``_runs/`` summary read through its contract model."""

from __future__ import annotations

import json

from lake_contract.keys import RunSummaryKey
from spotify_lake.report.runs import read_runs
from tests.unit.test_contract_summaries import IMPORT_FILE, curation_summary, extraction_summary_data


def test_runs_are_counted_by_stage_and_the_wrong_shapes_named(tmp_path):
    def put(run_id: str, text: str) -> None:
        path = tmp_path / RunSummaryKey(run_id).format()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    put("import-20261201T030000Z-0a1b2c", IMPORT_FILE)
    put("extract-1", json.dumps(extraction_summary_data("extract-1", mode="development")))
    later = extraction_summary_data("extract-2", mode="extended") | {"started_at": "t"}
    put("extract-2", json.dumps(later))
    put("curate-20261201T030000Z-abc123", curation_summary().to_json())
    wrong = curation_summary().to_dict()
    del wrong["sources"]["api:recently_played"]["read"]
    put("curate-broken", json.dumps(wrong | {"run_id": "curate-broken"}))
    put("curate-not-json", "{")

    figures = read_runs(tmp_path)

    assert figures.runs_by_stage == {"curate": 2, "extract": 2, "import": 1}
    assert sorted(figures.unreadable) == ["curate-broken.json", "curate-not-json.json"]
    assert figures.mode == "extended"  # the extraction that started last
    assert figures.curation_runs == 1
    # Both sources of the one readable curation: api 10 = 7 + 2 + 1 quarantined; export 5 = 5, 2 superseded.
    assert (figures.read, figures.loaded, figures.duplicates, figures.quarantined) == (15, 12, 2, 1)
    assert figures.superseded == 2
    assert figures.quarantined_by_reason == {"bad": 1}
