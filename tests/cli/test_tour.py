"""The whole workflow as a new user tries it: new --sample, validate, change, apply, refresh — then the
file opens in LibreOffice and shows the new statuses, dates and flags; Notes holds one row per change."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys

import pytest
from conftest import TODAY
from helpers.workbooks import records


def test_a_new_users_first_session(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    result = sheetflow("new", book, "--sample", "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "overdue" in result.output
    history = len(records(book, "Notes"))  # the sample comes with the history of its sessions

    result = sheetflow("validate", book)
    assert result.exit_code == 0, result.output  # the sample is sound (warnings allowed)

    sessions = records(book, "Sessions")
    assert len(sessions) >= 10
    flags = {s["Flag"] for s in sessions}
    assert {"Overdue", "Due soon"} <= flags
    pending = [s for s in sessions if s["Change To"]]
    assert len(pending) == 2
    movable = next(s for s in sessions if not s["Change To"] and s["Flag"] == "Overdue")

    result = sheetflow("change", book, str(movable["Session ID"]), "--note", "first try")
    assert result.exit_code == 0, result.output
    result = sheetflow("apply", book)
    assert result.exit_code == 0, result.output
    assert "2 changes applied" in result.output
    result = sheetflow("refresh", book)
    assert result.exit_code == 0, result.output

    notes = records(book, "Notes")[history:]
    assert len(notes) == 3
    assert [n["Source"] for n in notes] == ["cli", "batch", "batch"]
    assert notes[0]["Session ID"] == movable["Session ID"] and notes[0]["Note"] == "first try"
    after = {s["Session ID"]: s for s in records(book, "Sessions")}
    assert after[movable["Session ID"]]["Status"] == notes[0]["To Status"]
    assert after[movable["Session ID"]]["Status Date"] == dt.datetime.combine(TODAY, dt.time())
    assert not any(s["Change To"] for s in after.values())

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed: the rest checks the file opens in it")
    out = tmp_path / "out"
    for target in ("pdf", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"):
        subprocess.run(
            [
                "soffice",
                "--headless",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                str(book),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    assert (out / "studio.pdf").stat().st_size > 10_000
    with (out / "studio-Sessions.csv").open(newline="") as fh:
        shown = list(csv.DictReader(fh))
    shown_by_id = {row["Session ID"]: row for row in shown}
    moved = shown_by_id[str(movable["Session ID"])]
    assert moved["Status"] == notes[0]["To Status"]
    assert moved["Status Date"] == TODAY.isoformat()  # a real date, shown with the template's date format
    assert {"Overdue", "Due soon"} <= {row["Flag"] for row in shown}


def test_json_output_for_scripts(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    sheetflow("new", book, "--sample", "--today", TODAY.isoformat())
    result = sheetflow("apply", book, "--json")
    data = json.loads(result.output)
    assert data["command"] == "apply" and len(data["applied"]) == 2
    assert {"session", "from", "to", "row"} <= set(data["applied"][0])
    failed = sheetflow("refresh", tmp_path / "missing.xlsx", "--json")
    assert failed.exit_code == 2 and json.loads(failed.output)["exit_code"] == 2


def test_new_refuses_to_overwrite(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book).exit_code == 0
    before = book.read_bytes()
    result = sheetflow("new", book, "--sample")
    assert result.exit_code == 2 and "already exists" in result.output
    assert book.read_bytes() == before


def test_help_and_a_change_import_nothing_heavy(tmp_path, sheetflow):
    """A button click pays interpreter start-up every time: no pandas, numpy or openpyxl on these paths."""
    book = tmp_path / "studio.xlsx"
    sheetflow("new", book, "--sample", "--today", TODAY.isoformat())
    first = records(book, "Sessions")[0]["Session ID"]
    probe = (
        "import sys, runpy; sys.argv = ['sheetflow'] + sys.argv[1:]\n"
        "try:\n    runpy.run_module('sheetflow.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "heavy = {'pandas', 'numpy', 'openpyxl', 'xlsxwriter', 'xlwings', 'lxml'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}), file=sys.stderr)"
    )
    for argv in (["--help"], ["change", str(book), str(first), "--to", "next"]):
        done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=60)
        assert done.stderr.strip().splitlines()[-1] == "[]", (argv, done.stderr)
