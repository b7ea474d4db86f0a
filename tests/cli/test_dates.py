"""Dates checked as a studio would (issue 15): warnings at the cell for dates that can't be what was meant, Flag
and Days Overdue on the studio's calendar when the due day or today is closed, and Logged At on the --today."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.workbooks import SETTINGS, records, session, studio

TUE_24, WED_25, THU_26, FRI_27, SAT_28 = (dt.date(2026, 11, d) for d in (24, 25, 26, 27, 28))
SUN_29, MON_30, TUE_1, WED_2 = dt.date(2026, 11, 29), dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 2)
HOLIDAYS = [[THU_26, "Thanksgiving"]]


def settings(order: str = "DMY") -> list[list[object]]:
    """A Tue–Sat studio: Sunday and Monday closed."""
    week = {"Monday": "No", "Saturday": "Yes"}
    return [[k, week.get(k, order if k == "Date order" else v)] for k, v in SETTINGS]


def tue_sat(path, sessions, order: str = "DMY", holidays=HOLIDAYS):
    return studio(path, sessions, settings=settings(order), holidays=holidays)


def by_id(book):
    return {int(r["Session ID"]): r for r in records(book, "Sessions")}


def problems(book) -> dict[str, tuple[str, str, str]]:
    return {r["Where"]: (r["Severity"], r["Problem"], r["How to fix"]) for r in records(book, "Problems")}


# --- Flag and Days Overdue on closed days ---------------------------------------------------------------------


def flags(sheetflow, tmp_path, today, sessions, holidays=HOLIDAYS):
    """Each session's (Flag, Days Overdue) after a refresh on `today`."""
    book = tue_sat(tmp_path / f"s-{today}.xlsx", sessions, holidays=holidays)
    result = sheetflow("refresh", book, today=today)
    assert result.exit_code == 0, result.output
    return {i: (r["Flag"], r["Days Overdue"]) for i, r in by_id(book).items()}


DUE_SATURDAY = session(session_id=1, status="Session Pending", status_date=SAT_28)  # duration 0: due Sat 28
DUE_CLOSED_MONDAY = session(
    session_id=2, status="Image Capture Pending", status_date=TUE_24, due_date=MON_30, manual_due="Yes"
)
DUE_ON_THE_HOLIDAY = session(
    session_id=3, status="Image Capture Pending", status_date=TUE_24, due_date=THU_26, manual_due="Yes"
)


@pytest.mark.parametrize(
    ("today", "saturday", "closed_monday", "holiday"),
    [
        (THU_26, ("Due soon", None), (None, None), ("Due soon", None)),  # run on the holiday it is due on
        (FRI_27, ("Due soon", None), ("Due soon", None), ("Due soon", None)),  # the holiday: as due on Friday
        (SAT_28, ("Due soon", None), ("Due soon", None), ("Overdue", 1)),
        (SUN_29, ("Due soon", None), ("Due soon", None), ("Overdue", 1)),  # run on a closed day
        (MON_30, ("Due soon", None), ("Due soon", None), ("Overdue", 1)),  # was "Overdue" with 0
        (TUE_1, ("Overdue", 1), ("Due soon", None), ("Overdue", 2)),  # the first business day after
        (WED_2, ("Overdue", 2), ("Overdue", 1), ("Overdue", 3)),
    ],
)
def test_flag_and_days_overdue_follow_the_studio_calendar(sheetflow, tmp_path, today, saturday, closed_monday, holiday):
    """Due on a closed day counts as due on the next business day; Overdue from the first business day after
    that, with Days Overdue counting business days (never Overdue with 0)."""
    got = flags(sheetflow, tmp_path, today, [DUE_SATURDAY, DUE_CLOSED_MONDAY, DUE_ON_THE_HOLIDAY])
    assert got == {1: saturday, 2: closed_monday, 3: holiday}


