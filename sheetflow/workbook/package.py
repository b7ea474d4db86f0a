"""The parts of an .xlsx/.xlsm package sheetflow needs to find, and the small edits it makes outside sheets.

XML outside the sheets is edited as text, at the one place that changes, so that everything else in the
part (namespaces, extensions, attributes this code has never heard of) stays byte for byte.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape, unescape
from urllib.parse import unquote

from defusedxml import ElementTree as SafeET

from ..core.problems import WorkbookError
from .sharedstrings import SharedStrings

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
TABLE_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
STYLES_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STYLES_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
# Strict Open XML (ISO/IEC 29500 Strict, Excel's "Strict Open XML Spreadsheet"): the same parts and content types
# under other namespaces. sheetflow writes its own parts in the transitional ones and translates them for a Strict
# package, so a Strict workbook stays Strict.
STRICT_NAMESPACES = {
    MAIN_NS: "http://purl.oclc.org/ooxml/spreadsheetml/main",
    REL_NS: "http://purl.oclc.org/ooxml/officeDocument/relationships",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "http://purl.oclc.org/ooxml/drawingml/main",
    "http://schemas.openxmlformats.org/drawingml/2006/chart": "http://purl.oclc.org/ooxml/drawingml/chart",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing": "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing",
}
STRICT_MAIN_NS = STRICT_NAMESPACES[MAIN_NS]
STRICT_REL_NS = STRICT_NAMESPACES[REL_NS]


def to_strict(xml: bytes | str) -> bytes:
    """A part sheetflow wrote in transitional namespaces, in Strict ones (relationship types included: they
    are the relationships namespace followed by a name)."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    for transitional, strict in STRICT_NAMESPACES.items():
        xml = xml.replace(transitional.encode(), strict.encode())
    return xml


MAX_PART_BYTES = 64 * 1024 * 1024  # workbook.xml, styles, rels, tables: anything bigger is not a real workbook
MAX_SHEET_BYTES = 4 * 1024 * 1024 * 1024  # Excel's own limit on one sheet part is about this


def read_part(zf: zipfile.ZipFile, name: str, limit: int = MAX_PART_BYTES) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise WorkbookError(f"the workbook part {name} is {info.file_size:,} bytes, too large to be a real workbook")
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise WorkbookError(f"the workbook part {name} is too large to be a real workbook")
    return data


def parse_xml(data: bytes, part: str):
    try:
        return SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        raise WorkbookError(
            f"the workbook part {part} is damaged ({exc}) — bring back the last good version "
            "(sheetflow restore --list), or open the file in Excel and save it again"
        ) from None
    except Exception as exc:  # defusedxml's refusals: entity expansion, external entities, DTDs
        raise WorkbookError(
            f"the workbook part {part} was refused ({type(exc).__name__}): it is not a safe workbook"
        ) from None


def rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def member(zf: zipfile.ZipFile, name: str) -> str | None:
    """The zip member holding a part: OPC part names are compared case-insensitively (`Sheet1.xml` is
    `sheet1.xml`), so an exact match first, then one ignoring case."""
    if name in zf.NameToInfo:
        return name
    wanted = name.casefold()
    return next((n for n in zf.NameToInfo if n.casefold() == wanted), None)


def has_member(names: Iterable[str], name: str) -> bool:
    """Whether a part name is taken, as OPC compares part names (ignoring case)."""
    wanted = name.casefold()
    return any(n.casefold() == wanted for n in names)


