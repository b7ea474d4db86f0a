"""Small workbooks for tests, written by xlsxwriter (shared strings, like Excel) — not by sheetflow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
from python_calamine import CalamineWorkbook

Rows = Sequence[Sequence[Any]]

SETTINGS = [
    ["Setting", "Value"],
    ["Studio", "Test Studio"],
    ["Monday", "Yes"],
    ["Tuesday", "Yes"],
    ["Wednesday", "Yes"],
    ["Thursday", "Yes"],
    ["Friday", "Yes"],
    ["Saturday", "No"],
    ["Sunday", "No"],
    ["Statuses by type", "No"],
    ["Current user", "Maya"],
    ["Due soon (business days)", 2],
    ["Date order", "DMY"],
]
STATUS_HEADER = [
    "Session Type",
    "Description",
    "Sort Order",
    "Typical Duration",
    "Initial",
    "Final",
    "Stage",
    "Default User",
    "Inactive",
]
STATUSES = [
    STATUS_HEADER,
    ["", "Session Pending", 10, 0, "Yes", "", "Booking", "Maya", ""],
    ["", "Image Capture Pending", 20, 2, "", "", "Capture", "Jon", ""],
    ["", "Retouch Pending", 30, 5, "", "", "Editing", "Priya", ""],
    ["", "Old Step", 35, 1, "", "", "Editing", "", "Yes"],
    ["", "Order Delivered", 40, "", "", "Yes", "Delivery", "Maya", ""],
]
SESSION_HEADER = [
    "Session ID",
    "Client",
    "Email",
    "Phone",
    "Session Type",
    "Session Date",
    "Status",
    "Status Date",
    "Due Date",
    "Manual Due",
    "Assigned To",
    "Updated By",
    "Flag",
    "Days Overdue",
    "Change To",
    "Date Completed",
    "New Due Date",
    "Changed By",
    "Change Note",
]
LISTS = [
    ["Session Type", "Stage", "User"],
    ["Portrait", "Booking", "Maya"],
    ["Wedding", "Capture", "Jon"],
    ["", "Editing", "Priya"],
    ["", "Delivery", ""],
]


def session(**values: Any) -> list[Any]:
    """A Sessions row in the standard column order, from keyword names like status_date=..."""
    row = []
    for name in SESSION_HEADER:
        row.append(values.get(name.lower().replace(" ", "_")))
    return row


def build(path: Path, sheets: Mapping[str, Rows], tables: Sequence[str] = ()) -> Path:
    """Write sheets of rows; dates become real Excel dates; sheets named in `tables` become Excel tables."""
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    ws.write_datetime(r, c, value, date_fmt)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                elif isinstance(value, str) and value.startswith("=") and value.isprintable():
                    ws.write_formula(r, c, value)  # xlsxwriter writes a formula's text raw: control characters
                elif isinstance(value, str):  # would make the XML one no reader opens; Excel never saves that
                    ws.write_string(r, c, value)
                else:
                    ws.write(r, c, value)
        if name in tables and rows:
            width = max(len(r) for r in rows)
            ws.add_table(
                0,
                0,
                max(len(rows) - 1, 1),
                width - 1,
                {"name": f"{name}Table", "columns": [{"header": str(h)} for h in rows[0]]},
            )
    wb.close()
    return path


def studio(
    path: Path,
    sessions: Rows,
    statuses: Rows = STATUSES,
    settings: Rows = SETTINGS,
    extra: Mapping[str, Rows] | None = None,
    tables: Sequence[str] = (),
    holidays: Rows = (),
) -> Path:
    sheets: dict[str, Rows] = {
        "Settings": settings,
        "Statuses": statuses,
        "Lists": LISTS,
        "Holidays": [["Date", "Name"], *holidays],
        "Sessions": [SESSION_HEADER, *sessions],
    }
    sheets.update(extra or {})
    return build(path, sheets, tables)


def cells(path: Path, sheet: str) -> list[list[Any]]:
    """A sheet's values as calamine reads them (stored formula results included)."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def records(path: Path, sheet: str) -> list[dict[str, Any]]:
    """Rows below the header as dicts, read by openpyxl (a second, independent reader)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    header = [str(h) if h is not None else "" for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def dashboard_parts(path: Path) -> set[str]:
    """The Dashboard sheet's part and everything hanging from it: its relationships, drawing and charts."""
    import zipfile

    from sheetflow.workbook import package as pkg

    with zipfile.ZipFile(path) as zf:
        entry = pkg.Package.open(zf).sheet("Dashboard")
        if entry is None:
            return set()
        found, queue = {entry.part}, [entry.part]
        while queue:
            part = queue.pop()
            if pkg.rels_path(part) in zf.NameToInfo:
                found.add(pkg.rels_path(part))
            for _, _, target in pkg.relationships(zf, part):
                if target not in found:
                    found.add(target)
                    queue.append(target)
    return found


def styles_only_grew(before: bytes, after: bytes) -> list[str]:
    """Assert that styles.xml only gained fonts, number formats and cell styles at the ends of their lists (so no
    existing style moved); return the cell styles (<xf …/>) it gained."""
    import re

    old, new = before.decode(), after.decode()
    gained: dict[str, list[str]] = {}
    for tag, item in (("fonts", "font"), ("numFmts", "numFmt"), ("cellXfs", "xf")):
        pattern = re.compile(rf"<{tag}\b[^>]*>(.*?)</{tag}>", re.S)
        old_m, new_m = pattern.search(old), pattern.search(new)
        old_body = old_m[1] if old_m else ""
        assert new_m is not None or not old_m, f"<{tag}> disappeared"
        new_body = new_m[1] if new_m else ""
        assert new_body.startswith(old_body), f"existing <{tag}> entries changed"
        extra = new_body[len(old_body) :]
        gained[tag] = re.findall(rf"<{item}\b.*?(?:/>|</{item}>)", extra, re.S)
        count = re.search(r'count="(\d+)"', new_m[0][: new_m[0].index(">")]) if new_m else None
        if count:
            assert int(count[1]) == len(re.findall(rf"<{item}\b", new_body)), f"<{tag}> count is off"
        old = pattern.sub(f"<{tag}/>", old, count=1) if old_m else old
        new = pattern.sub(f"<{tag}/>", new, count=1) if new_m else new
    assert re.sub(r"<numFmts/>", "", new) == re.sub(r"<numFmts/>", "", old), "styles.xml changed beyond its lists"
    return gained["cellXfs"]


def typed_below(path: Path, sheet: str, rows: list[list[object]], gap_then: list[object] | None = None) -> Path:
    """Rows typed under the sheet's table as a person types them in Excel (here through openpyxl), and after a
    blank row, optionally, one more."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for row in rows:
        ws.append(row)
    if gap_then is not None:
        after_a_blank_row = ws.max_row + 2
        for c, value in enumerate(gap_then, start=1):
            ws.cell(after_a_blank_row, c, value)
    wb.save(path)
    return path
