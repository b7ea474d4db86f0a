"""Excel tables (ListObjects, xl/tables/tableN.xml) of the studio's own sheets: growing one over the rows typed
right below it, so the dropdowns fed by its columns offer them, and the Statuses table's Hide Inactive filter (an
autoFilter on its Inactive column plus hidden rows, so Excel, LibreOffice and openpyxl all show the same).

(core/tables.py is something else: a sheet as read, by header name.)"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from xml.parsers import expat

from ..core.cells import is_blank
from ..core.problems import Problem, WorkbookError
from ..core.table_growth import GROWN_SHEETS, grown_last_row, typed_below_note
from ..core.tables import Table
from . import package as pkg
from .backups import keep_previous_version
from .reader import open_zip
from .replace import replace_file
from .zipio import copy_member


@dataclass(frozen=True)
class Growth:
    """A table taken down over the rows typed right below it."""

    sheet: str  # the sheet's name as the workbook shows it
    table: str  # the table's name (StatusesTable)
    part: str  # its part in the package
    was_last: int  # the table's last row before
    last: int  # its last row now

    def note(self) -> Problem:
        """What the studio is told, at the first row taken in (the buttons say it in the same words)."""
        return typed_below_note(self.sheet, self.table, self.was_last, self.last)


def _table_xml_ref(xml: bytes) -> tuple[int, int, int, int] | None:
    ref = pkg.table_ref(xml)
    return pkg.split_ref(ref) if ref else None


def _has_totals(xml: bytes) -> bool:
    m = re.search(rb'<(?:\w+:)?table\b[^>]*?\btotalsRowCount="(\d+)"', xml)
    return bool(m and int(m[1]))


def _table_name(xml: bytes) -> str:
    m = re.search(rb'<(?:\w+:)?table\b[^>]*?\bdisplayName="([^"]+)"', xml) or re.search(
        rb'<(?:\w+:)?table\b[^>]*?\bname="([^"]+)"', xml
    )
    return pkg.xml_text(m[1].decode("utf-8")) if m else "Excel"


def own_table(package: pkg.Package, part_of: Callable[[str], bytes], table: Table) -> tuple[str, bytes] | None:
    """The Excel table of a sheet that starts on its header row: (its part, its XML); None when it has none."""
    if not table.exists or not table.header_row:
        return None
    entry = package.sheet(table.sheet)
    if entry is None:
        return None
    for part in package.tables_of(entry.part):
        xml = part_of(part)
        ref = _table_xml_ref(xml)
        if ref and ref[1] == table.header_row:
            return part, xml
    return None


def _filled_rows(table: Table, first_col: int, last_col: int) -> list[int]:
    """The sheet rows holding anything within the table's columns (the small sheets are read whole)."""
    rows = table.rows if isinstance(table.rows, list) else []
    return [row.number for row in rows if any(not is_blank(v) for v in row.values[first_col - 1 : last_col])]


def rows_below(
    package: pkg.Package,
    part_of: Callable[[str], bytes],
    tables: Mapping[str, Table],
    sheets: Collection[str] = GROWN_SHEETS,
) -> list[tuple[Growth, bytes]]:
    """Each table that has rows typed right below it, with its XML grown over them. Only contiguous rows are taken
    in (a blank row ends them), a table with a totals row is left alone, and no table ever shrinks."""
    grown = []
    for name in sheets:
        table = tables.get(name)
        found = own_table(package, part_of, table) if table is not None else None
        if found is None:
            continue
        part, xml = found
        ref = _table_xml_ref(xml)
        if ref is None or _has_totals(xml) or table.last_row <= ref[3]:
            continue
        last = grown_last_row(ref[3], _filled_rows(table, ref[0], ref[2]))
        if last > ref[3]:
            grown_xml = pkg.set_table_ref(xml, pkg.join_ref(ref[0], ref[1], ref[2], last))
            grown.append((Growth(table.sheet, _table_name(xml), part, ref[3], last), grown_xml))
    return grown


# -- Hide Inactive: the Statuses table's filter -----------------------------------------------------------------

_AUTOFILTER = re.compile(rb"<((?:\w+:)?)autoFilter\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?autoFilter>)", re.S)
_ROW = re.compile(rb"<((?:\w+:)?)row\b([^>]*?)(/?)>")
_HIDDEN = re.compile(rb'\shidden="[^"]*"')


def filtered_column(table_xml: bytes) -> int | None:
    """The column (0-based within the table) the table's filter hides values of; None: no filter set."""
    m = _AUTOFILTER.search(table_xml)
    if m is None or not m[3]:
        return None
    column = re.search(rb'<(?:\w+:)?filterColumn\b[^>]*?\bcolId="(\d+)"', m[3])
    return int(column[1]) if column else None


