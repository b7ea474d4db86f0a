"""Streaming rewrite of one worksheet part: rows nobody changed are copied as they are, byte for byte;
in a changed row only the owned cells are replaced (each keeping its style); new rows go in order."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape, unescape
from typing import IO

from ..core.cells import address, column_index, column_letter, to_serial
from ..core.problems import WorkbookError
from .package import Styles, join_ref, split_ref

CHUNK = 1 << 20
EXCEL_MAX_TEXT = 32767
_NAME = r"(?:[A-Za-z_][\w.\-]*:)?"
_SHEETDATA_OPEN = re.compile(rf"<({_NAME})sheetData\b[^>]*?(/?)>")
_ROW_OR_END = re.compile(rf"<({_NAME})row\b([^>]*?)(?:/>|>(.*?)</{_NAME}row>)|</{_NAME}sheetData>", re.S)
_CELL = re.compile(rf"<{_NAME}c\b([^>]*?)(?:/>|>(.*?)</{_NAME}c>)", re.S)
_ATTR_R = re.compile(r'(?<![\w:])r="([A-Z]*)(\d+)"')
_ATTR_S = re.compile(r'(?<![\w:])s="(\d+)"')
_B_ATTR_S = re.compile(rb'(?<![\w:])s="(\d+)"')
_SPANS = re.compile(r'\bspans="(\d+):(\d+)"')
_CELL_TAG = re.compile(rf"^<({_NAME})c\b")
_DIMENSION = re.compile(rf'(<{_NAME}dimension\b[^>]*?\bref=")([^"]*)(")')
_COL = re.compile(rf"<{_NAME}col\b([^>]*?)/?>")
_HYPERLINKS = re.compile(rf"<{_NAME}hyperlinks\b.*?</{_NAME}hyperlinks>|<{_NAME}hyperlinks\s*/>", re.S)
_AFTER_HYPERLINKS = re.compile(
    rf"<{_NAME}(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties|cellWatches|"
    r"ignoredErrors|smartTags|drawing|legacyDrawing|legacyDrawingHF|picture|oleObjects|controls|webPublishItems|"
    r"tableParts|extLst)\b"
)
_AUTOFILTER = re.compile(rf'(<{_NAME}autoFilter\b[^>]*?\bref=")([^"]*)(")')
_FORMULA = re.compile(rf"<{_NAME}f\b([^>]*?)(?:/>|>(.*?)</{_NAME}f>)", re.S)
_SHARED = re.compile(r'\bt="shared"')
_SI = re.compile(r'\bsi="(\d+)"')
_REF_ATTR = re.compile(r'\bref="([^"]+)"')
_B_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?"
_B_SHEETDATA_OPEN = re.compile(rb"<(" + _B_NAME + rb")sheetData\b[^>]*?(/?)>")
_B_ROW_OR_END = re.compile(
    rb"<(" + _B_NAME + rb")row\b([^>]*?)(?:/>|>(.*?)</" + _B_NAME + rb"row>)|</" + _B_NAME + rb"sheetData>", re.S
)
_B_ATTR_R = re.compile(rb'(?<![\w:])r="([A-Z]*)(\d+)"')
_B_HAS_VALUE = re.compile(rb"<" + _B_NAME + rb"(?:v|is|f)\b")
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPED_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
# a row's or a cell's reference; `<` is always escaped in text, so these are tags, never cell contents
_B_REF_IN_TAG = re.compile(rb"(<" + _B_NAME + rb"(?:row|c)\b[^>]*?(?<![\w:])r=\"[A-Z]*)(\d+)\"")
_B_FORMULA_TAG = re.compile(rb"<" + _B_NAME + rb"f[\s>/]")


_LETTERS: dict[int, str] = {}  # column number -> its letters, worked out once per column a rewrite writes
_COLUMNS: dict[str, int] = {}  # and back


def _ref(row: int, col: int) -> str:
    """A cell's reference, as `address` gives it: a rewrite asks for the same few columns on every row."""
    letters = _LETTERS.get(col)
    if letters is None:
        letters = _LETTERS[col] = column_letter(col)
    return f"{letters}{row}"


def _column(letters: str) -> int:
    """`column_index`, once per column's letters (Excel's have at most three: a file's odd ones are not kept)."""
    col = _COLUMNS.get(letters)
    if col is None:
        col = column_index(letters)
        if len(letters) <= 3:
            _COLUMNS[letters] = col
    return col


class LastRowMismatch(Exception):
    """Rows were appended after a row that turned out not to be the last used one."""


