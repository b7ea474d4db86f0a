"""`sheetflow refresh`: due dates from current definitions, Flag and Days Overdue (SPEC §3, §5)."""

from __future__ import annotations

import datetime as dt

import python_calamine
from helpers.workbooks import STATUSES, records, session, studio

WED_18, FRI_20, MON_23 = dt.date(2026, 11, 18), dt.date(2026, 11, 20), dt.date(2026, 11, 23)


def by_id(book):
    return {int(r["Session ID"]): r for r in records(book, "Sessions")}


def test_flags_and_days_overdue(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, status="Image Capture Pending", status_date=WED_18),  # due Fri 20: 3 days over
            session(session_id=2, status="Image Capture Pending", status_date=MON_23),  # due Wed 25 (today): due soon
            session(session_id=3, status="Retouch Pending", status_date=dt.date(2026, 11, 20)),  # due Fri 27: due soon
            session(session_id=4, status="Retouch Pending", status_date=MON_23),  # due Mon 30: beyond 2 days
            session(session_id=5, status="Order Delivered", status_date=WED_18, due_date=FRI_20, manual_due="Yes"),
            session(session_id=6, status="Session Pending", status_date=dt.date(2026, 11, 24)),  # due yesterday
        ],
    )
    result = sheetflow("refresh", book)
    assert result.exit_code == 0, result.output
    assert "2 overdue, 2 due soon" in result.output
    rows = by_id(book)
    assert (rows[1]["Due Date"], rows[1]["Flag"], rows[1]["Days Overdue"]) == (dt.datetime(2026, 11, 20), "Overdue", 3)
    assert (rows[2]["Flag"], rows[2]["Days Overdue"]) == ("Due soon", None)
    assert rows[3]["Flag"] == "Due soon"
    assert rows[4]["Flag"] is None and rows[4]["Due Date"] == dt.datetime(2026, 11, 30)
    assert rows[5]["Flag"] is None  # the final status is never overdue
    assert (rows[6]["Flag"], rows[6]["Days Overdue"]) == ("Overdue", 1)


def test_refresh_reflects_a_changed_duration_and_a_new_holiday(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Retouch Pending", status_date=MON_23)])
    sheetflow("refresh", book)
    assert by_id(book)[1]["Due Date"] == dt.datetime(2026, 11, 30)

    statuses = [r[:] for r in STATUSES]
    statuses[3][3] = 1  # Retouch now takes one day
    book = studio(
        tmp_path / "t.xlsx",
        [session(session_id=1, status="Retouch Pending", status_date=MON_23, due_date=dt.date(2026, 11, 30))],
        statuses=statuses,
        holidays=[[dt.date(2026, 11, 24), "Closed"]],
    )
    sheetflow("refresh", book)
    assert by_id(book)[1]["Due Date"] == dt.datetime(2026, 11, 25)  # Tue 24 is a holiday


def test_refresh_writes_canonical_status_names(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="  retouch   PENDING ", status_date=MON_23)])
    sheetflow("refresh", book)
    assert by_id(book)[1]["Status"] == "Retouch Pending"


def test_refresh_with_nothing_to_change_writes_no_session_cells(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Retouch Pending", status_date=MON_23)])
    sheetflow("refresh", book)
    first = by_id(book)
    sheetflow("refresh", book)
    assert by_id(book) == first


def test_a_weekend_work_week_counts_saturdays(tmp_path, sheetflow):
    from helpers.workbooks import SETTINGS

    settings = [[k, "Yes" if k == "Saturday" else v] for k, v in SETTINGS]
    book = studio(
        tmp_path / "s.xlsx", [session(session_id=1, status="Retouch Pending", status_date=MON_23)], settings=settings
    )
    sheetflow("refresh", book)
    assert by_id(book)[1]["Due Date"] == dt.datetime(2026, 11, 28)  # Tue..Sat are 5 business days


def test_refresh_never_reads_the_notes_sheet(tmp_path, sheetflow, monkeypatch):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", change_to="next")])
    sheetflow("apply", book)
    read: list[str] = []
    original = python_calamine.CalamineWorkbook.get_sheet_by_name

    def spy(self, name):
        read.append(name)
        return original(self, name)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "get_sheet_by_name", spy)
    sheetflow("refresh", book)
    assert "Sessions" in read and "Notes" not in read


def test_unreadable_cells_are_reported_and_the_rest_is_refreshed(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, status="Retouch Pending", status_date="not a date"),
            session(session_id=2, status="Retouch Pending", status_date=MON_23),
        ],
    )
    result = sheetflow("refresh", book)
    assert result.exit_code == 1
    assert "Sessions!H2: error: Status Date:" in result.output
    rows = by_id(book)
    assert rows[1]["Status Date"] == "not a date"  # left for the user to fix
    assert rows[2]["Due Date"] == dt.datetime(2026, 11, 30)
