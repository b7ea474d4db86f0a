"""Reading a workbook file: the package checked before any parser sees it, the user sheets read with
python-calamine (stored formula results included), the append-only sheets only as far as their header row."""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path

from ..core.cells import column_index, normalize
from ..core.problems import WorkbookError
from ..core.tables import HEADER_SEARCH_ROWS, Row, Table, missing_table, table_from_grid
from ..schema import ALL_SHEETS, NOTES, PROBLEMS, SESSIONS, SheetSchema
from . import package as pkg
from .zipio import MemberReader

# Sheets read in full; the append-only ones (Notes…) are never read beyond their header row.
HEADER_ONLY = {NOTES.name, PROBLEMS.name, "Tasks", "Outbox", "Dashboard"}
_HEAD_CELL = re.compile(r'<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)


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
        raise WorkbookError(f"{path.name} is password-protected (encrypted) — remove the password in Excel "
                            "(File › Info › Protect Workbook) and run again")
    if not magic.startswith(b"PK"):
        raise WorkbookError(f"{path.name} is not an Excel workbook (.xlsx or .xlsm)")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"{path.name} is damaged or incomplete ({exc}) — restore it from a backup") from None


def read_tables(path: Path, sheets: Collection[str] | None = None, whole: Collection[str] = ()) -> dict[str, Table]:
    """Every sheet sheetflow knows (or only those named in `sheets`), found by name; a missing one is an empty
    Table marked as missing. Append-only sheets named in `whole` are read in full (sending reads the Outbox)."""
    from python_calamine import CalamineError, CalamineWorkbook

    tables: dict[str, Table] = {}
    with open_zip(path) as zf:
        package = pkg.Package.open(zf)
        _preflight(zf, package)
        try:
            book = CalamineWorkbook.from_path(str(path))
        except (CalamineError, ValueError, OSError) as exc:
            raise WorkbookError(f"{path.name} could not be read ({exc})") from None
        for schema in ALL_SHEETS:
            if sheets is not None and schema.name not in sheets:
                continue
            entry = package.sheet(schema.name)
            if entry is None:
                tables[schema.name] = missing_table(schema.name)
            elif schema.name in HEADER_ONLY and schema.name not in whole:
                grid = _head_grid(zf, package, entry.part)
                tables[schema.name] = _named(table_from_grid(entry.name, grid, schema), schema)
            elif schema.name in (SESSIONS.name, NOTES.name):  # the big ones (Notes when read whole): streamed
                tables[schema.name] = _named(_streamed_table(book, entry.name, schema), schema)
            else:
                try:
                    grid = book.get_sheet_by_name(entry.name).to_python(skip_empty_area=False)
                except Exception as exc:  # calamine's errors carry no common base class
                    raise WorkbookError(f"the {entry.name} sheet could not be read ({exc})") from None
                tables[schema.name] = _named(table_from_grid(entry.name, grid, schema), schema)
    return tables


MAX_PART = 2 << 30  # one part, uncompressed: a million sessions fit with room to spare
MAX_RATIO = 200  # real sheet XML deflates 10-30 times; a zip bomb a thousand times


