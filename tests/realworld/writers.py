"""One studio, written by many writers: the corpus the real-world tests run sheetflow on (SPEC §9, issue 11).

Every writer starts from the same studio content, the sample of `sheetflow new --sample` made on a fixed day, and
writes it the way one real writer does:

- real writers run here: LibreOffice (its xlsx export, and a round trip through .ods), openpyxl (load and save)
  and xlsxwriter (the studio's cells written from scratch);
- writers that are not here (Excel for Mac, Excel in Strict mode, streaming writers, …) are reproduced by small,
  explicit edits of the package sheetflow wrote (lxml-free regular expressions on the XML, members added or
  removed in the zip), each a function named after the habit it stands for, its docstring saying which writer
  does what.

Each writer also says how to recognise its habit in the file it made (`planted`), so a fixture can never
silently stop standing for what it claims. Converted files are made once per test session and cached; a test
copies the file it runs on.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from helpers.libreoffice import SOFFICE, require_soffice, soffice_convert, soffice_convert_all  # noqa: F401

TODAY = dt.date(2026, 11, 25)  # the day the sample is made on and every command runs on (tests/conftest.py's)

STUDIO = "studio.xlsx"  # every file in the corpus has this name, in a folder of its own

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
# Transitional namespace -> Strict namespace (ISO/IEC 29500 Strict; the OPC namespaces of content types, package
# relationships and core properties are the same in both)
STRICT_NAMESPACES = {
    MAIN_NS: STRICT_MAIN_NS,
    REL_NS: STRICT_REL_NS,  # also the prefix of every relationship type: …/relationships/worksheet and so on
    "http://schemas.openxmlformats.org/drawingml/2006/main": "http://purl.oclc.org/ooxml/drawingml/main",
    "http://schemas.openxmlformats.org/drawingml/2006/chart": "http://purl.oclc.org/ooxml/drawingml/chart",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing": "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing",
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties": "http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
    "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes": "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
    "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties": "http://purl.oclc.org/ooxml/officeDocument/customProperties",
}
DAYS_1900_TO_1904 = 1462  # 1904-01-01 is serial 1462 in the 1900 system
EPOCH_1900 = dt.datetime(1899, 12, 30)
EPOCH_1904 = dt.datetime(1904, 1, 1)

Members = dict[str, bytes]


# --- running sheetflow and LibreOffice --------------------------------------------------------------------------------


def sheetflow(*args: object, today: dt.date | None = TODAY):
    """`sheetflow ARGS… --today TODAY` in-process, as tests/conftest.py's fixture runs it (tracebacks fail)."""
    from click.testing import CliRunner

    from sheetflow.cli import main

    argv = [str(a) for a in args]
    if today is not None:
        argv += ["--today", today.isoformat()]
    return CliRunner().invoke(main, argv, catch_exceptions=False)


def sample(path: Path) -> Path:
    """The sample studio, made on TODAY (`sheetflow new PATH --sample`, in-process)."""
    from sheetflow.library import runs as batch

    path.parent.mkdir(parents=True, exist_ok=True)
    batch.new(path, sample=True, today=TODAY)
    return path


# --- reading and writing packages -------------------------------------------------------------------------------------


def load(path: Path) -> Members:
    """A package's members, in their order."""
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def save(members: Members, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 25, 9, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return path


def text(members: Members, name: str) -> str:
    return members[name].decode("utf-8")


def put(members: Members, name: str, value: str) -> None:
    members[name] = value.encode("utf-8")


def edit(members: Members, name: str, fn: Callable[[str], str]) -> None:
    """Rewrite one member's text; the edit must change something (else the habit was not planted)."""
    old = text(members, name)
    new = fn(old)
    assert new != old, f"the edit of {name} changed nothing"
    put(members, name, new)


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def find_member(members: Members, name: str) -> str | None:
    """The member of this part name, compared case-insensitively as OPC says part names are."""
    return next((m for m in members if m.casefold() == name.casefold()), None)


def relationships(members: Members, part: str) -> list[tuple[str, str, str]]:
    """(Id, Type, resolved target) of a part's internal relationships."""
    rels = find_member(members, rels_name(part))
    if rels is None:
        return []
    root = ElementTree.fromstring(members[rels])
    return [
        (r.get("Id", ""), r.get("Type", ""), resolve(part, r.get("Target", "")))
        for r in root
        if r.get("TargetMode") != "External"
    ]


def workbook_part(members: Members) -> str:
    return next(t for _, typ, t in relationships(members, "") if typ.endswith("/officeDocument"))


def sheets(members: Members) -> dict[str, str]:
    """Sheet name -> worksheet part, in the workbook's order (any namespace: transitional or Strict)."""
    wb = workbook_part(members)
    targets = {rid: target for rid, _, target in relationships(members, wb)}
    root = ElementTree.fromstring(members[wb])
    found = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "sheet":
            rid = next(v for k, v in element.attrib.items() if k.endswith("}id"))
            found[element.get("name")] = find_member(members, targets[rid]) or targets[rid]
    return found


def related_parts(members: Members, part: str) -> list[str]:
    return [find_member(members, t) or t for _, _, t in relationships(members, part)]


def styles_part(members: Members) -> str | None:
    wb = workbook_part(members)
    return next((t for _, typ, t in relationships(members, wb) if typ.endswith("/styles")), None)


def xml_parts(members: Members) -> list[str]:
    return [name for name in members if name.endswith((".xml", ".rels", ".vml"))]


_BUILTIN_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))


