"""The Holidays sheet: public holidays added to it. Where the holidays come from (python-holidays) is
library/public_holidays.py's business; this half only sees (date, name) pairs, so it runs in xlwings Lite too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .cells import CellValueError, is_blank, read_date
from .maintenance import ListOutcome, plural
from .problems import Problem, Severity
from .schema import HOLIDAYS
from .studio import ChangeSet, Studio
from .tables import Row, missing_table


def add_holidays(studio: Studio, found: Iterable[tuple[dt.date, str]], label: str = "") -> ListOutcome:
    """Public holidays onto the Holidays sheet: new dates appended in date order, a date already there (in whatever
    form its cell has) never repeated — a blank Name beside it gets the holiday's name — and no row removed."""
    table = studio.tables.get(HOLIDAYS.name) or missing_table(HOLIDAYS.name)
    changes = ChangeSet()
    problems: list[Problem] = []
    there: dict[dt.date, Row | None] = {}
    if not table.exists:
        changes.new_sheets.append(HOLIDAYS.name)
    else:
        missing = table.plan_missing(HOLIDAYS.columns)
        if missing:
            changes.new_columns[HOLIDAYS.name] = missing
        for row in table.rows:
            raw = row.get("Date")
            try:
                day = read_date(raw, studio.settings.date_order, table.date1904)
            except CellValueError as exc:
                problems.append(
                    Problem(HOLIDAYS.name, row.cell("Date"), f"Date: {exc.message}", exc.fix, Severity.WARNING)
                )
                continue
            if day is not None:
                there.setdefault(day, row)
    added = named = kept = 0
    for day, name in sorted(dict(found).items()):
        if day in there:
            kept += 1
            row = there[day]
            if row is not None and table.has("Name") and is_blank(row.get("Name")):
                changes.set(HOLIDAYS.name, row.number, "Name", name)
                named += 1
            continue
        changes.append(HOLIDAYS.name, {"Date": day, "Name": name})
        there[day] = None
        added += 1
    done = f"{plural(added, 'holiday')} added" + (f", {named} named" if named else "")
    if label:
        done += f" ({label})"
    notes = [f"{plural(kept, 'holiday')} already on the Holidays sheet left as they were"] if kept else []
    return ListOutcome(command="holidays", changes=changes, problems=problems, done=done, notes=notes)
