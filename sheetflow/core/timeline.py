"""One session's timeline from Notes: each status it entered, when, who moved it there and why, and how many
business days it stayed against the status's typical duration — the current status last, counted up to today.

Stays are measured as the time in status is (`core/history.py`): a session entered a status on the Date Completed
of a Notes row whose To Status names it and left it on the next such row's, rename rows carrying older rows'
names forward."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import studio as core
from .cells import normalize, read_text
from .changes import HOLD_NOTE, RESUME_NOTE
from .history import RENAMED, notes_day
from .sessions import Session, session_key
from .suggest import closest
from .tables import Table


@dataclass
class Stay:
    """One status the session entered."""

    status: str
    entered: dt.date | None
    days: int | None = None  # business days in it (so far, for the current one); None: a date is missing
    typical_duration: int | None = None
    by: str = ""
    note: str = ""
    source: str = ""
    current: bool = False
    left: dt.date | None = None
    pauses: list[Pause] = field(default_factory=list)  # holds and resumes while it stayed (its clock ran on)


@dataclass
class Pause:
    """A hold or a resume logged while the session stayed in one status: not a stay of its own."""

    day: dt.date | None
    note: str
    by: str = ""
    reason: str = ""


@dataclass
class Timeline:
    session_id: str
    client: str
    status: str
    as_of: dt.date
    date_order: str = "DMY"  # the studio's, for saying the dates as it types them
    stays: list[Stay] = field(default_factory=list)


def find(studio: core.Studio, session_id: str) -> Session:
    """The session of that ID; a LookupError saying so (with the closest ID) when there is none."""
    session = studio.find_session(session_id)
    if session is not None:
        return session
    sheet = studio.tables[core.SESSIONS.name].sheet
    near = closest(session_id, (s.session_id for s in studio.sessions))
    hint = f'did you mean "{near}"?' if near else "check its Session ID"
    raise LookupError(f'there is no session "{session_id}" on the {sheet} sheet — {hint}')


def timeline(
    studio: core.Studio, session: Session, notes: Table | None, today: dt.date, archives: Sequence[Table] = ()
) -> Timeline:
    """The session's stays in the order its Notes rows were logged (the archived rows first, as they were moved
    out of Notes oldest first), then the status it is in now."""
    line = Timeline(session.session_id, session.client, session.status_text, today, studio.settings.date_order)
    stays = [stay for table in (*archives, notes) for stay in _entered(studio, session, table)]
    cycle = session.cycle
    for stay in stays:
        status = cycle.find(stay.status) if cycle is not None else None
        if status is not None:
            stay.status, stay.typical_duration = status.description, status.typical_duration
    current = session.status.description if session.status is not None else session.status_text
    if current and (not stays or normalize(stays[-1].status) != normalize(current)):
        # the Status cell was typed by hand since the last change: what it says, from the Status Date
        typical = session.status.typical_duration if session.status is not None else None
        stays.append(Stay(current, session.status_date, typical_duration=typical, note="(not in Notes)"))
    for stay, following in zip(stays, [*stays[1:], None], strict=True):
        stay.left = following.entered if following is not None else None
        stay.current = following is None and bool(current)
        end = stay.left if following is not None else today
        if stay.entered is not None and end is not None:
            stay.days = studio.calendar.business_days_between(stay.entered, end)
    line.stays = stays
    return line


def _entered(studio: core.Studio, session: Session, notes: Table | None) -> list[Stay]:
    """The Notes rows that moved this session, with the status names renames have since changed."""
    if notes is None or not notes.exists or not notes.has("Session ID") or not notes.has("To Status"):
        return []
    wanted = session_key(session.session_id)
    own_cycle = normalize(session.cycle.session_type) if session.cycle is not None else None
    order, date1904 = studio.settings.date_order, notes.date1904
    stays: list[Stay] = []
    for row in notes.rows:
        key = session_key(read_text(row.get("Session ID")))
        if not key:
            note = row.get("Note")
            renamed = RENAMED.match(note) if isinstance(note, str) else None
            if renamed and (not studio.workflow.by_type or not renamed[3] or normalize(renamed[3]) == own_cycle):
                for stay in stays:
                    if normalize(stay.status) == normalize(renamed[1]):
                        stay.status = renamed[2]
            continue
        status = read_text(row.get("To Status"))
        if key != wanted or not status:
            continue
        note = read_text(row.get("Note"))
        if (
            stays
            and normalize(stays[-1].status) == normalize(status)
            and (HOLD_NOTE.match(note) or RESUME_NOTE.match(note))
        ):
            day = notes_day(row.get("Date Completed"), order, date1904)
            by, reason = read_text(row.get("Updated By")), read_text(row.get("Reason"))
            stays[-1].pauses.append(Pause(day, note, by, reason))
            continue
        stays.append(
            Stay(
                status,
                notes_day(row.get("Date Completed"), order, date1904),
                by=read_text(row.get("Updated By")),
                note=note,
                source=read_text(row.get("Source")),
            )
        )
    return stays
