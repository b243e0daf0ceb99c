"""The emulator and export commands reject impossible values with one line and exit 2."""

from __future__ import annotations

import json
import zipfile

import pytest

from spotify_lake.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["emulator", "--host", "0.0.0.0"], "--host must be a loopback address"),  # noqa: S104 - refused
        (["emulator", "--days", "-1"], "--days must be >= 0"),
        (["emulator", "--listeners", "6"], "--listeners must be between 1 and 5"),
        (["emulator", "--mode", "premium"], "--mode must be one of development, extended"),
        (["emulator", "--faults", "throttle=1.5"], "--faults: fault rate throttle=1.5 must be between 0 and 1"),
        (["emulator", "--now", "yesterday"], "--now must be an ISO-8601 time"),
        (
            ["export", "--out", "x.zip", "--format", "csv"],
            "--format must be one of extended, account, account_older, legacy",
        ),
        (["export", "--out", "x.txt"], "--out must name a .zip file"),
        (["export", "--out", "x.zip", "--days", "0"], "--days must be >= 1"),
    ],
)
def test_impossible_values_are_one_line_errors(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}")
    assert err.count("\n") == 1


def test_unknown_option_exits_nonzero(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["emulator", "--colour", "blue"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --colour blue" in capsys.readouterr().err


def test_export_command_writes_zip(tmp_path, capsys):
    out = tmp_path / "export.zip"
    assert main(["export", "--seed", "5", "--days", "10", "--out", str(out), "--listener-index", "2"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: extended export")
    with zipfile.ZipFile(out) as archive:
        name = next(n for n in archive.namelist() if "Audio" in n)
        rows = json.loads(archive.read(name))
    assert rows[0]["conn_country"] in ("JP", "ES", "FR", "IT", "PT", "GR")  # listener 2 lives in Japan
