"""A workbook made before Hold Reason has sheetflow's buttons over V1…AA1; the first run of this version adds the
Hold Reason header into V1, and sheetflow's own buttons — the xlwings Lite shapes, the .xlsm's form buttons — move
to W1…AB1 with it (anchors and Lite's hyperlinks), while the studio's own shapes and charts keep every byte."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers.libreoffice import soffice_convert
from helpers.old_layout import DRAWING, DRAWING_RELS, VML, old_workbook, one_left
from python_calamine import CalamineWorkbook

from sheetflow.core.cells import column_letter
from sheetflow.core.schema import ENTRY_POINTS

TODAY = dt.date(2026, 11, 25)
NEW_CELLS = {entry.lite_shape: entry.cell for entry in ENTRY_POINTS if entry.lite_shape}  # btnApplyChanges: W1…
FORM_CELLS = {entry.vba_sub: entry.cell for entry in ENTRY_POINTS if entry.vba_sub}
MOVED = "Sessions: sheetflow's buttons moved to W1:AB1 to make room for the new Hold Reason column"
LITE_HINT = (
    "in Excel on the web, paste a new main.py (sheetflow excel lite, given this workbook) into the xlwings Lite editor"
)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def lite_buttons(parts: dict[str, bytes]) -> dict[str, tuple[str, str]]:
    """Each Lite shape's anchor start (column letter from 0 + 1) and hyperlink target cell."""
    links = dict(re.findall(rb'Id="(rId\d+)"[^>]*Target="#Sessions!(\w+)"', parts[DRAWING_RELS]))
    found = {}
    for anchor in re.findall(rb"<xdr:twoCellAnchor\b.*?</xdr:twoCellAnchor>", parts[DRAWING], re.S):
        name = re.search(rb'name="([^"]+)"', anchor)[1].decode()
        if name.startswith("btn"):
            col = int(re.search(rb"<xdr:from><xdr:col>(\d+)</xdr:col>", anchor)[1])
            link = re.search(rb'r:id="(rId\d+)"', anchor)[1]
            found[name] = (f"{column_letter(col + 1)}1", links[link].decode())
    return found


def form_buttons(parts: dict[str, bytes]) -> dict[str, str]:
    """Each form button's Sub and the cell its VML anchor starts in."""
    found = {}
    for shape in re.findall(rb"<v:shape .*?</v:shape>", parts[VML], re.S):
        macro = re.search(rb"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", shape)[1].decode()
        left, _, top = (int(v) for v in re.search(rb"<x:Anchor>([^<]*)</x:Anchor>", shape)[1].split(b",")[:3])
        found[macro] = f"{column_letter(left + 1)}{top + 1}"
    return found


