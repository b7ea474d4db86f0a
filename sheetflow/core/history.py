"""Time in status in pure Python: the figures `sheetflow.library.report` works out with pandas, for where pandas is
not at hand (the xlwings Lite bundle, whose Dashboard button runs this). The rules are report.py's, row for row: a
session entered a status on the Date Completed of a Notes row whose To Status names it and left it on the Date
Completed of its next Notes row; rename rows carry older rows' names forward. A stay is the person's the session
was assigned to as it entered (the Notes row's Assigned To; for older rows without one, see `_owners`). Each move on
(counted under the status it left, its From Status) and each hold (under the status it keeps) is counted under its
Reason; a resume is neither (its Reason is only what was typed with it; workbooks before Hold Reason repeated the
hold's there, which was counted once)."""

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
from .changes import HOLD_NOTE, RESUME_NOTE
from .cycle import ONE_CYCLE, Status
from .dashboard import NO_REASON, Dashboard, PersonTime, ReasonLine, StatusTime, TimeInStatus
from .schema import NOTES
from .sessions import session_key
from .tables import Table

RENAMED = re.compile(r'^\s*status renamed from "(.*)" to "(.*)"(?: \((.*) cycle\))?\s*$', re.I | re.S)
# Read by header; a column a Notes sheet (or an archive) doesn't have reads as blank.
COLUMNS = ("Session ID", "To Status", "Date Completed", "Due Date", "Note", "Assigned To", "From Status", "Reason")


@dataclass
class _Change:
    """One Notes row that moved a session into a status."""

    session: str
    status: str
    position: int
    entered: dt.date | None
    due: dt.date | None
    cycle: str | None = None
    assigned: str = ""  # the Notes row's Assigned To (a Names key), "" when it says no one or has no such column
    owner: str = ""  # whose the stay is (a Names key), "" no one's
    by_default: bool = False  # the owner comes from the Default User, Notes not saying


@dataclass
class _Move:
    """One Notes row that moved a session on from a status, or held it there, with its reason."""

    session: str
    status: str  # the status it left (From Status), or the one it waits in (a hold)
    position: int
    reason: str  # a Names key, "" none given
    held: bool
    cycle: str | None = None


@dataclass
class _Stay:
    cycle: str
    status: str
    days: int
    late: bool
    has_due: bool
    owner: str = ""
    by_default: bool = False


class Names:
    """Who stays belong to, and the reasons: names matched as everywhere (case and extra spaces aside), shown as the
    Lists sheet spells them, else as Notes first did. Both time-in-status paths read names through these."""

    def __init__(self, listed: Sequence[str]):
        self.names = {normalize(name): " ".join(name.split()) for name in listed if normalize(name)}
        self._keys: dict[object, str] = {}

    def key(self, value: object) -> str:
        """The name's key ("" for a blank cell), remembered with its spelling (values recur row after row)."""
        key = self._keys.get(value)
        if key is None:
            text = " ".join(read_text(value).split())
            key = self._keys[value] = normalize(text)
            if key:
                self.names.setdefault(key, text)
        return key

    def name(self, key: str) -> str:
        return self.names.get(key, key)


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
    """A few lines for people: how much history was read, the statuses whose median stay exceeds typical, who had
    the most stays that left late, and the status where one reason stands out."""
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
    most = _most_late(history.per_person or [])
    if most:
        lines.append(most)
    standing_out = _reason_standing_out(history.reasons or [])
    if standing_out:
        lines.append(standing_out)
    return lines


