"""The Dashboard sheet in a workbook file: its cells, and native charts (a drawing with DrawingML chart parts whose
series point at ranges of the sheet, their values cached so a reader shows them without recalculating).

The Dashboard is sheetflow's: each run that writes it replaces the sheet and everything hanging from it (its old
drawing, charts and their parts) and lays it out anew. When the run has no new time in status (refresh never reads
Notes), the block the sheet shows is read back from the sheet itself and laid out again unchanged.
"""

from __future__ import annotations

import posixpath
import re
from html import escape
from typing import TYPE_CHECKING

from ..core.cells import address
from ..core.dashboard import (
    COUNT,
    DATE,
    DECIMAL,
    HEADER,
    HISTORY_LAST_COL,
    NOTE,
    NUMBER_FORMATS,
    PERCENT,
    TABLES_ROW,
    TITLE,
    WIDTHS,
    Chart,
    Dashboard,
    Layout,
    layout,
    read_history,
    sheet_ref,
)
from ..core.schema import DASHBOARD
from . import package as pkg
from .sheetxml import ILLEGAL_XML, cell_xml, text_for_excel

if TYPE_CHECKING:
    from .writer import PackageWriter

DRAWING_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
CHART_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
DRAWING_CONTENT = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_CONTENT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
MAX_HISTORY_ROWS = TABLES_ROW + 2 + 5000  # how far down the time-in-status block is looked for
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def install(writer: PackageWriter, dashboard: Dashboard, create: bool) -> None:
    """Write the Dashboard sheet (created when missing) with its drawing and charts into the new package. Every
    part goes through the writer's public calls: add_sheet, drop_parts, drop_calc_chain, put_part, read_head."""
    if create:
        part = writer.add_sheet(DASHBOARD.name, [])
        sheet_name, old_xml = DASHBOARD.name, ""
    else:
        entry = writer.package.sheet(DASHBOARD.name)
        assert entry is not None
        part, sheet_name = entry.part, entry.name
        old_xml = pkg.read_part(writer.src, part, pkg.MAX_SHEET_BYTES).decode("utf-8", errors="replace")
        if re.search(r"<(?:\w+:)?f[\s>/]", old_xml):  # formulas someone typed there: Excel's calculation chain
            writer.drop_calc_chain()  # lists them, and a stale chain makes Excel repair the file
        if dashboard.time_in_status is None:
            dashboard = Dashboard(dashboard.board, read_history(writer.read_head(part, MAX_HISTORY_ROWS)))
        writer.drop_parts(_hanging_parts(writer, part))
    lay = layout(dashboard)
    rels_part = pkg.rels_path(part)
    drawing_rel = None
    if lay.charts:
        drawing = writer.free_part("xl/drawings/drawing{}.xml")
        drawing_rels: list[tuple[str, str]] = []
        for chart in lay.charts:
            chart_part = writer.free_part("xl/charts/chart{}.xml")
            writer.put_part(chart_part, chart_xml(chart, sheet_name), CHART_CONTENT)
            drawing_rels.append((f"rId{len(drawing_rels) + 1}", posixpath.relpath(chart_part, "xl/drawings")))
        writer.put_part(drawing, drawing_xml(lay.charts), DRAWING_CONTENT)
        writer.put_part(pkg.rels_path(drawing), rels_xml((rid, CHART_TYPE, target) for rid, target in drawing_rels))
        drawing_rel = "rId1"
        writer.put_part(
            rels_part, rels_xml([(drawing_rel, DRAWING_TYPE, posixpath.relpath(drawing, posixpath.dirname(part)))])
        )
    writer.put_part(part, sheet_xml(lay, writer.styles, drawing_rel, old_xml, writer.package.date1904))


def _hanging_parts(writer: PackageWriter, sheet_part: str) -> set[str]:
    """The old Dashboard's drawing, charts, their relationships and anything else only it used go; a part that
    some other part of the package also points at (a shared image) stays."""
    src = writer.src
    hanging: set[str] = set()
    queue = [sheet_part]
    while queue:
        part = queue.pop()
        rels = pkg.member(src, pkg.rels_path(part))
        if rels is None:
            continue
        hanging.add(rels)
        for _, _, target in pkg.relationships(src, part):
            if target in src.NameToInfo and target not in hanging and target != sheet_part:
                hanging.add(target)
                queue.append(target)
    if not hanging:
        return hanging
    for name in src.namelist():
        if name.endswith(".rels") and name not in hanging and name != "_rels/.rels":
            source = _source_of(name)
            if source is None or source == sheet_part:
                continue
            for _, _, target in pkg.relationships(src, source):
                hanging.discard(target)
    return hanging


