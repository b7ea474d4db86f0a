"""Buttons inside the workbook: xlwings entry points that run the same core as the command line on the
open workbook. Everything is worked out from one read of the sheets; writes go out as a few block writes
(a click on 5,000 sessions sends a handful of actions, not thousands), so every xlwings engine can carry
them: desktop Excel, xlwings Server (remote) and xlwings Lite (Office.js)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .core import studio as core
from .core.cells import normalize
from .core.dashboard import NUMBER_FORMATS, TITLE, WIDTHS, Area, Chart, Dashboard, layout, read_history
from .core.mapping import SessionsMapping, read_mapping
from .core.problems import Problem, WorkbookError
from .core.tables import Row, Table, missing_table, shown_name, table_from_grid
from .schema import ALL_SHEETS, DASHBOARD, NOTES, OUTBOX, PROBLEMS, SESSIONS, SETTINGS, TASKS

APPEND_ONLY = {NOTES.name, TASKS.name, OUTBOX.name}
STATUS_NAME = "sheetflowStatus"  # a workbook name for the summary cell; else the cell right of Sessions' headers
_FORMULA_START = ("=", "+", "-", "@")


def _grid(sheet: Any) -> list[list[Any]]:
    """A sheet's values from A1, as one read: its used range; in xlwings Lite (no used range) the extent of
    its Excel tables, which blank rows don't cut short, else A1's expanded region."""
    try:
        rng = sheet.used_range
        last_row, last_col = rng.last_cell.row, rng.last_cell.column
    except NotImplementedError:
        last_row = last_col = 0
        try:
            for table in sheet.tables:
                cell = table.range.last_cell
                last_row, last_col = max(last_row, cell.row), max(last_col, cell.column)
        except Exception:  # an engine that cannot list tables either
            last_row = 0
        if not last_row:
            return [list(row) for row in sheet["A1"].expand().options(ndim=2).value or []]
    values = sheet.range((1, 1), (last_row, last_col)).options(ndim=2).value
    return [list(row) for row in values or []]


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

    def read(self) -> dict[str, Table]:
        """Every sheet sheetflow knows, Settings first: its rows say which sheet holds the sessions and what the
        studio calls their columns (as the file reader does)."""
        by_name = {normalize(s.name): s for s in self.book.sheets}
        mapping = SessionsMapping()
        for schema in ALL_SHEETS:
            sheet = by_name.get(normalize(mapping.sheet_of(schema)))
            if sheet is None:
                self.tables[schema.name] = missing_table(mapping.sheet_of(schema))
            else:
                self.sheets[schema.name] = sheet
                grid = _grid(sheet)
                self.grids[schema.name] = grid
                table = table_from_grid(sheet.name, grid, schema, mapping.aliases_of(schema))
                table.sheet = shown_name(sheet.name, schema)
                self.tables[schema.name] = table
            if schema is SETTINGS:
                mapping = read_mapping(self.tables[SETTINGS.name])
        return self.tables

    # -- writing ------------------------------------------------------------------------------------------------

    def write(self, changes: core.ChangeSet) -> None:
        for name in changes.new_sheets:
            self._add_sheet(name, titled=not (name == DASHBOARD.name and changes.dashboard is not None))
        for sheet, columns in changes.new_columns.items():
            table = self.tables[sheet]
            first = table.column_of(columns[0])
            row = max(table.header_row, 1)
            self.sheets[sheet].range((row, first)).value = [list(columns)]
        for sheet, rows in changes.cells.items():
            self._write_columns(sheet, rows)
        for sheet, rows in changes.appends.items():
            self._append(sheet, rows)
        if changes.problems is not None:
            self._problems(changes.problems)
        if changes.dashboard is not None:
            self._dashboard(changes.dashboard)

    def _write_columns(self, sheet: str, rows: dict[int, dict[str, object]]) -> None:
        """One write per changed column: its span from the first to the last changed row, the cells between
        keeping the values they were read with."""
        table, grid, target = self.tables[sheet], self.grids.get(sheet, []), self.sheets[sheet]
        by_column: dict[int, dict[int, object]] = {}
        for row, values in rows.items():
            for column, value in values.items():
                by_column.setdefault(table.column_of(column), {})[row] = value
        for col, values in sorted(by_column.items()):
            first, last = min(values), max(values)
            block = []
            for row in range(first, last + 1):
                if row in values:
                    block.append([_as_cell(values[row])])
                else:
                    current = grid[row - 1][col - 1] if row <= len(grid) and col <= len(grid[row - 1]) else None
                    block.append([_as_cell(current)])
            target.range((first, col), (last, col)).value = block

    def _append(self, sheet: str, rows: list[dict[str, object]]) -> None:
        table = self.tables[sheet]
        start = max(table.last_row, table.header_row, 1) + 1  # a sheet added in this run: row 2
        schema = next(s for s in ALL_SHEETS if s.name == sheet)
        cols = [table.column_of(c) for c in schema.columns]
        lo, hi = min(cols), max(cols)
        block = []
        for values in rows:
            line: list[object] = [None] * (hi - lo + 1)
            for column, value in values.items():
                line[table.column_of(column) - lo] = _as_cell(value)
            block.append(line)
        if block:
            self.sheets[sheet].range((start, lo)).value = block

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
            _write_area(sheet, lay.board, old)  # refresh: the time in status shown stays as it is
        else:  # both blocks, as one write
            _write_area(sheet, Area(lay.board.first_col, lay.history.last_col, {**lay.board.cells,
                                                                               **lay.history.cells}), old)
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
        """The Problems sheet rewritten as one block; each Where is a link to its cell."""
        table = self.tables[PROBLEMS.name]
        sheet = self.sheets[PROBLEMS.name]
        header = max(table.header_row, 1)
        width = max(table.width, len(PROBLEMS.columns))
        old_last = max(table.last_row, header)
        if old_last > header:
            sheet.range((header + 1, 1), (old_last, width)).clear_contents()
        block = []
        for problem in problems:
            line: list[object] = [None] * width
            for column, value in (("Severity", problem.severity.value), ("Problem", problem.message),
                                  ("How to fix", problem.fix)):
                line[table.column_of(column) - 1] = _as_cell(value)
            where = problem.where
            if problem.cell:
                target = f"#'{problem.sheet.replace(chr(39), chr(39) * 2)}'!{problem.cell}"
                where = f'=HYPERLINK("{target}","{problem.where}")'
            line[table.column_of("Where") - 1] = where
            block.append(line)
        if block:
            sheet.range((header + 1, 1)).value = block

    def show(self, message: str) -> None:
        """The one-line summary, in the status cell on the Sessions sheet."""
        try:
            cell = self.book.names[STATUS_NAME].refers_to_range
        except Exception:  # no such name: the cell right of the Sessions header row
            table = self.tables.get(SESSIONS.name)
            sheet = self.sheets.get(SESSIONS.name)
            if table is None or sheet is None:
                return
            cell = sheet.range((max(table.header_row, 1), table.width + 2))
        cell.value = _as_cell(message)


def _write_area(sheet: Any, area: Area, old: list[list[Any]]) -> None:
    """Clear what the block held (values and formats), write its values as one block, then its formats by
    rectangles of one kind (a handful of writes, whatever the number of sessions)."""
    first, last = area.first_col, area.last_col
    old_last = max((r for r, row in enumerate(old, start=1)
                    if any(v not in (None, "") for v in row[first - 1:last])), default=0)
    if old_last:
        sheet.range((1, first), (old_last, last)).clear()
    grid = area.grid()
    if grid:
        sheet.range((1, first)).value = [[_as_cell(v) for v in row] for row in grid]
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
        current = set(runs[r])
        for key, span in list(growing.items()):
            if key in current and span[1] == r - 1:
                span[1] = r
                current.discard(key)
            else:
                done.append(((span[0], key[0], span[1], key[1]), key[2]))
                del growing[key]
        for key in current:
            growing[key] = [r, r]
    done += [((span[0], key[0], span[1], key[1]), key[2]) for key, span in growing.items()]
    return done


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
            sheet.charts.add(width=width, height=(r2 - r1) * 15, name=chart.name, anchor=sheet.range((r1, c1)),
                             chart_type="bar_stacked" if chart.stacked else "bar_clustered", source=source)


Operation = Callable[[core.Studio, dt.date], core.Outcome]


def _book(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _run(book: Any, title: str, operation: Operation, only_session: str | None = None) -> core.Outcome | None:
    """Read, run, write, report inside the workbook; expected failures become an alert, never a traceback."""
    book = _book(book)
    excel = ExcelWorkbook(book)
    today = dt.date.today()
    try:
        studio = core.load_studio(excel.read(), only_session)
        outcome = operation(studio, today)
        excel.write(outcome.changes)
    except WorkbookError as exc:
        _alert(book, f"{title}: {exc}")
        excel.show(f"{title}: not done — {exc}")
        return None
    except Exception as exc:  # a button must never show a Python traceback
        _alert(book, f"{title} stopped unexpectedly ({type(exc).__name__}: {exc}). Nothing more was changed.")
        return None
    excel.show(f"{title} {dt.datetime.now():%Y-%m-%d %H:%M}: {outcome.summary}")
    if outcome.errors:
        _alert(book, f"{title}: {outcome.summary}. See the Problems sheet.")
    return outcome


def _alert(book: Any, message: str) -> None:
    with contextlib.suppress(Exception):  # an engine without alerts: the status cell and Problems still tell
        book.app.alert(message, title="sheetflow")


# -- entry points ----------------------------------------------------------------------------------------------


def apply_changes(book: Any = None) -> core.Outcome | None:
    """Apply every session row whose Change To is filled in."""
    return _run(book, "Apply changes", lambda studio, today: core.apply_pending(studio, today, source="button"))


def refresh(book: Any = None) -> core.Outcome | None:
    """Recompute due dates, Flag and Days Overdue."""
    return _run(book, "Refresh", lambda studio, today: core.refresh(studio, today))


def validate(book: Any = None) -> core.Outcome | None:
    """Check the statuses and sessions; the Problems sheet lists what was found."""
    return _run(book, "Validate", lambda studio, today: core.validate(studio, today))


def dashboard(book: Any = None) -> core.Outcome | None:
    """Rebuild the Dashboard: a refresh, then the time in status read from the Notes history (needs pandas)."""

    def operation(studio: core.Studio, today: dt.date) -> core.Outcome:
        from .report import rebuild

        return rebuild(studio, today)

    return _run(book, "Dashboard", operation)


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
    return _run(book, "Change status", operation)


def main(book: Any = None) -> core.Outcome | None:
    """The add-in's Run main: apply pending changes, then refresh (which also validates)."""
    return _run(book, "Run main", lambda studio, today: core.apply_and_refresh(studio, today, source="button"))


def renumber_statuses(book: Any = None) -> core.Outcome | None:
    """Renumber each cycle's sort orders 10, 20, 30 …, keeping the order (the status list's Renumber)."""
    from .core.maintenance import renumber

    return _run(book, "Renumber statuses", lambda studio, today: renumber(studio))


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


__all__ = ["apply_changes", "change_status", "refresh", "validate", "dashboard", "main", "renumber_statuses",
           "ExcelWorkbook",
           "Row"]
