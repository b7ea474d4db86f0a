"""The Settings sheet: studio name, work week, due-soon window, current user, date order, SMTP server."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .cells import CellValueError, address, is_blank, normalize, read_bool, read_text, read_whole
from .problems import Problem, Severity
from .schema import DATE_ORDERS, SETTING_DEFAULTS, SETTINGS, SMTP_SECURITY, WEEKDAYS
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
    smtp_host: str = ""
    smtp_port: int | None = None  # None: the usual port for smtp_security
    smtp_sender: str = ""
    smtp_security: str = "starttls"
    smtp_user: str = ""
    password_cells: list[str] = field(default_factory=list)  # Value cells of rows that hold a password
    cells: dict[str, str] = field(default_factory=dict)  # setting -> address of its Value cell


_PASSWORD_NAME = re.compile(r"pass(word|wd)|\bpwd\b")
PASSWORD_FIX = ("delete the value (and change the password if the file has been shared), then store it with "
                "`keyring set sheetflow USER@HOST` or in the SHEETFLOW_SMTP_PASSWORD environment variable")


def read_smtp_port(value: object) -> int | None:
    port = read_whole(value, "SMTP port")
    if port is not None and not 1 <= port <= 65535:
        raise CellValueError(f"SMTP port {port} is not a port number",
                             "type the port your mail provider gives, such as 587, or leave it blank")
    return port


def read_smtp_security(value: object) -> str:
    """none, starttls or ssl; "SSL/TLS" as mail programs spell it is ssl. Plain "TLS" is ambiguous: refused."""
    text = normalize(value).replace(" ", "")
    text = {"": str(SETTING_DEFAULTS["SMTP security"]), "ssl/tls": "ssl", "no": "none"}.get(text, text)
    if text not in SMTP_SECURITY:
        raise CellValueError(f'SMTP security "{read_text(value)}" is not none, starttls or ssl',
                             "type starttls (usually port 587) or ssl (usually port 465), as your mail provider says")
    return text


def read_settings(table: Table) -> tuple[Settings, list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, object] = {}
    cells: dict[str, str] = {}
    password_cells: list[str] = []
    value_col = table.columns.get("value", 2)
    known = {normalize(name): name for name in SETTING_DEFAULTS}
    for row in table.rows:
        name = known.get(normalize(row.get("Setting")))
        if name is None:
            if _PASSWORD_NAME.search(normalize(row.get("Setting"))) and not is_blank(row.get("Value")):
                password_cells.append(address(row.number, value_col))
                problems.append(Problem(
                    SETTINGS.name, address(row.number, value_col),
                    f'Setting "{read_text(row.get("Setting"))}" holds a password, and passwords must never be kept '
                    "in the workbook: anyone with a copy of the file can read it", PASSWORD_FIX, Severity.WARNING))
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
    settings.password_cells = password_cells
    settings.smtp_host = read_text(values.get("SMTP host"))
    settings.smtp_sender = read_text(values.get("SMTP sender"))
    settings.smtp_user = read_text(values.get("SMTP user"))
    for name, reader, attribute in (("SMTP port", read_smtp_port, "smtp_port"),
                                    ("SMTP security", read_smtp_security, "smtp_security")):
        try:
            setattr(settings, attribute, reader(values.get(name)))
        except CellValueError as exc:
            problem(name, exc.message, exc.fix)
    return settings, problems


def today_default() -> dt.date:
    return dt.date.today()
