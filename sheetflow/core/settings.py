"""The Settings sheet: studio name, work week, due-soon window, current user, date order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..schema import DATE_ORDERS, SETTING_DEFAULTS, SETTINGS, WEEKDAYS
from .cells import CellValueError, address, is_blank, normalize, read_bool, read_text, read_whole
from .problems import Problem, Severity
from .tables import Table


@dataclass
class Settings:
    studio: str = ""
    workdays: frozenset[int] = frozenset(range(5))
    statuses_by_type: bool = False
    current_user: str = ""
    due_soon_days: int = 2
    holiday_country: str = ""
    holiday_region: str = ""
    date_order: str = "DMY"
    cells: dict[str, str] = field(default_factory=dict)  # setting -> address of its Value cell


def read_settings(table: Table) -> tuple[Settings, list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, object] = {}
    cells: dict[str, str] = {}
    value_col = table.columns.get("value", 2)
    known = {normalize(name): name for name in SETTING_DEFAULTS}
    for row in table.rows:
        name = known.get(normalize(row.get("Setting")))
        if name is None:
            continue
        values[name] = row.get("Value")
        cells[name] = address(row.number, value_col)

    def where(name: str) -> str:
        return cells.get(name, "")

    def problem(name: str, message: str, fix: str) -> None:
        problems.append(Problem(SETTINGS.name, where(name), message, fix))

    def flag(name: str) -> bool:
        raw = values.get(name)
        default = SETTING_DEFAULTS[name] == "Yes"
        if is_blank(raw):
            return default
        try:
            return read_bool(raw)
        except CellValueError as exc:
            problem(name, f"{name}: {exc.message}", exc.fix)
            return default

    settings = Settings(cells=cells)
    settings.studio = read_text(values.get("Studio"))
    workdays = frozenset(i for i, day in enumerate(WEEKDAYS) if flag(day))
    if not workdays:
        problems.append(Problem(SETTINGS.name, where("Monday"), "the work week has no working day",
                                "mark at least one of Monday … Sunday Yes"))
        workdays = frozenset(range(5))
    settings.workdays = workdays
    settings.statuses_by_type = flag("Statuses by type")
    settings.current_user = read_text(values.get("Current user"))
    try:
        soon = read_whole(values.get("Due soon (business days)"), "Due soon")
        if soon is not None and not 0 <= soon <= 260:
            raise CellValueError(f"Due soon {soon} is not between 0 and 260 business days",
                                 "type how many business days ahead counts as due soon, such as 2")
        settings.due_soon_days = 2 if soon is None else soon
    except CellValueError as exc:
        problem("Due soon (business days)", exc.message, exc.fix)
    settings.holiday_country = read_text(values.get("Holiday country"))
    settings.holiday_region = read_text(values.get("Holiday region"))
    order = read_text(values.get("Date order")).upper().replace("/", "").replace("-", "") or "DMY"
    if order not in DATE_ORDERS:
        problems.append(Problem(SETTINGS.name, where("Date order"), f'Date order "{order}" is not known',
                                "type DMY, MDY or YMD", Severity.ERROR))
        order = "DMY"
    settings.date_order = order
    return settings, problems


def today_default() -> dt.date:
    return dt.date.today()
