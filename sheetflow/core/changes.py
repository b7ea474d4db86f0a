"""The Status Change window: defaults, the new due date, and the history note — and holds: `hold` keeps a session
in its status with its clock stopped (Spectra's "Current Status Not Complete"), `resume` starts the clock again
with the business days that were left."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .calendar import BusinessCalendar
from .cells import display, normalize
from .cycle import Status
from .messages import format_date
from .problems import Problem, Severity
from .schema import FLAG_ON_HOLD, HOLD_WORD, NEXT_WORD, NO, RESUME_WORD, YES
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
    # why: one of the Lists' reasons (a hold's can also follow the word: `hold client away`). This change's own: a
    # hold keeps its reason in Hold Reason, and the change that ends the hold does not give it again.
    reason: str = ""
    source: str = "cli"
    input_column: str = "Change To"  # where a rejection points


@dataclass
class ChangeContext:
    calendar: BusinessCalendar
    today: dt.date
    now: dt.datetime
    due_soon_days: int
    default_user: str
    reasons: tuple[str, ...] = ()  # the Lists sheet's Reason column
    date_order: str = "DMY"  # the studio's, for dates said in notes and problems


@dataclass
class AppliedChange:
    session: Session
    from_status: str
    to: Status
    updates: dict[str, object] = field(default_factory=dict)  # Sessions column -> new value
    note: dict[str, object] = field(default_factory=dict)  # Notes column -> value
    date_order: str = "DMY"  # the studio's, for saying the due date as it types dates
    kind: str = ""  # HOLD_WORD or RESUME_WORD for a hold or a resume; "" for a status change
    days_left: int | None = None  # a hold's or a resume's business days left to the due date (None: no due date)
    held_since: dt.date | None = None  # the hold a resume or a status change ended
    hold_reason: str = ""  # why it waited, for a hold a resume or a status change ended ("" none given)
    kept_due: dt.date | None = None  # a hold's due date, which it leaves as it is

    @property
    def due_date(self) -> dt.date | None:
        due = self.updates.get("Due Date", self.kept_due)  # a hold leaves the due date as it was
        return due if isinstance(due, dt.date) else None

    @property
    def assigned_to(self) -> str:
        return str(self.updates.get("Assigned To", self.session.assigned_to) or "")


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


# How a hold's and a resume's Notes rows begin (From Status = To Status): what reads Notes can tell them from a
# status change, and leave them out of the time spent in a status or count the time held.
HOLD_NOTE = re.compile(r"^on hold\b")
RESUME_NOTE = re.compile(r"^resumed\b")


def hold_word(wanted: str) -> tuple[str, str]:
    """(HOLD_WORD or RESUME_WORD, what follows it) when Change To starts with one of the words, else ("", "").
    `hold: client away`, `Hold - client away` and `hold client away` all give the reason "client away"."""
    text = wanted.strip()
    word, rest = (text.split(None, 1) + [""])[:2] if text else ("", "")
    word = word.rstrip(":").casefold()
    if word not in (HOLD_WORD, RESUME_WORD):
        return "", ""
    return word, rest.strip().lstrip(":-–—").strip()


def days_left(held_since: dt.date, due: dt.date | None, calendar: BusinessCalendar) -> int | None:
    """The business days after the hold's day up to and including the due date: 0 when it was already due (or
    overdue) at the hold; None without a due date."""
    if due is None:
        return None
    return calendar.business_days_between(held_since, due)


def current_due(session: Session, calendar: BusinessCalendar) -> dt.date | None:
    """The due date as a refresh works it out (the Due Date cell may not have been refreshed since the Status Date
    was typed): a hand-set one as it is, else the status's typical duration from the Status Date."""
    status = session.status
    if session.manual_due or status is None:
        return session.due_date
    if status.typical_duration is None:
        return None
    if session.status_date is None:
        return session.due_date
    return calendar.add_business_days(session.status_date, status.typical_duration)


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
    word, typed_reason = hold_word(change.to)
    reason = _canonical(change.reason or typed_reason, ctx.reasons)
    if word == HOLD_WORD:
        return _plan_hold(session, change, ctx, reason)
    if word == RESUME_WORD:
        return _plan_resume(session, change, ctx, reason)
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
    applied = AppliedChange(
        session=session,
        from_status=from_status,
        to=target,
        held_since=session.held_since,
        hold_reason=session.hold_reason if session.on_hold else "",
    )
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
    note = change.note
    if session.on_hold:  # moving on ends the wait; its Reason is only what was typed with the move
        applied.updates["Held Since"] = None
        applied.updates["Hold Reason"] = None
        ended = f"ends the hold since {format_date(session.held_since, ctx.date_order)}{_why(session)}"
        note = f"{note} ({ended})" if note else ended
    applied.note = _note(session, ctx, change, from_status, target.description, completed, due, by, note, reason)
    applied.note["Assigned To"] = applied.updates["Assigned To"]
    return applied


def _canonical(reason: str, reasons: tuple[str, ...]) -> str:
    """The reason as the Lists sheet spells it when it is there (matched ignoring case and spaces), else as typed."""
    wanted = normalize(reason)
    return next((r for r in reasons if normalize(r) == wanted), reason.strip())


def _note(
    session: Session,
    ctx: ChangeContext,
    change: StatusChange,
    from_status: str,
    to_status: str,
    completed: dt.date,
    due: dt.date | None,
    by: str,
    note: str,
    reason: str,
) -> dict[str, object]:
    return {
        "Logged At": ctx.now,
        "Session ID": session.raw_id,
        "Client": session.client or None,
        "From Status": from_status or None,
        "To Status": to_status,
        "Date Completed": completed,
        "Due Date": due,
        "Updated By": by,
        "Source": change.source,
        "Note": note or None,
        "Reason": reason or None,
        "Assigned To": session.assigned_to or None,
    }


