"""`spotify-lake exclude`: the exclusions file it writes is the one the views read, on DuckDB as on Athena."""

from __future__ import annotations

import pytest

from spotify_lake.adapters import exclusions
from spotify_lake.adapters.exclusions import Exclusion
from spotify_lake.cli import main
from spotify_lake.errors import UserError
from spotify_lake.report.lake import connect, create_views

from . import dataset
from .dataset import A


def test_add_list_and_remove_through_the_cli(tmp_path, capsys):
    lake = tmp_path / "lake"
    # Given an empty lake, when rules are added, then the file holds them with a header line
    assert main(["exclude", "artist", "Earth, Wind & Fire", "--lake", str(lake), "--reason", 'says "no"']) == 0
    assert main(["exclude", "content_type", "Audiobook", "--lake", str(lake), "--listener", A]) == 0
    assert main(["exclude", "private_sessions", "keep", "--lake", str(lake)]) == 0
    text = (lake / "curated" / "exclusions" / "exclusions.csv").read_text(encoding="utf-8")
    assert text == (
        "kind,value,listener_id,reason\n"
        'artist,"Earth, Wind & Fire",,"says ""no"""\n'
        f"content_type,audiobook,{A},\n"
        "private_sessions,keep,,\n"
    )
    out = capsys.readouterr().out
    assert "aws s3 cp" in out
    assert "s3://<CuratedBucketName>/curated/exclusions/exclusions.csv" in out
    # the same rule again replaces it (any case), and leave_out removes the setting
    assert main(["exclude", "ARTIST", "earth, wind & fire", "--lake", str(lake)]) == 0
    assert main(["exclude", "private_sessions", "leave_out", "--lake", str(lake)]) == 0
    assert exclusions.read(lake) == [
        Exclusion("content_type", "audiobook", A),
        Exclusion("artist", "earth, wind & fire"),
    ]
    assert main(["exclude", "--lake", str(lake)]) == 0
    assert "private-session plays are left out (the default" in capsys.readouterr().out
    assert main(["exclude", "content_type", "audiobook", "--remove", "--lake", str(lake), "--listener", A]) == 0
    assert exclusions.read(lake) == [Exclusion("artist", "earth, wind & fire")]


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("album", "X", "unknown kind 'album'"),
        ("artist", "  ", "needs a value"),
        ("content_type", "video", "is not one of track"),
        ("private_sessions", "yes", "keep or leave_out"),
        ("artist", "AC\\DC", "backslashes"),
    ],
)
def test_rows_the_views_would_misread_are_refused(tmp_path, kind, value, message):
    with pytest.raises(UserError, match=message):
        exclusions.add(tmp_path, Exclusion(kind, value))
    assert not exclusions.file_path(tmp_path).exists()


def test_removing_a_rule_that_is_not_there_says_so(tmp_path, capsys):
    assert main(["exclude", "show", "Nope", "--remove", "--lake", str(tmp_path)]) == 2
    assert "no exclusion show 'Nope'" in capsys.readouterr().err


def test_a_file_without_its_header_is_refused(tmp_path):
    exclusions.file_path(tmp_path).parent.mkdir(parents=True)
    exclusions.file_path(tmp_path).write_text("artist,X,,\n", encoding="utf-8")
    with pytest.raises(UserError, match="header kind,value,listener_id,reason"):
        exclusions.read(tmp_path)


def test_what_the_cli_writes_is_what_the_views_apply(tmp_path):
    # Given the edge lake, whose own file is replaced by the CLI's: keep private sessions, leave out Artist One
    lake = dataset.build(tmp_path)
    exclusions.write(lake, [])
    exclusions.add(lake, Exclusion("private_sessions", "keep"))
    exclusions.add(lake, Exclusion("artist", "artist one", A, "too much"))
    con = connect(lake)
    assert [s for s in create_views(con, "UTC") if not s.ok] == []
    # Then A's plays of Artist One (p1, p2: its first credited artist, p6, p7 and the private x1) are left out
    left_out = con.execute("SELECT play_id, excluded_by, reason FROM excluded_plays ORDER BY 1").fetchall()
    assert left_out == [(p, "artist", "too much") for p in ("p1", "p2", "p6", "p7", "x1")]
    # and the private x2 (Artist, Four) is counted, as are B's plays of Artist One
    counted = {r[0] for r in con.execute("SELECT play_id FROM play_events").fetchall()}
    assert {"x2", "x3", "q1"} <= counted
    con.close()
