"""Writing a workbook file: a ChangeSet becomes a new package — patched sheets, grown tables and names,
new sheets — with every member sheetflow does not own copied byte for byte (SPEC §8)."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Callable, Collection
from html import escape
from pathlib import Path

from ..core.cells import CellValueError, address, read_date
from ..core.limits import MAX_COLUMNS, MAX_ROWS, SheetFull, columns_full, rows_full, suggested_cut
from ..core.problems import Problem
from ..core.schema import ALL_SHEETS, DASHBOARD, NOTES, PROBLEMS
from ..core.studio import ChangeSet
from ..core.tables import Table
from . import buttons, listobjects
from . import package as pkg
from .dashboard import install as install_dashboard
from .reader import head_grid
from .sharedstrings import SharedStrings
from .sheetxml import LastRowMismatch, SheetPatch, cell_xml, last_value_row, rewrite_sheet
from .zipio import MemberReader, MemberWriter, copy_member, copy_member_raw


class PackageWriter:
    """Turns a ChangeSet into the new package: patched sheets, grown tables and names, new sheets."""

    def __init__(
        self,
        src: zipfile.ZipFile,
        dst: zipfile.ZipFile,
        tables: dict[str, Table],
        changes: ChangeSet,
        strings: SharedStrings | None = None,
    ):
        self.src, self.dst, self.tables, self.changes = src, dst, tables, changes
        self.package = pkg.Package.open(src).use_strings(strings)
        self.replaced: dict[str, bytes] = {}
        self.patches: dict[str, SheetPatch] = {}
        self.added: dict[str, bytes] = {}
        self.appended: dict[str, tuple[str, list[dict[str, object]]]] = {}  # part -> rows placed by a guess
        self.removed: set[str] = set()  # members left out of the new package (the old Dashboard's charts)
        self.told: list[str] = []  # what the run says of the write itself (the tables grown over typed rows)
        self.types_part = pkg.member(src, "[Content_Types].xml") or "[Content_Types].xml"
        styles_part = self.package.styles_part
        self.styles = pkg.Styles(
            self.part(styles_part) if styles_part else None,
            strict=self.package.strict,
            part=styles_part or "xl/styles.xml",
        )

    def part(self, name: str) -> bytes:
        if name in self.replaced:
            return self.replaced[name]
        return pkg.read_part(self.src, name)

    def entry(self, sheet: str) -> pkg.SheetEntry:
        """The sheet a schema name stands for, by the name it was read under: the Sessions sheet may be the
        studio's own (Settings' `Sessions sheet`)."""
        table = self.tables.get(sheet)
        entry = self.package.sheet(table.sheet if table is not None and table.exists else sheet)
        assert entry is not None
        return entry

    def patch_for(self, sheet: str) -> SheetPatch:
        entry = self.entry(sheet)
        table = self.tables.get(sheet)
        return self.patches.setdefault(entry.part, SheetPatch(header_row=max(table.header_row, 1) if table else 1))

    def write(self) -> list[str]:
        """Render the patched sheets first (so everything they imply is known), then assemble the package in
        its original member order; returns the names of the parts written anew (the rest are raw copies)."""
        self._plan()
        with tempfile.TemporaryFile() as scratch_file, zipfile.ZipFile(scratch_file, "w") as scratch:
            rendered: dict[str, zipfile.ZipInfo] = {}
            overwrote_formula = False
            for name in list(self.patches):
                info = self.src.getinfo(name)
                try:
                    rendered[name], rewriter = self._render(scratch, info)
                except LastRowMismatch:  # the sheet's <dimension> was off: count the rows, then place them again
                    self._replace_appended(name)
                    rendered[name], rewriter = self._render(scratch, info)
                overwrote_formula |= rewriter.overwrote_formula
            if overwrote_formula:
                self.drop_calc_chain()
            if self.styles.changed:
                self._put_styles()
            if self.package.strict:  # sheetflow writes its parts in transitional namespaces: Strict stays Strict
                self.added = {name: pkg.to_strict(data) for name, data in self.added.items()}
                self.replaced = {name: pkg.to_strict(data) for name, data in self.replaced.items()}
            for info in self.src.infolist():
                name = info.filename
                if name in self.removed:
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

    def _render(self, scratch: zipfile.ZipFile, info: zipfile.ZipInfo):
        new_info = _like(info)
        with MemberReader(self.src, info) as fh, MemberWriter(scratch, new_info, info.file_size) as out:
            rewriter = rewrite_sheet(fh, out, self.patches[info.filename], self.styles, self.package.date1904)
        return new_info, rewriter

    def _put_styles(self) -> None:
        """The styles part with what sheetflow added; a package that had none gets one (dates must show as
        dates), with its relationship and content type."""
        if self.package.styles_part:
            self.replaced[self.package.styles_part] = self.styles.xml
            return
        part = self.free_part("xl/styles{}.xml", first="")
        self.added[part] = self.styles.xml
        self._relate_to_workbook(part, pkg.STYLES_TYPE, pkg.STYLES_CONTENT)

    def free_part(self, pattern: str, first: str = "1") -> str:
        """The first name of the pattern that no part of the new package uses, ignoring case as OPC does (a part
        being removed frees its name)."""
        taken = {n.casefold() for n in self.src.NameToInfo if n not in self.removed}
        taken |= {n.casefold() for n in (*self.added, *self.replaced)}
        number: int | str = first
        while pattern.format(number).casefold() in taken:
            number = 2 if number == "" else int(number) + 1
        return pattern.format(number)

    def _relate_to_workbook(self, part: str, rel_type: str, content_type: str) -> str:
        """A new part related from the workbook part (its target relative to the workbook's folder), with its
        content type; returns the relationship's Id."""
        wb = self.package.workbook_part
        rels_name = pkg.member(self.src, pkg.rels_path(wb)) or pkg.rels_path(wb)
        target = posixpath.relpath("/" + part, "/" + posixpath.dirname(wb))  # never the process's folder
        existing = self.part(rels_name) if rels_name in self.replaced or rels_name in self.src.NameToInfo else None
        rels, rel_id = pkg.add_relationship(existing, rel_type, target)
        self.replaced[rels_name] = rels
        self.replaced[self.types_part] = pkg.add_content_override(self.part(self.types_part), part, content_type)
        return rel_id

    def _replace_appended(self, part: str) -> None:
        sheet, rows = self.appended.pop(part)
        patch = self.patches[part]
        guess = patch.expect_last_value_row or 0
        for number in range(guess + 1, guess + len(rows) + 1):
            patch.cells.pop(number, None)
        self._append(sheet, rows, known_last=_last_value_row(self.src, part))

    # -- what the Dashboard (and any other part builder) hands back ------------------------------------------------

    def drop_calc_chain(self) -> None:
        """Excel's calculation chain lists formula cells; one sheetflow overwrote would make Excel 'repair'
        the file. Without a chain Excel simply builds a new one."""
        wb = self.package.workbook_part
        rels_name = pkg.member(self.src, pkg.rels_path(wb)) or pkg.rels_path(wb)
        chains = [target for _, typ, target in pkg.relationships(self.src, wb) if typ.endswith("/calcChain")]
        if not chains:
            return
        self.replaced[rels_name] = pkg.remove_relationships(self.part(rels_name), "/calcChain")
        self.replaced[self.types_part] = pkg.remove_content_override(self.part(self.types_part), chains)
        self.removed.update(chains)

    def put_part(self, name: str, data: str | bytes, content_type: str | None = None) -> None:
        """A part of the new package: in place of a source part of that name (one being removed stays), else
        added; with its content type when one is given and the package has none for it yet."""
        data = data.encode("utf-8") if isinstance(data, str) else data
        if name in self.src.NameToInfo:
            self.removed.discard(name)
            self.replaced[name] = data
        else:
            self.added[name] = data
        if content_type is None:
            return
        types = self.part(self.types_part)
        if f'partname="/{name}"'.encode().lower() not in types.lower():
            self.replaced[self.types_part] = pkg.add_content_override(types, name, content_type)

    def drop_parts(self, names: Collection[str]) -> None:
        """Source parts left out of the new package, and their content types with them."""
        if not names:
            return
        self.removed.update(names)
        parts = [name for name in names if not name.endswith(".rels")]
        self.replaced[self.types_part] = pkg.remove_content_override(self.part(self.types_part), parts)

    def read_head(self, part: str, max_rows: int) -> list[list[object]]:
        """The first rows of a source sheet, values only: what the Dashboard shows is read back from it."""
        return head_grid(self.src, self.package, part, max_rows=max_rows)

    # -- planning -----------------------------------------------------------------------------------------------

    def _plan(self) -> None:
        changes = self.changes
        self._check_columns()
        for sheet, (first, last) in changes.removed_rows.items():
            self._remove_rows(sheet, first, last)
        for sheet, rows in changes.cells.items():
            table = self.tables[sheet]
            patch = self.patch_for(sheet)
            column_of = _columns_of(table)
            for row, values in rows.items():
                for column, value in values.items():
                    patch.set(row, column_of(column), value)
        for sheet, columns in changes.new_columns.items():
            table = self.tables[sheet]
            patch = self.patch_for(sheet)
            row = max(table.header_row, 1)
            for column in columns:
                patch.set(row, table.column_of(column), column)
            self._grow_tables_right(sheet, table, columns)
            self.told += buttons.make_room(self, sheet, table, columns)  # sheetflow's own buttons move off them
        # the tables feeding the dropdowns take in the rows typed right below them (before appends grow them more)
        grown = listobjects.rows_below(self.package, self.part, self.tables)
        for growth, xml in grown:
            self.replaced[growth.part] = xml
        self.told += [str(growth.note()) for growth, _ in grown]  # said by the run, as on the Problems sheet
        for sheet in changes.new_sheets:
            if sheet != PROBLEMS.name and not (sheet == DASHBOARD.name and changes.dashboard is not None):
                self.add_sheet(sheet, changes.appends.get(sheet, []))
        for sheet, rows in changes.appends.items():
            if sheet not in changes.new_sheets:
                self._append(sheet, rows)
        if changes.dashboard is not None:  # before Problems: new sheets come in the template's order
            install_dashboard(self, changes.dashboard, create=DASHBOARD.name in changes.new_sheets)
        if changes.problems is not None:  # with a note of each table grown, the rows it took in named
            noted = changes.problems + [growth.note() for growth, _ in grown]
            self._problems(noted, create=PROBLEMS.name in changes.new_sheets)

    def _append(self, sheet: str, rows: list[dict[str, object]], known_last: int | None = None) -> None:
        """Rows go below the last used row. The sheet's own <dimension> usually says which that is; the
        rewrite checks it on its way through and, when it was wrong, the rows are placed again. Rows that would
        pass Excel's last row stop the run before anything is written (a dimension that says so is verified)."""
        entry = self.entry(sheet)
        table = self.tables[sheet]
        patch = self.patch_for(sheet)
        header = max(table.header_row, 1)  # row 1 holds the header, even one just added
        gone = patch.remove_rows  # rows cut out above: the last row moves up with the rest
        if known_last is None:
            guess = _dimension_last_row(self.src, entry.part)
            if guess is not None and guess >= header and moved_up(guess, gone) + len(rows) <= MAX_ROWS:
                old_last = moved_up(guess, gone)
                patch.expect_last_value_row = old_last
                self.appended[entry.part] = (sheet, rows)
            else:  # no dimension, or one that says the rows won't fit (Excel's covers formatted empty rows): count
                old_last = max(moved_up(_last_value_row(self.src, entry.part), gone), header)
        else:
            old_last = max(moved_up(known_last, gone), header)
            patch.expect_last_value_row = None
        if old_last + len(rows) > MAX_ROWS:
            self.appended.pop(entry.part, None)
            raise SheetFull(
                rows_full(sheet, entry.name, old_last, len(rows), self._workbook_name(), self._suggested_cut(sheet))
            )
        column_of = _columns_of(table)
        for i, values in enumerate(rows, start=1):
            for column, value in values.items():
                patch.set(old_last + i, column_of(column), value)
        new_last = old_last + len(rows)
        patch.grow_autofilter = (old_last, new_last)
        for part in self.package.tables_of(entry.part):
            xml = self.part(part)
            ref = pkg.split_ref(pkg.table_ref(xml) or "")
            if ref and old_last <= ref[3] < new_last and ref[1] <= table.header_row:
                self.replaced[part] = pkg.set_table_ref(xml, pkg.join_ref(ref[0], ref[1], ref[2], new_last))
        wb = self.package.workbook_part
        self.replaced[wb] = pkg.grow_defined_names(self.part(wb), entry.name, old_last, new_last)

    def _check_columns(self) -> None:
        """New columns go right of a sheet's last header: never past XFD, Excel's last column."""
        for sheet, columns in self.changes.new_columns.items():
            table = self.tables[sheet]
            if columns and max(table.column_of(c) for c in columns) > MAX_COLUMNS:
                raise SheetFull(columns_full(table.sheet, table.width, columns))

    def _remove_rows(self, sheet: str, first: int, last: int) -> None:
        """Rows first..last are cut out and the rows below move up: the sheet's dimension, autofilter, tables and
        defined names shrink with them (a table keeps one row below its header, as Excel's do)."""
        entry = self.entry(sheet)
        gone = (first, last)
        self.patch_for(sheet).remove_rows = gone
        for part in self.package.tables_of(entry.part):
            xml = self.part(part)
            ref = pkg.split_ref(pkg.table_ref(xml) or "")
            if ref and ref[1] < first <= ref[3]:
                shrunk = max(moved_up(ref[3], gone), ref[1] + 1)
                self.replaced[part] = pkg.set_table_ref(xml, pkg.join_ref(ref[0], ref[1], ref[2], shrunk))
        wb = self.package.workbook_part
        self.replaced[wb] = _shrink_defined_names(self.part(wb), entry.name, gone)

    def _workbook_name(self) -> str:
        return Path(self.src.filename).name if self.src.filename else "studio.xlsx"

    def _suggested_cut(self, sheet: str) -> dt.date:
        """The --before date a full Notes sheet's message suggests, from its first rows (already read)."""
        today = dt.date.today()
        table = self.tables.get(NOTES.name)
        if sheet != NOTES.name or table is None or not isinstance(table.rows, list):
            return suggested_cut(None, today)
        oldest = None
        for row in table.rows[:5]:
            try:
                oldest = read_date(row.get("Logged At"), date1904=self.package.date1904)
            except CellValueError:
                continue
            if oldest is not None:
                break
        return suggested_cut(oldest, today)

    def _grow_tables_right(self, sheet: str, table: Table, columns: list[str]) -> None:
        entry = self.entry(sheet)
        for part in self.package.tables_of(entry.part):
            xml = self.part(part)
            ref = pkg.split_ref(pkg.table_ref(xml) or "")
            if ref and ref[1] == table.header_row and ref[2] == table.width:
                grown = pkg.join_ref(ref[0], ref[1], ref[2] + len(columns), ref[3])
                self.replaced[part] = pkg.set_table_ref(xml, grown, columns)

    def _problems(self, problems: list[Problem], create: bool) -> None:
        if create:
            self.add_sheet(PROBLEMS.name, [], problems=problems)
            return
        table = self.tables[PROBLEMS.name]
        patch = self.patch_for(PROBLEMS.name)
        header = max(table.header_row, 1)
        if header + len(problems) > MAX_ROWS:
            raise SheetFull(
                rows_full(
                    PROBLEMS.name,
                    self.entry(PROBLEMS.name).name,
                    header,
                    len(problems),
                    self._workbook_name(),
                    self._suggested_cut(PROBLEMS.name),
                    str(problems[0]),
                )
            )
        patch.drop_rows_after = header
        patch.hyperlinks = []
        where_col = table.column_of("Where")
        for i, problem in enumerate(problems, start=header + 1):
            for column, value in _problem_row(problem).items():
                patch.set(i, table.column_of(column), value)
            if problem.cell:
                patch.hyperlinks.append((address(i, where_col), _location(problem), "Go to the cell"))

    def add_sheet(self, sheet: str, rows: list[dict[str, object]], problems: list[Problem] | None = None) -> str:
        """A sheet sheetflow owns that is missing: header row, then its rows (inline strings, no styles); returns
        its part, which the Dashboard then fills through put_part."""
        schema = next(s for s in ALL_SHEETS if s.name == sheet)
        if 1 + len(rows) + len(problems or []) > MAX_ROWS:
            example = str(problems[0]) if problems else ""
            raise SheetFull(
                rows_full(
                    sheet,
                    sheet,
                    1,
                    len(rows) + len(problems or []),
                    self._workbook_name(),
                    self._suggested_cut(sheet),
                    example,
                )
            )
        part = self.free_part("xl/worksheets/sheet{}.xml")
        body = [self._row_xml(1, list(schema.columns) or [schema.name])]
        links = []
        for values in rows:
            body.append(self._row_xml(len(body) + 1, [values.get(c) for c in schema.columns]))
        where_col = schema.columns.index("Where") + 1 if "Where" in schema.columns else 1
        for problem in problems or []:
            row = len(body) + 1
            body.append(self._row_xml(row, [_problem_row(problem).get(c) for c in schema.columns]))
            if problem.cell:
                links.append(
                    f'<hyperlink ref="{address(row, where_col)}" location="{escape(_location(problem))}" '
                    'display="Go to the cell"/>'
                )
        hyperlinks = f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else ""
        xml = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{pkg.MAIN_NS}" '
            f'xmlns:r="{pkg.REL_NS}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f'<cols><col min="1" max="{len(schema.columns)}" width="22" customWidth="1"/></cols>'
            f"<sheetData>{''.join(body)}</sheetData>{hyperlinks}"
            f'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
        )
        self.added[part] = xml.encode("utf-8")
        rel_id = self._relate_to_workbook(part, pkg.WORKSHEET_TYPE, pkg.WORKSHEET_CONTENT)
        wb = self.package.workbook_part
        self.replaced[wb] = pkg.add_sheet_to_workbook(
            self.part(wb), sheet, rel_id, hidden=schema.hidden, strict=self.package.strict
        )
        return part

    def _row_xml(self, number: int, values: list[object]) -> str:
        cells = []
        for col, value in enumerate(values, start=1):
            if value is None:
                continue
            style = 0
            if isinstance(value, dt.date):
                style = self.styles.date_style(isinstance(value, dt.datetime) and value.time() != dt.time())
            cells.append(cell_xml("", address(number, col), style, value, self.package.date1904))
        return f'<row r="{number}">{"".join(cells)}</row>'