def test_the_first_run_moves_the_lite_buttons_off_the_new_hold_reason_header(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    studio = old_workbook(book)
    before = members(book)
    assert {name: link for name, (_, link) in lite_buttons(before).items()} == {
        name: one_left(cell) for name, cell in NEW_CELLS.items()
    }

    first = sheetflow("refresh", book)
    assert first.exit_code == 0, first.output
    assert first.output.count(MOVED) == 1 and LITE_HINT in first.output

    after = members(book)
    assert openpyxl.load_workbook(book)["Sessions"]["V1"].value == "Hold Reason"
    assert CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Sessions").to_python()[0][21] == "Hold Reason"
    assert lite_buttons(after) == {name: (cell, cell) for name, cell in NEW_CELLS.items()}
    # the studio's chart and note, and the chart itself, are the bytes they were
    assert after[DRAWING].count(studio["studio chart"]) == 1 and after[DRAWING].count(studio["studio note"]) == 1
    assert after["xl/charts/chart1.xml"] == studio["studio chart part"]
    assert (
        b'Id="rIdStudioChart" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"'
        in (after[DRAWING_RELS])
    )
    # around the buttons, nothing of the drawing changed but their anchors' columns and positions
    unchanged = re.compile(rb"<xdr:(?:from|to)>.*?</xdr:(?:from|to)>|<a:off x=\"\d+\"", re.S)
    assert unchanged.sub(b"", after[DRAWING]) == unchanged.sub(b"", before[DRAWING])

    # the main.py `sheetflow excel lite` makes fires on the cells the shapes now link to
    assert sheetflow("excel", "lite", "--out", tmp_path / "lite", today=None).exit_code == 0
    scripts = re.findall(
        r'^@script\(button="\[(\w+)\]Sessions!(\w+)"\)', (tmp_path / "lite" / "main.py").read_text(), re.M
    )
    assert dict(scripts) == {name: link for name, (_, link) in lite_buttons(after).items()}

    second = sheetflow("refresh", book)
    assert second.exit_code == 0 and "buttons moved" not in second.output
    again = members(book)
    assert [again[p] for p in (DRAWING, DRAWING_RELS, "xl/charts/chart1.xml")] == [
        after[p] for p in (DRAWING, DRAWING_RELS, "xl/charts/chart1.xml")
    ]


def test_libreoffice_opens_the_moved_buttons_where_sheetflow_put_them(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    old_workbook(book)
    assert sheetflow("refresh", book).exit_code == 0
    resaved = soffice_convert(book, tmp_path / "lo")
    parts = members(resaved)
    drawing = next(name for name in parts if re.fullmatch(r"xl/drawings/drawing\d+\.xml", name))
    starts = {}
    for anchor in re.findall(rb"<xdr:twoCellAnchor.*?</xdr:twoCellAnchor>", parts[drawing], re.S):
        name = re.search(rb'name="([^"]+)"', anchor)[1].decode()
        starts[name] = column_letter(int(re.search(rb"<xdr:from><xdr:col>(\d+)</xdr:col>", anchor)[1]) + 1) + "1"
    assert {name: starts.get(name) for name in NEW_CELLS} == NEW_CELLS
    assert openpyxl.load_workbook(resaved)["Sessions"]["V1"].value == "Hold Reason"


def test_the_xlsm_form_buttons_move_too_and_the_studios_own_stays(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsm"
    studio = old_workbook(book, macros=True)
    assert form_buttons(members(book)) == {
        **{sub: one_left(cell) for sub, cell in FORM_CELLS.items()},
        "PrintPriceList": "AD3",
    }

    first = sheetflow("refresh", book)
    assert first.exit_code == 0, first.output
    assert first.output.count(MOVED) == 1 and "main.py" not in first.output  # no Lite shapes in an .xlsm

    after = members(book)
    assert form_buttons(after) == {**FORM_CELLS, "PrintPriceList": "AD3"}
    assert after[VML].count(studio["studio button"]) == 1
    assert openpyxl.load_workbook(book, keep_vba=True)["Sessions"]["V1"].value == "Hold Reason"
    assert soffice_convert(book, tmp_path / "lo", "xlsm").exists()
    second = sheetflow("refresh", book)
    assert second.exit_code == 0 and members(book)[VML] == after[VML]


def test_buttons_the_studio_moved_away_from_the_new_column_stay_where_they_are(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsm"
    old_workbook(book, macros=True)
    parts = members(book)
    parts[VML] = re.sub(  # the studio dragged its buttons down to row 4
        rb"<x:Anchor>(\d+), (\d+), 0, (\d+), (\d+), (\d+), 0, (\d+)</x:Anchor>",
        rb"<x:Anchor>\1, \2, 3, \3, \4, \5, 3, \6</x:Anchor>",
        parts[VML],
    )
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)

    done = sheetflow("refresh", book)
    assert done.exit_code == 0 and "buttons moved" not in done.output
    assert members(book)[VML] == parts[VML]
    assert openpyxl.load_workbook(book, keep_vba=True)["Sessions"]["V1"].value == "Hold Reason"


def test_lite_shapes_moved_away_keep_their_place_but_link_to_the_new_cells(tmp_path, sheetflow):
    """Lite fires on the cell a shape links to: one still linked to V1 (now Hold Reason) links to its new cell,
    wherever the studio put the shape."""
    book = tmp_path / "studio.xlsx"
    old_workbook(book)
    parts = members(book)
    parts[DRAWING] = parts[DRAWING].replace(b"<xdr:row>0</xdr:row>", b"<xdr:row>5</xdr:row>")  # dragged down
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)

    done = sheetflow("refresh", book)
    assert done.exit_code == 0 and done.output.count(MOVED) == 1
    after = members(book)
    assert after[DRAWING] == parts[DRAWING]
    assert {name: link for name, (_, link) in lite_buttons(after).items()} == NEW_CELLS


def with_excels_twins(book: Path) -> dict[str, bytes]:
    """The .xlsm as Excel saves it: beside each VML form button, its DrawingML twin (the same button, its anchor
    and macro, for Excel 2010 and later) in a drawing part of the sheet; returns the parts written."""
    parts = members(book)
    anchors = []
    for number, shape in enumerate(re.findall(rb"<v:shape .*?</v:shape>", parts[VML], re.S), start=1025):
        macro = re.search(rb"<x:FmlaMacro>([^<]*)</x:FmlaMacro>", shape)[1]
        left, left_off, top, top_off, right, right_off, bottom, bottom_off = (
            int(v) for v in re.search(rb"<x:Anchor>([^<]*)</x:Anchor>", shape)[1].split(b",")
        )
        anchors.append(
            b'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
            b'<mc:Choice xmlns:a14="http://schemas.microsoft.com/office/drawing/2010/main" Requires="a14">'
            b"<xdr:twoCellAnchor>"
            b"<xdr:from><xdr:col>%d</xdr:col><xdr:colOff>%d</xdr:colOff><xdr:row>%d</xdr:row><xdr:rowOff>%d</xdr:rowOff></xdr:from>"
            b"<xdr:to><xdr:col>%d</xdr:col><xdr:colOff>%d</xdr:colOff><xdr:row>%d</xdr:row><xdr:rowOff>%d</xdr:rowOff></xdr:to>"
            b'<xdr:sp macro="%s" textlink=""><xdr:nvSpPr><xdr:cNvPr id="%d" name="Button %d" hidden="1"><a:extLst>'
            b'<a:ext uri="{63B3BB69-23CF-44E3-9099-C40C66FF867C}"><a14:compatExt spid="_x0000_s%d"/></a:ext>'
            b'</a:extLst></xdr:cNvPr><xdr:cNvSpPr/></xdr:nvSpPr><xdr:spPr><a:xfrm><a:off x="0" y="0"/>'
            b'<a:ext cx="0" cy="0"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:sp>'
            b'<xdr:clientData fPrintsWithSheet="0"/></xdr:twoCellAnchor></mc:Choice></mc:AlternateContent>'
            % (
                *(left, left_off * 9525, top, top_off * 9525, right, right_off * 9525, bottom, bottom_off * 9525),
                *(macro, number, number - 1024, number),
            )
        )
    parts[DRAWING] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org'
        b'/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        + b"".join(anchors)
        + b"</xdr:wsDr>"
    )
    rels = "xl/worksheets/_rels/sheet1.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdTwins" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'drawing" Target="../drawings/drawing1.xml"/></Relationships>',
    )
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<legacyDrawing ", b'<drawing r:id="rIdTwins"/><legacyDrawing ')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/drawings/drawing1.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>',
    )
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return parts


