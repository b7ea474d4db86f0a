"""A studio workbook carrying everything a real one does: macros, shapes, charts, comments, Excel-2010 extensions.

`build_rich_workbook` writes it with xlsxwriter, then makes the few parts xlsxwriter cannot (shared formulas, an
Excel-2010 cross-sheet dropdown, a macro on a text box, a ribbon) with small explicit edits of the package, and
finally checks that every planted item really is in the file, so the fixture can never silently lose one.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import xlsxwriter
from helpers.workbooks import LISTS, SESSION_HEADER, SETTINGS, STATUSES

from sheetflow.core.schema import (
    NOTES,
    OUTBOX,
    PROBLEMS,
    SESSION_HOLD,
    SESSION_INPUTS,
    SESSION_WRITTEN,
    TASKS,
    TRIGGERS,
)
from sheetflow.core.schema import (
    SESSIONS as SESSIONS_SCHEMA,
)

# --- the studio's data --------------------------------------------------------------------------------------------

USER_COLUMNS = ["Package", "Price", "Deposit", "Score", "Remark", "Trend"]  # the studio's own, inside the table
# every column sheetflow has (a workbook of today: no run adds one), then the studio's own
SESSIONS_HEADER = [*SESSION_HEADER, *SESSIONS_SCHEMA.columns[len(SESSION_HEADER) :], *USER_COLUMNS]
OWNED_COLUMNS = (*SESSION_WRITTEN, *SESSION_INPUTS, *SESSION_HOLD)
# "Sorted prices", a dynamic array one empty column right of the table (a spill cannot live inside a table)
SPILL_COLUMN = xlsxwriter.utility.xl_col_to_name(len(SESSIONS_HEADER) + 1)

PACKAGES = {"Classic": 250, "Deluxe": 900, "Mini": 120}
D = dt.date


def _session(
    sid,
    client,
    kind,
    status,
    status_date,
    due,
    flag,
    days,
    change_to="",
    changed_by="",
    note="",
    package="Classic",
    score=3,
    remark="",
) -> dict[str, object]:
    return {
        "Session ID": sid,
        "Client": client,
        "Email": f"{client.lower()}@example.com",
        "Phone": "0400 111 222",
        "Session Type": kind,
        "Session Date": D(2026, 11, 10),
        "Status": status,
        "Status Date": status_date,
        "Due Date": due,
        "Manual Due": "No",
        "Assigned To": "Maya",
        "Updated By": "Maya",
        "Flag": flag,
        "Days Overdue": days,
        "Change To": change_to,
        "Changed By": changed_by,
        "Change Note": note,
        "Package": package,
        "Score": score,
        "Remark": remark,
    }


SESSIONS = [  # sheet rows 2..5
    _session(
        1001,
        "Ann",
        "Portrait",
        "Session Pending",
        D(2026, 11, 16),
        D(2026, 11, 16),
        "Overdue",
        7,
        change_to="next",
        remark="rich",
    ),
    _session(
        1002,
        "Bob",
        "Wedding",
        "Image Capture Pending",
        D(2026, 11, 20),
        D(2026, 11, 24),
        "Overdue",
        1,
        change_to="Retouch Pending",
        changed_by="Jon",
        note="proofs sent",
        package="Deluxe",
        score=5,
    ),
    # no Flag and no Days Overdue cell at all: a refresh or change has to create them
    _session(
        1003,
        "Cy",
        "Portrait",
        "Retouch Pending",
        D(2026, 11, 13),
        D(2026, 11, 20),
        None,
        None,
        package="Mini",
        score=2,
        remark="prefers mornings",
    ),
    _session(1004, "Di", "Wedding", "Order Delivered", D(2026, 11, 2), None, "", 0, package="Deluxe", score=4),
]
FIRST_ROW, LAST_ROW = 2, 1 + len(SESSIONS)

NOTES_HISTORY = [
    [
        dt.datetime(2026, 11, 2, 9, 30),
        1004,
        "Di",
        "Retouch Pending",
        "Order Delivered",
        D(2026, 11, 2),
        None,
        "Maya",
        "cli",
        "picked up in person",
    ],
    [
        dt.datetime(2026, 11, 13, 16, 5),
        1003,
        "Cy",
        "Image Capture Pending",
        "Retouch Pending",
        D(2026, 11, 13),
        D(2026, 11, 20),
        "Jon",
        "button",
        "42 frames",
    ],
    [
        dt.datetime(2026, 11, 16, 8, 0),
        1001,
        "Ann",
        "",
        "Session Pending",
        D(2026, 11, 16),
        D(2026, 11, 16),
        "Maya",
        "batch",
        "",
    ],
]
NOTES_LAST_ROW = 1 + len(NOTES_HISTORY)

MACRO = "[0]!ApplyChanges"
CUSTOM_UI_PART = "customUI/customUI14.xml"
CUSTOM_UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHARED_GROUPS = {"Deposit": 0, "Days Overdue": 1}  # si of each shared-formula block on Sessions
CALC_CHAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
CALC_CHAIN_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
X14_DATA_VALIDATIONS_URI = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"
X14_CONDITIONAL_FORMATS_URI = "{78C0D931-6437-407d-A8EE-F0AAD7539E65}"
SPARKLINES_URI = "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}"


def col(name: str) -> str:
    """The column letter of a Sessions header."""
    return xlsxwriter.utility.xl_col_to_name(SESSIONS_HEADER.index(name))


def serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


# --- package surgery ----------------------------------------------------------------------------------------------


def edit_member(path: Path, name: str, fn: Callable[[str], str]) -> None:
    """Rewrite one zip member's text with fn and rebuild the zip (members keep their order); fn must change it."""
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    names = [info.filename for info, _ in members]
    assert name in names, f"{name} is not in {path.name}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == name:
                text = data.decode("utf-8")
                edited = fn(text)
                assert edited != text, f"the edit of {name} changed nothing"
                data = edited.encode("utf-8")
            zf.writestr(info, data)


