"""One stray value far from the table (XFD1048576, typed by mistake or pasted there): python-calamine sizes the
rectangle from A1 to it (17 billion cells: the process aborted). calamine sizes the range from the cells that hold
values, whatever <dimension> says, so each case is tried with a true dimension, a lying one and none."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from helpers.workbooks import cells, session, studio

from sheetflow.workbook import extent
from sheetflow.workbook import package as pkg
from sheetflow.workbook.reader import _sparse_table, open_zip, read_tables

SHEETS = ["Settings", "Statuses", "Lists", "Holidays", "Sessions"]


def base(tmp_path: Path) -> Path:
    return studio(
        tmp_path / "base.xlsx",
        [
            session(session_id=i, client=f"Client {i}", status="Session Pending", session_type="Portrait")
            for i in range(1, 6)
        ],
    )


def with_far_cell(src: Path, dst: Path, sheet: str, ref: str, dimension: str, cell: str | None = None) -> Path:
    """The sheet with one more value at `ref`, its <dimension> then true (covering it), lying (as it was) or
    missing (some writers leave it out)."""
    with zipfile.ZipFile(src) as zf:
        part = pkg.Package.open(zf).sheet(sheet).part
    row = re.sub(r"\D", "", ref)
    cell = cell or f'<c r="{ref}" t="inlineStr"><is><t>stray</t></is></c>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                text = data.decode().replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')
                if dimension == "true":
                    text = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{ref}"/>', text)
                elif dimension == "missing":
                    text = re.sub(r'<dimension ref="[^"]*"/>', "", text)
                data = text.encode()
            zout.writestr(info.filename, data)
    return dst


@pytest.mark.parametrize("dimension", ["true", "lying", "missing"])
@pytest.mark.parametrize("sheet", SHEETS)
def test_a_stray_value_at_the_last_cell_is_a_warning_at_its_address(tmp_path, sheetflow, sheet, dimension):
    path = with_far_cell(base(tmp_path), tmp_path / "studio.xlsx", sheet, "XFD1048576", dimension)
    result = sheetflow("validate", path)
    assert result.exit_code == 0, result.output
    assert f"{sheet}!XFD1048576: warning: this cell holds a value far from the table" in result.output
    assert "Ctrl+End" in result.output


@pytest.mark.parametrize("sheet", ["Settings", "Sessions"])
def test_the_run_goes_on_and_the_problems_sheet_shows_the_warning(tmp_path, sheetflow, sheet):
    path = with_far_cell(base(tmp_path), tmp_path / "studio.xlsx", sheet, "XFD3000", "lying")
    result = sheetflow("refresh", path)
    assert result.exit_code == 0, result.output
    problems = cells(path, "Problems")
    assert any(f"{sheet}!XFD3000" in str(v) for row in problems for v in row), problems
    sessions = read_tables(path, ["Sessions"])["Sessions"]  # calamine would size the far rectangle: sparse here
    assert [r.get("Client") for r in sessions.rows] == [f"Client {i}" for i in range(1, 6)]
    assert sheetflow("report", path).exit_code == 0


def test_apply_reads_sessions_sparsely_and_changes_the_right_rows(tmp_path, sheetflow):
    src = studio(
        tmp_path / "base.xlsx",
        [
            session(session_id=1, client="Ann", status="Session Pending", change_to="next"),
            session(session_id=2, client="Bo", status="Session Pending"),
        ],
    )
    path = with_far_cell(src, tmp_path / "studio.xlsx", "Sessions", "XFD1048576", "true")
    result = sheetflow("apply", path)
    assert result.exit_code == 0, result.output
    assert "session 1: Session Pending → Image Capture Pending" in result.output
    rows = list(read_tables(path, ["Sessions"])["Sessions"].rows)
    assert [r.get("Status") for r in rows] == ["Image Capture Pending", "Session Pending"]


def test_many_far_values_are_named_three_times_then_counted(tmp_path, sheetflow):
    many = "".join(f'<c r="{c}3000"><v>1</v></c>' for c in ("XFA", "XFB", "XFC", "XFD"))
    path = with_far_cell(base(tmp_path), tmp_path / "studio.xlsx", "Settings", "XFA3000", "lying", cell=many)
    out = sheetflow("validate", path).output
    assert "Settings!XFA3000" in out and "Settings!XFC3000" in out and "Settings!XFD3000" not in out
    assert "1 more cell holds a value far from the table" in out


def test_a_formatted_empty_cell_far_away_costs_nothing_and_is_not_reported(tmp_path, sheetflow):
    path = with_far_cell(
        base(tmp_path), tmp_path / "studio.xlsx", "Sessions", "XFD1048576", "true", cell='<c r="XFD1048576" s="1"/>'
    )
    result = sheetflow("validate", path)
    assert result.exit_code == 0 and "far from the table" not in result.output


def test_the_dimension_alone_does_not_size_the_range(tmp_path):
    """calamine ignores a huge <dimension> when the cells are few: such a sheet stays on the fast path."""
    src = base(tmp_path)
    path = with_far_cell(src, tmp_path / "studio.xlsx", "Sessions", "S6", "true")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp_path / "dim.xlsx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', zin.read(info))
            zout.writestr(info.filename, data)
    with open_zip(tmp_path / "dim.xlsx") as zf:
        part = pkg.Package.open(zf).sheet("Sessions").part
        assert not extent.too_large(zf, part)
    tables = read_tables(tmp_path / "dim.xlsx")
    assert [r.get("Client") for r in tables["Sessions"].rows] == [f"Client {i}" for i in range(1, 6)]


@pytest.mark.parametrize("sheet", ["Settings", "Statuses", "Holidays"])
def test_the_sparse_reader_reads_what_calamine_reads(tmp_path, sheet):
    """The same small sheet read both ways gives the same rows (text, numbers, dates, booleans)."""
    path = studio(
        tmp_path / "studio.xlsx",
        [session(session_id=1, status="Session Pending")],
        holidays=[[__import__("datetime").date(2026, 12, 25), "Christmas"]],
    )
    calamine = read_tables(path)[sheet]
    with open_zip(path) as zf:
        package = pkg.Package.open(zf)
        sparse = _sparse_table(zf, package, package.sheet(sheet), calamine_schema(sheet))
    assert (sparse.header_row, sparse.columns) == (calamine.header_row, calamine.columns)
    assert [(r.number, [v for v in r.values if v != ""]) for r in sparse.rows] == [
        (r.number, [v for v in r.values if v != ""]) for r in calamine.rows
    ]


def calamine_schema(sheet: str):
    from sheetflow.core.schema import ALL_SHEETS

    return next(s for s in ALL_SHEETS if s.name == sheet)


def test_init_adopts_a_client_list_with_a_stray_value_at_the_last_cell(tmp_path, sheetflow):
    """`init --sessions Clients` reads the studio's own sheet whole: a stray at XFD1048576 there costs no rectangle."""
    import xlsxwriter

    own = tmp_path / "own.xlsx"
    wb = xlsxwriter.Workbook(str(own))
    clients = wb.add_worksheet("Clients")
    for r, row in enumerate(
        [["Client Name", "Email Address"], ["Ann Lee", "ann@example.com"], ["Bo Chan", "bo@example.com"]]
    ):
        clients.write_row(r, 0, row)
    wb.close()
    book = with_far_cell(own, tmp_path / "studio.xlsx", "Clients", "XFD1048576", "lying")

    result = sheetflow("init", book, "--sessions", "Clients")
    assert result.exit_code == 0, result.output
    import openpyxl  # calamine itself would size the stray's rectangle: read the first rows the lazy way

    sheet = openpyxl.load_workbook(book, read_only=True)["Clients"]
    rows = [list(r) for r in sheet.iter_rows(min_row=1, max_row=3, max_col=2, values_only=True)]
    assert rows == [["Client Name", "Email Address"], ["Ann Lee", "ann@example.com"], ["Bo Chan", "bo@example.com"]]
    headers = [c for c in next(sheet.iter_rows(min_row=1, max_row=1, max_col=40, values_only=True)) if c]
    assert {"Session ID", "Status"} <= set(headers)  # sheetflow's columns added at the right of the studio's
    checked = sheetflow("validate", book)
    assert "Clients!XFD1048576: warning: this cell holds a value far from the table" in checked.output