def twins(parts: dict[str, bytes]) -> dict[str, str]:
    """Each DrawingML twin's Sub and the cell its anchor starts in."""
    found = {}
    for anchor in re.findall(rb"<xdr:twoCellAnchor\b.*?</xdr:twoCellAnchor>", parts[DRAWING], re.S):
        macro = re.search(rb'macro="\[0\]!(\w+)"', anchor)[1].decode()
        col, row = (int(v) for v in re.search(rb"<xdr:from><xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)", anchor).groups())
        found[macro] = f"{column_letter(col + 1)}{row + 1}"
    return found


def test_the_twins_excel_saves_of_the_form_buttons_move_with_them(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsm"
    old_workbook(book, macros=True)
    before = with_excels_twins(book)
    studio_twin = re.search(
        rb"<mc:AlternateContent(?:(?!</mc:AlternateContent>).)*PrintPriceList.*?</mc:AlternateContent>",
        before[DRAWING],
        re.S,
    )[0]

    done = sheetflow("refresh", book)
    assert done.exit_code == 0 and done.output.count(MOVED) == 1
    after = members(book)
    assert twins(after) == form_buttons(after) == {**FORM_CELLS, "PrintPriceList": "AD3"}
    assert after[DRAWING].count(studio_twin) == 1
    assert soffice_convert(book, tmp_path / "lo", "xlsm").exists()


def test_an_old_workbook_libreoffice_saved_moves_its_buttons_too(tmp_path, sheetflow):
    """LibreOffice writes the drawing its own way (its offsets, its relationship Ids, the chart's among the links):
    sheetflow's buttons are found and moved there as well."""
    old_workbook(tmp_path / "old.xlsx")
    book = soffice_convert(tmp_path / "old.xlsx", tmp_path / "lo")
    assert {name: link for name, (_, link) in lite_buttons(members(book)).items()} == {
        name: one_left(cell) for name, cell in NEW_CELLS.items()
    }
    done = sheetflow("refresh", book)
    assert done.exit_code == 0 and done.output.count(MOVED) == 1
    after = members(book)
    assert lite_buttons(after) == {name: (cell, cell) for name, cell in NEW_CELLS.items()}
    assert b"../charts/chart1.xml" in after[DRAWING_RELS]


SHEET = "xl/worksheets/sheet1.xml"
CONTROLS = re.compile(
    rb"<mc:AlternateContent [^>]*><mc:Choice Requires=\"x14\"><controls>.*?</controls>.*?</mc:AlternateContent>", re.S
)
MARKERS = re.compile(rb"<(from|to)>.*?</\1>", re.S)
MC = b"http://schemas.openxmlformats.org/markup-compatibility/2006"


def with_excels_controls(book: Path, macro_in: str = "controlPr") -> tuple[dict[str, bytes], dict[int, str]]:
    """The .xlsm as Excel 2010 and later save it: beside each VML form button and its DrawingML twin, a <control>
    in the sheet's own <controls> (after <legacyDrawing>, each in its mc:AlternateContent requiring x14, its anchor
    in EMU under controlPr, the macro on controlPr) and its ctrlProp part (objectType="Button"), the sheet's root
    declaring xdr, x14 and mc as Excel's does. macro_in="ctrlProp" stands for a writer that names the macro in the
    ctrlProp part (fmlaMacro) instead, "vml" for one that leaves it to the VML shape of the same number. Returns
    the parts written and each control's Sub by its shapeId."""
    parts = with_excels_twins(book)
    controls, rels, types, subs = [], [], [], {}
    for n, shape in enumerate(re.findall(rb"<v:shape .*?</v:shape>", parts[VML], re.S), start=1):
        number = int(re.search(rb'id="_x0000_s(\d+)"', shape)[1])
        macro = re.search(rb"<x:FmlaMacro>([^<]*)</x:FmlaMacro>", shape)[1]
        subs[number] = macro.rsplit(b"!", 1)[-1].decode()
        left, left_off, top, top_off, right, right_off, bottom, bottom_off = (
            int(v) for v in re.search(rb"<x:Anchor>([^<]*)</x:Anchor>", shape)[1].split(b",")
        )
        on_control = b' macro="%s"' % macro if macro_in == "controlPr" else b""
        in_props = b' fmlaMacro="%s"' % macro if macro_in == "ctrlProp" else b""
        controls.append(
            b'<mc:AlternateContent xmlns:mc="%s"><mc:Choice Requires="x14">'
            b'<control shapeId="%d" r:id="rIdCtrl%d" name="Button %d">'
            b'<controlPr defaultSize="0" print="0" autoFill="0" autoPict="0"%s><anchor moveWithCells="1">'
            b"<from><xdr:col>%d</xdr:col><xdr:colOff>%d</xdr:colOff><xdr:row>%d</xdr:row><xdr:rowOff>%d</xdr:rowOff></from>"
            b"<to><xdr:col>%d</xdr:col><xdr:colOff>%d</xdr:colOff><xdr:row>%d</xdr:row><xdr:rowOff>%d</xdr:rowOff></to>"
            b"</anchor></controlPr></control></mc:Choice></mc:AlternateContent>"
            % (
                *(MC, number, n, n, on_control),
                *(left, left_off * 9525, top, top_off * 9525, right, right_off * 9525, bottom, bottom_off * 9525),
            )
        )
        parts[f"xl/ctrlProps/ctrlProp{n}.xml"] = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<formControlPr xmlns="http://schemas.'
            b'microsoft.com/office/spreadsheetml/2009/9/main" objectType="Button" lockText="1"%s/>' % in_props
        )
        rels.append(
            f'<Relationship Id="rIdCtrl{n}" Type="http://schemas.microsoft.com/office/2007/relationships/ctrlProp" '
            f'Target="../ctrlProps/ctrlProp{n}.xml"/>'
        )
        types.append(
            f'<Override PartName="/xl/ctrlProps/ctrlProp{n}.xml" '
            'ContentType="application/vnd.ms-excel.controlproperties+xml"/>'
        )
    sheet = parts[SHEET].replace(
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">',
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:xdr="http://schemas.'
        b'openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:x14="http://schemas.microsoft.com/office/'
        b'spreadsheetml/2009/9/main" xmlns:mc="%s" mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com'
        b'/office/spreadsheetml/2009/9/ac">' % MC,
        1,
    )
    block = b'<mc:AlternateContent xmlns:mc="%s"><mc:Choice Requires="x14"><controls>%s</controls></mc:Choice>' % (
        MC,
        b"".join(controls),
    )
    parts[SHEET] = sheet.replace(b"<tableParts ", block + b"</mc:AlternateContent><tableParts ", 1)
    sheet_rels = "xl/worksheets/_rels/sheet1.xml.rels"
    parts[sheet_rels] = parts[sheet_rels].replace(b"</Relationships>", "".join(rels).encode() + b"</Relationships>")
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", "".join(types).encode() + b"</Types>"
    )
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return parts, subs


