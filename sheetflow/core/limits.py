"""Excel's sheet limits, and what to tell a studio owner when a sheet nears or would pass them.

Pure Python: the writer refuses a run that would pass them (exit 2, nothing written), `validate` warns from 95%
full, and both name the sheet and the way out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from .problems import Problem, Severity, WorkbookError
from .schema import FIRED, NOTES, OUTBOX, PROBLEMS, SESSIONS, TASKS

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384  # column XFD
NEARLY_FULL = 0.95
NEARLY_FULL_ROWS = int(MAX_ROWS * NEARLY_FULL) + 1  # 996,148: from here validate warns
GROWING_SHEETS = (NOTES.name, TASKS.name, OUTBOX.name, PROBLEMS.name, FIRED.name)


class SheetFull(WorkbookError):
    """A run would take a sheet past Excel's last row or column (exit 2, nothing written); the message says which
    and the way out."""


@dataclass
class SheetFill:
    """How far down each growing sheet is used (its last used row, the header included), for `validate`."""

    workbook: str  # the file name, for the commands the messages suggest
    last_rows: dict[str, int] = field(default_factory=dict)  # schema sheet name -> last used row


def suggested_cut(oldest: dt.date | None, today: dt.date) -> dt.date:
    """A --before date to suggest: the first of this year when the oldest note is older, else of this month."""
    if oldest is None or oldest.year < today.year:
        return dt.date(today.year, 1, 1)
    return dt.date(today.year, today.month, 1)


def way_out(sheet: str, workbook: str, cut: dt.date) -> str:
    """What frees room on a full sheet, in the studio owner's words."""
    if sheet == NOTES.name:
        return (
            f"move older notes to an archive with `sheetflow notes archive {workbook} --before {cut.isoformat()}` "
            "(add --dry-run to see first what it would move)"
        )
    if sheet == TASKS.name:
        return "delete the Tasks rows that are Done (copy them to another workbook first if you want to keep them)"
    if sheet == OUTBOX.name:
        return "delete the Outbox rows already sent (Sent At filled in), keeping a copy elsewhere if you need them"
    if sheet == FIRED.name:
        return (
            f"unhide the {FIRED.name} sheet (right-click a sheet tab › Unhide) and delete its rows of sessions "
            "no longer on the Sessions sheet"
        )
    if sheet == PROBLEMS.name:
        return "fix what most of them share (often one Settings row, such as Date order, or one column of Sessions)"
    return "delete rows you no longer need"


def shown(sheet: str, real_name: str) -> str:
    """The sheet as a message names it (the hidden ledger explained)."""
    if sheet == FIRED.name:
        return f"{real_name} (the hidden sheet that remembers which triggers have fired)"
    return real_name


def rows_full(
    sheet: str, real_name: str, last_row: int, adding: int, workbook: str, cut: dt.date, example: str = ""
) -> str:
    """The one line for a run refused because a sheet would pass Excel's last row."""
    if sheet == PROBLEMS.name:
        first = f' (the first: "{example}")' if example else ""
        return (
            f"{shown(sheet, real_name)} is full: this run found {adding:,} problems{first} and Excel stops at "
            f"{MAX_ROWS:,} rows — {way_out(sheet, workbook, cut)} and run again; nothing was changed"
        )
    return (
        f"{shown(sheet, real_name)} is full: it has {last_row:,} rows, this run would add {adding:,}, and Excel "
        f"stops at {MAX_ROWS:,} — {way_out(sheet, workbook, cut)} and run again; nothing was changed"
    )


def columns_full(real_name: str, last_col: int, adding: list[str]) -> str:
    """The one line for a run refused because new columns would go past XFD."""
    from .cells import column_letter

    names = ", ".join(adding[:5]) + (f" and {len(adding) - 5} more" if len(adding) > 5 else "")
    where = "Sessions" if real_name == SESSIONS.name else real_name
    return (
        f"{where} has headers up to column {column_letter(last_col)}, and the {len(adding)} column"
        f"{'s' if len(adding) != 1 else ''} sheetflow adds right of them ({names}) would go past column "
        f"{column_letter(MAX_COLUMNS)}, the last Excel has — delete unused columns right of the {where} headers "
        "(or clear a stray cell far to the right of the header row) and run again; nothing was changed"
    )


def fill_warnings(
    fill: SheetFill,
    names: Mapping[str, str],
    problems_to_write: int,
    today: dt.date,
    oldest_note: dt.date | None = None,
) -> list[Problem]:
    """Warnings for sheets from 95% full, each naming the way out before a run is refused; `names` gives each
    schema sheet's real name, `problems_to_write` the rows Problems is about to hold."""
    found: list[Problem] = []
    used = dict(fill.last_rows)
    used[PROBLEMS.name] = problems_to_write + 1
    cut = suggested_cut(oldest_note, today)
    for sheet in GROWING_SHEETS:
        rows = used.get(sheet, 0)
        if rows < NEARLY_FULL_ROWS:
            continue
        real = names.get(sheet, sheet)
        share = min(rows * 100 // MAX_ROWS, 100)  # 95% means 95% or more, never rounded up
        found.append(
            Problem(
                real,
                f"A{min(rows, MAX_ROWS)}",
                f"{shown(sheet, real)} is {share}% full: {rows:,} of Excel's {MAX_ROWS:,} rows",
                f"{way_out(sheet, fill.workbook, cut)} — a run that would pass the last row changes nothing",
                Severity.WARNING,
            )
        )
    return found