def _reason_standing_out(reasons: list[ReasonLine]) -> str | None:
    """The reason given for most of one status's moves on and holds (at least two, more than half of them), where it
    is given most often; None when no reason stands out so."""
    totals: dict[tuple[str, str], int] = {}
    holds: dict[tuple[str, str], int] = {}
    for line in reasons:
        place = (line.cycle, line.status)
        totals[place] = totals.get(place, 0) + line.times
        holds[place] = holds.get(place, 0) + line.held
    found = [
        line
        for line in reasons
        if line.reason != NO_REASON and line.times >= 2 and 2 * line.times > totals[(line.cycle, line.status)]
    ]
    if not found:
        return None
    line = max(found, key=lambda line: line.times)  # the first of equals: reasons lists statuses in workflow order
    place = (line.cycle, line.status)
    where = f"{line.status}{f', {line.cycle} cycle' if line.cycle else ''}"
    what = "moves on and holds" if holds[place] else "moves on"
    return f'reason "{line.reason}" stands out in {where}: {line.times} of its {totals[place]} {what}'


def _most_late(per_person: list[PersonTime]) -> str | None:
    """The person (someone, not "unassigned") with the most stays that left late, and the status most of them were
    in; None when no one's stay left late."""
    late: dict[str, int] = {}
    stays: dict[str, int] = {}
    assumed: dict[str, int] = {}
    where: dict[tuple[str, str, str], int] = {}  # (person, status, cycle): late stays, whoever said it was theirs
    for line in per_person:
        if line.person:
            left = line.late or 0
            late[line.person] = late.get(line.person, 0) + left
            stays[line.person] = stays.get(line.person, 0) + line.stays
            assumed[line.person] = assumed.get(line.person, 0) + (left if line.by_default_user else 0)
            where[(line.person, line.status, line.cycle)] = where.get((line.person, line.status, line.cycle), 0) + left
    if not late or max(late.values()) == 0:
        return None
    person = min(late, key=lambda p: (-late[p], -stays[p], p.casefold()))
    (_, status, cycle), most = max(
        ((place, n) for place, n in where.items() if place[0] == person), key=lambda item: item[1]
    )  # the first of equals: per_person lists a person's statuses in workflow order
    text = (
        f"most stays left late: {person}, {late[person]} of {stays[person]} "
        f"({most} in {status}{f', {cycle} cycle' if cycle else ''})"
    )
    if assumed[person]:
        share = "all" if assumed[person] == late[person] else f"{assumed[person]} of them"
        text += f"; {share} by the status's Default User, as older Notes rows don't say who had the session"
    return text


def time_in_status(
    studio: core.Studio, notes: Table | None, today: dt.date, archives: Sequence[Table] = ()
) -> TimeInStatus:
    """One StatusTime per status, in workflow order, from the Notes rows (after the archived ones)."""
    history = TimeInStatus(as_of=today, per_person=[])
    statuses = _statuses_in_order(studio)
    sources = [
        t for t in (*archives, notes) if t is not None and t.exists and t.has("To Status") and t.has("Session ID")
    ]
    if not sources:
        history.statuses = [_line(studio, status, key, None) for key, status in statuses if _shown(status, None)]
        return history
    people, reasons = Names(studio.lists.users), Names(studio.reasons)
    changes, moves, renames = _changes(sources, studio.settings.date_order, people, reasons)
    history.changes_read = len(changes)
    for rows in (changes, moves):
        _session_cycles(studio, rows)
        _renamed(rows, renames, studio.workflow.by_type)
        _fill_cycles(studio, rows)
    _owners(studio, changes, people)
    groups: dict[tuple[str, str], list[_Stay]] = {}
    by_person: dict[tuple[str, bool, str, str], list[_Stay]] = {}
    for stay in _stays(changes, studio.calendar):
        groups.setdefault((stay.cycle, stay.status), []).append(stay)
        by_person.setdefault((stay.owner, stay.by_default, stay.cycle, stay.status), []).append(stay)
    history.statuses = [
        _line(studio, status, key, groups.get((key, status.key)))
        for key, status in statuses
        if _shown(status, groups.get((key, status.key)))
    ]
    history.per_person = per_person(studio, people, {key: _figures(group) for key, group in by_person.items()})
    if any(source.has("Reason") for source in sources):
        counts: dict[tuple[str, str, str], tuple[int, int]] = {}
        for move in moves:
            if move.cycle is not None:
                moved, held = counts.get((move.cycle, move.status, move.reason), (0, 0))
                counts[(move.cycle, move.status, move.reason)] = (moved + (not move.held), held + move.held)
        history.reasons = reasons_per_status(studio, reasons, counts)
    return history


