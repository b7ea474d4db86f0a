"""Status definitions: the steps of a session's workflow (a cycle), one cycle per session type if asked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from .cells import CellValueError, address, display, normalize, read_bool, read_text, read_whole
from .problems import Problem, Severity, count_errors
from .schema import SETTINGS, STATUSES
from .tables import Row, Table

ONE_CYCLE = ""  # the cycle key when statuses are not by type
MAX_DURATION = 2600  # business days: ten years of a five-day week


@dataclass
class Status:
    description: str
    sort_order: int | None
    typical_duration: int | None  # business days; None: the status has no due date
    initial: bool = False
    final: bool = False
    stage: str = ""
    default_user: str = ""
    inactive: bool = False
    session_type: str = ""
    row: int = 0

    @property
    def key(self) -> str:
        return normalize(self.description)


@dataclass
class Cycle:
    """The statuses of one session type (or of every session), in sort order."""

    session_type: str
    statuses: list[Status] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_key: dict[str, Status] = {}
        self._found: dict[object, Status | None] = {}

    def add(self, status: Status) -> None:
        self._found.clear()
        self.statuses.append(status)
        self._by_key.setdefault(status.key, status)

    def sort(self) -> None:
        self.statuses.sort(key=lambda s: (s.sort_order is None, s.sort_order or 0, s.row))

    def find(self, name: object) -> Status | None:
        try:
            return self._found[name]  # the same few names, typed on thousands of rows
        except (KeyError, TypeError):
            found = self._by_key.get(normalize(name))
            if isinstance(name, str):
                self._found[name] = found
            return found

    @property
    def initial(self) -> Status | None:
        return next((s for s in self.statuses if s.initial and not s.inactive), None)

    @property
    def final(self) -> Status | None:
        return next((s for s in self.statuses if s.final and not s.inactive), None)

    def next_after(self, current: Status) -> Status | None:
        """The next active status by sort order: what the Status Change window offers."""
        if current.sort_order is None:
            return None
        later = [
            s
            for s in self.statuses
            if not s.inactive and s.sort_order is not None and s.sort_order > current.sort_order
        ]
        return later[0] if later else None

    @property
    def label(self) -> str:
        return f"the {self.session_type} cycle" if self.session_type else "the status cycle"


@dataclass
class Lists:
    session_types: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)


@dataclass
class Workflow:
    by_type: bool
    cycles: dict[str, Cycle] = field(default_factory=dict)
    # Statuses by type was just switched on over statuses that have no session type: the problems this causes on
    # every session and trigger are folded under the one at the Settings cell (fold_switch)
    switched_on: bool = False

    def cycle_for(self, session_type: object) -> Cycle | None:
        return self.cycles.get(normalize(session_type) if self.by_type else ONE_CYCLE)

    def all_statuses(self) -> list[Status]:
        return [s for cycle in self.cycles.values() for s in cycle.statuses]


def read_lists(table: Table) -> Lists:
    lists = Lists()
    for row in table.rows:
        for column, bucket in (("Session Type", lists.session_types), ("Stage", lists.stages), ("User", lists.users)):
            text = read_text(row.get(column))
            if text and normalize(text) not in {normalize(v) for v in bucket}:
                bucket.append(text)
    return lists


def read_workflow(table: Table, by_type: bool, lists: Lists, by_type_cell: str = "") -> tuple[Workflow, list[Problem]]:
    """Read the Statuses sheet and check it against SPEC §2; every problem names its cell. A sheet that reads as
    the other side of Settings' Statuses by type (at `by_type_cell`) is one problem there, saying the switch is
    the cause, with the rows' own problems as that side finds them."""
    workflow, problems = _read_workflow(table, by_type, lists)
    if by_type:
        typed = [row for row in table.rows if read_text(row.get("Description")) and read_text(row.get("Session Type"))]
        described = [row for row in table.rows if read_text(row.get("Description"))]
        if described and not typed:
            _, as_one = _read_workflow(table, False, lists)
            workflow.switched_on = True
            return workflow, [_switched_on(by_type_cell, len(described)), *as_one]
        return workflow, problems
    per_type, found = _read_workflow(table, True, lists)
    if len(per_type.cycles) > 1 and count_errors(found) < count_errors(problems):
        return workflow, [_switched_off(by_type_cell, per_type, problems), *found]
    return workflow, problems


BY_TYPE_SETTING = "Statuses by type"
_BY_TYPE_FOLDED = "(statuses are by type)"  # how the sessions' and triggers' "no cycle for this type" problems end


def _switched_off(cell: str, per_type: Workflow, as_one: list[Problem]) -> Problem:
    """Statuses by type set to No over statuses kept per type: the cycles run together into one."""
    types = [c.session_type for c in per_type.cycles.values()]
    clashes = count_errors(as_one)
    return Problem(
        SETTINGS.name,
        cell,
        f"{BY_TYPE_SETTING} is No, but the Statuses sheet holds a cycle for each session type "
        f"({_and(types)}); read as one cycle they clash ({clashes} errors: Initial and Final statuses, sort "
        "orders and names found twice); switching it off did this (the manuals warn: once statuses are by type, "
        "keep it so)",
        f"set {BY_TYPE_SETTING} back to Yes; or, for one cycle for every session, keep one type's statuses, "
        "delete the others' and clear their Session Type",
    )