def set_filter(table_xml: bytes, col_id: int | None, shown: Collection[str] = ()) -> bytes:
    """The table's autoFilter showing only the `shown` values of column `col_id` (blank among them as ""); None
    clears every filter, as Excel's Clear Filter does. A table without an autoFilter gets one over its range."""
    m = _AUTOFILTER.search(table_xml)
    prefix = m[1].decode() if m else ""
    attrs = m[2].decode() if m else f' ref="{pkg.table_ref(table_xml)}"'
    if col_id is None:
        element = f"<{prefix}autoFilter{attrs}/>"
    else:
        values = sorted({v for v in shown if v})
        blank = ' blank="1"' if "" in shown else ""
        filters = "".join(f'<{prefix}filter val="{escape(v)}"/>' for v in values)
        element = (
            f'<{prefix}autoFilter{attrs}><{prefix}filterColumn colId="{col_id}"><{prefix}filters{blank}>{filters}'
            f"</{prefix}filters></{prefix}filterColumn></{prefix}autoFilter>"
        )
    if m is not None:
        return table_xml[: m.start()] + element.encode("utf-8") + table_xml[m.end() :]
    # the autoFilter comes first among a table's children (CT_Table)
    opening = re.search(rb"<(?:\w+:)?table\b[^>]*>", table_xml)
    if opening is None:
        raise WorkbookError("the Statuses table's part could not be read — save the workbook in Excel and try again")
    return table_xml[: opening.end()] + element.encode("utf-8") + table_xml[opening.end() :]


def hide_rows(sheet_xml: bytes, hidden: Collection[int], rows: range) -> bytes:
    """The sheet with the rows of `rows` that are in `hidden` marked hidden="1" and the others of `rows` shown;
    rows elsewhere stay exactly as they were."""
    wanted = set(hidden)
    number = 0

    def mark(m: re.Match[bytes]) -> bytes:
        nonlocal number
        attrs = m[2]
        r = re.search(rb'\br="(\d+)"', attrs)
        number = int(r[1]) if r else number + 1
        if number not in rows:
            return m[0]
        attrs = _HIDDEN.sub(b"", attrs)
        if number in wanted:
            attrs += b' hidden="1"'
        return b"<" + m[1] + b"row" + attrs + m[3] + b">"

    head, found, rest = sheet_xml.partition(b"sheetData")
    return head + found + _ROW.sub(mark, rest) if found else sheet_xml


@dataclass(frozen=True)
class InactiveFilter:
    """What Hide Inactive (or Show Inactive) leaves on the Statuses sheet."""

    hide: bool
    hidden: tuple[int, ...]  # sheet rows hidden now
    has_table: bool  # False: the sheet has no Excel table, so only the rows are hidden (no filter button shows it)


def is_filtered(path: Path, statuses: Table) -> bool:
    """Whether the Statuses table's filter hides inactive statuses now (so a status-list change re-applies it)."""
    with open_zip(path) as zf:
        package = pkg.Package.open(zf)
        found = own_table(package, lambda name: pkg.read_part(zf, name), statuses)
        return found is not None and filtered_column(found[1]) is not None


def write_inactive_filter(
    path: Path,
    statuses: Table,
    inactive_rows: Collection[int],
    shown_values: Collection[str],
    hide: bool,
    keep_backup: bool = True,
) -> InactiveFilter:
    """Set (hide) or clear (show) the Statuses table's filter on its Inactive column, and hide or show its rows to
    match, as one atomic replace of the workbook: every other part is copied byte for byte."""
    data_rows = range(statuses.header_row + 1, max(statuses.last_row, statuses.header_row) + 1)
    hidden = tuple(sorted(r for r in inactive_rows if r in data_rows)) if hide else ()
    replaced: dict[str, bytes] = {}
    with open_zip(path) as zf:
        package = pkg.Package.open(zf)
        entry = package.sheet(statuses.sheet)
        if entry is None:
            raise WorkbookError(f"the workbook has no {statuses.sheet} sheet")
        found = own_table(package, lambda name: pkg.read_part(zf, name), statuses)
        if found is not None:
            part, xml = found
            ref = _table_xml_ref(xml)
            assert ref is not None
            data_rows = range(ref[1] + 1, max(ref[3], data_rows.stop - 1) + 1)
            col_id = statuses.column_of("Inactive") - ref[0]
            inside = statuses.has("Inactive") and 0 <= col_id <= ref[2] - ref[0]  # else no column to filter on
            replaced[part] = set_filter(xml, col_id if hide and inside else None, shown_values)
        replaced[entry.part] = hide_rows(pkg.read_part(zf, entry.part), hidden, data_rows)

    def fill(tmp: Path) -> None:
        with open_zip(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                if info.filename in replaced:
                    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    new.compress_type = zipfile.ZIP_DEFLATED
                    new.external_attr = info.external_attr
                    dst.writestr(new, replaced[info.filename])
                else:
                    copy_member(src, dst, info)

    replace_file(
        path, fill, check=lambda tmp: _check(tmp, replaced), backup=keep_previous_version if keep_backup else None
    )
    return InactiveFilter(hide, hidden, found is not None)


def _check(tmp: Path, parts: Collection[str]) -> None:
    """The new file opens as a zip and the parts written parse as XML: what Excel would refuse is never put in place."""
    try:
        with zipfile.ZipFile(tmp) as zf:
            for name in parts:
                parser = expat.ParserCreate(namespace_separator=" ")
                parser.Parse(zf.read(name), True)
    except (zipfile.BadZipFile, expat.ExpatError, KeyError) as exc:
        raise WorkbookError(f"the new workbook failed its check ({exc}); the original is untouched") from None
