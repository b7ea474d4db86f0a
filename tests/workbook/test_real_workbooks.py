"""Workbooks as studios really have them: made by another tool, columns in their own order, their own
columns, sheets and formulas — sheetflow works the same and keeps every extra, byte for byte."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import xlsxwriter
from helpers.workbooks import LISTS, SETTINGS, STATUSES, cells, dashboard_parts, records, styles_only_grew

from sheetflow.core.schema import SESSION_HOLD, SESSION_INPUTS, SESSION_WRITTEN

USER_HEADER = ["Photographer", "Price", "Status", "Client", "Session ID", "Deposit x2", "Status Date", "Change To"]


def make(path, date_order="DMY"):
    """A workbook another tool wrote: shared strings, a title row, reordered and extra columns, formulas."""
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "bg_color": "#DDEEFF"})
    money = wb.add_format({"num_format": "$#,##0.00"})
    day = wb.add_format({"num_format": "dd/mm/yyyy"})
    finance = wb.add_worksheet("Finance")
    finance.write_row(0, 0, ["Month", "Revenue"], bold)
    finance.write_row(1, 0, ["Nov", 1234.5], money)
    finance.write_formula(2, 1, "=SUM(B2:B2)*1.2", money, 1481.4)
    settings = wb.add_worksheet("Settings")
    for r, row in enumerate(SETTINGS):
        settings.write_row(r, 0, row if row[0] != "Date order" else ["Date order", date_order])
    statuses = wb.add_worksheet("Statuses")
    for r, row in enumerate(STATUSES):
        statuses.write_row(r, 0, row)
    lists = wb.add_worksheet("Lists")
    for r, row in enumerate(LISTS):
        lists.write_row(r, 0, row)
    ws = wb.add_worksheet("Sessions")
    ws.write(0, 0, "Northlight sessions — updated weekly", bold)  # a title above the header row
    ws.write_row(2, 0, USER_HEADER, bold)
    rows = [
        ["Lee", 250, "session pending ", "Ann", 1001, None, dt.datetime(2026, 11, 16), "next"],
        None,  # a blank row in the middle
        ["Kim", 400, "Retouch Pending", "Bob", "1002", None, "20/11/2026", ""],
        ["Lee", 90, "Image Capture Pending", "Cy", 1003.0, None, None, "Retouch Pending"],
    ]
    for i, row in enumerate(rows):
        r = 3 + i
        if row is None:
            continue
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, day)
            elif value is not None:
                ws.write(r, c, value, money if c == 1 else None)
        ws.write_formula(r, 5, f"=B{r + 1}*2", money, row[1] * 2)
    ws.write_formula(6, 6, "=DATE(2026,11,23)", day, 46349)  # a formula status date: its stored result counts
    wb.add_worksheet("Ideas").write(0, 0, "sheetflow must not touch this")
    wb.close()
    return path


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def sheet_part(path, name):
    wb = openpyxl.load_workbook(path)
    index = wb.sheetnames.index(name) + 1
    return f"xl/worksheets/sheet{index}.xml"


def user_cells(xml: bytes, columns: str) -> list[str]:
    return re.findall(rf'<c r="[{columns}]\d+".*?(?:/>|</c>)', xml.decode())


def test_another_tools_workbook_works_and_keeps_its_extras(tmp_path, sheetflow):
    book = make(tmp_path / "studio.xlsx")
    before = members(book)
    sessions_part = sheet_part(book, "Sessions")

    result = sheetflow("apply", book)
    assert result.exit_code == 0, result.output
    result = sheetflow("refresh", book)
    assert result.exit_code == 0, result.output

    grid = cells(book, "Sessions")
    header = grid[2]
    assert header[:8] == USER_HEADER
    owned = [*SESSION_WRITTEN, *SESSION_INPUTS, *SESSION_HOLD]
    assert header[8:] == [c for c in owned if c not in USER_HEADER]  # owned columns added at the right end
    rows = {str(r[4]).removesuffix(".0"): dict(zip(header, r, strict=False)) for r in grid[3:] if r[4]}
    assert rows["1001"]["Status"] == "Image Capture Pending"
    assert rows["1001"]["Change To"] == ""
    assert rows["1002"]["Due Date"] == dt.date(2026, 11, 27)  # text date 20/11/2026 read in DMY order
    assert rows["1003"]["Status"] == "Retouch Pending"
    assert grid[4] == [""] * len(grid[4]) or not any(grid[4])  # the blank row stays blank
    assert [n["Session ID"] for n in records(book, "Notes")] == [1001, 1003]

    after = members(book)
    changed = {name for name in before if after.get(name) != before[name]}
    assert changed <= {
        sessions_part,
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
        "xl/styles.xml",
    }
    # styles only grow: a date-and-time style for Notes' Logged At, which this workbook did not have, and the
    # Dashboard's (bold headers, number formats), each appended after the workbook's own
    gained = styles_only_grew(before["xl/styles.xml"], after["xl/styles.xml"])
    assert [xf for xf in gained if 'numFmtId="22"' in xf] == [gained[0]]
    assert sessions_part in changed
    added = set(after) - set(before)  # Notes, Tasks, Outbox, Problems, Dashboard: created when missing
    dashboard = dashboard_parts(book)  # the Dashboard's sheet, drawing and charts (refresh draws its board)
    sheets = {f"xl/worksheets/sheet{n}.xml" for n in range(7, 12)}
    assert sheets <= added and added - sheets <= dashboard
    assert openpyxl.load_workbook(book).sheetnames[6:] == ["Notes", "Tasks", "Outbox", "Dashboard", "Problems"]
    # the user's own cells in the owned sheet: byte for byte, formulas and stored results included
    assert user_cells(after[sessions_part], "ABDF") == user_cells(before[sessions_part], "ABDF")
    formulas = openpyxl.load_workbook(book)["Sessions"]
    assert formulas["F4"].value == "=B4*2"
    assert cells(book, "Sessions")[3][5] == 500.0  # the stored result is still there for readers
    assert cells(book, "Finance")[2][1] == 1481.4


def test_a_formula_in_an_owned_input_uses_its_stored_result(tmp_path, sheetflow):
    book = make(tmp_path / "studio.xlsx")
    sheetflow("refresh", book)
    grid = cells(book, "Sessions")
    header = grid[2]
    row = dict(zip(header, grid[6], strict=False))
    assert row["Status Date"] == dt.date(2026, 11, 23)
    assert row["Due Date"] == dt.date(2026, 11, 25)  # image capture: 2 business days


def test_the_result_opens_in_libreoffice(tmp_path, sheetflow):
    import shutil
    import subprocess

    if not shutil.which("soffice"):
        import pytest

        pytest.skip("LibreOffice (soffice) is not installed")
    book = make(tmp_path / "studio.xlsx")
    sheetflow("apply", book)
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(tmp_path / "out"),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sessions = (tmp_path / "out" / "studio-Sessions.csv").read_text()
    assert "Image Capture Pending" in sessions and "Retouch Pending" in sessions
    notes = (tmp_path / "out" / "studio-Notes.csv").read_text()
    assert "1001" in notes and "batch" in notes
