"""The Dashboard: its figures (the board of sessions, the time spent in each status) and where each one stands
on the Dashboard sheet, shared by the file writer and the Excel buttons.

Pure Python, like the rest of the core. The board is tallied during refresh (no pandas, no Notes); the time in
status comes from `sheetflow.library.report`, which reads the Notes history with pandas.

The sheet is two blocks side by side, at fixed places: the board in columns A:H (refresh keeps it current), the
time in status in columns J:P: per status, the reasons sessions moved on or waited per status, and per person
(only `report` and the Dashboard button read Notes to rebuild it). Each block has its title on row 1, its key figures
on rows 2-3, its chart over rows 5-22 and its tables from row 24 down. When a refresh keeps the time in status, the
Excel button simply leaves J:P alone; the file writer, which lays the sheet out whole, reads the block back from the
sheet (`read_history`: a few dozen cells, never Notes).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from .cells import EXCEL_EPOCH, column_letter, normalize
from .cycle import Lists, Status, Workflow
from .schema import FLAG_DUE_SOON, FLAG_ON_HOLD, FLAG_OVERDUE
from .sessions import Session

NO_STAGE = "(no stage)"
NO_STATUS = "(no known status)"

# --- the figures --------------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """Sessions = on track + due soon + overdue + on hold (the open ones) + completed (in a Final status)."""

    sessions: int = 0
    overdue: int = 0
    due_soon: int = 0
    completed: int = 0
    on_hold: int = 0  # its clock stopped (Change To = hold): neither on track nor overdue

    @property
    def on_track(self) -> int:
        return self.sessions - self.completed - self.overdue - self.due_soon - self.on_hold

    def add(self, overdue: bool, due_soon: bool, completed: bool, on_hold: bool = False) -> None:
        self.sessions += 1
        self.overdue += overdue
        self.due_soon += due_soon
        self.completed += completed
        self.on_hold += on_hold

    def add_counts(self, other: Counts) -> None:
        self.sessions += other.sessions
        self.overdue += other.overdue
        self.due_soon += other.due_soon
        self.completed += other.completed
        self.on_hold += other.on_hold


@dataclass
class StageLine(Counts):
    stage: str = ""


@dataclass
class StatusLine(Counts):
    status: str = ""
    stage: str = ""
    cycle: str = ""  # the session type, when statuses are by type
    final: bool = False


@dataclass
class OverdueLine:
    session_id: object
    client: str
    status: str
    due_date: dt.date
    days_overdue: int
    assigned_to: str


@dataclass
class HoldLine:
    """The sessions on hold in one status for one reason."""

    status: str
    reason: str  # NO_REASON when none was given
    sessions: int = 0
    cycle: str = ""  # the session type, when statuses are by type


NO_REASON = "(no reason given)"

# A board is read at a glance: past this many, the list says how many more and where to find them.
OVERDUE_LISTED = 200


@dataclass
class Board:
    """Sessions per stage and per status today, and the overdue ones, most overdue first."""

    as_of: dt.date
    stages: list[StageLine] = field(default_factory=list)
    statuses: list[StatusLine] = field(default_factory=list)  # open statuses first, then the final ones
    overdue: list[OverdueLine] = field(default_factory=list)  # the most overdue, at most OVERDUE_LISTED
    by_type: bool = False
    overdue_not_listed: int = 0  # overdue sessions beyond the list (the board's counts include them)
    holds: list[HoldLine] = field(default_factory=list)  # the sessions on hold, by status (workflow order) and reason

    @property
    def open_lines(self) -> list[StatusLine]:
        return [line for line in self.statuses if not line.final]

    @property
    def totals(self) -> Counts:
        total = Counts()
        for line in self.statuses:
            total.add_counts(line)
        return total


@dataclass
class StatusTime:
    """How long sessions stayed in one status, in business days, against its typical duration."""

    status: str
    cycle: str = ""
    typical_duration: int | None = None
    passed_through: int = 0
    median: float | None = None
    p90: float | None = None
    left_late: float | None = None  # share (0..1) of those with a due date that left after it


@dataclass
class ReasonLine:
    """Why sessions left one status, or waited in it: its moves on and holds that Notes records with one reason."""

    status: str  # the status a move left (its From Status), or the one a hold kept the session in
    reason: str  # NO_REASON for those with none
    moved_on: int = 0
    held: int = 0
    share: float | None = None  # of all the status's moves on and holds (0..1)
    cycle: str = ""

    @property
    def times(self) -> int:
        return self.moved_on + self.held


UNASSIGNED = "(unassigned)"
BY_DEFAULT_USER = " (default user)"


@dataclass
class PersonTime:
    """How long the sessions assigned to one person stayed in one status: a stay is theirs when the session was
    assigned to them as it entered the status."""

    person: str  # "" when no one was
    status: str
    cycle: str = ""
    typical_duration: int | None = None
    stays: int = 0
    median: float | None = None
    left_late: float | None = None  # share (0..1) of those with a due date that left after it
    by_default_user: bool = False  # Notes did not say who: the status's Default User (sheetflow assigns them)
    late: int | None = None  # stays that left late; None when read back from the sheet, which shows the share

    @property
    def label(self) -> str:
        """The name as the Dashboard shows it, saying how it is known."""
        if not self.person:
            return UNASSIGNED
        return self.person + BY_DEFAULT_USER if self.by_default_user else self.person


@dataclass
class TimeInStatus:
    as_of: dt.date
    changes_read: int = 0  # Notes rows that were status changes of a session
    statuses: list[StatusTime] = field(default_factory=list)
    per_person: list[PersonTime] | None = None  # None: a Dashboard laid out before sheetflow had this section
    # None: Notes has no Reason column (or the Dashboard shows no reasons); [] none recorded yet (nor shown)
    reasons: list[ReasonLine] | None = None

    @property
    def passages(self) -> int:
        return sum(line.passed_through for line in self.statuses)


@dataclass
class Dashboard:
    """What a run writes to the Dashboard sheet; time_in_status None keeps the one the sheet shows."""

    board: Board
    time_in_status: TimeInStatus | None = None


# --- the board, tallied as refresh goes -----------------------------------------------------------------------------


class BoardTally:
    """Counts each session as refresh works out its flag; `board()` then lays the counts out in workflow order."""

    def __init__(self, workflow: Workflow, lists: Lists, today: dt.date):
        self.workflow, self.lists, self.today = workflow, lists, today
        self.lines: dict[int, StatusLine] = {}  # by id() of the Status: two cycles may share a description
        self.unknown = StatusLine(status=NO_STATUS, stage=NO_STAGE)
        self.overdue: list[OverdueLine] = []
        self.holds: dict[tuple[int, str], HoldLine] = {}  # (id() of the Status, normalized reason) -> its line

    def add(self, session: Session, due: dt.date | None, flag: str | None, days_overdue: int | None) -> None:
        status: Status | None = session.status
        if status is None:
            line = self.unknown
        else:
            line = self.lines.get(id(status))
            if line is None:
                cycle = session.cycle.session_type if session.cycle is not None and self.workflow.by_type else ""
                line = self.lines[id(status)] = StatusLine(
                    status=status.description, stage=status.stage or NO_STAGE, cycle=cycle, final=status.final
                )
        held = flag == FLAG_ON_HOLD
        line.add(flag == FLAG_OVERDUE, flag == FLAG_DUE_SOON, bool(status and status.final), held)
        if held:
            reason = session.hold_reason or NO_REASON
            hold = self.holds.get((id(status), normalize(reason)))
            if hold is None:
                hold = self.holds[(id(status), normalize(reason))] = HoldLine(line.status, reason, cycle=line.cycle)
            hold.sessions += 1
        if flag == FLAG_OVERDUE and due is not None:
            self.overdue.append(
                OverdueLine(
                    session.raw_id,
                    session.client,
                    status.description if status else session.status_text,
                    due,
                    days_overdue or 0,
                    session.assigned_to,
                )
            )

    def board(self) -> Board:
        open_lines: list[StatusLine] = []
        final_lines: list[StatusLine] = []
        for cycle in self.workflow.cycles.values():
            label = cycle.session_type if self.workflow.by_type else ""
            for status in cycle.statuses:
                line = self.lines.get(id(status)) or StatusLine(
                    status=status.description, stage=status.stage or NO_STAGE, cycle=label, final=status.final
                )
                if status.inactive and not line.sessions:
                    continue
                (final_lines if status.final else open_lines).append(line)
        if self.unknown.sessions:
            open_lines.append(self.unknown)
        statuses = open_lines + final_lines
        stages: dict[str, StageLine] = {}
        for name in self.lists.stages:
            stages.setdefault(normalize(name), StageLine(stage=name))
        for line in statuses:
            stages.setdefault(normalize(line.stage), StageLine(stage=line.stage)).add_counts(line)
        overdue = heapq.nsmallest(OVERDUE_LISTED, self.overdue, key=lambda o: (-o.days_overdue, o.due_date))
        return Board(
            as_of=self.today,
            stages=list(stages.values()),
            statuses=statuses,
            overdue=overdue,
            by_type=self.workflow.by_type,
            overdue_not_listed=len(self.overdue) - len(overdue),
            holds=self._holds_in_order(),
        )

    def _holds_in_order(self) -> list[HoldLine]:
        """The holds in workflow order; within a status, the most common reason first."""
        by_status: dict[int, list[HoldLine]] = {}
        for (status_id, _), hold in self.holds.items():
            by_status.setdefault(status_id, []).append(hold)
        holds: list[HoldLine] = []
        for status in self.workflow.all_statuses():
            for hold in sorted(by_status.get(id(status), ()), key=lambda h: (-h.sessions, normalize(h.reason))):
                holds.append(hold)
        return holds


# --- where everything stands on the sheet ----------------------------------------------------------------------------

BOARD_FIRST_COL, BOARD_LAST_COL = 1, 8  # A:H
HISTORY_FIRST_COL, HISTORY_LAST_COL = 10, 16  # J:P
CHART_TOP_ROW, CHART_BOTTOM_ROW = 5, 22  # the charts cover these rows of their block
TABLES_ROW = 24  # the first table's title
WIDTHS = {
    1: 30,
    2: 13,
    3: 12,
    4: 12,
    5: 13,
    6: 14,
    7: 14,
    8: 12,
    9: 3,
    10: 30,
    11: 24,  # Typical Duration, and the per-person table's Status
    12: 14,
    13: 16,
    14: 15,
    15: 11,
    16: 12,
}

TITLE, HEADER, DATE, COUNT, DECIMAL, PERCENT, NOTE = "title", "header", "date", "count", "decimal", "percent", "note"
# numbers keep a space's width on their right, so a text column after them does not touch them
NUMBER_FORMATS = {DATE: "yyyy-mm-dd", COUNT: "#,##0_ ", DECIMAL: "0.0_ ", PERCENT: "0%_ "}

BOARD_TITLE = "Sessions board"
HISTORY_TITLE = "Time in status"
# Each chart's categories and series are the first columns of its table, side by side: one range is its source.
COUNT_HEADER = ("On track", "Due soon", "Overdue", "On hold", "Completed", "Sessions")
HOLDS_TITLE = "Sessions on hold, by reason"
HISTORY_HEADER = (
    "Status",
    "Typical Duration",
    "Median Days",
    "90th Percentile",
    "Passed Through",
    "Left Late",
    "Cycle",
)
NO_HISTORY_YET = (
    "Run `sheetflow report` (or the Dashboard button) to read the Notes history: how long sessions stay in each status."
)
REASONS_TITLE = "Why sessions moved on or waited, per status (the Reasons in Notes)"
REASONS_HEADER = ("Status", "Reason", "Times Given", "Moved On", "Held", "Share", "Cycle")
PER_PERSON_TITLE = "Time in status per person"
PER_PERSON_HEADER = ("Person", "Status", "Stays", "Median Days", "Typical Duration", "Left Late", "Cycle")
NO_STAYS_YET = "No stays measured yet: a stay counts once the session has left the status."
BY_DEFAULT_USER_NOTE = (  # short enough to stay within J:P
    "(default user): older Notes rows don't name who had the session: the status's Default User, else the one before."
)


@dataclass
class Cell:
    value: object
    kind: str | None = None  # a style: TITLE, HEADER, DATE, COUNT, DECIMAL, PERCENT, NOTE


@dataclass
class Area:
    """One block of the sheet: its cells by (row, column), 1-based, and the columns it owns."""

    first_col: int
    last_col: int
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)

    def put(self, row: int, col: int, value: object, kind: str | None = None) -> None:
        if value is not None and value != "":
            self.cells[(row, col)] = Cell(value, kind)

    def line(self, row: int, values: Iterable[object], kinds: Iterable[str | None] | str | None = None) -> None:
        values = list(values)
        kinds = [kinds] * len(values) if kinds is None or isinstance(kinds, str) else list(kinds)
        for offset, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            self.put(row, self.first_col + offset, value, kind)

    @property
    def last_row(self) -> int:
        return max((r for r, _ in self.cells), default=0)

    def grid(self) -> list[list[object]]:
        """Values from row 1, as one rectangle of the block's width (for a single block write)."""
        width = self.last_col - self.first_col + 1
        rows = [[None] * width for _ in range(self.last_row)]
        for (r, c), cell in self.cells.items():
            rows[r - 1][c - self.first_col] = cell.value
        return rows