def _holdable(session: Session, change: StatusChange, what: str) -> Status:
    """The status a hold or a resume keeps the session in; ChangeRejected when it has none that can wait."""
    sheet = session.row.table.sheet

    def reject(message: str, fix: str, severity: Severity = Severity.ERROR) -> ChangeRejected:
        where = session.row.cell(change.input_column)
        return ChangeRejected(Problem(sheet, where, f"session {session.session_id}: {message}", fix, severity))

    status = session.status
    if status is None:
        if session.status_text:
            raise reject(
                f'its status "{display(session.status_text)}" is unknown, so it can\'t be {what}',
                "correct the Status cell first",
            )
        raise reject(f"it has no status yet, so it can't be {what}", "move it to its first status first (type next)")
    if status.final:
        raise reject(
            f'it is at its final status "{status.description}": nothing is left to wait for',
            "clear Change To, or type the status to move it back to",
        )
    return status


def _plan_hold(session: Session, change: StatusChange, ctx: ChangeContext, reason: str) -> AppliedChange:
    """`hold`: the session stays in its status, Held Since = the hold's day (Date Completed, default today), Flag
    On hold; its due date stays as it is, and the business days left to it are counted again at the resume."""
    status = _holdable(session, change, "put on hold")
    sheet, where = session.row.table.sheet, session.row.cell(change.input_column)
    order = ctx.date_order
    if session.on_hold:
        raise ChangeRejected(
            Problem(
                sheet,
                where,
                f"session {session.session_id} is already on hold since {format_date(session.held_since, order)}",
                "type resume to start its clock again, or clear Change To",
                Severity.WARNING,
            )
        )
    if change.due is not None:
        raise ChangeRejected(
            Problem(
                sheet,
                session.row.cell("New Due Date"),
                f"session {session.session_id}: a hold keeps the due date, so New Due Date can't go with hold",
                "clear New Due Date (type it with resume, when the session goes on), or type a status instead of hold",
            )
        )
    held = change.date_completed or ctx.today
    due = current_due(session, ctx.calendar)
    left = days_left(held, due, ctx.calendar)
    by = change.by or ctx.default_user
    applied = AppliedChange(
        session=session, from_status=status.description, to=status, kind=HOLD_WORD, days_left=left, kept_due=due
    )
    applied.updates = {
        "Held Since": held,
        "Hold Reason": reason or None,  # on the row while it waits: why it is on hold
        "Updated By": by,
        "Flag": FLAG_ON_HOLD,
        "Days Overdue": None,
    }
    said = "on hold" + (f", {_days(left)} left" if left is not None else "")
    note = f"{said}: {change.note}" if change.note else said
    applied.note = _note(session, ctx, change, status.description, status.description, held, due, by, note, reason)
    return applied


def _plan_resume(session: Session, change: StatusChange, ctx: ChangeContext, reason: str) -> AppliedChange:
    """`resume`: the hold ends and the due date is WORKDAY.INTL(resume day, the business days that were left at
    the hold), kept as set (Manual Due = Yes: it is no longer the Status Date's due date); a New Due Date wins."""
    status = _holdable(session, change, "resumed")
    sheet, where = session.row.table.sheet, session.row.cell(change.input_column)
    order = ctx.date_order
    held = session.held_since
    if held is None:
        raise ChangeRejected(
            Problem(
                sheet,
                where,
                f"session {session.session_id} is not on hold, so there is nothing to resume",
                "clear Change To, or type hold to put it on hold, or the status to move it to",
                Severity.WARNING,
            )
        )
    resumed = change.date_completed or ctx.today
    if resumed < held:
        raise ChangeRejected(
            Problem(
                sheet,
                session.row.cell("Date Completed"),
                f"session {session.session_id}: Date Completed {format_date(resumed, order)} is before the day it "
                f"went on hold, {format_date(held, order)} (Held Since)",
                f"type the day it went on again (on or after {format_date(held, order)}), or clear Date Completed "
                "for today",
            )
        )
    left = days_left(held, current_due(session, ctx.calendar), ctx.calendar)
    if change.due is not None:
        due = change.due
    elif left is not None:
        due = ctx.calendar.add_business_days(resumed, left)
    else:
        due = None
    by = change.by or ctx.default_user
    flag, days_overdue = flag_for(due, False, ctx.today, ctx.calendar, ctx.due_soon_days)
    applied = AppliedChange(
        session=session,
        from_status=status.description,
        to=status,
        kind=RESUME_WORD,
        days_left=left,
        held_since=held,
        hold_reason=session.hold_reason,
    )
    applied.updates = {
        "Held Since": None,
        "Hold Reason": None,
        "Due Date": due,
        "Updated By": by,
        "Flag": flag,
        "Days Overdue": days_overdue,
    }
    if due is not None:
        applied.updates["Manual Due"] = YES
    waited = ctx.calendar.business_days_between(held, resumed)
    said = f"resumed after {_days(waited)} on hold{_why(session)}"
    said += f", {_days(left)} left" if left is not None else ""
    note = f"{said}: {change.note}" if change.note else said
    applied.note = _note(session, ctx, change, status.description, status.description, resumed, due, by, note, reason)
    return applied


def _why(session: Session) -> str:
    """The hold's reason as the notes say it, after the hold: " (client away)", or "" when none was given."""
    return f" ({session.hold_reason})" if session.hold_reason else ""


def _days(n: int) -> str:
    return f"{n} business day{'' if n == 1 else 's'}"