def _preflight(zf: zipfile.ZipFile, package: pkg.Package) -> None:
    """Refuse, before any parser sees them, parts that declare entities (expansion attacks) or that are too
    big or too compressible to be real (zip bombs)."""
    known = {s.name.casefold() for s in ALL_SHEETS}
    parts = [e.part for e in package.sheets if " ".join(e.name.split()).casefold() in known]
    if package.shared_strings_part:
        parts.append(package.shared_strings_part)
    for part in parts:
        info = zf.getinfo(part)
        if info.file_size > MAX_PART or (info.file_size > 64 << 20 and
                                         info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise WorkbookError(f"the workbook part {part} unpacks to {info.file_size:,} bytes — too large to be "
                                "a real sheet; this file is refused")
        with MemberReader(zf, info) as fh:
            head = fh.read(4096)  # the prolog, where a DOCTYPE would stand: no cell is read
        if _declares_entities(head):
            raise WorkbookError(f"the workbook part {part} declares XML entities (an entity-expansion attack?) — "
                                "Excel never writes those; this file is refused")


def _declares_entities(head: bytes) -> bool:
    """A DOCTYPE (where entities are declared) can only stand before the root element: look there."""
    i = 0
    while (i := head.find(b"<", i)) != -1:
        if head.startswith((b"<?", b"<!--"), i):
            end = head.find(b"?>" if head.startswith(b"<?", i) else b"-->", i)
            if end == -1:
                return False
            i = end + 2
            continue
        return head.startswith((b"<!DOCTYPE", b"<!ENTITY"), i)
    return False


def _streamed_table(book, name: str, schema: SheetSchema) -> Table:
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
    table = table_from_grid(name, head, schema)
    found = list(table.rows)

    def stream() -> Iterator[Row]:
        yield from found
        number = len(head)
        for values in rows:
            number += 1
            yield Row(number, pad + values if pad else values, table)

    table.rows = stream()
    return table


def _named(table: Table, schema: SheetSchema) -> Table:
    table.sheet = schema.name if normalize(table.sheet) == normalize(schema.name) else table.sheet
    return table


def _head_grid(zf: zipfile.ZipFile, package: pkg.Package, part: str, max_rows: int = 30) -> list[list[object]]:
    """The first rows of a sheet, values only; the rest of the sheet is not parsed."""
    rows: dict[int, dict[int, object]] = {}
    shared: dict[int, tuple[int, int]] = {}
    row_re = re.compile(r'<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)', re.S)
    end_re = re.compile(r"</(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\s*/>")
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = ""
    with zf.open(part) as fh:
        while True:
            data = fh.read(1 << 16)
            text += decoder.decode(data, final=not data)
            numbers = re.findall(r'<(?:\w+:)?row\b[^>]*?(?<![\w:])r="(\d+)"', text[-(1 << 17):])
            if not data or end_re.search(text) or (numbers and int(numbers[-1]) > max_rows):
                break
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
            kind = re.search(r'(?<![\w:])t="(\w+)"', c[1])
            body = c[2] or ""
            value_m = re.search(r"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", body, re.S)
            kind_s = kind[1] if kind else "n"
            if kind_s == "inlineStr":
                value: object = pkg.xml_text("".join(re.findall(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", body, re.S)))
            elif value_m is None:
                continue
            elif kind_s == "s":
                shared[int(value_m[1])] = (number, col)
                value = None
            elif kind_s in ("str", "e"):
                value = pkg.xml_text(value_m[1])
            elif kind_s == "b":
                value = value_m[1] == "1"
            else:
                try:
                    value = float(value_m[1])
                except ValueError:
                    continue
            rows.setdefault(number, {})[col] = value
    if shared and package.shared_strings_part:
        for index, text_value in _shared_strings(zf, package.shared_strings_part, max(shared)).items():
            if index in shared:
                r, c = shared[index]
                rows[r][c] = text_value
    if not rows:
        return []
    width = max(max(cols) for cols in rows.values())
    return [[rows.get(r, {}).get(c, "") for c in range(1, width + 1)] for r in range(1, max(rows) + 1)]


def _shared_strings(zf: zipfile.ZipFile, part: str, upto: int) -> dict[int, str]:
    """Shared strings 0..upto, parsed incrementally so a big table is not read to its end."""
    from defusedxml.ElementTree import iterparse

    ns = f"{{{pkg.MAIN_NS}}}"
    found: dict[int, str] = {}
    index = 0
    with zf.open(part) as fh:
        for _, element in iterparse(fh, events=("end",)):
            if element.tag != f"{ns}si":
                continue
            found[index] = "".join(t.text or "" for t in element.iter(f"{ns}t")
                                   if not _inside_phonetic(element, t))
            element.clear()
            index += 1
            if index > upto:
                break
    return found


def _inside_phonetic(si, t) -> bool:
    return any(t in list(r.iter()) for r in si.iter(f"{{{pkg.MAIN_NS}}}rPh"))
