"""Triggers (SPEC §6): rows of the Triggers sheet that create a task or queue a client message by themselves,
exactly once per session, trigger and basis date.

What has fired is kept in the workbook, on a hidden sheet sheetflow owns (the fired ledger), so a run from the
command line and a click on a button see the same history, and deleting or editing a generated Tasks or Outbox
row never makes it fire again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from .cells import CellValueError, display, normalize, read_bool, read_date, read_text, read_whole
from .cycle import ONE_CYCLE, Lists, Status, Workflow
from .messages import SAMPLE_FIELDS, MessageTemplate, TemplateProblem, compile_template, format_date
from .problems import Problem, Severity
from .schema import NO, TRIGGERS, WEEKDAYS, YES
from .sessions import Session, session_key
from .tables import Row, Table

STATUS_CHANGE, STATUS_DUE_DATE, SESSION_DATE = "Status change", "Status due date", "Session date"
DATE_BASES = (STATUS_CHANGE, STATUS_DUE_DATE, SESSION_DATE)
TASK, CALL, EMAIL, SMS, LETTER = "Task", "Call", "Email", "SMS", "Letter"
ACTIONS = (TASK, CALL, EMAIL, SMS, LETTER, "Email/Call", "Email/Letter", "SMS/Call")
MESSAGES = (EMAIL, SMS, LETTER)  # queued in the Outbox on or after the trigger date
MAX_OFFSET = 3660  # calendar days: ten years either way
_ADDRESS = {EMAIL: ("Email", "email address"), SMS: ("Phone", "phone number")}


@dataclass
class Trigger:
    """One row of the Triggers sheet, as read."""

    name: str
    row: int
    session_type: str = ""
    status: str = ""
    basis: str = ""
    offset: int = 0
    action: str = ""
    assign_to: str = ""
    subject: MessageTemplate | None = None
    message: MessageTemplate | None = None
    active: bool = True
    cells: dict[str, str] = field(default_factory=dict)  # column -> address, for problems met while firing

    @cached_property
    def key(self) -> str:
        """The trigger's identity in the fired ledger: its name, so sorting the Triggers sheet changes nothing."""
        return normalize(self.name)

    @cached_property
    def type_key(self) -> str:
        return normalize(self.session_type)

    @property
    def first(self) -> str:
        return self.action.split("/")[0]

    @property
    def fallback(self) -> str:
        return self.action.split("/")[1] if "/" in self.action else ""


@dataclass
class TriggerSet:
    """The triggers that can fire, found from a session's Status in one look-up (a refresh of a hundred thousand
    sessions pays nothing for the statuses no trigger watches)."""

    triggers: list[Trigger] = field(default_factory=list)
    watching: dict[int, tuple[Status, list[Trigger]]] = field(default_factory=dict)  # id(Status) -> its triggers
    by_type: bool = False

    def watch(self, status: Status, trigger: Trigger) -> None:
        self.watching.setdefault(id(status), (status, []))[1].append(trigger)

    def of(self, status: Status | None) -> list[Trigger]:
        found = self.watching.get(id(status))
        return found[1] if found else []


@dataclass
class FiredLedger:
    """What has fired: (session key, trigger key, basis date) — and the last number given to a generated row."""

    keys: set[tuple[str, str, str]] = field(default_factory=set)
    last_number: int = 0
    exists: bool = False  # the hidden sheet is in the workbook

    def next_number(self) -> int:
        self.last_number += 1
        return self.last_number


@dataclass(slots=True)
class SessionState:
    """A session as it stands after the run's changes: what triggers are judged on."""

    session: Session
    status: Status
    status_date: dt.date | None
    due_date: dt.date | None
    assigned_to: str = ""


@dataclass
class FireContext:
    today: dt.date
    now: dt.datetime
    studio: str = ""
    user: str = ""
    date_order: str = "DMY"