def resolve(base_part: str, target: str) -> str:
    """A relationship's target as a part name: absolute (`/xl/worksheets/sheet1.xml`) or relative to the
    source part's folder, percent-escapes undone."""
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def relationships(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(Id, Type, target member) of a part's relationships; [] when it has none. Targets are the zip members
    they name (matched ignoring case), or the resolved name when no member has it."""
    path = member(zf, rels_path(part))
    if path is None:
        return []
    root = parse_xml(read_part(zf, path), path)
    found = []
    for rel in root.iter():
        if not isinstance(rel.tag, str) or not rel.tag.endswith("}Relationship"):
            continue
        if rel.get("TargetMode") == "External":
            continue
        target = resolve(part, rel.get("Target", ""))
        found.append((rel.get("Id", ""), rel.get("Type", ""), member(zf, target) or target))
    return found


@dataclass
class SheetEntry:
    name: str
    part: str
    sheet_id: int
    index: int  # 0-based position in the workbook


@dataclass
class Package:
    """Where the workbook's sheets, styles and tables live inside the zip, and how it keeps dates."""

    zf: zipfile.ZipFile
    workbook_part: str
    sheets: list[SheetEntry] = field(default_factory=list)
    shared_strings_part: str | None = None
    styles_part: str | None = None
    strict: bool = False  # Strict Open XML: sheetflow's own parts are translated to its namespaces
    date1904: bool = False  # <workbookPr date1904="1"/>: serials count from 1904-01-01 (Mac Excel's old default)

    @classmethod
    def open(cls, zf: zipfile.ZipFile) -> Package:
        if member(zf, "[Content_Types].xml") is None:
            raise WorkbookError("this file is not an Excel workbook (no [Content_Types].xml inside)")
        workbook_part = next((t for _, typ, t in relationships(zf, "") if typ.endswith("/officeDocument")), None)
        if workbook_part is None or workbook_part not in zf.NameToInfo:
            raise WorkbookError("this file is not an Excel workbook (no workbook part inside)")
        package = cls(zf=zf, workbook_part=workbook_part)
        rels = {rid: (typ, target) for rid, typ, target in relationships(zf, workbook_part)}
        for typ, target in rels.values():
            if typ.endswith("/sharedStrings") and target in zf.NameToInfo:
                package.shared_strings_part = target
            elif typ.endswith("/styles") and target in zf.NameToInfo:
                package.styles_part = target
        root = parse_xml(read_part(zf, workbook_part), workbook_part)
        if root.tag == f"{{{STRICT_MAIN_NS}}}workbook":
            package.strict = True
        elif root.tag != f"{{{MAIN_NS}}}workbook":
            raise WorkbookError(
                f"the workbook part {workbook_part} is not a SpreadsheetML workbook — open the file "
                "in Excel and save it as an Excel Workbook (.xlsx)"
            )
        main = package.main_ns
        rel_ns = STRICT_REL_NS if package.strict else REL_NS
        properties = root.find(f"{{{main}}}workbookPr")
        if properties is not None:
            package.date1904 = properties.get("date1904", "0").strip().lower() in ("1", "true")
        for index, sheet in enumerate(root.iter(f"{{{main}}}sheet")):
            rid = sheet.get(f"{{{rel_ns}}}id", "")
            typ, target = rels.get(rid, ("", ""))
            if typ.endswith("/worksheet") and target in zf.NameToInfo:
                package.sheets.append(SheetEntry(sheet.get("name", ""), target, int(sheet.get("sheetId", "0")), index))
        return package

    _strings: SharedStrings | None = None
    _styles: Styles | None = None

    @property
    def strings(self) -> SharedStrings:
        """The shared-string table, read lazily (the run's one reader, when it was handed one)."""
        if self._strings is None:
            self._strings = SharedStrings(self.zf, self.shared_strings_part)
        return self._strings

    def use_strings(self, strings: SharedStrings | None) -> Package:
        """Read the shared strings through the run's one reader, which goes on where it stopped."""
        if strings is not None:
            self._strings = strings.bind(self.zf, self.shared_strings_part)
        return self

    def cell_styles(self) -> Styles:
        """The workbook's styles as they are, to tell which cells show dates (the writer keeps its own copy)."""
        if self._styles is None:
            part = self.styles_part
            self._styles = Styles(read_part(self.zf, part) if part else None, self.strict, part or "xl/styles.xml")
        return self._styles

    @property
    def main_ns(self) -> str:
        return STRICT_MAIN_NS if self.strict else MAIN_NS

    def sheet(self, name: str) -> SheetEntry | None:
        wanted = " ".join(name.split()).casefold()
        return next((s for s in self.sheets if " ".join(s.name.split()).casefold() == wanted), None)

    def tables_of(self, sheet_part: str) -> list[str]:
        return [
            target
            for _, typ, target in relationships(self.zf, sheet_part)
            if typ.endswith("/table") and target in self.zf.NameToInfo
        ]


# --- cell references ------------------------------------------------------------------------------------------

_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


def split_ref(ref: str) -> tuple[int, int, int, int] | None:
    """'A1:J20' -> (1, 1, 10, 20) as (first col, first row, last col, last row)."""
    from ..core.cells import column_index

    m = _REF.match(ref.strip())
    if not m:
        return None
    c1, r1 = column_index(m[1]), int(m[2])
    c2, r2 = (column_index(m[3]), int(m[4])) if m[3] else (c1, r1)
    return c1, r1, c2, r2


def join_ref(c1: int, r1: int, c2: int, r2: int) -> str:
    from ..core.cells import address

    return address(r1, c1) if (c1, r1) == (c2, r2) else f"{address(r1, c1)}:{address(r2, c2)}"


# --- styles ---------------------------------------------------------------------------------------------------

_BUILTIN_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_DATE_TOKENS = re.compile(r"[dmyhs]", re.I)


def is_date_format(code: str) -> bool:
    stripped = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code)
    return bool(_DATE_TOKENS.search(stripped)) and "General" not in stripped