@dataclass
class Series:
    name: str
    name_cell: tuple[int, int]  # (row, col) of the header that names it
    rows: tuple[int, int]  # first and last row of its values
    col: int
    values: list[float | None]
    color: str  # RGB hex


@dataclass
class Chart:
    """A native chart: its categories and series as ranges of the Dashboard sheet, with their values cached."""

    name: str
    title: str
    anchor: tuple[int, int, int, int]  # first col, first row, last col + 1, last row + 1 (the cells it covers)
    categories: tuple[int, int, int]  # col, first row, last row
    labels: list[str]
    series: list[Series]
    stacked: bool
    axis_title: str
    major_unit: float | None = None  # 1 for small counts, so the axis reads 0, 1, 2… rather than 0.5 steps


def sheet_ref(sheet: str, col: int, first: int, last: int | None = None) -> str:
    """An absolute reference such as Dashboard!$A$26:$A$35, the sheet name quoted when it must be."""
    quoted = (
        sheet if sheet.replace("_", "").isalnum() and not sheet[:1].isdigit() else "'" + sheet.replace("'", "''") + "'"
    )
    letter = column_letter(col)
    if last is None or last == first:
        return f"{quoted}!${letter}${first}"
    return f"{quoted}!${letter}${first}:${letter}${last}"


