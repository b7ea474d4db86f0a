"""How far down the growing sheets are used, read cheaply for `validate`'s warnings: each sheet's <dimension>
(its first bytes) when it claims the sheet is far from full, else its rows counted from the tail."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..core.limits import GROWING_SHEETS, NEARLY_FULL_ROWS, SheetFill
from ..core.schema import PROBLEMS
from ..core.tables import Table
from . import package as pkg
from .reader import open_zip
from .writer import _dimension_last_row, _last_value_row


def sheet_fill(path: Path, tables: Mapping[str, Table]) -> SheetFill:
    """The last used row of Notes, Tasks, Outbox and the ledger (Problems is rewritten: its new size counts).
    A dimension can overstate (Excel's covers formatted empty rows): one that claims 95% is checked by counting."""
    fill = SheetFill(workbook=path.name)
    with open_zip(path) as zf:
        package = pkg.Package.open(zf)
        for sheet in GROWING_SHEETS:
            table = tables.get(sheet)
            if sheet == PROBLEMS.name or table is None or not table.exists:
                continue
            entry = package.sheet(table.sheet)
            if entry is None:
                continue
            guess = _dimension_last_row(zf, entry.part)
            if guess is None or guess >= NEARLY_FULL_ROWS:
                guess = _last_value_row(zf, entry.part)
            fill.last_rows[sheet] = guess
    return fill