def _blocks(text: str, local: str) -> list[re.Match]:
    """Every <local>…</local> list in a styles part: one, or one per branch when a writer put it inside
    mc:AlternateContent (Choice and Fallback must then grow alike, or the indices disagree)."""
    return list(re.finditer(rf"<((?:\w+:)?){local}\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?{local}>)", text, re.S))


def _children(block: re.Match, local: str) -> list[re.Match]:
    return list(re.finditer(rf"<(?:\w+:)?{local}\b([^>]*?)(/?)>", block[3] or ""))


def _append(text: str, local: str, child: str, element: str, line_up: bool = True) -> tuple[str, int]:
    """Append `element` (a child named `child`, written with the list's prefix as `{p}`) to every `local` list,
    each list's count set to its real length; returns the new text and the new child's index (`line_up`: lists
    whose children are used by index get the same length in every branch)."""
    blocks = _blocks(text, local)
    if not blocks:
        return text, -1
    lengths = [len(_children(b, child)) for b in blocks]
    index = max(lengths)
    for block, length in sorted(zip(blocks, lengths, strict=True), key=lambda item: -item[0].start()):
        p = block[1]
        filler = element.replace("{p}", p)
        copies = index + 1 - length if line_up else 1  # a shorter branch is padded to line up
        items = (block[3] or "") + filler * copies
        attrs = block[2].rstrip("/")
        count = f'count="{length + copies}"'
        attrs = re.sub(r'\bcount="\d+"', count, attrs) if "count=" in attrs else f"{attrs} {count}"
        text = text[: block.start()] + f"<{p}{local}{attrs}>{items}</{p}{local}>" + text[block.end() :]
    return text, index


