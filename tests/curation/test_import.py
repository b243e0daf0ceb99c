"""`python -m spotify_lake import`: exports staged unchanged, content-addressed, listener resolved."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from extraction.identity import listener_id
from spotify_lake.cli import main
from spotify_lake.errors import UserError
from spotify_lake.staging import export_kind, stage_export
from tests.support.lakefix import EXPORT_FILES, FIXTURES, LISTENER, USER


def _zip(tmp_path: Path) -> Path:
    path = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in EXPORT_FILES.values():
            archive.write(FIXTURES / name, f"Spotify Extended Streaming History/{name}")
        archive.writestr("Spotify Extended Streaming History/Playlist1.json", "{}")
        archive.writestr("Spotify Extended Streaming History/ReadMeFirst.pdf", b"%PDF")
    return path


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Streaming_History_Audio_2019-2020_0.json", "extended"),
        ("Streaming_History_Video_2019-2024.json", "extended"),
        ("endsong_3.json", "legacy"),
        ("StreamingHistory_music_0.json", "account"),
        ("StreamingHistory0.json", "account"),
        ("Playlist1.json", None),
        ("Userdata.json", None),
    ],
)
def test_export_kind_by_file_name(name, kind):
    assert export_kind(name) == kind


def test_import_zip_stages_bytes_unchanged_and_twice_adds_nothing(tmp_path):
    lake = tmp_path / "lake"
    first = stage_export(_zip(tmp_path), lake, listener=USER)

    assert first.listener_id == LISTENER == listener_id(USER)
    assert len(first.staged) == 3
    assert sorted(first.ignored) == [
        "Spotify Extended Streaming History/Playlist1.json",
        "Spotify Extended Streaming History/ReadMeFirst.pdf",
    ]
    extended = next(k for k in first.staged if "streaming_history_extended" in k)
    assert extended.startswith(f"raw/source=export/endpoint=streaming_history_extended/listener={LISTENER}/sha256=")
    assert extended.endswith("/Streaming_History_Audio_2024_0.json")
    assert (lake / extended).read_bytes() == (FIXTURES / EXPORT_FILES["extended"]).read_bytes()  # BOM kept
    run_file = lake / "_runs" / f"{first.run_id}.json"
    assert json.loads(run_file.read_text())["staged"] == first.staged

    second = stage_export(_zip(tmp_path), lake)  # default listener: the only one in the lake
    assert second.staged == []
    assert sorted(second.already_present) == sorted(first.staged)
    assert len(list((lake / "raw").rglob("*.json"))) == 3


def test_listener_defaults_to_legacy_username_then_errors(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "endsong_0.json").write_bytes((FIXTURES / "endsong_0.json").read_bytes())
    assert stage_export(folder, tmp_path / "a").listener_id == listener_id(USER)

    only_account = tmp_path / "account"
    only_account.mkdir()
    (only_account / "StreamingHistory_music_0.json").write_bytes((FIXTURES / EXPORT_FILES["account"]).read_bytes())
    with pytest.raises(UserError, match="--listener"):
        stage_export(only_account, tmp_path / "b")
    assert stage_export(only_account, tmp_path / "b", listener=LISTENER).listener_id == LISTENER


def test_import_cli_reports_ignored_files(tmp_path, capsys):
    code = main(["import", str(_zip(tmp_path)), "--lake", str(tmp_path / "lake"), "--listener", USER])
    out = capsys.readouterr().out
    assert code == 0
    assert "staged 3 file(s)" in out
    assert "Playlist1.json" in out
    assert main(["import", str(tmp_path / "missing.zip"), "--lake", str(tmp_path / "lake")]) == 2


def _only_2024_extended(tmp_path: Path) -> Path:
    """An export naming nobody: one 2024-format extended file (no username) from the shapes export."""
    from spotify_lake.sources.exportgen import write_shapes

    shapes = write_shapes(tmp_path / "shapes")
    folder = tmp_path / "nameless"
    folder.mkdir()
    with zipfile.ZipFile(shapes.extended) as archive:
        name = "Spotify Extended Streaming History/Streaming_History_Audio_2024_0.json"
        (folder / "Streaming_History_Audio_2024_0.json").write_bytes(archive.read(name))
    return folder


def test_listener_named_by_userdata_or_records(tmp_path):
    from spotify_lake.sources.exportgen import SHAPES_USER, write_shapes

    shapes = write_shapes(tmp_path / "shapes")
    lake = tmp_path / "lake"
    account = stage_export(shapes.account, lake)  # Userdata.json names the user
    assert account.listener_id == listener_id(SHAPES_USER)
    assert account.listener_how == "named by the export (Spotify user 'shapes-user')"
    assert "Spotify Account Data/Userdata.json" in account.ignored
    extended = stage_export(shapes.extended, tmp_path / "other")  # the 2023 file's records carry username
    assert extended.listener_id == listener_id(SHAPES_USER)
    older = stage_export(shapes.account_older, lake, listener=SHAPES_USER)  # given and named: the same person
    assert older.listener_id == listener_id(SHAPES_USER)
    library = [k for k in older.staged if k.endswith("/YourLibrary.json")]
    assert len(library) == 1
    assert library[0].startswith(f"raw/source=export/endpoint=library/listener={listener_id(SHAPES_USER)}/")


def test_export_of_another_person_is_refused(tmp_path):
    from spotify_lake.sources.exportgen import write_shapes

    shapes = write_shapes(tmp_path / "shapes")
    with pytest.raises(UserError, match=r"belongs to Spotify user 'shapes-user' .* not to --listener listener-one"):
        stage_export(shapes.account, tmp_path / "a", listener=USER)
    lake = tmp_path / "b"
    stage_export(_only_2024_extended(tmp_path), lake, listener=USER)  # the lake's only listener: listener-one
    with pytest.raises(UserError, match=rf"lake's only listener is {LISTENER}: pass --listener shapes-user"):
        stage_export(shapes.extended, lake)
    assert stage_export(shapes.extended, lake, listener="shapes-user").staged  # a second listener, on purpose
    assert not list((lake / "raw").glob(f"**/listener={LISTENER}/**/Streaming_History_Audio_2023_0.json"))


def test_export_naming_several_users_is_refused(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "Userdata.json").write_text(json.dumps({"username": "someone-else"}))
    (folder / "endsong_0.json").write_bytes((FIXTURES / "endsong_0.json").read_bytes())  # listener-one
    with pytest.raises(UserError, match=r"several users \(listener-one, someone-else\)"):
        stage_export(folder, tmp_path / "lake")


def test_nameless_export_in_an_empty_lake_says_how_to_find_the_user_id(tmp_path):
    # Given a 2024-format extended export (no username anywhere) and a lake with no listener yet
    with pytest.raises(UserError) as refused:
        stage_export(_only_2024_extended(tmp_path), tmp_path / "lake")
    # Then the error asks for --listener and says where a listener finds their Spotify user id
    assert "pass --listener USER_ID" in str(refused.value)
    assert "spotify.com/account/overview" in str(refused.value)
    assert "Userdata.json" in str(refused.value)


def test_nameless_export_goes_to_the_only_listener_and_says_so(tmp_path, capsys):
    lake = tmp_path / "lake"
    stage_export(FIXTURES / "endsong_0.json", lake)  # names listener-one
    code = main(["import", str(_only_2024_extended(tmp_path)), "--lake", str(lake)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"listener {LISTENER} (the export names nobody; attributed to the lake's only listener {LISTENER})" in out
