"""Sessions as the studio types them, and the overdue / due-soon flag."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from sys import intern

from .calendar import BusinessCalendar
from .cells import CellValueError, display, normalize, read_bool, read_date, read_text
from .cycle import Cycle, Status, Workflow
from .problems import Problem, Severity
from .schema import FLAG_DUE_SOON, FLAG_ON_HOLD, FLAG_OVERDUE, SESSIONS
from .suggest import did_you_mean
from .tables import Row, Table

DATE_COLUMNS = SESSIONS.dates  # declared with the Sessions columns in schema.py
_ATTRIBUTE = {column: column.lower().replace(" ", "_") for column in DATE_COLUMNS}


@dataclass(slots=True)  # a million of these must fit in memory
class Session:
    row: Row
    session_id: str
    client: str = ""
    email: str = ""
    phone: str = ""
    session_type: str = ""
    session_date: dt.date | None = None
    status_text: str = ""
    status_date: dt.date | None = None
    due_date: dt.date | None = None
    manual_due: bool = False
    assigned_to: str = ""
    change_to: str = ""
    date_completed: dt.date | None = None
    new_due_date: dt.date | None = None
    changed_by: str = ""
    change_note: str = ""
    reason: str = ""  # why its next change moves it, or holds it (the Lists' Reason column): an input
    held_since: dt.date | None = None  # the day it went on hold; None when it is not on hold
    hold_reason: str = ""  # why it waits, while on hold (written by the hold, cleared when it ends)
    cycle: Cycle | None = None
    status: Status | None = None
    unreadable: frozenset[str] = frozenset()  # columns whose cell could not be read (shared when none)
    # cells as stored, for writing back only what changes (the row's raw values are not kept: a million rows)
    raw_id: object = None  # a number stays a number when copied to Notes
    raw_status: object = None
    raw_flag: object = None
    raw_days_overdue: object = None
    manual_due_blank: bool = True

    @property
    def has_pending_change(self) -> bool:
        return bool(self.change_to)

    @property
    def on_hold(self) -> bool:
        return self.held_since is not None


def session_key(session_id: str) -> str:
    """How Session IDs are matched: case ignored, and 1001.0 (a number typed as text) is 1001."""
    key = session_id.strip().casefold()
    return key[:-2] if key.endswith(".0") and key[:-2].isdigit() else key


def flag_for(
    due: dt.date | None,
    is_final: bool,
    today: dt.date,
    calendar: BusinessCalendar,
    due_soon_days: int,
    held: bool = False,
) -> tuple[str | None, int | None]:
    """SPEC §5 on the studio's calendar: (Flag, Days Overdue), never "Overdue" with 0 days; a session on hold
    (not at its Final status) is "On hold", with no Days Overdue: its clock is stopped.

    A due date on a closed day counts as due on the next business day (the work can only be done when the studio
    is open, as a deadline that falls on a weekend moves to the Monday). A session not at its Final status is
    Overdue once a business day after that day has come, today included, and Days Overdue counts those business
    days (SPEC §3): due Saturday in a Tue–Sat week, Sunday and a closed Monday leave it Due soon, Tuesday makes it
    1 day overdue. Otherwise it is Due soon when that day is no later than `due_soon_days` business days from
    today (due today is due soon)."""
    if is_final:
        return None, None
    if held:
        return FLAG_ON_HOLD, None
    if due is None:
        return None, None
    if not calendar.is_business_day(due):
        due = calendar.add_business_days(due, 1)
    if due < today:
        days = calendar.days_overdue(due, today)
        if days:
            return FLAG_OVERDUE, days
    if due <= calendar.add_business_days(today, due_soon_days):
        return FLAG_DUE_SOON, None
    return None, None


def read_sessions(
    table: Table,
    workflow: Workflow,
    date_order: str,
    known_types: list[str],
    only: str | None = None,
    known_users: list[str] = (),
    duplicates: dict[str, list[int]] | None = None,
    known_reasons: list[str] = (),
    moved_reasons: dict[int, str] | None = None,
) -> tuple[list[Session], list[Problem]]:
    """Read every non-blank Sessions row; unreadable cells are reported and left as they are.
    With `only`, just the rows of that Session ID (a one-session change needn't read a hundred thousand).
    `duplicates` is filled with each Session ID used on more than one row: its key -> the rows' numbers.
    On a sheet from before Hold Reason, a held session's Reason is its hold's reason: it is read as its Hold
    Reason, and `moved_reasons` gets each such row's number -> reason (every row's, `only` or not), to be written."""
    wanted = session_key(only) if only is not None else None
    problems: list[Problem] = []
    sessions: list[Session] = []
    seen_ids: dict[str, Row] = {}
    twice: dict[str, list[int]] = duplicates if duplicates is not None else {}
    type_keys = {t.casefold() for t in known_types}
    people = _People(known_users)
    reasons = _Reasons(known_reasons)
    positions = [table.index(column) for column in SESSIONS.columns]  # looked up once, not per cell
    moving = table.header_row > 0 and table.index("Hold Reason") is None  # a sheet from before Hold Reason
    if moving:
        table.plan_missing(SESSIONS.added_when_missing)  # so a problem can name a Hold Reason cell to come
    moved = moved_reasons if moved_reasons is not None else {}
    last = table.last_row
    # the hot loop (a million rows): blank rows and the Session ID here, the cells in _session, the cycle in
    # _place — two calls a row, no closure made per row
    for row in table.rows:
        values = row.values
        width = len(values)
        raw = [values[c - 1] if c is not None and c <= width else None for c in positions]
        first = raw[0]  # a Session ID means a session: the whole-row check only runs without one
        if (first is None or (type(first) is str and not first.strip())) and all(
            v is None or (isinstance(v, str) and not v.strip()) for v in raw
        ):
            continue
        last = row.number
        if wanted is not None and session_key(read_text(first)) != wanted:
            if moving:
                _held_reason(row, raw, table.date1904, date_order, moved)
            row.values = ()
            continue
        session_id = read_text(first)
        if not session_id:
            _problem(
                problems,
                table,
                row,
                "Session ID",
                "this row has no Session ID",
                "give the session an ID, or clear the row",
            )
            continue
        key = session_key(session_id)
        if key in seen_ids:
            first = seen_ids[key]
            for here, there in ((first, row.number), (row, first.number)):  # both cells: either may be the mistake
                _problem(
                    problems,
                    table,
                    here,
                    "Session ID",
                    f'Session ID "{session_id}" is also used on row {there}',
                    "give every session its own ID",
                )
            twice.setdefault(key, [first.number]).append(row.number)
            continue
        seen_ids[key] = row
        s = _session(row, session_id, dict(zip(SESSIONS.columns, raw, strict=True)), table, date_order, problems)
        if moving and s.held_since is not None and s.reason:
            s.hold_reason, s.reason = s.reason, ""
            moved[row.number] = s.hold_reason
        _place(s, workflow, type_keys, table, problems, known_types)
        if people.names:
            people.check(s, table, problems)
        if (s.reason or s.hold_reason) and reasons.names:
            reasons.check(s, table, problems)
        if s.hold_reason and s.held_since is None and "Held Since" not in s.unreadable:
            _problem(
                problems,
                table,
                row,
                "Hold Reason",
                f'session {session_id}: Hold Reason "{display(s.hold_reason)}" is filled, but the session is not '
                "on hold (its Held Since is blank)",
                "clear the Hold Reason cell: sheetflow fills it when Change To says hold, with the Reason typed "
                "beside it or after the word",
                Severity.WARNING,
            )
        sessions.append(s)
        row.values = ()  # everything needed is on the Session now
    table.last_row = max(table.last_row, last)  # a streamed sheet knew only its first rows
    return sessions, problems


_HELD_SINCE, _REASON = SESSIONS.columns.index("Held Since"), SESSIONS.columns.index("Reason")


def _held_reason(row: Row, raw: list[object], date1904: bool, date_order: str, moved: dict[int, str]) -> None:
    """A row a one-session read skips, on a sheet from before Hold Reason: its Reason, when it is held."""
    reason = read_text(raw[_REASON])
    if not reason:
        return
    try:
        held = read_date(raw[_HELD_SINCE], date_order, date1904)
    except CellValueError:
        return  # not readable as a day: not known to be held, so its Reason stays as it is
    if held is not None:
        moved[row.number] = reason


def _problem(
    problems: list[Problem],
    table: Table,
    row: Row,
    column: str,
    message: str,
    fix: str,
    severity: Severity = Severity.ERROR,
) -> None:
    """A problem at a row's cell, on the sheet by the studio's own name when Settings chose its sheet."""
    problems.append(Problem(table.sheet, row.cell(column), message, fix, severity))


def _session(
    row: Row, session_id: str, rec: dict[str, object], table: Table, date_order: str, problems: list[Problem]
) -> Session:
    """One row's cells as a Session: texts, the cells as stored, dates and Manual Due (an unreadable one is
    reported and marked, never guessed)."""
    s = Session(row=row, session_id=session_id)
    s.client = read_text(rec["Client"])
    s.email = read_text(rec["Email"])
    s.phone = read_text(rec["Phone"])
    # the same few names on every row: one string each, not a million copies
    s.session_type = intern(read_text(rec["Session Type"]))
    s.status_text = intern(read_text(rec["Status"]))
    s.assigned_to = intern(read_text(rec["Assigned To"]))
    s.change_to = intern(read_text(rec["Change To"]))
    s.changed_by = intern(read_text(rec["Changed By"]))
    s.change_note = read_text(rec["Change Note"])
    s.reason = intern(read_text(rec["Reason"]))
    s.hold_reason = intern(read_text(rec["Hold Reason"]))
    raw_id = rec["Session ID"]
    s.raw_id = int(raw_id) if isinstance(raw_id, float) and raw_id.is_integer() else raw_id
    s.raw_status = intern(rec["Status"]) if type(rec["Status"]) is str else rec["Status"]
    flag = rec["Flag"]
    s.raw_flag = None if flag == "" else (intern(flag) if type(flag) is str else flag)
    s.raw_days_overdue = None if rec["Days Overdue"] == "" else rec["Days Overdue"]
    s.manual_due_blank = rec["Manual Due"] in (None, "")
    for column in DATE_COLUMNS:
        try:
            setattr(s, _ATTRIBUTE[column], read_date(rec[column], date_order, table.date1904))
        except CellValueError as exc:
            s.unreadable |= {column}
            _problem(
                problems, table, row, column, f"{table.aliases.get(column, column)}: {exc.message}", exc.fix
            )  # the studio's header
    try:
        s.manual_due = read_bool(rec["Manual Due"])
    except CellValueError as exc:
        s.unreadable |= {"Manual Due"}
        _problem(problems, table, row, "Manual Due", f"Manual Due: {exc.message}", exc.fix)
    return s


def _place(
    s: Session,
    workflow: Workflow,
    type_keys: set[str],
    table: Table,
    problems: list[Problem],
    known_types: list[str] = (),
) -> None:
    """The session's cycle and status: a type missing from Lists is a warning, a status its cycle lacks an
    error (the Status cell is then left as it is)."""
    row = s.row
    if s.session_type and type_keys and s.session_type.casefold() not in type_keys and not workflow.by_type:
        _problem(
            problems,
            table,
            row,
            "Session Type",
            f'Session Type "{display(s.session_type)}" is not on the Lists sheet',
            did_you_mean(
                s.session_type,
                known_types,
                "pick a session type from the dropdown, or add it to the Session Type column of Lists",
            ),
            Severity.WARNING,
        )
    s.cycle = workflow.cycle_for(s.session_type)
    if s.cycle is None and workflow.by_type:
        what = f'Session Type "{display(s.session_type)}"' if s.session_type else "this session has no Session Type"
        _problem(
            problems,
            table,
            row,
            "Session Type",
            f"{what}: no status cycle for it (statuses are by type)",
            did_you_mean(
                s.session_type,
                (c.session_type for c in workflow.cycles.values()),
                "pick a session type that has statuses on the Statuses sheet",
            ),
        )
    if s.cycle is not None and s.status_text:
        s.status = s.cycle.find(s.status_text)
        if s.status is None:
            _problem(
                problems,
                table,
                row,
                "Status",
                f'Status "{display(s.status_text)}" is not a status of {s.cycle.label}',
                did_you_mean(
                    s.status_text,
                    (status.description for status in s.cycle.statuses),
                    "pick a status from the dropdown, or add it to the Statuses sheet",
                ),
            )
            s.unreadable |= {"Status"}
        elif s.status.inactive:
            _problem(
                problems,
                table,
                row,
                "Status",
                f'Status "{s.status.description}" is inactive',
                "the session may stay there; move it on when its work is done",
                Severity.WARNING,
            )


def unknown_user(name: str, users: list[str], where: str) -> tuple[str, str] | None:
    """(message, fix) when `name` is not on the Lists sheet's User column (None when it is, or there is none)."""
    if not name or not users or normalize(name) in {normalize(u) for u in users}:
        return None
    return (
        f'{where} "{display(name)}" is not on the Users list (the User column of the Lists sheet)',
        did_you_mean(name, users, "pick a user from the list, or add them to the User column of Lists"),
    )


