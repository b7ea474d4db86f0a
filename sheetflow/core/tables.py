"""A sheet as read: its header row, columns found by name, and its rows with their sheet row numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cells import address, is_blank, normalize
from .schema import SheetSchema

HEADER_SEARCH_ROWS = 30  # a title or a note above the header row is fine


@dataclass(slots=True)
class Row:
    """One sheet row: its 1-based number and its values (index 0 is column A)."""

    number: int
    values: Sequence[Any]
    table: Table

    def get(self, column: str) -> Any:
        col = self.table.index(column)
        if col is None or col > len(self.values):
            return None
        value = self.values[col - 1]
        return None if value == "" else value

    def cell(self, column: str) -> str:
        """The address of this row's cell in a column (the header's column, or the next free one)."""
        return address(self.number, self.table.column_of(column))

    def is_blank(self, columns: Iterable[str]) -> bool:
        return all(is_blank(self.get(c)) for c in columns)


@dataclass
class Table:
    """A sheet found by name whose columns are found by header name, in any order."""

    sheet: str
    header_row: int = 0  # 0: the sheet has no header row (or does not exist)
    columns: dict[str, int] = field(default_factory=dict)  # normalized header -> 1-based column
    headers: dict[int, str] = field(default_factory=dict)  # 1-based column -> header as typed
    rows: Iterable[Row] = field(default_factory=list)  # Sessions: read once, as the rows stream in
    last_row: int = 0  # last row holding anything (the header included)
    width: int = 0  # last column holding a header
    duplicate_headers: list[str] = field(default_factory=list)  # addresses of repeated header cells
    exists: bool = True
    date1904: bool = False  # the workbook counts date serials from 1904-01-01 (numbers read as dates use it)
    aliases: dict[str, str] = field(default_factory=dict)  # sheetflow column -> the studio's header (Settings)
    notices: list[Any] = field(default_factory=list)  # warnings the reader found (values far from the table)

    def index(self, column: str) -> int | None:
        """The 1-based column of a header name (looked up once per name: this is the hot path)."""
        try:
            return self._index[column]
        except KeyError:
            found = self._index[column] = self.columns.get(normalize(column))
            return found

    def has(self, column: str) -> bool:
        return normalize(column) in self.columns

    def alias(self, column: str, header: str) -> None:
        """Read and write sheetflow's `column` under the studio's own `header` (Settings' `Column for …` rows)."""
        self.aliases[column] = header
        wanted = normalize(header)  # among the headers as typed: another alias may already stand on that name
        found = next((col for col, text in self.headers.items() if normalize(text) == wanted), None)
        if found is not None:
            self.columns[normalize(column)] = found
            self._index.clear()

    def column_of(self, column: str) -> int:
        """The column of a header; a missing one is where sheetflow will add it (right of the last header)."""
        found = self.columns.get(normalize(column))
        if found is not None:
            return found
        return self.width + 1 + self.missing_order(column)

    def missing_order(self, column: str) -> int:
        return self._missing.index(normalize(column)) if normalize(column) in self._missing else 0

    def header_cell(self, column: str) -> str:
        return address(max(self.header_row, 1), self.column_of(column))

    def plan_missing(self, columns: Iterable[str]) -> list[str]:
        """Columns that will be added at the right end, in order; remembered for column_of()."""
        self._missing = [normalize(c) for c in columns if not self.has(c)]
        return [c for c in columns if not self.has(c)]

    _missing: list[str] = field(default_factory=list, repr=False)
    _index: dict[str, int | None] = field(default_factory=dict, repr=False)


def table_from_grid(
    sheet: str,
    grid: Iterable[Sequence[Any]],
    schema: SheetSchema | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Table:
    """Build a Table from a sheet's rows of values (row 1 first), finding the header row by its names; `aliases`
    (sheetflow column -> the studio's header) count as those columns' names."""
    rows = grid if isinstance(grid, list) else list(grid)
    wanted = {normalize(c) for c in schema.columns} if schema else set()
    key = normalize(schema.required[0]) if schema and schema.required else None
    renamed = {normalize(header): normalize(column) for column, header in (aliases or {}).items()}
    header_index, best = -1, 0
    for i, values in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {normalize(v) for v in values if not is_blank(v)}
        if renamed:
            names |= {renamed[n] for n in names if n in renamed}
        score = len(names & wanted) if wanted else len(names)
        if key is not None and key not in names:
            score = 0
        if score > best:
            header_index, best = i, score
    table = Table(sheet=sheet)
    last = 0
    for i in range(len(rows) - 1, -1, -1):
        if any(not is_blank(v) for v in rows[i]):
            last = i + 1
            break
    table.last_row = last
    table.aliases = dict(aliases or {})
    if header_index < 0:
        return table
    table.header_row = header_index + 1
    for col, value in enumerate(rows[header_index], start=1):
        if is_blank(value):
            continue
        name = normalize(value)
        if name in table.columns:
            table.duplicate_headers.append(address(table.header_row, col))
            continue
        table.columns[name] = col
        table.headers[col] = str(value).strip()
        table.width = col
    for column, header in (aliases or {}).items():
        table.alias(column, header)
    table.rows = [Row(header_index + 2 + i, values, table) for i, values in enumerate(rows[header_index + 1 : last])]
    return table


def missing_table(sheet: str) -> Table:
    return Table(sheet=sheet, exists=False)


def shown_name(real: str, schema: SheetSchema) -> str:
    """The name problems give a sheet: sheetflow's spelling when it is the schema's own sheet (typed "sessions"),
    else the studio's own name (a Clients sheet chosen as the Sessions sheet)."""
    return schema.name if normalize(real) == normalize(schema.name) else real
