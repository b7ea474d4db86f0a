"""The studio as read from its workbook, and the runs that change it (validate, change, apply, refresh).

Every run returns a ChangeSet in sheet and column names; the file patcher and the Excel front end
each turn it into their own writes.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from .calendar import BusinessCalendar
from .cells import CellValueError, address, normalize, read_date, read_text
from .changes import (
    HOLD_WORD,
    RESUME_WORD,
    AppliedChange,
    ChangeContext,
    ChangeRejected,
    StatusChange,
    plan_status_change,
)
from .cycle import BY_TYPE_SETTING, Lists, Workflow, fold_switch, read_lists, read_workflow
from .dashboard import BoardTally, Dashboard
from .date_checks import date_problems
from .limits import SheetFill, fill_warnings
from .mapping import check_mapping, read_mapping
from .messages import format_date
from .outcome import ChangeSet, Outcome, applied_words, flag_words  # ChangeSet, Outcome: re-exported here too
from .problems import Problem, Severity, WorkbookError
from .schema import (
    FIRED,
    FLAG_DUE_SOON,
    FLAG_OVERDUE,
    HOLIDAYS,
    LISTS,
    NO,
    NOTES,
    OUTBOX,
    OWNED_SHEETS,
    PROBLEMS,
    REQUIRED_SHEETS,
    SESSION_INPUTS,
    SESSIONS,
    SETTINGS,
    STATUSES,
    TASKS,
    TRIGGERS,
    YES,
)
from .sessions import Session, flag_for, read_sessions, session_key, unknown_reason, unknown_user
from .settings import Settings, read_settings
from .tables import Table, missing_table
from .triggers import FireContext, FiredLedger, SessionState, TriggerSet, fire, read_ledger, read_triggers


@dataclass
class Studio:
    tables: Mapping[str, Table]
    settings: Settings
    calendar: BusinessCalendar
    lists: Lists
    workflow: Workflow
    sessions: list[Session]
    problems: list[Problem]
    triggers: TriggerSet = field(default_factory=TriggerSet)
    fired: FiredLedger = field(default_factory=FiredLedger)  # what triggers have fired, from the hidden sheet
    partial: bool = False  # only one session was read (a one-session change): the others' problems are not known
    duplicate_ids: dict[str, list[int]] = field(default_factory=dict)  # a Session ID's key -> the rows that use it
    reasons: list[str] = field(default_factory=list)  # the Lists sheet's Reason column
    dates_found: list[Problem] = field(default_factory=list)  # the read's date warnings (date_checks)
    carried: list[Session] = field(default_factory=list)  # sessions this run changed: their dates checked again
    # A Sessions sheet from before Hold Reason: each held session's row -> its Reason, the hold's reason, which
    # moves into Hold Reason when the column is added: once, and said once (`hold_reasons`: "read", "moved", "said")
    moved_hold_reasons: dict[int, str] = field(default_factory=dict)
    hold_reasons: str = "read"

    def find_session(self, session_id: str) -> Session | None:
        wanted = session_key(session_id)
        return next((s for s in self.sessions if session_key(s.session_id) == wanted), None)

    def context(self, today: dt.date, now: dt.datetime | None = None) -> ChangeContext:
        """The run's context. Without `now`, the time stamps (Notes' Logged At, the fired ledger's Fired At) are
        the run's day — `--today` when given — at the current time of day: a replayed day reads as that day,
        and the rows it logs keep their order and stay apart (at midnight they would all tie, and history and
        time in status could not tell which came first)."""
        return ChangeContext(
            calendar=self.calendar,
            today=today,
            now=now or dt.datetime.combine(today, dt.datetime.now().time().replace(microsecond=0)),
            due_soon_days=self.settings.due_soon_days,
            default_user=self.settings.current_user or operating_system_user(),
            reasons=tuple(self.reasons),
            date_order=self.settings.date_order,
        )


PLACEHOLDER_USERS = frozenset({"web_user"})  # what Pyodide (xlwings Lite) answers: nobody's name


def operating_system_user() -> str:
    """The computer login, or "" where there is no real one (Pyodide says web_user): never a placeholder."""
    if sys.platform == "emscripten":
        return ""
    try:
        name = getpass.getuser()
    except Exception:  # no user database (a container): leave Updated By to the workbook
        return ""
    return "" if name in PLACEHOLDER_USERS else name


def user_problems(settings: Settings) -> list[Problem]:
    """Without a Current user or a computer login (xlwings Lite), changes are recorded with no name: say so."""
    if settings.current_user or operating_system_user():
        return []
    return [
        Problem(
            SETTINGS.name,
            settings.cells.get("Current user", ""),
            "Current user is blank and this computer gives no user name, so the changes made here are "
            "recorded with a blank Updated By",
            "type your name into Current user on the Settings sheet",
            Severity.WARNING,
        )
    ]


def current_user_problems(settings: Settings, lists: Lists) -> list[Problem]:
    """A Current user who is not on the Users list (Lists): a warning at the setting, changes go on."""
    found = unknown_user(settings.current_user, lists.users, "Current user")
    if found is None:
        return []
    return [Problem(SETTINGS.name, settings.cells.get("Current user", ""), *found, Severity.WARNING)]


def check_required(tables: Mapping[str, Table]) -> None:
    """The sheets and columns without which nothing can run: every one missing named at once (exit 2), with the
    command that adds them, so a studio's own workbook is not fixed one run at a time."""
    missing: list[str] = []
    for schema in REQUIRED_SHEETS:
        table = tables.get(schema.name)
        if table is None or not table.exists:
            name = table.sheet if table is not None else schema.name
            chosen = "" if name == schema.name else f" (named as the {schema.name} sheet in Settings)"
            missing.append(f'no "{name}" sheet{chosen}')
            continue
        for column in schema.required:
            if not table.has(column):
                header = table.aliases.get(column)
                mapped = f' (Settings maps {column} to "{header}", which is not there)' if header else ""
                missing.append(f'no "{column}" column on the {table.sheet} sheet{mapped}')
    found: list[str] = []
    if missing:
        sessions = tables.get(SESSIONS.name)
        own = (
            ", or `sheetflow init --sessions SHEET` to make one of your own sheets the Sessions sheet"
            if sessions is None or not sessions.exists
            else ""
        )
        found.append(
            f"the workbook has {_listed(missing)} — run `sheetflow init` on it to add "
            f"{'it' if len(missing) == 1 else 'them'}{own} (everything already there stays as it is)"
        )
    for table in tables.values():
        found += [
            f"{table.sheet}!{cell}: this column header is used twice on the {table.sheet} sheet — rename one of them"
            for cell in table.duplicate_headers
        ]
    if found:
        raise WorkbookError("; ".join(found))


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def load_studio(tables: Mapping[str, Table], only_session: str | None = None) -> Studio:
    """Read every user sheet into the domain, collecting problems instead of stopping at the first.
    With only_session, Sessions holds just that session (what a one-session change checks and needs)."""
    check_required(tables)
    problems: list[Problem] = []
    settings, found = read_settings(tables[SETTINGS.name])
    problems += found
    problems += user_problems(settings)
    problems += check_mapping(read_mapping(tables[SETTINGS.name]), tables[SESSIONS.name])
    holidays_table = tables.get(HOLIDAYS.name) or missing_table(HOLIDAYS.name)
    holidays: set[dt.date] = set()
    for row in holidays_table.rows:
        raw = row.get("Date")
        if raw is None:
            continue
        try:
            day = read_date(raw, settings.date_order, holidays_table.date1904)
        except CellValueError as exc:
            problems.append(Problem(HOLIDAYS.name, row.cell("Date"), f"Date: {exc.message}", exc.fix))
            continue
        if day is not None:
            holidays.add(day)
    calendar = BusinessCalendar(settings.workdays, frozenset(holidays))
    lists = read_lists(tables.get(LISTS.name) or missing_table(LISTS.name))
    reasons = read_reasons(tables.get(LISTS.name) or missing_table(LISTS.name))
    problems += current_user_problems(settings, lists)
    workflow, found = read_workflow(
        tables[STATUSES.name], settings.statuses_by_type, lists, settings.cells.get(BY_TYPE_SETTING, "")
    )
    problems += found
    duplicate_ids: dict[str, list[int]] = {}
    moved_hold_reasons: dict[int, str] = {}
    sessions, found = read_sessions(
        tables[SESSIONS.name],
        workflow,
        settings.date_order,
        lists.session_types,
        only=only_session,
        known_users=lists.users,
        duplicates=duplicate_ids,
        known_reasons=reasons,
        moved_reasons=moved_hold_reasons,
    )
    problems += found
    dates_found = date_problems(sessions, calendar, settings.date_order)
    problems += dates_found
    triggers, found = read_triggers(tables.get(TRIGGERS.name) or missing_table(TRIGGERS.name), workflow, lists)
    problems += found
    fired = read_ledger(tables.get(FIRED.name) or missing_table(FIRED.name), settings.date_order)
    problems += [p for table in tables.values() for p in table.notices]  # after the rows were read: streamed ones too
    problems = fold_switch(workflow, problems)
    return Studio(
        partial=only_session is not None,
        tables=tables,
        settings=settings,
        calendar=calendar,
        lists=lists,
        workflow=workflow,
        sessions=sessions,
        problems=problems,
        triggers=triggers,
        fired=fired,
        duplicate_ids=duplicate_ids,
        reasons=reasons,
        dates_found=dates_found,
        moved_hold_reasons=moved_hold_reasons,
    )


