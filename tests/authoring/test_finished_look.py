"""Sheets that look finished on screen and on paper: bold, wrapped headers whose full text shows at the column's
width, the header row frozen, and every sheet set up to print landscape, one page wide, with the header row on
every page and page numbers in the footer — read back from what `sheetflow new --sample` writes."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.worksheet import Worksheet

from sheetflow.cli.main import main as cli
from sheetflow.core.schema import DASHBOARD, FIRED, SESSIONS

BOLD_WIDER = 1.1  # a bold character is about a tenth wider than the column-width unit (a regular digit)
FILTER_BUTTON = 2  # characters: the table's filter button beside the header's last line, and the cell's margins
SOFFICE = shutil.which("soffice")


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("finished") / "studio.xlsx"
    result = CliRunner().invoke(cli, ["new", str(path), "--sample"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def sample(sample_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(sample_path)


def header_cells(ws: Worksheet) -> list:
    return [cell for cell in ws[1] if cell.value not in (None, "")]


def width(ws: Worksheet, column: int) -> float:
    for dimension in ws.column_dimensions.values():
        if dimension.min and dimension.min <= column <= dimension.max:
            return dimension.width
    return 8.43  # Excel's default


def longest_line(text: str, lines: int) -> int:
    """The longer line of the header's best break at a space into at most `lines` lines (1 or 2)."""
    best = len(text)
    if lines > 1:
        for m in re.finditer(" ", text):
            best = min(best, max(m.start(), len(text) - m.end()))
    return best


def needed_width(text: str, wrapped: bool) -> float:
    return math.ceil(BOLD_WIDER * longest_line(text, 2 if wrapped else 1)) + FILTER_BUTTON


def test_the_estimate_would_have_caught_the_clipped_headers() -> None:
    assert needed_width("Days Overdue", wrapped=True) > 9  # the width that printed "Days Overdı"
    assert needed_width("Date Completed", wrapped=False) > 12  # "Date Completec", unwrapped
    assert needed_width("Typical Duration", wrapped=True) > 10  # "Typical Durat"


def test_every_sheet_has_its_headers_bold_wrapped_and_whole(sample: openpyxl.Workbook) -> None:
    assert len(sample.worksheets) >= 12
    clipped = []
    for ws in sample.worksheets:
        if ws.title == DASHBOARD.name:  # a title and a report, written by `sheetflow report`; no header row
            continue
        cells = header_cells(ws)
        assert cells, ws.title
        assert (ws.row_dimensions[1].height or 0) >= 2 * 14, f"{ws.title}: the header row holds two lines"
        for cell in cells:
            assert cell.font.b, f"{ws.title}!{cell.coordinate} is not bold"
            assert cell.alignment.wrap_text, f"{ws.title}!{cell.coordinate} does not wrap"
            have = width(ws, cell.column)
            need = needed_width(str(cell.value), wrapped=bool(cell.alignment.wrap_text))
            if have < need:
                clipped.append(f"{ws.title}!{cell.column_letter} {cell.value!r}: {have} < {need}")
    assert not clipped, clipped


def test_headers_frozen(sample: openpyxl.Workbook) -> None:
    for ws in sample.worksheets:
        if ws.title == DASHBOARD.name:
            continue
        expected = "C2" if ws.title == SESSIONS.name else "A2"  # Sessions keeps Session ID and Client in view too
        assert ws.freeze_panes == expected, ws.title


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_and_page_numbers(
    sample: openpyxl.Workbook,
) -> None:
    for ws in sample.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(setup.fitToWidth or 1) == 1, ws.title  # absent is 1 (OOXML's default)
        assert int(setup.fitToHeight) == 0, f"{ws.title}: as many pages down as it takes"
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.oddFooter.center.text == "Page &P of &N", ws.title  # the Dashboard too, as report rewrites it


def test_long_texts_wrap_at_a_sensible_width(sample: openpyxl.Workbook) -> None:
    long_texts = {
        "Notes": ("Note",),
        "Tasks": ("Task",),
        "Outbox": ("Subject", "Body"),
        "Triggers": ("Subject", "Message"),
        "Problems": ("Problem", "How to fix"),
    }
    for sheet, columns in long_texts.items():
        ws = sample[sheet]
        positions = {cell.value: cell.column for cell in header_cells(ws)}
        for column in columns:
            c = positions[column]
            assert 30 <= width(ws, c) <= 60, (sheet, column)
            dimension = next(d for d in ws.column_dimensions.values() if d.min and d.min <= c <= d.max)
            assert dimension.alignment.wrap_text, f"{sheet} {column}: new cells wrap"
            written = [cell for (cell,) in ws.iter_rows(min_row=2, min_col=c, max_col=c) if cell.value]
            assert all(cell.alignment.wrap_text for cell in written), f"{sheet} {column}: the sample's cells wrap"
    problems = sample["Problems"]
    # "How to fix" in view beside the others on a laptop's screen (about 130 characters across).
    assert sum(width(problems, cell.column) for cell in header_cells(problems)) <= 130