class _People:
    """The Users list, and each name already judged (the same few names on every row)."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self._judged: dict[tuple[str, str], tuple[str, str] | None] = {}

    def check(self, s: Session, table: Table, problems: list[Problem]) -> None:
        """A warning at Assigned To and Changed By when they name someone not on the list."""
        for column, name in (("Assigned To", s.assigned_to), ("Changed By", s.changed_by)):
            if not name:
                continue
            key = (column, name)
            if key not in self._judged:
                self._judged[key] = unknown_user(name, self.names, column)
            found = self._judged[key]
            if found is not None:
                _problem(problems, table, s.row, column, found[0], found[1], Severity.WARNING)


def unknown_reason(reason: str, reasons: list[str], where: str = "Reason") -> tuple[str, str] | None:
    """(message, fix) when `reason` (typed in the column `where`: Reason or Hold Reason) is not on the Lists sheet's
    Reason column (None when it is, or there is none)."""
    if not reason or not reasons or normalize(reason) in {normalize(r) for r in reasons}:
        return None
    return (
        f'{where} "{display(reason)}" is not on the Reasons list (the Reason column of the Lists sheet)',
        did_you_mean(reason, reasons, "pick a reason from the dropdown, or add it to the Reason column of Lists"),
    )


class _Reasons:
    """The Reasons list, and each reason already judged (the same few on every row)."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self._judged: dict[tuple[str, str], tuple[str, str] | None] = {}

    def check(self, s: Session, table: Table, problems: list[Problem]) -> None:
        """A warning at Reason or Hold Reason when it is not on the list: the change still goes in (the hold
        stays), with the reason as typed."""
        for column, reason in (("Reason", s.reason), ("Hold Reason", s.hold_reason)):
            if not reason:
                continue
            key = (column, reason)
            if key not in self._judged:
                self._judged[key] = unknown_reason(reason, self.names, column)
            found = self._judged[key]
            if found is not None:
                _problem(
                    problems, table, s.row, column, f"session {s.session_id}: {found[0]}", found[1], Severity.WARNING
                )