def read_reasons(table: Table) -> list[str]:
    """The Lists sheet's Reason column (why sessions move or wait), each once; none on a sheet made before it."""
    reasons: list[str] = []
    for row in table.rows:
        text = read_text(row.get("Reason"))
        if text and normalize(text) not in {normalize(r) for r in reasons}:
            reasons.append(text)
    return reasons


def _structure(studio: Studio) -> ChangeSet:
    """Owned sheets and Sessions columns that are missing get created (SPEC §1)."""
    changes = ChangeSet()
    sessions = studio.tables[SESSIONS.name]
    missing = sessions.plan_missing(SESSIONS.added_when_missing)
    if missing:
        changes.new_columns[SESSIONS.name] = missing
    if studio.moved_hold_reasons and studio.hold_reasons == "read" and "Hold Reason" in missing:
        _move_hold_reasons(studio, changes)
    for schema in OWNED_SHEETS:
        table = studio.tables.get(schema.name)
        if table is None or not table.exists:
            if not schema.on_demand:  # the fired ledger is created when a trigger first fires
                changes.new_sheets.append(schema.name)
        elif absent := table.plan_missing(schema.columns):
            changes.new_columns[schema.name] = absent
    return changes


def _move_hold_reasons(studio: Studio, changes: ChangeSet) -> None:
    """The upgrade to Hold Reason, once, with the column: each held session's Reason (the hold's reason, read as
    its Hold Reason already) goes into Hold Reason, and Reason is cleared for the change that ends the hold."""
    studio.hold_reasons = "moved"
    for row, reason in studio.moved_hold_reasons.items():
        changes.set(SESSIONS.name, row, "Hold Reason", reason)
        changes.set(SESSIONS.name, row, "Reason", None)


