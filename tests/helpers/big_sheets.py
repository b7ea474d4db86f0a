"""Sheets of a million rows, built as bytes in a second (not through openpyxl): Excel's row limit and the
Notes archive are tested on the sizes studios reach."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

from helpers.workbooks import session, studio
from sheetflow.core.schema import NOTES, TASKS
from sheetflow.workbook import package as pkg

LAST = 1_048_576
NOTES_HEADER = list(NOTES.columns)
START = dt.datetime(2021, 1, 4, 9)  # the first generated note
PER_DAY = 600  # generated notes per day: a million span about five years


def logged_at(n: int) -> dt.datetime:
    """When generated note n (n = 2 for the first data row) was logged."""
    return START + dt.timedelta(days=(n - 2) / PER_DAY)


def header_xml(columns: list[str]) -> bytes:
    from sheetflow.core.cells import column_letter

    cells_ = b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (column_letter(i).encode(), name.encode())
        for i, name in enumerate(columns, start=1)
    )
    return b'<row r="1">' + cells_ + b"</row>"


def sheet_xml(rows: bytes, last: int, columns: list[str], dimension: str | None = None) -> bytes:
    dim = dimension if dimension is not None else f"A1:J{last}"
    dim_xml = f'<dimension ref="{dim}"/>'.encode() if dim else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="'
        + pkg.MAIN_NS.encode()
        + b'">'
        + dim_xml
        + b"<sheetData>"
        + header_xml(columns)
        + rows
        + b"</sheetData></worksheet>"
    )


def notes_rows(last: int, first: int = 2, full: bool = False) -> bytes:
    """Rows first..last of a Notes sheet: Logged At (a serial), Session ID, To Status — a few dozen bytes each; `full`
    fills the other columns too, as sheetflow writes them (about 300 bytes a row)."""
    base = (START - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    if not full:
        short = (
            b'<row r="%d"><c r="A%d"><v>%.6f</v></c><c r="B%d"><v>%d</v></c><c r="E%d" t="inlineStr">'
            b"<is><t>Session Pending</t></is></c></row>"
        )
        return b"".join(short % (n, n, base + (n - 2) / PER_DAY, n, 900 + n % 50, n) for n in range(first, last + 1))
    text = b'<c r="%s%%d" t="inlineStr"><is><t>%s</t></is></c>'
    template = (
        b'<row r="%d" spans="1:10"><c r="A%d"><v>%.6f</v></c><c r="B%d"><v>%d</v></c>'
        + text % (b"C", b"Client %d")
        + text % (b"D", b"Image Capture Pending")
        + text % (b"E", b"Retouch Pending")
        + b'<c r="F%d"><v>%d</v></c><c r="G%d"><v>%d</v></c>'
        + text % (b"H", b"Maya")
        + text % (b"I", b"batch")
        + b"</row>"
    )
    return b"".join(
        template
        % (
            n,
            n,
            base + (n - 2) / PER_DAY,
            n,
            900 + n % 50,
            n,
            900 + n % 50,
            n,
            n,
            n,
            int(base + (n - 2) / PER_DAY),
            n,
            int(base + (n - 2) / PER_DAY) + 5,
            n,
            n,
        )
        for n in range(first, last + 1)
    )


def sparse_rows(last: int, values: str = "x") -> bytes:
    """One row at the bottom: all that tells where the next row goes."""
    return b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (last, last, values.encode())


def put_sheet(book: Path, sheet: str, xml: bytes) -> Path:
    """The workbook with one sheet's part replaced by these bytes (the rest copied as it is)."""
    with zipfile.ZipFile(book) as zin:
        part = pkg.Package.open(zin).sheet(sheet).part
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info, data in items:
            zout.writestr(info.filename, xml if info.filename == part else data)
    return book


def pending(*ids: int) -> list[list]:
    return [
        session(
            session_id=i,
            client=f"Client {i}",
            status="Session Pending",
            status_date=dt.date(2026, 11, 20),
            change_to="next",
        )
        for i in ids
    ]


def small_studio(path: Path, sessions=None, extra=None) -> Path:
    sheets = {"Notes": [NOTES_HEADER], "Tasks": [list(TASKS.columns)], **(extra or {})}
    return studio(path, sessions if sessions is not None else pending(1, 2), extra=sheets)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def backups(path: Path) -> list[Path]:
    folder = path.parent / ".sheetflow-backups"
    return sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
