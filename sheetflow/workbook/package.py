"""The parts of an .xlsx/.xlsm package sheetflow needs to find, and the small edits it makes outside sheets.

XML outside the sheets is edited as text, at the one place that changes, so that everything else in the
part (namespaces, extensions, attributes this code has never heard of) stays byte for byte.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from html import escape, unescape

from defusedxml import ElementTree as SafeET

from ..core.problems import WorkbookError

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
TABLE_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
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
        raise WorkbookError(f"the workbook part {part} is damaged ({exc}) — open and re-save it in Excel") from None
    except Exception as exc:  # defusedxml's refusals: entity expansion, external entities, DTDs
        raise WorkbookError(f"the workbook part {part} was refused ({type(exc).__name__}): it is not a safe "
                            "workbook") from None


def rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def relationships(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(Id, Type, resolved target) of a part's relationships; [] when it has none."""
    path = rels_path(part)
    if path not in zf.NameToInfo:
        return []
    root = parse_xml(read_part(zf, path), path)
    found = []
    for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        found.append((rel.get("Id", ""), rel.get("Type", ""), resolve(part, rel.get("Target", ""))))
    return found


@dataclass
class SheetEntry:
    name: str
    part: str
    sheet_id: int
    index: int  # 0-based position in the workbook


@dataclass
class Package:
    """Where the workbook's sheets, styles and tables live inside the zip."""

    zf: zipfile.ZipFile
    workbook_part: str
    sheets: list[SheetEntry] = field(default_factory=list)
    shared_strings_part: str | None = None
    styles_part: str | None = None

    @classmethod
    def open(cls, zf: zipfile.ZipFile) -> Package:
        names = zf.NameToInfo
        if "[Content_Types].xml" not in names:
            raise WorkbookError("this file is not an Excel workbook (no [Content_Types].xml inside)")
        workbook_part = next((t for _, typ, t in relationships(zf, "") if typ.endswith("/officeDocument")), None)
        if workbook_part is None or workbook_part not in names:
            raise WorkbookError("this file is not an Excel workbook (no workbook part inside)")
        package = cls(zf=zf, workbook_part=workbook_part)
        rels = {rid: (typ, target) for rid, typ, target in relationships(zf, workbook_part)}
        for typ, target in rels.values():
            if typ.endswith("/sharedStrings"):
                package.shared_strings_part = target
            elif typ.endswith("/styles"):
                package.styles_part = target
        root = parse_xml(read_part(zf, workbook_part), workbook_part)
        if root.tag != f"{{{MAIN_NS}}}workbook":
            raise WorkbookError("this workbook is in a format sheetflow does not read (Strict Open XML?) — "
                                "save it from Excel as an ordinary Excel Workbook (.xlsx)")
        for index, sheet in enumerate(root.iter(f"{{{MAIN_NS}}}sheet")):
            rid = sheet.get(f"{{{REL_NS}}}id", "")
            typ, target = rels.get(rid, ("", ""))
            if typ == WORKSHEET_TYPE:
                package.sheets.append(SheetEntry(sheet.get("name", ""), target, int(sheet.get("sheetId", "0")), index))
        return package

    def sheet(self, name: str) -> SheetEntry | None:
        wanted = " ".join(name.split()).casefold()
        return next((s for s in self.sheets if " ".join(s.name.split()).casefold() == wanted), None)

    def tables_of(self, sheet_part: str) -> list[str]:
        return [target for _, typ, target in relationships(self.zf, sheet_part) if typ == TABLE_TYPE]


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


