"""Buttons inside the workbook: xlwings entry points that run the same core as the command line on the
open workbook. Everything is worked out from one read of the sheets; writes go out as a few block writes
(a click on 5,000 sessions sends a handful of actions, not thousands), so every xlwings engine can carry
them: desktop Excel, xlwings Server (remote) and xlwings Lite (Office.js)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import studio as core
from ..core.agenda import session_times
from ..core.cells import address, column_index, is_blank, normalize, position
from ..core.dashboard import (
    COUNT,
    DATE,
    HEADER,
    NUMBER_FORMATS,
    TITLE,
    WIDTHS,
    Area,
    Chart,
    Dashboard,
    layout,
    read_history,
)
from ..core.mapping import SessionsMapping, read_mapping
from ..core.problems import Problem, WorkbookError
from ..core.schema import ALL_SHEETS, DASHBOARD, ENTRY_POINTS, NOTES, PROBLEMS, SESSIONS, SETTINGS, STATUSES, TASKS
from ..core.table_growth import GROWN_SHEETS, grown_last_row, typed_below_note
from ..core.tables import HEADER_SEARCH_ROWS, Row, Table, missing_table, shown_name, table_from_grid

STATUS_NAME = "sheetflowStatus"  # a workbook name for the summary cell; else the cell right of Sessions' headers
# The entry points' titles, which start every status text: how the status cell is told from a column header.
TITLES = tuple(entry.title for entry in ENTRY_POINTS)
TITLE_OF = {entry.name: entry.title for entry in ENTRY_POINTS}
_STATUS_TEXT = re.compile("(?:" + "|".join(map(re.escape, TITLES)) + r")(?: \d{4}-\d\d-\d\d \d\d:\d\d: |: not done — )")
# The Sessions cells the buttons are shapes over: the template's (xlwings Lite's and the .xlsm's form buttons),
# unless main.py says its workbook's own (use_button_cells). The status cell and new column headers never go under one.
BUTTON_CELLS = frozenset(entry.cell for entry in ENTRY_POINTS if entry.cell)
# Where a Sessions column the click does not add keeps its values meanwhile: a hold's reason stays in Reason, where
# the sheet before Hold Reason has it (core/sessions.read_sessions reads it from there).
KEPT_IN = {"Hold Reason": "Reason"}
_FORMULA_START = ("=", "+", "-", "@")
PROBE_ROWS, PROBE_COLUMNS = 256, 16  # the first block read past a table's end; blocks double while they hold data
WRITE_CELLS = 2000  # unchanged cells worth rewriting (as read) to save one write: a round trip to Excel (a sync)
# The sheets whose Excel table a click grows over the rows typed right below it: the file's (core/table_growth.py),
# and Sessions, whose table is how xlwings Lite (no used range) finds where the sessions end.
TYPED_BELOW = (*GROWN_SHEETS, SESSIONS.name)
SESSIONS_TABLE_SERVES = "its filter and sorting cover them too"


def use_button_cells(cells: Collection[str]) -> None:
    """The Sessions cells this workbook's buttons are linked to, when main.py was made from the workbook itself
    (`sheetflow excel lite PATH`: an older workbook has them elsewhere than ENTRY_POINTS says)."""
    global BUTTON_CELLS
    BUTTON_CELLS = frozenset(cells)


def _values(sheet: Any, first_row: int, first_col: int, last_row: int, last_col: int) -> list[list[Any]]:
    """One read of a rectangle through xlwings' conversion (dates as datetimes, blanks as None)."""
    values = sheet.range((first_row, first_col), (last_row, last_col)).options(ndim=2).value
    return [list(row) for row in values or []]


def _raw(sheet: Any, first_row: int, first_col: int, last_row: int, last_col: int) -> Iterator[Any]:
    """A rectangle's rows as the engine holds them, without conversion: enough to tell blank from not (probing)."""
    values = sheet.range((first_row, first_col), (last_row, last_col)).raw_value
    if not isinstance(values, (list, tuple)):  # one cell, on engines that give it bare
        values = [[values]]
    for row in values:
        yield row if isinstance(row, (list, tuple)) else [row]


def _filled(sheet: Any, first_row: int, first_col: int, last_row: int, last_col: int) -> list[int]:
    """Which rows of a rectangle (1-based, within it) hold anything."""
    rows = _raw(sheet, first_row, first_col, last_row, last_col)
    return [i for i, row in enumerate(rows, start=1) if any(not is_blank(v) for v in row)]


def _excel_tables(sheet: Any) -> list[tuple[Any, int, int, int, int]]:
    """The sheet's Excel tables, each with its range (first row, first column, last row, last column); none
    where the engine cannot list them."""
    found = []
    try:
        for table in sheet.tables:
            rng = table.range
            rows, cols = rng.shape
            found.append((table, rng.row, rng.column, rng.row + rows - 1, rng.column + cols - 1))
    except Exception:  # an engine that cannot list tables
        return []
    return found