@dataclass
class Layout:
    board: Area
    history: Area
    charts: list[Chart]


def layout(dashboard: Dashboard) -> Layout:
    board_area, board_chart = _board_area(dashboard.board)
    history_area, history_chart = _history_area(dashboard.time_in_status)
    charts = [board_chart] + ([history_chart] if history_chart else [])
    return Layout(board_area, history_area, charts)


def _board_area(board: Board) -> tuple[Area, Chart]:
    area = Area(BOARD_FIRST_COL, BOARD_LAST_COL)
    a = area.first_col
    counts = (COUNT,) * len(COUNT_HEADER)
    area.put(1, a, BOARD_TITLE, TITLE)
    totals = board.totals
    area.line(2, ("As of", *COUNT_HEADER), HEADER)
    area.line(3, (board.as_of, *_counts(totals)), (DATE, *counts))
    row = TABLES_ROW
    area.put(row, a, "Sessions per stage", HEADER)
    area.line(row + 1, ("Stage", *COUNT_HEADER), HEADER)
    row += 2
    for stage in board.stages:
        area.line(row, (stage.stage, *_counts(stage)), (None, *counts))
        row += 1
    row += 1
    area.put(row, a, "Sessions per status", HEADER)
    header_row = row + 1
    # the board is eight columns wide (A:H, the time in status from J): a cycle shares the stage's column
    area.line(header_row, ("Status", *COUNT_HEADER, "Cycle / Stage" if board.by_type else "Stage"), HEADER)
    row = header_row + 1
    for line in board.statuses:
        where = f"{line.cycle} / {line.stage}" if board.by_type and line.cycle else line.stage
        area.line(row, (line.status, *_counts(line), where), (None, *counts, None))
        row += 1
    open_lines = board.open_lines
    rows = (header_row + 1, header_row + max(len(open_lines), 1))  # the open statuses come first
    row += 1
    if board.holds:
        area.put(row, a, HOLDS_TITLE, HEADER)
        area.line(row + 1, ("Status", "Reason", "Sessions", "Cycle" if board.by_type else ""), HEADER)
        row += 2
        for hold in board.holds:
            area.line(row, (hold.status, hold.reason, hold.sessions, hold.cycle), (None, None, COUNT, None))
            row += 1
        row += 1
    area.put(row, a, "Overdue sessions", HEADER)
    area.line(row + 1, ("Client", "Days Overdue", "Due Date", "Session ID", "Assigned To", "Status"), HEADER)
    row += 2
    if not board.overdue:
        area.put(row, a, "None overdue.", NOTE)
    for late in board.overdue:
        area.line(
            row,
            (late.client, late.days_overdue, late.due_date, late.session_id, late.assigned_to, late.status),
            (None, COUNT, DATE, None, None, None),
        )
        row += 1
    if board.overdue_not_listed:
        area.put(
            row,
            a,
            f"… and {board.overdue_not_listed:,} more overdue: filter the Sessions sheet's Flag column "
            "for Overdue to see them all.",
            NOTE,
        )
        row += 1
    series = [
        Series(
            name, (header_row, a + offset), rows, a + offset, [float(getattr(line, attr)) for line in open_lines], color
        )
        for offset, name, attr, color in (
            (1, "On track", "on_track", "5B9BD5"),
            (2, "Due soon", "due_soon", "FFC000"),
            (3, "Overdue", "overdue", "C00000"),
            (4, "On hold", "on_hold", "A5A5A5"),
        )
    ]
    chart = Chart(
        name="Open sessions per status",
        title="Open sessions per status",
        anchor=(BOARD_FIRST_COL, CHART_TOP_ROW, BOARD_LAST_COL + 1, CHART_BOTTOM_ROW + 1),
        categories=(a, *rows),
        labels=[line.status for line in open_lines],
        series=series,
        stacked=True,
        axis_title="sessions",
        major_unit=_unit(max((line.sessions for line in open_lines), default=0)),
    )
    return area, chart