def _renamed(rows: Sequence[_Change | _Move], renames: list[tuple[int, str, str, str | None]], by_type: bool) -> None:
    """Rows before a rename that name the old status take the new name (so a later rename of that name carries them
    on too); a by-type rename touches only rows of its cycle, or of no known cycle (which then join it)."""
    for position, old, new, cycle in renames:
        for row in rows:
            if row.position < position and row.status == old:
                if by_type and cycle is not None:
                    if row.cycle is not None and row.cycle != cycle:
                        continue
                    row.cycle = cycle
                row.status = new


def reasons_per_status(
    studio: core.Studio, reasons: Names, counts: dict[tuple[str, str, str], tuple[int, int]]
) -> list[ReasonLine]:
    """The reason lines from each (cycle, status, reason)'s (moves on, holds), as both paths order them: statuses in
    workflow order, each only when some move on or hold there gave a reason; its reasons the most frequent first,
    those given none last, each with its share of the status's moves on and holds. A status no longer on Statuses
    is left out, as the status table leaves it."""
    by_status: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
    for (cycle, status, reason), figures in counts.items():
        by_status.setdefault((cycle, status), {})[reason] = figures
    lines = []
    for key, status in _statuses_in_order(studio):
        found = by_status.get((key, status.key), {})
        if not any(found):
            continue
        total = sum(moved + held for moved, held in found.values())
        cycle = studio.workflow.cycles[key].session_type if studio.workflow.by_type else ""
        for reason in sorted(found, key=lambda r: (r == "", -sum(found[r]), reasons.name(r).casefold(), r)):
            moved, held = found[reason]
            lines.append(
                ReasonLine(
                    status=status.description,
                    reason=reasons.name(reason) if reason else NO_REASON,
                    moved_on=int(moved),
                    held=int(held),
                    share=round((moved + held) / total, 4),
                    cycle=cycle,
                )
            )
    return lines


# (stays, median business days, share left late, stays left late) of one person in one status
Figures = tuple[int, float, float | None, int]


def _figures(group: list[_Stay]) -> Figures:
    with_due = [stay for stay in group if stay.has_due]
    left_late = round(sum(stay.late for stay in with_due) / len(with_due), 4) if with_due else None
    median = round(_quantile(sorted(stay.days for stay in group), 0.5), 1)
    return len(group), median, left_late, sum(stay.late for stay in group)


def per_person(
    studio: core.Studio, people: Names, figures: dict[tuple[str, bool, str, str], Figures]
) -> list[PersonTime]:
    """The per-person lines from each (owner, by default user, cycle, status)'s figures, as both paths order them:
    the people with the most stays that left late first (then the most stays, then by name), stays no one was
    assigned to last; each person's statuses in workflow order, what Notes said before what the Default User stands
    for. A status no longer on Statuses is left out, as the status table leaves it, so each status's stays add up."""
    place = {(key, status.key): (i, key, status) for i, (key, status) in enumerate(_statuses_in_order(studio))}
    kept = [(key, figure) for key, figure in figures.items() if (key[2], key[3]) in place]
    late: dict[str, int] = {}
    stays: dict[str, int] = {}
    for (owner, *_), (count, _, _, left) in kept:
        late[owner] = late.get(owner, 0) + left
        stays[owner] = stays.get(owner, 0) + count

    def order(item: tuple[tuple[str, bool, str, str], Figures]) -> tuple:
        (owner, by_default, cycle, status), _ = item
        return (
            owner == "",
            -late[owner],
            -stays[owner],
            people.name(owner).casefold(),
            owner,
            place[(cycle, status)][0],
            by_default,
        )

    lines = []
    for (owner, by_default, cycle, status_key), (count, median, left_late, left) in sorted(kept, key=order):
        _, key, status = place[(cycle, status_key)]
        lines.append(
            PersonTime(
                person=people.name(owner),
                status=status.description,
                cycle=studio.workflow.cycles[key].session_type if studio.workflow.by_type else "",
                typical_duration=status.typical_duration,
                stays=int(count),
                median=float(median),
                left_late=None if left_late is None else float(left_late),
                by_default_user=bool(by_default) and bool(owner),
                late=int(left),
            )
        )
    return lines