def _extent(sheet: Any, tables: list[tuple[Any, int, int, int, int]]) -> tuple[int, int]:
    """A sheet's last row and column: its used range; in xlwings Lite (no used range) its Excel tables' extent,
    which blank rows don't cut short (else A1's region), grown by whatever lies below or right of it."""
    try:
        rng = sheet.used_range
        rows, cols = rng.shape
        return rng.row + rows - 1, rng.column + cols - 1
    except NotImplementedError:
        pass
    last_row, last_col = max((t[3] for t in tables), default=0), max((t[4] for t in tables), default=0)
    if not last_row:
        rng = sheet["A1"].expand()
        rows, cols = rng.shape
        last_row, last_col = rows, cols
    step = PROBE_COLUMNS  # headers right of the table (a column added outside it)
    while found := _filled_columns(sheet, min(last_row, HEADER_SEARCH_ROWS), last_col + 1, last_col + step):
        last_col, step = last_col + found, step * 2
    step = PROBE_ROWS  # rows below it: pasted, or written by another tool
    while found := _filled(sheet, last_row + 1, 1, last_row + step, last_col):
        last_row, step = last_row + found[-1], step * 2
    return last_row, last_col


def _filled_columns(sheet: Any, rows: int, first_col: int, last_col: int) -> int:
    """The last column (counted from first_col) of the first rows that holds anything; 0 when none does."""
    values = _raw(sheet, 1, first_col, max(rows, 1), last_col)
    return max((j for row in values for j, v in enumerate(row, start=1) if not is_blank(v)), default=0)


def _last_filled(sheet: Any, last_row: int, last_col: int, floor: int) -> int:
    """The last row holding anything, at most last_row and not above floor: tail blocks read upwards (a used
    range can end in formatted blank rows)."""
    step = 64
    while last_row > floor:
        first = max(floor + 1, last_row - step + 1)
        found = _filled(sheet, first, 1, last_row, last_col)
        if found:
            return first + found[-1] - 1
        last_row, step = first - 1, step * 2
    return floor


def _has_totals(table: Any) -> bool:
    """Whether an Excel table shows a totals row (its last row, which rows typed below must not push down)."""
    try:
        return bool(table.show_totals)
    except Exception:  # an engine that can't tell: as most tables, none
        return False


def _name(table: Any) -> str:
    try:
        return str(table.name)
    except Exception:
        return "Excel"