def _upgrade_words(studio: Studio) -> list[str]:
    """What the upgrade to Hold Reason did, said by the run that did it (and by no later part of it)."""
    if studio.hold_reasons != "moved":
        return []
    studio.hold_reasons = "said"
    n = len(studio.moved_hold_reasons)
    return [f"{n} held session{'' if n == 1 else 's'}: {'its' if n == 1 else 'their'} reason moved to Hold Reason"]


def _fire_triggers(
    studio: Studio, changes: ChangeSet, states: list[SessionState], today: dt.date, now: dt.datetime | None
) -> tuple[int, int, list[Problem]]:
    """Triggers judged on the sessions as they stand after the run's changes (SPEC §6): Tasks and Outbox rows,
    and the hidden ledger's rows that keep each from firing twice. Returns (tasks, messages, problems)."""
    if not states:
        return 0, 0, []
    context = studio.context(today, now)
    fired = fire(
        studio.triggers,
        states,
        studio.fired,
        FireContext(
            today=today,
            now=context.now,
            studio=studio.settings.studio,
            user=context.default_user,
            date_order=studio.settings.date_order,
        ),
    )
    for sheet, rows in ((TASKS.name, fired.tasks), (OUTBOX.name, fired.messages), (FIRED.name, fired.ledger)):
        for row in rows:
            changes.append(sheet, row)
    if fired.ledger and not studio.fired.exists and FIRED.name not in changes.new_sheets:
        changes.new_sheets.append(FIRED.name)
    return len(fired.tasks), len(fired.messages), fired.problems