def add_member(path: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        assert name not in zf.namelist()
        zf.writestr(name, data)


def replace_once(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, f"expected exactly one {old!r}"
        return text.replace(old, new)

    return edit


def tiny_png() -> bytes:
    """A 2x2 red PNG, made by hand (no imaging library)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    pixels = b"".join(b"\x00" + b"\xcc\x22\x22" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def xlwings_vba_project(folder: Path) -> Path | None:
    """xl/vbaProject.bin of the quickstart .xlsm that ships inside the installed xlwings package, or None."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        return None
    for package_dir in spec.submodule_search_locations:
        for template in sorted(Path(package_dir).glob("quickstart*.xlsm")):
            with zipfile.ZipFile(template) as zf:
                if "xl/vbaProject.bin" in zf.namelist():
                    target = folder / "vbaProject.bin"
                    target.write_bytes(zf.read("xl/vbaProject.bin"))
                    return target
    return None


# --- the workbook -------------------------------------------------------------------------------------------------


def build_rich_workbook(path: Path, macro_enabled: bool, complete: bool = True, owned_formulas: bool = False) -> Path:
    """The studio workbook with every planted item.

    `complete=False` leaves out Tasks, Outbox and Dashboard; `owned_formulas=True` fills the Days Overdue column
    (sheetflow's) with a filled-down formula, as a studio had it before it used sheetflow.
    """
    path = Path(path)
    assert path.suffix == (".xlsm" if macro_enabled else ".xlsx")
    vba = None
    if macro_enabled:
        vba = xlwings_vba_project(path.parent)
        assert vba is not None, "xlwings (with its quickstart .xlsm) is needed for a macro-enabled fixture"
    wb = xlsxwriter.Workbook(str(path))
    if vba:
        wb.add_vba_project(str(vba))
    f = _Formats(wb)

    for name, rows in (("Settings", SETTINGS), ("Statuses", STATUSES), ("Lists", LISTS)):
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row, f.header if r == 0 else None)
    holidays = wb.add_worksheet("Holidays")
    holidays.write_row(0, 0, ["Date", "Name"], f.header)
    holidays.write_datetime(1, 0, dt.datetime(2026, 12, 25), f.date)
    holidays.write(1, 1, "Christmas Day")

    _sessions_sheet(wb, f, owned_formulas)
    _notes_sheet(wb, f)
    for schema in (TRIGGERS, *((TASKS, OUTBOX) if complete else ())):
        wb.add_worksheet(schema.name).write_row(0, 0, schema.columns, f.header)
    problems = wb.add_worksheet(PROBLEMS.name)
    problems.write_row(0, 0, PROBLEMS.columns, f.header)
    problems.write_row(1, 0, ["warning", "Sessions!A9", "a problem from last week", "long since fixed"])
    problems.conditional_format("A2:A500", {"type": "cell", "criteria": "==", "value": '"error"', "format": f.vip})
    if complete:
        wb.add_worksheet("Dashboard").write(0, 0, "Dashboard", f.header)
    _reports_sheet(wb, f)
    _controls_sheet(wb, f)
    lookups = wb.add_worksheet("Lookups")  # hidden: the source of the Package dropdown
    lookups.write_column(0, 0, ["Package", *PACKAGES])
    lookups.hide()
    prices = wb.add_worksheet("Price List")  # protected: only the owner changes prices
    prices.write_row(0, 0, ["Package", "Price"], f.header)
    for r, (package, price) in enumerate(PACKAGES.items(), start=1):
        prices.write_row(r, 0, [package, price], f.money)
    prices.protect("studio")
    wb.define_name("Packages", "=Lookups!$A$2:$A$4")
    wb.define_name("NotesLog", f"=Notes!$A$1:$L${NOTES_LAST_ROW}")
    wb.define_name("SessionIDs", f"=Sessions!$A${FIRST_ROW}:$A${LAST_ROW}")
    wb.close()

    _share_down(path, "Deposit", lambda r: f"{col('Price')}{r}*0.3")
    if owned_formulas:
        _share_down(path, "Days Overdue", _days_overdue_formula)
    _calc_chain(path)
    _excel_2010_dropdown(path)
    edit_member(
        path,
        _drawing_of(path, "Controls"),
        replace_once('<xdr:sp macro="" textlink="">', f'<xdr:sp macro="{MACRO}" textlink="">'),
    )
    _ribbon(path)
    missing = [item for item, present in planted_items(path, macro_enabled).items() if not present]
    assert not missing, f"the fixture lost: {missing}"
    return path


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEEFF", "border": 1})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.logged = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.money = wb.add_format({"num_format": "$#,##0.00"})
        self.status = wb.add_format({"font_color": "#1F4E79", "bold": True})
        self.flag = wb.add_format({"font_color": "#C00000"})
        self.whole = wb.add_format({"num_format": "0", "align": "center"})
        self.center = wb.add_format({"align": "center"})
        self.people = wb.add_format({"italic": True})
        self.inputs = wb.add_format({"bg_color": "#FFF2CC"})
        self.input_date = wb.add_format({"bg_color": "#FFF2CC", "num_format": "yyyy-mm-dd"})
        self.vip = wb.add_format({"bold": True, "font_color": "#C00000"})


def _days_overdue_formula(row: int) -> str:
    return f"MAX(0,TODAY()-{col('Due Date')}{row})"


def _sessions_sheet(wb: xlsxwriter.Workbook, f: _Formats, owned_formulas: bool) -> None:
    ws = wb.add_worksheet("Sessions")
    styles = {
        "Status": f.status,
        "Status Date": f.date,
        "Due Date": f.date,
        "Manual Due": f.center,
        "Assigned To": f.people,
        "Updated By": f.people,
        "Flag": f.flag,
        "Days Overdue": f.whole,
        "Change To": f.inputs,
        "Date Completed": f.input_date,
        "New Due Date": f.input_date,
        "Changed By": f.inputs,
        "Change Note": f.inputs,
        "Reason": f.inputs,
        "Held Since": f.date,
        "Session Date": f.date,
        "Price": f.money,
        "Deposit": f.money,
    }
    ws.set_column(f"{col('Status Date')}:{col('Due Date')}", 12, f.date)
    ws.freeze_panes(1, 2)
    for r, values in enumerate(SESSIONS, start=FIRST_ROW - 1):
        excel_row = r + 1
        for c, name in enumerate(SESSIONS_HEADER):
            value, style = values.get(name), styles.get(name)
            if name == "Price":
                ws.write_formula(
                    r,
                    c,
                    f"=VLOOKUP({col('Package')}{excel_row},'Price List'!$A$2:$B$4,2,FALSE)",
                    style,
                    PACKAGES[values["Package"]],
                )
            elif name == "Deposit":  # turned into one shared formula by _share_down
                ws.write_formula(r, c, f"={col('Price')}{excel_row}*0.3", style, PACKAGES[values["Package"]] * 0.3)
            elif name == "Days Overdue" and owned_formulas:
                ws.write_formula(r, c, "=" + _days_overdue_formula(excel_row), style, value or 0)
            elif name == "Remark" and value == "rich":
                ws.write_rich_string(r, c, f.vip, "VIP", " — call before the session")
            elif name == "Session Date" and values["Session ID"] == 1004:  # a user formula with its stored result
                ws.write_formula(r, c, "=DATE(2026,10,30)", style, serial(D(2026, 10, 30)))
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), style)
            elif value is None or value == "":
                if name not in ("Flag", "Days Overdue") or value is not None:
                    ws.write_blank(r, c, None, style)  # a formatted empty cell, as Excel keeps it in a table
            else:
                ws.write(r, c, value, style)
    ws.add_table(
        0,
        0,
        LAST_ROW - 1,
        len(SESSIONS_HEADER) - 1,
        {
            "name": "SessionsTable",
            "style": "Table Style Medium 2",
            "columns": [{"header": h, "header_format": f.header} for h in SESSIONS_HEADER],
        },
    )
    spill = len(SESSIONS_HEADER) + 1
    ws.write(0, spill, "Sorted prices", f.header)
    prices = sorted(PACKAGES[s["Package"]] for s in SESSIONS)
    price_range = f"{col('Price')}{FIRST_ROW}:{col('Price')}{LAST_ROW}"
    ws.write_dynamic_array_formula(
        FIRST_ROW - 1, spill, LAST_ROW - 1, spill, f"=SORT({price_range})", f.money, prices[0]
    )
    for i, price in enumerate(prices[1:], start=FIRST_ROW):
        ws.write_number(i, spill, price, f.money)  # the spilled values Excel stores
    ws.write_comment(f"{col('Client')}2", "VIP: call the day before", {"visible": True, "author": "Maya"})
    ws.write_comment(f"{col('Status')}3", "waiting for the second shooter", {"author": "Jon"})
    ws.write_comment(f"{col('Price')}4", "mini session discount agreed", {"author": "Maya"})
    ws.conditional_format(
        f"{col('Score')}{FIRST_ROW}:{col('Score')}{LAST_ROW}",
        {"type": "data_bar", "data_bar_2010": True, "bar_color": "#63BE7B"},
    )
    ws.add_sparkline(
        f"{col('Trend')}{FIRST_ROW}",
        {
            "location": [f"{col('Trend')}{r}" for r in range(FIRST_ROW, LAST_ROW + 1)],
            "range": [f"Sessions!{col('Price')}{r}:{col('Score')}{r}" for r in range(FIRST_ROW, LAST_ROW + 1)],
            "type": "column",
        },
    )
    ws.data_validation(
        f"{col('Change To')}{FIRST_ROW}:{col('Change To')}200", {"validate": "list", "source": "=Statuses!$B$2:$B$6"}
    )
    ws.ignore_errors({"number_stored_as_text": f"{col('Phone')}{FIRST_ROW}:{col('Phone')}200"})
    ws.insert_button("AC2", {"macro": "ApplyChanges", "caption": "Apply changes", "width": 110, "height": 30})
    ws.insert_image("AC5", "logo.png", {"image_data": io.BytesIO(tiny_png()), "x_scale": 10, "y_scale": 10})