def default_users(studio: core.Studio, people: Names) -> dict[tuple[str, str], str]:
    """Each status's Default User (a Names key), by (cycle, status): whom sheetflow assigns a session entering it."""
    return {
        (key, status.key): people.key(status.default_user)
        for key, cycle in studio.workflow.cycles.items()
        for status in cycle.statuses
        if status.default_user
    }


def _owners(studio: core.Studio, changes: list[_Change], people: Names) -> None:
    """Whose each stay is. A Notes row's Assigned To says it (who had the session after the change). Rows from
    before Notes had that column don't: sheetflow then assigned the new status's Default User, else kept whoever
    had the session, so that is replayed from today's Statuses and marked as such — not the Updated By (who made
    the change) nor the session's Assigned To now (who has its current status). A blank Assigned To after one
    that said someone was written by sheetflow: no one was assigned."""
    defaults = default_users(studio, people)
    told: set[str] = set()
    last: dict[str, str] = {}
    for change in changes:  # in Notes order
        if change.assigned:
            change.owner = change.assigned
            told.add(change.session)
        elif change.session not in told:
            change.owner = defaults.get((change.cycle, change.status)) or last.get(change.session, "")
            change.by_default = bool(change.owner)
        last[change.session] = change.owner


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


def _changes(
    sources: Sequence[Table], date_order: str, people: Names, reasons: Names
) -> tuple[list[_Change], list[_Move], list[tuple[int, str, str, str | None]]]:
    """The Notes rows that moved a session (one pass; each id, status and name normalized once), the moves on and
    holds with their reasons, and the renames."""
    changes: list[_Change] = []
    moves: list[_Move] = []
    renames: list[tuple[int, str, str, str | None]] = []
    keys: dict[object, str] = {}
    names: dict[object, str] = {}
    latest: dict[str, _Change] = {}  # each session's last change so far
    position = 0
    for notes in sources:
        index = [notes.index(c) for c in COLUMNS]
        for row in notes.rows:
            values = row.values
            width = len(values)
            sid, to, completed, due, note, assigned, came_from, reason = (
                values[i - 1] if i is not None and i <= width else None for i in index
            )
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
                clock = clock_row(note, came_from, name) if name else None
                if clock == HELD:
                    moves.append(_Move(key, name, position, reasons.key(reason), held=True))
                elif clock == RESUMED and key in latest:  # the due date the clock restarted with
                    latest[key].due = notes_day(due, date_order, notes.date1904)
                elif name and clock is None:
                    left = names.get(came_from)
                    if left is None:
                        left = names[came_from] = normalize(read_text(came_from))
                    if left:
                        moves.append(_Move(key, left, position, reasons.key(reason), held=False))
                    latest[key] = _Change(
                        key,
                        name,
                        position,
                        notes_day(completed, date_order, notes.date1904),
                        notes_day(due, date_order, notes.date1904),
                        assigned=people.key(assigned),
                    )
                    changes.append(latest[key])
            position += 1
    return changes, moves, renames


HELD, RESUMED = "hold", "resume"


def clock_row(note: object, came_from: object, status: str) -> str | None:
    """HELD or RESUMED for a Notes row that put a session on hold or resumed it (From Status = To Status, the Note
    saying so), else None: such a row keeps the session in its status, so it neither ends a stay nor starts one."""
    if not isinstance(note, str) or normalize(read_text(came_from)) != status:
        return None
    text = note.strip()
    return HELD if HOLD_NOTE.match(text) else RESUMED if RESUME_NOTE.match(text) else None


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
                    change.owner,
                    change.by_default,
                )
            )
    return stays
