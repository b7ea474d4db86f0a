"""Which Notes rows `sheetflow notes archive` moves: the oldest ones, logged before a date, as one block from the
top of the history, so that the archive followed by what stays on Notes is the same history in the same order
(time in status reads them that way).

Pure Python; sheetflow/archive.py reads and writes the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .cells import CellValueError, column_letter, is_blank, read_date
from .tables import Row

LOGGED_AT = "Logged At"


@dataclass
class Cut:
    """The block of Notes rows to move: sheet rows first..last (blank rows among them go too, uncounted)."""

    before: dt.date
    first: int = 0  # 0: nothing to move
    last: int = 0
    rows: list[Row] = field(default_factory=list)  # the rows that hold something, oldest first
    first_logged: dt.date | None = None
    last_logged: dt.date | None = None
    stayed: int = 0  # rows logged before the date that stay, because a newer row comes before them
    kept: int = 0  # rows that stay on Notes (holding something)
    moved: int = 0  # rows that hold something among first..last


def logged_on(value: object, date_order: str, date1904: bool) -> dt.date | None:
    """The day a Notes row was logged; None when its Logged At is blank or not a date (typed by hand)."""
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return read_date(value, date_order, date1904)
    except CellValueError:
        return None


def plan_cut(
    rows: Iterable[Row], logged_col: int, before: dt.date, date_order: str = "DMY", date1904: bool = False
) -> Cut:
    """The rows from the top of the history up to the last one logged before `before` with none logged on or after
    it above: rows without a readable Logged At go when older rows come after them, never at the edge of the cut.
    Rows logged before the date below a newer one stay (moving them would reorder the history); they are counted."""
    cut = Cut(before=before)
    block: list[Row] = []  # rows since the last dated row of the cut, undated ones, waiting for the next dated one
    cutting = True
    older = _older_than(before, date_order, date1904)
    index = logged_col - 1
    for row in rows:
        values = row.values
        logged = values[index] if index < len(values) else None
        if logged is None or logged == "":
            if all(is_blank(v) for v in values):
                continue
            is_older = None
        else:
            is_older = older(logged)
        if not cutting:
            cut.kept += 1
            cut.stayed += is_older is True
            continue
        if is_older is None:
            block.append(row)
            continue
        if not is_older:
            cutting = False
            cut.kept += 1 + len(block)
            continue
        block.append(row)
        if not cut.rows:
            cut.first = block[0].number
        cut.rows += block
        block = []
        cut.last = row.number
    if cutting:
        cut.kept += len(block)
    cut.moved = len(cut.rows)
    cut.first_logged = next(_days(cut.rows, index, date_order, date1904), None)
    cut.last_logged = next(_days(reversed(cut.rows), index, date_order, date1904), None)
    return cut


def _days(rows: Iterable[Row], index: int, date_order: str, date1904: bool):
    for row in rows:
        day = logged_on(row.values[index], date_order, date1904) if index < len(row.values) else None
        if day is not None:
            yield day


def _older_than(before: dt.date, date_order: str, date1904: bool):
    """Whether a Logged At value is before the day (None: not a date). Times and serials, what nearly every row
    holds, are compared as they are: a million rows are not turned into dates one by one."""
    from .cells import to_serial

    midnight = dt.datetime.combine(before, dt.time())
    serial = to_serial(before, date1904)

    def older(value: object) -> bool | None:
        kind = type(value)
        if kind is dt.datetime:
            return value < midnight  # type: ignore[operator]
        if kind is float and 1 <= value < 2958466:  # type: ignore[operator]
            return value < serial  # type: ignore[operator]
        day = logged_on(value, date_order, date1904)
        return None if day is None else day < before

    return older


def row_values(row: Row, headers: dict[int, str]) -> dict[str, object]:
    """A Notes row as header -> value, for the archive's columns; a value under no header keeps its column
    letter as its header (nothing is left behind)."""
    values: dict[str, object] = {}
    for col, value in enumerate(row.values, start=1):
        if is_blank(value):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # calamine reads every number as a float: 1011, as it was typed
        values[headers.get(col) or f"Column {column_letter(col)}"] = value
    return values


def same_row(a: dict[str, object], b: dict[str, object]) -> bool:
    """Whether two rows as read hold the same values (a time within a millisecond: Excel keeps no finer)."""
    if a.keys() != b.keys():
        return False
    for key, x in a.items():
        y = b[key]
        if isinstance(x, dt.datetime) and isinstance(y, dt.datetime):
            if abs(x - y) > dt.timedelta(milliseconds=1):
                return False
        elif isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
            if abs(x - y) > 1e-9 * max(1.0, abs(x)):
                return False
        elif x != y:
            return False
    return True


def archive_note(moved: int, before: dt.date, archive: str, first_row: int, last_row: int) -> str:
    """The Notes row that says how many rows went where."""
    return (
        f"{moved:,} note{'s' if moved != 1 else ''} logged before {before.isoformat()} (rows {first_row:,} to "
        f"{last_row:,}) moved to the archive {archive}"
    )


def headers_of(headers: dict[int, str], rows: Sequence[dict[str, object]]) -> list[str]:
    """The archive's columns: the Notes headers in their order, then any the rows brought of their own."""
    names = [headers[col] for col in sorted(headers)]
    known, extra = set(names), {}
    for row in rows:
        for name in row:
            if name not in known:
                extra.setdefault(name, None)
    return names + list(extra)
