"""Cell addresses and the reading of typed values out of what people type into cells."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

EXCEL_EPOCH = dt.date(1899, 12, 30)
EPOCH_1904 = dt.date(1904, 1, 1)  # <workbookPr date1904="1"/>: Mac Excel's old default, still an option everywhere
MIN_SERIAL = 61  # 1900-03-01: before it Excel's serials are off by its 1900 leap-year quirk
MAX_SERIAL = 2958465  # 9999-12-31
MIN_YEAR = 1900
_TRUE = {"yes", "y", "true", "1", "x", "✓", "✔"}
_FALSE = {"no", "n", "false", "0", ""}


def column_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def address(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


def position(cell: str) -> tuple[int, int]:
    """W1 -> (1, 23): the (row, column) of a plain cell reference, as `address` writes it."""
    letters = cell.rstrip("0123456789")
    if not letters.isalpha() or len(letters) == len(cell):
        raise ValueError(f"{cell!r} is not a cell reference")
    return int(cell[len(letters) :]), column_index(letters)


def normalize(text: object) -> str:
    """How names are compared everywhere: case, and extra spaces, ignored."""
    return " ".join(str(text).split()).casefold() if text is not None else ""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def display(value: object) -> str:
    """A cell's value as the studio owner sees it, for messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = printable(str(value))
    return text if len(text) <= 60 else text[:57] + "..."


def printable(text: str) -> str:
    """What a message may quote of a cell: one line, no control characters."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else " " for ch in text)


@dataclass(frozen=True)
class CellValueError(Exception):
    """A cell whose content can't be read as what its column holds."""

    message: str
    fix: str


def read_text(value: object) -> str:
    if type(value) is str:  # the common case first: this runs for every text cell of every session
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_bool(value: object) -> bool:
    """Yes/No, Y/N, True/False, 1/0, x/blank."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = normalize(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellValueError(f'"{display(value)}" is not Yes or No', "type Yes or No (Y/N, True/False, 1/0, x also work)")


def read_whole(value: object, what: str = "value") -> int | None:
    """A whole number, also when typed as text; blank gives None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellValueError(f"{what} {display(value)} is not a whole number", "type a whole number such as 10")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (not value.is_integer() or abs(value) > 1e15):
            raise CellValueError(f"{what} {display(value)} is not a whole number", "type a whole number such as 10")
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d{1,15}(\.0*)?", text):
        return int(float(text))
    raise CellValueError(f'{what} "{display(value)}" is not a whole number', "type a whole number such as 10")


def epoch(date1904: bool = False) -> dt.date:
    """Day 0 of the workbook's date system."""
    return EPOCH_1904 if date1904 else EXCEL_EPOCH


def from_serial(serial: float, date1904: bool = False) -> dt.datetime:
    return dt.datetime.combine(epoch(date1904), dt.time()) + dt.timedelta(days=serial)


def to_serial(value: dt.date | dt.datetime, date1904: bool = False) -> float | int:
    """A date as the workbook's serial number: the 1900 system (1900-03-01 onwards, which is all a studio
    needs) or the 1904 one."""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime.combine(epoch(date1904), dt.time())
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    return (value - epoch(date1904)).days


_NUMERIC_DATE = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_ORDER_HINT = {"DMY": "25/11/2026", "MDY": "11/25/2026", "YMD": "2026/11/25"}


def _year(y: int) -> int:
    # Excel's two-digit-year window: 00-29 -> 2000s, 30-99 -> 1900s.
    if y < 100:
        return 2000 + y if y < 30 else 1900 + y
    return y


def read_date(value: object, date_order: str = "DMY", date1904: bool = False) -> dt.date | None:
    """A real date, an Excel serial number (in the workbook's date system), ISO text, or text in the studio's
    date order."""
    kind = type(value)
    if kind is dt.date:
        return value  # type: ignore[return-value]
    if value is None or value == "":
        return None
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    hint = f"type it as a date such as {_ORDER_HINT.get(date_order, '2026-11-25')} or 2026-11-25"
    if isinstance(value, bool):
        raise CellValueError(f"{display(value)} is not a date", hint)
    if isinstance(value, (int, float)):
        low, high = (0, MAX_SERIAL - 1462) if date1904 else (MIN_SERIAL, MAX_SERIAL)
        if low <= value <= high:
            return from_serial(float(value), date1904).date()
        raise CellValueError(f"{display(value)} is not a date", hint)
    text = str(value).strip()
    iso = _ISO.fullmatch(text)
    try:
        if iso:
            return _excel_range(dt.date(int(iso[1]), int(iso[2]), int(iso[3])), hint)
        numeric = _NUMERIC_DATE.fullmatch(text)
        if numeric:
            a, b, c = int(numeric[1]), int(numeric[2]), int(numeric[3])
            if date_order == "YMD" or len(numeric[1]) == 4:
                return _excel_range(dt.date(_year(a), b, c), hint)
            if date_order == "MDY":
                return _excel_range(dt.date(_year(c), a, b), hint)
            return _excel_range(dt.date(_year(c), b, a), hint)
        return _excel_range(_read_worded_date(text, hint), hint)
    except ValueError as exc:
        raise CellValueError(f'"{display(value)}" is not a date ({exc})', hint) from None


def _excel_range(day: dt.date, hint: str) -> dt.date:
    if day.year < MIN_YEAR:
        raise CellValueError(f"{day.year} is not a year Excel can hold", hint)
    return day


def _read_worded_date(text: str, hint: str) -> dt.date:
    """Dates with month names ("25 Nov 2026"); every part must be there, nothing guessed."""
    from dateutil import parser

    if not re.search(r"[A-Za-z]{3}", text):
        raise CellValueError(f'"{display(text)}" is not a date', hint)
    try:
        first = parser.parse(text, default=dt.datetime(2001, 1, 1))
        second = parser.parse(text, default=dt.datetime(2002, 2, 2))
    except (ValueError, OverflowError):
        raise CellValueError(f'"{display(text)}" is not a date', hint) from None
    if first.date() != second.date():
        raise CellValueError(f'"{display(text)}" is missing its day, month or year', hint)
    return first.date()