@dataclass
class Fired:
    """A run's firings: rows for Tasks, Outbox and the ledger, and what kept some from firing."""

    tasks: list[dict[str, object]] = field(default_factory=list)
    messages: list[dict[str, object]] = field(default_factory=list)
    ledger: list[dict[str, object]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# -- reading the Triggers sheet ----------------------------------------------------------------------------------


def read_triggers(table: Table, workflow: Workflow, lists: Lists) -> tuple[TriggerSet, list[Problem]]:
    """Read and check the Triggers sheet; a row with an error never fires (an inactive row's problems are warnings)."""
    found = TriggerSet(by_type=workflow.by_type)
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for row in table.rows:
        if row.is_blank(TRIGGERS.columns):
            continue
        trigger, row_problems, statuses = _read_row(row, workflow, lists)
        if trigger.name:
            if trigger.key in names:
                row_problems.append(
                    _problem(
                        row,
                        "Trigger",
                        f'the trigger name "{display(trigger.name)}" is also used on row {names[trigger.key]}',
                        "give every trigger its own name: it is how sheetflow remembers what has fired",
                    )
                )
            else:
                names[trigger.key] = row.number
        if not trigger.active:
            row_problems = [Problem(p.sheet, p.cell, p.message, p.fix, Severity.WARNING) for p in row_problems]
        problems += row_problems
        found.triggers.append(trigger)
        if trigger.active and not any(p.severity is Severity.ERROR for p in row_problems):
            for status in statuses:
                found.watch(status, trigger)
    return found, problems


def _problem(row: Row, column: str, message: str, fix: str, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(TRIGGERS.name, row.cell(column), message, fix, severity)


def _choice(value: object, choices: tuple[str, ...]) -> str | None:
    """A name from a fixed list, ignoring case and spaces ("email / call" is Email/Call)."""
    wanted = normalize(value).replace(" ", "")
    return next((c for c in choices if c.casefold().replace(" ", "") == wanted), None)


_Report = Callable[..., None]  # problem(column, message, fix, severity=ERROR): a problem at this row's cell


def _read_row(row: Row, workflow: Workflow, lists: Lists) -> tuple[Trigger, list[Problem], list[Status]]:
    """One Triggers row as a Trigger, with its problems (in column order) and the statuses it watches."""
    problems: list[Problem] = []

    def problem(column: str, message: str, fix: str, severity: Severity = Severity.ERROR) -> None:
        problems.append(_problem(row, column, message, fix, severity))

    trigger = Trigger(
        name=read_text(row.get("Trigger")),
        row=row.number,
        cells={c: row.cell(c) for c in ("Trigger", "Subject", "Message")},
    )
    label = f'trigger "{display(trigger.name)}"' if trigger.name else "this trigger"
    _read_name_and_active(row, trigger, problem)
    statuses = _statuses(row, trigger, workflow, lists, problem, label)
    _read_basis_and_offset(row, trigger, problem, label)
    _read_action(row, trigger, problem, label)
    _read_assign_to(row, trigger, lists, problem)
    _read_templates(row, trigger, problem)
    _check_has_message(row, trigger, problems, problem, label)
    return trigger, problems, statuses


def _read_name_and_active(row: Row, trigger: Trigger, problem: _Report) -> None:
    """A trigger needs a name, the key of its ledger rows; Active, when typed, must read as yes or no."""
    if not trigger.name:
        problem(
            "Trigger",
            "this trigger has no name",
            "type a short unique name, such as Session reminder: it is how sheetflow remembers what has fired",
        )
    try:
        trigger.active = read_bool(row.get("Active")) if not row.is_blank(["Active"]) else True
    except CellValueError as exc:
        problem("Active", f"Active: {exc.message}", exc.fix)


def _read_basis_and_offset(row: Row, trigger: Trigger, problem: _Report, label: str) -> None:
    """When the trigger falls due: a known Date Basis, moved by whole Offset Days within ten years."""
    basis = row.get("Date Basis")
    trigger.basis = _choice(basis, DATE_BASES) or ""
    if not trigger.basis:
        what = f'Date Basis "{display(basis)}" is not known' if basis is not None else f"{label} has no Date Basis"
        problem("Date Basis", what, "pick Status change, Status due date or Session date")
    try:
        offset = read_whole(row.get("Offset Days"), "Offset Days")
        if offset is not None and abs(offset) > MAX_OFFSET:
            problem(
                "Offset Days",
                f"Offset Days {offset} is more than ten years",
                "type the days before (negative) or after the basis date, such as -7",
            )
        else:
            trigger.offset = offset or 0
    except CellValueError as exc:
        problem("Offset Days", exc.message, "type whole days before (negative, such as -7) or after the basis date")


def _read_action(row: Row, trigger: Trigger, problem: _Report, label: str) -> None:
    """What the trigger does: one of ACTIONS, matched ignoring case and spaces."""
    action = row.get("Action")
    trigger.action = _choice(action, ACTIONS) or ""
    if not trigger.action:
        what = f'Action "{display(action)}" is not known' if action is not None else f"{label} has no Action"
        problem("Action", what, "pick " + ", ".join(ACTIONS[:-1]) + " or " + ACTIONS[-1])


def _read_assign_to(row: Row, trigger: Trigger, lists: Lists, problem: _Report) -> None:
    """Who gets the task; someone missing from Lists is only a warning, since the task still works."""
    trigger.assign_to = read_text(row.get("Assign To"))
    if trigger.assign_to and lists.users and normalize(trigger.assign_to) not in {normalize(u) for u in lists.users}:
        problem(
            "Assign To",
            f'Assign To "{display(trigger.assign_to)}" is not on the Lists sheet',
            "pick a user from the dropdown, or add them to the User column of Lists",
            Severity.WARNING,
        )


def _read_templates(row: Row, trigger: Trigger, problem: _Report) -> None:
    """Compile Subject and Message, and render them on sample fields so a bad template fails here, not per session."""
    for column in ("Subject", "Message"):
        source = read_text(row.get(column))
        if not source:
            continue
        try:
            template = compile_template(source)
            template.render(SAMPLE_FIELDS)
        except TemplateProblem as exc:
            problem(column, f"{column}: {exc.message}", exc.fix)
            continue
        setattr(trigger, column.lower(), template)


def _check_has_message(row: Row, trigger: Trigger, problems: list[Problem], problem: _Report, label: str) -> None:
    """A trigger that sends a message needs one, unless its Message already has a problem of its own."""
    channel = next((a for a in (trigger.first, trigger.fallback) if a in MESSAGES), "")
    if channel and trigger.message is None and not any(p.cell == row.cell("Message") for p in problems):
        problem(
            "Message",
            f"{label} sends {'an' if channel in (EMAIL, SMS) else 'a'} {channel} but has no Message",
            "type the message, such as: Dear {{ client }}, see you on {{ session_date }}",
        )


def _statuses(
    row: Row, trigger: Trigger, workflow: Workflow, lists: Lists, problem: _Report, label: str
) -> list[Status]:
    """The statuses (one per cycle it applies to) a trigger watches."""
    trigger.session_type = read_text(row.get("Session Type"))
    trigger.status = read_text(row.get("Status"))
    type_key = normalize(trigger.session_type)
    if workflow.by_type:
        if type_key and type_key not in workflow.cycles:
            problem(
                "Session Type",
                f'Session Type "{display(trigger.session_type)}" has no statuses (statuses are by type)',
                "pick a session type that has statuses on Statuses, or leave it blank for all",
            )
            return []
        cycles = [workflow.cycles[type_key]] if type_key else list(workflow.cycles.values())
    else:
        if type_key and lists.session_types and type_key not in {normalize(t) for t in lists.session_types}:
            problem(
                "Session Type",
                f'Session Type "{display(trigger.session_type)}" is not on the Lists sheet',
                "pick a session type from the dropdown, or leave it blank for all",
            )
            return []
        cycles = [workflow.cycles[ONE_CYCLE]] if ONE_CYCLE in workflow.cycles else []
    if not trigger.status:
        problem("Status", f"{label} has no Status", "pick the status whose sessions it is for")
        return []
    statuses = [s for s in (c.find(trigger.status) for c in cycles) if s is not None]
    if not statuses:
        where = cycles[0].label if len(cycles) == 1 else "any status cycle"
        problem(
            "Status",
            f'Status "{display(trigger.status)}" is not a status of {where}',
            "pick a status from the dropdown, or add it to the Statuses sheet",
        )
        return []
    trigger.status = statuses[0].description
    return statuses


# -- the fired ledger ----------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[A-Z]-(\d+)")


def read_ledger(table: Table, date_order: str) -> FiredLedger:
    """The hidden sheet's rows; a row that can't be read is skipped (it is sheetflow's, and nobody types there)."""
    ledger = FiredLedger(exists=table.exists)
    count = 0
    for row in table.rows:
        session_id, name = read_text(row.get("Session ID")), read_text(row.get("Trigger"))
        try:
            basis = read_date(row.get("Basis Date"), date_order, table.date1904)
        except CellValueError:
            basis = None
        if session_id and name and basis is not None:
            ledger.keys.add((session_key(session_id), normalize(name), basis.isoformat()))
        count += 1
        number = _NUMBER.match(read_text(row.get("Generated")))
        if number:
            ledger.last_number = max(ledger.last_number, int(number[1]))
    ledger.last_number = max(ledger.last_number, count)
    return ledger


# -- firing -------------------------------------------------------------------------------------------------------


def fire(triggers: TriggerSet, states: Iterable[SessionState], ledger: FiredLedger, ctx: FireContext) -> Fired:
    """Every trigger that applies to these sessions and has not fired for them yet: Tasks and Outbox rows, and
    the ledger rows that stop them firing again."""
    fired = Fired()
    failures: dict[str, list] = {}  # a template failing for many sessions: one problem, with a count
    for state in states:
        for trigger in triggers.of(state.status):
            if (
                trigger.session_type
                and not triggers.by_type
                and normalize(state.session.session_type) != trigger.type_key
            ):
                continue
            _fire_one(trigger, state, ledger, ctx, fired, failures)
    for cell, (problem, count) in failures.items():
        extra = f" (and {count - 1} more session{'s' if count > 2 else ''})" if count > 1 else ""
        fired.problems.append(Problem(problem.sheet, cell, problem.message + extra, problem.fix, problem.severity))
    return fired


def _basis(trigger: Trigger, state: SessionState) -> dt.date | None:
    if trigger.basis == STATUS_CHANGE:
        return state.status_date
    if trigger.basis == STATUS_DUE_DATE:
        return state.due_date
    return state.session.session_date


def _fire_one(
    trigger: Trigger,
    state: SessionState,
    ledger: FiredLedger,
    ctx: FireContext,
    fired: Fired,
    failures: dict[str, list],
) -> None:
    """Fire one trigger for one session, unless it has fired, is not yet due, can't reach the client or won't render."""
    due = _due(trigger, state, ledger, ctx)
    if due is None:
        return
    key, basis, when = due
    channel = _channel(trigger, state.session, fired)
    if channel is None:
        return
    action, missing = channel
    texts = _render(trigger, state, when, ctx, failures)
    if texts is None:
        return
    number = ledger.next_number()
    if action in (TASK, CALL):
        generated = f"T-{number:06d}"
        fired.tasks.append(_task_row(generated, trigger, state, action, missing, texts, when, ctx))
    else:
        generated = f"M-{number:06d}-{_fingerprint(ctx, key)}"
        fired.messages.append(_message_row(generated, trigger, state.session, action, texts, when, ctx))
    ledger.keys.add(key)
    fired.ledger.append(
        {
            "Session ID": state.session.raw_id,
            "Trigger": trigger.name,
            "Basis Date": basis,
            "Fired At": ctx.now,
            "Generated": generated,
        }
    )


def _due(
    trigger: Trigger, state: SessionState, ledger: FiredLedger, ctx: FireContext
) -> tuple[tuple[str, str, str], dt.date, dt.date] | None:
    """The ledger key, basis date and trigger date of a firing that is due now; None when not (or no longer)."""
    basis = _basis(trigger, state)
    if basis is None:
        return None  # not yet: the first run that sees the basis date fires it
    key = (session_key(state.session.session_id), trigger.key, basis.isoformat())
    if key in ledger.keys:
        return None
    try:
        when = basis + dt.timedelta(days=trigger.offset)
    except OverflowError:
        return None
    if trigger.first in MESSAGES and ctx.today < when:
        return None  # messages wait for their date; tasks are created at once, due on it
    return key, basis, when


def _channel(trigger: Trigger, session: Session, fired: Fired) -> tuple[str, str] | None:
    """The action to take and the channel it replaces for want of an address ("" if none); None (warned) if stuck."""
    action, missing = trigger.first, ""
    if action in _ADDRESS and not _reachable(session, action):
        missing = action
        if not trigger.fallback:
            column, what = _ADDRESS[action]
            fired.problems.append(
                Problem(
                    session.row.table.sheet,
                    session.row.cell(column),
                    f'session {session.session_id}: the trigger "{trigger.name}" can\'t send '
                    f"its {action}: there is no {what}",
                    f"type the client's {what}, or make the trigger's Action {action}/Call so it becomes a call",
                    Severity.WARNING,
                )
            )
            return None
        action = trigger.fallback
    return action, missing


def _render(
    trigger: Trigger, state: SessionState, when: dt.date, ctx: FireContext, failures: dict[str, list]
) -> dict[str, str] | None:
    """Subject and Message rendered for this session; None when one fails, counted in `failures` by its cell."""
    fields = _fields(trigger, state, when, ctx)
    texts: dict[str, str] = {}
    for column in ("Subject", "Message"):
        template: MessageTemplate | None = getattr(trigger, column.lower())
        if template is None:
            continue
        try:
            texts[column] = template.render(fields)
        except TemplateProblem as exc:
            cell = trigger.cells[column]
            if cell in failures:
                failures[cell][1] += 1
            else:
                failures[cell] = [
                    Problem(
                        TRIGGERS.name, cell, f"{column}: session {state.session.session_id}: {exc.message}", exc.fix
                    ),
                    1,
                ]
            return None
    return texts


def _task_row(
    generated: str,
    trigger: Trigger,
    state: SessionState,
    action: str,
    missing: str,
    texts: dict[str, str],
    when: dt.date,
    ctx: FireContext,
) -> dict[str, object]:
    """A Tasks row, due on the trigger date; a message that fell back to a call says why."""
    session = state.session
    task = texts.get("Subject") or texts.get("Message") or trigger.name
    if missing:
        task += f" — no {_ADDRESS[missing][1]} for the {missing}: call instead"
    return {
        "Task ID": generated,
        "Session ID": session.raw_id,
        "Client": session.client or None,
        "Action": action,
        "Task": task,
        "Due Date": when,
        "Assigned To": trigger.assign_to or state.status.default_user or state.assigned_to or None,
        "Trigger": trigger.name,
        "Created": ctx.today,
        "Late": YES if when < ctx.today else NO,
    }


def _message_row(
    generated: str,
    trigger: Trigger,
    session: Session,
    action: str,
    texts: dict[str, str],
    when: dt.date,
    ctx: FireContext,
) -> dict[str, object]:
    """An Outbox row, addressed through its channel; an SMS has no subject."""
    to = {EMAIL: session.email, SMS: session.phone}.get(action, session.client)
    return {
        "Message ID": generated,
        "Session ID": session.raw_id,
        "Client": session.client or None,
        "Channel": action,
        "To": to or None,
        "Subject": None if action == SMS else (texts.get("Subject") or trigger.name),
        "Body": texts.get("Message"),
        "Created": ctx.today,
        "Late": YES if when < ctx.today else NO,
    }


def _reachable(session: Session, channel: str) -> bool:
    if channel == EMAIL:
        return "@" in session.email
    return any(ch.isdigit() for ch in session.phone)


def _fingerprint(ctx: FireContext, key: tuple[str, str, str]) -> str:
    """Eight hex digits that make a Message ID unique beyond this workbook (it seeds the email's Message-ID)."""
    text = "|".join((ctx.studio, *key, ctx.now.isoformat()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _fields(trigger: Trigger, state: SessionState, when: dt.date, ctx: FireContext) -> dict[str, str]:
    """What a message template sees: text only, dates in the studio's date order."""
    session, order = state.session, ctx.date_order
    day = session.session_date
    return {
        "client": session.client,
        "session_id": session.session_id,
        "email": session.email,
        "phone": session.phone,
        "session_type": session.session_type,
        "session_date": format_date(day, order),
        "session_weekday": WEEKDAYS[day.weekday()] if day else "",
        "status": state.status.description,
        "status_date": format_date(state.status_date, order),
        "due_date": format_date(state.due_date, order),
        "stage": state.status.stage,
        "assigned_to": state.assigned_to,
        "studio": ctx.studio,
        "user": ctx.user,
        "trigger": trigger.name,
        "trigger_date": format_date(when, order),
        "today": format_date(ctx.today, order),
    }