def _as_cell(value: object) -> object:
    """What goes into a cell: text that looks like a formula stays text (Excel's leading apostrophe)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass
class ExcelWorkbook:
    """An open workbook seen through xlwings: read once into Tables, a ChangeSet written back as blocks."""

    book: Any
    tables: dict[str, Table] = field(default_factory=dict)
    grids: dict[str, list[list[Any]]] = field(default_factory=dict)
    sheets: dict[str, Any] = field(default_factory=dict)
    status_cells: list[tuple[int, int]] = field(default_factory=list)  # Sessions cells holding a status text
    # each sheet's Excel table that starts on its header row, with its range: grown to cover what was read
    excel_tables: dict[str, tuple[Any, int, int, int, int]] = field(default_factory=dict)
    added_columns: int = 0  # Sessions columns this click added right of the headers
    withheld: list[str] = field(default_factory=list)  # Sessions columns not added: their header is a button's cell
    grown: list[Problem] = field(default_factory=list)  # the tables this click grew over rows typed below them

    def read(self, whole: Collection[str] = ()) -> dict[str, Table]:
        """Every sheet sheetflow knows, Settings first: its rows say which sheet holds the sessions and what the
        studio calls their columns (as the file reader does). Each sheet is read once; the append-only ones
        (unless named in `whole`) only as far as their header row, and where they end."""
        by_name = {normalize(s.name): s for s in self.book.sheets}
        mapping = SessionsMapping()
        for schema in ALL_SHEETS:
            sheet = by_name.get(normalize(mapping.sheet_of(schema)))
            if sheet is None:
                self.tables[schema.name] = missing_table(mapping.sheet_of(schema))
            else:
                self.sheets[schema.name] = sheet
                tables = _excel_tables(sheet)
                last_row, last_col = _extent(sheet, tables)
                head_only = schema.append_only and schema.name not in whole
                rows = min(last_row, HEADER_SEARCH_ROWS) if head_only else last_row
                grid = _values(sheet, 1, 1, rows, last_col) if rows and last_col else []
                if schema is SESSIONS:
                    self._take_status_cells(grid)
                self.grids[schema.name] = grid
                table = table_from_grid(sheet.name, grid, schema, mapping.aliases_of(schema))
                table.sheet = shown_name(sheet.name, schema)
                if head_only and last_row > rows:  # where the rows below the head end: appends go after them
                    below = _last_filled(sheet, last_row, last_col, rows)
                    table.last_row = below if below > rows else table.last_row
                self.tables[schema.name] = table
                own = [t for t in tables if t[1] == table.header_row]
                if own:
                    self.excel_tables[schema.name] = own[0]
            if schema is SETTINGS:
                mapping = read_mapping(self.tables[SETTINGS.name])
        return self.tables

    def _take_status_cells(self, grid: list[list[Any]]) -> None:
        """Status texts left by earlier clicks are no column headers: blanked before the headers are read, and
        remembered so that the one this click does not write is cleared."""
        for r, values in enumerate(grid[:HEADER_SEARCH_ROWS], start=1):
            for c, value in enumerate(values, start=1):
                if isinstance(value, str) and _STATUS_TEXT.match(value):
                    self.status_cells.append((r, c))
                    values[c - 1] = None

    # -- writing ------------------------------------------------------------------------------------------------

    def write(self, changes: core.ChangeSet) -> None:
        """The ChangeSet as a few rectangles, in a stable order: the same click on the same sheets sends the
        same actions."""
        for name in changes.new_sheets:
            self._add_sheet(name, titled=not (name == DASHBOARD.name and changes.dashboard is not None))
        self._keep_off_buttons(changes)
        for sheet, columns in changes.new_columns.items():
            if not columns:
                continue
            table = self.tables[sheet]
            first = table.column_of(columns[0])
            row = max(table.header_row, 1)
            _put(self.sheets[sheet], row, first, [list(columns)])
            if sheet == SESSIONS.name:
                self.added_columns = len(columns)
        for sheet, rows in changes.cells.items():
            self._write_cells(sheet, rows)
        appended: dict[str, tuple[int, int]] = {}  # each sheet's last row before the rows appended, and after
        for sheet, rows in changes.appends.items():
            table = self.tables[sheet]
            appended[sheet] = (max(table.last_row, table.header_row, 1), self._append(sheet, rows))
        self.grown = self._grow_tables(appended)
        if changes.problems is not None:  # with a note of each table grown, as the file's writer puts it
            self._problems(changes.problems + self.grown)
        if changes.dashboard is not None:
            self._dashboard(changes.dashboard)

    def withheld_columns(self) -> list[str]:
        """The Sessions columns a click would add whose header lands on a button's cell (BUTTON_CELLS), and those
        after the first of them (they would stand right of a gap): the click adds none of them."""
        table = self.tables.get(SESSIONS.name)
        if table is None or not table.exists:
            return []
        missing = [column for column in SESSIONS.added_when_missing if not table.has(column)]
        row, buttons = max(table.header_row, 1), {position(cell) for cell in BUTTON_CELLS}
        at = next((i for i, column in enumerate(missing) if (row, table.column_of(column)) in buttons), None)
        return missing[at:] if at is not None else []

    def _keep_off_buttons(self, changes: core.ChangeSet) -> None:
        """The withheld columns taken out of the ChangeSet: not added, their values kept where KEPT_IN says (a
        hold's reason in Reason) or not written, the problems at their cells pointed there too."""
        self.withheld = [c for c in self.withheld_columns() if c in changes.new_columns.get(SESSIONS.name, ())]
        if not self.withheld:
            return
        table = self.tables[SESSIONS.name]
        changes.new_columns[SESSIONS.name] = [c for c in changes.new_columns[SESSIONS.name] if c not in self.withheld]
        for values in changes.cells.get(SESSIONS.name, {}).values():
            for column in self.withheld:
                if column in values:
                    value = values.pop(column)
                    if column in KEPT_IN:
                        values[KEPT_IN[column]] = value
        moved = {
            table.column_of(column): table.column_of(KEPT_IN[column]) if column in KEPT_IN else None
            for column in self.withheld
        }
        if changes.problems is not None:
            changes.problems = [_pointed(p, table.sheet, moved) for p in changes.problems]

    def withheld_words(self) -> str:
        """What the status text says once of the columns this click did not add: how to add them."""
        if not self.withheld:
            return ""
        table = self.tables[SESSIONS.name]
        last = table.headers.get(max(table.headers, default=0), "")
        many = len(self.withheld) > 1
        named = " and ".join([", ".join(self.withheld[:-1]), self.withheld[-1]] if many else self.withheld)
        column, header = ("columns", "headers") if many else ("column", "header")
        kept = "; until then a hold keeps its reason in Reason" if "Hold Reason" in self.withheld else ""
        return (
            f"The {table.sheet} sheet has no {named} {column} yet: run sheetflow refresh on the file once — it adds "
            f"the {column} and moves the buttons — or add the {header} yourself right of {last} and move the "
            f"buttons{kept}"
        )

    def _grow_tables(self, appended: dict[str, tuple[int, int]]) -> list[Problem]:
        """Each sheet's own Excel table grows as the file's writer grows it (core/table_growth.py): over the rows
        typed right below it (a blank row ends them), then over the rows this click appended when it reached the
        sheet's last row. A table with a totals row is left alone, and none ever shrinks. Returns the notes."""
        notes: list[Problem] = []
        for sheet, (table, first_row, first_col, last_row, last_col) in sorted(self.excel_tables.items()):
            totals = _has_totals(table)
            typed = last = last_row
            if sheet in TYPED_BELOW:
                grid = self.grids.get(sheet, [])
                filled = [
                    r
                    for r in range(last_row + 1, len(grid) + 1)
                    if any(not is_blank(v) for v in grid[r - 1][first_col - 1 : last_col])
                ]
                typed = last = grown_last_row(last_row, filled, totals)
            if sheet in appended and not totals and last >= appended[sheet][0]:
                last = max(last, appended[sheet][1])
            if last <= last_row:
                continue
            try:
                table.resize(self.sheets[sheet].range((first_row, first_col), (last, last_col)))
            except Exception:  # an engine that can't resize tables: the rows are there, and nothing is said
                continue
            if typed > last_row:
                serves = SESSIONS_TABLE_SERVES if sheet == SESSIONS.name else ""
                notes.append(typed_below_note(self.tables[sheet].sheet, _name(table), last_row, typed, serves))
        return notes

    def _write_cells(self, sheet: str, rows: dict[int, dict[str, object]]) -> None:
        """Changed cells as few rectangles (see _blocks); the cells between changed ones that a rectangle takes
        in keep the values they were read with."""
        table, grid, target = self.tables[sheet], self.grids.get(sheet, []), self.sheets[sheet]
        changed: dict[tuple[int, int], object] = {}
        for row, values in rows.items():
            for column, value in values.items():
                changed[(row, table.column_of(column))] = value
        for r1, c1, r2, c2 in _blocks(changed, len(grid)):
            block = []
            for r in range(r1, r2 + 1):
                line = grid[r - 1] if r <= len(grid) else []
                block.append(
                    [
                        changed[(r, c)] if (r, c) in changed else _as_kept(line[c - 1] if c <= len(line) else None)
                        for c in range(c1, c2 + 1)
                    ]
                )
            _put(target, r1, c1, block)

    def _append(self, sheet: str, rows: list[dict[str, object]]) -> int:
        """The rows as one block below the sheet's last row; returns the new last row."""
        table = self.tables[sheet]
        start = max(table.last_row, table.header_row, 1) + 1  # a sheet added in this run: row 2
        schema = next(s for s in ALL_SHEETS if s.name == sheet)
        cols = [table.column_of(c) for c in schema.columns]
        lo, hi = min(cols), max(cols)
        block = []
        for values in rows:
            line: list[object] = [None] * (hi - lo + 1)
            for column, value in values.items():
                line[table.column_of(column) - lo] = value
            block.append(line)
        if block:
            _put(self.sheets[sheet], start, lo, block)
        return start + len(block) - 1

    def _add_sheet(self, name: str, titled: bool = True) -> None:
        schema = next(s for s in ALL_SHEETS if s.name == name)
        sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])
        if titled:  # the Dashboard, about to be written whole, needs no placeholder
            sheet["A1"].value = [list(schema.columns) or [schema.name]]
        if schema.hidden:
            with contextlib.suppress(Exception):  # an engine that can't hide sheets: it just stays in view
                sheet.visible = False
        self.sheets[name] = sheet
        table = Table(sheet=name, header_row=1, width=len(schema.columns))
        for col, column in enumerate(schema.columns, start=1):
            table.columns[normalize(column)] = col
            table.headers[col] = column
        table.last_row = 1
        self.tables[name] = table
        self.grids[name] = [list(schema.columns)]

    def _dashboard(self, dashboard: Dashboard) -> None:
        """The board as one block of values (and a few format writes); the time in status likewise when this run
        read Notes, else the sheet's own block stays; native charts where the engine makes them."""
        sheet, old = self.sheets[DASHBOARD.name], self.grids.get(DASHBOARD.name, [])
        history = dashboard.time_in_status if dashboard.time_in_status is not None else read_history(old)
        lay = layout(Dashboard(dashboard.board, history))
        if dashboard.time_in_status is None and history is not None:
            laid_out = _write_area(sheet, lay.board, old)  # refresh: the time in status shown stays as it is
        else:  # both blocks, as one write
            laid_out = _write_area(
                sheet, Area(lay.board.first_col, lay.history.last_col, {**lay.board.cells, **lay.history.cells}), old
            )
        if not laid_out:  # the sheet already has this layout: its widths and charts are in place
            return
        title = lay.board.cells.get((1, lay.board.first_col))
        if title is not None and old and old[0] and _plain(old[0][lay.board.first_col - 1]) == title.value:
            _charts(sheet, lay.charts)  # laid out before (a click, or `sheetflow report`): the widths are set
            return
        with contextlib.suppress(Exception):  # widths are comfort: an engine without them still shows the values
            # desktop Excel counts a column's width in characters, Office.js (remote, Lite) in points
            in_points = sheet.book.app.engine.name in ("remote", "officejs")
            columns = sorted(WIDTHS)
            while columns:
                first, width = columns[0], WIDTHS[columns[0]]
                last = first
                while last + 1 in WIDTHS and WIDTHS[last + 1] == width:
                    last += 1
                sheet.range((1, first), (1, last)).column_width = _points(width) if in_points else width
                columns = [c for c in columns if c > last]
        _charts(sheet, lay.charts)

    def _problems(self, problems: list[Problem]) -> None:
        """The Problems sheet rewritten as one block, each Where a link to its cell; left alone when it already
        says exactly this (a repeated click sends nothing for it)."""
        table = self.tables[PROBLEMS.name]
        sheet = self.sheets[PROBLEMS.name]
        header = max(table.header_row, 1)
        width = max(table.width, len(PROBLEMS.columns))
        old_last = max(table.last_row, header)
        columns = [table.column_of(c) for c in ("Severity", "Problem", "How to fix", "Where")]
        shown = [[p.severity.value, p.message, p.fix, p.where] for p in problems]
        old = self.grids.get(PROBLEMS.name, [])[header:old_last]
        if len(old) == len(shown) and all(
            _same([row[c - 1] if c <= len(row) else None for c in columns], new)
            for row, new in zip(old, shown, strict=True)
        ):
            return
        block = []
        for problem in problems:
            line: list[object] = [None] * width
            for column, value in (
                ("Severity", problem.severity.value),
                ("Problem", problem.message),
                ("How to fix", problem.fix),
            ):
                line[table.column_of(column) - 1] = _as_cell(value)
            where = problem.where
            if problem.cell:
                target = f"#'{problem.sheet.replace(chr(39), chr(39) * 2)}'!{problem.cell}"
                where = f'=HYPERLINK("{target}","{problem.where}")'
            line[table.column_of("Where") - 1] = where
            block.append(line)
        if block:
            _put(sheet, header + 1, 1, block, escape=False)
        if old_last > header + len(block):  # what the old list had below the new one
            sheet.range((header + 1 + len(block), 1), (old_last, width)).clear_contents()

    def status_cell(self) -> tuple[Any, int, int] | None:
        """Where the summary goes: the workbook name sheetflowStatus, else two columns right of the Sessions
        headers (past the columns this click added) — moved right of the buttons when that is under one."""
        with contextlib.suppress(Exception):  # no such name
            cell = self.book.names[STATUS_NAME].refers_to_range
            return cell.sheet, cell.row, cell.column
        table, sheet = self.tables.get(SESSIONS.name), self.sheets.get(SESSIONS.name)
        if table is None or sheet is None:
            return None
        row, col = max(table.header_row, 1), table.width + 2 + self.added_columns
        buttons = [position(cell) for cell in sorted(BUTTON_CELLS)]
        if (row, col) in buttons:
            col = max(c for r, c in buttons if r == row) + 1
        return sheet, row, col

    def show(self, message: str) -> None:
        """The one-line summary, in the status cell on the Sessions sheet; status texts earlier clicks left
        elsewhere (under a button, or where a header now is) are cleared."""
        place = self.status_cell()
        if place is None:
            return
        sheet, row, col = place
        sessions = self.sheets.get(SESSIONS.name)
        if sessions is not None and sheet.name == sessions.name:
            for r, c in sorted(self.status_cells):
                if (r, c) != (row, col):
                    _put(sheet, r, c, [[None]])
        _put(sheet, row, col, [[message]])