def _state_after(done: AppliedChange) -> SessionState:
    updates = done.updates
    return SessionState(
        done.session, done.to, updates["Status Date"], updates["Due Date"], updates["Assigned To"] or ""
    )


def _finish(command: str, studio: Studio, changes: ChangeSet, extra: list[Problem], **counts) -> Outcome:
    """The run's Outcome; `counts` are Outcome's fields, `said` among them (what its summary says it did)."""
    problems = _unique(_still_true(studio, changes) + extra)
    changes.problems = problems
    counts["notes"] = _upgrade_words(studio) + counts.get("notes", [])
    return Outcome(command=command, changes=changes, problems=problems, found=extra, **counts)


def _still_true(studio: Studio, changes: ChangeSet) -> list[Problem]:
    """What the read found, less what this run's writes made untrue (a problem at a Sessions cell it rewrites was
    about the old value), plus the inactive-status warning of each session whose Status it wrote."""
    rows = changes.cells.get(SESSIONS.name)
    if not rows:
        return list(studio.problems)
    sessions = studio.tables[SESSIONS.name]
    kept = studio.problems
    rechecked: list[Problem] = []
    if studio.carried:  # the changed sessions' dates as the run left them: the read's warnings were about before
        stale = {
            (sessions.sheet, s.row.cell(column))
            for s in studio.carried
            for column in ("Due Date", "Date Completed", "New Due Date")
        }
        dated = {id(p) for p in studio.dates_found if (p.sheet, p.cell) in stale}
        kept = [p for p in kept if id(p) not in dated]
        rechecked = date_problems(_unique_sessions(studio.carried), studio.calendar, studio.settings.date_order)
    if any(p.sheet == sessions.sheet and p.cell for p in kept):
        written = {address(row, sessions.column_of(column)) for row, columns in rows.items() for column in columns}
        if studio.moved_hold_reasons:  # moved there by the upgrade, not changed: what was found about it stands
            changed = {s.row.number for s in studio.carried}
            hold_reason = sessions.column_of("Hold Reason")
            written -= {address(row, hold_reason) for row in studio.moved_hold_reasons if row not in changed}
        kept = [p for p in kept if p.sheet != sessions.sheet or p.cell not in written]
    kept = list(kept)
    for session in studio.sessions:
        status = session.status
        if status is not None and status.inactive and "Status" in rows.get(session.row.number, ()):
            kept.append(
                Problem(
                    sessions.sheet,
                    session.row.cell("Status"),
                    f'Status "{status.description}" is inactive',
                    "the session may stay there; move it on when its work is done",
                    Severity.WARNING,
                )
            )
    return kept + rechecked


def _unique_sessions(sessions: list[Session]) -> list[Session]:
    return list({id(s): s for s in sessions}.values())


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for p in problems:
        if (p.where, p.message) not in seen:
            seen.add((p.where, p.message))
            kept.append(p)
    return kept


def _pending_change(session: Session) -> StatusChange:
    return StatusChange(
        to=session.change_to,
        date_completed=session.date_completed,
        due=session.new_due_date,
        by=session.changed_by,
        note=session.change_note,
        reason=session.reason,
        source="batch",
    )


