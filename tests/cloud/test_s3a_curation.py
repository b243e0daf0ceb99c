"""The Glue job on a real S3 protocol: the same runs on S3A (moto buckets encrypted as the stack encrypts
them) and on the local disk give the same accounting and the same curated rows.

Local Spark's S3A client serves the job's ``s3://`` paths as EMRFS does on Glue, so a listing of a prefix
that is not an object, a rename (copy + delete) or a missing key behaves as on S3, not as on a file system.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from tests.cloud.conftest import RAW_BUCKET
from tests.cloud.s3.sequence import RUNS, accounting

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_every_run_accounts_the_same_on_s3_as_on_disk(curation_on_s3a, curation_on_disk):
    assert [r.run_id for r in curation_on_s3a.runs] == [run_id for run_id, _, _ in RUNS]
    for on_s3, on_disk in zip(curation_on_s3a.runs, curation_on_disk.runs, strict=True):
        assert accounting(on_s3.summary) == accounting(on_disk.summary), on_s3.run_id
    # Known answers (the fixtures of tests/curation): the first run reads everything, the re-run nothing,
    # the incremental run only the new page (its play already held by an export), the rebuild everything.
    first, again, later, rebuild = (accounting(r.summary) for r in curation_on_s3a.runs)
    assert first["sources"] == {
        "api:recently_played": (5, 1, 2, 2, {"no parseable timestamp": 1, "not a JSON object": 1}),
        "export_account": (2, 1, 1, 0, {}),
        "export_extended": (
            9,
            4,
            1,
            4,
            {
                "ms_played is not a number": 1,
                "no parseable timestamp": 1,
                "timestamp before 2006": 1,
                "timestamp in the future": 1,
            },
        ),
        "export_legacy": (2, 1, 1, 0, {}),
    }
    assert again["status"] == "nothing to do"
    assert later["sources"]["api:recently_played"][:3] == (1, 0, 1)
    assert later["tables"]["plays"] == ["2024-01"]
    assert rebuild["status"] == "succeeded"
    assert rebuild["sources"]["api:recently_played"][:3] == (6, 1, 3)


def test_curated_rows_are_the_same_on_s3_as_on_disk(curation_on_s3a, curation_on_disk):
    for run_id in ("curate-later", "curate-rebuild"):
        on_s3, on_disk = curation_on_s3a.run(run_id).rows, curation_on_disk.run(run_id).rows
        assert on_s3 is not None
        assert on_disk is not None
        assert on_s3.keys() == on_disk.keys()
        for table in on_s3:
            assert on_s3[table] == on_disk[table], f"{run_id}: {table}"
        # not vacuous: the plays of the fixtures are there (7 plays; the new API page merged into one)
        assert len(on_s3["plays"]) == 7, run_id
    # the incremental result and the rebuild from all raw objects agree, on S3 as on disk
    later, rebuild = curation_on_s3a.run("curate-later").rows, curation_on_s3a.run("curate-rebuild").rows
    assert later is not None
    assert rebuild is not None
    assert later["plays"] == rebuild["plays"]


def test_the_s3_runs_went_through_the_buckets_encrypted_as_the_stack_does(curation_on_s3a, s3a_lake):
    storage, keys = s3a_lake["storage"], s3a_lake["keys"]
    # what the S3A client wrote is in the curated bucket, under the layout's prefixes, with SSE-KMS
    listed = curation_on_s3a.storage["curated_keys"]
    assert {f"_runs/{run_id}.json" for run_id, _, _ in RUNS} <= set(listed)
    head = curation_on_s3a.storage["plays_object"]
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == keys[storage.curated.kms_key_logical_id]
    assert head["BucketKeyEnabled"] is True
    assert curation_on_s3a.storage["raw_versioning"] == "Enabled"
    # every run's requests were recorded, and the first run read each raw object through S3A
    assert all(run.recorded for run in curation_on_s3a.runs)
    first = curation_on_s3a.run("curate-first").recorded
    raw_reads = {
        unquote(e.path) for e in first if e.method == "GET" and unquote(e.path).startswith(f"/{RAW_BUCKET}/raw/source=")
    }
    assert len(raw_reads) == 4  # the API page and the three export files


def test_the_recording_is_the_jobs_requests_as_iam_actions(glue_job_calls):
    actions = {c.action for c in glue_job_calls}
    assert {"s3:GetObject", "s3:ListBucket", "s3:PutObject"} <= actions
    assert {c.principal for c in glue_job_calls} == {"curate_job"}
    assert all(c.origin.startswith(("hadoop-s3a ", "boto3 ")) for c in glue_job_calls)
    # Hadoop's exists() of the raw root: a HEAD of the key "raw" (no such object) and a listing of "raw/"
    assert any(
        c.action == "s3:GetObject" and c.resource == "arn:{partition}:s3:::{raw}/raw" and c.missing
        for c in glue_job_calls
    )
    assert any(
        c.action == "s3:ListBucket"
        and c.resource == "arn:{partition}:s3:::{raw}"
        and c.context.get("s3:prefix") == "raw/"
        for c in glue_job_calls
    )
    # the job published through the Glue Data Catalog of the stack's database (--glue_database)
    assert {"glue:GetTable", "glue:GetPartitions", "glue:BatchCreatePartition"} <= actions
    assert any(c.resource == "arn:{partition}:glue:{region}:{account}:table/{database}/plays" for c in glue_job_calls)
