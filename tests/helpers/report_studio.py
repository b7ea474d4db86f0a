"""The studio of the time-in-status tests: a Notes history with renames and a holiday, and the figures it must
give (the report test, the Notes archive test and the Dashboard button compare against them)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from helpers.workbooks import STATUS_HEADER, session, studio
from sheetflow.core.schema import OUTBOX, PROBLEMS, TASKS

D = dt.date
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
HOLIDAY = D(2026, 11, 11)  # a Wednesday: never a business day, so stays across it are a day shorter
RENAME_NOTE = 'status renamed from "Image Capture" to "Image Capture Pending"'


def note(sid, to, day, due, frm=""):
    return [dt.datetime.combine(day, dt.time(10)), sid, f"Client {sid}", frm or None, to, day, due, "Maya", "cli", None]


# Oldest first, as Notes is appended. Before the rename, "Image Capture Pending" was called "Image Capture".
# Session 9 is no longer on the Sessions sheet; "Gone Status" was deleted from Statuses.
HISTORY = [
    note(1, "Session Pending", D(2026, 11, 2), D(2026, 11, 2)),
    note(1, "Image Capture", D(2026, 11, 4), D(2026, 11, 6)),
    note(2, "Session Pending", D(2026, 11, 5), D(2026, 11, 5)),
    note(1, "Retouch Pending", D(2026, 11, 6), D(2026, 11, 16)),
    note(6, "Session Pending", D(2026, 11, 9), D(2026, 11, 9)),
    note(1, "Order Delivered", D(2026, 11, 10), None),
    note(2, "Image Capture", D(2026, 11, 12), D(2026, 11, 16)),
    note(9, "Session Pending", D(2026, 11, 2), D(2026, 11, 2)),
    note(9, "Old Step", D(2026, 11, 3), D(2026, 11, 4)),
    note(9, "Gone Status", D(2026, 11, 5), None),
    [
        dt.datetime(2026, 11, 13, 9),
        None,
        None,
        "Image Capture",
        "Image Capture Pending",
        None,
        None,
        "Maya",
        "batch",
        RENAME_NOTE,
    ],
    note(2, "Retouch Pending", D(2026, 11, 16), D(2026, 11, 23)),
    note(6, "Image Capture Pending", D(2026, 11, 18), D(2026, 11, 20)),
    note(3, "Session Pending", D(2026, 11, 19), D(2026, 11, 19)),
    note(5, "Session Pending", D(2026, 11, 20), D(2026, 11, 20)),
    note(5, "Image Capture Pending", D(2026, 11, 20), D(2026, 11, 24)),
    note(3, "Image Capture Pending", D(2026, 11, 23), D(2026, 11, 25)),
    note(5, "Retouch Pending", D(2026, 11, 24), D(2026, 12, 1)),
    note(4, "Session Pending", D(2026, 11, 25), D(2026, 11, 25)),
]
# Each stay, by hand: business days d with entered < d <= left (Mon-Fri, 11 Nov a holiday); late = left after due.
#   Session Pending: s1 2-Nov→4-Nov 2 late · s2 5→12 4 late · s9 2→3 1 late · s6 9→18 6 late · s5 20→20 0 on time
#                    · s3 19→23 2 late                        → days 0 1 2 2 4 6: median 2.0, p90 5.0, late 5/6
#   Image Capture Pending (renamed): s1 4→6 2 · s2 12→16 2 · s5 20→24 2, none late → 2.0, 2.0, 0%
#   Retouch Pending: s1 6→10 2 on time                       → 1 stay, 2.0, 2.0, 0%
#   Old Step (inactive, kept for its stay): s9 3→5 2 late    → 1 stay, 2.0, 2.0, 100%
#   Still in their status (s2…s6 now, s9 in the deleted one): not passed through.
SESSIONS = [
    session(session_id=1, client="Client 1", status="Order Delivered", status_date=D(2026, 11, 10)),
    session(
        session_id=2, client="Client 2", status="Retouch Pending", status_date=D(2026, 11, 16), assigned_to="Priya"
    ),  # due Mon 23: 2 days overdue
    session(session_id=3, client="Client 3", status="Image Capture Pending", status_date=D(2026, 11, 23)),  # due 25
    session(session_id=4, client="Client 4", status="Session Pending", status_date=D(2026, 11, 25)),  # due today
    session(session_id=5, client="Client 5", status="Retouch Pending", status_date=D(2026, 11, 24)),  # due Dec 1
    session(
        session_id=6, client="Client 6", status="Image Capture Pending", status_date=D(2026, 11, 18), assigned_to="Jon"
    ),  # due Fri 20: 3 days overdue
]
STATUSES = [
    STATUS_HEADER,
    ["", "Session Pending", 10, 0, "Yes", "", "Booking", "Maya", ""],
    ["", "Image Capture Pending", 20, 2, "", "", "Capture", "Jon", ""],
    ["", "Retouch Pending", 30, 5, "", "", "Editing", "Priya", ""],
    ["", "Old Step", 35, 1, "", "", "Editing", "", "Yes"],
    ["", "Order Delivered", 40, "", "", "Yes", "Delivery", "Maya", ""],
]
OWNED = {
    "Notes": [NOTES_HEADER, *HISTORY],
    "Tasks": [list(TASKS.columns)],
    "Outbox": [list(OUTBOX.columns)],
    "Problems": [list(PROBLEMS.columns)],
    "Dashboard": [["Dashboard"]],
}


def make(tmp_path: Path, history=HISTORY, notes_header=NOTES_HEADER) -> Path:
    return studio(
        tmp_path / "studio.xlsx",
        SESSIONS,
        statuses=STATUSES,
        holidays=[[HOLIDAY, "Closed"]],
        extra={**OWNED, "Notes": [notes_header, *history]},
        tables=("Notes",),
    )


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def table(grid: list[list], title: str, first_col: int = 0, width: int = 7) -> list[list]:
    """The rows of the Dashboard table under `title` (its header first), up to the first blank row, `width` wide."""
    start = next(i for i, row in enumerate(grid) if len(row) > first_col and row[first_col] == title) + 1
    rows = []
    for row in grid[start:]:
        if len(row) <= first_col or row[first_col] == "":
            break
        found = [None if v == "" else v for v in row[first_col : first_col + width]]
        rows.append(found + [None] * (width - len(found)))
    return rows


BOARD_STAGES = [
    ["Stage", "On track", "Due soon", "Overdue", "On hold", "Completed", "Sessions"],
    ["Booking", 0, 1, 0, 0, 0, 1],
    ["Capture", 0, 1, 1, 0, 0, 2],
    ["Editing", 1, 0, 1, 0, 0, 2],
    ["Delivery", 0, 0, 0, 0, 1, 1],
]
BOARD_STATUSES = [  # open statuses first (the inactive one with no session is left out), then the final one
    ["Status", "On track", "Due soon", "Overdue", "On hold", "Completed", "Sessions", "Stage"],
    ["Session Pending", 0, 1, 0, 0, None, 1, "Booking"],
    ["Image Capture Pending", 0, 1, 1, 0, None, 2, "Capture"],
    ["Retouch Pending", 1, 0, 1, 0, None, 2, "Editing"],
    ["Order Delivered", None, None, None, None, 1, 1, "Delivery"],
]
BOARD_WIDTH = 8  # the board's columns, A:H
OVERDUE = [
    ["Client", "Days Overdue", "Due Date", "Session ID", "Assigned To", "Status", None],
    ["Client 6", 3, D(2026, 11, 20), 6, "Jon", "Image Capture Pending", None],
    ["Client 2", 2, D(2026, 11, 23), 2, "Priya", "Retouch Pending", None],
]
TIME_IN_STATUS = [
    ["Status", "Typical Duration", "Median Days", "90th Percentile", "Passed Through", "Left Late", None],
    ["Session Pending", 0, 2.0, 5.0, 6, 0.8333, None],
    ["Image Capture Pending", 2, 2.0, 2.0, 3, 0.0, None],
    ["Retouch Pending", 5, 2.0, 2.0, 1, 0.0, None],
    ["Old Step", 1, 2.0, 2.0, 1, 1.0, None],
]


# --- the reasons sessions moved on or waited (Notes' Reason column) --------------------------------------------------

REASONS_NOTES_HEADER = NOTES_HEADER + ["Reason", "Assigned To"]
REASONS_LIST = ["Waiting on client", "Waiting on payment", "Client asked for changes", "Reshoot needed"]
LISTS_WITH_REASONS = [
    ["Session Type", "Stage", "User", "Reason"],
    *(
        [session_type, stage, user, reason]
        for session_type, stage, user, reason in zip(
            ["Portrait", "Wedding", "", ""],
            ["Booking", "Capture", "Editing", "Delivery"],
            ["Maya", "Jon", "Priya", ""],
            REASONS_LIST,
            strict=True,
        )
    ),
]
REASONS_TITLE = "Why sessions moved on or waited, per status (the Reasons in Notes)"


def moved(sid, frm, to, day, due, reason=None):
    """A Notes row of a move from `frm` (None: the session had no status yet) to `to`, with its Reason."""
    return [*note(sid, to, day, due, frm or ""), reason, None]


def held(sid, status, day, due, reason=None):
    """A hold's Notes row: From Status = To Status, the Note saying so."""
    row = moved(sid, status, status, day, due, reason)
    row[9] = "on hold, 1 business day left"
    return row