def control_anchors(sheet: bytes) -> dict[int, tuple[int, ...]]:
    """Each <control>'s anchor by its shapeId: (first column, its offset in pixels, top row, last column, its
    offset in pixels, bottom row), as a VML anchor counts them."""
    found = {}
    for control in re.findall(rb"<control .*?</control>", sheet, re.S):
        shape_id = int(re.search(rb'shapeId="(\d+)"', control)[1])
        (col, col_off, row), (last, last_off, bottom) = (
            [
                int(v)
                for v in re.search(
                    rb"<xdr:col>(-?\d+)</xdr:col><xdr:colOff>(-?\d+)</xdr:colOff><xdr:row>(-?\d+)", m
                ).groups()
            ]
            for m in re.findall(rb"<(?:from|to)>.*?</(?:from|to)>", control, re.S)
        )
        found[shape_id] = (col, col_off / 9525, row, last, last_off / 9525, bottom)
    return found


def vml_anchors(vml: bytes) -> dict[int, tuple[int, ...]]:
    """Each VML form button's anchor by its shape number, in control_anchors' terms."""
    found = {}
    for shape in re.findall(rb"<v:shape .*?</v:shape>", vml, re.S):
        number = int(re.search(rb'id="_x0000_s(\d+)"', shape)[1])
        left, left_off, top, _, right, right_off, bottom, _ = (
            int(v) for v in re.search(rb"<x:Anchor>([^<]*)</x:Anchor>", shape)[1].split(b",")
        )
        found[number] = (left, left_off, top, right, right_off, bottom)
    return found


