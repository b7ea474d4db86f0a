"""The status list's maintenance, as the vendors' Session Status Maintenance window does it: renumber, move up or
down, set the Initial or Final status, make a status inactive, delete, rename. (Filling the Holidays sheet is
holiday_sheet.py's.)

Every operation keeps sessions, triggers and history consistent: it refuses (a Problem at the cell to look at,
nothing written) what would leave a session or a trigger pointing at nothing, and returns cell writes otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .cells import CellValueError, address, display, is_blank, normalize, read_bool, read_text, read_whole
from .cycle import Cycle, Status
from .problems import Problem, Severity, WorkbookError
from .schema import NO, NOTES, SESSIONS, STATUSES, TRIGGERS, YES
from .sessions import Session
from .studio import ChangeSet, Outcome, Studio
from .tables import Row, Table, missing_table

ROLES = {"initial": "Initial", "final": "Final"}
DIRECTIONS = ("up", "down")
MAX_ROWS_NAMED = 10  # a message names this many rows, then says how many more


@dataclass
class ListOutcome(Outcome):
    """An Outcome whose summary says what was done to the list (or that nothing was)."""

    done: str = ""

    @property
    def summary(self) -> str:
        return "; ".join(part for part in (self.done or "nothing changed", super().summary) if part)


# -- finding statuses ------------------------------------------------------------------------------------------


def find_status(studio: Studio, name: str, session_type: str = "") -> tuple[Cycle, Status]:
    """The status a name means; with statuses by type, session_type picks the cycle where the name is ambiguous."""
    if not studio.workflow.cycles:
        raise WorkbookError("the Statuses sheet has no statuses yet — add the steps of your workflow there first")
    cycles = _scope(studio, session_type)
    found = [(cycle, status) for cycle in cycles if (status := cycle.find(name)) is not None]
    if not found:
        where = cycles[0].label if len(cycles) == 1 else "any cycle"
        descriptions = [s.description for c in cycles for s in c.statuses]
        known = _names(descriptions, "and")
        are = "the only status is" if len(descriptions) == 1 else "the statuses are:"
        raise WorkbookError(f'"{display(name)}" is not a status of {where} — {are} {known}')
    if len(found) > 1:
        types = [cycle.session_type for cycle, _ in found]
        raise WorkbookError(
            f'"{display(name)}" is a status of the {_names(types, "and")} cycles — say which session '
            f"type's cycle you mean (--type {types[0]})"
        )
    return found[0]


def _names(names: Iterable[str], last: str = "or", limit: int = 12) -> str:
    items = [f'"{n}"' if " " in n else n for n in names]
    if not items:
        return "(none)"
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" … ({len(items) - limit} more)"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} {items[-1]}"


def _rows_named(sheet: str, rows: list[int]) -> str:
    """'Sessions rows 4, 7 and 12' (the first few, then how many more)."""
    rows = sorted(set(rows))
    shown = [str(r) for r in rows[:MAX_ROWS_NAMED]]
    more = len(rows) - len(shown)
    if more:
        return f"{sheet} rows {', '.join(shown)} and {more} more"
    if len(shown) == 1:
        return f"{sheet} row {shown[0]}"
    return f"{sheet} rows {', '.join(shown[:-1])} and {shown[-1]}"


def _session_rows(studio: Studio, sessions: list[Session]) -> str:
    """'Sessions rows 4 and 7', by the name of the sheet the sessions are on (the studio's own, after init)."""
    return _rows_named(studio.tables[SESSIONS.name].sheet, [s.row.number for s in sessions])


def plural(n: int, word: str) -> str:
    """How every summary counts things: "1 status", "3 statuses"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('s') else 's'}"


def agree(n: int, one: str, many: str) -> str:
    """The verb (or words) that go with a count: agree(1, "stays", "stay") — "1 session stays", "2 sessions stay"."""
    return one if n == 1 else many


def _statuses_table(studio: Studio) -> Table:
    return studio.tables[STATUSES.name]


def _cell(studio: Studio, status: Status, column: str) -> str:
    return address(status.row, _statuses_table(studio).column_of(column))


def _statuses_rows(studio: Studio) -> dict[int, Row]:
    return {row.number: row for row in _statuses_table(studio).rows}


def _with_columns(studio: Studio, changes: ChangeSet, columns: Iterable[str]) -> None:
    """Statuses columns an operation writes that the sheet lacks are added at the right end of its header row."""
    table = _statuses_table(studio)
    missing = table.plan_missing([c for c in STATUSES.columns if c in set(columns)])
    if missing:
        changes.new_columns[STATUSES.name] = missing


def _refused(problems: list[Problem]) -> ListOutcome:
    return ListOutcome(command="statuses", changes=ChangeSet(), problems=problems, rejected=1)


def _done(
    changes: ChangeSet, done: str, problems: list[Problem] | None = None, notes: list[str] | None = None
) -> ListOutcome:
    return ListOutcome(command="statuses", changes=changes, problems=problems or [], done=done, notes=notes or [])


def _scope(studio: Studio, session_type: str) -> list[Cycle]:
    if studio.workflow.by_type and session_type.strip():
        cycle = studio.workflow.cycle_for(session_type)
        if cycle is None:
            types = [c.session_type for c in studio.workflow.cycles.values()]
            are = "the only cycle is" if len(types) == 1 else "the cycles are:"
            raise WorkbookError(
                f'no status cycle for session type "{display(session_type)}" — {are} {_names(types, "and")}'
            )
        return [cycle]
    return list(studio.workflow.cycles.values())


def left_out(studio: Studio) -> list[str]:
    """Rows with a description that belong to no cycle (a repeated description, no session type): validate names
    them; the list operations leave them as they are."""
    placed = {s.row for s in studio.workflow.all_statuses()}
    return [
        f'Statuses row {row.number} ("{display(row.get("Description"))}") is in no cycle and was left as it was '
        "— sheetflow validate says why"
        for row in _statuses_table(studio).rows
        if row.number not in placed and not is_blank(row.get("Description"))
    ]


# -- sessions and triggers that name a status ------------------------------------------------------------------


def _sessions_using(studio: Studio, cycle: Cycle, status: Status) -> tuple[list[Session], list[Session]]:
    """(sessions in the status, sessions whose Change To names it)."""
    in_it = [s for s in studio.sessions if s.status is status]
    heading = [s for s in studio.sessions if s.change_to and s.cycle is cycle and cycle.find(s.change_to) is status]
    return in_it, heading


@dataclass
class TriggerUse:
    row: Row
    shared: list[Cycle]  # for a trigger of every session type: other cycles that still have a status of that name


def _triggers_naming(studio: Studio, cycle: Cycle, status: Status) -> list[TriggerUse]:
    """Triggers rows whose Status is this status: with statuses by type, those of its session type, and those of
    every type (blank Session Type), which may name a same-named status of another cycle too."""
    table = studio.tables.get(TRIGGERS.name) or missing_table(TRIGGERS.name)
    if not table.exists or not table.has("Status"):
        return []
    found = []
    for row in table.rows:
        if normalize(row.get("Status")) != status.key:
            continue
        if not studio.workflow.by_type:
            found.append(TriggerUse(row, []))
            continue
        trigger_type = read_text(row.get("Session Type"))
        if not trigger_type:
            others = [c for c in studio.workflow.cycles.values() if c is not cycle and c.find(status.description)]
            found.append(TriggerUse(row, others))
        elif normalize(trigger_type) == normalize(cycle.session_type):
            found.append(TriggerUse(row, []))
    return found


# -- the list operations ---------------------------------------------------------------------------------------


def renumber(studio: Studio, step: int = 10, session_type: str = "") -> ListOutcome:
    """Sort orders become step, 2×step, 3×step … in each cycle, the order kept (ties by row, blanks last)."""
    if step < 1:
        raise WorkbookError(f"the step must be a whole number of 1 or more, not {step}")
    changes = ChangeSet()
    changed = total = 0
    rows = _statuses_rows(studio)
    for cycle in _scope(studio, session_type):
        for position, status in enumerate(cycle.statuses, start=1):
            total += 1
            number = step * position
            raw = rows[status.row].get("Sort Order")
            if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw == number:
                continue  # a number typed as text becomes a number too
            changes.set(STATUSES.name, status.row, "Sort Order", number)
            changed += 1
    done = (
        f"renumbered {changed} of {plural(total, 'status')}"
        if changed
        else f"the one status was already numbered {step}"
        if total == 1
        else f"all {plural(total, 'status')} were already numbered {step}, {2 * step}, {3 * step} …"
    )
    tidy(studio, changes)
    return _done(changes, done, notes=left_out(studio))


def move(studio: Studio, name: str, direction: str, session_type: str = "") -> ListOutcome:
    """Move Up / Move Down: the status swaps sort orders with its neighbour in its cycle, and the two rows swap
    places on the sheet."""
    if direction not in DIRECTIONS:
        raise WorkbookError(f'move a status "up" or "down", not "{display(direction)}"')
    cycle, status = find_status(studio, name, session_type)
    at = cycle.statuses.index(status)
    other_at = at - 1 if direction == "up" else at + 1
    if not 0 <= other_at < len(cycle.statuses):
        edge = "first" if direction == "up" else "last"
        return _done(
            ChangeSet(),
            "",
            [
                Problem(
                    STATUSES.name,
                    _cell(studio, status, "Sort Order"),
                    f'"{status.description}" is already the {edge} status of {cycle.label}',
                    f"nothing to move; move another status {direction} instead",
                    Severity.WARNING,
                )
            ],
        )
    other = cycle.statuses[other_at]
    for s in (status, other):
        if s.sort_order is None:
            return _refused(
                [
                    Problem(
                        STATUSES.name,
                        _cell(studio, s, "Sort Order"),
                        f'"{s.description}" has no sort order, so it can\'t swap places',
                        "run sheetflow statuses renumber first (it keeps the order and fills the gaps)",
                    )
                ]
            )
    if status.sort_order == other.sort_order:
        return _refused(
            [
                Problem(
                    STATUSES.name,
                    _cell(studio, status, "Sort Order"),
                    f'"{status.description}" and "{other.description}" share Sort Order '
                    f"{status.sort_order}, so swapping them changes nothing",
                    "run sheetflow statuses renumber first (it keeps the order and fills the gaps)",
                )
            ]
        )
    changes = ChangeSet()
    changes.set(STATUSES.name, status.row, "Sort Order", other.sort_order)
    changes.set(STATUSES.name, other.row, "Sort Order", status.sort_order)
    tidy(studio, changes)
    where = "before" if direction == "up" else "after"
    return _done(
        changes,
        f'"{status.description}" moved {direction}, now {where} "{other.description}" (Sort Order {other.sort_order})',
    )


def set_role(studio: Studio, name: str, role: str, session_type: str = "") -> ListOutcome:
    """Make a status the cycle's Initial or Final one; the previous one is unset, as the manuals describe."""
    word = ROLES.get(role)
    if word is None:
        raise WorkbookError(f'a status can be made "initial" or "final", not "{display(role)}"')
    cycle, status = find_status(studio, name, session_type)
    others = [s for s in cycle.statuses if getattr(s, role) and s is not status]
    if getattr(status, role) and not others:
        return _done(ChangeSet(), f'"{status.description}" is already the {word} status of {cycle.label}')
    if status.inactive:
        return _refused(
            [
                Problem(
                    STATUSES.name,
                    _cell(studio, status, "Inactive"),
                    f'"{status.description}" is inactive, and the {word} status must be active',
                    f'make it active first (sheetflow statuses active "{status.description}")',
                )
            ]
        )
    opposite = "final" if role == "initial" else "initial"
    if getattr(status, opposite) and len(cycle.statuses) > 1:
        return _refused(
            [
                Problem(
                    STATUSES.name,
                    _cell(studio, status, word),
                    f'"{status.description}" is the {ROLES[opposite]} status of {cycle.label}; a cycle '
                    "starts and ends at different steps",
                    f"make another status {ROLES[opposite]} first, then this one {word}",
                )
            ]
        )
    changes = ChangeSet()
    _with_columns(studio, changes, [word])
    for previous in others:
        changes.set(STATUSES.name, previous.row, word, NO)
    if not getattr(status, role):
        changes.set(STATUSES.name, status.row, word, YES)
    notes = []
    if role == "final":
        at_old_end = [s for s in studio.sessions if any(s.status is p for p in others)]
        if at_old_end:
            notes.append(
                f"{plural(len(at_old_end), 'session')} at the previous Final status "
                f"({_names([p.description for p in others], 'and')}) can now move on and be flagged overdue — "
                "run sheetflow refresh"
            )
    was = f" (was {_names([p.description for p in others], 'and')})" if others else ""
    return _done(changes, f'"{status.description}" is now the {word} status of {cycle.label}{was}', notes=notes)


def set_inactive(studio: Studio, name: str, inactive: bool = True, session_type: str = "") -> ListOutcome:
    """Tick or clear Inactive. Sessions already in an inactive status stay valid; the Initial and Final statuses
    must stay active (SPEC §2), so making them inactive is refused."""
    cycle, status = find_status(studio, name, session_type)
    state = "inactive" if inactive else "active"
    if status.inactive == inactive:
        return _done(ChangeSet(), f'"{status.description}" is already {state}')
    if inactive:
        for role, word in ROLES.items():
            if getattr(status, role):
                return _refused(
                    [
                        Problem(
                            STATUSES.name,
                            _cell(studio, status, "Inactive"),
                            f'"{status.description}" is the {word} status of {cycle.label}, which must stay active',
                            f"make another status {word} first (sheetflow statuses {role} NAME), "
                            "then this one inactive",
                        )
                    ]
                )
    changes = ChangeSet()
    _with_columns(studio, changes, ["Inactive"])
    changes.set(STATUSES.name, status.row, "Inactive", YES if inactive else NO)
    problems, notes = [], []
    if inactive:
        in_it, heading = _sessions_using(studio, cycle, status)
        if in_it:
            notes.append(
                f"{plural(len(in_it), 'session')} still in it {agree(len(in_it), 'stays', 'stay')} there until "
                "moved on "
                f"({_session_rows(studio, in_it)})"
            )
        if heading:
            problems.append(
                Problem(
                    STATUSES.name,
                    _cell(studio, status, "Inactive"),
                    f"{plural(len(heading), 'session')} {agree(len(heading), 'has', 'have')} "
                    f'"{status.description}" in Change To '
                    f"({_session_rows(studio, heading)}); an inactive "
                    "status is never a target, so apply will refuse those changes",
                    f"pick another status in {agree(len(heading), 'its', 'their')} Change To",
                    Severity.WARNING,
                )
            )
    return _done(changes, f'"{status.description}" is now {state}', problems, notes)


def delete(studio: Studio, name: str, session_type: str = "") -> ListOutcome:
    """Take a status's row out of the Statuses sheet (the rows below move up) — refused while sessions or triggers
    use it, or while it is the cycle's Initial or Final status; an unused status that should stay in the history
    can be made inactive."""
    cycle, status = find_status(studio, name, session_type)
    problems = [p for p in (_used_by_sessions(studio, cycle, status), _named_by_triggers(studio, cycle, status)) if p]
    problems += _roles_held(studio, cycle, status)
    if problems:
        return _refused(problems)
    changes = ChangeSet()
    tidy(studio, changes, removed=status.row)
    notes = ["the rows below it moved up"]
    own = _own_columns_kept(studio, status)
    if own:
        notes.append(f"your own {agree(len(own), 'column', 'columns')} on that row went with it: {_names(own, 'and')}")
    return _done(changes, f'"{status.description}" deleted from {cycle.label}', notes=notes)


def _used_by_sessions(studio: Studio, cycle: Cycle, status: Status) -> Problem | None:
    """Sessions in the status or heading to it would point at nothing once it is gone."""
    in_it, heading = _sessions_using(studio, cycle, status)
    users = in_it + [s for s in heading if s not in in_it]
    if not users:
        return None
    detail = []
    if in_it:
        detail.append(f"{len(in_it)} in it")
    if heading:
        detail.append(f"{len(heading)} with it in Change To")
    return Problem(
        STATUSES.name,
        _cell(studio, status, "Description"),
        f'"{status.description}" is used by {plural(len(users), "session")} '
        f"({', '.join(detail)}: {_session_rows(studio, users)})",
        "move those sessions to another status first, or make the status inactive instead "
        f'(sheetflow statuses inactive "{status.description}")',
    )


def _named_by_triggers(studio: Studio, cycle: Cycle, status: Status) -> Problem | None:
    """Triggers naming only this status would never fire again (one still matching another cycle is left be)."""
    triggers = [t for t in _triggers_naming(studio, cycle, status) if not t.shared]
    if not triggers:
        return None
    return Problem(
        STATUSES.name,
        _cell(studio, status, "Description"),
        f'"{status.description}" is named by {plural(len(triggers), "trigger")} '
        f"({_rows_named(TRIGGERS.name, [t.row.number for t in triggers])})",
        "point those triggers at another status, or clear them, first",
    )


def _roles_held(studio: Studio, cycle: Cycle, status: Status) -> list[Problem]:
    """A cycle always needs its Initial and Final status, so the one holding either role stays."""
    return [
        Problem(
            STATUSES.name,
            _cell(studio, status, word),
            f'"{status.description}" is the {word} status of {cycle.label}',
            f"make another status {word} first (sheetflow statuses {role} NAME)",
        )
        for role, word in ROLES.items()
        if getattr(status, role)
    ]


def _own_columns_kept(studio: Studio, status: Status) -> list[str]:
    """The studio's own (non-schema) columns with a value on the status's row: delete takes them too, and says so."""
    table = _statuses_table(studio)
    row = _statuses_rows(studio).get(status.row)
    known = {normalize(column) for column in STATUSES.columns}
    return [
        header
        for col, header in sorted(table.headers.items())
        if normalize(header) not in known
        and row is not None
        and col <= len(row.values)
        and not is_blank(row.values[col - 1])
    ]


def rename(
    studio: Studio, old: str, new: str, session_type: str = "", now: dt.datetime | None = None, by: str = ""
) -> ListOutcome:
    """Rename a status everywhere it is named: its Description, the sessions' Status and Change To, the triggers;
    Notes rows are never rewritten — one Notes row records the rename, so the history can be read across it."""
    new = new.strip()
    if not new:
        raise WorkbookError("the new name is blank — type the status's new description")
    cycle, status = find_status(studio, old, session_type)
    if new == status.description:
        return _done(ChangeSet(), f'"{status.description}" already has that name')
    clash = _name_taken(studio, cycle, status, new)
    if clash is not None:
        return _refused([clash])
    changes = ChangeSet()
    changes.set(STATUSES.name, status.row, "Description", new)
    in_it, heading = _rename_in_sessions(studio, cycle, status, new, changes)
    problems: list[Problem] = []
    renamed_triggers = _rename_in_triggers(studio, cycle, status, new, changes, problems)
    problems += _same_name_elsewhere(studio, cycle, status, new)
    note = _log_rename(studio, cycle, status, new, changes, now, by)
    notes = [
        f"updated the Status of {plural(len(in_it), 'session')}, the Change To of {len(heading)} and "
        f"{plural(renamed_triggers, 'trigger')}; a new Notes row records the rename (older rows keep the old "
        "name)"
    ]
    return _done(changes, note, problems, notes)


def _name_taken(studio: Studio, cycle: Cycle, status: Status, new: str) -> Problem | None:
    """Two statuses of one cycle can't share a name: sessions would not know which they are in."""
    clash = cycle.find(new)
    if clash is None or clash is status:
        return None
    return Problem(
        STATUSES.name,
        _cell(studio, clash, "Description"),
        f'"{clash.description}" is already a status of {cycle.label}',
        "pick another name, or rename or delete that status first",
    )


def _rename_in_sessions(
    studio: Studio, cycle: Cycle, status: Status, new: str, changes: ChangeSet
) -> tuple[list[Session], list[Session]]:
    """Write the new name into the sessions' Status and Change To; return (sessions in it, sessions heading to it)."""
    in_it, heading = _sessions_using(studio, cycle, status)
    for session in in_it:
        changes.set(SESSIONS.name, session.row.number, "Status", new)
    for session in heading:
        changes.set(SESSIONS.name, session.row.number, "Change To", new)
    return in_it, heading


def _rename_in_triggers(
    studio: Studio, cycle: Cycle, status: Status, new: str, changes: ChangeSet, problems: list[Problem]
) -> int:
    """Rename the status in the triggers naming it, and count them; one shared with another cycle keeps the old name."""
    renamed = 0
    for use in _triggers_naming(studio, cycle, status):
        if use.shared:
            problems.append(
                Problem(
                    TRIGGERS.name,
                    use.row.cell("Status"),
                    f'this trigger (every session type) names "{status.description}", still a status '
                    f"of the {_names([c.session_type for c in use.shared], 'and')} "
                    f"{agree(len(use.shared), 'cycle', 'cycles')}; the "
                    f'{cycle.session_type} status is now "{new}"',
                    f'add a {cycle.session_type} row for "{new}" if it should fire for those sessions too',
                    Severity.WARNING,
                )
            )
            continue
        changes.set(TRIGGERS.name, use.row.number, "Status", new)
        renamed += 1
    return renamed


def _same_name_elsewhere(studio: Studio, cycle: Cycle, status: Status, new: str) -> list[Problem]:
    """With statuses by type, a name another cycle also uses is allowed but warned about: hubs sort by name."""
    if not studio.workflow.by_type:
        return []
    elsewhere = [c for c in studio.workflow.cycles.values() if c is not cycle and c.find(new)]
    if not elsewhere:
        return []
    types = _names([c.session_type for c in elsewhere], "and")
    return [
        Problem(
            STATUSES.name,
            _cell(studio, status, "Description"),
            f'"{new}" is also a status of the {types} cycle',
            'prefix descriptions per type, e.g. "W-Session Pending", so hubs sort well',
            Severity.WARNING,
        )
    ]


def _log_rename(
    studio: Studio, cycle: Cycle, status: Status, new: str, changes: ChangeSet, now: dt.datetime | None, by: str
) -> str:
    """Append the Notes row that records the rename, so the history reads across it; return its note."""
    note = f'status renamed from "{status.description}" to "{new}"'
    if studio.workflow.by_type:
        note += f" ({cycle.session_type} cycle)"
    _ensure_notes(studio, changes)
    changes.append(
        NOTES.name,
        {
            "Logged At": now or dt.datetime.now().replace(microsecond=0),
            "Session ID": None,
            "Client": None,
            "From Status": status.description,
            "To Status": new,
            "Date Completed": None,
            "Due Date": None,
            "Updated By": by or None,
            "Source": "batch",
            "Note": note,
        },
    )
    return note


def _ensure_notes(studio: Studio, changes: ChangeSet) -> None:
    notes = studio.tables.get(NOTES.name)
    if notes is None or not notes.exists:
        changes.new_sheets.append(NOTES.name)
        return
    missing = notes.plan_missing(NOTES.columns)
    if missing:
        changes.new_columns[NOTES.name] = missing


# -- the list as it reads --------------------------------------------------------------------------------------


def listed(studio: Studio, hide_inactive: bool = False, session_type: str = "") -> list[Status]:
    """The statuses by cycle (in the order the sheet first names them) and sort order: what export and print show."""
    return [s for cycle in _scope(studio, session_type) for s in cycle.statuses if not (hide_inactive and s.inactive)]


def listed_row(studio: Studio, status: Status) -> dict[str, object]:
    """One status as the exported list shows it, in the Statuses sheet's column names."""
    return {
        "Session Type": status.session_type if studio.workflow.by_type else "",
        "Description": status.description,
        "Sort Order": status.sort_order,
        "Typical Duration": status.typical_duration,
        "Initial": YES if status.initial else NO,
        "Final": YES if status.final else NO,
        "Stage": status.stage,
        "Default User": status.default_user,
        "Inactive": YES if status.inactive else NO,
    }


# -- adding a status -------------------------------------------------------------------------------------------


def add(
    studio: Studio,
    name: str,
    after: str,
    duration: int | None = None,
    stage: str = "",
    user: str = "",
    session_type: str = "",
    role: str = "",
    inactive: bool = False,
) -> ListOutcome:
    """Add a status right after another in its cycle: a sort order between theirs (the cycle renumbered 10, 20,
    30 … when there is no whole number between), its row placed after that status's row."""
    name = name.strip()
    if not name:
        raise WorkbookError('the new status\'s name is blank — type a description such as "Album Design"')
    if duration is not None and duration < 0:
        raise WorkbookError(f"the typical duration is the business days the step takes: 0 or more, not {duration}")
    if role and role not in ROLES:
        raise WorkbookError(f'a status can be made "initial" or "final", not "{display(role)}"')
    if role and inactive:
        raise WorkbookError(f"the {ROLES[role]} status must be active — leave out --inactive, or --{role}")
    cycle, before = find_status(studio, after, session_type)
    problems = _add_problems(studio, cycle, name, stage, user)
    if problems:
        return _refused(problems)
    changes = ChangeSet()
    at = cycle.statuses.index(before)
    following = cycle.statuses[at + 1] if at + 1 < len(cycle.statuses) else None
    sort_order = _between(before, following)
    notes = []
    if sort_order is None:  # no room: the cycle becomes 10, 20, 30 …, the new status after `before`
        order = [*cycle.statuses[: at + 1], None, *cycle.statuses[at + 1 :]]
        for position, status in enumerate(order, start=1):
            if status is None:
                sort_order = 10 * position
            elif status.sort_order != 10 * position:
                changes.set(STATUSES.name, status.row, "Sort Order", 10 * position)
        notes.append(
            f'there was no sort order free after "{before.description}", so {cycle.label} was renumbered 10, 20, 30 …'
        )
    table = _statuses_table(studio)
    values: dict[str, object] = {
        "Session Type": cycle.session_type if studio.workflow.by_type else None,
        "Description": name,
        "Sort Order": sort_order,
        "Typical Duration": duration,
        "Stage": stage.strip() or None,
        "Default User": user.strip() or None,
    }
    flags = {"Initial": role == "initial", "Final": role == "final", "Inactive": inactive}
    for column, on in flags.items():
        values[column] = YES if on else (NO if table.has(column) else None)
    _with_columns(studio, changes, [c for c, v in values.items() if v is not None])
    if role:
        word = ROLES[role]
        for previous in cycle.statuses:
            if getattr(previous, role):
                changes.set(STATUSES.name, previous.row, word, NO)
                notes.append(f'"{previous.description}" is no longer the {word} status')
    done = f'"{name}" added to {cycle.label} after "{before.description}" (Sort Order {sort_order})'
    tidy(studio, changes, added=(before.row, {c: v for c, v in values.items() if v is not None}))
    return _done(changes, done, notes=notes + left_out(studio))


def _add_problems(studio: Studio, cycle: Cycle, name: str, stage: str, user: str) -> list[Problem]:
    """What would make the new row wrong: a name the cycle has, a stage or user not on the Lists sheet."""
    problems = []
    clash = cycle.find(name)
    if clash is not None:
        problems.append(
            Problem(
                STATUSES.name,
                _cell(studio, clash, "Description"),
                f'"{clash.description}" is already a status of {cycle.label}',
                "pick another name for the new status",
            )
        )
    for column, value, known, fix in (
        ("Stage", stage, studio.lists.stages, "add it to the Stage column of the Lists sheet first, or pick"),
        ("Default User", user, studio.lists.users, "add them to the User column of the Lists sheet first, or pick"),
    ):
        value = value.strip()
        if value and known and normalize(value) not in {normalize(k) for k in known}:
            problems.append(
                Problem(
                    STATUSES.name,
                    _statuses_table(studio).header_cell(column),
                    f'{column} "{display(value)}" is not on the Lists sheet',
                    f"{fix} one of {_names(known)}",
                )
            )
    return problems


def _between(before: Status, following: Status | None) -> int | None:
    """A whole sort order after `before` and before `following` (10 more at the end), or None: no room."""
    if before.sort_order is None:
        return None
    if following is None:
        return before.sort_order + 10
    if following.sort_order is None or following.sort_order - before.sort_order < 2:
        return None
    return (before.sort_order + following.sort_order) // 2


# -- the rows in sort order ------------------------------------------------------------------------------------


def _sort_key(value: object) -> float | None:
    try:
        number = read_whole(value, "Sort Order")
    except CellValueError:
        return None
    return None if number is None else float(number)


def tidy(
    studio: Studio,
    changes: ChangeSet,
    removed: int | None = None,
    added: tuple[int, dict[str, object]] | None = None,
) -> None:
    """Rewrite the Statuses rows so each cycle reads in sort order on the sheet, with no blank rows between them.

    The cell writes already in `changes` for Statuses are taken in first (a new sort order, a flag); `removed` is
    a row to leave out, `added` a new row's values to place after a row. Each cycle reads in its own sort order
    (ties by row): in the rows it had on the sheet, or with statuses by type in one block of rows per cycle (what
    the Sessions dropdowns of a type's statuses read), the cycles in the order the sheet first names them; rows in
    no cycle keep their place; blank rows close up and the rows left over at the end are blanked. Every column
    with a header moves with its row, the studio's own too; only cells whose value changes are written."""
    table = _statuses_table(studio)
    pending = changes.cells.pop(STATUSES.name, {})
    names = {col: header for col, header in table.headers.items()}
    for column in changes.new_columns.get(STATUSES.name, []):
        names[table.column_of(column)] = column
    names.update({table.column_of(c): c for c in STATUSES.columns if table.has(c)})  # sheetflow's (aliased) names

    def record(row: Row) -> dict[int, object]:
        values = _raw(row, names)
        for column, value in pending.get(row.number, {}).items():
            values[table.column_of(column)] = value
        return values

    sheet_rows = list(table.rows)
    current = {row.number: _raw(row, names) for row in sheet_rows}
    items: list[tuple[int | None, dict[int, object]]] = []  # (row it came from, its values), in sheet order
    for row in sheet_rows:
        if row.number != removed and any(not is_blank(v) for v in record(row).values()):
            items.append((row.number, record(row)))
        if added is not None and row.number == added[0]:
            items.append((None, {table.column_of(c): v for c, v in added[1].items()}))
    cycle_of = {s.row: cycle for cycle in studio.workflow.cycles.values() for s in cycle.statuses}
    sort_col = table.column_of("Sort Order")
    added_cycle = cycle_of.get(added[0]) if added else None

    def in_order(members: list[tuple[int | None, dict[int, object]]]) -> list[tuple[int | None, dict[int, object]]]:
        return sorted(
            members,
            key=lambda item: (
                (key := _sort_key(item[1].get(sort_col))) is None,
                key or 0,
                item[0] if item[0] is not None else added[0] + 0.5,  # type: ignore[index]
            ),
        )

    def cycle_at(i: int) -> Cycle | None:
        origin = items[i][0]
        return cycle_of.get(origin) if origin else added_cycle

    if studio.workflow.by_type:  # each cycle's rows together, the cycles as the sheet first names them
        slots = [i for i in range(len(items)) if cycle_at(i) is not None]
        ordered = [
            item
            for cycle in studio.workflow.cycles.values()
            for item in in_order([items[i] for i in slots if cycle_at(i) is cycle])
        ]
        for i, item in zip(slots, ordered, strict=True):
            items[i] = item
    else:
        for cycle in studio.workflow.cycles.values():
            slots = [i for i in range(len(items)) if cycle_at(i) is cycle]
            for i, item in zip(slots, in_order([items[i] for i in slots]), strict=True):
                items[i] = item
    first = table.header_row + 1
    last = max(table.last_row, table.header_row)
    for offset, (_, values) in enumerate(items):
        target = first + offset
        if target > last:
            changes.append(STATUSES.name, {names[c]: v for c, v in values.items() if not is_blank(v)})
            continue
        was = current.get(target, {})
        for col, value in values.items():
            if not _same(was.get(col), value):
                changes.set(STATUSES.name, target, names[col], value)
    for target in range(first + len(items), last + 1):
        for col, value in current.get(target, {}).items():
            if value is not None:  # an empty text too: the row is left with nothing in it
                changes.set(STATUSES.name, target, names[col], None)


def _raw(row: Row, names: dict[int, str]) -> dict[int, object]:
    return {col: (row.values[col - 1] if col <= len(row.values) else None) for col in names}


def _same(old: object, new: object) -> bool:
    if is_blank(old) and is_blank(new):
        return True
    if type(old) is not type(new) and not (isinstance(old, (int, float)) and isinstance(new, (int, float))):
        return False
    return old == new and not (isinstance(old, bool) ^ isinstance(new, bool))


# -- Hide Inactive ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InactiveRows:
    """The Statuses rows Hide Inactive hides, and what the others' Inactive cells show (what the filter keeps)."""

    rows: list[int]
    names: list[str]
    shown: frozenset[str]  # the Inactive cells' texts of the rows that stay ("" for a blank cell)


def _shown_text(value: object) -> str:
    """A cell's value as Excel shows it, which is what an autoFilter's values are compared with."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def inactive_rows(table: Table) -> InactiveRows:
    """The rows whose Inactive reads Yes (Y, True, 1, x); a row with an unreadable Inactive stays in view."""
    rows, names, shown = [], [], set()
    for row in table.rows:
        if row.is_blank(STATUSES.columns):
            continue
        value = row.get("Inactive")
        try:
            inactive = read_bool(value)
        except CellValueError:
            inactive = False
        if inactive:
            rows.append(row.number)
            names.append(read_text(row.get("Description")) or f"row {row.number}")
        else:
            shown.add(_shown_text(value))
    return InactiveRows(rows, names, frozenset(shown or {""}))


def inactive_filter_outcome(
    found: InactiveRows, hide: bool, rows_hidden: bool, filtered: bool, undo: str = "Show all statuses"
) -> ListOutcome:
    """What Hide Inactive (or Show all) says it did: which rows it hid, or why it could not."""
    sheet = STATUSES.name
    if not rows_hidden:
        how = "untick Yes in the filter on the Inactive header" if hide else "clear the filter on the Inactive header"
        done = (
            f"this Excel can't {'hide' if hide else 'show'} rows from Python: {how}, or run "
            f"sheetflow statuses {'hide-inactive' if hide else 'show-inactive'} on the saved file"
        )
        return _done(ChangeSet(), done)
    filter_words = ", a filter on Inactive showing only the active ones" if filtered else ""
    if not hide:
        done = f"every status shows on the {sheet} sheet again" + (
            " (the filter on Inactive is cleared)" if filtered else ""
        )
    elif not found.rows:
        done = f"no status is inactive, so every row of the {sheet} sheet shows{filter_words}"
    else:
        done = (
            f"hid {plural(len(found.rows), 'inactive status')} on the {sheet} sheet "
            f"({_names(found.names, 'and')}){filter_words}; {undo} brings them back"
        )
    return _done(ChangeSet(), done)