EMPTY_STYLESHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{MAIN_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/>'
    '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
    '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
    '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


class Styles:
    """Which cell styles show dates, and the styles sheetflow needs, appended only when the workbook lacks them
    (at the end of each list, so no existing index moves). A package without a styles part gets one."""

    def __init__(self, xml: bytes | None, strict: bool = False, part: str = "xl/styles.xml"):
        self.created = xml is None  # the writer adds the part, its relationship and content type
        self.strict = strict
        self.xml = xml if xml is not None else (to_strict if strict else bytes)(EMPTY_STYLESHEET.encode())
        self.changed = self.created
        self._date_xf: dict[bool, int] = {}
        self._made: dict[tuple, int] = {}
        self._shows_date: dict[int, bool] = {}  # style -> is_date, asked once a cell: forgotten when styles change
        parse_xml(self.xml, part)  # damaged: refused here, before anything is written
        text = self.xml.decode("utf-8")
        self.custom_formats: dict[int, str] = {}
        for fmt in re.finditer(r"<(?:\w+:)?numFmt\b([^>]*?)/?>", text):
            number = re.search(r'\bnumFmtId="(\d+)"', fmt[1])
            code = re.search(r'\bformatCode="([^"]*)"', fmt[1])
            if number:
                self.custom_formats[int(number[1])] = unescape(code[1]) if code else ""
        blocks = _blocks(text, "cellXfs")
        self.xf_formats: list[int] = []
        if blocks:  # the first branch is mc:Choice, the one Excel reads
            for xf in _children(blocks[0], "xf"):
                number = re.search(r'\bnumFmtId="(\d+)"', xf[1])
                self.xf_formats.append(int(number[1]) if number else 0)

    def is_date(self, style: int) -> bool:
        known = self._shows_date.get(style)
        if known is None:
            known = self._shows_date[style] = self._is_date(style)
        return known

    def _is_date(self, style: int) -> bool:
        if not 0 <= style < len(self.xf_formats):
            return False
        fmt = self.xf_formats[style]
        return fmt in _BUILTIN_DATE_FORMATS or (fmt in self.custom_formats and is_date_format(self.custom_formats[fmt]))

    def has_time(self, style: int) -> bool:
        fmt = self.xf_formats[style] if 0 <= style < len(self.xf_formats) else 0
        code = self.custom_formats.get(fmt, "h" if fmt in (18, 19, 20, 21, 22, 45, 46, 47) else "")
        return "h" in re.sub(r'"[^"]*"|\[[^\]]*\]', "", code).lower()

    def date_style(self, with_time: bool) -> int:
        """An existing date style (with or without time), else one appended to cellXfs."""
        if with_time in self._date_xf:
            return self._date_xf[with_time]
        for index in range(len(self.xf_formats)):
            if self.is_date(index) and self.has_time(index) == with_time:
                self._date_xf[with_time] = index
                return index
        fmt = 22 if with_time else 14
        self._date_xf[with_time] = self._add_xf(fmt, 0)
        return self._date_xf[with_time]

    def cell_style(
        self, *, bold: bool = False, italic: bool = False, size: int | None = None, number_format: str | None = None
    ) -> int:
        """A style with this font and number format (for sheets sheetflow lays out itself): one the workbook has
        exactly, else one appended at the end of fonts, numFmts and cellXfs, so no existing style moves."""
        key = (bold, italic, size, number_format)
        if key in self._made:
            return self._made[key]
        text = self.xml.decode("utf-8")
        text, font = _font_id(text, bold, italic, size)
        text, fmt = _number_format_id(text, number_format, self.custom_formats)
        self._shows_date.clear()  # a new custom format may be one an existing style named
        self.xml = text.encode("utf-8")
        blocks = _blocks(text, "cellXfs")
        wanted = {"numFmtId": str(fmt), "fontId": str(font), "fillId": "0", "borderId": "0"}
        for index, xf in enumerate(_children(blocks[0], "xf") if blocks else []):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', xf[1]))
            if xf[2] and all(attrs.get(k, "0") == v for k, v in wanted.items()):
                self._made[key] = index
                return index
        self._made[key] = self._add_xf(fmt, font)
        return self._made[key]

    def _add_xf(self, fmt: int, font: int) -> int:
        applied = (' applyNumberFormat="1"' if fmt else "") + (' applyFont="1"' if font else "")
        element = f'<{{p}}xf numFmtId="{fmt}" fontId="{font}" fillId="0" borderId="0" xfId="0"{applied}/>'
        text, index = _append(self.xml.decode("utf-8"), "cellXfs", "xf", element)
        if index < 0:
            return 0
        self.xml = text.encode("utf-8")
        self.xf_formats += [0] * (index - len(self.xf_formats)) + [fmt]
        self._shows_date.clear()
        self.changed = True
        return index


_FONT = re.compile(r"<(?:\w+:)?font\b[^>]*?(?:/>|>.*?</(?:\w+:)?font>)", re.S)


def _font_id(text: str, bold: bool, italic: bool, size: int | None) -> tuple[str, int]:
    """The workbook's default font with bold/italic/size changed: found among the fonts, else appended."""
    if not (bold or italic or size):
        return text, 0
    blocks = _blocks(text, "fonts")
    fonts = list(_FONT.finditer(blocks[0][3] or "")) if blocks else []
    if not fonts:
        return text, 0
    p = blocks[0][1]
    base = fonts[0][0]
    inner = re.sub(r"^<(?:\w+:)?font\b[^>]*>|</(?:\w+:)?font>$|^<(?:\w+:)?font\b[^>]*/>$", "", base)
    inner = re.sub(r"<(?:\w+:)?(?:b|i)(?:\s+val=\"[^\"]*\")?\s*/>", "", inner)
    if size:
        inner = re.sub(r"<(?:\w+:)?sz\b[^>]*/>", "", inner)
    changed = ("<{p}b/>" if bold else "") + ("<{p}i/>" if italic else "") + (f'<{{p}}sz val="{size}"/>' if size else "")
    new = "<{p}font>" + changed + inner + "</{p}font>"
    for index, font in enumerate(fonts):
        if font[0] == new.replace("{p}", p):
            return text, index
    return _append(text, "fonts", "font", new)


_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "0%": 9, "0.00%": 10}


