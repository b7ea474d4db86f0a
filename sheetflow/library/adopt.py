"""`sheetflow init` as a library call: read the studio's own workbook, plan what it lacks (sheetflow.core.adoption),
and write it in one atomic patch — or, with dry_run, only say what would be done."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from ..authoring.template import starter_statuses
from ..core.adoption import Adoption, choose_sheet, plan
from ..core.problems import WorkbookError
from ..core.schema import ALL_SHEETS
from ..workbook.file import WorkbookFile, exclusive
from ..workbook.reader import read_grid, read_heads


def init(path: Path | str, sessions: str | None = None, columns: Sequence[str] = (), dry_run: bool = False) -> Adoption:
    """Add what the workbook lacks and map sheetflow's columns onto the studio's headers; a second run finds
    nothing to do and leaves the file as it is."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    book = WorkbookFile(path)
    with contextlib.nullcontext() if dry_run else exclusive(path):
        tables = book.read()
        heads = read_heads(path, skip=[schema.name for schema in ALL_SHEETS])  # sheetflow's are no client list
        choice = choose_sheet(list(heads), tables, heads, sessions)
        grid = read_grid(path, choice.sheet) if choice.sheet else []  # refused: plan() says why, with the rest
        adoption, book.tables = plan(tables, choice, grid, columns, starter_statuses(), dry_run=dry_run)
        adoption.notes = adoption.plan_lines()
        if not (dry_run or adoption.nothing_to_do):
            book.write(adoption.changes)
    return adoption