def _counts(counts: Counts) -> tuple[int | None, ...]:
    """On track, due soon, overdue, on hold, completed, sessions; a final status's line has nothing open to count."""
    if isinstance(counts, StatusLine) and counts.final:
        return None, None, None, None, counts.completed, counts.sessions
    if isinstance(counts, StatusLine):
        return counts.on_track, counts.due_soon, counts.overdue, counts.on_hold, None, counts.sessions
    return counts.on_track, counts.due_soon, counts.overdue, counts.on_hold, counts.completed, counts.sessions


def _history_area(history: TimeInStatus | None) -> tuple[Area, Chart | None]:
    area = Area(HISTORY_FIRST_COL, HISTORY_LAST_COL)
    a = area.first_col
    area.put(1, a, HISTORY_TITLE, TITLE)
    if history is None:
        area.put(2, a, NO_HISTORY_YET, NOTE)
        return area, None
    area.line(2, ("As of", "Changes read", "Stays measured"), HEADER)
    area.line(3, (history.as_of, history.changes_read, history.passages), (DATE, COUNT, COUNT))
    area.put(TABLES_ROW, a, "Business days spent in each status (from the Notes history)", HEADER)
    header_row = TABLES_ROW + 1
    area.line(header_row, HISTORY_HEADER if any(s.cycle for s in history.statuses) else HISTORY_HEADER[:-1], HEADER)
    row = header_row + 1
    for line in history.statuses:
        area.line(
            row,
            (
                line.status,
                line.typical_duration,
                line.median,
                line.p90,
                line.passed_through,
                line.left_late,
                line.cycle,
            ),
            (None, COUNT, DECIMAL, DECIMAL, COUNT, PERCENT, None),
        )
        row += 1
    _per_person_table(area, history, _reasons_table(area, history, row) + 1)
    if not history.statuses:
        return area, None
    rows = (header_row + 1, row - 1)
    series = [
        Series(
            name, (header_row, a + offset), rows, a + offset, [None if v is None else float(v) for v in values], color
        )
        for name, offset, values, color in (
            ("Typical Duration", 1, [s.typical_duration for s in history.statuses], "A5A5A5"),
            ("Median Days", 2, [s.median for s in history.statuses], "4472C4"),
            ("90th Percentile", 3, [s.p90 for s in history.statuses], "9DC3E6"),
        )
    ]
    chart = Chart(
        name="Time in status",
        title="Business days in each status: typical, median, 90th percentile",
        anchor=(HISTORY_FIRST_COL, CHART_TOP_ROW, HISTORY_LAST_COL + 1, CHART_BOTTOM_ROW + 1),
        categories=(a, *rows),
        labels=[s.status for s in history.statuses],
        series=series,
        stacked=False,
        axis_title="business days",
        major_unit=_unit(max((v for s in series for v in s.values if v is not None), default=0)),
    )
    return area, chart


