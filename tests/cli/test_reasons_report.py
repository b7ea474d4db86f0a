"""Why sessions moved on, or waited (Spectra's Session Status Results): `sheetflow report` counts, below the time in
status, the Reasons Notes records — each move on under the status it left (its From Status), each hold under the
status it kept the session in — per status in workflow order, the most frequent reason first, with its share."""

from __future__ import annotations

import datetime as dt
import json
import random

import openpyxl
import pytest
from click.testing import CliRunner
from helpers.report_studio import (
    CHANGES,
    LISTS_WITH_REASONS,
    OWNED,
    PAYMENT,
    REASONS_NOTES_HEADER,
    REASONS_TABLE,
    REASONS_TITLE,
    WAITING,
    D,
    held,
    make,
    make_with_reasons,
    moved,
    resumed,
    table,
)
from helpers.workbooks import SETTINGS, STATUS_HEADER, cells, session, studio

from sheetflow.cli.main import main as cli
from sheetflow.core import history as pure
from sheetflow.core import studio as core
from sheetflow.library import report as with_pandas
from sheetflow.workbook.file import WorkbookFile

STATUS_TABLE = "Business days spent in each status (from the Notes history)"
PER_PERSON = "Time in status per person"
TODAY = D(2026, 11, 25)


def reasons(book) -> list[list]:
    return table(cells(book, "Dashboard"), REASONS_TITLE, 9)


def column_j(book) -> list[object]:
    return [row[9] if len(row) > 9 else "" for row in cells(book, "Dashboard")]


def test_report_counts_each_statuses_reasons_the_most_frequent_first(tmp_path, sheetflow):
    book = make_with_reasons(tmp_path)
    result = sheetflow("report", book)
    assert result.exit_code == 0, result.output
    assert reasons(book) == REASONS_TABLE
    j = column_j(book)
    # J30: one blank row below the status table (rows 25-28), then the reasons; one blank row, then per person
    assert j[28:31] == ["", REASONS_TITLE, "Status"]
    assert j[38:40] == ["", PER_PERSON]
    assert "stands out" not in result.output  # no reason is given for more than half of a status's moves and holds