def _pointed(problem: Problem, sheet: str, moved: dict[int, int | None]) -> Problem:
    """A problem at a withheld column's cell, at the cell its value is kept in instead (as found, when none)."""
    cell = re.fullmatch(r"([A-Z]{1,3})(\d+)", problem.cell) if problem.sheet == sheet else None
    kept = moved.get(column_index(cell[1])) if cell else None
    return dataclasses.replace(problem, cell=address(int(cell[2]), kept)) if kept else problem


def _put(sheet: Any, row: int, col: int, block: list[list[object]], escape: bool = True) -> None:
    """One rectangle of values as one write: each value prepared by the engine itself (dates, blanks) and set
    raw, without xlwings' conversion pipeline, which on the remote engine rebuilds the whole sheet several times
    per write; text that looks like a formula stays text unless `escape` is off."""
    prepare = sheet.book.app.engine.impl.prepare_xl_data_element
    values = [[prepare(_as_cell(v) if escape else v, {}) for v in line] for line in block]
    sheet.range((row, col), (row + len(block) - 1, col + len(block[0]) - 1)).raw_value = values


def _as_kept(value: object) -> object:
    """A cell rewritten as it was read (inside a rectangle of changes): text stays text, whatever it looks like
    (a note "3/4" must not become a date)."""
    return "'" + value if isinstance(value, str) and value else value