def cell_of(anchor: tuple[int, ...]) -> str:
    return f"{column_letter(anchor[0] + 1)}{anchor[2] + 1}"


@pytest.mark.parametrize("macro_in", ["controlPr", "ctrlProp", "vml"])
def test_the_controls_excel_2010_keeps_in_the_sheet_move_with_the_form_buttons(tmp_path, sheetflow, macro_in):
    book = tmp_path / "studio.xlsm"
    old_workbook(book, macros=True)
    before, subs = with_excels_controls(book, macro_in)
    assert {subs[n]: cell_of(a) for n, a in control_anchors(before[SHEET]).items()} == {
        **{sub: one_left(cell) for sub, cell in FORM_CELLS.items()},
        "PrintPriceList": "AD3",
    }
    studio_control = re.search(
        rb"<mc:AlternateContent [^>]*><mc:Choice [^>]*><control shapeId=\"1100\".*?</mc:AlternateContent>",
        before[SHEET],
        re.S,
    )[0]

    first = sheetflow("refresh", book)
    assert first.exit_code == 0, first.output
    assert first.output.count(MOVED) == 1

    after = members(book)
    moved = control_anchors(after[SHEET])
    assert {subs[n]: cell_of(a) for n, a in moved.items()} == {**FORM_CELLS, "PrintPriceList": "AD3"}
    # each control where its VML button now is, the same size; the studio's control is the bytes it was
    assert moved == vml_anchors(after[VML])
    assert after[SHEET].count(studio_control) == 1
    # in <controls> nothing changed but the anchors' markers; the ctrlProp parts are copied as they were
    assert MARKERS.sub(b"", CONTROLS.search(after[SHEET])[0]) == MARKERS.sub(b"", CONTROLS.search(before[SHEET])[0])
    assert {n: d for n, d in after.items() if "ctrlProps/" in n} == {
        n: d for n, d in before.items() if "ctrlProps/" in n
    }

    assert openpyxl.load_workbook(book, keep_vba=True)["Sessions"]["V1"].value == "Hold Reason"
    assert CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Sessions").to_python()[0][21] == "Hold Reason"
    if macro_in == "controlPr":  # LibreOffice opens it (placing form buttons by their VML) and keeps them there
        resaved = members(soffice_convert(book, tmp_path / "lo", "xlsm"))
        assert started(resaved) == FORM_CELLS

    second = sheetflow("refresh", book)
    assert second.exit_code == 0 and "buttons moved" not in second.output
    again = members(book)
    assert CONTROLS.search(again[SHEET])[0] == CONTROLS.search(after[SHEET])[0] and again[VML] == after[VML]


