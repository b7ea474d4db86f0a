"""A studio's own workbook, as it had it before sheetflow: a Clients sheet with its own headers and an Expenses
sheet with a formula and a defined name (sheetflow init adopts it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

CLIENTS = [
    ["Client Name", "Shoot Date", "Email Address", "Package", "Paid"],
    ["Ann Lee", dt.date(2026, 12, 2), "ann@example.com", "Mini", "Yes"],
    ["Bo Chen", dt.date(2026, 12, 20), "", "Family", "No"],
    ["Cy Diaz", dt.date(2027, 1, 9), "cy@example.com", "Wedding", "Yes"],
]
EXPENSES = [["Item", "Amount"], ["Film", 12], ["Prints", 30]]


def by_openpyxl(path: Path) -> Path:
    """The studio's workbook as openpyxl writes it (a formula and a defined name on another sheet)."""
    wb = openpyxl.Workbook()
    clients = wb.active
    clients.title = "Clients"
    for row in CLIENTS:
        clients.append(row)
    for cell in clients["B"][1:]:
        cell.number_format = "dd/mm/yyyy"
    expenses = wb.create_sheet("Expenses")
    for row in EXPENSES:
        expenses.append(row)
    expenses["B4"] = "=SUM(B2:B3)"
    wb.defined_names["Spent"] = openpyxl.workbook.defined_name.DefinedName("Spent", attr_text="Expenses!$B$4")
    wb.save(path)
    return path
