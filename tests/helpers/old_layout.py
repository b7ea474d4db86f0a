"""A workbook as the previous sheetflow made it: sheetflow's buttons over V1…AA1 and no Hold Reason column (the
Sessions sheet gained it, V, and ENTRY_POINTS moved one right), with the studio's own shapes and charts beside them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from sheetflow.authoring import template
from sheetflow.core.cells import column_index, column_letter
from sheetflow.core.schema import ENTRY_POINTS

TODAY = dt.date(2026, 11, 25)
DRAWING, DRAWING_RELS, VML = (
    "xl/drawings/drawing1.xml",
    "xl/drawings/_rels/drawing1.xml.rels",
    "xl/drawings/vmlDrawing1.vml",
)


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


def old_workbook(path: Path, macros: bool = False, hold_reason: bool = False) -> dict[str, bytes]:
    """A workbook as the previous version made it — the template built with its buttons one column left (V1…AA1)
    and without the Hold Reason column — with the studio's own things added; returns those, as written. With
    `hold_reason`, the Hold Reason column stays: typed in by hand under the old Apply changes button."""
    old_entries = tuple(dataclasses.replace(e, cell=one_left(e.cell)) if e.cell else e for e in ENTRY_POINTS)
    built = io.BytesIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(template, "ENTRY_POINTS", old_entries)
        mp.setattr(template, "FORM_BUTTONS", tuple((e.vba_sub, e.title, e.cell) for e in old_entries if e.vba_sub))
        template.build_workbook(built, sample=True, today=TODAY, macros=macros)
    with zipfile.ZipFile(built) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    if not hold_reason:  # no Hold Reason cells, header, dropdown or table column
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