class Styles:
    """Which cell styles show dates, and a date style to use when a new cell has none (added only if needed)."""

    def __init__(self, xml: bytes | None):
        self.xml = xml
        self.changed = False
        self._date_xf: dict[bool, int] = {}
        self._made: dict[tuple, int] = {}
        self.xf_formats: list[int] = []
        self.custom_formats: dict[int, str] = {}
        if xml is None:
            return
        root = parse_xml(xml, "styles")
        for fmt in root.iter(f"{{{MAIN_NS}}}numFmt"):
            self.custom_formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        cell_xfs = root.find(f"{{{MAIN_NS}}}cellXfs")
        if cell_xfs is not None:
            self.xf_formats = [int(xf.get("numFmtId", "0")) for xf in cell_xfs.findall(f"{{{MAIN_NS}}}xf")]

    def is_date(self, style: int) -> bool:
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
        if self.xml is None:
            return 0
        fmt = 22 if with_time else 14
        text = self.xml.decode("utf-8")
        m = re.search(r"<((?:\w+:)?)cellXfs\b([^>]*)>(.*?)</(?:\w+:)?cellXfs>", text, re.S)
        if not m:
            return 0
        prefix = m[1]
        new_xf = f'<{prefix}xf numFmtId="{fmt}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        count = len(self.xf_formats) + 1
        attrs = re.sub(r'\bcount="\d+"', f'count="{count}"', m[2])
        text = text[:m.start()] + f"<{prefix}cellXfs{attrs}>{m[3]}{new_xf}</{prefix}cellXfs>" + text[m.end():]
        self.xml = text.encode("utf-8")
        self.xf_formats.append(fmt)
        self.changed = True
        self._date_xf[with_time] = len(self.xf_formats) - 1
        return self._date_xf[with_time]

    def cell_style(self, *, bold: bool = False, italic: bool = False, size: int | None = None,
                   number_format: str | None = None) -> int:
        """A style with this font and number format (for sheets sheetflow lays out itself): one the workbook has
        exactly, else one appended at the end of fonts, numFmts and cellXfs, so no existing style moves."""
        if self.xml is None:
            return 0
        key = (bold, italic, size, number_format)
        if key in self._made:
            return self._made[key]
        text = self.xml.decode("utf-8")
        text, font = _font_id(text, bold, italic, size)
        text, fmt = _number_format_id(text, number_format, self.custom_formats)
        m = re.search(r"<((?:\w+:)?)cellXfs\b([^>]*)>(.*?)</(?:\w+:)?cellXfs>", text, re.S)
        if not m:
            return 0
        wanted = {"numFmtId": str(fmt), "fontId": str(font), "fillId": "0", "borderId": "0"}
        for index, xf in enumerate(re.finditer(r"<(?:\w+:)?xf\b([^>]*?)(/?)>", m[3])):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', xf[1]))
            if xf[2] and all(attrs.get(k, "0") == v for k, v in wanted.items()):
                self._made[key] = index
                return index
        prefix = m[1]
        applied = (' applyNumberFormat="1"' if fmt else "") + (' applyFont="1"' if font else "")
        new_xf = f'<{prefix}xf numFmtId="{fmt}" fontId="{font}" fillId="0" borderId="0" xfId="0"{applied}/>'
        attrs = re.sub(r'\bcount="\d+"', f'count="{len(self.xf_formats) + 1}"', m[2])
        text = text[:m.start()] + f"<{prefix}cellXfs{attrs}>{m[3]}{new_xf}</{prefix}cellXfs>" + text[m.end():]
        self.xml = text.encode("utf-8")
        self.xf_formats.append(fmt)
        self.changed = True
        self._made[key] = len(self.xf_formats) - 1
        return self._made[key]


_FONT = re.compile(r"<(?:\w+:)?font\b[^>]*?(?:/>|>.*?</(?:\w+:)?font>)", re.S)


def _font_id(text: str, bold: bool, italic: bool, size: int | None) -> tuple[str, int]:
    """The workbook's default font with bold/italic/size changed: found among the fonts, else appended."""
    if not (bold or italic or size):
        return text, 0
    m = re.search(r"<((?:\w+:)?)fonts\b([^>]*)>(.*?)</(?:\w+:)?fonts>", text, re.S)
    fonts = list(_FONT.finditer(m[3])) if m else []
    if not fonts:
        return text, 0
    p = m[1]
    base = fonts[0][0]
    inner = re.sub(r"^<(?:\w+:)?font\b[^>]*>|</(?:\w+:)?font>$|^<(?:\w+:)?font\b[^>]*/>$", "", base)
    inner = re.sub(r"<(?:\w+:)?(?:b|i)(?:\s+val=\"[^\"]*\")?\s*/>", "", inner)
    if size:
        inner = re.sub(r"<(?:\w+:)?sz\b[^>]*/>", "", inner)
    changed = (f"<{p}b/>" if bold else "") + (f"<{p}i/>" if italic else "") + (f'<{p}sz val="{size}"/>' if size else "")
    new = f"<{p}font>{changed}{inner}</{p}font>"
    for index, font in enumerate(fonts):
        if font[0] == new:
            return text, index
    attrs = re.sub(r'\bcount="\d+"', f'count="{len(fonts) + 1}"', m[2])
    text = text[:m.start()] + f"<{p}fonts{attrs}>{m[3]}{new}</{p}fonts>" + text[m.end():]
    return text, len(fonts)


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
    m = re.search(r"<((?:\w+:)?)numFmts\b([^>]*)>(.*?)</(?:\w+:)?numFmts>", text, re.S)
    if m:
        p = m[1]
        element = f'<{p}numFmt numFmtId="{number}" formatCode="{escape(code)}"/>'
        attrs = re.sub(r'\bcount="\d+"', f'count="{len(custom) + 1}"', m[2])
        text = text[:m.start()] + f"<{p}numFmts{attrs}>{m[3]}{element}</{p}numFmts>" + text[m.end():]
    else:
        root = re.search(r"<((?:\w+:)?)styleSheet\b[^>]*>", text)
        if not root:
            return text, 0
        p = root[1]
        element = f'<{p}numFmts count="1"><{p}numFmt numFmtId="{number}" formatCode="{escape(code)}"/></{p}numFmts>'
        text = text[:root.end()] + element + text[root.end():]
    custom[number] = code
    return text, number