def _plain(value: object) -> object:
    """A value as compared with what a sheet holds: blank is None, a midnight datetime its date, 2.0 is 2."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _same(old: list[Any], new: list[Any]) -> bool:
    return len(old) == len(new) and all(_plain(a) == _plain(b) for a, b in zip(old, new, strict=True))


def _blocks(changed: Collection[tuple[int, int]], known_rows: int) -> list[tuple[int, int, int, int]]:
    """Changed cells as rectangles (first row, first column, last row, last column), sorted. Neighbouring
    changed columns go together; down them, the rows in between two changes are taken in (rewritten as they
    were read) unless that costs more than another write would: each write is a round trip to Excel (one
    `sync` in Office.js), each cell some bytes."""
    rows_of: dict[int, set[int]] = {}
    for r, c in changed:
        rows_of.setdefault(c, set()).add(r)
    columns = sorted(rows_of)
    groups: list[list[int]] = []
    for c in columns:
        if groups and groups[-1][-1] == c - 1:
            groups[-1].append(c)
        else:
            groups.append([c])
    done: list[tuple[int, int, int, int]] = []
    for group in groups:
        rows = sorted(set().union(*(rows_of[c] for c in group)))
        width = len(group)
        first = last = rows[0]
        for r in rows[1:]:
            if (r - last - 1) * width <= WRITE_CELLS and r <= known_rows:
                last = r
            else:
                done.append((first, group[0], last, group[-1]))
                first = last = r
        done.append((first, group[0], last, group[-1]))
    return sorted(done)


def _write_area(sheet: Any, area: Area, old: list[list[Any]]) -> bool:
    """Clear what the block held (values and formats), write its values as one block, then its formats by
    rectangles of one kind (a handful of writes, whatever the number of sessions). When the sheet already shows
    this layout (see _same_layout), only the values that differ are written: returns whether the layout was."""
    first, last = area.first_col, area.last_col
    old_last = max(
        (r for r, row in enumerate(old, start=1) if any(v not in (None, "") for v in row[first - 1 : last])), default=0
    )
    grid = area.grid()
    rows = max(len(grid), old_last)
    shown = [[row[c - 1] if c <= len(row) else None for c in range(first, last + 1)] for row in old[:rows]]
    shown += [[None] * (last - first + 1)] * (rows - len(shown))
    if grid and _same_layout(area, shown):
        grid += [[None] * (last - first + 1)] * (rows - len(grid))  # what the old block had below: blanked
        changed = {
            (r, first + j)
            for r, (was, now) in enumerate(zip(shown, grid, strict=True), start=1)
            for j, (a, b) in enumerate(zip(was, now, strict=True))
            if _plain(a) != _plain(b)
        }
        for r1, c1, r2, c2 in _blocks(changed, rows):
            _put(sheet, r1, c1, [row[c1 - first : c2 - first + 1] for row in grid[r1 - 1 : r2]])
        return False
    if old_last:
        sheet.range((1, first), (old_last, last)).clear()
    if grid:
        _put(sheet, 1, first, grid)
    for (r1, c1, r2, c2), kind in _rectangles(area):
        target = sheet.range((r1, c1), (r2, c2))
        if kind in NUMBER_FORMATS:
            target.number_format = NUMBER_FORMATS[kind]
        elif kind == TITLE:
            target.font.bold = True
            target.font.size = 14
        elif kind == "header":
            target.font.bold = True
        elif kind == "note":
            target.font.italic = True
    return True


def _same_layout(area: Area, shown: list[list[Any]]) -> bool:
    """Whether the sheet's block already has the formats this area's would get: every title and header where it
    is now, every dated, decimal or percent cell on a cell holding one, other text (notes too) on text; only counts
    may come and go (blank when 0). A click that only changes figures or names then rewrites no formats."""
    first = area.first_col
    for (r, c), cell in area.cells.items():
        old = shown[r - 1][c - first] if r <= len(shown) else None
        kind, number = cell.kind, isinstance(old, (int, float)) and not isinstance(old, bool)
        if kind in (TITLE, HEADER):
            fits = _plain(old) == _plain(cell.value)
        elif kind == DATE:
            fits = isinstance(old, dt.date)
        elif kind in NUMBER_FORMATS and kind != COUNT:
            fits = number
        elif isinstance(cell.value, str):
            fits = isinstance(old, str) and not is_blank(old)
        else:
            fits = old is None or number
        if not fits:
            return False
    return all(
        is_blank(v) or ((r, first + j) in area.cells or (isinstance(v, (int, float)) and not isinstance(v, bool)))
        for r, row in enumerate(shown, start=1)
        for j, v in enumerate(row)
    )


def _rectangles(area: Area) -> list[tuple[tuple[int, int, int, int], str]]:
    """The area's styled cells as rectangles of one kind: runs along each row, merged down while they repeat."""
    runs: dict[int, list[tuple[int, int, str]]] = {}
    for (r, c), cell in sorted(area.cells.items()):
        if cell.kind is None:
            continue
        row = runs.setdefault(r, [])
        if row and row[-1][1] == c - 1 and row[-1][2] == cell.kind:
            row[-1] = (row[-1][0], c, cell.kind)
        else:
            row.append((c, c, cell.kind))
    done: list[tuple[tuple[int, int, int, int], str]] = []
    growing: dict[tuple[int, int, str], list[int]] = {}  # (first col, last col, kind) -> [first row, last row]
    for r in sorted(runs):
        current = dict.fromkeys(runs[r])  # in column order: the rectangles come out the same on every run
        for key, span in list(growing.items()):
            if key in current and span[1] == r - 1:
                span[1] = r
                del current[key]
            else:
                done.append(((span[0], key[0], span[1], key[1]), key[2]))
                del growing[key]
        for key in current:
            growing[key] = [r, r]
    done += [((span[0], key[0], span[1], key[1]), key[2]) for key, span in growing.items()]
    return sorted(done)


