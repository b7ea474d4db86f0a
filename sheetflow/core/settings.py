"""The Settings sheet: studio name, work week, due-soon window, current user, date order, SMTP server."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .calendar_settings import read_calendar_file, read_time_zone
from .cells import CellValueError, address, display, is_blank, normalize, read_bool, read_text, read_whole
from .problems import Problem, Severity
from .schema import (
    COLUMN_SETTING_PREFIX,
    DATE_ORDERS,
    MAPPING_SETTINGS,
    SETTING_DEFAULTS,
    SETTINGS,
    SMTP_SECURITY,
    WEEKDAYS,
)
from .suggest import closest
from .tables import Row, Table

if TYPE_CHECKING:
    from .outcome import ChangeSet


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
    smtp_host: str = ""
    smtp_port: int | None = None  # None: the usual port for smtp_security
    smtp_sender: str = ""
    smtp_security: str = "starttls"
    smtp_user: str = ""
    time_zone: str = ""  # IANA name of the studio's calendar times; "": the computer's
    calendar_file: str = ""  # the .ics every refresh keeps beside the workbook; "": none
    password_cells: list[str] = field(default_factory=list)  # Value cells of rows that hold a password
    cells: dict[str, str] = field(default_factory=dict)  # setting -> address of its Value cell


_PASSWORD_NAME = re.compile(r"pass(word|wd)|\bpwd\b")
PASSWORD_FIX = (
    "delete the value (and change the password if the file has been shared), then store it with "
    "`keyring set sheetflow USER@HOST` or in the SHEETFLOW_SMTP_PASSWORD environment variable"
)


def read_smtp_port(value: object) -> int | None:
    port = read_whole(value, "SMTP port")
    if port is not None and not 1 <= port <= 65535:
        raise CellValueError(
            f"SMTP port {port} is not a port number",
            "type the port your mail provider gives, such as 587, or leave it blank",
        )
    return port


def read_smtp_security(value: object) -> str:
    """none, starttls or ssl; "SSL/TLS" as mail programs spell it is ssl. Plain "TLS" is ambiguous: refused."""
    text = normalize(value).replace(" ", "")
    text = {"": str(SETTING_DEFAULTS["SMTP security"]), "ssl/tls": "ssl", "no": "none"}.get(text, text)
    if text not in SMTP_SECURITY:
        raise CellValueError(
            f'SMTP security "{read_text(value)}" is not none, starttls or ssl',
            "type starttls (usually port 587) or ssl (usually port 465), as your mail provider says",
        )
    return text


def read_settings(table: Table) -> tuple[Settings, list[Problem]]:
    """The settings, each unreadable one reported at its Value cell and left at its default."""
    found = _SettingValues.collect(table)
    settings = Settings(cells=found.cells)
    settings.studio = found.text("Studio")
    settings.workdays = _work_week(found)
    settings.statuses_by_type = found.flag("Statuses by type")
    settings.current_user = found.text("Current user")
    settings.due_soon_days = _due_soon(found)
    settings.holiday_country = found.text("Holiday country")
    settings.holiday_region = found.text("Holiday region")
    settings.date_order = _date_order(found)
    settings.password_cells = found.password_cells
    settings.smtp_host = found.text("SMTP host")
    settings.smtp_sender = found.text("SMTP sender")
    settings.smtp_user = found.text("SMTP user")
    for name, reader, attribute in (
        ("SMTP port", read_smtp_port, "smtp_port"),
        ("SMTP security", read_smtp_security, "smtp_security"),
        ("Time zone", read_time_zone, "time_zone"),
        ("Calendar file", read_calendar_file, "calendar_file"),
    ):
        try:
            setattr(settings, attribute, reader(found.values.get(name)))
        except CellValueError as exc:
            found.problem(name, exc.message, exc.fix)
    return settings, found.problems


@dataclass
class _SettingValues:
    """The Settings sheet's known rows by name, with where each Value cell is and what was wrong so far."""

    values: dict[str, object] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    password_cells: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def collect(cls, table: Table) -> _SettingValues:
        """Each known setting's value; an unknown row that holds a password is a warning, never kept."""
        found = cls()
        value_col = table.columns.get("value", 2)
        known = {normalize(name): name for name in SETTING_DEFAULTS}
        for row in table.rows:
            name = known.get(normalize(row.get("Setting")))
            if name is None:
                if _PASSWORD_NAME.search(normalize(row.get("Setting"))) and not is_blank(row.get("Value")):
                    found.password_cells.append(address(row.number, value_col))
                    found.problems.append(
                        Problem(
                            SETTINGS.name,
                            address(row.number, value_col),
                            f'Setting "{read_text(row.get("Setting"))}" holds a password, and passwords must never be '
                            "kept in the workbook: anyone with a copy of the file can read it",
                            PASSWORD_FIX,
                            Severity.WARNING,
                        )
                    )
                else:
                    found._misspelt(row)
                continue
            found.values[name] = row.get("Value")
            found.cells[name] = address(row.number, value_col)
        return found

    def _misspelt(self, row: Row) -> None:
        """A row whose name is not a setting but is close to one (a typo, so the setting keeps its default): a
        warning at its name, with the name it was most likely meant to be. Rows far from every name are the
        studio's own (notes, headings) and are left alone."""
        typed = read_text(row.get("Setting"))
        if not typed or normalize(typed).startswith(normalize(COLUMN_SETTING_PREFIX)):
            return  # `Column for …` rows are checked with the column mapping
        meant = closest(typed, [*SETTING_DEFAULTS, *MAPPING_SETTINGS])
        if meant is None:
            return
        self.problems.append(
            Problem(
                SETTINGS.name,
                row.cell("Setting"),
                f'Setting "{display(typed)}" is not a setting sheetflow knows, so its value is not used',
                f'did you mean "{meant}"? Type the name exactly as it is, or clear the row',
                Severity.WARNING,
            )
        )

    def where(self, name: str) -> str:
        return self.cells.get(name, "")

    def problem(self, name: str, message: str, fix: str, severity: Severity = Severity.ERROR) -> None:
        self.problems.append(Problem(SETTINGS.name, self.where(name), message, fix, severity))

    def text(self, name: str) -> str:
        return read_text(self.values.get(name))

    def flag(self, name: str) -> bool:
        """A Yes/No setting; blank or unreadable: its default."""
        raw = self.values.get(name)
        default = SETTING_DEFAULTS[name] == "Yes"
        if is_blank(raw):
            return default
        try:
            return read_bool(raw)
        except CellValueError as exc:
            self.problem(name, f"{name}: {exc.message}", exc.fix)
            return default


