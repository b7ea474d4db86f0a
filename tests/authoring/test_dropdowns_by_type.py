"""The Status and Change To dropdowns per session type: with Settings' Statuses by type = Yes a Wedding session is
offered the Wedding statuses only, read from the Statuses table's block of Wedding rows (kept together and in sort
order by the status-list commands); with No, or for a type without statuses, every status. Checked in LibreOffice
itself (its UNO bridge evaluates the validation's own formula at the session's row), before and after LibreOffice
saves the file again (issue 15)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pytest
from helpers.libreoffice import soffice_convert

from sheetflow.authoring.template import status_choices
from sheetflow.core.schema import SESSIONS, TRIGGERS

SOFFICE = shutil.which("soffice")
UNO_PYTHON = "/usr/bin/python3"  # the system Python that has LibreOffice's uno module
PORTRAIT_ROW, WEDDING_ROW = 2, 8  # the sample's first Portrait and first Wedding session on Sessions
PROBE = r"""
import json, os, re, sys, time
import uno
from com.sun.star.beans import PropertyValue

pipe, path, rows, by_type = sys.argv[1], sys.argv[2], [int(r) for r in sys.argv[3].split(",")], sys.argv[4]
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for attempt in range(300):
    try:
        context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        break
    except Exception:
        time.sleep(0.1)
else:
    sys.exit("LibreOffice did not answer")
desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
hidden = PropertyValue()
hidden.Name, hidden.Value = "Hidden", True
doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0, (hidden,))
if by_type:
    settings = doc.Sheets.getByName("Settings")
    for r in range(60):
        if settings.getCellByPosition(0, r).getString() == "Statuses by type":
            settings.getCellByPosition(1, r).setString(by_type)
sheet = doc.Sheets.getByName("Sessions")
status_col = [sheet.getCellByPosition(c, 0).getString() for c in range(40)].index("Status")
found = {}
for row in rows:
    validation = sheet.getCellByPosition(status_col, row - 1).Validation
    formula = validation.getFormula1()
    base = validation.getSourcePosition().Row + 1  # relative references count from the validation's first row
    here = re.sub(r"\$([A-Z]+)" + str(base) + r"\b", lambda m: f"${m[1]}{row}", formula)
    count, names = sheet.getCellByPosition(200, row - 1), []
    count.setFormula(f"=ROWS({here})")
    doc.calculateAll()
    for i in range(int(count.getValue())):
        cell = sheet.getCellByPosition(201 + i, row - 1)
        cell.setFormula(f"=INDEX({here};{i + 1})")
    doc.calculateAll()
    names = [sheet.getCellByPosition(201 + i, row - 1).getString() for i in range(int(count.getValue()))]
    found[row] = {"type": validation.Type.value, "choices": names}
doc.close(True)
print(json.dumps(found), flush=True)
try:
    desktop.terminate()
except Exception:
    pass
os._exit(0)  # skip the UNO bridge's teardown, which can crash once LibreOffice is gone
"""


def _need_libreoffice() -> str:
    if SOFFICE is None or not Path(UNO_PYTHON).exists():
        if os.environ.get("CI"):
            pytest.fail("CI needs LibreOffice and python3-uno: .ci/run installs them")
        pytest.skip("LibreOffice (soffice) with python3-uno is not installed")
    return SOFFICE


def offered(book: Path, folder: Path, rows: tuple[int, ...], by_type: str = "") -> dict[int, list[str]]:
    """The Status dropdown's choices LibreOffice works out at each Sessions row (Statuses by type set first)."""
    soffice = _need_libreoffice()
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / "probe.py"
    probe.write_text(PROBE)
    pipe = f"sheetflow_dropdowns_{uuid.uuid4().hex}"
    office = subprocess.Popen(
        [
            soffice,
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"--accept=pipe,name={pipe};urp;",
            f"-env:UserInstallation={(folder / 'lo').as_uri()}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        done = subprocess.run(
            [UNO_PYTHON, str(probe), pipe, str(book), ",".join(map(str, rows)), by_type],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        try:
            os.killpg(office.pid, signal.SIGTERM)
            office.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(office.pid, signal.SIGKILL)
            office.wait()
    assert done.returncode == 0 and done.stdout.strip(), f"the UNO probe failed: {done.stdout} {done.stderr}"
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(seen["type"] == "LIST" for seen in found.values())
    return {int(row): seen["choices"] for row, seen in found.items()}


@pytest.fixture
def sample(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", "2026-11-25").exit_code == 0
    return book


def statuses_of(book: Path, session_type: str) -> list[str]:
    ws = openpyxl.load_workbook(book)["Statuses"]
    return [row[1] for row in ws.iter_rows(min_row=2, values_only=True) if row[0] == session_type]


def test_status_and_change_to_offer_the_sessions_own_cycle(sample):
    validations = openpyxl.load_workbook(sample)[SESSIONS.name].data_validations.dataValidation
    by_column = {str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1 for v in validations}
    columns = {name: openpyxl.utils.get_column_letter(SESSIONS.columns.index(name) + 1) for name in SESSIONS.columns}
    assert by_column[columns["Status"]] == by_column[columns["Change To"]] == status_choices(2)
    assert "OFFSET(INDEX(StatusNames,1),MATCH($E2,StatusTypes,0)-1,0,COUNTIF(StatusTypes,$E2),1)" in status_choices(2)
    triggers = openpyxl.load_workbook(sample)[TRIGGERS.name].data_validations.dataValidation
    assert "StatusNames" in {v.formula1 for v in triggers}  # a trigger may name any cycle's status


def test_libreoffice_offers_a_wedding_session_the_wedding_statuses_only(sample, tmp_path):
    choices = offered(sample, tmp_path, (PORTRAIT_ROW, WEDDING_ROW))
    assert choices[PORTRAIT_ROW] == statuses_of(sample, "Portrait")
    assert choices[PORTRAIT_ROW][0] == "P-Session Pending" and len(choices[PORTRAIT_ROW]) == 6
    assert choices[WEDDING_ROW] == statuses_of(sample, "Wedding")
    assert all(name.startswith("W-") for name in choices[WEDDING_ROW]) and len(choices[WEDDING_ROW]) == 8


def test_with_statuses_by_type_no_every_status_is_offered(sample, tmp_path):
    choices = offered(sample, tmp_path, (WEDDING_ROW,), by_type="No")
    assert len(choices[WEDDING_ROW]) == 14


def test_a_status_added_to_a_cycle_is_offered_to_its_sessions(sample, tmp_path, sheetflow):
    result = sheetflow("statuses", "add", sample, "P-Proofing", "--after", "P-Retouch Pending", "--duration", "2")
    assert result.exit_code == 0, result.output
    choices = offered(sample, tmp_path, (PORTRAIT_ROW, WEDDING_ROW))
    assert "P-Proofing" in choices[PORTRAIT_ROW] and len(choices[PORTRAIT_ROW]) == 7
    assert "P-Proofing" not in choices[WEDDING_ROW] and len(choices[WEDDING_ROW]) == 8


def test_the_dropdowns_survive_a_libreoffice_resave(sample, tmp_path):
    _need_libreoffice()
    resaved = soffice_convert(sample, tmp_path / "resaved")
    choices = offered(resaved, tmp_path / "probe", (PORTRAIT_ROW, WEDDING_ROW))
    assert choices[WEDDING_ROW] == statuses_of(sample, "Wedding")
    assert choices[PORTRAIT_ROW] == statuses_of(sample, "Portrait")