def _notes_sheet(wb: xlsxwriter.Workbook, f: _Formats) -> None:
    ws = wb.add_worksheet(NOTES.name)
    for r, row in enumerate(NOTES_HISTORY, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, f.logged)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), f.date)
            elif value is not None:
                ws.write(r, c, value)
    ws.add_table(
        0,
        0,
        NOTES_LAST_ROW - 1,
        len(NOTES.columns) - 1,
        {
            "name": "NotesTable",
            "style": "Table Style Light 9",
            "columns": [{"header": h, "header_format": f.header} for h in NOTES.columns],
        },
    )
    ws.print_area(0, 0, NOTES_LAST_ROW - 1, len(NOTES.columns) - 1)


def _reports_sheet(wb: xlsxwriter.Workbook, f: _Formats) -> None:
    ws = wb.add_worksheet("Reports")
    ws.write(0, 0, "Prices by session", f.header)
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Price",
            "categories": f"=Sessions!${col('Client')}${FIRST_ROW}:${col('Client')}${LAST_ROW}",
            "values": f"=Sessions!${col('Price')}${FIRST_ROW}:${col('Price')}${LAST_ROW}",
        }
    )
    chart.set_style(26)
    chart.set_title({"name": "Session prices"})
    ws.insert_chart("A3", chart)
    ws.insert_image("J3", "logo.png", {"image_data": io.BytesIO(tiny_png()), "x_scale": 20, "y_scale": 20})