def _number_format_id(text: str, code: str | None, custom: dict[int, str]) -> tuple[str, int]:
    """A number format's id: built in, or a custom one the workbook has, else a new custom one."""
    if code is None:
        return text, 0
    if code in _BUILTIN_FORMATS:
        return text, _BUILTIN_FORMATS[code]
    for number, existing in custom.items():
        if existing == code:
            return text, number
    number = max([163, *custom]) + 1
    element = f'<{{p}}numFmt numFmtId="{number}" formatCode="{escape(code)}"/>'
    if _blocks(text, "numFmts"):
        text, _ = _append(text, "numFmts", "numFmt", element, line_up=False)
    else:
        root = re.search(r"<((?:\w+:)?)styleSheet\b[^>]*>", text)
        if not root:
            return text, 0
        p = root[1]
        text = (
            text[: root.end()] + f'<{p}numFmts count="1">{element.replace("{p}", p)}</{p}numFmts>' + text[root.end() :]
        )
    custom[number] = code
    return text, number


# --- workbook.xml, rels and content types ---------------------------------------------------------------------


def _prefix_of(text: str, local: str) -> str:
    m = re.search(rf"<([\w.\-]+:)?{local}\b", text)
    return (m[1] or "") if m else ""


def grow_defined_names(workbook_xml: bytes, sheet_name: str, old_last: int, new_last: int) -> bytes:
    """Defined names covering a sheet's data down to its old last row grow to the new last row."""
    text = workbook_xml.decode("utf-8")
    quoted = re.escape(sheet_name.replace("'", "''"))
    pattern = re.compile(
        rf"(<(?:\w+:)?definedName\b[^>]*>)('{quoted}'|{re.escape(sheet_name)})!"
        r"(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)(</(?:\w+:)?definedName>)"
    )

    def grow(m: re.Match) -> str:
        ref = m[3]
        parts = split_ref(ref.replace("$", ""))
        if parts is None:
            return m[0]
        c1, r1, c2, r2 = parts
        if r2 < old_last or r2 >= new_last or r1 > old_last:
            return m[0]
        start, _, end = ref.partition(":")
        end = end or start
        end = re.sub(r"\d+$", str(new_last), end)
        return f"{m[1]}{m[2]}!{start}:{end}{m[4]}"

    return pattern.sub(grow, text).encode("utf-8")


def _root_declares(text: str, namespace: str) -> str | None:
    """The prefix the root element binds to a namespace (in scope everywhere below it), or None."""
    root = re.search(r"<(?![?!])[^>]*>", text)
    m = re.search(rf'\bxmlns:([\w.\-]+)\s*=\s*["\']{re.escape(namespace)}["\']', root[0]) if root else None
    return m[1] if m else None


def add_sheet_to_workbook(
    workbook_xml: bytes, name: str, rel_id: str, hidden: bool = False, strict: bool = False
) -> bytes:
    """A <sheet> entry in the workbook's sheet list. Its r:id prefix is the one the root binds to the
    relationships namespace; where only other elements declare it (openpyxl declares it on each <sheet>), the
    new element declares its own."""
    text = workbook_xml.decode("utf-8")
    prefix = _prefix_of(text, "sheets")
    ids = [int(x) for x in re.findall(r"<(?:[\w.\-]+:)?sheet\b[^>]*\bsheetId=\"(\d+)\"", text)]
    rel_ns = STRICT_REL_NS if strict else REL_NS
    rel_prefix = _root_declares(text, rel_ns)
    rid_attr = f'{rel_prefix}:id="{rel_id}"' if rel_prefix else f'xmlns:r="{rel_ns}" r:id="{rel_id}"'
    state = ' state="hidden"' if hidden else ""
    element = f'<{prefix}sheet name="{escape(name)}" sheetId="{max(ids, default=0) + 1}"{state} {rid_attr}/>'
    closing = re.search(rf"</{re.escape(prefix)}sheets\s*>", text)
    if closing is None:
        raise WorkbookError("the workbook's sheet list could not be found — open and re-save it in Excel")
    return (text[: closing.start()] + element + text[closing.start() :]).encode("utf-8")