def write_setting(table: Table, changes: ChangeSet, name: str, value: object) -> None:
    """One Settings value in a run's own write: its row's Value cell, or a new row below the others when the
    sheet has none yet (a workbook made before the setting existed)."""
    for row in table.rows:
        if normalize(row.get("Setting")) == normalize(name):
            changes.set(table.sheet, row.number, "Value", value)
            return
    changes.append(table.sheet, {"Setting": name, "Value": value})


def _work_week(found: _SettingValues) -> frozenset[int]:
    """The days marked Yes, Monday = 0; none at all is an error, and Monday to Friday is used."""
    workdays = frozenset(i for i, day in enumerate(WEEKDAYS) if found.flag(day))
    if not workdays:
        found.problem("Monday", "the work week has no working day", "mark at least one of Monday … Sunday Yes")
        return frozenset(range(5))
    return workdays


def _due_soon(found: _SettingValues) -> int:
    """How many business days ahead counts as due soon: 0 to 260, blank or unreadable 2."""
    try:
        soon = read_whole(found.values.get("Due soon (business days)"), "Due soon")
        if soon is not None and not 0 <= soon <= 260:
            raise CellValueError(
                f"Due soon {soon} is not between 0 and 260 business days",
                "type how many business days ahead counts as due soon, such as 2",
            )
    except CellValueError as exc:
        found.problem("Due soon (business days)", exc.message, exc.fix)
        return 2
    return 2 if soon is None else soon


def _date_order(found: _SettingValues) -> str:
    """DMY, MDY or YMD, however separated (D/M/Y); blank or unknown: DMY."""
    order = found.text("Date order").upper().replace("/", "").replace("-", "") or "DMY"
    if order not in DATE_ORDERS:
        found.problem("Date order", f'Date order "{order}" is not known', "type DMY, MDY or YMD")
        return "DMY"
    return order