def _columns_of(table: Table) -> Callable[[str], int]:
    """`table.column_of`, each name looked up once: a first refresh sets the same few columns on 20,000 rows."""
    found: dict[str, int] = {}

    def column_of(column: str) -> int:
        col = found.get(column)
        if col is None:
            col = found[column] = table.column_of(column)
        return col

    return column_of


def _last_value_row(src: zipfile.ZipFile, part: str) -> int:
    info = src.getinfo(part)
    try:
        with MemberReader(src, info) as fh:
            return last_value_row(fh)
    except ValueError:  # rows without numbers, or no used row in the tail: count them all
        with MemberReader(src, info) as fh:
            return last_value_row(fh, window=1 << 62)


def moved_up(row: int, gone: tuple[int, int] | None) -> int:
    """Where a row stands once rows first..last are cut out (one inside the cut: the row above it)."""
    if gone is None or row < gone[0]:
        return row
    return row - (gone[1] - gone[0] + 1) if row > gone[1] else gone[0] - 1


def _shrink_defined_names(workbook_xml: bytes, sheet_name: str, gone: tuple[int, int]) -> bytes:
    """Defined names over a sheet's rows that reach into the cut end where the rows below them now end."""
    text = workbook_xml.decode("utf-8")
    quoted = re.escape(sheet_name.replace("'", "''"))
    pattern = re.compile(
        rf"(<(?:\w+:)?definedName\b[^>]*>)('{quoted}'|{re.escape(sheet_name)})!"
        r"(\$?[A-Z]{1,3}\$?)(\d+):(\$?[A-Z]{1,3}\$?)(\d+)(</(?:\w+:)?definedName>)"
    )

    def shrink(m: re.Match) -> str:
        top, bottom = int(m[4]), int(m[6])
        if top >= gone[0] or bottom < gone[0]:
            return m[0]
        return f"{m[1]}{m[2]}!{m[3]}{m[4]}:{m[5]}{max(moved_up(bottom, gone), top + 1)}{m[7]}"

    return pattern.sub(shrink, text).encode("utf-8")


def _dimension_last_row(src: zipfile.ZipFile, part: str) -> int | None:
    """The last row a sheet's <dimension> claims, read from the part's first bytes only."""
    with MemberReader(src, src.getinfo(part)) as fh:
        head = fh.read(4096)
    m = re.search(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([^"]+)"', head)
    area = pkg.split_ref(m[1].decode()) if m else None
    return area[3] if area else None


def _like(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A new entry with the old one's name, date and attributes."""
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = zipfile.ZIP_DEFLATED
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new


def _problem_row(problem: Problem) -> dict[str, object]:
    return {
        "Severity": problem.severity.value,
        "Where": problem.where,
        "Problem": problem.message,
        "How to fix": problem.fix,
    }


def _location(problem: Problem) -> str:
    return f"'{problem.sheet.replace(chr(39), chr(39) * 2)}'!{problem.cell}"