def _insert_before_close(text: str, local: str, element: str) -> str:
    """`element` (with `{p}` for the root's prefix) added as the last child of the root element `local`."""
    ends = list(re.finditer(rf"</((?:[\w.\-]+:)?){local}\s*>", text))
    if not ends:
        raise WorkbookError(f"a package part has no </{local}> end — open and re-save the workbook in Excel")
    m = ends[-1]
    return text[: m.start()] + element.replace("{p}", m[1]) + text[m.start() :]


def add_relationship(rels_xml: bytes | None, rel_type: str, target: str) -> tuple[bytes, str]:
    """A new relationship (an Id unused in the part); a part without relationships gets its .rels part."""
    text = (
        rels_xml.decode("utf-8")
        if rels_xml is not None
        else f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PKG_REL_NS}"></Relationships>'
    )
    used = {m.casefold() for m in re.findall(r'\bId="([^"]+)"', text)}
    n = 1
    while f"rid{n}" in used:
        n += 1
    rel_id = f"rId{n}"
    element = f'<{{p}}Relationship Id="{rel_id}" Type="{rel_type}" Target="{escape(target)}"/>'
    return _insert_before_close(text, "Relationships", element).encode("utf-8"), rel_id


def add_content_override(types_xml: bytes, part: str, content_type: str) -> bytes:
    text = types_xml.decode("utf-8")
    element = f'<{{p}}Override PartName="/{escape(part)}" ContentType="{content_type}"/>'
    return _insert_before_close(text, "Types", element).encode("utf-8")


def remove_relationships(rels_xml: bytes, type_suffix: str) -> bytes:
    text = rels_xml.decode("utf-8")
    text = re.sub(rf'<(?:[\w.\-]+:)?Relationship\b[^>]*\bType="[^"]*{re.escape(type_suffix)}"[^>]*/>', "", text)
    return text.encode("utf-8")


def remove_content_override(types_xml: bytes, parts: list[str]) -> bytes:
    text = types_xml.decode("utf-8")
    for part in parts:  # part names compare ignoring case
        text = re.sub(rf'<(?:[\w.\-]+:)?Override\b[^>]*\bPartName="/{re.escape(part)}"[^>]*/>', "", text, flags=re.I)
    return text.encode("utf-8")


def table_ref(table_xml: bytes) -> str | None:
    m = re.search(rb'<(?:\w+:)?table\b[^>]*?\bref="([^"]+)"', table_xml)
    return m[1].decode() if m else None


def set_table_ref(table_xml: bytes, new_ref: str, new_columns: list[str] | None = None) -> bytes:
    """Grow a table (and its autofilter) to new_ref; new_columns are appended to its column list."""
    text = table_xml.decode("utf-8")
    text = re.sub(r'(<(?:\w+:)?table\b[^>]*?\bref=")[^"]+(")', rf"\g<1>{new_ref}\g<2>", text, count=1)
    text = re.sub(r'(<(?:\w+:)?autoFilter\b[^>]*?\bref=")[^"]+(")', rf"\g<1>{new_ref}\g<2>", text, count=1)
    if new_columns:
        m = re.search(r"<((?:\w+:)?)tableColumns\b([^>]*)>(.*?)</(?:\w+:)?tableColumns>", text, re.S)
        if m:
            prefix = m[1]
            ids = [int(x) for x in re.findall(r'<(?:\w+:)?tableColumn\b[^>]*?\bid="(\d+)"', m[3])]
            next_id = max(ids, default=0) + 1
            extra = "".join(
                f'<{prefix}tableColumn id="{next_id + i}" name="{escape(name)}"/>' for i, name in enumerate(new_columns)
            )
            count = len(ids) + len(new_columns)
            attrs = re.sub(r'\bcount="\d+"', f'count="{count}"', m[2])
            text = (
                text[: m.start()]
                + f"<{prefix}tableColumns{attrs}>{m[3]}{extra}</{prefix}tableColumns>"
                + text[m.end() :]
            )
    return text.encode("utf-8")


def xml_text(value: str) -> str:
    return unescape(value)