def _points(characters: float) -> float:
    """A column width in characters of the default font (7 pixels each, plus padding), in points."""
    return (characters * 7 + 5) * 0.75


def _charts(sheet: Any, charts: list[Chart]) -> None:
    """Native bar charts over the tables' first columns; found again by name on the next click. An engine or
    client without charts gets the values only (the file's `sheetflow report` draws them)."""
    try:
        existing = {chart.name: chart for chart in sheet.charts}
    except Exception:
        return
    for chart in charts:
        col, first, last = chart.categories
        source = sheet.range((first - 1, col), (last, max(s.col for s in chart.series)))  # headers name the series
        with contextlib.suppress(Exception):
            if chart.name in existing:
                existing[chart.name].set_source_data(source)
                continue
            c1, r1, c2, r2 = chart.anchor
            width = sum(_points(WIDTHS.get(c, 10)) for c in range(c1, c2))
            sheet.charts.add(
                width=width,
                height=(r2 - r1) * 15,
                name=chart.name,
                anchor=sheet.range((r1, c1)),
                chart_type="bar_stacked" if chart.stacked else "bar_clustered",
                source=source,
            )


Operation = Callable[[core.Studio, dt.date], core.Outcome]


def _book(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _run(
    book: Any,
    title: str,
    operation: Operation,
    only_session: str | None = None,
    whole: Collection[str] = (),
    noted: Callable[[dict[str, Table]], None] | None = None,
) -> core.Outcome | None:
    """Read, run, write, report inside the workbook; expected failures become an alert, never a traceback.
    `noted` sees the tables between the read and the studio (what only the rows being read still tell)."""
    with _no_cycle_collection():
        return _click(_book(book), title, operation, only_session, whole, noted)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A click makes a few hundred thousand objects, none of them garbage (the payload, the rows, the sessions):
    Python's cycle collector would rescan them over and over. Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _click(
    book: Any,
    title: str,
    operation: Operation,
    only_session: str | None,
    whole: Collection[str],
    noted: Callable[[dict[str, Table]], None] | None = None,
) -> core.Outcome | None:
    excel = ExcelWorkbook(book)
    today = dt.date.today()
    studio: core.Studio | None = None
    try:
        tables = excel.read(whole)
        if noted is not None:
            noted(tables)
        studio = core.load_studio(tables, only_session)
        if "Hold Reason" in excel.withheld_columns():  # this click does not add the column, so core's upgrade
            studio.hold_reasons = "said"  # (held sessions' Reason moved into it, and said) counts as not due here
        outcome = operation(studio, today)
        excel.write(outcome.changes)
    except WorkbookError as exc:
        _alert(book, f"{title}: {exc}")
        excel.show(f"{title}: not done — {exc}{_afterword(book, title, studio, None)}")
        return None
    except Exception as exc:  # a button must never show a Python traceback
        _alert(book, f"{title} stopped unexpectedly ({type(exc).__name__}: {exc}). Nothing more was changed.")
        return None
    said = f"{outcome.summary}{_told(outcome)}{''.join(f'. {note}' for note in excel.grown)}"
    said += f". {excel.withheld_words()}" if excel.withheld else ""
    excel.show(f"{title} {dt.datetime.now():%Y-%m-%d %H:%M}: {said}{_afterword(book, title, studio, outcome)}")
    if outcome.errors:
        _alert(book, f"{title}: {outcome.summary}. See the Problems sheet.")
    return outcome