def _record(changes: ChangeSet, applied: AppliedChange, clear_inputs: bool) -> None:
    row = applied.session.row.number
    if clear_inputs:
        for column in SESSION_INPUTS:
            changes.set(SESSIONS.name, row, column, None)
    for column, value in applied.updates.items():  # after the inputs: Held Since, Hold Reason and the rest
        changes.set(SESSIONS.name, row, column, value)
    changes.append(NOTES.name, applied.note)


def validate(studio: Studio, today: dt.date, fill: SheetFill | None = None) -> Outcome:
    """Check the workflow and the data, and try every pending change without applying it; with `fill` (how far
    down the growing sheets are used), warn of those 95% full before a run is refused for passing Excel's last row."""
    changes = _structure(studio)
    ctx = studio.context(today)
    extra = []
    for session in studio.sessions:
        if session.has_pending_change:
            try:
                plan_status_change(session, _pending_change(session), ctx)
            except ChangeRejected as rejected:
                extra.append(rejected.problem)
    if fill is not None:
        names = {name: table.sheet for name, table in studio.tables.items()}
        extra += fill_warnings(fill, names, len(studio.problems) + len(extra), today, _oldest_note(studio))
    return _finish("validate", studio, changes, extra)


def _oldest_note(studio: Studio) -> dt.date | None:
    """The first Notes row's day, from the rows read with its header (Notes is never read whole here)."""
    notes = studio.tables.get(NOTES.name)
    if notes is None or not isinstance(notes.rows, list) or not notes.rows:
        return None
    value = notes.rows[0].get("Logged At")
    try:
        return (
            value.date()
            if isinstance(value, dt.datetime)
            else read_date(value, studio.settings.date_order, notes.date1904)
        )
    except CellValueError:
        return None


def apply_pending(studio: Studio, today: dt.date, source: str = "batch", now: dt.datetime | None = None) -> Outcome:
    """Apply every row whose Change To is filled; each row stands alone. The run ends on the final state: every
    session's due date, Flag and Days Overdue as a refresh would leave them (date-based triggers wait for one)."""
    done = _apply_each("apply", studio, _pending_requests(studio, source), today, now, clear_inputs=True)
    return _settled(done, studio, today, now, fire=False)


def _pending_requests(studio: Studio, source: str) -> list[tuple[Session, StatusChange]]:
    requests = []
    for session in studio.sessions:
        if session.has_pending_change:
            request = _pending_change(session)
            request.source = source
            requests.append((session, request))
    return requests


def _apply_each(
    command: str,
    studio: Studio,
    requests: list[tuple[Session, StatusChange]],
    today: dt.date,
    now: dt.datetime | None,
    clear_inputs: bool,
) -> Outcome:
    """Each session's change is all or nothing, and one refused does not stop the others."""
    changes = _structure(studio)
    ctx = studio.context(today, now)
    applied, extra, warned = [], [], []
    for session, request in requests:
        try:
            done = plan_status_change(session, request, ctx)
        except ChangeRejected as rejected:
            extra.append(rejected.problem)
            continue
        _said_as(done, studio)
        _record(changes, done, clear_inputs=clear_inputs)
        warned += _unknown_changer(studio, done, request) + _unknown_reason(studio, done)
        applied.append(done)
    for done in applied:
        _carry(done, studio, cleared=clear_inputs)
    # a hold or a resume is no status change: the status's change triggers don't fire again
    watched = [_state_after(done) for done in applied if not done.kind and studio.triggers.of(done.to)]
    tasks, messages, found = _fire_triggers(studio, changes, watched, today, now)
    return _finish(
        command,
        studio,
        changes,
        extra + warned + found,
        applied=applied,
        rejected=len(extra),
        tasks=tasks,
        messages=messages,
        said=applied_words(len(applied), len(extra)),
        notes=[line for done in applied if (line := _hold_words(done, studio))],
    )