def resumed(sid, status, day, due, reason=None):
    """A resume's Notes row (it repeats the hold's reason: the Sessions row kept it while the session waited)."""
    row = moved(sid, status, status, day, due, reason)
    row[9] = "resumed after 2 business days on hold, 1 business day left"
    return row


WAITING, PAYMENT, CHANGES = "Waiting on client", "Waiting on payment", "Client asked for changes"
# Mon-Fri, 11 Nov a holiday; "Image Capture Pending" was called "Image Capture" before the rename row.
REASONS_HISTORY = [
    moved(1, None, "Session Pending", D(2026, 11, 2), D(2026, 11, 2)),
    moved(9, None, "Session Pending", D(2026, 11, 2), D(2026, 11, 2)),
    moved(2, None, "Session Pending", D(2026, 11, 3), D(2026, 11, 3)),
    moved(9, "Session Pending", "Gone Status", D(2026, 11, 3), None, WAITING),  # s9 is no longer on Sessions
    moved(1, "Session Pending", "Image Capture", D(2026, 11, 4), D(2026, 11, 6), WAITING),
    moved(2, "Session Pending", "Image Capture", D(2026, 11, 5), D(2026, 11, 9), PAYMENT),
    held(1, "Image Capture", D(2026, 11, 5), D(2026, 11, 6), WAITING),
    moved(9, "Gone Status", "Session Pending", D(2026, 11, 5), D(2026, 11, 5), "Reshoot needed"),  # deleted: not shown
    resumed(1, "Image Capture", D(2026, 11, 9), D(2026, 11, 10), WAITING),  # not counted again
    moved(1, "Image Capture", "Retouch Pending", D(2026, 11, 10), D(2026, 11, 17), " WAITING on client "),
    [dt.datetime(2026, 11, 13, 9), None, None, "Image Capture", "Image Capture Pending", None, None, "Maya", "batch"]
    + [RENAME_NOTE, None, None],
    moved(2, "Image Capture Pending", "Retouch Pending", D(2026, 11, 16), D(2026, 11, 23)),
    moved(3, None, "Session Pending", D(2026, 11, 16), D(2026, 11, 16)),
    moved(3, "Session Pending", "Image Capture Pending", D(2026, 11, 17), D(2026, 11, 19)),
    held(3, "Image Capture Pending", D(2026, 11, 18), D(2026, 11, 19)),  # a hold with no reason
    moved(4, None, "Session Pending", D(2026, 11, 18), D(2026, 11, 18)),
    moved(5, None, "Session Pending", D(2026, 11, 18), D(2026, 11, 18)),
    held(4, "Session Pending", D(2026, 11, 19), D(2026, 11, 18), PAYMENT),
    moved(5, "Session Pending", "Image Capture Pending", D(2026, 11, 19), D(2026, 11, 23), "Rescheduled by client"),
    moved(3, "Image Capture Pending", "Retouch Pending", D(2026, 11, 23), D(2026, 11, 30), CHANGES),  # ends the hold
]
REASONS_SESSIONS = [
    session(session_id=1, client="Client 1", status="Retouch Pending", status_date=D(2026, 11, 10)),
    session(session_id=2, client="Client 2", status="Retouch Pending", status_date=D(2026, 11, 16)),
    session(session_id=3, client="Client 3", status="Retouch Pending", status_date=D(2026, 11, 23)),
    session(session_id=4, client="Client 4", status="Session Pending", status_date=D(2026, 11, 18)),
    session(session_id=5, client="Client 5", status="Image Capture Pending", status_date=D(2026, 11, 19)),
]
# Status, Reason, Times Given (Moved On + Held), Moved On, Held, Share: each status's moves on (under the status
# left) and holds.
#   Session Pending: moved on s1 client, s2 payment, s3 none, s5 rescheduled, s9 client; held s4 payment → 6
#   Image Capture Pending (renamed): moved on s1 client, s2 none, s3 changes; held s1 client, s3 none → 5
#   Retouch Pending: nothing left it, nothing held there → not listed; Gone Status: not on Statuses
REASONS_TABLE = [
    ["Status", "Reason", "Times Given", "Moved On", "Held", "Share", None],
    ["Session Pending", WAITING, 2, 2, 0, 0.3333, None],
    ["Session Pending", PAYMENT, 2, 1, 1, 0.3333, None],
    ["Session Pending", "Rescheduled by client", 1, 1, 0, 0.1667, None],  # not on Lists: as Notes has it
    ["Session Pending", "(no reason given)", 1, 1, 0, 0.1667, None],  # always last
    ["Image Capture Pending", WAITING, 2, 1, 1, 0.4, None],  # " WAITING on client " spelt as Lists has it
    ["Image Capture Pending", CHANGES, 1, 1, 0, 0.2, None],
    ["Image Capture Pending", "(no reason given)", 2, 1, 1, 0.4, None],
]


def make_with_reasons(tmp_path: Path, history=REASONS_HISTORY, sessions=REASONS_SESSIONS, **kwargs) -> Path:
    """The report studio with a Reasons list and a Notes history that records reasons, holds and resumes."""
    return studio(
        tmp_path / "studio.xlsx",
        sessions,
        statuses=kwargs.pop("statuses", STATUSES),
        holidays=[[HOLIDAY, "Closed"]],
        extra={**OWNED, "Lists": LISTS_WITH_REASONS, "Notes": [REASONS_NOTES_HEADER, *history]},
        **kwargs,
    )
