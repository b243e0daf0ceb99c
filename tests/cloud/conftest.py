"""The Glue job on a real S3 protocol: Hadoop's S3A client against moto in server mode, every request recorded.

Session fixtures, so the whole sequence runs once for the S3 protocol test and the IAM conformance test:
``curation_on_s3a`` (the job's runs on the moto buckets, recreated from the synthesized template),
``curation_on_disk`` (the same runs on two local folders) and ``glue_job_calls`` (what the S3A runs asked
AWS to do, as IAM actions).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from curation.session import EXTRA_JARS_ENV, S3Endpoint, extra_jars, use_s3_endpoint
from tests.cloud.calls import AwsCall, write_calls
from tests.cloud.s3.requests import Naming, to_calls
from tests.cloud.s3.sequence import Backend, GlueReader, SequenceResult, build_raw_zones, local_backend, run_sequence
from tests.cloud.s3.server import ACCESS_KEY, REGION, SECRET_KEY, RecordingMotoServer
from tests.cloud.s3.stack import ENVIRONMENT, create_bucket, create_glue_catalog, create_keys, job_storage

#: Hadoop's S3A client matching PySpark 3.5.4's Hadoop 3.3.4, as the Makefile's set-up fetches them (Maven).
S3A_JARS_DIR = Path.home() / ".cache" / "spotify-lake" / "jars"  # the Makefile's JARS_DIR
S3A_JARS = ("hadoop-aws-3.3.4.jar", "aws-java-sdk-bundle-1.12.262.jar")
# Before any SparkSession exists (conftest files load at collection): the shared session of this test run
# starts its JVM with the S3A jars. `make test` exports the same variable.
os.environ.setdefault(EXTRA_JARS_ENV, ":".join(str(S3A_JARS_DIR / jar) for jar in S3A_JARS))

#: Where the Glue job's recorded requests are written, one AwsCall per line (generated output, not committed).
RECORDING = Path(__file__).resolve().parents[2] / "out" / "cloud" / "glue_job_calls.jsonl"
RAW_BUCKET = "spotify-lake-test-raw"
CURATED_BUCKET = "spotify-lake-test-curated"
#: The sequence's runs after which every curated table is read and compared.
COMPARED_RUNS = ("curate-later", "curate-rebuild")


@pytest.fixture(scope="session")
def s3a_jars() -> list[str]:
    """The jars the session was started with; a missing one fails here with what to run, never skips."""
    try:
        jars = extra_jars()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc}; run `make test` once, or set {EXTRA_JARS_ENV}")
    names = {Path(j).name for j in jars}
    assert set(S3A_JARS) <= names, f"{EXTRA_JARS_ENV} lacks {sorted(set(S3A_JARS) - names)}"
    return jars


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> Iterator[RecordingMotoServer]:
    server = RecordingMotoServer(tmp_path_factory.mktemp("moto-tls")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def raw_zones(tmp_path_factory) -> dict[str, Path]:
    return build_raw_zones(tmp_path_factory.mktemp("raw-zones"))


@pytest.fixture(scope="session")
def s3a_lake(moto_server, synthesized) -> dict:
    """The raw and curated buckets as the stack has them (SSE-KMS by default with a bucket key, versioning
    where the template enables it, a KMS key per customer-managed key) and its Glue database and tables."""
    template = synthesized.templates[ENVIRONMENT]
    storage = job_storage(template)
    keys = create_keys(moto_server.client("kms"), storage)
    s3 = moto_server.client("s3")
    create_bucket(s3, RAW_BUCKET, storage.raw, keys, REGION)
    create_bucket(s3, CURATED_BUCKET, storage.curated, keys, REGION)
    bucket_names = {storage.raw.logical_id: RAW_BUCKET, storage.curated.logical_id: CURATED_BUCKET}
    database = create_glue_catalog(moto_server.client("glue"), template, bucket_names)
    return {"storage": storage, "keys": keys, "database": database}


@pytest.fixture(scope="session")
def curation_on_s3a(spark, s3a_jars, moto_server, s3a_lake, raw_zones) -> SequenceResult:
    """The job's runs with ``s3://`` roots served by S3A against the moto buckets, each run's requests recorded."""
    storage = s3a_lake["storage"]
    sse_key = s3a_lake["keys"].get(storage.job_sse_kms_key_logical_id or "")
    # The test endpoint's certificate is self-signed; the AWS SDK for Java reads this once per client.
    spark.sparkContext._jvm.java.lang.System.setProperty("com.amazonaws.sdk.disableCertChecking", "true")
    use_s3_endpoint(spark, S3Endpoint(moto_server.url, ACCESS_KEY, SECRET_KEY, REGION, sse_key))
    s3 = moto_server.client("s3")

    def upload(objects: dict[str, Path]) -> None:
        """As ``aws s3 sync`` would: one PutObject per file, keys relative to the lake root."""
        for key, path in objects.items():
            s3.upload_file(str(path), RAW_BUCKET, key)

    @contextmanager
    def job_environment():
        """boto3 inside the job (the Glue catalog) reaches the moto server, as Glue's role reaches AWS."""
        values = {
            "AWS_ENDPOINT_URL_GLUE": moto_server.url,
            "AWS_ENDPOINT_URL_S3": moto_server.url,
            "AWS_CA_BUNDLE": str(moto_server.certificate),
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }
        saved = {k: os.environ.get(k) for k in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    backend = Backend(
        "s3a on moto",
        f"s3://{RAW_BUCKET}",
        f"s3://{CURATED_BUCKET}",
        upload,
        recording=moto_server.recording,
        job_environment=job_environment,
        glue_database=s3a_lake["database"],
        catalog=lambda: GlueReader(moto_server.client("glue"), s3a_lake["database"], f"s3://{CURATED_BUCKET}"),
    )
    result = run_sequence(spark, backend, raw_zones, rows_after=COMPARED_RUNS)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=CURATED_BUCKET)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    plays = next(k for k in keys if k.startswith("curated/plays/") and k.endswith(".parquet"))
    result.storage = {
        "curated_keys": keys,
        "plays_object": s3.head_object(Bucket=CURATED_BUCKET, Key=plays),
        "raw_versioning": s3.get_bucket_versioning(Bucket=RAW_BUCKET).get("Status"),
    }
    return result


@pytest.fixture(scope="session")
def curation_on_disk(spark, raw_zones, tmp_path_factory) -> SequenceResult:
    backend = local_backend(tmp_path_factory.mktemp("disk-lake"))
    return run_sequence(spark, backend, raw_zones, rows_after=COMPARED_RUNS)


@pytest.fixture(scope="session")
def glue_job_calls(curation_on_s3a, s3a_lake) -> list[AwsCall]:
    """Every request the Glue job's S3A runs sent, as IAM actions of the job's role (``curate_job``)."""
    naming = Naming(
        buckets={RAW_BUCKET: "raw", CURATED_BUCKET: "curated"},
        kms_keys=dict.fromkeys(s3a_lake["keys"].values(), "lake_key"),
        databases={s3a_lake["database"]: "database"},
    )
    exchanges = [exchange for run in curation_on_s3a.runs for exchange in run.recorded]
    calls = to_calls(exchanges, naming, "curate_job")
    write_calls(RECORDING, calls)  # for reading after the run: what the job asked, in order
    return calls
