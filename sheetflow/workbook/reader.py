"""Reading a workbook file: the package checked before any parser sees it, the user sheets read with
python-calamine (stored formula results included), the append-only sheets only as far as their header row."""

from __future__ import annotations

import codecs
import datetime as dt
import itertools
import re
import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path

from ..core.cells import column_index, from_serial, normalize
from ..core.mapping import SessionsMapping, read_mapping
from ..core.problems import WorkbookError
from ..core.schema import ALL_SHEETS, NOTES, SESSIONS, SETTINGS, SheetSchema
from ..core.tables import HEADER_SEARCH_ROWS, Row, Table, missing_table, shown_name, table_from_grid
from . import extent, integrity
from . import package as pkg
from .sharedstrings import SharedStrings, excel_text
from .zipio import MemberReader

_HEAD_CELL = re.compile(r"<(?:[\w.\-]+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[\w.\-]+:)?c>)", re.S)


def open_zip(path: Path) -> zipfile.ZipFile:
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook")
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        if path.suffix.lower() == ".xls":
            raise WorkbookError(f"{path.name} is an old .xls workbook — open it in Excel and save it as .xlsx")
        raise WorkbookError(
            f"{path.name} is password-protected (encrypted) — remove the password in Excel "
            "(File › Info › Protect Workbook) and run again"
        )
    if not magic.startswith(b"PK"):
        raise WorkbookError(f"{path.name} is not an Excel workbook (.xlsx or .xlsm)")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"{path.name} is damaged or incomplete ({exc}) — restore it from a backup") from None
    try:
        integrity.check_members(zf)  # from the zip's directory alone: nothing is unpacked
    except WorkbookError:
        zf.close()
        raise
    return zf


def read_tables(
    path: Path,
    sheets: Collection[str] | None = None,
    whole: Collection[str] = (),
    mapping: SessionsMapping | None = None,
    strings: SharedStrings | None = None,
) -> dict[str, Table]:
    """Every sheet sheetflow knows (or only those named in `sheets`), found by name; a missing one is an empty
    Table marked as missing. Append-only sheets named in `whole` are read in full (sending reads the Outbox);
    `strings` is the run's one shared-strings reader (the writer goes on with it).
    The Sessions table is the sheet and headers Settings names (read first), or those `mapping` gives."""
    from python_calamine import CalamineError, CalamineWorkbook

    tables: dict[str, Table] = {}
    chosen = mapping or SessionsMapping()
    with open_zip(path) as zf:
        package = pkg.Package.open(zf).use_strings(strings)
        _preflight(zf, package)
        try:
            book = CalamineWorkbook.from_path(str(path))
        except (CalamineError, ValueError, OSError) as exc:
            raise WorkbookError(damaged_part(zf) or f"{path.name} could not be read ({exc})") from None
        for schema in ALL_SHEETS:
            if (
                sheets is not None
                and schema.name not in sheets
                and not (schema is SETTINGS and SESSIONS.name in sheets)
            ):  # Settings says where Sessions is
                continue
            entry = package.sheet(chosen.sheet_of(schema))
            if entry is None:
                tables[schema.name] = missing_table(chosen.sheet_of(schema))
            elif schema.read_to_header and schema.name not in whole:  # appended to or rewritten: the header only
                grid = head_grid(zf, package, entry.part)
                tables[schema.name] = _named(table_from_grid(entry.name, grid, schema), schema)
            elif schema.name in (SESSIONS.name, NOTES.name):  # the big ones (Notes when read whole): streamed
                if chosen.sheet_of(schema) != schema.name:
                    _check_part(zf, entry.part)  # the studio's own sheet: not among the parts checked above
                if extent.too_large(zf, entry.part):  # a stray far cell: calamine would allocate the rectangle
                    table = _sparse_streamed(path, package, entry, schema, chosen.aliases_of(schema))
                else:
                    table = _streamed_table(book, entry.name, schema, chosen.aliases_of(schema))
                tables[schema.name] = _named(table, schema)
            elif extent.too_large(zf, entry.part):
                tables[schema.name] = _named(_sparse_table(zf, package, entry, schema), schema)
            else:
                try:
                    grid = book.get_sheet_by_name(entry.name).to_python(skip_empty_area=False)
                except Exception as exc:  # calamine's errors carry no common base class
                    raise WorkbookError(
                        damaged_part(zf) or f"the {entry.name} sheet could not be read ({exc})"
                    ) from None
                tables[schema.name] = _named(table_from_grid(entry.name, grid, schema), schema)
            if schema is SETTINGS and mapping is None:
                chosen = read_mapping(tables[SETTINGS.name])
    for table in tables.values():
        table.date1904 = package.date1904
    return tables


