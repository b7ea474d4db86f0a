"""A closed workbook file: read with python-calamine, written by patching the package (SPEC §8)."""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import os
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from ..core.cells import address, column_index, normalize
from ..core.problems import Problem, WorkbookBusy, WorkbookError
from ..core.studio import ChangeSet
from ..core.tables import HEADER_SEARCH_ROWS, Row, Table, missing_table, table_from_grid
from ..schema import ALL_SHEETS, NOTES, PROBLEMS, SESSIONS, SheetSchema
from . import package as pkg
from .backups import BACKUP_FOLDER, keep_previous_version
from .sheetxml import SheetPatch, cell_xml, last_value_row, rewrite_sheet
from .zipio import MemberReader, MemberWriter, copy_member, copy_member_raw

# Sheets read in full; the append-only ones (Notes…) are never read beyond their header row.
HEADER_ONLY = {NOTES.name, PROBLEMS.name, "Tasks", "Outbox", "Dashboard"}
_HEAD_CELL = re.compile(r'<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)


def lock_holders(path: Path) -> str | None:
    """Who else has the workbook open: Excel's owner file, LibreOffice's lock file."""
    folder, name = path.parent, path.name
    for owner in (f"~${name}", f"~${name[2:]}"):
        if (folder / owner).exists():
            return f"the workbook is open in Excel ({owner} is beside it) — close it in Excel and run again"
    if (folder / f".~lock.{name}#").exists():
        return "the workbook is open in LibreOffice — close it there and run again"
    return None


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """One sheetflow run per workbook at a time; exit code 3 for the second."""
    from filelock import FileLock, Timeout

    holder = lock_holders(path)
    if holder:
        raise WorkbookBusy(holder)
    folder = path.parent / BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    lock = FileLock(str(folder / f"{path.name}.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise WorkbookBusy("another sheetflow run is writing this workbook — wait for it to finish") from None
    try:
        yield
    finally:
        lock.release()


def _open_zip(path: Path) -> zipfile.ZipFile:
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


@dataclass
class WorkbookFile:
    """A workbook on disk; tables are read once, and one ChangeSet is written back atomically."""

    path: Path
    tables: dict[str, Table] = field(default_factory=dict)

    def read(self) -> dict[str, Table]:
        from python_calamine import CalamineError, CalamineWorkbook

        with _open_zip(self.path) as zf:
            package = pkg.Package.open(zf)
            _preflight(zf, package)
            try:
                book = CalamineWorkbook.from_path(str(self.path))
            except (CalamineError, ValueError, OSError) as exc:
                raise WorkbookError(f"{self.path.name} could not be read ({exc})") from None
            for schema in ALL_SHEETS:
                entry = package.sheet(schema.name)
                if entry is None:
                    self.tables[schema.name] = missing_table(schema.name)
                elif schema.name in HEADER_ONLY:
                    grid = _head_grid(zf, package, entry.part)
                    self.tables[schema.name] = _named(table_from_grid(entry.name, grid, schema), schema)
                elif schema.name == SESSIONS.name:
                    self.tables[schema.name] = _named(_streamed_table(book, entry.name, schema), schema)
                else:
                    try:
                        grid = book.get_sheet_by_name(entry.name).to_python(skip_empty_area=False)
                    except Exception as exc:  # calamine's errors carry no common base class
                        raise WorkbookError(f"the {entry.name} sheet could not be read ({exc})") from None
                    self.tables[schema.name] = _named(table_from_grid(entry.name, grid, schema), schema)
        return self.tables

    def write(self, changes: ChangeSet) -> None:
        """Patch the package into a temporary file beside the workbook, check it, keep the previous version,
        then replace the workbook in one step: a crash at any moment leaves the old file or the new one."""
        _remove_leftovers(self.path)
        fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(self.path), suffix=".tmp", dir=self.path.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as raw:
                with _open_zip(self.path) as src, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as dst:
                    written = _Writer(src, dst, self.tables, changes).write()
                raw.flush()
                os.fsync(raw.fileno())
            _check(tmp, written)
            shutil.copymode(self.path, tmp)
            keep_previous_version(self.path)
            os.replace(tmp, self.path)
            _sync_folder(self.path.parent)
        finally:
            tmp.unlink(missing_ok=True)


def _temp_prefix(path: Path) -> str:
    return f".~sheetflow-{path.stem}-"


def _remove_leftovers(path: Path) -> None:
    """Temporary files of a run that was killed: safe to remove, this run holds the workbook's lock."""
    for leftover in path.parent.glob(f"{_temp_prefix(path)}*.tmp"):
        leftover.unlink(missing_ok=True)


def _check(path: Path, written: list[str]) -> None:
    """The new file must open as a zip and every part sheetflow wrote must read back with its checksum."""
    try:
        with zipfile.ZipFile(path) as check:
            for name in written:
                with MemberReader(check, check.getinfo(name)) as fh:  # inflates and checks the CRC
                    while fh.read(1 << 20):
                        pass
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise WorkbookError(f"the new workbook failed its check ({exc}); the original is untouched") from None


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
            head = fh.read(1 << 16)
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


class _Writer:
    """Turns a ChangeSet into the new package: patched sheets, grown tables and names, new sheets."""

    def __init__(self, src: zipfile.ZipFile, dst: zipfile.ZipFile, tables: dict[str, Table], changes: ChangeSet):
        self.src, self.dst, self.tables, self.changes = src, dst, tables, changes
        self.package = pkg.Package.open(src)
        self.replaced: dict[str, bytes] = {}
        self.patches: dict[str, SheetPatch] = {}
        self.added: dict[str, bytes] = {}
        self.styles = pkg.Styles(self.part(self.package.styles_part) if self.package.styles_part else None)

    def part(self, name: str) -> bytes:
        if name in self.replaced:
            return self.replaced[name]
        return pkg.read_part(self.src, name)

    def patch_for(self, sheet: str) -> SheetPatch:
        entry = self.package.sheet(sheet)
        assert entry is not None
        table = self.tables.get(sheet)
        return self.patches.setdefault(entry.part, SheetPatch(header_row=max(table.header_row, 1) if table else 1))

    def write(self) -> list[str]:
        """Render the patched sheets first (so everything they imply is known), then assemble the package in
        its original member order; returns the names of the parts written anew (the rest are raw copies)."""
        self._plan()
        with tempfile.TemporaryFile() as scratch_file, zipfile.ZipFile(scratch_file, "w") as scratch:
            rendered: dict[str, zipfile.ZipInfo] = {}
            overwrote_formula = False
            for name, patch in self.patches.items():
                info = self.src.getinfo(name)
                new_info = _like(info)
                with MemberReader(self.src, info) as fh, MemberWriter(scratch, new_info, info.file_size) as out:
                    rewriter = rewrite_sheet(fh, out, patch, self.styles)
                rendered[name] = new_info
                overwrote_formula |= rewriter.overwrote_formula
            dropped = self._drop_calc_chain() if overwrote_formula else set()
            if self.styles.changed and self.package.styles_part:
                self.replaced[self.package.styles_part] = self.styles.xml
            for info in self.src.infolist():
                name = info.filename
                if name in dropped:
                    continue
                if name in rendered:
                    copy_member_raw(scratch, self.dst, rendered[name])
                elif name in self.replaced:
                    self.dst.writestr(_like(info), self.replaced[name])
                else:
                    copy_member(self.src, self.dst, info)
            for name, data in self.added.items():
                self.dst.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        return [*rendered, *self.replaced, *self.added]

    def _drop_calc_chain(self) -> set[str]:
        """Excel's calculation chain lists formula cells; one sheetflow overwrote would make Excel 'repair'
        the file. Without a chain Excel simply builds a new one."""
        wb = self.package.workbook_part
        rels_name = pkg.rels_path(wb)
        chains = [target for _, typ, target in pkg.relationships(self.src, wb) if typ.endswith("/calcChain")]
        if not chains:
            return set()
        self.replaced[rels_name] = pkg.remove_relationships(self.part(rels_name), "/calcChain")
        self.replaced["[Content_Types].xml"] = pkg.remove_content_override(self.part("[Content_Types].xml"),
                                                                           chains)
        return set(chains)

    # -- planning -----------------------------------------------------------------------------------------------

    def _plan(self) -> None:
        changes = self.changes
        for sheet, rows in changes.cells.items():
            table = self.tables[sheet]
            patch = self.patch_for(sheet)
            for row, values in rows.items():
                for column, value in values.items():
                    patch.set(row, table.column_of(column), value)
        for sheet, columns in changes.new_columns.items():
            table = self.tables[sheet]
            patch = self.patch_for(sheet)
            row = max(table.header_row, 1)
            for column in columns:
                patch.set(row, table.column_of(column), column)
            self._grow_tables_right(sheet, table, columns)
        for sheet in changes.new_sheets:
            if sheet != PROBLEMS.name:
                self._add_sheet(sheet, changes.appends.get(sheet, []))
        for sheet, rows in changes.appends.items():
            if sheet not in changes.new_sheets:
                self._append(sheet, rows)
        if changes.problems is not None:
            self._problems(changes.problems, create=PROBLEMS.name in changes.new_sheets)

    def _append(self, sheet: str, rows: list[dict[str, object]]) -> None:
        entry = self.package.sheet(sheet)
        table = self.tables[sheet]
        old_last = max(_last_value_row(self.src, entry.part), table.header_row)
        patch = self.patch_for(sheet)
        for i, values in enumerate(rows, start=1):
            for column, value in values.items():
                patch.set(old_last + i, table.column_of(column), value)
        new_last = old_last + len(rows)
        patch.grow_autofilter = (old_last, new_last)
        for part in self.package.tables_of(entry.part):
            xml = self.part(part)
            ref = pkg.split_ref(pkg.table_ref(xml) or "")
            if ref and old_last <= ref[3] < new_last and ref[1] <= table.header_row:
                self.replaced[part] = pkg.set_table_ref(xml, pkg.join_ref(ref[0], ref[1], ref[2], new_last))
        wb = self.package.workbook_part
        self.replaced[wb] = pkg.grow_defined_names(self.part(wb), entry.name, old_last, new_last)

    def _grow_tables_right(self, sheet: str, table: Table, columns: list[str]) -> None:
        entry = self.package.sheet(sheet)
        for part in self.package.tables_of(entry.part):
            xml = self.part(part)
            ref = pkg.split_ref(pkg.table_ref(xml) or "")
            if ref and ref[1] == table.header_row and ref[2] == table.width:
                grown = pkg.join_ref(ref[0], ref[1], ref[2] + len(columns), ref[3])
                self.replaced[part] = pkg.set_table_ref(xml, grown, columns)

    def _problems(self, problems: list[Problem], create: bool) -> None:
        if create:
            self._add_sheet(PROBLEMS.name, [], problems=problems)
            return
        table = self.tables[PROBLEMS.name]
        patch = self.patch_for(PROBLEMS.name)
        header = max(table.header_row, 1)
        patch.drop_rows_after = header
        patch.hyperlinks = []
        where_col = table.column_of("Where")
        for i, problem in enumerate(problems, start=header + 1):
            for column, value in _problem_row(problem).items():
                patch.set(i, table.column_of(column), value)
            if problem.cell:
                patch.hyperlinks.append((address(i, where_col), _location(problem), "Go to the cell"))

    def _add_sheet(self, sheet: str, rows: list[dict[str, object]], problems: list[Problem] | None = None) -> None:
        """A sheet sheetflow owns that is missing: header row, then its rows (inline strings, no styles)."""
        schema = next(s for s in ALL_SHEETS if s.name == sheet)
        number = 1
        while f"xl/worksheets/sheet{number}.xml" in self.src.NameToInfo or \
                f"xl/worksheets/sheet{number}.xml" in self.added:
            number += 1
        part = f"xl/worksheets/sheet{number}.xml"
        body = [self._row_xml(1, list(schema.columns) or [schema.name])]
        links = []
        for values in rows:
            body.append(self._row_xml(len(body) + 1, [values.get(c) for c in schema.columns]))
        where_col = schema.columns.index("Where") + 1 if "Where" in schema.columns else 1
        for problem in problems or []:
            row = len(body) + 1
            body.append(self._row_xml(row, [_problem_row(problem).get(c) for c in schema.columns]))
            if problem.cell:
                links.append(f'<hyperlink ref="{address(row, where_col)}" location="{escape(_location(problem))}" '
                             'display="Go to the cell"/>')
        hyperlinks = f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else ""
        xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{pkg.MAIN_NS}" '
               f'xmlns:r="{pkg.REL_NS}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
               'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
               '<sheetFormatPr defaultRowHeight="15"/>'
               f'<cols><col min="1" max="{len(schema.columns)}" width="22" customWidth="1"/></cols>'
               f"<sheetData>{''.join(body)}</sheetData>{hyperlinks}"
               f'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
        self.added[part] = xml.encode("utf-8")
        wb = self.package.workbook_part
        rels_name = pkg.rels_path(wb)
        target = posixpath.relpath("/" + part, "/" + posixpath.dirname(wb))  # never the process's folder
        rels, rel_id = pkg.add_relationship(self.part(rels_name), pkg.WORKSHEET_TYPE, target)
        self.replaced[rels_name] = rels
        self.replaced[wb] = pkg.add_sheet_to_workbook(self.part(wb), sheet, rel_id)
        self.replaced["[Content_Types].xml"] = pkg.add_content_override(self.part("[Content_Types].xml"), part,
                                                                        pkg.WORKSHEET_CONTENT)


    def _row_xml(self, number: int, values: list[object]) -> str:
        cells = []
        for col, value in enumerate(values, start=1):
            if value is None:
                continue
            style = 0
            if isinstance(value, dt.date):
                style = self.styles.date_style(isinstance(value, dt.datetime) and value.time() != dt.time())
            cells.append(cell_xml("", address(number, col), style, value))
        return f'<row r="{number}">{"".join(cells)}</row>'


def _last_value_row(src: zipfile.ZipFile, part: str) -> int:
    info = src.getinfo(part)
    try:
        with MemberReader(src, info) as fh:
            return last_value_row(fh)
    except ValueError:  # rows without numbers, or no used row in the tail: count them all
        with MemberReader(src, info) as fh:
            return last_value_row(fh, window=1 << 62)


def _like(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A new entry with the old one's name, date and attributes."""
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = zipfile.ZIP_DEFLATED
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new


def _problem_row(problem: Problem) -> dict[str, object]:
    return {"Severity": problem.severity.value, "Where": problem.where, "Problem": problem.message,
            "How to fix": problem.fix}


def _location(problem: Problem) -> str:
    return f"'{problem.sheet.replace(chr(39), chr(39) * 2)}'!{problem.cell}"


__all__ = ["WorkbookFile", "exclusive", "lock_holders"]
