"""sheetflow's own buttons on the Sessions sheet make room for the columns a run adds there: a workbook made by an
earlier version has its buttons over the cells right of its last header, which a new column (Hold Reason) takes.
Only sheetflow's own buttons move — the xlwings Lite shapes named in schema.ENTRY_POINTS (their anchors and the
hyperlinks Lite fires on) and the .xlsm's form buttons running its Subs (their VML anchors, and the DrawingML twins
and the sheet's own <controls> anchors an Excel save adds) — to the ENTRY_POINTS cells. The parts are edited as
bytes, in place: the studio's own shapes, charts and pictures keep every byte."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.cells import address, column_index, position
from ..core.problems import WorkbookError
from ..core.schema import ENTRY_POINTS, SESSIONS
from ..core.tables import Table
from . import package as pkg
from .zipio import MemberReader

if TYPE_CHECKING:
    from pathlib import Path

    from .writer import PackageWriter

EMU_PER_PIXEL = 9525  # DrawingML counts EMU; VML anchors count pixels, VML styles points (3/4 of a pixel)
DIGIT_PIXELS = 7  # the widest digit of Calibri 11, the font Excel counts column widths in
SHEET_HEAD_BYTES = 4 << 20  # <cols> comes before <sheetData>: never read further than this for it

Cell = tuple[int, int]  # (row, column), both from 1

_ANCHOR = re.compile(rb"<((?:\w+:)?)(twoCellAnchor|oneCellAnchor)\b[^>]*>.*?</\1\2>", re.S)
_MARKER = re.compile(rb"<((?:\w+:)?)(from|to)>(.*?)</\1\2>", re.S)
_NAME = re.compile(rb'<(?:\w+:)?cNvPr\b[^>]*?\sname="([^"]*)"')
_LINK = re.compile(rb'<(?:\w+:)?hlinkClick\b[^>]*?\s(?:\w+:)?id="([^"]*)"')
_MACRO = re.compile(rb'<(?:\w+:)?sp\b[^>]*?\smacro="([^"]*)"')
_OFF_X = re.compile(rb'(<(?:\w+:)?off\b[^>]*?\sx=")(-?\d+)(")')
_VML_SHAPE = re.compile(rb"<((?:\w+:)?)shape\b[^>]*>.*?</\1shape>", re.S)
_VML_MACRO = re.compile(rb"<(?:\w+:)?FmlaMacro>\s*([^<]*?)\s*</(?:\w+:)?FmlaMacro>")
_VML_ANCHOR = re.compile(rb"(<(?:\w+:)?Anchor>)([^<]*)(</(?:\w+:)?Anchor>)")
_VML_LEFT = re.compile(rb"(margin-left:\s*)(-?[\d.]+)(pt)")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'\s([\w:]+)="([^"]*)"')
_CELL_LINK = re.compile(r"^#(?P<sheet>.+)!\$?(?P<col>[A-Za-z]{1,3})\$?(?P<row>\d+)$")


LITE_CELLS = {entry.lite_shape: position(entry.cell) for entry in ENTRY_POINTS if entry.lite_shape}
FORM_CELLS = {entry.vba_sub.casefold(): position(entry.cell) for entry in ENTRY_POINTS if entry.vba_sub}


@dataclass(frozen=True)
class ColumnWidths:
    """The sheet's columns in pixels, as Excel lays them out: a moved button keeps its size whatever the widths
    of the columns it lands on."""

    widths: dict[int, int]  # column (from 0) -> pixels, for the columns <cols> sizes
    default: int

    def width(self, col: int) -> int:
        return self.widths.get(col, self.default)

    def left(self, col: int) -> int:
        return sum(self.width(c) for c in range(col))

    def place(self, x: int) -> tuple[int, int]:
        """The column a position (pixels from the sheet's left edge) falls in, and how far into it."""
        col = 0
        while col < 16383 and x > self.width(col):
            x -= self.width(col)
            col += 1
        return col, x


def _pixels(width: float) -> int:
    """Excel's pixels for a column width in characters (padding included, as <col width> holds it)."""
    return int((256 * width + 128 // DIGIT_PIXELS) / 256 * DIGIT_PIXELS)


def column_widths(src: zipfile.ZipFile, sheet_part: str) -> ColumnWidths:
    """The widths <cols> and <sheetFormatPr> give, read from the sheet part's first bytes only."""
    head = b""
    with MemberReader(src, src.getinfo(sheet_part)) as fh:
        while b"sheetData" not in head and len(head) < SHEET_HEAD_BYTES and (chunk := fh.read(1 << 16)):
            head += chunk
    head = head.split(b"sheetData", 1)[0]
    default = 64  # Excel's 8.43 characters
    fmt = re.search(rb"<(?:\w+:)?sheetFormatPr\b[^>]*>", head)
    attrs = dict(_ATTRIBUTE.findall(fmt[0])) if fmt else {}
    try:
        if b"defaultColWidth" in attrs:
            default = _pixels(float(attrs[b"defaultColWidth"]))
        elif b"baseColWidth" in attrs:  # Excel rounds the default width up to whole 8 pixels
            default = -(-(int(attrs[b"baseColWidth"]) * DIGIT_PIXELS + 5) // 8) * 8
    except ValueError:
        pass
    widths: dict[int, int] = {}
    for col in re.finditer(rb"<(?:\w+:)?col\b[^>]*>", head):
        attrs = dict(_ATTRIBUTE.findall(col[0]))
        try:
            first, last = int(attrs[b"min"]), int(attrs[b"max"])
            pixels = _pixels(float(attrs[b"width"])) if b"width" in attrs else default
        except (KeyError, ValueError):
            continue
        if attrs.get(b"hidden") in (b"1", b"true"):
            pixels = 0
        for c in range(first - 1, min(last, first + 256)):  # <col max="16384"> runs to the sheet's end
            widths[c] = pixels
    return ColumnWidths(widths, default)


@dataclass(frozen=True)
class Span:
    """Where a shape is drawn: its first and last column (from 0) with the offset into each, and its rows."""

    first: int
    first_off: int
    last: int
    last_off: int
    top: int
    bottom: int

    def covers(self, cell: Cell) -> bool:
        row, col = cell
        last = self.last if self.last_off > 0 or self.last == self.first else self.last - 1
        return self.top <= row - 1 <= self.bottom and self.first <= col - 1 <= last


@dataclass(eq=False)
class Button:
    """One of sheetflow's buttons as the workbook has it: where it is drawn, the cell it is linked to (a Lite
    shape's hyperlink, or the cell a form button starts in) and its ENTRY_POINTS cell."""

    span: Span
    linked: Cell
    target: Cell
    start: int  # where its anchor (or VML shape) stands in its part
    end: int
    link_id: str = ""  # a Lite shape's hyperlink relationship

    @property
    def moves(self) -> bool:
        return self.target != self.linked

    @property
    def shift(self) -> int:
        return self.target[1] - self.linked[1]


@dataclass
class Drawing:
    """A drawing part of the Sessions sheet with sheetflow's buttons found in it."""

    part: str
    xml: bytes
    buttons: list[Button]
    vml: bool = False
    rels_part: str | None = None


def make_room(writer: PackageWriter, sheet_name: str, table: Table, columns: list[str]) -> list[str]:
    """When new Sessions columns take a cell one of sheetflow's buttons is linked to or drawn over, sheetflow's
    buttons move to their ENTRY_POINTS cells (the writer's parts replaced); returns what the run says of it."""
    if sheet_name != SESSIONS.name or not columns:
        return []
    sheet = writer.entry(sheet_name)
    said = _make_room(writer.part, writer.replaced.__setitem__, writer.src, sheet, table, columns)
    if said:  # Excel 2010 and later draw a form button where the sheet's own <controls> anchor says
        writer.patch_for(sheet_name).tail_edits.append(_controls_mover(writer.part, writer.src, sheet))
    return [said] if said else []


def _make_room(
    part_of: Callable[[str], bytes],
    replace: Callable[[str, bytes], None],
    src: zipfile.ZipFile,
    sheet: pkg.SheetEntry,
    table: Table,
    columns: list[str],
) -> str | None:
    header = max(table.header_row, 1)
    new_cells = [(header, table.column_of(column)) for column in columns]
    drawings = []
    for _, kind, target in pkg.relationships(src, sheet.part):
        if target not in src.NameToInfo:
            continue
        if kind.endswith("/drawing"):
            drawings.append(_drawing(part_of, src, target, sheet.name))
        elif kind.endswith("/vmlDrawing"):
            xml = part_of(target)
            drawings.append(Drawing(target, xml, _vml_buttons(xml), vml=True))
    buttons = [button for drawing in drawings for button in drawing.buttons]
    in_the_way = any(b.span.covers(cell) or b.linked == cell for b in buttons for cell in new_cells)
    if not in_the_way or not any(b.moves for b in buttons):
        return None
    widths = column_widths(src, sheet.part)
    relinked = False
    for drawing in drawings:  # (a VML part that is not XML was refused when the workbook was read: integrity.py)
        moving = [b for b in drawing.buttons if b.moves]
        if not moving:
            continue
        moved = _rewritten(drawing.xml, moving, _moved_vml if drawing.vml else _moved_anchor, widths)
        if moved != drawing.xml:
            replace(drawing.part, moved)
        links = {b.link_id: b.target for b in moving if b.link_id}
        if links and drawing.rels_part:
            replace(drawing.rels_part, _relinked(part_of(drawing.rels_part), links))
            relinked = True
    cells = sorted({b.target for b in buttons if b.moves}, key=lambda cell: (cell[1], cell[0]))
    where = address(*cells[0]) if len(cells) == 1 else f"{address(*cells[0])}:{address(*cells[-1])}"
    named = columns[0] if len(columns) == 1 else ", ".join(columns[:-1]) + f" and {columns[-1]}"
    said = f"{sheet.name}: sheetflow's buttons moved to {where} to make room for the new {named} column"
    said += "s" if len(columns) > 1 else ""
    if relinked:
        said += (
            " — in Excel on the web, paste a new main.py (sheetflow excel lite, given this workbook) into the"
            " xlwings Lite editor"
        )
    return said


def _rewritten(
    xml: bytes, moving: list[Button], move: Callable[[bytes, Button, ColumnWidths], bytes], widths: ColumnWidths
) -> bytes:
    """Each moving button's block rewritten, every byte between them kept."""
    out, at = [], 0
    for button in sorted(moving, key=lambda b: b.start):
        out += [xml[at : button.start], move(xml[button.start : button.end], button, widths)]
        at = button.end
    out.append(xml[at:])
    return b"".join(out)


@dataclass(frozen=True)
class LiteShapes:
    """sheetflow's xlwings Lite shapes as one workbook has them on its Sessions sheet: what a main.py made for that
    workbook binds its scripts to (`sheetflow excel lite PATH`)."""

    sheet: str  # the Sessions sheet's name in this workbook
    header_row: int
    headers: dict[int, str]  # its header row: column -> header as typed
    links: dict[str, Cell | None]  # shape name -> the Sessions cell its hyperlink selects (None: no such link)


def lite_shapes(path: Path) -> LiteShapes:
    """The Lite shapes named in ENTRY_POINTS on the workbook's Sessions sheet (the one Settings names), each with
    the cell it links to — read as make_room reads them; a shape the sheet lacks is not in `links`."""
    from .reader import open_zip, read_tables

    table = read_tables(path, sheets=(SESSIONS.name,))[SESSIONS.name]
    if not table.exists:
        raise WorkbookError(f"{path.name} has no {table.sheet or SESSIONS.name} sheet, so it has no buttons to match")
    links: dict[str, Cell | None] = {}
    with open_zip(path) as zf:
        entry = pkg.Package.open(zf).sheet(table.sheet)
        for _, kind, target in pkg.relationships(zf, entry.part) if entry else ():
            if not kind.endswith("/drawing") or target not in zf.NameToInfo:
                continue
            rels_part = pkg.member(zf, pkg.rels_path(target))
            cells = _cell_links(pkg.read_part(zf, rels_part), entry.name) if rels_part else {}
            for block in _ANCHOR.finditer(pkg.read_part(zf, target)):
                name = _NAME.search(block[0])
                shape = name[1].decode("utf-8", "replace") if name else ""
                if shape in LITE_CELLS and links.get(shape) is None:  # two of a name: the one with a link
                    link = _LINK.search(block[0])
                    links[shape] = cells.get(link[1].decode("utf-8", "replace")) if link else None
    return LiteShapes(table.sheet, max(table.header_row, 1), dict(table.headers), links)


# -- DrawingML: the Lite shapes, and the DrawingML twins of form buttons --------------------------------------------


def _drawing(part_of: Callable[[str], bytes], src: zipfile.ZipFile, part: str, sheet_name: str) -> Drawing:
    """sheetflow's buttons in a DrawingML part: Lite shapes by name, form buttons' twins by the Sub they run."""
    xml = part_of(part)
    rels_part = pkg.member(src, pkg.rels_path(part))
    links = _cell_links(part_of(rels_part), sheet_name) if rels_part else {}
    buttons = []
    for block in _ANCHOR.finditer(xml):
        body = block[0]
        span = _anchor_span(body, one_cell=block[2] == b"oneCellAnchor")
        name, macro = _NAME.search(body), _MACRO.search(body)
        if span is None:
            continue
        link_id = ""
        if name and (target := LITE_CELLS.get(name[1].decode("utf-8", "replace"))):
            link = _LINK.search(body)
            link_id = link[1].decode("utf-8", "replace") if link else ""
            link_id = link_id if link_id in links else ""  # no link to a Sessions cell: linked where it is drawn
        elif not (macro and (target := FORM_CELLS.get(_sub_of(macro[1].decode("utf-8", "replace"))))):
            continue
        linked = links[link_id] if link_id else (span.top + 1, span.first + 1)
        buttons.append(Button(span, linked, target, block.start(), block.end(), link_id))
    return Drawing(part, xml, buttons, rels_part=rels_part)


def _anchor_span(body: bytes, one_cell: bool) -> Span | None:
    """Where an anchor draws its shape (offsets in EMU); a one-cell anchor is taken at its first cell."""
    markers = {m[2]: _marker(m[3]) for m in _MARKER.finditer(body, 0, _shape_start(body))}
    start, end = markers.get(b"from"), markers.get(b"to")
    if start is None or (end is None and not one_cell):
        return None
    end = start if one_cell else end
    return Span(start[0], start[1], end[0], end[1], start[2], end[2])


def _shape_start(body: bytes) -> int:
    """Where the anchor's shape begins: its from/to markers come before it."""
    m = re.search(rb"<(?:\w+:)?(?:sp|grpSp|pic|graphicFrame|cxnSp|contentPart)\b", body)
    return m.start() if m else len(body)


def _marker(text: bytes) -> tuple[int, int, int] | None:
    values = dict(re.findall(rb"<(?:\w+:)?(col|colOff|row)>\s*(-?\d+)\s*<", text))
    try:
        return int(values[b"col"]), int(values.get(b"colOff", 0)), int(values[b"row"])
    except (KeyError, ValueError):
        return None


def _sub_of(macro: str) -> str:
    """The Sub a macro reference names: `[0]!ApplyChanges`, `'studio.xlsm'!Module1.ApplyChanges`…"""
    return macro.rsplit("!", 1)[-1].rsplit(".", 1)[-1].strip().casefold()


def _cell_links(rels: bytes, sheet_name: str) -> dict[str, Cell]:
    """The drawing's hyperlinks to a cell of this sheet, by relationship Id."""
    found = {}
    for rel in _RELATIONSHIP.finditer(rels):
        attrs = dict(_ATTRIBUTE.findall(rel[0]))
        m = _CELL_LINK.match(pkg.xml_text(attrs.get(b"Target", b"").decode("utf-8", "replace")))
        if m is None:
            continue
        sheet = m["sheet"]
        if sheet.startswith("'") and sheet.endswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
        if sheet.casefold() == sheet_name.casefold():
            found[attrs.get(b"Id", b"").decode("utf-8", "replace")] = (int(m["row"]), column_index(m["col"]))
    return found


def _relinked(rels: bytes, links: dict[str, Cell]) -> bytes:
    """Each named hyperlink's cell rewritten, its sheet as it was written and every other byte kept."""

    def retarget(rel: re.Match) -> bytes:
        rel_id = re.search(rb'\sId="([^"]*)"', rel[0])
        cell = links.get(rel_id[1].decode("utf-8", "replace")) if rel_id else None
        if cell is None:
            return rel[0]
        new = address(*cell).encode()
        return re.sub(rb'(\sTarget="#[^"]*!)[^"!]*(")', lambda m: m[1] + new + m[2], rel[0], count=1)

    return _RELATIONSHIP.sub(retarget, rels)


def _moved_anchor(body: bytes, button: Button, widths: ColumnWidths) -> bytes:
    """The anchor's columns shifted, its shape the same size (the columns it lands on may be narrower), the
    shape's own position (a:off) moved as far."""
    span = button.span
    if not span.covers(button.linked):  # a shape the studio moved away from its cell: only its link changes
        return body
    x = widths.left(span.first) * EMU_PER_PIXEL + span.first_off
    size = widths.left(span.last) * EMU_PER_PIXEL + span.last_off - x
    first = span.first + button.shift
    new_x = widths.left(first) * EMU_PER_PIXEL + span.first_off
    last, last_px = widths.place((new_x + size) // EMU_PER_PIXEL)
    placed = {b"from": (first, span.first_off), b"to": (last, last_px * EMU_PER_PIXEL + (new_x + size) % EMU_PER_PIXEL)}
    shape = _shape_start(body)

    def marker(m: re.Match) -> bytes:
        col, off = placed[m[2]]
        inner = re.sub(rb"(<(?:\w+:)?col>)\s*-?\d+\s*(<)", lambda c: b"%s%d%s" % (c[1], col, c[2]), m[3], count=1)
        inner = re.sub(rb"(<(?:\w+:)?colOff>)\s*-?\d+\s*(<)", lambda c: b"%s%d%s" % (c[1], off, c[2]), inner, count=1)
        return b"<%s%s>%s</%s%s>" % (m[1], m[2], inner, m[1], m[2])

    head = _MARKER.sub(marker, body[:shape])
    tail = _OFF_X.sub(lambda m: m[1] + b"%d" % (int(m[2]) + new_x - x) + m[3], body[shape:], count=1)
    return head + tail


# -- VML: the .xlsm's form buttons ------------------------------------------------------------------------------


def _vml_buttons(xml: bytes) -> list[Button]:
    """The form buttons in a VML part that run one of sheetflow's Subs, linked to the cell they start in."""
    buttons = []
    for shape in _VML_SHAPE.finditer(xml):
        body = shape[0]
        macro, anchor = _VML_MACRO.search(body), _VML_ANCHOR.search(body)
        if not (macro and anchor and re.search(rb'ObjectType="Button"', body)):
            continue
        target = FORM_CELLS.get(_sub_of(macro[1].decode("utf-8", "replace")))
        try:
            left, left_off, top, _, right, right_off, bottom, _ = (int(v) for v in anchor[2].split(b","))
        except ValueError:
            continue
        if target is not None:
            span = Span(left, left_off, right, right_off, top, bottom)
            buttons.append(Button(span, (top + 1, left + 1), target, shape.start(), shape.end()))
    return buttons


def _moved_vml(body: bytes, button: Button, widths: ColumnWidths) -> bytes:
    """The form button's anchor (columns, pixel offsets) and its style's left edge (points) moved as far."""
    span = button.span
    x = widths.left(span.first) + span.first_off
    size = widths.left(span.last) + span.last_off - x
    first = span.first + button.shift
    new_x = widths.left(first) + span.first_off
    last, last_off = widths.place(new_x + size)

    def anchor(m: re.Match) -> bytes:
        values = [v.strip() for v in m[2].split(b",")]
        values[0], values[4], values[5] = b"%d" % first, b"%d" % last, b"%d" % last_off
        return m[1] + b", ".join(values) + m[3]

    body = _VML_ANCHOR.sub(anchor, body, count=1)
    return _VML_LEFT.sub(lambda m: m[1] + _points(float(m[2]) + (new_x - x) * 0.75) + m[3], body, count=1)


def _points(value: float) -> bytes:
    return (f"{value:.2f}".rstrip("0").rstrip(".") or "0").encode()


# -- the sheet's <controls>: the anchors Excel 2010 and later keep for each form button -----------------------------

_CONTROL = re.compile(rb"<((?:\w+:)?)control\b[^>]*?(?:/>|>.*?</\1control>)", re.S)
_CONTROL_ANCHOR = re.compile(rb"<((?:\w+:)?)anchor\b[^>]*>.*?</\1anchor>", re.S)
_CONTROL_MACRO = re.compile(rb'<(?:\w+:)?controlPr\b[^>]*?\smacro="([^"]*)"')
_PROPS_MACRO = re.compile(rb'<(?:\w+:)?formControlPr\b[^>]*?\s(?:fmlaMacro|macro)="([^"]*)"')
_VML_SPID = re.compile(rb'\s(?:\w+:)?spid="_x0000_s(\d+)"')  # Excel's, when the shape's id is its name
_VML_ID = re.compile(rb'\sid="_x0000_s(\d+)"')


def _controls_mover(
    part_of: Callable[[str], bytes], src: zipfile.ZipFile, sheet: pkg.SheetEntry
) -> Callable[[bytes], bytes]:
    """The edit the sheet's rewrite makes to the part after </sheetData>: sheetflow's form controls' anchors moved
    as make_room moved their VML shapes. Which Sub a control runs comes from its controlPr, else from its ctrlProp
    part, else from the VML shape of the same number."""
    by_link: dict[str, str] = {}  # the control's r:id -> the Sub its ctrlProp part names
    by_shape: dict[int, str] = {}  # the control's shapeId -> the Sub its VML form button runs
    for rel_id, kind, target in pkg.relationships(src, sheet.part):
        if target not in src.NameToInfo:
            continue
        if kind.endswith("/ctrlProp") and (macro := _PROPS_MACRO.search(part_of(target))):
            by_link[rel_id] = _sub_of(pkg.xml_text(macro[1].decode("utf-8", "replace")))
        elif kind.endswith("/vmlDrawing"):
            by_shape.update(_vml_subs(part_of(target)))
    widths = column_widths(src, sheet.part)
    return lambda tail: _moved_controls(tail, by_link, by_shape, widths)


def _vml_subs(xml: bytes) -> dict[int, str]:
    """The Sub each form button of a VML part runs, by its shape's number (`_x0000_s1025` is control 1025)."""
    found = {}
    for shape in _VML_SHAPE.finditer(xml):
        body = shape[0]
        start = body[: body.find(b">") + 1]
        number = _VML_SPID.search(start) or _VML_ID.search(start)
        macro = _VML_MACRO.search(body)
        if number and macro and re.search(rb'ObjectType="Button"', body):
            found[int(number[1])] = _sub_of(macro[1].decode("utf-8", "replace"))
    return found


def _moved_controls(tail: bytes, by_link: dict[str, str], by_shape: dict[int, str], widths: ColumnWidths) -> bytes:
    """sheetflow's controls' <anchor>s shifted to their ENTRY_POINTS columns (offsets and size kept, in EMU as a
    drawing's), every other byte — the studio's controls among them — as it was."""
    moving = []
    for control in _CONTROL.finditer(tail):
        body = control[0]
        attrs = dict(_ATTRIBUTE.findall(body[: body.find(b">")]))
        macro = _CONTROL_MACRO.search(body)
        sub = _sub_of(pkg.xml_text(macro[1].decode("utf-8", "replace"))) if macro and macro[1].strip() else ""
        if not sub:
            link = next((v for k, v in attrs.items() if k.endswith(b":id")), b"").decode("utf-8", "replace")
            number = attrs.get(b"shapeId", b"")
            sub = by_link.get(link) or (by_shape.get(int(number)) if number.isdigit() else None) or ""
        anchor = _CONTROL_ANCHOR.search(body)
        target = FORM_CELLS.get(sub)
        span = _anchor_span(anchor[0], one_cell=False) if anchor and target else None
        if span is None:
            continue
        start = control.start() + anchor.start()
        button = Button(span, (span.top + 1, span.first + 1), target, start, start + len(anchor[0]))
        if button.moves:
            moving.append(button)
    return _rewritten(tail, moving, _moved_anchor, widths) if moving else tail