def test_a_holiday_on_the_first_business_day_after_keeps_it_due_soon(sheetflow, tmp_path):
    holidays = [*HOLIDAYS, [TUE_1, "Closed for stocktaking"]]
    assert flags(sheetflow, tmp_path, TUE_1, [DUE_SATURDAY], holidays=holidays) == {1: ("Due soon", None)}
    assert flags(sheetflow, tmp_path, WED_2, [DUE_SATURDAY], holidays=holidays) == {1: ("Overdue", 1)}


def test_a_change_on_a_closed_day_flags_as_refresh_does(tmp_path, sheetflow):
    book = tue_sat(tmp_path / "s.xlsx", [session(session_id=1, status="Image Capture Pending", status_date=TUE_24)])
    result = sheetflow("change", book, "1", "--to", "Session Pending", "--date", "2026-11-28", today=MON_30)
    assert result.exit_code == 0, result.output
    row = by_id(book)[1]
    assert (row["Due Date"], row["Flag"], row["Days Overdue"]) == (dt.datetime(2026, 11, 28), "Due soon", None)


def test_the_dashboard_counts_what_the_flags_say(tmp_path, sheetflow):
    book = tue_sat(tmp_path / "s.xlsx", [DUE_SATURDAY, DUE_CLOSED_MONDAY])
    result = sheetflow("refresh", book, today=MON_30)
    assert "0 overdue, 2 due soon" in result.output


# --- warnings at the cell ---------------------------------------------------------------------------------------


def test_a_due_date_before_the_date_completed_is_a_warning(tmp_path, sheetflow):
    book = tue_sat(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, status="Retouch Pending", status_date=FRI_27, due_date=WED_25, manual_due="Yes"),
            session(
                session_id=2,
                status="Session Pending",
                status_date=TUE_24,
                change_to="next",
                date_completed=FRI_27,
                new_due_date=WED_25,
            ),
        ],
    )
    result = sheetflow("validate", book)
    assert result.exit_code == 0, result.output  # warnings only: the run goes on
    found = problems(book)
    assert found["Sessions!I2"] == (
        "warning",
        "session 1: Due Date 25/11/2026 (Wed) is before its Status Date 27/11/2026 (Fri), the day it entered "
        "its status",
        "type a due date on or after 27/11/2026, or set Manual Due to No to have it worked out from the status's "
        "typical duration",
    )
    assert found["Sessions!Q3"][:2] == (
        "warning",
        "session 2: New Due Date 25/11/2026 (Wed) is before its Date Completed 27/11/2026 (Fri)",
    )
    assert "Sessions!I2: warning: session 1: Due Date 25/11/2026 (Wed) is before" in result.output


def test_the_dates_are_named_in_the_settings_date_order(tmp_path, sheetflow):
    book = tue_sat(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Retouch Pending", status_date=FRI_27, due_date=WED_25, manual_due="Yes")],
        order="MDY",
    )
    sheetflow("refresh", book)
    severity, message, fix = problems(book)["Sessions!I2"]
    assert "Due Date 11/25/2026 (Wed) is before its Status Date 11/27/2026 (Fri)" in message
    assert "on or after 11/27/2026" in fix


def test_a_due_date_on_a_closed_day_is_a_warning(tmp_path, sheetflow):
    book = tue_sat(
        tmp_path / "s.xlsx",
        [
            DUE_CLOSED_MONDAY,
            DUE_ON_THE_HOLIDAY,
            session(session_id=4, status="Session Pending", status_date=TUE_24, change_to="next", new_due_date=SUN_29),
            session(
                session_id=5, status="Image Capture Pending", status_date=TUE_24, due_date=FRI_27, manual_due="Yes"
            ),
        ],
    )
    result = sheetflow("refresh", book, today=TUE_24)
    assert result.exit_code == 0, result.output
    found = problems(book)
    assert found["Sessions!I2"] == (
        "warning",
        "session 2: Due Date 30/11/2026 (Mon) is a day the studio is closed (not in the studio's work week), so "
        "the session counts as due on the next business day, 01/12/2026 (Tue)",
        "type a day the studio is open, or set Manual Due to No to have it worked out again",
    )
    assert found["Sessions!I3"][1] == (
        "session 3: Due Date 26/11/2026 (Thu) is a day the studio is closed (on the Holidays sheet), so the "
        "session counts as due on the next business day, 27/11/2026 (Fri)"
    )
    assert found["Sessions!Q4"][:2] == (
        "warning",
        "session 4: New Due Date 29/11/2026 (Sun) is a day the studio is closed (not in the studio's work week), "
        "so the session counts as due on the next business day, 01/12/2026 (Tue)",
    )
    assert "Sessions!I5" not in found  # a business day
    assert by_id(book)[2]["Due Date"] == dt.datetime(2026, 11, 30)  # warned, kept as typed