def date_styles(members: Members) -> set[int]:
    """The cell styles (cellXfs indexes) whose number format shows a date (the first cellXfs found)."""
    name = styles_part(members)
    if name is None:
        return set()
    xml = text(members, name)
    custom = {
        int(i): code
        for i, code in re.findall(
            r'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="'
            r'([^"]*)"',
            xml,
        )
    }
    block = re.search(r"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", xml, re.S)
    formats = [int(i) for i in re.findall(r'<(?:\w+:)?xf\b[^>]*?numFmtId="(\d+)"', block[1])] if block else []

    def is_date(fmt: int) -> bool:
        if fmt in _BUILTIN_DATE_FORMATS:
            return True
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", html.unescape(custom.get(fmt, "")))
        return bool(re.search(r"[dmyh]", code, re.I))

    return {index for index, fmt in enumerate(formats) if is_date(fmt)}


# --- cells inside a worksheet's XML -----------------------------------------------------------------------------------

_ROW = re.compile(r"<((?:\w+:)?)row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(r"<((?:\w+:)?)c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_R = re.compile(r'(?<![\w:])r="([A-Z]*)(\d+)"')
_S = re.compile(r'(?<![\w:])s="(\d+)"')
_T = re.compile(r'(?<![\w:])t="(\w+)"')
_V = re.compile(r"<((?:\w+:)?)v>(.*?)</(?:\w+:)?v>", re.S)


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def map_cells(xml: str, fn: Callable[[int, int, str, re.Match], str | None]) -> str:
    """Rewrite cells: fn(row, column, cell xml, match) returns the new cell xml, or None to keep it."""

    def row(m: re.Match) -> str:
        number = int(_R.search(m[2])[2])
        if m[3] is None:
            return m[0]

        def cell(c: re.Match) -> str:
            ref = _R.search(c[2])
            new = fn(number, column_index(ref[1]), c[0], c)
            return c[0] if new is None else new

        return m[0].replace(m[3], _CELL.sub(cell, m[3]), 1)

    return _ROW.sub(row, xml)


def shared_strings(members: Members) -> list[str]:
    """Each shared string's inner XML (the <si> content)."""
    name = find_member(members, "xl/sharedStrings.xml")
    return re.findall(r"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si/>", text(members, name), re.S) if name else []


def plain(si_xml: str) -> str:
    """A shared or inline string's text, phonetic runs left out."""
    without_phonetic = re.sub(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", "", si_xml, flags=re.S)
    return html.unescape("".join(re.findall(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", without_phonetic, re.S)))


# --- the writers ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Writer:
    """A writer of the corpus: how it makes the studio's workbook, and what in the file shows its habit."""

    name: str
    habit: str  # which writer habit the file stands for
    make: Callable[[Path], Path]  # folder -> the workbook made in it (named STUDIO)
    planted: Callable[[Members], None]  # asserts that the habit really is in the file
    soffice: bool = False  # LibreOffice makes (or starts) this file
    readers: frozenset[str] = frozenset({"calamine", "openpyxl", "libreoffice"})  # open the writer's own file


def _make_sheetflow(folder: Path) -> Path:
    return sample(folder / STUDIO)


def _planted_sheetflow(members: Members) -> None:
    assert "xl/sharedStrings.xml" in members and "date1904" not in text(members, "xl/workbook.xml")


def _make_libreoffice(folder: Path) -> Path:
    source = sample(folder / "source" / STUDIO)
    converted = soffice_convert(source, folder / "out", "xlsx")
    return Path(shutil.move(converted, folder / STUDIO))


def _planted_libreoffice(members: Members) -> None:
    assert b"LibreOffice" in members["docProps/app.xml"]
    strings = [plain(si) for si in shared_strings(members)]
    assert len(strings) == len(set(strings)), "LibreOffice stores each distinct text once"
    assert "Task" in strings and "Session ID" in strings
    # the repeats: "Session ID" heads Sessions, Notes, Tasks and Outbox, each cell pointing at the one entry
    index = strings.index("Session ID")
    heads = sum(
        len(re.findall(rf'<c r="[A-Z]+1"[^>]*t="s"[^>]*><v>{index}</v>', text(members, part)))
        for part in sheets(members).values()
    )
    assert heads >= 4


def _make_libreoffice_ods(folder: Path) -> Path:
    source = sample(folder / "source" / STUDIO)
    ods = soffice_convert(source, folder / "ods", "ods")
    with zipfile.ZipFile(ods) as zf:  # an OpenDocument spreadsheet really was in between
        assert zf.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    back = soffice_convert(ods, folder / "out", "xlsx")
    return Path(shutil.move(back, folder / STUDIO))


def _make_openpyxl(folder: Path, delete: tuple[str, ...] = ()) -> Path:
    import openpyxl

    source = sample(folder / "source" / STUDIO)
    wb = openpyxl.load_workbook(source)
    for name in delete:
        del wb[name]
    wb.save(folder / STUDIO)
    return folder / STUDIO


def _planted_openpyxl(members: Members) -> None:
    assert b"Openpyxl" in members["docProps/app.xml"]
    # openpyxl 3.1 writes every text as an inline string and no shared-string part (3.0 wrote shared strings)
    assert "xl/sharedStrings.xml" not in members
    assert 't="inlineStr"' in text(members, sheets(members)["Sessions"])


def _make_openpyxl_lxml(folder: Path) -> Path:
    """openpyxl serialises with lxml when it is installed (openpyxl.xml.LXML), and lxml declares the
    relationships prefix on each element that uses it (`<sheet … xmlns:r=… r:id=…>`), not on the root. Where
    lxml is not installed, openpyxl's file gets the declarations moved the way lxml places them. The studio
    deleted its Problems sheet (in openpyxl, before saving), so sheetflow adds a <sheet> to this workbook."""
    path = _make_openpyxl(folder, delete=("Problems",))
    members = load(path)
    for part in spreadsheetml_parts(members):
        put(members, part, r_where_used(text(members, part)))
    return save(members, path)


def _planted_openpyxl_lxml(members: Members) -> None:
    _planted_openpyxl(members)
    wb = text(members, "xl/workbook.xml")
    assert len(re.findall(rf'<sheet\b[^>]*xmlns:r="{REL_NS}"', wb)) == len(sheets(members))
    assert not re.search(r"<workbook\b[^>]*xmlns:r=", wb)
    assert "Problems" not in sheets(members)


def _make_xlsxwriter(folder: Path) -> Path:
    """The studio's cells as calamine reads them from the sample, written from scratch: dates as dates with a
    date format, every text a shared string, the ledger sheet hidden; no tables, dropdowns or charts."""
    import openpyxl
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    source = sample(folder / "source" / STUDIO)
    hidden = {
        ws.title for ws in openpyxl.load_workbook(source, read_only=True).worksheets if ws.sheet_state != "visible"
    }
    book = CalamineWorkbook.from_path(str(source))
    wb = xlsxwriter.Workbook(str(folder / STUDIO), {"strings_to_urls": False})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    moment = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name in book.sheet_names:
        ws = wb.add_worksheet(name)
        if name in hidden:
            ws.hide()
        for r, values in enumerate(book.get_sheet_by_name(name).to_python(skip_empty_area=False)):
            for c, value in enumerate(values):
                if isinstance(value, dt.datetime):
                    ws.write_datetime(r, c, value, moment)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif value != "":
                    ws.write_string(r, c, str(value))
    wb.close()
    return folder / STUDIO


def _planted_xlsxwriter(members: Members) -> None:
    assert "inlineStr" not in "".join(text(members, p) for p in sheets(members).values()), "every text is shared"
    assert not any(name.startswith("xl/tables/") for name in members)


# --- hand-made habits: edits of the package sheetflow wrote -----------------------------------------------------------


def _from_sample(habit: Callable[[Members], None]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        source = sample(folder / "source" / STUDIO)
        members = load(source)
        habit(members)
        return save(members, folder / STUDIO)

    return make


def mac_1904(members: Members) -> None:
    """Excel for Mac's 1904 date system: `<workbookPr date1904="1"/>`, and every date cell's serial counted from
    1904-01-01 (1462 less than the same day in the 1900 system) — on every sheet, the hidden ledger included."""
    wb = workbook_part(members)
    edit(members, wb, lambda xml: re.sub(r"<((?:\w+:)?)workbookPr\b", r'<\1workbookPr date1904="1"', xml, count=1))
    dates = date_styles(members)

    def shift(row: int, col: int, cell: str, m: re.Match) -> str | None:
        style = _S.search(m[2])
        if style is None or int(style[1]) not in dates or _T.search(m[2]) or not m[3]:
            return None
        value = _V.search(m[3])
        serial = float(value[2]) - DAYS_1900_TO_1904
        number = str(int(serial)) if serial.is_integer() else repr(serial)
        return cell.replace(value[0], f"<{value[1]}v>{number}</{value[1]}v>", 1)

    for part in sheets(members).values():
        put(members, part, map_cells(text(members, part), shift))


def _planted_1904(members: Members) -> None:
    assert 'date1904="1"' in text(members, workbook_part(members))
    sessions = text(members, sheets(members)["Sessions"])
    # session 1007's session date, 2027-01-01, as a 1904 serial (34698 in the 1900 system would be 46388)
    assert f"<v>{(dt.datetime(2027, 1, 1) - EPOCH_1904).days}</v>" in sessions


SPREADSHEETML_CONTENT = (
    "sheet.main+xml",
    "worksheet+xml",
    "sharedStrings+xml",
    "styles+xml",
    "table+xml",
    "sheet.macroEnabled.main+xml",
)


def spreadsheetml_parts(members: Members) -> list[str]:
    types = text(members, "[Content_Types].xml")
    found = []
    for part, content in re.findall(r'<Override\b[^>]*PartName="/([^"]+)"[^>]*ContentType="([^"]+)"', types):
        if content.endswith(SPREADSHEETML_CONTENT) and (name := find_member(members, part)):
            found.append(name)
    return found


def prefixed(members: Members) -> None:
    """Namespace prefixes declared per element, as writers built on XML libraries that qualify every name do
    (files made with .NET's Open XML SDK often read `<x:worksheet xmlns:x=…>`): the SpreadsheetML namespace as
    prefix x on every
    element of the workbook, sheets, shared strings, styles and tables; the relationships prefix r declared only
    on the elements that use it (each `<x:sheet>` in the workbook, each `<x:tablePart>`, `<x:drawing>`…). The
    Problems sheet is not there (sheetflow creates it when missing), so a run adds a `<x:sheet>` too."""
    _drop_sheet(members, "Problems")
    tag = re.compile(r"<(/?)([A-Za-z_][\w.\-]*)(?=[\s/>])")
    for part in spreadsheetml_parts(members):

        def qualify(xml: str) -> str:
            assert f'xmlns="{MAIN_NS}"' in xml
            xml = xml.replace(f'xmlns="{MAIN_NS}"', f'xmlns:x="{MAIN_NS}"', 1)
            return r_where_used(tag.sub(r"<\1x:\2", xml))

        edit(members, part, qualify)


_ROOT_R = re.compile(rf'^(<\?xml[^>]*>\s*)?(<[^>]*?)\sxmlns:r="{re.escape(REL_NS)}"')
_USES_R = re.compile(r"<([\w:]+)(?=[^>]*\sr:\w+=)(?![^>]*\sxmlns:r=)")


def r_where_used(xml: str) -> str:
    """The relationships prefix r declared on each element that uses it instead of on the root element."""
    xml = _ROOT_R.sub(r"\1\2", xml, count=1)
    return _USES_R.sub(rf'<\1 xmlns:r="{REL_NS}"', xml)


def _planted_prefixed(members: Members) -> None:
    wb = text(members, workbook_part(members))
    assert wb.count(f'<x:sheet xmlns:r="{REL_NS}"') == len(sheets(members))
    assert not re.search(r"<x:workbook\b[^>]*xmlns:r=", wb)
    for part in spreadsheetml_parts(members):
        assert f'xmlns="{MAIN_NS}"' not in text(members, part) and f'xmlns:x="{MAIN_NS}"' in text(members, part)
    assert "Problems" not in sheets(members)


def _drop_sheet(members: Members, name: str) -> None:
    """Take a sheet out of the package: its part and everything only it uses, its workbook entry and rel, its
    content types, and the defined names local to it (the later sheets' localSheetId move down by one)."""
    wb = workbook_part(members)
    part = sheets(members)[name]
    index = list(sheets(members)).index(name)
    gone = [part, *related_parts(members, part)]
    rels = find_member(members, rels_name(part))
    for member in [*gone, rels]:
        if member:
            members.pop(member, None)
    wb_rels = rels_name(wb)
    rid = next(rid for rid, _, target in relationships(members, wb) if target.casefold() == part.casefold())

    def workbook(xml: str) -> str:
        xml = re.sub(rf'<(?:\w+:)?sheet\b[^>]*?\bname="{re.escape(name)}"[^>]*/>', "", xml)
        xml = re.sub(rf'<(?:\w+:)?definedName\b[^>]*localSheetId="{index}"[^>]*>.*?</(?:\w+:)?definedName>', "", xml)
        return re.sub(r'(localSheetId=")(\d+)"', lambda m: f'{m[1]}{int(m[2]) - (int(m[2]) > index)}"', xml)

    edit(members, wb, workbook)
    edit(members, wb_rels, lambda xml: re.sub(rf'<Relationship\b[^>]*\bId="{rid}"[^>]*/>', "", xml))
    for member in gone:
        edit(
            members,
            "[Content_Types].xml",
            lambda xml, m=member: re.sub(rf'<Override\b[^>]*PartName="/{re.escape(m)}"[^>]*/>', "", xml, flags=re.I),
        )


def part_casing(members: Members) -> None:
    """Worksheet parts named `xl/worksheets/Sheet1.xml` (capital S; OPC compares part names case-insensitively,
    and writers differ in the case they pick), and — as in a workbook that never had one — no Problems sheet, so
    sheetflow has to name a new worksheet part next to them."""
    _drop_sheet(members, "Problems")
    renamed = {}
    for part in list(sheets(members).values()):
        folder, base = posixpath.split(part)
        new = posixpath.join(folder, base[0].upper() + base[1:])
        renamed[part] = new
        rels = rels_name(part)
        if rels in members:
            renamed[rels] = rels_name(new)
    for old, new in renamed.items():
        members[new] = members.pop(old)
    wb = workbook_part(members)

    def targets(xml: str) -> str:
        return re.sub(r'Target="worksheets/sheet(\d+)\.xml"', r'Target="worksheets/Sheet\1.xml"', xml)

    edit(members, rels_name(wb), targets)
    edit(
        members,
        "[Content_Types].xml",
        lambda xml: re.sub(r'PartName="/xl/worksheets/sheet(\d+)\.xml"', r'PartName="/xl/worksheets/Sheet\1.xml"', xml),
    )


def _planted_casing(members: Members) -> None:
    names = [m for m in members if m.startswith("xl/worksheets/") and m.endswith(".xml")]
    assert names and all(posixpath.basename(m).startswith("Sheet") for m in names)
    assert "Problems" not in sheets(members)


def mc_styles(members: Members) -> None:
    """styles.xml with its cell styles inside markup compatibility's `mc:AlternateContent`: one `<cellXfs>` in
    `mc:Choice Requires="x14"` (read by consumers that know the x14 extensions), a copy in `mc:Fallback` (for
    the others)."""
    name = styles_part(members)

    def wrap(xml: str) -> str:
        block = re.search(r"<cellXfs\b.*?</cellXfs>", xml, re.S)[0]
        alternate = (
            f'<mc:AlternateContent xmlns:mc="{MC_NS}"><mc:Choice xmlns:x14="{X14_NS}" Requires="x14">'
            f"{block}</mc:Choice><mc:Fallback>{block}</mc:Fallback></mc:AlternateContent>"
        )
        return xml.replace(block, alternate, 1)

    edit(members, name, wrap)


def _planted_mc_styles(members: Members) -> None:
    xml = text(members, styles_part(members))
    assert re.search(r"<mc:Choice\b[^>]*><cellXfs\b.*?</cellXfs></mc:Choice><mc:Fallback><cellXfs\b", xml, re.S)


def no_styles(members: Members) -> None:
    """No styles part at all, as minimal writers make (the part is optional): no `xl/styles.xml`, no relationship
    or content type for it, no style index on any cell, row or column, and no conditional formats or table
    formats (they point into the styles part). Dates are plain serial numbers."""
    name = styles_part(members)
    members.pop(name)
    wb = workbook_part(members)
    edit(members, rels_name(wb), lambda xml: re.sub(r'<Relationship\b[^>]*/styles"[^>]*/>', "", xml))
    edit(members, "[Content_Types].xml", lambda xml: re.sub(rf'<Override\b[^>]*PartName="/{name}"[^>]*/>', "", xml))
    for part in sheets(members).values():
        xml = text(members, part)
        xml = re.sub(r"<conditionalFormatting\b.*?</conditionalFormatting>", "", xml, flags=re.S)
        xml = re.sub(r'(<(?:c|row)\b[^>]*?)\s(?:s|customFormat)="\d+"', r"\1", xml)
        xml = re.sub(r'(<(?:c|row)\b[^>]*?)\s(?:s|customFormat)="\d+"', r"\1", xml)
        xml = re.sub(r'(<col\b[^>]*?)\sstyle="\d+"', r"\1", xml)
        put(members, part, xml)
    for part in [m for m in members if m.startswith("xl/tables/")]:
        put(members, part, re.sub(r'\s\w+DxfId="\d+"', "", text(members, part)))


def _planted_no_styles(members: Members) -> None:
    assert styles_part(members) is None and not any(m.endswith("styles.xml") for m in members)
    for part in sheets(members).values():
        assert not re.search(r'<c\b[^>]*\ss="', text(members, part))


def no_docprops(members: Members) -> None:
    """No document properties (docProps/core.xml, app.xml, custom.xml are optional; some exporters leave them
    out): the parts, their package relationships and content types go."""
    gone = [m for m in members if m.startswith("docProps/")]
    for member in gone:
        members.pop(member)
    edit(members, "_rels/.rels", lambda xml: re.sub(r'<Relationship\b[^>]*Target="/?docProps/[^"]*"[^>]*/>', "", xml))
    edit(
        members,
        "[Content_Types].xml",
        lambda xml: re.sub(r'<Override\b[^>]*PartName="/docProps/[^"]*"[^>]*/>', "", xml),
    )


def _planted_no_docprops(members: Members) -> None:
    assert not any(m.startswith("docProps/") for m in members) and b"docProps" not in members["_rels/.rels"]


def empty_shared_strings(members: Members) -> None:
    """Every text an inline string, and a shared-string part that is there but empty
    (`<sst count="0" uniqueCount="0"/>`), as writers that always ship the part but write text inline do."""
    strings = shared_strings(members)

    def inline(row: int, col: int, cell: str, m: re.Match) -> str | None:
        kind = _T.search(m[2])
        if not kind or kind[1] != "s":
            return None
        value = _V.search(m[3])
        attrs = m[2].replace('t="s"', 't="inlineStr"')
        return f"<{m[1]}c{attrs}><{m[1]}is>{strings[int(value[2])]}</{m[1]}is></{m[1]}c>"

    for part in sheets(members).values():
        put(members, part, map_cells(text(members, part), inline))
    put(
        members,
        "xl/sharedStrings.xml",
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN_NS}" count="0" uniqueCount="0"/>',
    )


def _planted_empty_sst(members: Members) -> None:
    assert re.search(r'<sst\b[^>]*count="0" uniqueCount="0"/>', text(members, "xl/sharedStrings.xml"))
    assert not any('t="s"' in text(members, p) for p in sheets(members).values())


def no_positions(members: Members) -> None:
    """Rows and cells without `r` attributes (the schema makes both optional: a row is the one after the row
    before it, a cell the one right of the cell before it), as streaming writers leave them; a gap is kept by
    empty `<row/>` and `<c/>` elements."""

    def rewrite(xml: str) -> str:
        previous_row = 0

        def row(m: re.Match) -> str:
            nonlocal previous_row
            number = int(_R.search(m[2])[2])
            gap = f"<{m[1]}row/>" * (number - previous_row - 1)
            previous_row = number
            attrs = _R.sub("", m[2])
            if m[3] is None:
                return f"{gap}<{m[1]}row{attrs}/>"
            previous_col = 0

            def cell(c: re.Match) -> str:
                nonlocal previous_col
                col = column_index(_R.search(c[2])[1])
                filler = f"<{c[1]}c/>" * (col - previous_col - 1)
                previous_col = col
                return filler + c[0].replace(c[2], _R.sub("", c[2]), 1)

            return f"{gap}<{m[1]}row{attrs}>{_CELL.sub(cell, m[3])}</{m[1]}row>"

        return _ROW.sub(row, xml)

    for part in sheets(members).values():
        edit(members, part, rewrite)


def _planted_no_positions(members: Members) -> None:
    for part in sheets(members).values():
        xml = text(members, part)
        assert not re.search(r'<(?:row|c)\b[^>]*(?<![\w:])r="', xml)


def absolute_targets(members: Members) -> None:
    """Every internal relationship target absolute from the package root (`Target="/xl/worksheets/sheet1.xml"`),
    as some exporters (Excel on the web, Google Sheets' download) write them."""
    for name in [m for m in members if m.endswith(".rels")]:
        source = posixpath.join(posixpath.dirname(posixpath.dirname(name)), posixpath.basename(name)[:-5])
        source = "" if name == "_rels/.rels" else source

        def absolute(m: re.Match, source: str = source) -> str:
            element = m[0]
            if 'TargetMode="External"' in element:
                return element
            target = re.search(r'Target="([^"]*)"', element)[1]
            return element.replace(f'Target="{target}"', f'Target="/{resolve(source, target)}"')

        put(members, name, re.sub(r"<Relationship\b[^>]*/>", absolute, text(members, name)))


def _planted_absolute(members: Members) -> None:
    rels = text(members, rels_name(workbook_part(members)))
    assert 'Target="/xl/worksheets/sheet1.xml"' in rels and 'Target="worksheets/' not in rels
    assert 'Target="/xl/tables/' in text(members, "xl/worksheets/_rels/sheet1.xml.rels")


RUN_PROPERTIES = (
    '<rPr><sz val="11"/><color theme="1"/><rFont val="Calibri"/><family val="2"/><scheme val="minor"/></rPr>'
)


def rich_text(members: Members) -> None:
    """Shared strings as Excel writes them once someone formats part of a cell or types in Japanese: every other
    text split into two formatted runs (`<r><rPr>…</rPr><t>…</t></r>`), and every third one carrying a phonetic
    reading (`<rPh>` with its `<phoneticPr>`), which is not part of the cell's text."""
    name = "xl/sharedStrings.xml"

    def rewrite(xml: str) -> str:
        count = 0

        def item(m: re.Match) -> str:
            nonlocal count
            count += 1
            body = m[1]
            value = plain(body)
            if count % 2 and len(value) > 1 and re.fullmatch(r"<t\b[^>]*>.*?</t>", body, re.S):
                half = len(value) // 2
                runs = "".join(
                    f"<r>{RUN_PROPERTIES.replace('<sz', '<b/><sz') if i == 0 else RUN_PROPERTIES}"
                    f'<t xml:space="preserve">{html.escape(part, quote=False)}</t></r>'
                    for i, part in enumerate((value[:half], value[half:]))
                )
                body = runs
            if count % 3 == 0:
                body += '<rPh sb="0" eb="1"><t>フリガナ</t></rPh><phoneticPr fontId="0" type="noConversion"/>'
            return f"<si>{body}</si>"

        return re.sub(r"<si>(.*?)</si>", item, xml, flags=re.S)

    edit(members, name, rewrite)


def _planted_rich_text(members: Members) -> None:
    xml = text(members, "xl/sharedStrings.xml")
    assert xml.count("<rPh ") > 10 and xml.count("<r><rPr>") > 20


def retyped(cell: re.Match, kind: str, value: str) -> str:
    """A cell (a _CELL match) with another type and value, its other attributes kept."""
    p = cell[1]
    attrs = _T.sub(f't="{kind}"', cell[2]) if _T.search(cell[2]) else f'{cell[2]} t="{kind}"'
    return f"<{p}c{attrs}><{p}v>{value}</{p}v></{p}c>"


def typed_cells(members: Members) -> None:
    """Cell types besides numbers and shared strings, as other writers use them: Sessions' texts as `t="str"`
    (`<v>` text, the type of a formula's text result), its dates and the Holidays' as `t="d"` ISO 8601 text,
    the Yes/No cells of Settings, Statuses and Triggers as booleans `t="b"`, and an error value `t="e"` (#N/A,
    what a broken lookup leaves) in the Days Overdue of a session that is not overdue."""
    strings = [plain(si) for si in shared_strings(members)]
    dates = date_styles(members)
    parts = sheets(members)

    def typed(kinds: set[str], header_rows: int = 1) -> Callable:
        def fn(row: int, col: int, cell: str, m: re.Match) -> str | None:
            if row <= header_rows or not m[3]:
                return None
            kind = _T.search(m[2])
            value = _V.search(m[3])
            style = _S.search(m[2])
            if value is None and not (kind and kind[1] == "inlineStr"):
                return None
            if kind and kind[1] in ("s", "inlineStr"):
                string = strings[int(value[2])] if kind[1] == "s" else plain(m[3])
                if "b" in kinds and string in ("Yes", "No"):
                    return retyped(m, "b", str(int(string == "Yes")))
                if "str" in kinds and kind[1] == "s":
                    return retyped(m, "str", html.escape(string, quote=False))
            if not kind and "d" in kinds and style and int(style[1]) in dates:
                moment = EPOCH_1900 + dt.timedelta(days=float(value[2]))
                iso = moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat(timespec="seconds")
                return retyped(m, "d", iso)
            return None

        return fn

    put(members, parts["Sessions"], map_cells(text(members, parts["Sessions"]), typed({"str", "d"})))
    put(members, parts["Holidays"], map_cells(text(members, parts["Holidays"]), typed({"d"})))
    for name in ("Settings", "Statuses", "Triggers"):
        put(members, parts[name], map_cells(text(members, parts[name]), typed({"b"})))

    def error(xml: str) -> str:  # session 1001 (row 2) is on track: its Days Overdue cell is blank
        row = re.search(r'<row r="2"[^>]*>.*?</row>', xml, re.S)[0]
        assert 'r="N2"' not in row and re.search(r'<c r="L2"[^>]*>.*?</c>$', row[: -len("</row>")], re.S)
        return xml.replace(row, row[: -len("</row>")] + '<c r="N2" t="e"><v>#N/A</v></c></row>', 1)

    edit(members, parts["Sessions"], error)


def _planted_typed(members: Members) -> None:
    parts = sheets(members)
    sessions = text(members, parts["Sessions"])
    assert sessions.count('t="str"') > 30 and sessions.count('t="d"') > 30 and '<c r="N2" t="e"><v>#N/A</v>' in sessions
    assert "<v>2027-01-01</v>" in sessions
    assert text(members, parts["Settings"]).count('t="b"') >= 7 and 't="b"' in text(members, parts["Statuses"])


def strict(members: Members) -> None:
    """Excel's "Strict Open XML Spreadsheet" save type (ISO/IEC 29500 Strict): the SpreadsheetML, relationships
    and DrawingML namespaces under http://purl.oclc.org/ooxml/…, relationship types under
    http://purl.oclc.org/ooxml/officeDocument/relationships/… (extendedProperties for the app properties), and
    `conformance="strict"` on the workbook; OPC's own namespaces (content types, package relationships, core
    properties) are the same as in a transitional file. Dates stay serial numbers with a date style (Strict
    allows ISO `t="d"` cells too; the typed-cells file has those)."""
    for name in xml_parts(members):
        xml = text(members, name)
        new = xml.replace(f"{REL_NS}/extended-properties", f"{STRICT_REL_NS}/extendedProperties")
        for old_ns, new_ns in STRICT_NAMESPACES.items():
            new = new.replace(old_ns, new_ns)
        if new != xml:
            put(members, name, new)
    edit(
        members,
        workbook_part(members),
        lambda xml: re.sub(r"<((?:\w+:)?)workbook\b", r'<\1workbook conformance="strict"', xml, count=1),
    )


def _planted_strict(members: Members) -> None:
    everything = b"".join(members[n] for n in xml_parts(members)).decode()
    assert MAIN_NS not in everything and REL_NS not in everything
    assert f'{STRICT_REL_NS}/officeDocument"' in text(members, "_rels/.rels")
    assert 'conformance="strict"' in text(members, "xl/workbook.xml")


WRITERS: dict[str, Writer] = {
    w.name: w
    for w in [
        Writer(
            "sheetflow",
            "the sample as sheetflow new --sample writes it (xlsxwriter template, patched): the reference",
            _make_sheetflow,
            _planted_sheetflow,
        ),
        Writer(
            "libreoffice",
            "LibreOffice's xlsx export: each distinct text once in the shared strings, every repeat "
            "(headers of several sheets) pointing at it; its own styles, tables and charts",
            _make_libreoffice,
            _planted_libreoffice,
            soffice=True,
        ),
        Writer(
            "libreoffice-ods",
            "the studio saved as .ods in LibreOffice and back to .xlsx",
            _make_libreoffice_ods,
            _planted_libreoffice,
            soffice=True,
        ),
        Writer(
            "openpyxl",
            "openpyxl load and save (as installed here): every text inline, no shared strings",
            _make_openpyxl,
            _planted_openpyxl,
        ),
        Writer(
            "openpyxl-lxml",
            "openpyxl with lxml: r: declared on each <sheet> (and each element using it); no Problems sheet",
            _make_openpyxl_lxml,
            _planted_openpyxl_lxml,
        ),
        Writer(
            "xlsxwriter",
            "xlsxwriter writing the studio's cells from scratch: shared strings for every text",
            _make_xlsxwriter,
            _planted_xlsxwriter,
        ),
        Writer("mac-1904", "Excel for Mac's 1904 date system", _from_sample(mac_1904), _planted_1904),
        Writer(
            "prefixed",
            "namespace prefixes declared per element; no Problems sheet",
            _from_sample(prefixed),
            _planted_prefixed,
        ),
        Writer(
            "part-casing", "Sheet1.xml part names, and no Problems sheet", _from_sample(part_casing), _planted_casing
        ),
        Writer(
            "mc-styles",
            "cellXfs inside mc:AlternateContent",
            _from_sample(mc_styles),
            _planted_mc_styles,
            # openpyxl skips mc:AlternateContent, finds no cell styles and fails on the first styled cell
            readers=frozenset({"calamine", "libreoffice"}),
        ),
        Writer("no-styles", "no styles part", _from_sample(no_styles), _planted_no_styles),
        Writer("no-docprops", "no document properties", _from_sample(no_docprops), _planted_no_docprops),
        Writer(
            "empty-sst",
            "inline strings and an empty shared-string table",
            _from_sample(empty_shared_strings),
            _planted_empty_sst,
        ),
        Writer(
            "no-positions", "rows and cells without r attributes", _from_sample(no_positions), _planted_no_positions
        ),
        Writer("absolute-targets", "absolute relationship targets", _from_sample(absolute_targets), _planted_absolute),
        Writer(
            "rich-text", "rich-text and phonetic runs in shared strings", _from_sample(rich_text), _planted_rich_text
        ),
        Writer("typed-cells", 't="str", t="d", booleans and errors', _from_sample(typed_cells), _planted_typed),
        Writer(
            "strict",
            "Strict Open XML",
            _from_sample(strict),
            _planted_strict,
            readers=frozenset({"calamine", "libreoffice"}),
        ),  # openpyxl reads transitional files only
    ]
}


# --- the session's cache ----------------------------------------------------------------------------------------------

_ROOT: list[Path] = []
_MADE: dict[str, Path] = {}


def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not _ROOT:
        _ROOT.append(tmp_path_factory.mktemp("realworld-corpus"))
    return _ROOT[0]


def pristine(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The writer's workbook, made once per session (LibreOffice conversions are the slow part): never run on;
    copy it first (`copy_of`)."""
    writer = WRITERS[name]
    if writer.soffice:
        require_soffice()
    if name not in _MADE:
        folder = cache_root(tmp_path_factory) / name
        if folder.exists():
            shutil.rmtree(folder)
        _MADE[name] = writer.make(folder)
    return _MADE[name]


def copy_of(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(source, folder / STUDIO))


# --- what a run wrote -------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One writer's studio, before and after `apply`, `refresh` and `report`, each with the fixed --today."""

    writer: str
    before: Path
    after: Path
    exit_codes: dict[str, int]
    outputs: dict[str, str]


COMMANDS = ("apply", "refresh", "report")
_RUNS: dict[str, Run | BaseException] = {}


def run(name: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The three commands on a copy of the writer's workbook, once per session; a run that raised raises the
    same exception in every test that asks for it, without running again."""
    if name not in _RUNS:
        source = pristine(name, tmp_path_factory)
        folder = cache_root(tmp_path_factory) / "runs" / name
        if folder.exists():
            shutil.rmtree(folder)
        before = copy_of(source, folder / "before")
        after = copy_of(source, folder / "after")
        codes, outputs = {}, {}
        try:
            for command in COMMANDS:
                result = sheetflow(command, after)
                codes[command], outputs[command] = result.exit_code, result.output
        except Exception as exc:  # a traceback: users must never see one
            _RUNS[name] = exc
            raise
        _RUNS[name] = Run(name, before, after, codes, outputs)
    found = _RUNS[name]
    if isinstance(found, BaseException):
        raise found
    return found


_VIEWS: dict[str, Path | None] = {}
_VIEWS_LOG: list[str] = []


def libreoffice_view(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The writer's studio after the run, as LibreOffice saves it again (xlsx): what LibreOffice read of it.
    The results of every writer LibreOffice opens are converted in one soffice call, once per session."""
    require_soffice()
    if not _VIEWS:
        folder = cache_root(tmp_path_factory) / "libreoffice-views"
        if folder.exists():
            shutil.rmtree(folder)
        (folder / "in").mkdir(parents=True)
        sources = {}
        for writer in WRITERS.values():
            if "libreoffice" not in writer.readers:
                continue
            try:
                result = run(writer.name, tmp_path_factory)
            except Exception:  # that writer's own tests report the traceback
                continue
            sources[writer.name] = Path(shutil.copyfile(result.after, folder / "in" / f"{writer.name}.xlsx"))
        converted, log = soffice_convert_all(list(sources.values()), folder / "out", "xlsx")
        _VIEWS.update({name: converted[source] for name, source in sources.items()})
        _VIEWS_LOG.append(log)
    assert name in _VIEWS, f"{name}'s run failed: there is no result to open"
    assert _VIEWS[name] is not None, f"LibreOffice could not open {name}'s result: {_VIEWS_LOG[0]}"
    return _VIEWS[name]


# --- cells, as calamine reads them ------------------------------------------------------------------------------------


def grid(path: Path, sheet: str) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
