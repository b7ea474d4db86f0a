"""What goes in the studio's calendar: each session on its Session Date, each open status's due date, each open task.

Worked out from the workbook's own data and the due dates a refresh gives — never from the run's time or the file's
name — so the same studio, or a copy of its workbook, gives the same entries under the same UIDs, and a calendar
that subscribes to the file updates an entry instead of adding it twice. The library writes them as iCalendar.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from .cells import CellValueError, is_blank, normalize, read_bool, read_date, read_text
from .problems import Problem, Severity
from .schema import LISTS, SESSIONS, SETTINGS, TASKS
from .sessions import session_key, unknown_user
from .tables import Table

if TYPE_CHECKING:
    from .outcome import Outcome
    from .studio import Studio

SESSION, DUE, TASK = "session", "due", "task"  # an entry's kind: the first two are events, a task is a to-do
_ORDER = {SESSION: 0, DUE: 1, TASK: 2}


@dataclass(frozen=True)
class Entry:
    """One event or to-do of the studio's calendar."""

    uid: str
    kind: str
    summary: str
    day: dt.date | None  # None: a task with no due date
    time: dt.time | None = None  # a session booked at a time of day (in the studio's time zone); None: all day
    assigned_to: str = ""  # who it is with: what `--user` keeps
    description: str = ""

    @property
    def is_todo(self) -> bool:
        return self.kind == TASK


@dataclass
class Agenda:
    """The studio's calendar: its name, its time zone ("" for the computer's), its entries, and what was found."""

    studio: str
    time_zone: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    zone_problem: Problem | None = None  # the Time zone setting is wrong: no calendar can be written

    @property
    def events(self) -> int:
        return sum(1 for e in self.entries if not e.is_todo)

    @property
    def todos(self) -> int:
        return sum(1 for e in self.entries if e.is_todo)


def session_times(table: Table) -> dict[int, dt.time]:
    """Note, as the Sessions rows are read, each Session Date that holds a time of day (row number -> time): the
    sessions keep only the day, and a session booked for 14:30 is an event at 14:30."""
    times: dict[int, dt.time] = {}
    column = table.index("Session Date")
    rows = table.rows
    if column is None:
        return times

    def noting():
        for row in rows:
            values = row.values
            value = values[column - 1] if column <= len(values) else None
            if isinstance(value, dt.datetime) and value.time() != dt.time():
                times[row.number] = value.time().replace(microsecond=0)
            yield row

    table.rows = noting()
    return times


def agenda(studio: Studio, refreshed: Outcome, times: Mapping[int, dt.time], user: str = "") -> Agenda:
    """The calendar of a studio as `refreshed` (a refresh of it) leaves its due dates; with `user`, only what is
    assigned to them (a name not on the Lists sheet's User column is a warning)."""
    settings = studio.settings
    domain = _domain(settings.studio)
    found = Agenda(settings.studio, settings.time_zone, problems=list(refreshed.problems))
    zone_cell = settings.cells.get("Time zone")
    found.zone_problem = next(
        (p for p in refreshed.problems if p.sheet == SETTINGS.name and p.cell == zone_cell and zone_cell), None
    )
    written = refreshed.changes.cells.get(SESSIONS.name, {})
    entries: list[Entry] = []
    for session in studio.sessions:
        key = quote(session_key(session.session_id), safe="")
        label = session.client or f"session {session.session_id}"
        kind_of = f"{session.session_type} session" if session.session_type else "session"
        if session.session_date is not None:
            entries.append(
                Entry(
                    uid=f"sheetflow-session-{key}@{domain}",
                    kind=SESSION,
                    summary=f"{label}: {kind_of}",
                    day=session.session_date,
                    time=times.get(session.row.number),
                    assigned_to=session.assigned_to,
                    description=_lines(
                        f"{kind_of.capitalize()} {session.session_id}", session.client, session.phone, session.email
                    ),
                )
            )
        updates = written.get(session.row.number, {})
        due = updates.get("Due Date", session.due_date)
        status = session.status
        if status is not None and not status.final and isinstance(due, dt.date):
            entries.append(
                Entry(
                    uid=f"sheetflow-due-{key}@{domain}",
                    kind=DUE,
                    summary=f"Due: {status.description} — {label}",
                    day=due,
                    assigned_to=session.assigned_to,
                    description=_lines(
                        f"{status.description} is due for session {session.session_id} ({label})",
                        f"assigned to {session.assigned_to}" if session.assigned_to else "",
                    ),
                )
            )
    tasks, found_in_tasks = _open_tasks(studio.tables.get(TASKS.name), settings.date_order, domain)
    entries += tasks
    found.problems += found_in_tasks
    if user:
        entries = [e for e in entries if normalize(e.assigned_to) == normalize(user)]
        found.problems += _unknown_user(studio, user)
    found.entries = sorted(entries, key=lambda e: (_ORDER[e.kind], e.day or dt.date.max, e.time or dt.time(), e.uid))
    return found


