"""A workbook made before Hold Reason has sheetflow's buttons over V1…AA1; the first run of this version adds the
Hold Reason header into V1, and sheetflow's own buttons — the xlwings Lite shapes, the .xlsm's form buttons — move
to W1…AB1 with it (anchors and Lite's hyperlinks), while the studio's own shapes and charts keep every byte."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from helpers.libreoffice import soffice_convert
from python_calamine import CalamineWorkbook

from sheetflow.authoring import template
from sheetflow.core.cells import column_index, column_letter
from sheetflow.core.schema import ENTRY_POINTS

TODAY = dt.date(2026, 11, 25)
DRAWING, DRAWING_RELS, VML = (
    "xl/drawings/drawing1.xml",
    "xl/drawings/_rels/drawing1.xml.rels",
    "xl/drawings/vmlDrawing1.vml",
)
NEW_CELLS = {entry.lite_shape: entry.cell for entry in ENTRY_POINTS if entry.lite_shape}  # btnApplyChanges: W1…
FORM_CELLS = {entry.vba_sub: entry.cell for entry in ENTRY_POINTS if entry.vba_sub}
MOVED = "Sessions: sheetflow's buttons moved to W1:AB1 to make room for the new Hold Reason column"
LITE_HINT = "in Excel on the web, paste the new main.py (sheetflow excel lite) into the xlwings Lite editor"


def one_left(cell: str) -> str:
    letters, row = re.fullmatch(r"([A-Z]+)(\d+)", cell).groups()
    return f"{column_letter(column_index(letters) - 1)}{row}"


def studio_drawing(macros: bool) -> dict[str, bytes]:
    """The studio's own things on its Sessions sheet, made the way Excel-like writers make them: a chart and a
    note (a text box) in the drawing, and (.xlsm) a form button running the studio's own macro."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("Sessions")
    ws.write_column(0, 0, ["Session ID", 1, 2, 3])
    if macros:
        ws.insert_button("AD3", {"macro": "PrintPriceList", "caption": "Print price list"})
    else:
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"values": "=Sessions!$A$2:$A$4"})
        ws.insert_chart("B16", chart)
        ws.insert_textbox("AD1", "Studio: call the lab before Friday")  # beside sheetflow's buttons, not over them
    wb.close()
    with zipfile.ZipFile(out) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def old_workbook(path: Path, macros: bool = False) -> dict[str, bytes]:
    """A workbook as the previous version made it — the template built with its buttons one column left (V1…AA1)
    and without the Hold Reason column — with the studio's own things added; returns those, as written."""
    old_entries = tuple(dataclasses.replace(e, cell=one_left(e.cell)) if e.cell else e for e in ENTRY_POINTS)
    built = io.BytesIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(template, "ENTRY_POINTS", old_entries)
        mp.setattr(template, "FORM_BUTTONS", tuple((e.vba_sub, e.title, e.cell) for e in old_entries if e.vba_sub))
        template.build_workbook(built, sample=True, today=TODAY, macros=macros)
    with zipfile.ZipFile(built) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r'<c r="V\d+"[^>]*?(/>|>.*?</c>)', "", sheet)  # no Hold Reason cells
    sheet = re.sub(r'<dataValidation [^>]*sqref="V2:V\d+">.*?</dataValidation>', "", sheet)
    sheet = re.sub(r'<dataValidations count="(\d+)"', lambda m: f'<dataValidations count="{int(m[1]) - 1}"', sheet)
    sheet = sheet.replace('<dimension ref="A1:V', '<dimension ref="A1:U')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    table = (
        parts["xl/tables/table1.xml"]
        .decode()
        .replace(":V", ":U")
        .replace('<tableColumn id="22" name="Hold Reason"/>', "")
    )
    parts["xl/tables/table1.xml"] = table.replace('count="22"', 'count="21"').encode()
    own = studio_drawing(macros)
    said: dict[str, bytes] = {}
    if macros:
        shape = re.search(rb"<v:shape id=.*?</v:shape>", own["xl/drawings/vmlDrawing1.vml"], re.S)[0]
        said["studio button"] = shape.replace(b"_x0000_s1025", b"_x0000_s1100").replace(b"z-index:1", b"z-index:9")
        parts[VML] = parts[VML].replace(b"</xml>", said["studio button"] + b"</xml>")
    else:
        anchors = re.findall(rb"<xdr:twoCellAnchor.*?</xdr:twoCellAnchor>", own[DRAWING], re.S)
        chart, note = (a.replace(b'id="2"', b'id="100"').replace(b'id="3"', b'id="101"') for a in anchors)
        said["studio chart"] = chart.replace(b'r:id="rId1"', b'r:id="rIdStudioChart"')
        said["studio note"] = note
        parts[DRAWING] = parts[DRAWING].replace(b"</xdr:wsDr>", said["studio chart"] + note + b"</xdr:wsDr>")
        rel = (
            b'<Relationship Id="rIdStudioChart" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/chart" Target="../charts/chart1.xml"/>'
        )
        parts[DRAWING_RELS] = parts[DRAWING_RELS].replace(b"</Relationships>", rel + b"</Relationships>")
        parts["xl/charts/chart1.xml"] = said["studio chart part"] = own["xl/charts/chart1.xml"]
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/xl/charts/chart1.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/></Types>',
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return said


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