def test_libreoffice_prints_every_sheet_one_page_wide(tmp_path: Path, sample_path: Path) -> None:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    out = tmp_path / "out"
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(sample_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pdf = (out / "studio.pdf").read_bytes()
    boxes = [
        tuple(float(v) for v in box.split())
        for box in re.findall(rb"/MediaBox\s*\[\s*([\d.\s]+?)\s*\]", pdf)
        if len(box.split()) == 4
    ]
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    visible = [ws for ws in openpyxl.load_workbook(sample_path).worksheets if ws.sheet_state == "visible"]
    assert FIRED.name not in {ws.title for ws in visible}
    # The sample is small: printed one page wide, each sheet takes one page; a sheet cut across its width
    # (or printed portrait and long) would take more.
    assert pages == len(visible), f"{pages} pages for {len(visible)} sheets"
    assert boxes and all(x1 - x0 > y1 - y0 for x0, y0, x1, y1 in boxes), "every page landscape"


def column_alignment(ws: Worksheet, column: int):
    dimension = next(d for d in ws.column_dimensions.values() if d.min and d.min <= column <= d.max)
    return dimension.alignment


def test_session_ids_read_left_aligned_beside_the_client(sample: openpyxl.Workbook) -> None:
    for sheet in ("Sessions", "Notes", "Tasks", "Outbox"):
        ws = sample[sheet]
        c = {cell.value: cell.column for cell in header_cells(ws)}["Session ID"]
        assert column_alignment(ws, c).horizontal == "left", sheet  # new rows too
        written = [cell for (cell,) in ws.iter_rows(min_row=2, min_col=c, max_col=c) if cell.value is not None]
        assert all(cell.alignment.horizontal == "left" for cell in written), sheet
    assert sample["Sessions"]["A2"].value == 1001  # still a number: only how it sits changed


def test_every_data_cell_sits_at_the_top_like_the_wrapped_ones(sample: openpyxl.Workbook) -> None:
    off = []
    for ws in sample.worksheets:
        if ws.title == DASHBOARD.name:
            continue
        for cell in header_cells(ws):
            if column_alignment(ws, cell.column).vertical != "top":
                off.append(f"{ws.title} {cell.value} (new cells)")
        for row in ws.iter_rows(min_row=2):
            off += [f"{ws.title}!{c.coordinate}" for c in row if c.value is not None and c.alignment.vertical != "top"]
    assert not off, off[:10]


def test_sessions_prints_the_work_list_without_the_change_inputs(sample: openpyxl.Workbook) -> None:
    last = openpyxl.utils.get_column_letter(SESSIONS.columns.index("Days Overdue") + 1)
    assert sample["Sessions"].print_area == f"'Sessions'!$A$1:${last}$1048576"  # Excel shows it as $A:$N
    margins = sample["Sessions"].page_margins
    assert margins.left == margins.right == 0.25  # Excel's Narrow


def test_libreoffice_prints_sessions_up_to_days_overdue(tmp_path: Path, sample_path: Path) -> None:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    from helpers.pdftext import pdf_text

    wb = openpyxl.load_workbook(sample_path)
    for ws in wb.worksheets[1:]:
        ws.sheet_state = "hidden"  # Sessions alone: its PDF is its page
    alone = tmp_path / "sessions.xlsx"
    wb.save(alone)
    out = tmp_path / "out"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(alone),
        ],
        capture_output=True,
        timeout=240,
        check=False,
    )
    text = " ".join(pdf_text((out / "sessions.pdf").read_bytes()))
    assert "Days" in text and "Overdue" in text and "Emma Thompson" in text
    assert "Change To" not in text and "Change Note" not in text


def test_dates_in_task_texts_follow_the_settings_date_order(tmp_path: Path) -> None:
    """A Tasks text says the session's due date as the studio writes dates (Settings' Date order), whatever the
    Due Date column's own ISO format: the sample's "Retouching for … was due 20/11/2026" in DMY."""
    from sheetflow.core.messages import format_date

    for order in ("DMY", "MDY", "YMD"):
        book = tmp_path / f"{order}.xlsx"
        assert CliRunner().invoke(cli, ["new", str(book), "--sample", "--today", "2026-11-25"]).exit_code == 0
        wb = openpyxl.load_workbook(book)
        next(row for row in wb["Settings"].iter_rows() if row[0].value == "Date order")[1].value = order
        for sheet in ("Tasks", "_sheetflow_fired"):  # `new --sample` fired the triggers already: fire them again
            wb[sheet].delete_rows(2, wb[sheet].max_row)
        wb.save(book)
        assert CliRunner().invoke(cli, ["refresh", str(book), "--today", "2026-11-25"]).exit_code == 0
        wb = openpyxl.load_workbook(book)
        sessions = {row["Session ID"]: row for row in _records(wb["Sessions"])}
        overdue = [row for row in _records(wb["Tasks"]) if "retouch overdue" in (row["Trigger"] or "")]
        assert overdue
        for task in overdue:
            due = sessions[task["Session ID"]]["Due Date"].date()
            assert f"was due {format_date(due, order)}:" in task["Task"], (order, task["Task"])


def _records(ws: Worksheet) -> list[dict]:
    header = [cell.value for cell in ws[1]]
    return [dict(zip(header, row, strict=False)) for row in ws.iter_rows(min_row=2, values_only=True) if row[0]]