# The clicks that refresh every session and fire the date triggers, as the nightly run does: they catch up on it.
CATCHING_UP = frozenset({TITLE_OF["refresh"], TITLE_OF["main"]})


def _afterword(book: Any, title: str, studio: core.Studio | None, outcome: core.Outcome | None) -> str:
    """What the status text says after the click's own summary: in xlwings Lite (or any workbook that is no file
    here) that the Calendar file is not written by this click; where the workbook is a file on this computer, the
    nightly runs that did not get in since the last that did (library/schedule.nightly_news).

    A click that refreshes (Refresh, Run main) says it "has brought it up to date" and marks the nights caught up
    in the nightly log, so the next click no longer tells of them. It does not write Settings' Last refresh: that
    row stays the nightly run's own record (when the scheduled run last got in and what it waited for), and a click
    writing it would hide that the scheduled run keeps missing — the status cell tells the studio instead."""
    settings = studio.settings if studio is not None else None
    saved = _local_file(book)
    if saved is None:
        if outcome is not None and title in CATCHING_UP and settings is not None and settings.calendar_file:
            return (
                f". {settings.calendar_file} is written by Refresh in desktop Excel or by sheetflow refresh, "
                "not in Excel on the web"
            )
        return ""
    try:  # the library is desktop Python's only: xlwings Lite's bundle has no file to look beside anyway
        from ..library.schedule import log_caught_up, nightly_news
    except ImportError:
        return ""
    catching_up = outcome is not None and title in CATCHING_UP
    then = f"this {title} has brought it up to date" if catching_up else "Refresh brings it up to date"
    try:
        said = nightly_news(saved, settings.date_order if settings else "DMY", then if outcome is not None else "")
        if said and catching_up:
            log_caught_up(saved, title, outcome.summary)
    except Exception:  # the log is comfort: a click never fails over it
        return ""
    return f". {said[:1].upper()}{said[1:]}" if said else ""


TOLD_NOTES = 3  # the notes a status text spells out; the rest are counted (Notes has them all)


def _told(outcome: core.Outcome) -> str:
    """What the changes a click applied did beyond the count (a hold, a resume: the lines the command line prints
    after its summary), for the status text; "" for clicks that applied none."""
    if not getattr(outcome, "applied", None) or not outcome.notes:
        return ""
    lines = [line[:1].upper() + line[1:] for line in outcome.notes[:TOLD_NOTES]]
    more = len(outcome.notes) - TOLD_NOTES
    return ". " + ". ".join(lines) + (f". And {more} more like these: see the Notes sheet" if more > 0 else "")


def _alert(book: Any, message: str) -> None:
    with contextlib.suppress(Exception):  # an engine without alerts: the status cell and Problems still tell
        book.app.alert(message, title="sheetflow")


# -- entry points ----------------------------------------------------------------------------------------------


def apply_changes(book: Any = None) -> core.Outcome | None:
    """Apply every session row whose Change To is filled in."""
    return _run(
        book, TITLE_OF["apply_changes"], lambda studio, today: core.apply_pending(studio, today, source="button")
    )


def refresh(book: Any = None) -> core.Outcome | None:
    """Recompute due dates, Flag and Days Overdue; and the studio's calendar beside the workbook when Settings
    names a Calendar file and the workbook is a file on this computer (desktop Excel; Lite writes no files). The
    calendar comes from this click's read (Tasks read whole, where a calendar can be written; the sessions' times of
    day noted as the rows are read) and its Outcome (the due dates it wrote, the tasks it fired)."""
    book, clicked, noting = _book(book), [], []
    saved = _local_file(book)

    def note_times(tables: dict[str, Table]) -> None:
        if saved is not None:  # filled as load_studio reads the rows
            noting.append(session_times(tables[SESSIONS.name]))

    def operation(studio: core.Studio, today: dt.date) -> core.Outcome:
        outcome = core.refresh(studio, today)
        clicked.append((studio, outcome, today))
        return outcome

    whole = (TASKS.name,) if saved is not None else ()
    outcome = _run(book, TITLE_OF["refresh"], operation, whole=whole, noted=note_times)
    if outcome is None or saved is None or not clicked[0][0].settings.calendar_file:
        return outcome
    from ..library.calendar_feed import keep_beside, with_appended  # desktop Python only: icalendar

    studio, refreshed, today = clicked[0]

    def tasks() -> Table:
        return with_appended(studio.tables[TASKS.name], refreshed.changes.appends.get(TASKS.name, []))

    for line in keep_beside(saved, studio, refreshed, lambda: noting[0], tasks, today):
        if "not updated" in line:
            _alert(book, f"Refresh: {line}")
    return outcome