@dataclass
class SheetPatch:
    """What to change in one sheet: cell values by row and column (1-based), and Problems-style rewrites."""

    cells: dict[int, dict[int, object]] = field(default_factory=dict)
    drop_rows_after: int | None = None  # rows below this one are removed (a sheet sheetflow rewrites whole)
    hyperlinks: list[tuple[str, str, str]] | None = None  # (cell, location, tooltip): replaces <hyperlinks>
    grow_autofilter: tuple[int, int] | None = None  # (old last row, new last row)
    header_row: int = 1  # new cells never take their style from this row or above
    expect_last_value_row: int | None = None  # appended rows were placed after this row: check it on the way
    remove_rows: tuple[int, int] | None = None  # (first, last) cut out; the rows below move up (`notes archive`)
    # the bytes after </sheetData> edited by the module that owns a block of them, before the changes above
    # (workbook/buttons.py moves sheetflow's form controls' <controls> anchors)
    tail_edits: list[Callable[[bytes], bytes]] = field(default_factory=list)

    def set(self, row: int, col: int, value: object) -> None:
        self.cells.setdefault(row, {})[col] = value

    def bounds(self) -> tuple[int, int] | None:
        if not self.cells:
            return None
        return max(self.cells), max(max(cols) for cols in self.cells.values())


def text_for_excel(text: str) -> str:
    """Excel's escaping of characters XML cannot hold (_xHHHH_), then XML escaping."""
    if len(text) > EXCEL_MAX_TEXT // 2 and len(text.encode("utf-16-le")) > 2 * EXCEL_MAX_TEXT:
        # Excel counts UTF-16 units; cut there, never inside a surrogate pair
        text = text.encode("utf-16-le")[: 2 * EXCEL_MAX_TEXT].decode("utf-16-le", errors="ignore")
    if "_x" in text:  # the look-alike needs one: most texts skip the search
        text = _ESCAPED_LOOKALIKE.sub(r"_x005F_\1", text)
    if not text.isprintable():  # every character XML cannot hold is unprintable
        text = ILLEGAL_XML.sub(lambda m: f"_x{ord(m[0]):04X}_", text)
    if "&" in text or "<" in text or ">" in text:
        return escape(text, quote=False)
    return text