def _hold_words(done: AppliedChange, studio: Studio) -> str:
    """What a hold, a resume or a change that ended a hold did, in a line for the studio owner ("" for others)."""
    order = studio.settings.date_order
    who = f"session {done.session.session_id}"
    left = "" if done.days_left is None else f", {done.days_left} business day{'' if done.days_left == 1 else 's'}"
    if done.kind == HOLD_WORD:
        why = f" ({done.updates['Hold Reason']})" if done.updates.get("Hold Reason") else ""
        held = done.updates["Held Since"]
        return (
            f"{who} is on hold in {done.to.description} since {format_date(held, order)}{why}{left} left"
            " — its clock is stopped until Change To says resume (or a status)"
        )
    if done.kind == RESUME_WORD:
        due = f", due {format_date(done.due_date, order)}" if done.due_date else ""
        return f"{who} resumed in {done.to.description}{left} left{due}"
    if done.held_since is not None:
        why = f" ({done.hold_reason})" if done.hold_reason else ""
        return (
            f"{who}: the hold since {format_date(done.held_since, order)}{why} ended with the move to "
            f"{done.to.description}"
        )
    return ""


def change_session(
    studio: Studio, session_id: str, request: StatusChange, today: dt.date, now: dt.datetime | None = None
) -> Outcome:
    """One session's status change, as the Status Change window does it."""
    changes = _structure(studio)
    session = studio.find_session(session_id)
    sheet = studio.tables[SESSIONS.name].sheet
    if session is None:
        raise LookupError(f'there is no session "{session_id}" on the {sheet} sheet — check its Session ID')
    rows = studio.duplicate_ids.get(session_key(session_id))
    if rows:
        raise LookupError(
            f'Session ID "{session.session_id}" is used on {_listed([f"row {n}" for n in rows])} of the {sheet} '
            "sheet, so sheetflow can't tell which session to change — give every session its own ID; nothing "
            "was changed"
        )
    try:
        done = plan_status_change(session, request, studio.context(today, now))
    except ChangeRejected as rejected:
        return _finish("change", studio, changes, [rejected.problem], rejected=1, said=applied_words(0, 1))
    _said_as(done, studio)
    _record(changes, done, clear_inputs=False)
    _carry(done, studio, cleared=False)  # so Problems judges the session as the change left it
    states = [] if done.kind else [_state_after(done)]  # a hold or a resume fires no status-change trigger
    tasks, messages, found = _fire_triggers(studio, changes, states, today, now)
    found = _unknown_changer(studio, done, request) + _unknown_reason(studio, done) + found
    outcome = _finish(
        "change",
        studio,
        changes,
        found,
        applied=[done],
        tasks=tasks,
        messages=messages,
        said=applied_words(1, 0),
        notes=[line for line in [_hold_words(done, studio)] if line],
    )
    if studio.partial:  # the other sessions were not read: their rows on Problems stay as the last run left them
        changes.problems = _unique(outcome.problems + _other_sessions_problems(studio, session))
    return outcome  # its problems (the summary, the exit code): this session's and the workbook's own


def _said_as(done: AppliedChange, studio: Studio) -> None:
    done.date_order = studio.settings.date_order  # the change's line says its due date as the studio types dates


def _unknown_changer(studio: Studio, done: AppliedChange, request: StatusChange) -> list[Problem]:
    """Who made the change (--by, Changed By), when not on the Users list: a warning at the Updated By cell it
    was written to — the change still goes in."""
    found = unknown_user(request.by, studio.lists.users, "Updated By")
    return _change_warning(done, "Updated By", found, "the change was made all the same")


def _unknown_reason(studio: Studio, done: AppliedChange) -> list[Problem]:
    """A change's reason that is not on the Reasons list: a warning at the Reason cell (the reason goes into Notes
    as typed, and the cell is cleared) — for a hold at Hold Reason, where it stays — naming the closest reason."""
    column = "Hold Reason" if done.kind == HOLD_WORD else "Reason"
    found = unknown_reason(str(done.note.get("Reason") or ""), studio.reasons, column)
    still = "the session is on hold, with the reason as typed" if done.kind == HOLD_WORD else "the change was made"
    return _change_warning(done, column, found, f"{still}, and Notes has the reason as typed")


