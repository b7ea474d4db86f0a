"""xlwings remote-engine books built from real workbook files, and the queued actions played back on a grid."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlwings as xw
from python_calamine import CalamineWorkbook


def _cell(value: Any) -> Any:
    """A value as the Office.js client sends it: dates as ISO text ending in Z, blanks as ""."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00.000Z")
    return value


def _tables(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each sheet's Excel tables as the Office.js client describes them."""
    import openpyxl

    found: dict[str, list[dict[str, Any]]] = {}
    for ws in openpyxl.load_workbook(path).worksheets:
        for name, ref in ws.tables.items():
            found.setdefault(ws.title, []).append(
                {
                    "name": name,
                    "range_address": ref,
                    "header_row_range_address": None,
                    "data_body_range_address": None,
                    "total_row_range_address": None,
                    "show_headers": True,
                    "show_totals": False,
                    "table_style": "TableStyleLight9",
                    "show_autofilter": True,
                }
            )
    return found


def payload(path: Path, selection: str = "A1", active: str = "Sessions") -> dict[str, Any]:
    book = CalamineWorkbook.from_path(str(path))
    tables = _tables(path)
    sheets = []
    for name in book.sheet_names:
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False) or [[""]]
        width = max(len(row) for row in grid)
        values = [[_cell(v) for v in row] + [""] * (width - len(row)) for row in grid]
        sheets.append({"name": name, "values": values, "pictures": [], "tables": tables.get(name, [])})
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": book.sheet_names.index(active), "selection": selection},
        "names": [],
        "sheets": sheets,
    }


def open_book(path: Path, **kwargs: Any) -> Any:
    return xw.Book(json=payload(path, **kwargs))


def _value(v: Any) -> Any:
    if isinstance(v, str) and v.startswith("'"):
        return v[1:]
    if isinstance(v, str) and len(v) >= 10 and v[4] == "-" and v[7] == "-":
        try:
            parsed = dt.datetime.fromisoformat(v.replace("Z", ""))
            return parsed.date() if parsed.time() == dt.time() else parsed
        except ValueError:
            return v
    return v


def played(book: Any, data: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """Each sheet's values after the book's queued actions (setValues, clearContents, addSheet) are applied."""
    sheets = [s["name"] for s in data["sheets"]]
    grids = {s["name"]: [[_value(v) for v in row] for row in s["values"]] for s in data["sheets"]}
    for action in book.json()["actions"]:
        func = action["func"]
        if func == "addSheet":
            position, name = action["args"]
            sheets.insert(position, name)
            grids[name] = []
            continue
        if func not in ("setValues", "rangeClearContents", "rangeClear"):
            continue
        grid = grids[sheets[action["sheet_position"]]]
        r0, c0 = action["start_row"], action["start_column"]
        values = action["values"] or [[None] * action["column_count"]] * action["row_count"]
        for i, row in enumerate(values):
            while len(grid) <= r0 + i:
                grid.append([])
            line = grid[r0 + i]
            for j, v in enumerate(row):
                while len(line) <= c0 + j:
                    line.append("")
                line[c0 + j] = "" if v is None else _value(v)
    return grids


def _sent(v: Any) -> Any:
    """A value written by an action as the Office.js client sends it back on the next click: text without the
    apostrophe that kept it text, dates as ISO text ending in Z, blanks as ""."""
    if v is None:
        return ""
    if isinstance(v, str) and v.startswith("'"):
        return v[1:]
    if isinstance(v, str) and len(v) >= 10 and v[4] == "-" and v[7] == "-":
        try:
            return _cell(dt.datetime.fromisoformat(v.replace("Z", "")))
        except ValueError:
            return v
    return v


def replayed(data: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The payload the next click sends: `data` with the actions (setValues, clears, addSheet, resizeTable)
    played into it, every sheet kept rectangular as the client sends it."""
    import copy

    data = copy.deepcopy(data)
    sheets = data["sheets"]
    for action in actions:
        func = action["func"]
        if func == "addSheet":
            position, name = action["args"]
            sheets.insert(position, {"name": name, "values": [[""]], "pictures": [], "tables": []})
            continue
        if func == "resizeTable":
            index, address = action["args"]
            sheet = sheets[action["sheet_position"]]
            sheet["tables"][index]["range_address"] = address.replace("$", "").split("!")[-1]
            continue
        if func not in ("setValues", "rangeClearContents", "rangeClear"):
            continue
        grid = sheets[action["sheet_position"]]["values"]
        r0, c0 = action["start_row"], action["start_column"]
        values = action.get("values") or [[None] * action["column_count"]] * action["row_count"]
        width = max(max((len(row) for row in grid), default=0), c0 + action["column_count"])
        for row in grid:
            row.extend([""] * (width - len(row)))
        while len(grid) < r0 + len(values):
            grid.append([""] * width)
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                grid[r0 + i][c0 + j] = _sent(v)
    for sheet in sheets:  # a sheet whose last rows were cleared still sends them, blank: as Excel's used range
        sheet["values"] = sheet["values"] or [[""]]
    return data