def _source_of(rels_name: str) -> str | None:
    """xl/worksheets/_rels/sheet1.xml.rels -> xl/worksheets/sheet1.xml."""
    folder, name = posixpath.split(rels_name)
    if posixpath.basename(folder) != "_rels" or not name.endswith(".rels"):
        return None
    return posixpath.join(posixpath.dirname(folder), name[: -len(".rels")])


# --- the sheet -------------------------------------------------------------------------------------------------------


def _styles(styles: pkg.Styles) -> dict[str | None, int]:
    return {
        None: 0,
        TITLE: styles.cell_style(bold=True, size=14),
        HEADER: styles.cell_style(bold=True),
        NOTE: styles.cell_style(italic=True),
        DATE: styles.date_style(False),
        COUNT: styles.cell_style(number_format=NUMBER_FORMATS[COUNT]),
        DECIMAL: styles.cell_style(number_format=NUMBER_FORMATS[DECIMAL]),
        PERCENT: styles.cell_style(number_format=NUMBER_FORMATS[PERCENT]),
    }


def sheet_xml(
    lay: Layout, styles: pkg.Styles, drawing_rel: str | None, old_xml: str = "", date1904: bool = False
) -> str:
    """The Dashboard worksheet: both blocks' cells, column widths, a landscape page one page wide, the drawing."""
    style = _styles(styles)
    rows: dict[int, list[str]] = {}
    cells = {**lay.board.cells, **lay.history.cells}
    for r, c in sorted(cells, key=lambda rc: (rc[0], rc[1])):
        cell = cells[(r, c)]
        rows.setdefault(r, []).append(cell_xml("", address(r, c), style[cell.kind], cell.value, date1904))
    body = "".join(f'<row r="{r}">{"".join(rows[r])}</row>' for r in sorted(rows))
    last_row = max(rows, default=1)
    code_name = re.search(r'<(?:\w+:)?sheetPr\b[^>]*?\b(codeName="[^"]*")', old_xml)  # a macro workbook's module
    selected = ' tabSelected="1"' if re.search(r'<(?:\w+:)?sheetView\b[^>]*?\btabSelected="1"', old_xml) else ""
    cols = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in sorted(WIDTHS.items()))
    drawing = f'<drawing r:id="{drawing_rel}"/>' if drawing_rel else ""
    return (
        f'{XML_HEAD}<worksheet xmlns="{pkg.MAIN_NS}" xmlns:r="{pkg.REL_NS}">'
        f'<sheetPr{" " + code_name[1] if code_name else ""}><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{address(last_row, HISTORY_LAST_COL)}"/>'
        f'<sheetViews><sheetView showGridLines="0"{selected}'
        ' workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols><sheetData>{body}</sheetData>"
        '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
        '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "<headerFooter><oddFooter>&amp;CPage &amp;P of &amp;N</oddFooter></headerFooter>"
        f"{drawing}</worksheet>"
    )


def _attr(text: str) -> str:
    """Text in an attribute or a formula of a chart: what XML cannot hold (a control character typed into a
    status name) is left out, the rest escaped."""
    return escape(ILLEGAL_XML.sub("", text))


def rels_xml(relationships) -> str:
    items = "".join(
        f'<Relationship Id="{rid}" Type="{typ}" Target="{escape(target)}"/>' for rid, typ, target in relationships
    )
    return f'{XML_HEAD}<Relationships xmlns="{pkg.PKG_REL_NS}">{items}</Relationships>'


# --- the drawing and its charts ------------------------------------------------------------------------------------