def _change_warning(done: AppliedChange, column: str, found: tuple[str, str] | None, still: str) -> list[Problem]:
    """A name the lists don't know, said at the session's cell; the change itself went in."""
    if found is None:
        return []
    message, fix = found
    row = done.session.row
    return [
        Problem(
            row.table.sheet,
            row.cell(column),
            f"session {done.session.session_id}: {message}",
            f"{fix} ({still})",
            Severity.WARNING,
        )
    ]


def _other_sessions_problems(studio: Studio, session: Session) -> list[Problem]:
    """The Problems sheet's rows about other Sessions rows, as they stand (read whole for a one-session change)."""
    problems_table = studio.tables.get(PROBLEMS.name)
    sessions = studio.tables[SESSIONS.name]
    if problems_table is None or not isinstance(problems_table.rows, list):
        return []
    kept = []
    for row in problems_table.rows:
        sheet, _, cell = str(row.get("Where") or "").rpartition("!")
        number = int("".join(ch for ch in cell if ch.isdigit()) or 0)
        if sheet != sessions.sheet or number in (0, session.row.number) or number > sessions.last_row:
            continue  # not a Sessions cell, this session's own, or a row that holds no session any more
        severity = Severity.WARNING if str(row.get("Severity")).strip() == Severity.WARNING.value else Severity.ERROR
        kept.append(Problem(sheet, cell, str(row.get("Problem") or ""), str(row.get("How to fix") or ""), severity))
    return kept


def change_rows(
    studio: Studio, rows: list[int], today: dt.date, source: str = "button", now: dt.datetime | None = None
) -> Outcome:
    """The Status Change window for the sessions on the selected rows: each moves to its next status; then, as
    apply does, every session refreshed as the changes left them."""
    wanted = set(rows)
    requests = [
        (session, StatusChange(source=source, input_column="Status"))
        for session in studio.sessions
        if session.row.number in wanted
    ]
    done = _apply_each("change", studio, requests, today, now, clear_inputs=False)
    return _settled(done, studio, today, now, fire=False)


def refresh(studio: Studio, today: dt.date, now: dt.datetime | None = None, fire: bool = True) -> Outcome:
    """Recompute non-manual due dates from the current definitions and calendar; rewrite Flag and Days Overdue;
    fire the triggers whose day has come (unless `fire` is False); report every pending change that would be
    refused, as validate does (Problems is rewritten: nothing true may drop off it)."""
    changes = _structure(studio)
    extra: list[Problem] = []
    ctx = studio.context(today, now)
    overdue = due_soon = 0
    calendar, soon = studio.calendar, studio.settings.due_soon_days
    watched_statuses = studio.triggers.watching  # most sessions sit in statuses no trigger watches: one look-up
    watched: list[SessionState] = []
    board = BoardTally(studio.workflow, studio.lists, today)
    for session in studio.sessions:
        row = session.row
        status = session.status
        updates: dict[str, object] = {}
        if status is not None and session.raw_status != status.description:
            updates["Status"] = status.description
        due = session.due_date
        if status is not None and not session.manual_due and "Manual Due" not in session.unreadable:
            if status.typical_duration is None:
                due = None
            elif session.status_date is not None:
                due = calendar.add_business_days(session.status_date, status.typical_duration)
            elif "Status Date" not in session.unreadable:
                extra.append(
                    Problem(
                        row.table.sheet,
                        row.cell("Status Date"),
                        f"session {session.session_id} has no Status Date, so its due date can't be worked out",
                        "type the date the session entered its status",
                        Severity.WARNING,
                    )
                )
            if due != session.due_date or "Due Date" in session.unreadable:
                updates["Due Date"] = due
            if session.manual_due_blank:
                updates["Manual Due"] = NO
        elif "Due Date" in session.unreadable:
            due = None
        held = session.held_since is not None and status is not None
        flag, days = flag_for(due, bool(status and status.final), today, calendar, soon, held=held)
        overdue += flag == FLAG_OVERDUE
        due_soon += flag == FLAG_DUE_SOON
        board.add(session, due, flag, days)
        if session.raw_flag != flag:
            updates["Flag"] = flag
        if _number(session.raw_days_overdue) != days:
            updates["Days Overdue"] = days
        for column, value in updates.items():
            changes.set(SESSIONS.name, row.number, column, value)
        if watched_statuses and id(status) in watched_statuses:
            # while on hold, nothing is due: its due-date triggers (overdue tasks, chasers) wait for the resume
            watched.append(
                SessionState(session, status, session.status_date, None if held else due, session.assigned_to)
            )
        if session.change_to:
            try:
                plan_status_change(session, _pending_change(session), ctx)
            except ChangeRejected as rejected:
                extra.append(rejected.problem)
    tasks, messages, found = _fire_triggers(studio, changes, watched if fire else [], today, now)
    changes.dashboard = Dashboard(board.board())  # the board only: refresh never reads the Notes history
    return _finish(
        "refresh",
        studio,
        changes,
        extra + found,
        overdue=overdue,
        due_soon=due_soon,
        tasks=tasks,
        messages=messages,
        said=[flag_words(overdue, due_soon)],
    )