def _open_tasks(table: Table | None, date_order: str, domain: str) -> tuple[list[Entry], list[Problem]]:
    """The Tasks rows whose Done is blank or No, as to-dos due on their Due Date; a Due Date that is not a date is
    a warning (the task is left out), and a Task ID used twice keeps its first row only (a UID must be unique)."""
    if table is None or not table.exists:
        return [], []
    entries: list[Entry] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        if row.is_blank(TASKS.columns) or not _open(row.get("Done")):
            continue
        task_id, text = read_text(row.get("Task ID")), read_text(row.get("Task"))
        session_id, client = read_text(row.get("Session ID")), read_text(row.get("Client"))
        try:
            due = read_date(row.get("Due Date"), date_order, table.date1904)
        except CellValueError as exc:
            problems.append(
                Problem(
                    table.sheet,
                    row.cell("Due Date"),
                    f"Due Date: {exc.message}, so this task is not in the studio's calendar",
                    exc.fix,
                    Severity.WARNING,
                )
            )
            continue
        key = quote(task_id.casefold(), safe="") if task_id else _digest(session_id, text)
        if key in seen:
            problems.append(
                Problem(
                    table.sheet,
                    row.cell("Task ID" if task_id else "Task"),
                    f"this task is the same as the one on row {seen[key]} (same "
                    f"{'Task ID' if task_id else 'session and task'}), so only that one is in the studio's calendar",
                    "give each task its own Task ID, or delete the copy",
                    Severity.WARNING,
                )
            )
            continue
        seen[key] = row.number
        who = read_text(row.get("Assigned To"))
        action = read_text(row.get("Action")) or "Task"
        about = f" for session {session_id}" + (f" ({client})" if client else "") if session_id else ""
        entries.append(
            Entry(
                uid=f"sheetflow-task-{key}@{domain}",
                kind=TASK,
                summary=text or action,
                day=due,
                assigned_to=who,
                description=_lines(f"{action}{about}", f"assigned to {who}" if who else "", task_id),
            )
        )
    return entries, problems


def _open(done: object) -> bool:
    """A task is open while its Done cell is blank or No; anything else typed there counts as done."""
    if is_blank(done):
        return True
    try:
        return not read_bool(done)
    except CellValueError:
        return False


def _unknown_user(studio: Studio, user: str) -> list[Problem]:
    found = unknown_user(user, studio.lists.users, "--user")
    if found is None:
        return []
    lists = studio.tables.get(LISTS.name)
    cell = lists.header_cell("User") if lists is not None and lists.exists else ""
    return [Problem(LISTS.name, cell, *found, Severity.WARNING)]


def _domain(studio: str) -> str:
    """The UIDs' right-hand side: the studio's name in plain letters, so two studios' session 1001 never clash."""
    plain = unicodedata.normalize("NFKD", studio).encode("ascii", "ignore").decode().lower()
    return (re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "studio") + ".sheetflow"


def _digest(*parts: str) -> str:
    """A stable key for a task typed without a Task ID: its session and its text."""
    return "row-" + hashlib.sha256("\x1f".join(normalize(p) for p in parts).encode()).hexdigest()[:16]


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)