def started(parts: dict[str, bytes]) -> dict[str, str]:
    """The cell each <control> running a macro starts in, by the Sub it names (LibreOffice writes Module.Sub)."""
    found = {}
    for control in re.findall(rb"<control .*?</control>", parts[SHEET], re.S):
        macro = re.search(rb'macro="[^"]*?(\w+)"', control)
        if macro:
            found[macro[1].decode()] = cell_of(next(iter(control_anchors(control).values())))
    return found


def test_an_old_xlsm_libreoffice_saved_moves_the_controls_it_wrote(tmp_path, sheetflow):
    """LibreOffice writes <controls> its own way: the macro as Module.Sub on controlPr, its own shape numbers (its
    VML shapes all named shape_0), a `to` marker with a negative offset; sheetflow's controls move there too."""
    old_workbook(tmp_path / "old.xlsm", macros=True)
    book = soffice_convert(tmp_path / "old.xlsm", tmp_path / "lo", "xlsm")
    before = members(book)
    assert started(before) == {sub: one_left(cell) for sub, cell in FORM_CELLS.items()}
    done = sheetflow("refresh", book)
    assert done.exit_code == 0 and done.output.count(MOVED) == 1
    after = members(book)
    assert started(after) == FORM_CELLS
    assert form_buttons_any(after) == FORM_CELLS
    # the studio's button (LibreOffice left out the macro it could not find) keeps every byte of its control
    (studio,) = (c for c in re.findall(rb"<control .*?</control>", before[SHEET], re.S) if b"macro=" not in c)
    assert after[SHEET].count(studio) == 1
    assert openpyxl.load_workbook(book, keep_vba=True)["Sessions"]["V1"].value == "Hold Reason"


def form_buttons_any(parts: dict[str, bytes]) -> dict[str, str]:
    """The cell each VML form button running a sheetflow Sub starts in, whatever module prefix its macro has."""
    found = {}
    for shape in re.findall(rb"<v:shape .*?</v:shape>", parts[VML], re.S):
        macro = re.search(rb"<x:FmlaMacro>[^<]*?(\w+)</x:FmlaMacro>", shape)
        if macro:
            left, _, top = (int(v) for v in re.search(rb"<x:Anchor>([^<]*)</x:Anchor>", shape)[1].split(b",")[:3])
            found[macro[1].decode()] = f"{column_letter(left + 1)}{top + 1}"
    return found
