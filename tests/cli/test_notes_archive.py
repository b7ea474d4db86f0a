"""`sheetflow notes archive`: the oldest Notes rows moved into an archive workbook (created, or appended to), the
archive checked before the rows leave the studio's workbook, a Notes row saying where they went, the same time in
status afterwards, nothing moved twice — and the way out of a full Notes sheet."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from helpers.big_sheets import LAST, logged_at, notes_rows, put_sheet, sheet_xml, small_studio
from helpers.report_studio import HISTORY, NOTES_HEADER, TIME_IN_STATUS, make, table
from helpers.workbooks import SETTINGS, cells, records

from sheetflow.workbook import package as pkg

TITLE = "Business days spent in each status (from the Notes history)"


def serial(when: dt.date) -> float:
    """A day or time as the Excel serial a cell without a date style holds."""
    moment = when if isinstance(when, dt.datetime) else dt.datetime.combine(when, dt.time())
    return (moment - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)


def used(book: Path, sheet: str = "Notes") -> list[list]:
    return [row for row in cells(book, sheet) if any(v != "" for v in row)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def time_in_status(book: Path) -> list[list]:
    """The Dashboard's time-in-status block, columns J:P, as the studio sees it."""
    return [row[9:16] for row in cells(book, "Dashboard")]


def test_older_notes_move_to_an_archive_and_a_note_says_where(tmp_path, sheetflow):
    book = make(tmp_path)
    result = sheetflow("notes", "archive", book, "--before", "2026-11-10")
    assert result.exit_code == 0, result.output
    # the top of the history goes; the three rows of 2-5 Nov below a newer row stay, keeping the history's order
    assert (
        "studio.xlsx: moved 5 notes (logged 2026-11-02 to 2026-11-09; rows 2 to 6) to a new archive "
        "studio-notes-archive.xlsx, which now holds 5; 14 stay on Notes (3 of them logged before 2026-11-10, "
        "below newer rows)"
    ) in result.output
    archive = tmp_path / "studio-notes-archive.xlsx"
    assert used(archive) == [NOTES_HEADER] + [[v if v is not None else "" for v in row] for row in HISTORY[:5]]
    assert len(records(archive, "Notes")) == 5  # openpyxl opens it too
    notes = used(book)
    assert notes[1:-1] == [[v if v is not None else "" for v in row] for row in HISTORY[5:]]
    assert notes[-1][7:] == [
        "Maya",
        "cli",
        "5 notes logged before 2026-11-10 (rows 2 to 6) moved to the archive studio-notes-archive.xlsx",
    ]
    assert isinstance(notes[-1][0], dt.datetime) and notes[-1][0].date() == dt.date(2026, 11, 25)
    with zipfile.ZipFile(book) as zf:  # the Notes table ends on the new last row, as the sheet does
        entry = pkg.Package.open(zf).sheet("Notes")
        xml = zf.read(entry.part)
        tables = [zf.read(t) for t in pkg.Package.open(zf).tables_of(entry.part)]
    assert b'<dimension ref="A1:J16"/>' in xml and b'<row r="16"' in xml and b'<row r="17"' not in xml
    assert [pkg.table_ref(t) for t in tables] == ["A1:J16"]