def read_heads(path: Path, skip: Collection[str] = ()) -> dict[str, list[list[object]]]:
    """Every sheet's first rows by name, in the workbook's order, except those named in `skip` (the rest of each
    sheet is not parsed): where `sheetflow init` looks for a client list."""
    wanted = {normalize(name) for name in skip}
    with open_zip(path) as zf:
        package = pkg.Package.open(zf)
        return {
            entry.name: [] if normalize(entry.name) in wanted else head_grid(zf, package, entry.part)
            for entry in package.sheets
        }


def read_grid(path: Path, sheet: str) -> list[list[object]]:
    """One whole sheet's values from A1, checked like the sheets sheetflow knows (the one `init` adopts)."""
    from python_calamine import CalamineWorkbook

    with open_zip(path) as zf:
        package = pkg.Package.open(zf)
        entry = package.sheet(sheet)
        if entry is None:
            raise WorkbookError(f"the workbook has no {sheet} sheet")
        _check_part(zf, entry.part)
        if extent.too_large(zf, entry.part):  # a stray far value: cell by cell, the table's columns only
            styles = package.cell_styles()
            rows = list(extent.cells(zf, entry.part, lambda attrs, body: _head_value(attrs, body, package, styles)))
            far = extent.SparseSheet(entry.name, limit=extent.table_limit(rows))
            by_number = {}
            for number, values in rows:
                row = extent.kept(far, number, values)
                if any(v != "" for v in row):
                    by_number[number] = row
            return [by_number.get(r) or [""] * far.limit for r in range(1, max(by_number, default=0) + 1)]
    try:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(entry.name).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine's errors carry no common base class
        raise WorkbookError(f"the {entry.name} sheet could not be read ({exc})") from None


MAX_PART = 2 << 30  # one part, uncompressed: a million sessions fit with room to spare
MAX_RATIO = 200  # real sheet XML deflates 10-30 times; a zip bomb a thousand times


def _preflight(zf: zipfile.ZipFile, package: pkg.Package) -> None:
    """Refuse, before any parser sees them, parts that declare entities (expansion attacks) or that are too
    big or too compressible to be real (zip bombs); then relationships to parts that are not there, and small
    parts that don't read back whole (the big ones are checked as they are read); XML parts not read here have
    their prologs looked at, so no DOCTYPE is copied through into a new file."""
    known = {s.name.casefold() for s in ALL_SHEETS}
    parts = [e.part for e in package.sheets if " ".join(e.name.split()).casefold() in known]
    if package.shared_strings_part:
        parts.append(package.shared_strings_part)
    for part in parts:
        _check_part(zf, part)
    integrity.check_relationships(zf, package)
    integrity.check_small_parts(zf)
    checked = set(parts)
    integrity.check_parts_read(zf, [i.filename for i in zf.infolist() if i.filename not in checked])


def _check_part(zf: zipfile.ZipFile, part: str) -> None:
    info = zf.getinfo(part)
    if info.file_size > MAX_PART or (
        info.file_size > 64 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1)
    ):
        raise WorkbookError(
            f"the workbook part {part} unpacks to {info.file_size:,} bytes — too large to be "
            "a real sheet; this file is refused"
        )
    integrity.check_prolog(zf, part)  # up to the root element, where a DOCTYPE would stand: no cell is read


