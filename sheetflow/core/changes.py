"""The Status Change window: defaults, the new due date, and the history note."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .calendar import BusinessCalendar
from .cells import display
from .cycle import Status
from .problems import Problem
from .schema import NEXT_WORD, NO, YES
from .sessions import Session, flag_for
from .suggest import did_you_mean


@dataclass
class StatusChange:
    """What the user asked for; blanks take the Status Change window's defaults."""

    to: str = ""  # blank or "next": the next active status
    date_completed: dt.date | None = None  # default: today
    due: dt.date | None = None  # hand-set due date (Manual Due = Yes)
    by: str = ""  # default: Current user, else the operating-system user
    note: str = ""
    source: str = "cli"
    input_column: str = "Change To"  # where a rejection points


@dataclass
class ChangeContext:
    calendar: BusinessCalendar
    today: dt.date
    now: dt.datetime
    due_soon_days: int
    default_user: str


@dataclass
class AppliedChange:
    session: Session
    from_status: str
    to: Status
    updates: dict[str, object] = field(default_factory=dict)  # Sessions column -> new value
    note: dict[str, object] = field(default_factory=dict)  # Notes column -> value
    date_order: str = "DMY"  # the studio's, for saying the due date as it types dates

    @property
    def due_date(self) -> dt.date | None:
        due = self.updates.get("Due Date")
        return due if isinstance(due, dt.date) else None

    @property
    def assigned_to(self) -> str:
        return str(self.updates.get("Assigned To") or "")


class ChangeRejected(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def target_status(session: Session, wanted: str, column: str) -> Status:
    """Resolve Change To: an explicit status, or the default next one (Initial from a blank status)."""
    sheet = session.row.table.sheet

    def reject(message: str, fix: str, at: str = column) -> ChangeRejected:
        return ChangeRejected(Problem(sheet, session.row.cell(at), f"session {session.session_id}: {message}", fix))

    cycle = session.cycle
    if cycle is None:
        raise reject("its session type has no status cycle", "pick a session type that has statuses", "Session Type")
    if wanted and wanted.strip().casefold() != NEXT_WORD:
        target = cycle.find(wanted)
        if target is None:
            raise reject(
                f'"{display(wanted)}" is not a status of {cycle.label}',
                did_you_mean(
                    wanted,
                    (s.description for s in cycle.statuses if not s.inactive),
                    "pick a status from the dropdown, or type next",
                ),
            )
        if target.inactive:
            raise reject(f'"{target.description}" is inactive', "pick an active status, or make it active on Statuses")
        return target
    if session.status is None:
        if session.status_text:
            raise reject(
                f'its current status "{display(session.status_text)}" is unknown, so there is no next one',
                "type the status to move to, or correct the Status cell",
            )
        if cycle.initial is None:
            raise reject(f"{cycle.label} has no Initial status", "mark one status Initial on the Statuses sheet")
        return cycle.initial
    if session.status.final:
        raise reject(
            f'it is already at its final status "{session.status.description}"',
            "type the status to move it to explicitly",
        )
    following = cycle.next_after(session.status)
    if following is None:
        raise reject(
            f'no active status comes after "{session.status.description}" in {cycle.label}',
            "type the status to move to, or add a later status on Statuses",
        )
    return following


def plan_status_change(session: Session, change: StatusChange, ctx: ChangeContext) -> AppliedChange:
    """Everything one change writes, all or nothing; raises ChangeRejected with the cell to fix."""
    for column in ("Date Completed", "New Due Date"):
        if column in session.unreadable and change.source == "batch":
            raise ChangeRejected(
                Problem(
                    session.row.table.sheet,
                    session.row.cell(change.input_column),
                    f"session {session.session_id}: the change was not applied",
                    f"correct the {column} cell ({session.row.cell(column)}) first",
                )
            )
    target = target_status(session, change.to, change.input_column)
    completed = change.date_completed or ctx.today
    if change.due is not None:
        due, manual = change.due, True
    elif target.typical_duration is None:
        due, manual = None, False
    else:
        due, manual = ctx.calendar.add_business_days(completed, target.typical_duration), False
    by = change.by or ctx.default_user
    flag, days_overdue = flag_for(due, target.final, ctx.today, ctx.calendar, ctx.due_soon_days)
    from_status = session.status.description if session.status else session.status_text
    applied = AppliedChange(session=session, from_status=from_status, to=target)
    applied.updates = {
        "Status": target.description,
        "Status Date": completed,
        "Due Date": due,
        "Manual Due": YES if manual else NO,
        "Assigned To": target.default_user or session.assigned_to or None,
        "Updated By": by,
        "Flag": flag,
        "Days Overdue": days_overdue,
    }
    applied.note = {
        "Logged At": ctx.now,
        "Session ID": session.raw_id,
        "Client": session.client or None,
        "From Status": from_status or None,
        "To Status": target.description,
        "Date Completed": completed,
        "Due Date": due,
        "Updated By": by,
        "Source": change.source,
        "Note": change.note or None,
    }
    return applied
