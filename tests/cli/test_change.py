"""`sheetflow change`: the Status Change window's defaults and effects (SPEC §4)."""

from __future__ import annotations

import datetime as dt
import getpass

import openpyxl
from conftest import TODAY
from helpers.workbooks import SETTINGS, STATUSES, cells, records, session, studio

MON_16, FRI_20, MON_23 = dt.date(2026, 11, 16), dt.date(2026, 11, 20), dt.date(2026, 11, 23)


def sessions_by_id(path):
    return {int(r["Session ID"]): r for r in records(path, "Sessions")}


def test_change_moves_to_the_next_status_with_due_date_from_its_typical_duration(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx", [session(session_id=1, client="Ann", status="Session Pending", status_date=MON_16)]
    )
    result = sheetflow("change", book, "1")
    assert result.exit_code == 0, result.output
    row = sessions_by_id(book)[1]
    assert row["Status"] == "Image Capture Pending"
    assert row["Status Date"] == dt.datetime(2026, 11, 25)  # date completed defaults to today
    assert row["Due Date"] == dt.datetime(2026, 11, 27)  # 2 business days after Wednesday
    assert row["Manual Due"] == "No"
    assert row["Assigned To"] == "Jon"  # the new status's default user
    assert row["Updated By"] == "Maya"  # Current user in Settings
    assert row["Flag"] == "Due soon"


def test_change_writes_real_dates_with_a_date_format(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", status_date=MON_16)])
    sheetflow("change", book, "1")
    ws = openpyxl.load_workbook(book)["Sessions"]
    assert ws["H2"].is_date and ws["I2"].is_date
    notes = openpyxl.load_workbook(book)["Notes"]
    assert notes["A2"].is_date and notes["F2"].is_date


def test_change_skips_inactive_statuses(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Retouch Pending", status_date=MON_16)])
    sheetflow("change", book, "1")
    assert sessions_by_id(book)[1]["Status"] == "Order Delivered"  # "Old Step" (35) is inactive


def test_blank_status_moves_to_the_initial_status(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, client="New")])
    assert sheetflow("change", book, "1").exit_code == 0
    row = sessions_by_id(book)[1]
    assert row["Status"] == "Session Pending"
    assert row["Due Date"] == dt.datetime(2026, 11, 25)  # typical duration 0: due the day it starts


def test_the_final_status_needs_an_explicit_target(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Order Delivered", status_date=MON_16)])
    result = sheetflow("change", book, "1")
    assert result.exit_code == 1
    assert "already at its final status" in result.output
    assert sessions_by_id(book)[1]["Status"] == "Order Delivered"
    assert records(book, "Notes") == []
    problems = records(book, "Problems")
    assert problems[0]["Where"].startswith("Sessions!")

    result = sheetflow("change", book, "1", "--to", "retouch pending")
    assert result.exit_code == 0
    assert sessions_by_id(book)[1]["Status"] == "Retouch Pending"


def test_explicit_backwards_move_is_allowed_and_logged(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx", [session(session_id=7, client="Bo", status="Retouch Pending", status_date=MON_16)]
    )
    assert sheetflow("change", book, "7", "--to", "  SESSION   pending ", "--note", "reshoot").exit_code == 0
    note = records(book, "Notes")[0]
    assert (note["From Status"], note["To Status"], note["Source"], note["Note"]) == (
        "Retouch Pending",
        "Session Pending",
        "cli",
        "reshoot",
    )
    assert note["Session ID"] == 7 and note["Client"] == "Bo"


def test_hand_set_due_date_is_kept_as_manual(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", status_date=MON_16)])
    assert sheetflow("change", book, "1", "--due", "15/12/2026", "--date", "24/11/2026").exit_code == 0
    row = sessions_by_id(book)[1]
    assert row["Due Date"] == dt.datetime(2026, 12, 15)
    assert row["Status Date"] == dt.datetime(2026, 11, 24)
    assert row["Manual Due"] == "Yes"
    sheetflow("refresh", book)
    assert sessions_by_id(book)[1]["Due Date"] == dt.datetime(2026, 12, 15)  # refresh leaves it alone


def test_due_date_skips_holidays(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", status_date=MON_16)],
        holidays=[[dt.date(2026, 11, 26), "Thanksgiving"], [dt.date(2026, 11, 27), "Day after"]],
    )
    sheetflow("change", book, "1")  # today Wed 25th + 2 business days, Thu/Fri off -> Tue Dec 1st
    assert sessions_by_id(book)[1]["Due Date"] == dt.datetime(2026, 12, 1)


def test_updated_by_defaults_to_the_operating_system_user_without_a_current_user(tmp_path, sheetflow):
    settings = [row for row in SETTINGS if row[0] != "Current user"]
    book = studio(
        tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", status_date=MON_16)], settings=settings
    )
    sheetflow("change", book, "1")
    assert sessions_by_id(book)[1]["Updated By"] == getpass.getuser()
    sheetflow("change", book, "1", "--by", "Priya")
    assert sessions_by_id(book)[1]["Updated By"] == "Priya"


def test_unknown_session_is_a_usage_error_and_nothing_is_written(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending")])
    before = book.read_bytes()
    result = sheetflow("change", book, "999")
    assert result.exit_code == 2
    assert 'no session "999"' in result.output
    assert book.read_bytes() == before


def test_unknown_or_inactive_target_is_rejected_at_its_cell(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending")])
    result = sheetflow("change", book, "1", "--to", "Nope")
    assert result.exit_code == 1 and '"Nope" is not a status' in result.output
    result = sheetflow("change", book, "1", "--to", "Old Step")
    assert result.exit_code == 1 and "inactive" in result.output
    assert records(book, "Notes") == []


def test_a_status_without_typical_duration_has_no_due_date(tmp_path, sheetflow):
    statuses = [r[:] for r in STATUSES]
    statuses[2][3] = ""  # Image Capture Pending: blank duration
    book = studio(
        tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", due_date=MON_23)], statuses=statuses
    )
    sheetflow("change", book, "1")
    row = sessions_by_id(book)[1]
    assert row["Due Date"] is None and row["Flag"] is None


def test_change_only_touches_its_own_row(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, status="Session Pending", status_date=FRI_20),
            session(session_id=2, client="Other", status="Bogus", change_to="next"),
        ],
    )
    before = cells(book, "Sessions")[2]
    sheetflow("change", book, "1")
    after = cells(book, "Sessions")[2]  # the sheet is wider now: Reason, Held Since and Hold Reason were added
    assert after[: len(before)] == before and not any(after[len(before) :])
    assert TODAY.isoformat() in str(records(book, "Notes")[0]["Date Completed"])