def _switched_on(cell: str, statuses: int) -> Problem:
    """Statuses by type set to Yes over statuses that have no session type: no session has a cycle."""
    return Problem(
        SETTINGS.name,
        cell,
        f"{BY_TYPE_SETTING} is Yes, but none of the {statuses} statuses on the Statuses sheet has a Session Type, "
        "so no session or trigger has a cycle (their rows are not listed one by one); switching it on did this "
        "(the manuals advise deciding once and sticking to it)",
        f"set {BY_TYPE_SETTING} back to No; or give each status the Session Type of its cycle, with an Initial "
        "and a Final status for each type",
    )


def fold_switch(workflow: Workflow, problems: list[Problem]) -> list[Problem]:
    """With Statuses by type just switched on over untyped statuses, every session and trigger lacks a cycle: that
    is said once, at the Settings cell, instead of at each of their rows."""
    if not workflow.switched_on:
        return problems
    return [p for p in problems if not p.message.endswith(_BY_TYPE_FOLDED)]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _read_workflow(table: Table, by_type: bool, lists: Lists) -> tuple[Workflow, list[Problem]]:
    problems: list[Problem] = []
    workflow = Workflow(by_type=by_type)

    def problem(row: Row | None, column: str, message: str, fix: str, severity=Severity.ERROR) -> None:
        cell = row.cell(column) if row else table.header_cell(column)
        problems.append(Problem(STATUSES.name, cell, message, fix, severity))

    known_types = {normalize(t) for t in lists.session_types}
    for row in table.rows:
        if row.is_blank(STATUSES.columns):
            continue
        status = _read_status(row, lists, problem)
        if status is None:
            continue
        key = _cycle_key(status, row, by_type, known_types, problem)
        if key is None:
            continue
        cycle = workflow.cycles.get(key)
        if cycle is None:
            cycle = workflow.cycles[key] = Cycle(session_type=status.session_type if by_type else "")
        if cycle.find(status.description) is not None:
            problem(
                row,
                "Description",
                f'"{status.description}" appears twice in {cycle.label}',
                "give each status of a cycle its own description",
            )
            continue
        cycle.add(status)

    for cycle in workflow.cycles.values():
        cycle.sort()
        _check_cycle(cycle, table, problems)
    if by_type:
        _check_shared_descriptions(workflow, table, problems)
        _check_blocks(workflow, table, problems)
    if not workflow.cycles:
        problems.append(
            Problem(
                STATUSES.name,
                table.header_cell("Description"),
                "there are no statuses",
                "add the steps of your session workflow below the header row",
            )
        )
    return workflow, problems


def _read_status(row: Row, lists: Lists, problem: Callable[..., None]) -> Status | None:
    """One Statuses row as a Status, each unreadable cell reported (None: the row has no description)."""
    description = read_text(row.get("Description"))
    if not description:
        problem(
            row,
            "Description",
            "this status has no description",
            'type a short description such as "Session Pending", or clear the row',
        )
        return None
    status = Status(description=description, sort_order=None, typical_duration=None, row=row.number)
    try:
        status.sort_order = read_whole(row.get("Sort Order"), "Sort Order")
        if status.sort_order is None:
            problem(
                row,
                "Sort Order",
                f'"{description}" has no sort order',
                "type a whole number; leave gaps (10, 20, 30) to insert steps later",
            )
    except CellValueError as exc:
        problem(row, "Sort Order", exc.message, exc.fix)
    status.typical_duration = _read_duration(row, problem)
    for column, attr in (("Initial", "initial"), ("Final", "final"), ("Inactive", "inactive")):
        try:
            setattr(status, attr, read_bool(row.get(column)))
        except CellValueError as exc:
            problem(row, column, f"{column}: {exc.message}", exc.fix)
    status.stage = read_text(row.get("Stage"))
    status.default_user = read_text(row.get("Default User"))
    status.session_type = read_text(row.get("Session Type"))
    if lists.stages and status.stage and normalize(status.stage) not in {normalize(s) for s in lists.stages}:
        problem(
            row,
            "Stage",
            f'Stage "{display(status.stage)}" is not on the Lists sheet',
            "pick a stage from the dropdown, or add it to the Stage column of Lists",
        )
    if (
        lists.users
        and status.default_user
        and normalize(status.default_user) not in {normalize(u) for u in lists.users}
    ):
        problem(
            row,
            "Default User",
            f'Default User "{display(status.default_user)}" is not on the Lists sheet',
            "pick a user from the dropdown, or add them to the User column of Lists",
        )
    return status


