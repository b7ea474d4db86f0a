"""Time in status in pure Python: the figures `sheetflow.library.report` works out with pandas, for where pandas is
not at hand (the xlwings Lite bundle, whose Dashboard button runs this). The rules are report.py's, row for row: a
session entered a status on the Date Completed of a Notes row whose To Status names it and left it on the Date
Completed of its next Notes row; rename rows carry older rows' names forward."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from itertools import pairwise

from . import studio as core
from .calendar import BusinessCalendar
from .cells import CellValueError, normalize, read_date, read_text
from .cycle import ONE_CYCLE, Status
from .dashboard import Dashboard, StatusTime, TimeInStatus
from .schema import NOTES
from .sessions import session_key
from .tables import Table

RENAMED = re.compile(r'^\s*status renamed from "(.*)" to "(.*)"(?: \((.*) cycle\))?\s*$', re.I | re.S)
COLUMNS = ("Session ID", "To Status", "Date Completed", "Due Date", "Note")


@dataclass
class _Change:
    """One Notes row that moved a session into a status."""

    session: str
    status: str
    position: int
    entered: dt.date | None
    due: dt.date | None
    cycle: str | None = None


@dataclass
class _Stay:
    cycle: str
    status: str
    days: int
    late: bool
    has_due: bool


@dataclass
class ReportOutcome(core.Outcome):
    """A refresh's outcome with the whole Dashboard it wrote (`report`, the Dashboard button), which --json
    prints."""

    dashboard: Dashboard | None = None

    @classmethod
    def rebuilt(cls, refreshed: core.Outcome, history: TimeInStatus) -> ReportOutcome:
        """The refresh's outcome with its Dashboard completed by the time in status; its summary says what the
        board counts, in place of the refresh's flags."""
        outcome = cls(**{f.name: getattr(refreshed, f.name) for f in fields(refreshed)})
        outcome.command = "report"
        if outcome.changes.dashboard is not None:
            outcome.changes.dashboard.time_in_status = history
            outcome.dashboard = outcome.changes.dashboard
            totals = outcome.dashboard.board.totals
            outcome.said = [
                f"dashboard rebuilt: {totals.sessions - totals.completed} open sessions, "
                f"{totals.overdue} overdue, {totals.due_soon} due soon"
            ]
        else:
            outcome.said = []
        outcome.notes += highlights(history)
        return outcome

    @property
    def details(self) -> dict[str, object]:
        """Extra keys for --json: every figure of the Dashboard."""
        if self.dashboard is None:
            return {}
        board, history = self.dashboard.board, self.dashboard.time_in_status

        def counts(line) -> dict[str, object]:
            return {**asdict(line), "on_track": line.on_track}

        return {
            "dashboard": {
                "board": {
                    "as_of": board.as_of,
                    "totals": counts(board.totals),
                    "stages": [counts(s) for s in board.stages],
                    "statuses": [counts(s) for s in board.statuses],
                    "overdue": [asdict(o) for o in board.overdue],
                    "overdue_not_listed": board.overdue_not_listed,
                },
                "time_in_status": asdict(history) if history is not None else None,
            }
        }


def rebuild(studio: core.Studio, today: dt.date, workbook: object = None) -> ReportOutcome:
    """The whole Dashboard, as `sheetflow.library.report.rebuild` makes it: a refresh, then the time in status from
    Notes (archives beside a file need file access, which the button has not: `sheetflow report` reads them)."""
    refreshed = core.refresh(studio, today)
    return ReportOutcome.rebuilt(refreshed, time_in_status(studio, studio.tables.get(NOTES.name), today))


def highlights(history: TimeInStatus) -> list[str]:
    """One line for people: how much history was read, and the statuses whose median stay exceeds typical."""
    lines = [f"time in status: {history.changes_read} status changes read, {history.passages} stays measured"]
    slow = [
        s
        for s in history.statuses
        if s.median is not None and s.typical_duration is not None and s.median > s.typical_duration
    ]
    slow.sort(key=lambda s: s.median - s.typical_duration, reverse=True)
    if slow:
        lines.append(
            "slower than typical (median vs typical business days): "
            + ", ".join(f"{s.status} {s.median:g} vs {s.typical_duration}" for s in slow[:5])
        )
    return lines


def time_in_status(
    studio: core.Studio, notes: Table | None, today: dt.date, archives: Sequence[Table] = ()
) -> TimeInStatus:
    """One StatusTime per status, in workflow order, from the Notes rows (after the archived ones)."""
    history = TimeInStatus(as_of=today)
    statuses = _statuses_in_order(studio)
    sources = [
        t for t in (*archives, notes) if t is not None and t.exists and t.has("To Status") and t.has("Session ID")
    ]
    if not sources:
        history.statuses = [_line(studio, status, key, None) for key, status in statuses if _shown(status, None)]
        return history
    changes, renames = _changes(sources, studio.settings.date_order)
    history.changes_read = len(changes)
    _session_cycles(studio, changes)
    for position, old, new, cycle in renames:
        for change in changes:
            if change.position < position and change.status == old:
                if studio.workflow.by_type and cycle is not None:
                    if change.cycle is not None and change.cycle != cycle:
                        continue
                    change.cycle = cycle
                change.status = new
    _fill_cycles(studio, changes)
    groups: dict[tuple[str, str], list[_Stay]] = {}
    for stay in _stays(changes, studio.calendar):
        groups.setdefault((stay.cycle, stay.status), []).append(stay)
    history.statuses = [
        _line(studio, status, key, groups.get((key, status.key)))
        for key, status in statuses
        if _shown(status, groups.get((key, status.key)))
    ]
    return history