def _controls_sheet(wb: xlsxwriter.Workbook, f: _Formats) -> None:
    ws = wb.add_worksheet("Controls")
    ws.write(0, 0, "Studio controls", f.header)
    ws.insert_button("B3", {"macro": "RefreshSessions", "caption": "Refresh", "width": 110, "height": 30})
    ws.insert_textbox("B6", "Apply changes (click me)", {"width": 200, "height": 40})


def _share_down(path: Path, column: str, formula: Callable[[int], str]) -> None:
    """One column's formulas as one shared formula, as Excel writes a filled-down column (xlsxwriter can't)."""
    letter = col(column)

    def share(text: str) -> str:
        for r in range(FIRST_ROW, LAST_ROW + 1):
            new = (
                f'<f t="shared" ref="{letter}{FIRST_ROW}:{letter}{LAST_ROW}" si="{SHARED_GROUPS[column]}">'
                f"{formula(r)}</f>"
                if r == FIRST_ROW
                else f'<f t="shared" si="{SHARED_GROUPS[column]}"/>'
            )
            text = replace_once(f"<f>{formula(r)}</f>", new)(text)
        return text

    edit_member(path, sheet_parts(path)["Sessions"], share)


def _calc_chain(path: Path) -> None:
    """xl/calcChain.xml listing every formula cell, as Excel saves it (it repairs a file whose chain is stale)."""
    sessions = members(path)[sheet_parts(path)["Sessions"]].decode("utf-8")
    formulas = [m[1] for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*><f[ >/]', sessions)]
    sheet_id = re.search(r'<sheet name="Sessions" sheetId="(\d+)"', members(path)["xl/workbook.xml"].decode())[1]
    chain = "".join(f'<c r="{ref}" i="{sheet_id}"/>' if i == 0 else f'<c r="{ref}"/>' for i, ref in enumerate(formulas))
    add_member(
        path,
        "xl/calcChain.xml",
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain '
        f'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{chain}</calcChain>'.encode(),
    )
    edit_member(
        path,
        "[Content_Types].xml",
        replace_once("</Types>", f'<Override PartName="/xl/calcChain.xml" ContentType="{CALC_CHAIN_TYPE}"/></Types>'),
    )
    edit_member(
        path,
        "xl/_rels/workbook.xml.rels",
        replace_once(
            "</Relationships>",
            f'<Relationship Id="rIdCalc" Type="{CALC_CHAIN_REL}" Target="calcChain.xml"/></Relationships>',
        ),
    )


def _excel_2010_dropdown(path: Path) -> None:
    """The Package dropdown as Excel 2010+ writes a list on another sheet: x14:dataValidation in the extLst."""
    package = col("Package")
    ext = (
        f'<ext xmlns:x14="{X14_NS}" '
        f'uri="{X14_DATA_VALIDATIONS_URI}"><x14:dataValidations count="1" '
        'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation type="list" '
        'allowBlank="1" showInputMessage="1" showErrorMessage="1"><x14:formula1><xm:f>Lookups!$A$2:$A$4</xm:f>'
        f"</x14:formula1><xm:sqref>{package}{FIRST_ROW}:{package}200</xm:sqref></x14:dataValidation>"
        "</x14:dataValidations></ext>"
    )
    # the sheet's own extLst (a data bar's cfRule has an inner one): Excel lists the dropdowns' ext first
    first_ext = f'<ext xmlns:x14="{X14_NS}" uri="{X14_CONDITIONAL_FORMATS_URI}">'
    edit_member(path, sheet_parts(path)["Sessions"], replace_once(f"<extLst>{first_ext}", f"<extLst>{ext}{first_ext}"))


def _ribbon(path: Path) -> None:
    """A customUI ribbon tab, as the Office RibbonX editor adds it: a part and a package relationship."""
    ui = (
        '<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon><tabs>'
        '<tab id="sheetflowTab" label="Studio"><group id="statusGroup" label="Sessions">'
        '<button id="applyButton" label="Apply changes" size="large" onAction="ApplyChanges" imageMso="Refresh"/>'
        "</group></tab></tabs></ribbon></customUI>"
    )
    add_member(path, CUSTOM_UI_PART, ui.encode("utf-8"))
    edit_member(
        path,
        "_rels/.rels",
        replace_once(
            "</Relationships>",
            f'<Relationship Id="rIdUI14" Type="{CUSTOM_UI_REL}" Target="{CUSTOM_UI_PART}"/></Relationships>',
        ),
    )


# --- finding parts ------------------------------------------------------------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _targets(zf: zipfile.ZipFile, rels: str, folder: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, member name) of a relationships part."""
    if rels not in zf.namelist():
        return {}
    found = {}
    for rel in ElementTree.fromstring(zf.read(rels)).iter(f"{_PKG}Relationship"):
        target = rel.get("Target", "")
        member = target.lstrip("/") if target.startswith("/") else _normalize(f"{folder}/{target}")
        found[rel.get("Id", "")] = (rel.get("Type", ""), member)
    return found


def _normalize(path: str) -> str:
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> its worksheet member, e.g. {"Sessions": "xl/worksheets/sheet5.xml"}."""
    with zipfile.ZipFile(path) as zf:
        rels = _targets(zf, "xl/_rels/workbook.xml.rels", "xl")
        root = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        return {s.get("name", ""): rels[s.get(_R_ID, "")][1] for s in root.iter(f"{_MAIN}sheet")}


def related(path: Path, part: str, kind: str) -> list[str]:
    """Members a part points to whose relationship type ends with /kind (table, drawing, comments, …)."""
    folder, name = part.rsplit("/", 1)
    with zipfile.ZipFile(path) as zf:
        rels = _targets(zf, f"{folder}/_rels/{name}.rels", folder)
    return [member for typ, member in rels.values() if typ.rsplit("/", 1)[-1] == kind]


def _drawing_of(path: Path, sheet: str) -> str:
    return related(path, sheet_parts(path)[sheet], "drawing")[0]


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


# --- what was planted, read back from the package ------------------------------------------------------------------


def planted_items(path: Path, macro_enabled: bool) -> dict[str, bool]:
    """Each planted item and whether the package really holds it, judged on the XML itself."""
    parts = sheet_parts(path)
    files = members(path)

    def text(member: str) -> str:
        return files[member].decode("utf-8")

    sessions = text(parts["Sessions"])
    sessions_vml = text(related(path, parts["Sessions"], "vmlDrawing")[0])
    controls_vml = text(related(path, parts["Controls"], "vmlDrawing")[0])
    controls_drawing = text(related(path, parts["Controls"], "drawing")[0])
    reports_drawing = text(related(path, parts["Reports"], "drawing")[0])
    comments = text(related(path, parts["Sessions"], "comments")[0])
    workbook = text("xl/workbook.xml")
    types = text("[Content_Types].xml")
    shared_strings = text("xl/sharedStrings.xml")
    sheet_tags = {m[1]: m[0] for m in re.finditer(r'<sheet name="([^"]+)"[^>]*/>', workbook)}
    notes_tables = [text(t) for t in related(path, parts["Notes"], "table")]
    sessions_tables = [text(t) for t in related(path, parts["Sessions"], "table")]
    price, deposit = col("Price"), col("Deposit")
    items = {
        "VBA project (xl/vbaProject.bin, macro-enabled workbook type)": not macro_enabled
        or (
            "xl/vbaProject.bin" in files
            and MACRO_WORKBOOK_TYPE in types
            and files["xl/vbaProject.bin"].startswith(b"\xd0\xcf\x11\xe0")
        ),
        "form button with a macro on Sessions (VML FmlaMacro)": 'ObjectType="Button"' in sessions_vml
        and f"<x:FmlaMacro>{MACRO}</x:FmlaMacro>" in sessions_vml,
        "form button with a macro on Controls": "<x:FmlaMacro>[0]!RefreshSessions</x:FmlaMacro>" in controls_vml,
        "text box with an assigned macro (xdr:sp macro)": f'<xdr:sp macro="{MACRO}" textlink="">' in controls_drawing
        and 'txBox="1"' in controls_drawing,
        "chart with a style": any(m.startswith("xl/charts/chart") for m in files)
        and '<c:style val="26"/>' in next(text(m) for m in files if m.startswith("xl/charts/chart"))
        and "<xdr:graphicFrame" in reports_drawing,
        "image (PNG)": any(m.startswith("xl/media/") and files[m].startswith(b"\x89PNG") for m in files)
        and "<xdr:pic>" in reports_drawing,
        "comments on Sessions, one always visible": comments.count("<comment ") == 3
        and sessions_vml.count('ObjectType="Note"') == 3
        and sessions_vml.count("<x:Visible/>") == 1
        and "<legacyDrawing " in sessions,
        "rich text (a run with its own font) in a Sessions cell": re.search(
            r"<si><r><rPr><b/>.*?<t>VIP</t></r>", shared_strings
        )
        is not None,
        "Excel-2010 cross-sheet dropdown (x14:dataValidation) on Sessions": X14_DATA_VALIDATIONS_URI in sessions
        and "<xm:f>Lookups!$A$2:$A$4</xm:f>" in sessions,
        "plain cross-sheet dropdown on the Change To column": "<formula1>Statuses!$B$2:$B$6</formula1>" in sessions,
        "data bars (Excel 2010, extLst) on Sessions": X14_CONDITIONAL_FORMATS_URI in sessions
        and "<x14:dataBar " in sessions,
        "sparklines on Sessions": SPARKLINES_URI in sessions and "<x14:sparkline>" in sessions,
        "dynamic-array formula (cm, metadata part)": re.search(
            rf'<c r="{SPILL_COLUMN}2" s="\d+" cm="1"><f t="array" ref="{SPILL_COLUMN}2:{SPILL_COLUMN}5">'
            r"_xlfn\._xlws\.SORT\(",
            sessions,
        )
        is not None
        and "xl/metadata.xml" in files,
        "shared formula block": f'<f t="shared" ref="{deposit}2:{deposit}5" si="0">{price}2*0.3</f>' in sessions
        and sessions.count('<f t="shared" si="0"/>') == 3,
        "user formulas with stored results": re.search(r"<f>VLOOKUP\(.*?</f><v>900</v>", sessions) is not None,
        "ignored-error markers": "<ignoredErrors>" in sessions,
        "the studio logo on Sessions (a drawing)": "<drawing " in sessions
        and "<xdr:pic>" in text(related(path, parts["Sessions"], "drawing")[0]),
        "Sessions is an Excel table": any('name="SessionsTable"' in t for t in sessions_tables)
        and "<tableParts " in sessions,
        "Notes table, print area and a defined name over its rows": any(
            f'ref="A1:L{NOTES_LAST_ROW}"' in t for t in notes_tables
        )
        and f"Notes!$A$1:$L${NOTES_LAST_ROW}</definedName>" in workbook
        and "_xlnm.Print_Area" in workbook,
        "hidden sheet": 'state="hidden"' in sheet_tags.get("Lookups", ""),
        "protected sheet": "<sheetProtection " in text(parts["Price List"]),
        "calculation chain (xl/calcChain.xml) listing every formula cell": "xl/calcChain.xml" in files
        and CALC_CHAIN_REL in text("xl/_rels/workbook.xml.rels")
        and text("xl/calcChain.xml").count("<c ") == len(re.findall(r"<f[ >/]", sessions)) > 0,
        "conditional formatting on Problems": "<conditionalFormatting " in text(parts["Problems"]),
        "customUI ribbon part": CUSTOM_UI_PART in files
        and CUSTOM_UI_REL in text("_rels/.rels")
        and '<Default Extension="xml" ContentType="application/xml"/>' in types,
    }
    return items