def validate(book: Any = None) -> core.Outcome | None:
    """Check the statuses and sessions; the Problems sheet lists what was found."""
    return _run(book, TITLE_OF["validate"], lambda studio, today: core.validate(studio, today))


def dashboard(book: Any = None) -> core.Outcome | None:
    """Rebuild the Dashboard: a refresh, then the time in status read from the Notes history — and from the Notes
    archives beside the workbook when it is a file on this computer (desktop Excel; Lite has no folder)."""
    book = _book(book)
    saved = _local_file(book)

    def operation(studio: core.Studio, today: dt.date) -> core.Outcome:
        try:  # pandas reads a long history fastest; xlwings Lite carries neither it nor the library
            from ..library.report import rebuild
        except ImportError:
            from ..core.history import rebuild

        return rebuild(studio, today, saved) if saved is not None else rebuild(studio, today)

    return _run(book, TITLE_OF["dashboard"], operation, whole=(NOTES.name,))


def _local_file(book: Any) -> Path | None:
    """The workbook's file when it is one on this computer (not a new, unsaved or web workbook)."""
    try:
        path = Path(str(book.fullname))
    except Exception:  # the remote and Lite engines may know no full name
        return None
    return path if path.is_absolute() and path.is_file() else None


def change_status(book: Any = None) -> core.Outcome | None:
    """Move the selected session rows to their next status (desktop Excel, where the selection is reliable)."""
    book = _book(book)
    sheet, rows = _selected_rows(book)

    def operation(studio: core.Studio, today: dt.date) -> core.Outcome:
        sessions = studio.tables[SESSIONS.name].sheet  # the studio's own sheet when Settings names one
        if normalize(sheet) != normalize(sessions):
            raise WorkbookError(f"select the rows of the sessions to move on the {sessions} sheet first")
        return core.change_rows(studio, rows, today, source="button")

    if not rows:
        _alert(book, "Change status: select the rows of the sessions to move on the Sessions sheet first.")
        return None
    return _run(book, TITLE_OF["change_status"], operation)


def main(book: Any = None) -> core.Outcome | None:
    """The add-in's Run main: apply pending changes, then refresh (which also validates)."""
    return _run(book, TITLE_OF["main"], lambda studio, today: core.apply_and_refresh(studio, today, source="button"))


def renumber_statuses(book: Any = None) -> core.Outcome | None:
    """Renumber each cycle's sort orders 10, 20, 30 …, keeping the order (the status list's Renumber)."""
    from ..core.maintenance import renumber

    return _run(book, TITLE_OF["renumber_statuses"], lambda studio, today: renumber(studio))


def hide_inactive_statuses(book: Any = None) -> core.Outcome | None:
    """Hide the inactive statuses' rows on the Statuses sheet (the status list's Hide Inactive)."""
    return _inactive_rows_shown(_book(book), "hide_inactive_statuses", hide=True)


def show_inactive_statuses(book: Any = None) -> core.Outcome | None:
    """Show every row of the Statuses sheet again."""
    return _inactive_rows_shown(_book(book), "show_inactive_statuses", hide=False)


def _inactive_rows_shown(book: Any, entry: str, hide: bool) -> core.Outcome | None:
    """Rows hidden (or shown) through the engine, where it can hide rows; where it can't, the status text says so
    and how to do it by hand. (Excel's own filter state can't be set through xlwings: rows are hidden, not filtered.)"""
    from ..core.maintenance import inactive_filter_outcome, inactive_rows

    def operation(studio: core.Studio, today: dt.date) -> core.Outcome:
        table = studio.tables[STATUSES.name]
        found = inactive_rows(table)
        first, last = table.header_row + 1, max(table.last_row, table.header_row + 1)
        try:
            sheet = book.sheets[table.sheet]
            sheet.range((first, 1), (last, 1)).rows.hidden = False
            if hide:
                for top, bottom in _runs(found.rows):
                    sheet.range((top, 1), (bottom, 1)).rows.hidden = True
            could = True
        except Exception:  # an engine (or xlwings) that can't hide rows
            could = False
        return inactive_filter_outcome(found, hide, rows_hidden=could, filtered=False)

    return _run(book, TITLE_OF[entry], operation)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Row numbers as runs of neighbours (first, last): one write per run."""
    runs: list[tuple[int, int]] = []
    for row in sorted(rows):
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _selected_rows(book: Any) -> tuple[str, list[int]]:
    """The selection's sheet and rows (none when there is no selection)."""
    try:
        selection = book.selection
    except Exception:
        return "", []
    if selection is None:
        return "", []
    first = selection.row
    return selection.sheet.name, list(range(first, first + selection.rows.count))


__all__ = [
    "apply_changes",
    "change_status",
    "refresh",
    "validate",
    "dashboard",
    "main",
    "renumber_statuses",
    "hide_inactive_statuses",
    "show_inactive_statuses",
    "ExcelWorkbook",
    "Row",
]
