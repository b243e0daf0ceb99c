"""Listing the raw zone: a local lake is walked in Python (Hadoop's local listing starts a process per file),
and the walk must list exactly what Hadoop's recursive listing lists, in the same form."""

from __future__ import annotations

import pytest

from curation.lake import LakeFS, RawObject, raw_key

pytestmark = pytest.mark.spark


def _hadoop_listing(fs: LakeFS, root: str) -> list[RawObject]:
    """What Hadoop's own recursive listing gives, with list_files' filter (the form the job relied on before)."""
    found = []
    it = fs._fs(root).listFiles(fs._p(root), True)
    while it.hasNext():
        status = it.next()
        path = status.getPath().toString()
        if not path.rsplit("/", 1)[-1].startswith((".", "_")):
            found.append(RawObject(path, raw_key(path) or path, int(status.getLen())))
    return sorted(found, key=lambda o: o.key)


def test_a_local_listing_is_hadoops_listing(spark, tmp_path):
    raw = tmp_path / "lake" / "raw"
    files = {
        "source=api/endpoint=recently_played/extract_date=2026-11-01/page-00000.ndjson.gz": b"12345",
        "source=export/endpoint=streaming_history_extended/Streaming_History_Audio_2020.json": b"",
        "source=export/endpoint=library/YourLibrary.json": b"{}",
        "_temporary/left-over.json": b"[]",  # a hidden folder's file: Hadoop lists it (its own name is not hidden)
        "source=api/_SUCCESS": b"",
        "source=api/.page.crc": b"x",
        "elsewhere=1/name with space.json": b"[1]",
    }
    for key, content in files.items():
        path = raw / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.json").write_bytes(b"[2,3]")
    (raw / "linked").symlink_to(outside, target_is_directory=True)
    fs = LakeFS(spark)

    listed = fs.list_files(raw.as_uri())

    prefix = f"file:{raw}/"  # Hadoop's form of a local path
    assert [(o.path.removeprefix(prefix), o.length) for o in listed] == [
        # Sorted by key: a file outside the raw zone's layout is keyed by its path, which sorts first.
        ("_temporary/left-over.json", 2),
        ("elsewhere=1/name with space.json", 3),
        ("linked/linked.json", 5),
        ("source=api/endpoint=recently_played/extract_date=2026-11-01/page-00000.ndjson.gz", 5),
        ("source=export/endpoint=library/YourLibrary.json", 2),
        ("source=export/endpoint=streaming_history_extended/Streaming_History_Audio_2020.json", 0),
    ]
    assert all(o.path.startswith(prefix) for o in listed)
    assert listed == _hadoop_listing(fs, raw.as_uri())


def test_a_missing_local_root_lists_nothing(spark, tmp_path):
    assert LakeFS(spark).list_files((tmp_path / "absent").as_uri()) == []


def test_a_root_with_characters_a_uri_escapes_is_read_as_hadoop_reads_it(spark, tmp_path):
    raw = tmp_path / "my lake #2 100%" / "raw"
    (raw / "source=api").mkdir(parents=True)
    (raw / "source=api" / "page.ndjson.gz").write_bytes(b"abc")
    (raw / "gone.json").symlink_to(tmp_path / "nowhere.json")  # a dangling link: skipped, as Hadoop skips it
    fs = LakeFS(spark)
    listed = fs.list_files(f"file:{raw}")  # as Hadoop writes a local path
    assert [(o.path, o.length) for o in listed] == [(f"file:{raw}/source=api/page.ndjson.gz", 3)]
    assert listed == _hadoop_listing(fs, f"file:{raw}")
    assert fs.read_bytes(listed[0].path) == b"abc"
    # Hadoop takes a percent escape literally (a folder named "my%20lake..."), so the escaped URI names a folder
    # that does not exist: the walk agrees instead of decoding it.
    assert not fs.exists(raw.as_uri())
    assert fs.list_files(raw.as_uri()) == []


def test_a_directory_link_back_into_its_ancestry_is_an_error_not_a_repeated_listing(spark, tmp_path):
    raw = tmp_path / "raw"
    (raw / "source=api").mkdir(parents=True)
    (raw / "source=api" / "page.ndjson.gz").write_bytes(b"abc")
    (raw / "source=api" / "again").symlink_to(raw, target_is_directory=True)
    with pytest.raises(OSError, match="link loop"):
        LakeFS(spark).list_files(raw.as_uri())