def _reasons_table(area: Area, history: TimeInStatus, row: int) -> int:
    """Below the statuses (`row` is the blank row after them): each status's reasons, statuses in workflow order,
    the most frequent reason first. Returns the blank row after the table (`row` itself when there is none: no
    reason recorded yet, so a studio that doesn't use reasons sees no empty table)."""
    if not history.reasons:
        return row
    a = area.first_col
    row += 1
    area.put(row, a, REASONS_TITLE, HEADER)
    return _lines_below(
        area,
        row + 1,
        REASONS_HEADER,
        [(ln.status, ln.reason, ln.times, ln.moved_on, ln.held, ln.share, ln.cycle) for ln in history.reasons],
        (None, None, COUNT, COUNT, COUNT, PERCENT, None),
    )


def _lines_below(
    area: Area, row: int, header: tuple[str, ...], lines: list[tuple[object, ...]], kinds: tuple[str | None, ...]
) -> int:
    """A header (its last column, Cycle, only when some line has a cycle) and the lines under it, from `row`;
    returns the row after the last line."""
    by_type = any(line[-1] for line in lines)
    area.line(row, header if by_type else header[:-1], HEADER)
    for offset, line in enumerate(lines, start=1):
        area.line(row + offset, line, kinds)
    return row + len(lines) + 1


