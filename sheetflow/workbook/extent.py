"""Sheets whose cells span a huge rectangle: one stray value at XFD1048576 makes python-calamine allocate the whole
rectangle between A1 and it (17 billion cells: the process aborts; at XFD3000, 1.9 GB). calamine sizes the range
from the cells that hold values, not from <dimension>, so the extent is found by a scan of the cell references
(a few ms per 10 MB); only a sheet found too large is read here instead, sparsely: only the cells present, only
the table's columns, each value beyond them reported at its address."""

from __future__ import annotations

import codecs
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..core.cells import address, column_index
from ..core.problems import Problem, Severity
from ..core.tables import HEADER_SEARCH_ROWS
from .integrity import damaged
from .zipio import MemberReader

FLOOR = 2_000_000  # cells: any rectangle this small costs calamine at most ~64 MB, whatever the sheet holds
BYTES_PER_CELL = 8  # a cell present takes 20-40 bytes of XML: a rectangle over part-size/8 cells is mostly empty
FAR_GAP = 64  # empty columns between the table and a value that make it a stray, not a column of the table
SHOWN = 3  # far cells named one by one on a sheet; the rest are counted

# Literal prefixes (no \s): the regex engine then skips to each candidate, 1-2 ms per MB.
_WIDE = re.compile(rb' r="[A-Z]{2,3}\d')  # a cell beyond column Z (none on sheetflow's own sheets)
_WIDE_COLUMN = re.compile(rb' r="([A-Z]{2,3})\d')
_ROW_NUMBER = re.compile(rb'\sr="([A-Z]{0,3})(\d+)"')


def too_large(zf: zipfile.ZipFile, part: str) -> bool:
    """Whether calamine would size this sheet far beyond the cells it holds: the last row and the widest column
    its cell references name, against the part's size. Each chunk is searched in place (no copies), with a
    short seam from the one before for a reference cut in two."""
    info = zf.getinfo(part)
    allowed = FLOOR + info.file_size // BYTES_PER_CELL
    last_row, widest, previous = 0, 1, b""
    with MemberReader(zf, info) as fh:
        while chunk := fh.read(1 << 20):
            seam = previous[-32:] + chunk[:32]
            previous = chunk
            for text in (seam, chunk):
                if _WIDE.search(text):
                    widest = max(widest, *(column_index(c.decode()) for c in set(_WIDE_COLUMN.findall(text))))
            for letters, number in _ROW_NUMBER.findall(chunk, max(0, len(chunk) - 4096)):  # rows are in order:
                last_row = max(last_row, int(number))  # the chunk's last one is here
                if letters and len(letters) == 1:  # the width of rows within A-Z, from the rows seen here
                    widest = max(widest, column_index(letters.decode()))
            out_of_order = re.compile(rb'row r="(\d{%d,})"' % (len(str(last_row)) + 1))
            for text in (seam, chunk):
                for number in out_of_order.findall(text):
                    last_row = max(last_row, int(number))
            if last_row * widest > allowed:
                return True
    return False


@dataclass
class SparseSheet:
    """A sheet read cell by cell: rows of the table's columns, and the values found beyond them."""

    name: str
    limit: int = 0  # the last column read
    far: list[str] = field(default_factory=list)  # addresses of values beyond the table (the first SHOWN)
    far_count: int = 0

    def problems(self) -> list[Problem]:
        """The far values as warnings at their addresses (the first few; the rest counted in one more)."""
        found = [
            Problem(
                self.name,
                cell,
                "this cell holds a value far from the table (sheetflow reads only the table's columns)",
                "delete it if it is a stray (Ctrl+End in Excel shows the last cell the sheet holds)",
                Severity.WARNING,
            )
            for cell in self.far
        ]
        if self.far_count > len(self.far):
            more = self.far_count - len(self.far)
            what = "cell holds a value" if more == 1 else "cells hold values"
            found.append(
                Problem(
                    self.name,
                    "",
                    f"{more:,} more {what} far from the table, right of column {address(1, max(self.limit, 1))[:-1]}",
                    "delete them if they are strays",
                    Severity.WARNING,
                )
            )
        return found


_ROW = re.compile(r"<(?:[\w.\-]+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:[\w.\-]+:)?row>)", re.S)
_CELL = re.compile(r"<(?:[\w.\-]+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[\w.\-]+:)?c>)", re.S)
_R = re.compile(r'(?<![\w:])r="([A-Z]*)(\d*)"')
_END = re.compile(r"</(?:[\w.\-]+:)?sheetData>|<(?:[\w.\-]+:)?sheetData\s*/>")


def cells(
    zf: zipfile.ZipFile, part: str, value_of: Callable[[str, str], object]
) -> Iterator[tuple[int, dict[int, object]]]:
    """(row number, {column: value}) of every row holding a value, in the order stored, read a megabyte at a
    time; `value_of(attrs, body)` decodes one cell (None when it holds nothing)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    text, previous, done = "", 0, False
    with MemberReader(zf, zf.getinfo(part)) as fh:
        while not done:
            data = fh.read(1 << 20)
            try:
                text += decoder.decode(data, final=not data)
            except UnicodeDecodeError:
                raise damaged(part, "text that is not valid UTF-8") from None
            end = _END.search(text)
            if end or not data:
                ready, text, done = text[: end.start()] if end else text, "", True
            else:
                cut = _row_end(text)
                if cut < 0:
                    continue
                ready, text = text[:cut], text[cut:]
            for m in _ROW.finditer(ready):
                r = _R.search(m[1])
                number = int(r[2]) if r and r[2] else previous + 1
                previous = number
                values: dict[int, object] = {}
                col = 0
                for c in _CELL.finditer(m[2] or ""):
                    ref = _R.search(c[1])
                    col = column_index(ref[1]) if ref and ref[1] else col + 1
                    value = value_of(c[1], c[2] or "")
                    if value is not None:
                        values[col] = _like_calamine(value)
                if values:
                    yield number, values


def _row_end(text: str) -> int:
    """Where the last complete row of `text` ends (-1: none yet)."""
    at = len(text)
    while (at := text.rfind("row>", 0, at)) > 0:
        if re.search(r"</(?:[\w.\-]+:)?$", text[max(0, at - 40) : at]):
            return at + 4
    return -1


def _like_calamine(value: object) -> object:
    """calamine gives a date for a whole-day serial, a datetime otherwise; text and numbers as they are."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def table_limit(head: list[tuple[int, dict[int, object]]]) -> int:
    """The table's last column: the header rows' cells up to the first gap of FAR_GAP empty columns."""
    columns = sorted({c for number, values in head if number <= HEADER_SEARCH_ROWS for c in values})
    limit = 0
    for col in columns:
        if col - limit > FAR_GAP:
            break
        limit = col
    return limit


def kept(sheet: SparseSheet, number: int, values: dict[int, object]) -> list[object]:
    """One row's values from column A to the table's last column; values beyond it noted as far."""
    row: list[object] = [""] * sheet.limit
    for col, value in values.items():
        if col <= sheet.limit:
            row[col - 1] = value
        else:
            sheet.far_count += 1
            if len(sheet.far) < SHOWN:
                sheet.far.append(address(number, col))
    return row