def test_time_in_status_is_the_same_after_archiving(tmp_path, sheetflow):
    book = make(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    before = time_in_status(book)
    assert table(cells(book, "Dashboard"), TITLE, 9) == TIME_IN_STATUS
    # past the rename row of 13 Nov: the renamed status's older stays are in the archive, the rename too
    assert sheetflow("notes", "archive", book, "--before", "2026-11-14").exit_code == 0
    assert len(used(tmp_path / "studio-notes-archive.xlsx")) == 1 + 11
    result = sheetflow("report", book)
    assert result.exit_code == 0
    assert "time in status read the Notes archive studio-notes-archive.xlsx too" in result.output
    assert time_in_status(book) == before
    assert sheetflow("notes", "archive", book, "--before", "2026-11-24").exit_code == 0  # appended to it
    assert sheetflow("report", book).exit_code == 0
    assert time_in_status(book) == before


def test_running_it_again_moves_nothing(tmp_path, sheetflow):
    book = make(tmp_path)
    assert sheetflow("notes", "archive", book, "--before", "2026-11-10").exit_code == 0
    archive = tmp_path / "studio-notes-archive.xlsx"
    files = digest(book), digest(archive)
    result = sheetflow("notes", "archive", book, "--before", "2026-11-10")
    assert result.exit_code == 0
    assert (
        "studio.xlsx: nothing to move: no notes logged before 2026-11-10 at the top of Notes; 3 rows logged "
        "before it stay, below newer rows"
    ) in result.output
    assert (digest(book), digest(archive)) == files


def test_dry_run_says_what_it_would_move_and_writes_nothing(tmp_path, sheetflow):
    book = make(tmp_path)
    before = digest(book)
    result = sheetflow("notes", "archive", book, "--before", "2026-11-14", "--dry-run")
    assert result.exit_code == 0
    assert (
        "would move 11 notes (logged 2026-11-02 to 2026-11-13; rows 2 to 12) to a new archive "
        "studio-notes-archive.xlsx; 8 stay on Notes; nothing was written (--dry-run)"
    ) in result.output
    assert digest(book) == before and not (tmp_path / "studio-notes-archive.xlsx").exists()
    data = json.loads(sheetflow("notes", "archive", book, "--before", "2026-11-14", "--dry-run", "--json").output)
    assert data["archive"] | {"file": "x"} == {
        "file": "x",
        "before": "2026-11-14",
        "moved": 11,
        "first_row": 2,
        "last_row": 12,
        "kept": 8,
        "stayed": 0,
        "archive_rows": 0,
        "created": True,
        "dry_run": True,
    }


def test_an_archive_that_exists_is_appended_to_keeping_its_rows(tmp_path, sheetflow):
    book = make(tmp_path)
    archive = tmp_path / "older.xlsx"
    assert sheetflow("notes", "archive", book, "--before", "2026-11-10", "--to", archive).exit_code == 0
    result = sheetflow("notes", "archive", book, "--before", "2026-11-17", "--to", archive)
    assert result.exit_code == 0
    assert (
        "moved 7 notes (logged 2026-11-10 to 2026-11-16; rows 2 to 8) to the archive older.xlsx, which now holds "
        "12" in result.output
    )
    # not named as report looks for archives: the studio owner is told what that means
    assert "`sheetflow report` reads archives named studio-notes-archive.xlsx" in result.output
    assert used(archive)[1:] == [[v if v is not None else "" for v in row] for row in HISTORY[:12]]  # in order


def test_dates_are_read_as_the_studio_types_them(tmp_path, sheetflow):
    mdy = [row if row[0] != "Date order" else ["Date order", "MDY"] for row in SETTINGS]
    book = make(tmp_path)
    result = sheetflow("notes", "archive", book, "--before", "10/11/2026", "--dry-run")  # DMY: 10 November
    assert "would move 5 notes" in result.output
    from helpers.report_studio import OWNED, SESSIONS, STATUSES
    from helpers.workbooks import studio

    us = studio(
        tmp_path / "us.xlsx",
        SESSIONS,
        statuses=STATUSES,
        settings=mdy,
        extra={**OWNED, "Notes": [NOTES_HEADER, *HISTORY]},
    )
    assert "would move 5 notes" in sheetflow("notes", "archive", us, "--before", "11/10/2026", "--dry-run").output
    wrong = sheetflow("notes", "archive", book, "--before", "sometime")
    assert wrong.exit_code == 2 and "--before: " in wrong.output and "type it as a date such as" in wrong.output
    future = sheetflow("notes", "archive", book, "--before", "2027-01-01")
    assert future.exit_code == 2 and "--before 2027-01-01 is after today (2026-11-25)" in future.output


def test_rows_copied_by_a_run_that_stopped_are_not_copied_twice(tmp_path, sheetflow):
    book = make(tmp_path)
    assert sheetflow("notes", "archive", book, "--before", "2026-11-10").exit_code == 0
    # as if the run had stopped after the archive was written: the studio's workbook as it was before
    assert sheetflow("restore", book, today=None).exit_code == 0
    assert len(used(book)) == 1 + len(HISTORY)
    result = sheetflow("notes", "archive", book, "--before", "2026-11-10")
    assert result.exit_code == 0
    assert "the rows were already in studio-notes-archive.xlsx" in result.output
    assert len(used(tmp_path / "studio-notes-archive.xlsx")) == 1 + 5
    assert len(used(book)) == 1 + len(HISTORY) - 5 + 1


def test_an_archive_open_in_excel_stops_the_run_and_changes_nothing(tmp_path, sheetflow):
    book = make(tmp_path)
    assert sheetflow("notes", "archive", book, "--before", "2026-11-06").exit_code == 0
    (tmp_path / "~$studio-notes-archive.xlsx").write_bytes(b"owner")
    files = digest(book), digest(tmp_path / "studio-notes-archive.xlsx")
    result = sheetflow("notes", "archive", book, "--before", "2026-11-10")
    assert result.exit_code == 3 and "open in Excel" in result.output
    assert (digest(book), digest(tmp_path / "studio-notes-archive.xlsx")) == files


def test_the_way_out_of_a_full_notes_sheet(tmp_path, sheetflow):
    """Notes at 1,048,575 rows: apply is refused and names the command; the command frees the rows; apply runs."""
    book = put_sheet(
        small_studio(tmp_path / "studio.xlsx"),
        "Notes",
        sheet_xml(notes_rows(LAST - 1, full=True), LAST - 1, NOTES_HEADER),
    )
    refused = sheetflow("apply", book)
    assert refused.exit_code == 2
    suggested = refused.output.split("`sheetflow notes archive studio.xlsx --before ")[1][:10]
    assert suggested == f"{dt.date.today().year}-01-01"  # the notes go back to 2021: this year's first day
    cut = dt.date(2021, 3, 1)
    result = sheetflow("notes", "archive", book, "--before", cut.isoformat())
    assert result.exit_code == 0, result.output
    archived = used(tmp_path / "studio-notes-archive.xlsx")
    moved = len(archived) - 1
    assert f"moved {moved:,} notes (logged 2021-01-04 to 2021-02-28; rows 2 to {moved + 1:,})" in result.output
    assert archived[1][:3] == [pytest.approx(serial(logged_at(2))), 902, "Client 902"]  # as they were: numbers
    assert archived[-1][0] == pytest.approx(serial(logged_at(moved + 1)))
    assert serial(logged_at(moved + 1)) < serial(cut) <= serial(logged_at(moved + 2))  # the first that stayed
    assert sheetflow("apply", book).exit_code == 0
    with zipfile.ZipFile(book) as zf:
        xml = zf.read(pkg.Package.open(zf).sheet("Notes").part)
    last = LAST - 1 - moved + 1 + 2  # what stayed, the archive's own note, the two changes
    assert f'<dimension ref="A1:L{last}"/>'.encode() in xml  # J, and the Reason and Assigned To it gained
    second = xml[xml.index(b'<row r="2" ') :][:120]  # the first note that stayed, moved up to row 2
    assert float(second.split(b"<v>")[1].split(b"</v>")[0]) == pytest.approx(serial(logged_at(moved + 2)))
    assert b"Client 2" in xml[xml.rindex(f'<row r="{last}"'.encode()) :]