def _per_person_table(area: Area, history: TimeInStatus, row: int) -> None:
    """Below the statuses (and the reasons, when shown), one blank row between: each person's stays per status, the
    people with the most late stays first (history.per_person is in that order)."""
    if history.per_person is None:
        return
    a = area.first_col
    area.put(row, a, PER_PERSON_TITLE, HEADER)
    if not history.per_person:
        area.put(row + 1, a, NO_STAYS_YET, NOTE)
        return
    row = _lines_below(
        area,
        row + 1,
        PER_PERSON_HEADER,
        [
            (ln.label, ln.status, ln.stays, ln.median, ln.typical_duration, ln.left_late, ln.cycle)
            for ln in history.per_person
        ],
        (None, None, COUNT, DECIMAL, COUNT, PERCENT, None),
    )
    if any(line.by_default_user for line in history.per_person):
        area.put(row + 1, a, BY_DEFAULT_USER_NOTE, NOTE)


def _unit(largest: float) -> float | None:
    return 1.0 if largest <= 8 else None


def read_history(grid: list[list[object]]) -> TimeInStatus | None:
    """The time-in-status block as the sheet shows it (what refresh keeps without reading Notes); None when the
    block was never filled or is not laid out as sheetflow writes it."""

    def at(row: int, col: int) -> object:
        if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
            value = grid[row - 1][col - 1]
            return None if value == "" else value
        return None

    a = HISTORY_FIRST_COL
    if normalize(at(TABLES_ROW + 1, a)) != "status" or normalize(at(2, a)) != "as of":
        return None
    as_of = _as_date(at(3, a))
    if as_of is None:
        return None
    history = TimeInStatus(as_of=as_of, changes_read=_as_int(at(3, a + 1)) or 0)
    row = TABLES_ROW + 2
    while (name := at(row, a)) is not None:
        history.statuses.append(
            StatusTime(
                status=str(name),
                typical_duration=_as_int(at(row, a + 1)),
                median=_as_float(at(row, a + 2)),
                p90=_as_float(at(row, a + 3)),
                passed_through=_as_int(at(row, a + 4)) or 0,
                left_late=_as_float(at(row, a + 5)),
                cycle=str(at(row, a + 6) or ""),
            )
        )
        row += 1
    if normalize(at(row + 1, a)) == normalize(REASONS_TITLE) and normalize(at(row + 2, a)) == "status":
        history.reasons = []
        row += 3
        while (name := at(row, a)) is not None:
            history.reasons.append(_reason_read_back(str(name), [at(row, a + i) for i in range(1, 7)]))
            row += 1
    if normalize(at(row + 1, a)) == normalize(PER_PERSON_TITLE):
        history.per_person = []  # the title with no header under it: no stays yet
        if normalize(at(row + 2, a)) == "person":
            row += 3
            while (label := at(row, a)) is not None:
                history.per_person.append(_person_read_back(str(label), [at(row, a + i) for i in range(1, 7)]))
                row += 1
    return history


def _reason_read_back(status: str, values: list[object]) -> ReasonLine:
    reason, _, moved_on, held, share, cycle = values  # Times Given is Moved On + Held
    return ReasonLine(
        status=status,
        reason=str(reason or ""),
        moved_on=_as_int(moved_on) or 0,
        held=_as_int(held) or 0,
        share=_as_float(share),
        cycle=str(cycle or ""),
    )


def _person_read_back(label: str, values: list[object]) -> PersonTime:
    status, stays, median, typical, left_late, cycle = values
    by_default = label.endswith(BY_DEFAULT_USER)
    person = "" if label == UNASSIGNED else label[: -len(BY_DEFAULT_USER)] if by_default else label
    return PersonTime(
        person=person,
        status=str(status or ""),
        cycle=str(cycle or ""),
        typical_duration=_as_int(typical),
        stays=_as_int(stays) or 0,
        median=_as_float(median),
        left_late=_as_float(left_late),
        by_default_user=by_default,
    )


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    return None


def _as_float(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _as_int(value: object) -> int | None:
    number = _as_float(value)
    return int(number) if number is not None else None
