"""Excel's limits, enforced before anything is written: a run that would take Notes, Tasks, Outbox, Problems or the
hidden ledger past row 1,048,576, or Sessions' new columns past XFD, writes nothing and exits 2 with the way out;
`validate` warns from 95% full.

Near-full sheets are made as bytes: a Notes part of a million short rows is generated and swapped into a small
studio (a second or two), never built cell by cell. Sheets whose rows' contents don't matter are sparse (the header
and one row at the bottom), which is what the limit is about: the last used row.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from helpers.big_sheets import (
    LAST,
    NOTES_HEADER,
    backups,
    digest,
    notes_rows,
    pending,
    put_sheet,
    sheet_xml,
    small_studio,
    sparse_rows,
)
from helpers.workbooks import SESSION_HEADER, cells, session, studio

from sheetflow.core.cells import column_letter
from sheetflow.core.schema import FIRED, NOTES, TASKS
from sheetflow.workbook import package as pkg


@pytest.fixture(scope="module")
def full_notes_xml() -> bytes:
    """A Notes sheet with 1,048,575 rows: one more row fits."""
    return sheet_xml(notes_rows(LAST - 1), LAST - 1, NOTES_HEADER)


@pytest.fixture
def full_notes(tmp_path, full_notes_xml) -> Path:
    return put_sheet(small_studio(tmp_path / "studio.xlsx"), "Notes", full_notes_xml)


def test_apply_that_would_pass_the_last_row_writes_nothing(full_notes, sheetflow):
    before = digest(full_notes)
    result = sheetflow("apply", full_notes)
    assert result.exit_code == 2
    assert (
        "Notes is full: it has 1,048,575 rows, this run would add 2, and Excel stops at 1,048,576 — move older "
        "notes to an archive with `sheetflow notes archive studio.xlsx --before "
    ) in result.output
    assert result.output.rstrip().endswith("and run again; nothing was changed")
    assert digest(full_notes) == before and not backups(full_notes)  # not even a backup: nothing was written
    assert not list(full_notes.parent.glob(".~sheetflow-*"))  # no temp file left behind


def test_the_one_row_that_still_fits_goes_on_the_last_row(tmp_path, full_notes_xml, sheetflow):
    book = put_sheet(small_studio(tmp_path / "studio.xlsx", pending(1)), "Notes", full_notes_xml)
    result = sheetflow("apply", book)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(book) as zf:
        xml = zf.read(pkg.Package.open(zf).sheet("Notes").part)
    assert f'<dimension ref="A1:{column_letter(len(NOTES.columns))}1048576"/>'.encode() in xml  # every Notes column
    assert xml[xml.rindex(b"<row ") :].startswith(b'<row r="1048576">') and b"Client 1" in xml[-2000:]
    assert sheetflow("change", book, "2").exit_code == 2  # and now Notes is full


def test_a_dimension_that_understates_the_rows_does_not_let_them_past(tmp_path, full_notes_xml, sheetflow):
    xml = full_notes_xml.replace(b'<dimension ref="A1:J1048575"/>', b'<dimension ref="A1:J2"/>', 1)
    book = put_sheet(small_studio(tmp_path / "studio.xlsx"), "Notes", xml)
    before = digest(book)
    result = sheetflow("apply", book)
    assert result.exit_code == 2 and "Notes is full: it has 1,048,575 rows" in result.output
    assert digest(book) == before


def test_a_dimension_that_claims_the_last_row_is_counted_before_a_run_is_refused(tmp_path, sheetflow):
    # Excel's dimension covers formatted empty rows: one that says A1:J1048576 over three notes must not block
    xml = sheet_xml(
        notes_rows(4) + b'<row r="1048576" s="1" customFormat="1"/>', 4, NOTES_HEADER, dimension="A1:J1048576"
    )
    book = put_sheet(small_studio(tmp_path / "studio.xlsx"), "Notes", xml)
    result = sheetflow("apply", book)
    assert result.exit_code == 0, result.output
    notes = [r for r in cells(book, "Notes") if any(v != "" for v in r)]
    assert len(notes) == 6 and notes[4][2] == "Client 1" and notes[5][2] == "Client 2"


def test_a_full_tasks_sheet_or_ledger_stops_the_trigger_that_would_add_to_it(tmp_path, sheetflow):
    triggers = [
        [
            "Trigger",
            "Session Type",
            "Status",
            "Date Basis",
            "Offset Days",
            "Action",
            "Assign To",
            "Subject",
            "Message",
            "Active",
        ],
        ["Prep call", "", "Image Capture Pending", "Status change", 0, "Call", "Jon", "Call {{ client }}", "", "Yes"],
    ]
    ledger = [list(FIRED.columns)]
    book = small_studio(tmp_path / "studio.xlsx", extra={"Triggers": triggers, FIRED.name: ledger})
    put_sheet(book, "Tasks", sheet_xml(sparse_rows(LAST), LAST, list(TASKS.columns), dimension=f"A1:K{LAST}"))
    before = digest(book)
    result = sheetflow("apply", book)
    assert result.exit_code == 2
    assert "Tasks is full: it has 1,048,576 rows, this run would add 2" in result.output
    assert "delete the Tasks rows that are Done" in result.output and digest(book) == before

    put_sheet(book, "Tasks", sheet_xml(b"", 1, list(TASKS.columns), dimension="A1:K1"))
    put_sheet(
        book, FIRED.name, sheet_xml(sparse_rows(LAST - 1), LAST - 1, list(FIRED.columns), dimension=f"A1:E{LAST - 1}")
    )
    result = sheetflow("apply", book)
    assert result.exit_code == 2
    assert (
        f"{FIRED.name} (the hidden sheet that remembers which triggers have fired) is full: it has 1,048,575 "
        "rows, this run would add 2"
    ) in result.output


def test_new_sessions_columns_never_go_past_xfd(tmp_path, sheetflow):
    header = [h for h in SESSION_HEADER if h not in ("Flag", "Days Overdue")]
    rows = [
        [*header, *[None] * (16383 - len(header)), "Far note"],  # a header in XFD1, the last column
        [1, "Client 1", None, None, None, None, "Session Pending", dt.date(2026, 11, 20)],
    ]
    book = studio(tmp_path / "studio.xlsx", [], extra={"Sessions": rows, "Notes": [NOTES_HEADER]})
    before = digest(book)
    result = sheetflow("refresh", book)
    assert result.exit_code == 2
    assert (
        "Sessions has headers up to column XFD, and the 5 columns sheetflow adds right of them (Flag, Days "
        "Overdue, Reason, Held Since, Hold Reason) would go past column XFD, the last Excel has"
    ) in result.output
    assert digest(book) == before


def test_validate_warns_from_95_percent_full_naming_the_way_out(tmp_path, sheetflow):
    book = small_studio(
        tmp_path / "studio.xlsx",
        sessions=[session(session_id=1, status="Session Pending", status_date=dt.date(2026, 11, 20))],
    )
    put_sheet(book, "Notes", sheet_xml(notes_rows(3) + sparse_rows(996_148), 996_148, NOTES_HEADER))
    result = sheetflow("validate", book)
    assert result.exit_code == 0, result.output  # a warning, not an error
    expected = (
        "Notes!A996148: warning: Notes is 95% full: 996,148 of Excel's 1,048,576 rows — move older notes to "
        "an archive with `sheetflow notes archive studio.xlsx --before "
    )
    assert expected in result.output
    problems = cells(book, "Problems")
    assert problems[1][:2] == ["warning", "Notes!A996148"] and "95% full" in problems[1][2]

    put_sheet(book, "Notes", sheet_xml(sparse_rows(996_147), 996_147, NOTES_HEADER))  # one row less: 94.99%
    result = sheetflow("validate", book)
    assert result.exit_code == 0 and "full" not in result.output


def test_validate_warns_for_tasks_too(tmp_path, sheetflow):
    book = small_studio(tmp_path / "studio.xlsx", sessions=[])
    put_sheet(book, "Tasks", sheet_xml(sparse_rows(1_040_000), 1_040_000, list(TASKS.columns), dimension=""))
    result = sheetflow("validate", book)
    assert result.exit_code == 0
    assert re.search(
        r"Tasks!A1040000: warning: Tasks is 99% full: 1,040,000 of Excel's 1,048,576 rows — delete "
        r"the Tasks rows that are Done",
        result.output,
    )
