"""Dates checked as a studio would: warnings at the cell for dates that read well but can't be what was meant.

Each is a warning (the run goes on, the dates are used as they are):
- a due date before the date its status was completed: a hand-set Due Date (Manual Due = Yes) before the Status
  Date, a New Due Date before the Date Completed typed beside it;
- a hand-set Due Date or a New Due Date on a day the studio is closed (outside its work week, or on Holidays): it
  counts as due on the next business day (`sessions.flag_for`);
- a Date Completed before the Status Date: the step would end before the session entered its current status.

A due date sheetflow works out is never checked: it is never before its Status Date, and the studio's calendar
made it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .calendar import BusinessCalendar
from .messages import format_date
from .problems import Problem, Severity
from .schema import WEEKDAYS
from .sessions import Session


def date_problems(sessions: Iterable[Session], calendar: BusinessCalendar, date_order: str) -> list[Problem]:
    """Warnings for every session's dates that a studio would not mean, at the cell to correct, with the dates
    written in the Settings date order."""
    found: list[Problem] = []
    for s in sessions:
        manual_due = s.due_date if s.manual_due else None
        if manual_due is None and s.new_due_date is None and s.date_completed is None:
            continue  # most sessions: nothing typed to check (a million rows go by here)
        _check(s, manual_due, calendar, date_order, found)
    return found


def _check(
    s: Session, manual_due: dt.date | None, calendar: BusinessCalendar, order: str, found: list[Problem]
) -> None:
    table = s.row.table

    def name(column: str) -> str:
        return table.aliases.get(column, column)  # the studio's own header

    def warn(column: str, message: str, fix: str) -> None:
        found.append(
            Problem(table.sheet, s.row.cell(column), f"session {s.session_id}: {message}", fix, Severity.WARNING)
        )

    def day(date: dt.date) -> str:  # as `change` says its due date: 21/11/2026 (Sat)
        return f"{format_date(date, order)} ({WEEKDAYS[date.weekday()][:3]})"

    status_date = s.status_date
    if manual_due is not None:
        if status_date is not None and manual_due < status_date:
            warn(
                "Due Date",
                f"{name('Due Date')} {day(manual_due)} is before its {name('Status Date')} {day(status_date)}, "
                "the day it entered its status",
                f"type a due date on or after {format_date(status_date, order)}, or set {name('Manual Due')} to No "
                "to have it worked out from the status's typical duration",
            )
        if not calendar.is_business_day(manual_due):
            warn(
                "Due Date",
                _closed(name("Due Date"), manual_due, calendar, day),
                f"type a day the studio is open, or set {name('Manual Due')} to No to have it worked out again",
            )
    completed = s.date_completed
    if completed is not None and status_date is not None and completed < status_date:
        status = f' "{s.status.description}"' if s.status is not None else ""
        warn(
            "Date Completed",
            f"{name('Date Completed')} {day(completed)} is before its {name('Status Date')} {day(status_date)}, "
            f"the day it entered its current status{status}",
            f"type the day this step was finished (on or after {format_date(status_date, order)}), or correct the "
            f"{name('Status Date')}",
        )
    new_due = s.new_due_date
    if new_due is not None:
        if completed is not None and new_due < completed:
            warn(
                "New Due Date",
                f"{name('New Due Date')} {day(new_due)} is before its {name('Date Completed')} {day(completed)}",
                f"type a due date on or after {format_date(completed, order)}, or clear {name('New Due Date')} to "
                "have it worked out from the new status's typical duration",
            )
        if not calendar.is_business_day(new_due):
            warn(
                "New Due Date",
                _closed(name("New Due Date"), new_due, calendar, day),
                "type a day the studio is open",
            )


def _closed(column: str, due: dt.date, calendar: BusinessCalendar, day) -> str:
    why = "not in the studio's work week" if due.weekday() not in calendar.workdays else "on the Holidays sheet"
    following = calendar.add_business_days(due, 1)
    return (
        f"{column} {day(due)} is a day the studio is closed ({why}), so the session counts as due on the next "
        f"business day, {day(following)}"
    )