def damaged_part(zf: zipfile.ZipFile, limit: int = 64 << 20) -> str | None:
    """When a reader gives up on the file, name the part that is broken: the first XML part (up to 64 MB)
    that does not parse, or whose compressed data is damaged."""
    from xml.parsers import expat

    for info in zf.infolist():
        if not info.filename.lower().endswith((".xml", ".rels")) or info.file_size > limit:
            continue
        parser = expat.ParserCreate(namespace_separator=" ")
        try:
            with MemberReader(zf, info) as fh:
                while data := fh.read(1 << 20):
                    parser.Parse(data, False)
            parser.Parse(b"", True)
        except (expat.ExpatError, zipfile.BadZipFile, OSError, ValueError) as exc:
            return (
                f"the workbook part {info.filename} is damaged ({exc}) — bring back the last good version "
                "(sheetflow restore --list), or open the file in Excel and save it again"
            )
    return None


def _streamed_table(book, name: str, schema: SheetSchema, aliases: dict[str, str] | None = None) -> Table:
    """The Sessions sheet, its rows handed over one at a time as they are read: a million sessions never sit
    in memory twice (calamine's copy plus a Python one)."""
    try:
        sheet = book.get_sheet_by_name(name)
        first_col = sheet.start[1] if sheet.start else 0
        rows = sheet.iter_rows()
    except Exception as exc:  # calamine's errors carry no common base class
        raise WorkbookError(f"the {name} sheet could not be read ({exc})") from None
    pad = [""] * first_col
    head = [pad + values for _, values in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
    table = table_from_grid(name, head, schema, aliases)
    found = list(table.rows)

    def stream() -> Iterator[Row]:
        yield from found
        number = len(head)
        for values in rows:
            number += 1
            yield Row(number, pad + values if pad else values, table)

    table.rows = stream()
    return table


def _sparse_table(zf: zipfile.ZipFile, package: pkg.Package, entry: pkg.SheetEntry, schema: SheetSchema) -> Table:
    """A small sheet whose cells span a huge rectangle, read cell by cell: the table's columns, in memory
    proportional to the cells present; each value beyond them is a warning at its address."""
    sheet = extent.SparseSheet(entry.name)
    styles = package.cell_styles()
    rows = list(extent.cells(zf, entry.part, lambda attrs, body: _head_value(attrs, body, package, styles)))
    sheet.limit = extent.table_limit(rows)
    by_number = {}
    for number, values in rows:
        kept = extent.kept(sheet, number, values)
        if any(v != "" for v in kept):
            by_number[number] = kept
    empty: list[object] = []  # one list for every absent row: a row far down costs a pointer per row above it
    grid = [by_number.get(r, empty) for r in range(1, max(by_number, default=0) + 1)]
    table = table_from_grid(entry.name, grid, schema)
    table.notices = sheet.problems()
    return table


def _sparse_streamed(
    path: Path, package: pkg.Package, entry: pkg.SheetEntry, schema: SheetSchema, aliases: dict[str, str] | None
) -> Table:
    """Sessions (or Notes) whose cells span a huge rectangle, streamed cell by cell from its own handle on the
    file: only rows that hold values, only the table's columns; the far values become warnings once read."""
    zf = zipfile.ZipFile(path)
    own = pkg.Package.open(zf).use_strings(package.strings)  # the run's strings reader, on this handle
    styles = own.cell_styles()
    rows = extent.cells(zf, entry.part, lambda attrs, body: _head_value(attrs, body, own, styles))
    head, pending = [], None
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            pending = (number, values)
            break
        head.append((number, values))
    sheet = extent.SparseSheet(entry.name, limit=extent.table_limit(head))
    by_number = {number: extent.kept(sheet, number, values) for number, values in head}
    grid = [by_number.get(r, [""] * sheet.limit) for r in range(1, max(by_number, default=0) + 1)]
    table = table_from_grid(entry.name, grid, schema, aliases)
    found = list(table.rows)

    def stream() -> Iterator[Row]:
        try:
            yield from found
            for number, values in itertools.chain([pending] if pending else [], rows):
                kept = extent.kept(sheet, number, values)
                if any(v != "" for v in kept):
                    yield Row(number, kept, table)
            table.notices.extend(sheet.problems())
        finally:
            zf.close()

    table.rows = stream()
    return table


def _named(table: Table, schema: SheetSchema) -> Table:
    table.sheet = shown_name(table.sheet, schema)
    return table


def head_grid(zf: zipfile.ZipFile, package: pkg.Package, part: str, max_rows: int = 30) -> list[list[object]]:
    """The first rows of a sheet, values only (dates as dates, in the workbook's date system); the rest of the
    sheet is not parsed. Public: the Dashboard reads its time-in-status block back through it."""
    rows: dict[int, dict[int, object]] = {}
    row_re = re.compile(r"<(?:[\w.\-]+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:[\w.\-]+:)?row>)", re.S)
    end_re = re.compile(r"</(?:[\w.\-]+:)?sheetData>|<(?:[\w.\-]+:)?sheetData\s*/>")
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = ""
    with MemberReader(zf, zf.getinfo(part)) as fh:
        while True:
            data = fh.read(1 << 16)
            text += decoder.decode(data, final=not data)
            numbers = re.findall(r'<(?:[\w.\-]+:)?row\b[^>]*?(?<![\w:])r="(\d+)"', text[-(1 << 17) :])
            if not data or end_re.search(text) or (numbers and int(numbers[-1]) > max_rows):
                break
    styles = package.cell_styles()
    previous = 0
    for m in row_re.finditer(text):
        r = re.search(r'(?<![\w:])r="(\d+)"', m[1])
        number = int(r[1]) if r else previous + 1
        previous = number
        if number > max_rows:
            break
        col = 0
        for c in _HEAD_CELL.finditer(m[2] or ""):
            ref = re.search(r'(?<![\w:])r="([A-Z]+)\d+"', c[1])
            col = column_index(ref[1]) if ref else col + 1
            value = _head_value(c[1], c[2] or "", package, styles)
            if value is not None:
                rows.setdefault(number, {})[col] = value
    if not rows:
        return []
    width = max(max(cols) for cols in rows.values())
    return [[rows.get(r, {}).get(c, "") for c in range(1, width + 1)] for r in range(1, max(rows) + 1)]


_VALUE = re.compile(r"<(?:[\w.\-]+:)?v>(.*?)</(?:[\w.\-]+:)?v>", re.S)
_INLINE_T = re.compile(r"<(?:[\w.\-]+:)?t\b[^>]*>(.*?)</(?:[\w.\-]+:)?t>", re.S)
_RPH = re.compile(r"<(?:[\w.\-]+:)?rPh\b.*?</(?:[\w.\-]+:)?rPh>", re.S)


def _head_value(attrs: str, body: str, package: pkg.Package, styles: pkg.Styles) -> object:
    """One cell's value by its type: shared string (by index, every repeat), inline string, formula text,
    boolean, error, ISO date (t="d"), or number — a date when its style shows a date."""
    kind_m = re.search(r'(?<![\w:])t="(\w+)"', attrs)
    kind = kind_m[1] if kind_m else "n"
    if kind == "inlineStr":
        return excel_text("".join(_INLINE_T.findall(_RPH.sub("", body))).encode("utf-8"))
    value = _VALUE.search(body)
    if value is None:
        return None
    raw = value[1]
    if kind == "s":
        try:
            return package.strings.get(int(raw))
        except ValueError:
            return None
    if kind in ("str", "e"):
        return pkg.xml_text(raw)
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            return pkg.xml_text(raw)
    try:
        number = float(raw)
    except ValueError:
        return None
    style = re.search(r'(?<![\w:])s="(\d+)"', attrs)
    if style and styles.is_date(int(style[1])):
        try:
            return from_serial(number, package.date1904)
        except OverflowError:
            return number
    return number