def drawing_xml(charts: list[Chart]) -> str:
    anchors = []
    for number, chart in enumerate(charts, start=1):
        c1, r1, c2, r2 = chart.anchor
        anchors.append(
            f"<xdr:twoCellAnchor><xdr:from><xdr:col>{c1 - 1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r1 - 1}"
            f"</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>{c2 - 1}</xdr:col><xdr:colOff>0"
            f"</xdr:colOff><xdr:row>{r2 - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{number + 1}" '
            f'name="{_attr(chart.name)}" descr="{_attr(chart.title)}"/><xdr:cNvGraphicFramePr>'
            '<a:graphicFrameLocks noGrp="1"/></xdr:cNvGraphicFramePr></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
            f'<a:graphicData uri="{C_NS}"><c:chart xmlns:c="{C_NS}" xmlns:r="{pkg.REL_NS}" r:id="rId{number}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
        )
    return f'{XML_HEAD}<xdr:wsDr xmlns:xdr="{XDR_NS}" xmlns:a="{A_NS}">{"".join(anchors)}</xdr:wsDr>'


def _text(text: str, size: int, bold: bool = False) -> str:
    b = ' b="1"' if bold else ' b="0"'
    return (
        f'<c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}"{b}/></a:pPr><a:r>'
        f'<a:rPr lang="en-US" sz="{size}"{b}/><a:t>{text_for_excel(text)}</a:t></a:r></a:p></c:rich>'
    )


def _tick_labels(size: int) -> str:
    return (
        f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}"/></a:pPr><a:endParaRPr lang="en-US"/>'
        "</a:p></c:txPr>"
    )


def _str_cache(values: list[str]) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{text_for_excel(v)}</c:v></c:pt>' for i, v in enumerate(values))
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'


def _num_cache(values: list[float | None]) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{_number(v)}</c:v></c:pt>' for i, v in enumerate(values) if v is not None)
    return f'<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(values)}"/>{points}</c:numCache>'


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(round(float(value), 6))


def chart_xml(chart: Chart, sheet: str) -> str:
    """A horizontal bar chart, the first category at the top: stacked for the board, clustered for the history."""
    col, first, last = chart.categories
    categories = (
        f"<c:cat><c:strRef><c:f>{_attr(sheet_ref(sheet, col, first, last))}</c:f>"
        f"{_str_cache(chart.labels)}</c:strRef></c:cat>"
    )
    series = []
    for i, s in enumerate(chart.series):
        name_row, name_col = s.name_cell
        series.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx><c:strRef>'
            f"<c:f>{_attr(sheet_ref(sheet, name_col, name_row))}</c:f>{_str_cache([s.name])}</c:strRef></c:tx>"
            f'<c:spPr><a:solidFill><a:srgbClr val="{s.color}"/></a:solidFill></c:spPr>'
            f'<c:invertIfNegative val="0"/>{categories}<c:val><c:numRef>'
            f"<c:f>{_attr(sheet_ref(sheet, s.col, *s.rows))}</c:f>{_num_cache(s.values)}</c:numRef></c:val></c:ser>"
        )
    grouping = "stacked" if chart.stacked else "clustered"
    overlap = '<c:overlap val="100"/>' if chart.stacked else '<c:overlap val="-10"/>'
    unit = f'<c:majorUnit val="{_number(chart.major_unit)}"/>' if chart.major_unit else ""
    gridlines = (
        '<c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/></a:solidFill>'
        "</a:ln></c:spPr></c:majorGridlines>"
    )
    return (
        f'{XML_HEAD}<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{pkg.REL_NS}">'
        '<c:roundedCorners val="0"/><c:chart>'
        f'<c:title><c:tx>{_text(chart.title, 1200, bold=True)}</c:tx><c:overlay val="0"/></c:title>'
        '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        f'<c:barChart><c:barDir val="bar"/><c:grouping val="{grouping}"/><c:varyColors val="0"/>{"".join(series)}'
        f'<c:gapWidth val="60"/>{overlap}<c:axId val="50010"/><c:axId val="50020"/></c:barChart>'
        '<c:catAx><c:axId val="50010"/><c:scaling><c:orientation val="maxMin"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="l"/><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="none"/>'
        f'<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>{_tick_labels(900)}<c:crossAx val="50020"/>'
        '<c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
        '<c:noMultiLvlLbl val="0"/></c:catAx>'
        f'<c:valAx><c:axId val="50020"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        f'<c:axPos val="b"/>{gridlines}<c:title><c:tx>{_text(chart.axis_title, 900)}</c:tx><c:overlay val="0"/>'
        '</c:title><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>'
        f'<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>{_tick_labels(900)}<c:crossAx val="50010"/>'
        f'<c:crosses val="max"/><c:crossBetween val="between"/>{unit}</c:valAx></c:plotArea>'
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/>'
        '<c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    )
