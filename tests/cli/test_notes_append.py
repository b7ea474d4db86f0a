"""Where appended Notes rows go: right below the last used row, whatever the sheet's <dimension> claims,
with empty formatted rows reused and a sheet with no header at all given one first."""

from __future__ import annotations

import re
import zipfile

from helpers.workbooks import cells, session, studio

NOTES_HEADER = [
    "Logged At",
    "Session ID",
    "Client",
    "From Status",
    "To Status",
    "Date Completed",
    "Due Date",
    "Updated By",
    "Source",
    "Note",
]


def edit(book, part, change):
    with zipfile.ZipFile(book) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info.filename, change(data) if info.filename == part else data)


def book_with_history(tmp_path, rows=2):
    history = [[f"2025-01-0{i + 1}", 90 + i, "Old", "A", "B", None, None, "Z", "cli", f"h{i}"] for i in range(rows)]
    return studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending")],
        extra={"Notes": [NOTES_HEADER, *history]},
    )


def used_notes(book):
    return [r for r in cells(book, "Notes") if any(v != "" for v in r)]


def test_a_dimension_that_overstates_the_rows_is_not_trusted(tmp_path, sheetflow):
    book = book_with_history(tmp_path)
    part = "xl/worksheets/sheet6.xml"
    # Excel keeps empty formatted rows, and its dimension covers them
    edit(
        book,
        part,
        lambda x: re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:J9"/>', x).replace(
            b"</sheetData>", b'<row r="9" spans="1:10"><c r="A9" s="0"/></row></sheetData>'
        ),
    )
    assert sheetflow("change", book, "1").exit_code == 0
    notes = used_notes(book)
    assert [n[9] for n in notes[1:]] == ["h0", "h1", ""] and notes[3][8] == "cli"
    grid = cells(book, "Notes")
    assert grid[3][8] == "cli"  # row 4: right below the history, not below the empty formatted row 9
    assert len(grid) <= 9


def test_a_dimension_that_understates_the_rows_is_not_trusted(tmp_path, sheetflow):
    book = book_with_history(tmp_path, rows=5)
    edit(
        book, "xl/worksheets/sheet6.xml", lambda x: re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:J2"/>', x)
    )
    assert sheetflow("change", book, "1").exit_code == 0
    notes = used_notes(book)
    assert [n[9] for n in notes[1:6]] == ["h0", "h1", "h2", "h3", "h4"]  # no history row overwritten
    assert notes[6][8] == "cli" and len(notes) == 7


def test_no_dimension_at_all(tmp_path, sheetflow):
    book = book_with_history(tmp_path)
    edit(book, "xl/worksheets/sheet6.xml", lambda x: re.sub(rb'<dimension ref="[^"]+"/>', b"", x))
    assert sheetflow("change", book, "1").exit_code == 0
    notes = used_notes(book)
    assert [n[9] for n in notes[1:3]] == ["h0", "h1"] and notes[3][8] == "cli"


def test_a_notes_sheet_without_even_a_header(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending")], extra={"Notes": []})
    assert sheetflow("change", book, "1").exit_code == 0
    notes = used_notes(book)
    assert notes[0] == [*NOTES_HEADER, "Reason", "Assigned To"] and notes[1][8] == "cli" and len(notes) == 2