def _read_duration(row: Row, problem: Callable[..., None]) -> int | None:
    """Typical Duration in business days; blank, unreadable, negative or over ten years: no due date."""
    try:
        days = read_whole(row.get("Typical Duration"), "Typical Duration")
    except CellValueError as exc:
        problem(
            row,
            "Typical Duration",
            exc.message,
            "type the business days this step takes (0 or more), or leave it blank for no due date",
        )
        return None
    if days is not None and days > MAX_DURATION:
        problem(
            row,
            "Typical Duration",
            f"Typical Duration {days} is more than ten years",
            "type the business days this step takes, such as 5",
        )
        return None
    if days is not None and days < 0:
        problem(
            row,
            "Typical Duration",
            f"Typical Duration {days} is negative",
            "type the business days this step takes (0 or more), or leave it blank for no due date",
        )
        return None
    return days


def _cycle_key(
    status: Status, row: Row, by_type: bool, known_types: set[str], problem: Callable[..., None]
) -> str | None:
    """Which cycle a status belongs to: its session type's when statuses are by type (None: it has none)."""
    if not by_type:
        return ONE_CYCLE
    if not status.session_type:
        problem(
            row,
            "Session Type",
            f'"{status.description}" has no session type, and statuses are by type',
            "pick the session type whose cycle this status belongs to",
        )
        return None
    if known_types and normalize(status.session_type) not in known_types:
        problem(
            row,
            "Session Type",
            f'Session Type "{display(status.session_type)}" is not on the Lists sheet',
            "pick a session type from the dropdown, or add it to the Session Type column of Lists",
        )
    return normalize(status.session_type)


def _check_shared_descriptions(workflow: Workflow, table: Table, problems: list[Problem]) -> None:
    """Statuses by type: a description two cycles share is allowed, but warned of (hubs sort badly)."""
    owners: dict[str, list[Status]] = defaultdict(list)
    for status in workflow.all_statuses():
        owners[status.key].append(status)
    for same in owners.values():
        for status in same[1:]:
            problems.append(
                Problem(
                    STATUSES.name,
                    address(status.row, table.column_of("Description")),
                    f'"{status.description}" is also a status of another cycle',
                    'prefix descriptions per type, e.g. "W-Session Pending", so hubs sort well',
                    Severity.WARNING,
                )
            )


def _check_blocks(workflow: Workflow, table: Table, problems: list[Problem]) -> None:
    """Statuses by type: a session's Status and Change To dropdowns offer its cycle's block of rows, from the first
    to the last; another cycle's status inside that block would be offered too."""
    owner = {s.row: cycle for cycle in workflow.cycles.values() for s in cycle.statuses}
    for cycle in workflow.cycles.values():
        rows = sorted(s.row for s in cycle.statuses)
        inside = [r for r in range(rows[0], rows[-1] + 1) if r in owner and owner[r] is not cycle]
        if inside:
            problems.append(
                Problem(
                    STATUSES.name,
                    address(inside[0], table.column_of("Session Type")),
                    f"the {cycle.session_type} statuses are not in one block of rows (row {inside[0]} is a "
                    f"{owner[inside[0]].session_type} status between them), so the Status dropdown of "
                    f"{cycle.session_type} sessions offers other statuses too",
                    "run sheetflow statuses renumber: it keeps the order and puts each cycle's rows together",
                    Severity.WARNING,
                )
            )


def _check_cycle(cycle: Cycle, table: Table, problems: list[Problem]) -> None:
    sheet = STATUSES.name

    def at(status: Status, column: str) -> str:
        return address(status.row, table.column_of(column))

    seen: dict[int, Status] = {}
    for status in cycle.statuses:
        if status.sort_order is None:
            continue
        if status.sort_order in seen:
            problems.append(
                Problem(
                    sheet,
                    at(status, "Sort Order"),
                    f'Sort Order {status.sort_order} is used by "{seen[status.sort_order].description}"'
                    f" too in {cycle.label}",
                    "give each status of a cycle its own sort order",
                )
            )
        else:
            seen[status.sort_order] = status
    first = cycle.statuses[0]
    for flag, word in (("initial", "Initial"), ("final", "Final")):
        marked = [s for s in cycle.statuses if getattr(s, flag)]
        if not marked:
            problems.append(
                Problem(
                    sheet,
                    at(first, word),
                    f"{cycle.label} has no {word} status",
                    f"mark exactly one status of the cycle {word} = Yes",
                )
            )
        for extra in marked[1:]:
            problems.append(
                Problem(
                    sheet,
                    at(extra, word),
                    f'{cycle.label} has more than one {word} status ("{marked[0].description}" and '
                    f'"{extra.description}")',
                    f"leave {word} = Yes on one status only",
                )
            )
        for status in marked:
            if status.inactive:
                problems.append(
                    Problem(
                        sheet,
                        at(status, "Inactive"),
                        f'the {word} status "{status.description}" is inactive',
                        f"make it active, or mark another status {word}",
                    )
                )
    both = [s for s in cycle.statuses if s.initial and s.final]
    for status in both:
        if len(cycle.statuses) > 1:
            problems.append(
                Problem(
                    sheet,
                    at(status, "Final"),
                    f'"{status.description}" is both the Initial and the Final status',
                    "the cycle starts and ends at different steps: mark another status Final",
                )
            )
