"""Excel tables (ListObjects) grown over the rows typed right below them: the one rule that the file's writer
(workbook/listobjects.py) and the buttons (excel/buttons.py) both follow, and the words that tell the studio."""

from __future__ import annotations

from collections.abc import Iterable

from .cells import address
from .problems import Problem, Severity
from .schema import HOLIDAYS, LISTS, SETTINGS, STATUSES, TRIGGERS

# The sheets whose tables feed dropdowns and formulas (StatusNames, SessionTypes, HolidayDates, SettingValues …):
# rows typed below them are read by sheetflow, and must be inside the table for Excel to offer them.
GROWN_SHEETS = (STATUSES.name, LISTS.name, HOLIDAYS.name, TRIGGERS.name, SETTINGS.name)


def grown_last_row(last_row: int, filled_rows: Iterable[int], totals_row: bool = False) -> int:
    """A table's last row once it takes in the rows typed right below it: only rows that follow on without a gap
    (a blank row ends them). A table with a totals row is left alone (the totals stay its last row), and a table
    never shrinks."""
    if totals_row:
        return last_row
    last = last_row
    for number in sorted(set(filled_rows)):
        if number == last + 1:
            last = number
        elif number > last + 1:
            break
    return last


def typed_below_note(sheet: str, table: str, was_last: int, last: int, feeds: str = "") -> Problem:
    """What the studio is told at the first row a table took in; `feeds` names what the table serves, when it is
    not the dropdowns and names of the sheets above."""
    one = last == was_last + 1
    rows, were, them = (f"row {last}", "was", "it") if one else (f"rows {was_last + 1} to {last}", "were", "them")
    serves = feeds or f"the dropdowns and names fed by it offer {them} too"
    return Problem(
        sheet,
        address(was_last + 1, 1),
        f"{rows} {were} typed right below the table on this sheet ({table}, which ended at row "
        f"{was_last}); the table now takes {them} in, so {serves}",
        "nothing to do; a row typed with a blank row above it stays outside the table",
        Severity.WARNING,
    )