def _number(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def apply_and_refresh(
    studio: Studio, today: dt.date, source: str = "button", now: dt.datetime | None = None
) -> Outcome:
    """Run main: the pending changes, then a refresh of every session as they stand after them — one read, one
    write (inside Excel a second read would not see the first run's writes, and triggers would fire twice)."""
    done = _apply_each("main", studio, _pending_requests(studio, source), today, now, clear_inputs=True)
    return _settled(done, studio, today, now, fire=True, say_flags=True)


def _settled(
    done: Outcome, studio: Studio, today: dt.date, now: dt.datetime | None, fire: bool, say_flags: bool = False
) -> Outcome:
    """A run's changes followed by a refresh of every session as they left them (SPEC §7: every run ends on the
    final state), merged into one ChangeSet; Problems is what is wrong after both. The summary says what `done`
    said, and the refresh's flags too when `say_flags` (Run main)."""
    refreshed = refresh(studio, today, now, fire=fire)
    changes = done.changes
    changes.merge(refreshed.changes)
    found = done.found + refreshed.found
    problems = _unique(_still_true(studio, changes) + found)
    changes.problems = problems
    return Outcome(
        command=done.command,
        changes=changes,
        problems=problems,
        found=found,
        applied=done.applied,
        rejected=done.rejected,
        overdue=refreshed.overdue,
        due_soon=refreshed.due_soon,
        tasks=done.tasks + refreshed.tasks,
        messages=done.messages + refreshed.messages,
        said=done.said + (refreshed.said if say_flags else []),
        notes=done.notes + refreshed.notes,
    )


def _carry(done: AppliedChange, studio: Studio, cleared: bool = True) -> None:
    """The session as the applied change left it (its inputs `cleared` or kept), so what follows judges the new
    state: the refresh after it, and Problems (its dates are checked again)."""
    session, updates = done.session, done.updates
    studio.carried.append(session)
    session.unreadable = session.unreadable - set(updates)  # those cells now hold what sheetflow wrote
    if cleared:
        session.unreadable = session.unreadable - set(SESSION_INPUTS)
    session.held_since = updates.get("Held Since", session.held_since)
    if "Hold Reason" in updates:
        session.hold_reason = str(updates["Hold Reason"] or "")
    session.status = done.to
    session.raw_status = updates.get("Status", done.to.description)
    session.status_date = updates.get("Status Date", session.status_date)
    session.due_date = updates.get("Due Date", session.due_date)
    if "Manual Due" in updates:
        session.manual_due = updates["Manual Due"] == YES
        session.manual_due_blank = False
    session.assigned_to = updates.get("Assigned To") or session.assigned_to
    session.raw_flag = updates.get("Flag", session.raw_flag)
    session.raw_days_overdue = updates.get("Days Overdue", session.raw_days_overdue)
    if cleared:
        session.change_to = ""
        session.date_completed = session.new_due_date = None
        session.changed_by = session.change_note = ""
    if cleared or "Reason" in updates:
        session.reason = str(updates.get("Reason") or "")