def test_shares_add_up_per_status_and_the_sheet_formats_them_as_percentages(tmp_path, sheetflow):
    book = make_with_reasons(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    shares: dict[str, float] = {}
    for status, _, _, _, _, share, _ in reasons(book)[1:]:
        shares[status] = shares.get(status, 0) + share
    assert shares == {"Session Pending": pytest.approx(1.0), "Image Capture Pending": pytest.approx(1.0)}
    ws = openpyxl.load_workbook(book)["Dashboard"]
    assert ws["O32"].value == 0.3333 and ws["O32"].number_format == "0%_ "
    assert ws["M32"].value == 2 and ws["M32"].number_format == "#,##0_ "


def test_json_carries_every_reason_line(tmp_path, sheetflow):
    book = make_with_reasons(tmp_path)
    data = json.loads(sheetflow("report", book, "--json").output)
    lines = data["dashboard"]["time_in_status"]["reasons"]
    assert lines[0] == {
        "status": "Session Pending",
        "reason": WAITING,
        "moved_on": 2,
        "held": 0,
        "share": 0.3333,
        "cycle": "",
    }
    assert [(r["status"], r["reason"], r["moved_on"], r["held"]) for r in lines] == [
        (row[0], row[1], row[3], row[4]) for row in REASONS_TABLE[1:]
    ]


def test_refresh_keeps_the_reasons_as_the_report_left_them(tmp_path, sheetflow):
    book = make_with_reasons(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    before = [row[9:16] for row in cells(book, "Dashboard")]
    moved_on = sheetflow("change", book, "5", "--to", "Retouch Pending", "--reason", "Waiting on client")
    assert moved_on.exit_code == 0, moved_on.output  # a Notes row refresh won't read
    assert sheetflow("refresh", book, today=D(2026, 11, 26)).exit_code == 0
    grid = cells(book, "Dashboard")
    assert grid[2][0] == D(2026, 11, 26)  # the board moved on
    assert [row[9:16] for row in grid] == before
    assert sheetflow("refresh", book, today=D(2026, 11, 27)).exit_code == 0  # read back and laid out again
    assert [row[9:16] for row in cells(book, "Dashboard")] == before
    assert sheetflow("report", book, today=D(2026, 11, 27)).exit_code == 0  # the next report counts the new move
    assert ["Image Capture Pending", WAITING, 3, 2, 1, 0.5, None] in reasons(book)


def test_a_reason_that_stands_out_gets_a_line_of_its_own(tmp_path, sheetflow):
    """Three of Image Capture Pending's four moves on and holds were waiting on the client: the summary says so."""
    history = [
        moved(1, None, "Session Pending", D(2026, 11, 2), D(2026, 11, 2)),
        moved(1, "Session Pending", "Image Capture Pending", D(2026, 11, 3), D(2026, 11, 5)),
        held(1, "Image Capture Pending", D(2026, 11, 4), D(2026, 11, 5), WAITING),
        resumed(1, "Image Capture Pending", D(2026, 11, 9), D(2026, 11, 10), WAITING),
        moved(1, "Image Capture Pending", "Retouch Pending", D(2026, 11, 10), D(2026, 11, 17), WAITING),
        moved(2, None, "Image Capture Pending", D(2026, 11, 3), D(2026, 11, 5)),
        moved(2, "Image Capture Pending", "Retouch Pending", D(2026, 11, 5), D(2026, 11, 12), WAITING),
        moved(3, None, "Image Capture Pending", D(2026, 11, 3), D(2026, 11, 5)),
        moved(3, "Image Capture Pending", "Retouch Pending", D(2026, 11, 6), D(2026, 11, 13), CHANGES),
    ]
    sessions = [session(session_id=i, status="Retouch Pending", status_date=D(2026, 11, 10)) for i in (1, 2, 3)]
    book = make_with_reasons(tmp_path, history, sessions)
    result = sheetflow("report", book)
    assert result.exit_code == 0, result.output
    assert (
        'reason "Waiting on client" stands out in Image Capture Pending: 3 of its 4 moves on and holds' in result.output
    )
    assert reasons(book)[1:] == [
        ["Image Capture Pending", WAITING, 3, 2, 1, 0.75, None],
        ["Image Capture Pending", CHANGES, 1, 1, 0, 0.25, None],
    ]


def test_notes_without_a_reason_column_give_no_section_and_no_error(tmp_path, sheetflow):
    """The report studio's Notes predate the Reason column: the Dashboard is as it was, per person right below. The
    run adds the column to Notes (as every first run does); with no reason in it yet, the next report shows none."""
    book = make(tmp_path)
    result = sheetflow("report", book, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["dashboard"]["time_in_status"]["reasons"] is None
    first = column_j(book)
    assert REASONS_TITLE not in first
    assert first[29:31] == ["", PER_PERSON]
    assert "Reason" in cells(book, "Notes")[0]
    result = sheetflow("report", book, "--json")
    assert json.loads(result.output)["dashboard"]["time_in_status"]["reasons"] == []
    assert column_j(book) == first


def test_no_reason_recorded_yet_shows_no_empty_table_and_refresh_keeps_it_so(tmp_path, sheetflow):
    history = [
        moved(1, None, "Session Pending", D(2026, 11, 2), D(2026, 11, 2)),
        moved(1, "Session Pending", "Image Capture Pending", D(2026, 11, 4), D(2026, 11, 6)),
        held(1, "Image Capture Pending", D(2026, 11, 5), D(2026, 11, 6)),  # held, but no one said why
    ]
    sessions = [session(session_id=1, status="Image Capture Pending", status_date=D(2026, 11, 4))]
    book = make_with_reasons(tmp_path, history, sessions)
    assert sheetflow("report", book).exit_code == 0
    j = column_j(book)
    assert REASONS_TITLE not in j and PER_PERSON in j
    before = [row[9:16] for row in cells(book, "Dashboard")]
    assert sheetflow("refresh", book).exit_code == 0
    assert [row[9:16] for row in cells(book, "Dashboard")] == before


def test_a_dashboard_from_before_this_section_gets_none_on_refresh(tmp_path, sheetflow):
    """An older report's Dashboard (the time in status and per person, no reasons): refresh invents none."""
    book = make(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    old = [[None if v == "" else v for v in row[:16]] for row in cells(book, "Dashboard")]
    book = studio(
        tmp_path / "studio.xlsx",
        [],
        extra={**OWNED, "Lists": LISTS_WITH_REASONS, "Notes": [REASONS_NOTES_HEADER], "Dashboard": old},
    )
    assert sheetflow("refresh", book).exit_code == 0
    j = column_j(book)
    assert REASONS_TITLE not in j and PER_PERSON in j


def test_statuses_by_type_count_each_cycle_apart_and_name_it(tmp_path, sheetflow):
    settings = [[k, "Yes" if k == "Statuses by type" else v] for k, v in SETTINGS]
    statuses = [
        STATUS_HEADER,
        ["Portrait", "Booked", 10, 1, "Yes", "", "", "Maya", ""],
        ["Portrait", "Done", 20, "", "", "Yes", "", "", ""],
        ["Wedding", "Booked", 10, 1, "Yes", "", "", "Jon", ""],
        ["Wedding", "Done", 20, "", "", "Yes", "", "", ""],
    ]
    history = [
        moved(1, None, "Booked", D(2026, 11, 2), D(2026, 11, 3)),
        moved(1, "Booked", "Done", D(2026, 11, 4), None, PAYMENT),
        moved(2, None, "Booked", D(2026, 11, 2), D(2026, 11, 3)),
        held(2, "Booked", D(2026, 11, 3), D(2026, 11, 3), WAITING),
        moved(2, "Booked", "Done", D(2026, 11, 5), None, WAITING),
    ]
    sessions = [
        session(session_id=1, session_type="Portrait", status="Done"),
        session(session_id=2, session_type="Wedding", status="Done"),
    ]
    book = make_with_reasons(tmp_path, history, sessions, statuses=statuses, settings=settings)
    result = sheetflow("report", book)
    assert result.exit_code == 0, result.output
    assert reasons(book) == [
        ["Status", "Reason", "Times Given", "Moved On", "Held", "Share", "Cycle"],
        ["Booked", PAYMENT, 1, 1, 0, 1.0, "Portrait"],
        ["Booked", WAITING, 2, 1, 1, 1.0, "Wedding"],
    ]
    assert 'reason "Waiting on client" stands out in Booked, Wedding cycle: 2 of its 2 moves on and holds' in (
        result.output
    )


def test_the_sample_studio_shows_why_its_sessions_moved_on(tmp_path):
    """`sheetflow new --sample` opens with the whole Dashboard, reasons included, and prints one page wide."""
    book = tmp_path / "studio.xlsx"
    runner = CliRunner()
    created = runner.invoke(cli, ["new", str(book), "--sample", "--today", "2026-11-25"])
    assert created.exit_code == 0, created.output
    assert 'reason "Client asked for changes" stands out in P-Sales Presentation Pending, Portrait cycle' in (
        created.output
    )
    assert ["P-Sales Presentation Pending", CHANGES, 2, 2, 0, 1.0, "Portrait"] in reasons(book)
    assert ["P-Image Capture Pending", "(no reason given)", 3, 3, 0, 0.75, "Portrait"] in reasons(book)
    ws = openpyxl.load_workbook(book)["Dashboard"]
    assert ws.max_column <= 16  # nothing right of P
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.fitToWidth or 1) == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage


# --- the pandas report and the pure core (the Dashboard button, xlwings Lite) ------------------------------------


def both(book, today: dt.date = TODAY):
    """The time in status as report.py (pandas) and core/history.py (pure Python) work it out from one reading."""
    tables = WorkbookFile(book).read(whole=("Notes",))
    notes = tables["Notes"]
    notes.rows = list(notes.rows)  # read once, gone through twice
    loaded = core.load_studio(tables)
    return with_pandas.time_in_status(loaded, notes, today), pure.time_in_status(loaded, notes, today)


def test_pandas_and_the_pure_core_give_the_same_reasons(tmp_path):
    by_pandas, by_core = both(make_with_reasons(tmp_path))
    assert by_core.reasons is not None and len(by_core.reasons) == len(REASONS_TABLE) - 1
    assert by_pandas.reasons == by_core.reasons
    assert by_pandas == by_core


def test_they_agree_on_a_long_history_of_moves_holds_and_resumes(tmp_path):
    """Two thousand Notes rows: reasons in any case, blanks, holds and resumes, a rename, a deleted status and a
    session no longer on the sheet — the same lines, in the same order, on both paths."""
    pick = random.Random(61)
    steps = ["Session Pending", "Image Capture", "Retouch Pending", "Old Step", "Gone Status", "Order Delivered"]
    why = [WAITING, "waiting ON client", PAYMENT, CHANGES, "Rescheduled", None, "", None]
    rows, day = [], D(2026, 1, 5)
    where: dict[int, str] = {}
    for n in range(2000):
        sid = pick.randint(1, 60)
        day += dt.timedelta(days=pick.random() < 0.3)
        due = day + dt.timedelta(days=pick.randint(0, 4))
        now = where.get(sid)
        roll = pick.random()
        if now and roll < 0.15:
            rows.append((held if roll < 0.1 else resumed)(sid, now, day, due, pick.choice(why)))
            continue
        where[sid] = pick.choice(steps)
        rows.append(moved(sid, now, where[sid], day, due, pick.choice(why)))
        if n == 1200:
            rows.append(
                [dt.datetime.combine(day, dt.time(11)), None, None, None, None, None, None, "Maya", "batch"]
                + ['status renamed from "Image Capture" to "Image Capture Pending"', None, None]
            )
            where = {s: "Image Capture Pending" if w == "Image Capture" else w for s, w in where.items()}
    sessions = [session(session_id=i, client=f"Client {i}", status="Session Pending") for i in range(1, 55)]
    by_pandas, by_core = both(make_with_reasons(tmp_path, rows, sessions), today=D(2026, 12, 1))
    assert by_core.reasons is not None and len(by_core.reasons) > 15
    assert {line.reason for line in by_core.reasons} >= {WAITING, "(no reason given)", "Rescheduled"}
    assert not any(line.reason == "waiting ON client" for line in by_core.reasons)  # spelt as Lists has it
    assert by_pandas.reasons == by_core.reasons
    assert by_pandas == by_core