def _statuses_in_order(studio: core.Studio) -> list[tuple[str, Status]]:
    open_ones, final_ones = [], []
    for key, cycle in studio.workflow.cycles.items():
        for status in cycle.statuses:
            (final_ones if status.final else open_ones).append((key, status))
    return open_ones + final_ones


def _shown(status: Status, group: list[_Stay] | None) -> bool:
    return group is not None or not (status.final or status.inactive)


def _line(studio: core.Studio, status: Status, key: str, group: list[_Stay] | None) -> StatusTime:
    cycle = studio.workflow.cycles[key].session_type if studio.workflow.by_type else ""
    line = StatusTime(status=status.description, cycle=cycle, typical_duration=status.typical_duration)
    if not group:
        return line
    days = sorted(stay.days for stay in group)
    line.passed_through = len(group)
    line.median = round(_quantile(days, 0.5), 1)
    line.p90 = round(_quantile(days, 0.9), 1)  # linear, as Excel's PERCENTILE.INC and pandas' quantile
    with_due = [stay for stay in group if stay.has_due]
    if with_due:
        line.left_late = round(sum(stay.late for stay in with_due) / len(with_due), 4)
    return line


def _quantile(ordered: list[int], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    at = (len(ordered) - 1) * q
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (at - low))


def _changes(sources: Sequence[Table], date_order: str) -> tuple[list[_Change], list[tuple[int, str, str, str | None]]]:
    """The Notes rows that moved a session (one pass; each id and status normalized once) and the renames."""
    changes: list[_Change] = []
    renames: list[tuple[int, str, str, str | None]] = []
    keys: dict[object, str] = {}
    names: dict[object, str] = {}
    position = 0
    for notes in sources:
        index = [notes.index(c) for c in COLUMNS]
        for row in notes.rows:
            values = row.values
            width = len(values)
            sid, to, completed, due, note = (values[i - 1] if i is not None and i <= width else None for i in index)
            key = keys.get(sid)
            if key is None:
                key = keys[sid] = session_key(read_text(sid))
            if not key:
                m = RENAMED.match(note) if isinstance(note, str) else None
                if m:
                    renames.append((position, normalize(m[1]), normalize(m[2]), normalize(m[3]) if m[3] else None))
            else:
                name = names.get(to)
                if name is None:
                    name = names[to] = normalize(read_text(to))
                if name:
                    changes.append(
                        _Change(
                            key,
                            name,
                            position,
                            notes_day(completed, date_order, notes.date1904),
                            notes_day(due, date_order, notes.date1904),
                        )
                    )
            position += 1
    return changes, renames


def notes_day(value: object, date_order: str, date1904: bool) -> dt.date | None:
    """A Notes date cell as a day (None when it is not a date: that stay can't be measured)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return read_date(value, date_order, date1904)
    except CellValueError:  # a hand-typed history cell that isn't a date: that stay can't be measured
        return None


def _session_cycles(studio: core.Studio, changes: list[_Change]) -> None:
    workflow = studio.workflow
    if not workflow.by_type:
        for change in changes:
            change.cycle = ONE_CYCLE
        return
    key_of = {id(cycle): key for key, cycle in workflow.cycles.items()}
    by_session = {session_key(s.session_id): key_of.get(id(s.cycle)) for s in studio.sessions}
    for change in changes:
        change.cycle = by_session.get(change.session)


def _fill_cycles(studio: core.Studio, changes: list[_Change]) -> None:
    """Rows still without a cycle take the one cycle that has a status of their name (none when several do)."""
    owners: dict[str, list[str]] = {}
    for key, cycle in studio.workflow.cycles.items():
        for status in cycle.statuses:
            owners.setdefault(status.key, []).append(key)
    for change in changes:
        if change.cycle is None and len(owners.get(change.status, ())) == 1:
            change.cycle = owners[change.status][0]


def _stays(changes: list[_Change], calendar: BusinessCalendar) -> list[_Stay]:
    """One stay per change that a later change of the same session ended: business days after it entered, up to
    and including the day it left."""
    by_session: dict[str, list[_Change]] = {}
    for change in changes:
        by_session.setdefault(change.session, []).append(change)
    stays = []
    for session in sorted(by_session):
        rows = by_session[session]  # already in position order
        for change, following in pairwise(rows):
            left = following.entered
            if left is None or change.entered is None or change.cycle is None:
                continue
            stays.append(
                _Stay(
                    change.cycle,
                    change.status,
                    calendar.business_days_between(change.entered, left),
                    change.due is not None and left > change.due,
                    change.due is not None,
                )
            )
    return stays