def test_a_worked_out_due_date_is_not_checked(tmp_path, sheetflow):
    """A 0-day status entered on a closed day is due that day by WORKDAY.INTL; sheetflow made it, so no warning."""
    book = tue_sat(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", status_date=SUN_29)])
    sheetflow("refresh", book, today=SUN_29)
    sheetflow("validate", book, today=SUN_29)
    assert not problems(book)


def test_a_completion_before_the_current_status_date_is_a_warning(tmp_path, sheetflow):
    book = tue_sat(
        tmp_path / "s.xlsx",
        [
            session(
                session_id=1,
                status="Image Capture Pending",
                status_date=FRI_27,
                change_to="next",
                date_completed=WED_25,
            ),
            session(
                session_id=2,
                status="Image Capture Pending",
                status_date=FRI_27,
                change_to="next",
                date_completed=SAT_28,
            ),
        ],
    )
    result = sheetflow("validate", book, today=SAT_28)
    assert result.exit_code == 0, result.output
    found = problems(book)
    assert found == {
        "Sessions!P2": (
            "warning",
            "session 1: Date Completed 25/11/2026 (Wed) is before its Status Date 27/11/2026 (Fri), the day it "
            'entered its current status "Image Capture Pending"',
            "type the day this step was finished (on or after 27/11/2026), or correct the Status Date",
        )
    }


def test_the_warning_goes_once_the_date_is_corrected(tmp_path, sheetflow):
    bad = session(session_id=1, status="Retouch Pending", status_date=FRI_27, due_date=WED_25, manual_due="Yes")
    book = tue_sat(tmp_path / "s.xlsx", [bad])
    sheetflow("refresh", book)
    assert "Sessions!I2" in problems(book)
    book = tue_sat(tmp_path / "t.xlsx", [session(**{**_fields(bad), "manual_due": "No"})])
    sheetflow("refresh", book)
    assert "Sessions!I2" not in problems(book)
    assert by_id(book)[1]["Due Date"] == dt.datetime(2026, 12, 4)  # worked out again: 5 business days after Fri 27


def _fields(row: list[object]) -> dict[str, object]:
    from helpers.workbooks import SESSION_HEADER

    return {name.lower().replace(" ", "_"): value for name, value in zip(SESSION_HEADER, row, strict=True)}


# --- Logged At --------------------------------------------------------------------------------------------------


def _near_now(moment: dt.datetime) -> bool:
    """The time of day is the clock's (a run takes seconds; around midnight the clock may have wrapped)."""
    clock = dt.datetime.now()
    gap = abs(dt.datetime.combine(clock.date(), moment.time()) - clock).total_seconds()
    return min(gap, 86400 - gap) < 120


@pytest.mark.parametrize("command", ["change", "apply"])
def test_logged_at_is_the_today_given_at_the_time_of_day(tmp_path, sheetflow, command):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", change_to="next")])
    args = ("change", book, "1") if command == "change" else ("apply", book)
    assert sheetflow(*args, today=dt.date(2025, 3, 14)).exit_code == 0
    (note,) = records(book, "Notes")
    assert isinstance(note["Logged At"], dt.datetime)
    assert note["Logged At"].date() == dt.date(2025, 3, 14)
    assert _near_now(note["Logged At"])


def test_logged_at_without_today_is_the_clock(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending")])
    assert sheetflow("change", book, "1", today=None).exit_code == 0
    (note,) = records(book, "Notes")
    assert abs(note["Logged At"] - dt.datetime.now()) < dt.timedelta(minutes=2)