def cell_xml(prefix: str, ref: str, style: int, value: object, date1904: bool = False) -> str:
    """One cell; text is always an inline string, so "=HYPERLINK(...)" stays text, never a formula; dates are
    serials in the workbook's date system."""
    s = f' s="{style}"' if style else ""
    if type(value) is str:  # the common case first (the text branch below, without the type checks)
        text = text_for_excel(value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return (
            f'<{prefix}c r="{ref}"{s} t="inlineStr"><{prefix}is><{prefix}t{space}>{text}</{prefix}t>'
            f"</{prefix}is></{prefix}c>"
        )
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return f'<{prefix}c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<{prefix}c r="{ref}"{s} t="b"><{prefix}v>{int(value)}</{prefix}v></{prefix}c>'
    if isinstance(value, (dt.date, dt.datetime)):
        serial = to_serial(value, date1904)
        number = str(serial) if isinstance(serial, int) else f"{serial:.10f}".rstrip("0").rstrip(".")
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{number}</{prefix}v></{prefix}c>'
    if isinstance(value, int):
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{value}</{prefix}v></{prefix}c>'
    if isinstance(value, float):
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{value!r}</{prefix}v></{prefix}c>'
    text = text_for_excel(str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return (
        f'<{prefix}c r="{ref}"{s} t="inlineStr"><{prefix}is><{prefix}t{space}>{text}</{prefix}t>'
        f"</{prefix}is></{prefix}c>"
    )


class _ChunkedOutput:
    """What the rewrite emits, written to dst a megabyte at a time rather than a row at a time."""

    def __init__(self, dst: IO[bytes]):
        self.dst = dst
        self.pieces: list[bytes] = []
        self.size = 0

    def emit(self, piece: bytes | str) -> None:
        data = piece.encode("utf-8") if isinstance(piece, str) else piece
        self.pieces.append(data)
        self.size += len(data)
        if self.size > CHUNK:
            self.flush()

    def flush(self) -> None:
        self.dst.write(b"".join(self.pieces))
        self.pieces.clear()
        self.size = 0


class SheetRewriter:
    """Rewrites one sheet part from src to dst in a single streaming pass."""

    def __init__(self, patch: SheetPatch, styles: Styles, date1904: bool = False):
        self.patch = patch
        self.styles = styles
        self.date1904 = date1904
        self.column_styles: dict[int, int] = {}
        self.previous_row: bytes | str = b""  # the last row written, for the style of a new cell below it
        self.previous_number = 0
        self.prefix = ""
        self._cell_tags = ('<c r="', "<c ", "<c>")  # a numbered cell's start, any cell's with attributes, a bare one
        self._bulk_ok = True  # False once rows without numbers are seen: only the row-by-row path can count them
        self._bulk_last_row = 0  # the last row the bulk copy passed (0 until it has)
        self._skipped_to = 0  # the last row _skip_to_pending copied on its latest call (0 when none was)
        self._not_here: tuple[int, int] = (0, 0)  # (pending row, buffer size) already looked for in vain
        self.overwrote_formula = False  # then Excel's calculation chain must go (it lists formula cells)
        # shared formulas whose master cell was overwritten: si -> (formula text, master cell, last row it spans)
        self.orphans: dict[str, tuple[str, str, int]] = {}

    def run(self, src: IO[bytes], dst: IO[bytes]) -> None:
        """Rows are scanned as bytes; only the head, the tail and the rows that change are decoded."""
        out = _ChunkedOutput(dst)
        pending = deque(sorted(self.patch.cells))  # rows to write, in order (a deque: 260,000 pops at 1M)
        buf = b""
        state = "head"
        last_row = 0
        for data in iter(lambda: src.read(CHUNK), b""):
            buf += data
            if state == "head":
                buf, state = self._open_rows(buf, pending, out.emit)
            if state == "rows":
                buf, state, last_row = self._rows(buf, pending, out.emit, last_row)
        if state != "tail":
            raise ValueError("the sheet's XML ends before its rows do")
        for edit in self.patch.tail_edits:
            buf = edit(buf)
        out.emit(self._tail(buf.decode("utf-8")))
        out.flush()

    def _open_rows(self, buf: bytes, pending: deque[int], emit: Callable[[bytes | str], None]) -> tuple[bytes, str]:
        """The head up to <sheetData> (its dimension grown), once it has all arrived; returns the rest of buf
        and the state: still "head", "rows", or "tail" for a sheet with no rows at all."""
        m = _B_SHEETDATA_OPEN.search(buf)
        if not m:
            return buf, "head"
        self.prefix = m[1].decode()
        self._cell_tags = (f'<{self.prefix}c r="', f"<{self.prefix}c ", f"<{self.prefix}c>")
        emit(self._head(buf[: m.start()].decode("utf-8")))
        if m[2]:  # <sheetData/>: no rows at all
            emit(f"<{self.prefix}sheetData>")
            self._emit_new_rows(pending, emit, None)
            emit(f"</{self.prefix}sheetData>")
            return buf[m.end() :], "tail"
        emit(m[0])
        return buf[m.end() :], "rows"

    def _rows(
        self, buf: bytes, pending: deque[int], emit: Callable[[bytes | str], None], last_row: int
    ) -> tuple[bytes, str, int]:
        """The complete rows in buf, each copied, moved up, dropped or rewritten; returns the incomplete rest,
        the state ("tail" once </sheetData> is passed) and the last row number seen. The hot loop: a row nobody
        changes costs two regex searches and no call."""
        gone = self.patch.remove_rows
        shift = gone[1] - gone[0] + 1 if gone else 0
        drop_after = self.patch.drop_rows_after
        self._bulk_last_row = 0  # this chunk's: an earlier chunk's copy must not set last_row back
        buf = self._bulk_copy(buf, pending, emit, last_row)
        if self._bulk_last_row:
            last_row = self._bulk_last_row
        pos = 0
        state = "rows"
        row_open, row_close = self._row_tags()
        while True:
            pos = self._skip_to_pending(buf, pos, pending, emit)
            if self._skipped_to:
                last_row = self._skipped_to
            # the row at pos, found by its end tag (two searches in C) when it is written the common way: the same
            # match as _B_ROW_OR_END's, whose lazy scan for any </…row> costs more than the rest of a changed row
            close = tag_end = -1
            if buf.startswith(row_open, pos):
                tag_end = buf.find(b">", pos)
                if tag_end != -1 and buf[tag_end - 1] != 47:  # not <row …/>
                    close = buf.find(row_close, tag_end)
            if close != -1 and buf.find(b"row>", tag_end, close) == -1:  # no other </…row> before it
                start, pos = pos, close + len(row_close)
                attrs = buf[start + len(row_open) - 1 : tag_end]
                content = buf[tag_end + 1 : close] if self.orphans else None  # only looked at then
            else:
                m = _B_ROW_OR_END.search(buf, pos)
                if not m:
                    break
                between = buf[pos : m.start()]
                if between.strip():
                    emit(between)
                start, pos = m.start(), m.end()
                if m[1] is None:  # </sheetData>
                    self._check_last_row()
                    self._emit_new_rows(pending, emit, None)
                    emit(m[0])
                    state = "tail"
                    break
                attrs, content = m[2], m[3]
            r = _B_ATTR_R.search(attrs)
            number = int(r[2]) if r else last_row + 1
            last_row = number
            row_xml = buf[start:pos]
            if gone is not None and number >= gone[0]:
                if number <= gone[1]:
                    continue  # cut out
                number -= shift
                row_xml = self._moved_up(row_xml, shift)
            if pending and pending[0] < number:
                self._emit_new_rows(pending, emit, number)
            if drop_after is not None and number > drop_after:
                continue
            text: bytes | str
            if pending and pending[0] == number:
                pending.popleft()
                decoded = row_xml.decode("utf-8")
                text = self._changed_cells_in_place(decoded, number) or self._changed_row(
                    _ROW_OR_END.match(decoded), number
                )
            elif self.orphans and b'si="' in (content or b""):
                text = self._adopt_orphans(_ROW_OR_END.match(row_xml.decode("utf-8")), number)
            else:
                text = row_xml
            self.previous_row, self.previous_number = text, number
            emit(text)
        return buf[pos:], state, last_row

    def _row_tags(self) -> tuple[bytes, bytes]:
        """A row's start tag as most writers begin it (`<row ` in the sheet's prefix), and its end tag."""
        return f"<{self.prefix}row ".encode(), f"</{self.prefix}row>".encode()

    def _emit_new_rows(self, pending: deque[int], emit: Callable[[bytes | str], None], before: int | None) -> None:
        """The rows to write that the sheet does not have, up to `before` (all of them when None)."""
        while pending and (before is None or pending[0] < before):
            emit(self._new_row(pending.popleft()))

    def _check_last_row(self) -> None:
        expected = self.patch.expect_last_value_row
        if expected is None:
            return
        last = self.previous_row if isinstance(self.previous_row, bytes) else self.previous_row.encode()
        # the last row must be the expected one and hold a value (the header, when there are no rows yet)
        if self.previous_number != expected or not _B_HAS_VALUE.search(last):
            raise LastRowMismatch(f"last used row is not {expected}")

    # -- rows nobody changes -------------------------------------------------------------------------------------

    def _bulk_copy(self, buf: bytes, pending: deque[int], emit, last_row: int) -> bytes:
        """Emit, as they are, the complete rows at the front of buf that come before the next row to change.
        One search per megabyte instead of a regex per row: a 500,000-row Notes sheet is copied in the time it
        takes to inflate and deflate it."""
        if not self._bulk_ok or self.patch.drop_rows_after is not None:
            return buf
        if self.orphans:
            if last_row <= max(last for _, _, last in self.orphans.values()):
                return buf  # rows that shared an overwritten formula are still to come: row by row
            self.orphans.clear()
        prefix = self.prefix.encode()
        start_tag = b"<" + prefix + b"row"
        end = buf.find(b"</" + prefix + b"sheetData>")
        stop = end if end != -1 else buf.rfind(start_tag)
        if stop <= 0:
            return buf
        last_start = buf.rfind(start_tag, 0, stop)
        if last_start == -1:
            return buf
        r = _B_ATTR_R.search(buf, last_start, buf.find(b">", last_start))
        if r is None:  # rows without numbers: only the row-by-row path can count them
            self._bulk_ok = False
            return buf
        number = int(r[2])
        if self.patch.remove_rows is not None:
            return self._bulk_cut(buf, pending, emit, start_tag, stop, last_start, number)
        if pending and pending[0] <= number:
            return buf
        emit(buf[:stop])
        self.previous_row, self.previous_number = buf[last_start:stop], number
        self._bulk_last_row = number
        return buf[stop:]

    def _bulk_cut(
        self, buf: bytes, pending: deque[int], emit, start_tag: bytes, stop: int, last_start: int, number: int
    ) -> bytes:
        """_bulk_copy while rows are cut out: a buffer of rows all inside the cut is dropped whole, one of rows all
        below it is moved up in one substitution; a buffer across an edge of the cut goes row by row."""
        first, last = self.patch.remove_rows or (0, 0)
        first_start = buf.find(start_tag)
        if first_start == -1 or first_start >= stop:
            return buf
        r = _B_ATTR_R.search(buf, first_start, buf.find(b">", first_start))
        if r is None:
            self._bulk_ok = False
            return buf
        lowest = int(r[2])
        if first <= lowest and number <= last:
            self._bulk_last_row = number
            return buf[stop:]
        shift = last - first + 1
        if lowest <= last or (pending and pending[0] <= number - shift):
            return buf
        moved = self._moved_up(buf[:stop], shift)
        emit(moved)
        self.previous_row, self.previous_number = moved[moved.rfind(start_tag) :], number - shift
        self._bulk_last_row = number
        return buf[stop:]

    def _moved_up(self, rows: bytes, shift: int) -> bytes:
        """Rows renumbered `shift` rows up (each row's r and its cells'). A row written as most writers write it
        (its r first, every `N"` in it a reference) is renumbered by one replace in C; any other by the careful
        expression. A formula would keep pointing at its old rows: refused, with the way out."""
        if (b"<f" in rows or b":f" in rows) and _B_FORMULA_TAG.search(rows):  # `in` first: the regex is slow
            raise WorkbookError(
                "the Notes sheet has formulas in its rows, which moving rows up would leave "
                "pointing at the wrong rows — move the formulas to another sheet (or replace them "
                "with their values) and run again; nothing was changed"
            )
        row_tag, cell_tag = f'<{self.prefix}row r="'.encode(), f'<{self.prefix}c r="'.encode()
        pieces = rows.split(row_tag)
        out = [_B_REF_IN_TAG.sub(lambda m: b'%s%d"' % (m[1], int(m[2]) - shift), pieces[0])]
        for piece in pieces[1:]:
            end = piece.find(b'"')
            number = piece[:end]
            if end > 0 and number.isdigit() and piece.count(number + b'"') == piece.count(cell_tag) + 1:
                out.append(piece.replace(number + b'"', b'%d"' % (int(number) - shift)))
            else:
                careful = _B_REF_IN_TAG.sub(lambda m: b'%s%d"' % (m[1], int(m[2]) - shift), row_tag + piece)
                out.append(careful[len(row_tag) :])
        return row_tag.join(out)

    def _skip_to_pending(self, buf: bytes, pos: int, pending: deque[int], emit) -> int:
        """Copy, as they are, the rows between pos and the next row to change, found by its reference (one
        search in C): rows another writer made long (LibreOffice puts seven attributes on each) cost no regex.
        Returns the new position; `_skipped_to` is the number of the last row copied (0 when none was)."""
        self._skipped_to = 0
        if not (
            pending
            and self._bulk_ok
            and not self.orphans
            and self.patch.drop_rows_after is None
            and self.patch.remove_rows is None
        ):
            return pos
        if self._not_here == (pending[0], len(buf)):
            return pos
        start_tag = b"<" + self.prefix.encode() + b"row"
        wanted = start_tag + b' r="%d"' % pending[0]
        if buf.startswith(wanted, pos):  # the next row is the one to change (every row, on a first refresh)
            return pos
        target = buf.find(wanted, pos)
        if target == -1:
            self._not_here = (pending[0], len(buf))  # a new row, or further on: row by row until it changes
            return pos
        before = buf.rfind(start_tag, pos, target)
        if before == -1:
            return pos
        r = _B_ATTR_R.search(buf, before, buf.find(b">", before))
        if r is None:
            return pos
        emit(buf[pos:target])
        self.previous_row, self.previous_number = buf[before:target], int(r[2])
        self._skipped_to = self.previous_number
        return target

    # -- head and tail ------------------------------------------------------------------------------------------

    def _head(self, head: str) -> str:
        for m in _COL.finditer(head):
            attrs = m[1]
            lo, hi, style = (re.search(rf'\b{k}="(\d+)"', attrs) for k in ("min", "max", "style"))
            if lo and hi and style:
                for col in range(int(lo[1]), min(int(hi[1]), 16384) + 1):
                    self.column_styles[col] = int(style[1])
        bounds = self.patch.bounds()
        gone = self.patch.remove_rows
        if bounds is None and gone is None:
            return head

        def grow(m: re.Match) -> str:
            old = split_ref(m[2]) or (1, 1, 1, 1)
            c1, r1, c2, r2 = old
            if gone is not None and r2 >= gone[0]:  # rows cut out: the used area ends higher
                r2 = max(r2 - (gone[1] - gone[0] + 1) if r2 > gone[1] else gone[0] - 1, r1)
            if bounds is None:
                return f"{m[1]}{join_ref(c1, r1, c2, r2)}{m[3]}"
            return f"{m[1]}{join_ref(min(c1, 1), min(r1, 1), max(c2, bounds[1]), max(r2, bounds[0]))}{m[3]}"

        return _DIMENSION.sub(grow, head, count=1)

    def _tail(self, tail: str) -> str:
        gone = self.patch.remove_rows
        if gone is not None:  # an autofilter over rows cut out ends higher (keeping one row below its header)

            def shrink(m: re.Match) -> str:
                parts = split_ref(m[2])
                if parts and parts[1] < gone[0] <= parts[3]:
                    end = parts[3] - (gone[1] - gone[0] + 1) if parts[3] > gone[1] else gone[0] - 1
                    return f"{m[1]}{join_ref(parts[0], parts[1], parts[2], max(end, parts[1] + 1))}{m[3]}"
                return m[0]

            tail = _AUTOFILTER.sub(shrink, tail, count=1)
        if self.patch.grow_autofilter:
            old_last, new_last = self.patch.grow_autofilter

            def grow(m: re.Match) -> str:
                parts = split_ref(m[2])
                if parts and old_last <= parts[3] < new_last:
                    return f"{m[1]}{join_ref(parts[0], parts[1], parts[2], new_last)}{m[3]}"
                return m[0]

            tail = _AUTOFILTER.sub(grow, tail, count=1)
        if self.patch.hyperlinks is not None:
            tail = _HYPERLINKS.sub("", tail)
            if self.patch.hyperlinks:
                p = self.prefix
                links = "".join(
                    f'<{p}hyperlink ref="{ref}" location="{escape(loc)}" display="{escape(tip)}"/>'
                    for ref, loc, tip in self.patch.hyperlinks
                )
                block = f"<{p}hyperlinks>{links}</{p}hyperlinks>"
                m = _AFTER_HYPERLINKS.search(tail)
                at = m.start() if m else tail.rfind("</")
                tail = tail[:at] + block + tail[at:]
        return tail

    # -- rows ---------------------------------------------------------------------------------------------------

    def _style_for(self, col: int, value: object) -> int:
        style = self.column_styles.get(col)
        if style is None:
            style = self._style_above(col)
        if isinstance(value, (dt.date, dt.datetime)):
            with_time = isinstance(value, dt.datetime) and value.time() != dt.time()
            if not self.styles.is_date(style):
                return self.styles.date_style(with_time)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and self.styles.is_date(style):
            return 0
        return style

    def _style_above(self, col: int) -> int:
        if not self.previous_row or self.previous_number <= self.patch.header_row:
            return 0  # never the header's bold and fill
        above = self.previous_row
        if isinstance(above, bytes):  # rows copied as they were: found without decoding them
            at = above.find(f' r="{_ref(self.previous_number, col)}"'.encode())
            if at == -1:
                return self._style_above_by_position(above.decode("utf-8"), col)
            start, end = above.rfind(b"<", 0, at), above.find(b">", at)
            s = _B_ATTR_S.search(above, start, end)
        else:
            at = above.find(f' r="{_ref(self.previous_number, col)}"')
            if at == -1:
                return self._style_above_by_position(above, col)
            start, end = above.rfind("<", 0, at), above.find(">", at)
            s = _ATTR_S.search(above, start, end)
        return int(s[1]) if s else 0

    def _style_above_by_position(self, above: str, col: int) -> int:
        """The row above has no cell numbered for this column; with cells that carry no r, count them."""
        p = self.prefix
        if above.count(f'<{p}c r="') == above.count(f"<{p}c ") + above.count(f"<{p}c>"):
            return 0  # every cell is numbered: there is none above this one
        position = 0
        for m in _CELL.finditer(above):
            r = _ATTR_R.search(m[1])
            if r and r[1]:
                position = column_index(r[1])
                continue
            position += 1
            if position == col:
                s = _ATTR_S.search(m[1])
                return int(s[1]) if s else 0
        return 0

    def _new_row(self, number: int) -> str:
        cells = self.patch.cells[number]
        p = self.prefix
        body = "".join(
            cell_xml(p, _ref(number, col), self._style_for(col, value), value, self.date1904)
            for col, value in sorted(cells.items())
        )
        text = f'<{p}row r="{number}">{body}</{p}row>'
        self.previous_row, self.previous_number = text, number
        return text

    def _formula_overwritten(self, content: str) -> None:
        """A formula cell is replaced: the calculation chain is stale, and a shared formula's master text
        must live on in the cells that shared it."""
        self.overwrote_formula = True
        f = _FORMULA.search(content)
        if f and _SHARED.search(f[1]) and f[2]:
            si, ref = _SI.search(f[1]), _REF_ATTR.search(f[1])
            if si and ref:
                area = split_ref(ref[1])
                if area:
                    self.orphans[si[1]] = (f[2], address(area[1], area[0]), area[3])

    def _adopt_orphan_cell(self, cell: str, where: str) -> str:
        """A cell that shared an overwritten master gets the formula as its own, moved to where it stands."""
        f = _FORMULA.search(cell)
        if not f or f[2] or not _SHARED.search(f[1]):
            return cell
        si = _SI.search(f[1])
        if not si or si[1] not in self.orphans:
            return cell
        text, origin, _ = self.orphans[si[1]]
        from openpyxl.formula.translate import Translator  # only on this rare path

        moved = Translator("=" + unescape(text), origin=origin).translate_formula(where)[1:]
        return cell[: f.start()] + f"<{self.prefix}f>{escape(moved, quote=False)}</{self.prefix}f>" + cell[f.end() :]

    def _adopt_orphans(self, m: re.Match, number: int) -> str:
        content = m[3] or ""
        col = 0
        pieces, last = [], 0
        for c in _CELL.finditer(content):
            r = _ATTR_R.search(c[1])
            col = column_index(r[1]) if r and r[1] else col + 1
            adopted = self._adopt_orphan_cell(c[0], address(number, col))
            if adopted != c[0]:
                pieces.append(content[last : c.start()] + adopted)
                last = c.end()
        if not pieces:
            return m[0]
        body = "".join(pieces) + content[last:]
        return f"<{m[1]}row{m[2]}>{body}</{m[1]}row>"

    def _changed_cells_in_place(self, row: str, number: int) -> str | None:
        """The common case, fast: the row's cells are written as Excel writes them (`<c r="M5" …`, in column
        order), and those to change hold no formula; only they are cut out and replaced (keeping their style) or
        put in at their place. None when anything is unusual, and the row goes the careful way."""
        p = self.prefix
        numbered_tag, spaced_tag, bare_tag = self._cell_tags
        if row.count(numbered_tag) != row.count(spaced_tag) + row.count(bare_tag):
            return None  # cells without r: the careful way counts them
        last_cell = row.rfind(numbered_tag)
        last_col = 0
        if last_cell != -1:
            ref = _ATTR_R.match(row, last_cell + len(p) + 3)
            if ref is None or ref[2] != str(number):
                return None
            last_col = _column(ref[1])
        changes = sorted(self.patch.cells[number].items())
        pieces: list[str] = []
        at = self._grow_spans(row, changes[0][0], changes[-1][0], pieces)
        if at is None:
            return None
        for col, value in changes:
            cell_ref = _ref(number, col)
            start = row.find(f'{numbered_tag}{cell_ref}"', at)
            if start == -1:  # no such cell yet: it goes before the first cell to its right
                insert = row.rfind("</") if col > last_col else self._cell_after(row, at, number, col, last_col)
                if insert is None or insert < at or not row.endswith("row>"):
                    return None
                pieces.append(row[at:insert])
                pieces.append(cell_xml(p, cell_ref, self._style_for(col, value), value, self.date1904))
                at = insert
                continue
            tag_end = row.find(">", start)
            if row[tag_end - 1] == "/":
                end = tag_end + 1
            else:
                close = row.find(f"</{p}c>", tag_end)
                if close == -1:
                    return None
                end = close + len(p) + 4
                if "<" in row[tag_end + 1 : end - len(p) - 4] and f"<{p}f" in row[tag_end:end]:
                    return None  # a formula: the careful way keeps shared formulas and the calc chain right
            s = _ATTR_S.search(row, start, tag_end)
            style = int(s[1]) if s else 0
            if isinstance(value, (dt.date, dt.datetime)) and not self.styles.is_date(style):
                return None
            pieces.append(row[at:start])
            pieces.append(cell_xml(p, cell_ref, style, value, self.date1904))
            at = end
        pieces.append(row[at:])
        return "".join(pieces)

    def _cell_after(self, row: str, at: int, number: int, col: int, last_col: int) -> int | None:
        """Where a new cell for `col` goes: before the first cell right of it, else before </row>. Looked up by
        the next columns' references (a few searches in C) rather than by parsing every cell of the row."""
        p = self.prefix
        if col > last_col:
            return row.rfind("</")
        for right in range(col + 1, min(last_col, col + 64) + 1):
            found = row.find(f'<{p}c r="{_ref(number, right)}"', at)
            if found != -1:
                return found
        return None  # a far, sparse row: the careful way

    @staticmethod
    def _grow_spans(row: str, first: int, last: int, pieces: list[str]) -> int | None:
        """A row's `spans` hint (its first:last column) widened to the cells written; returns where the rest
        of the row starts (its start tag, when rewritten, is in pieces), None for an unreadable start tag."""
        tag_end = row.find(">")
        if tag_end == -1:
            return None
        spans = _SPANS.search(row, 0, tag_end)
        if spans is None:
            return 0
        lo, hi = int(spans[1]), int(spans[2])
        if lo <= first and last <= hi:
            return 0
        pieces.append(row[: spans.start()] + f'spans="{min(lo, first)}:{max(hi, last)}"')
        return spans.end()

    def _changed_row(self, m: re.Match, number: int) -> str:
        p = m[1]
        attrs = m[2]
        content = m[3] or ""
        updates = self.patch.cells[number]
        cells: list[tuple[int, str]] = []
        col = 0
        for c in _CELL.finditer(content):
            r = _ATTR_R.search(c[1])
            col = column_index(r[1]) if r and r[1] else col + 1
            if col in updates:
                if c[2] and _FORMULA.search(c[2]):
                    self._formula_overwritten(c[2])
                s = _ATTR_S.search(c[1])
                style = int(s[1]) if s else 0
                value = updates[col]
                if isinstance(value, (dt.date, dt.datetime)) and not self.styles.is_date(style):
                    style = self._style_for(col, value)
                cells.append((col, cell_xml(p, address(number, col), style, value, self.date1904)))
            else:
                # a cell without r is placed by its position: give it one, new cells may come before it
                original = c[0] if r else _CELL_TAG.sub(rf'<\g<1>c r="{address(number, col)}"', c[0], count=1)
                if self.orphans and c[2] and 'si="' in c[2]:
                    original = self._adopt_orphan_cell(original, address(number, col))
                cells.append((col, original))
        present = {c for c, _ in cells}
        for col, value in updates.items():
            if col not in present:
                style = self._style_for(col, value)
                cells.append((col, cell_xml(p, address(number, col), style, value, self.date1904)))
        cells.sort(key=lambda item: item[0])
        spans = re.search(r'\bspans="(\d+):(\d+)"', attrs)
        if spans and cells:
            lo, hi = min(int(spans[1]), cells[0][0]), max(int(spans[2]), cells[-1][0])
            attrs = attrs[: spans.start()] + f'spans="{lo}:{hi}"' + attrs[spans.end() :]
        if not _ATTR_R.search(attrs):
            attrs = f' r="{number}"' + attrs
        return f"<{p}row{attrs}>{''.join(text for _, text in cells)}</{p}row>"


def rewrite_sheet(
    src: IO[bytes], dst: IO[bytes], patch: SheetPatch, styles: Styles, date1904: bool = False
) -> SheetRewriter:
    rewriter = SheetRewriter(patch, styles, date1904)
    rewriter.run(src, dst)
    return rewriter


def last_value_row(src: IO[bytes], window: int = 4 << 20) -> int:
    """The last row holding a value or formula, from the last few megabytes of the sheet: rows are in order,
    so no cell before them is looked at (a Notes append does not read the Notes sheet's cells)."""
    tail = b""
    for data in iter(lambda: src.read(CHUNK), b""):
        tail += data
        if len(tail) > 2 * window:
            tail = tail[-window:]
    m = _B_SHEETDATA_OPEN.search(tail)
    if m and m[2]:
        return 0
    body = tail[m.end() :] if m else tail
    end = body.find(b"sheetData>")
    if end != -1:
        body = body[: body.rfind(b"<", 0, end)]
    first = re.search(rb"<" + _B_NAME + rb"row\b", body)
    if first is None:
        return 0
    last = previous = 0
    numbered = True
    for row in _B_ROW_OR_END.finditer(body, first.start()):
        if row[1] is None:
            break
        r = _B_ATTR_R.search(row[2])
        numbered = numbered and r is not None
        previous = int(r[2]) if r else previous + 1
        if row[3] and _B_HAS_VALUE.search(row[3]):
            last = previous
    if (last or m is not None) and numbered:
        return last
    raise ValueError("the sheet's rows carry no numbers in its last part: read it row by row")