# --- workbook.xml, rels and content types ---------------------------------------------------------------------


def _prefix_of(text: str, local: str) -> str:
    m = re.search(rf"<(\w+:)?{local}\b", text)
    return (m[1] or "") if m else ""


def grow_defined_names(workbook_xml: bytes, sheet_name: str, old_last: int, new_last: int) -> bytes:
    """Defined names covering a sheet's data down to its old last row grow to the new last row."""
    text = workbook_xml.decode("utf-8")
    quoted = re.escape(sheet_name.replace("'", "''"))
    pattern = re.compile(rf"(<(?:\w+:)?definedName\b[^>]*>)('{quoted}'|{re.escape(sheet_name)})!"
                         r"(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)(</(?:\w+:)?definedName>)")

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


def add_sheet_to_workbook(workbook_xml: bytes, name: str, rel_id: str, hidden: bool = False) -> bytes:
    text = workbook_xml.decode("utf-8")
    prefix = _prefix_of(text, "sheets")
    ids = [int(x) for x in re.findall(r"<(?:\w+:)?sheet\b[^>]*\bsheetId=\"(\d+)\"", text)]
    rel_prefix = re.search(rf'xmlns:(\w+)="{re.escape(REL_NS)}"', text)
    rid_attr = f'{rel_prefix[1]}:id="{rel_id}"' if rel_prefix else f'xmlns:r="{REL_NS}" r:id="{rel_id}"'
    state = ' state="hidden"' if hidden else ""
    element = f'<{prefix}sheet name="{escape(name)}" sheetId="{max(ids, default=0) + 1}"{state} {rid_attr}/>'
    closing = f"</{prefix}sheets>"
    if closing not in text:
        raise WorkbookError("the workbook's sheet list could not be found — open and re-save it in Excel")
    return text.replace(closing, element + closing, 1).encode("utf-8")


def add_relationship(rels_xml: bytes, rel_type: str, target: str) -> tuple[bytes, str]:
    text = rels_xml.decode("utf-8")
    used = set(re.findall(r'\bId="([^"]+)"', text))
    n = 1
    while f"rId{n}" in used:
        n += 1
    rel_id = f"rId{n}"
    element = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{escape(target)}"/>'
    return text.replace("</Relationships>", element + "</Relationships>", 1).encode("utf-8"), rel_id


def add_content_override(types_xml: bytes, part: str, content_type: str) -> bytes:
    text = types_xml.decode("utf-8")
    element = f'<Override PartName="/{part}" ContentType="{content_type}"/>'
    return text.replace("</Types>", element + "</Types>", 1).encode("utf-8")


def remove_relationships(rels_xml: bytes, type_suffix: str) -> bytes:
    text = rels_xml.decode("utf-8")
    text = re.sub(rf'<Relationship\b[^>]*\bType="[^"]*{re.escape(type_suffix)}"[^>]*/>', "", text)
    return text.encode("utf-8")


def remove_content_override(types_xml: bytes, parts: list[str]) -> bytes:
    text = types_xml.decode("utf-8")
    for part in parts:
        text = re.sub(rf'<Override\b[^>]*\bPartName="/{re.escape(part)}"[^>]*/>', "", text)
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
            extra = "".join(f'<{prefix}tableColumn id="{next_id + i}" name="{escape(name)}"/>'
                            for i, name in enumerate(new_columns))
            count = len(ids) + len(new_columns)
            attrs = re.sub(r'\bcount="\d+"', f'count="{count}"', m[2])
            text = text[:m.start()] + f"<{prefix}tableColumns{attrs}>{m[3]}{extra}</{prefix}tableColumns>" + \
                text[m.end():]
    return text.encode("utf-8")


def xml_text(value: str) -> str:
    return unescape(value)
