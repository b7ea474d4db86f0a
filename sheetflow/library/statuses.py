"""The status list's maintenance on a closed workbook file — each call one read and at most one write, through
the batch runner — and its export and print, which write new files and leave the workbook as it was."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core import maintenance
from ..core.outcome import ChangeSet
from ..core.problems import WorkbookError
from ..core.schema import STATUSES
from ..core.studio import Studio
from . import runs as batch

EXPORT_KINDS = (".csv", ".xlsx")
PRINT_KINDS = (".pdf", ".xlsx")
PDF_TIMEOUT = 240  # seconds; LibreOffice's first start with a fresh profile takes a while
_SOFFICE_ELSEWHERE = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
)


def _listed(path: Path | str, operation: Callable[[Studio], maintenance.ListOutcome]) -> maintenance.ListOutcome:
    """A status-list change through the batch runner; with its notes of the tables that took in rows typed below
    them (the write grows them), and the Hide Inactive filter applied again to the rows as they now read."""
    outcome = batch.run(path, operation)  # the write says which tables took in rows typed below them
    if STATUSES.name in outcome.changes.cells or STATUSES.name in outcome.changes.appends:
        outcome.notes += _filter_again(Path(path))
    return outcome


def _filter_again(path: Path) -> list[str]:
    """Rows moved under a Hide Inactive filter: it is applied again, so the hidden rows are the inactive ones."""
    from ..workbook.file import WorkbookFile, exclusive
    from ..workbook.listobjects import is_filtered, write_inactive_filter

    with exclusive(path):
        statuses = WorkbookFile(path).read(sheets=[STATUSES.name])[STATUSES.name]
        if not is_filtered(path, statuses):
            return []
        found = maintenance.inactive_rows(statuses)
        write_inactive_filter(path, statuses, found.rows, found.shown, hide=True, keep_backup=False)
    return ["the filter hiding inactive statuses was applied again to the rows as they now read"]


def hide_inactive(path: Path | str, hide: bool = True) -> maintenance.ListOutcome:
    """Hide Inactive on the sheet: a filter on the Statuses table's Inactive column and the inactive statuses'
    rows hidden (hide=False clears the filter and shows every row). One read and one write, nothing else changed."""
    from ..workbook.file import WorkbookFile, exclusive
    from ..workbook.listobjects import write_inactive_filter

    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    with exclusive(path):
        statuses = WorkbookFile(path).read(sheets=[STATUSES.name])[STATUSES.name]
        if not statuses.exists:
            raise WorkbookError(f"{path.name} has no Statuses sheet — run sheetflow init on it first")
        found = maintenance.inactive_rows(statuses)
        done = write_inactive_filter(path, statuses, found.rows, found.shown, hide)
    outcome = maintenance.inactive_filter_outcome(
        found, hide, rows_hidden=True, filtered=done.has_table, undo="sheetflow statuses show-inactive"
    )
    if not done.has_table:
        outcome.notes.append(
            "the Statuses sheet has no Excel table, so no filter button shows this: only the rows are hidden"
        )
    return outcome


def renumber(path: Path | str, step: int = 10, session_type: str = "") -> maintenance.ListOutcome:
    return _listed(path, lambda studio: maintenance.renumber(studio, step, session_type))


def add(
    path: Path | str,
    name: str,
    after: str,
    duration: int | None = None,
    stage: str = "",
    user: str = "",
    session_type: str = "",
    role: str = "",
    inactive: bool = False,
) -> maintenance.ListOutcome:
    """Add a status after another in its cycle (see maintenance.add)."""
    return _listed(
        path, lambda studio: maintenance.add(studio, name, after, duration, stage, user, session_type, role, inactive)
    )


def move(path: Path | str, name: str, direction: str, session_type: str = "") -> maintenance.ListOutcome:
    return _listed(path, lambda studio: maintenance.move(studio, name, direction, session_type))


def set_role(path: Path | str, name: str, role: str, session_type: str = "") -> maintenance.ListOutcome:
    return _listed(path, lambda studio: maintenance.set_role(studio, name, role, session_type))


def set_inactive(path: Path | str, name: str, inactive: bool = True, session_type: str = "") -> maintenance.ListOutcome:
    return _listed(path, lambda studio: maintenance.set_inactive(studio, name, inactive, session_type))


def delete(path: Path | str, name: str, session_type: str = "") -> maintenance.ListOutcome:
    return _listed(path, lambda studio: maintenance.delete(studio, name, session_type))


def rename(
    path: Path | str, old: str, new: str, session_type: str = "", today: dt.date | None = None
) -> maintenance.ListOutcome:
    """Rename everywhere; the Notes row records who (Current user, else the computer login) and when."""

    def operation(studio: Studio) -> maintenance.ListOutcome:
        context = studio.context(today or dt.date.today())
        return maintenance.rename(studio, old, new, session_type, now=context.now, by=context.default_user)

    return _listed(path, operation)


# -- reading the list, export and print ------------------------------------------------------------------------


@dataclass
class StatusList:
    """The list as the maintenance window shows it: by cycle and sort order, in the Statuses sheet's words."""

    studio: str
    by_type: bool
    rows: list[dict[str, object]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [c for c in STATUSES.columns if self.by_type or c != "Session Type"]

    @property
    def title(self) -> str:
        return f"{self.studio or 'Studio'} — Session statuses"


def read_list(path: Path | str, hide_inactive: bool = False, session_type: str = "") -> StatusList:
    """The list as the window shows it, from one read; the workbook is left as it was."""

    def listing(studio: Studio) -> StatusList:
        statuses = maintenance.listed(studio, hide_inactive, session_type)
        return StatusList(
            studio.settings.studio,
            studio.workflow.by_type,
            [maintenance.listed_row(studio, s) for s in statuses],
            maintenance.left_out(studio),
        )

    return batch.read(path, listing)


def export(
    path: Path | str, out: Path | str, hide_inactive: bool = False, session_type: str = ""
) -> maintenance.ListOutcome:
    """Export to Excel (or CSV): a new file with the statuses by cycle and sort order."""
    path, out = Path(path), Path(out)
    kind = out.suffix.lower()
    if kind not in EXPORT_KINDS:
        raise WorkbookError(f"{out.name}: export writes .xlsx or .csv files — name it like statuses.xlsx")
    _not_the_workbook(path, out)
    listing = read_list(path, hide_inactive, session_type)
    if kind == ".csv":
        _replace(out, lambda target: _write_csv(target, listing))
    else:
        _replace(out, lambda target: write_workbook(target, listing))
    return _wrote(listing, out, "exported to")


def print_list(
    path: Path | str, out: Path | str | None = None, hide_inactive: bool = False, session_type: str = ""
) -> maintenance.ListOutcome:
    """Print the List: a PDF made by LibreOffice when it is installed, else a print-ready workbook (landscape,
    one page wide, the header row on every page) to open and print."""
    path = Path(path)
    soffice = find_soffice()
    if out is None:
        out = path.with_name(f"{path.stem} statuses.pdf" if soffice else f"{path.stem} statuses (print).xlsx")
    out = Path(out)
    kind = out.suffix.lower()
    if kind not in PRINT_KINDS:
        raise WorkbookError(f"{out.name}: print writes a .pdf (or a print-ready .xlsx) — name it like statuses.pdf")
    if kind == ".pdf" and soffice is None:
        raise WorkbookError(
            "LibreOffice (soffice) is not installed, so no PDF can be made — install LibreOffice, "
            "or ask for a print-ready workbook to print from Excel: --out statuses.xlsx"
        )
    _not_the_workbook(path, out)
    listing = read_list(path, hide_inactive, session_type)
    if kind == ".xlsx":
        _replace(out, lambda target: write_workbook(target, listing))
        outcome = _wrote(listing, out, "ready to print in")
        if soffice is None:
            outcome.notes.append(
                "LibreOffice is not installed, so no PDF: open the file and print it (it is set "
                "up landscape, one page wide, with the header row on every page)"
            )
        return outcome
    assert soffice is not None
    with tempfile.TemporaryDirectory(prefix="sheetflow-print-") as folder:
        sheet = Path(folder) / f"{out.stem}.xlsx"
        write_workbook(sheet, listing)
        pdf = to_pdf(soffice, sheet, Path(folder))
        _replace(out, lambda target: target.write_bytes(pdf.read_bytes()))
    return _wrote(listing, out, "printed to")


def _wrote(listing: StatusList, out: Path, how: str) -> maintenance.ListOutcome:
    outcome = maintenance.ListOutcome(
        command="statuses", changes=ChangeSet(), problems=[], done=f"{len(listing.rows)} statuses {how} {out.name}"
    )
    outcome.notes += [f"wrote {out}", *listing.left_out]
    return outcome


def _not_the_workbook(path: Path, out: Path) -> None:
    if out.resolve() == path.resolve():
        raise WorkbookError(f"{out.name} is the workbook itself — name a new file for the list")


def _replace(out: Path, write) -> None:
    """Write beside the target, then put it in place in one step (sheetflow's one replace): a failed run leaves
    no half-written file; a new file follows the umask, a replaced one keeps its owner, group and mode."""
    from ..workbook.replace import replace_file, saving

    with saving(out.name):
        out.parent.mkdir(parents=True, exist_ok=True)
    try:
        replace_file(out, write)
    except PermissionError:
        raise WorkbookError(f"{out} could not be written — is it open in another program?") from None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes Excel or LibreOffice read a CSV cell as a formula


def csv_cell(value: object) -> object:
    """A value as a CSV cell that is safe to open (OWASP "CSV Injection"): numbers stay numbers; text that would
    start a formula gets a leading apostrophe, so a spreadsheet shows it as text instead of running it."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _write_csv(target: Path, listing: StatusList) -> None:
    """Text is always quoted and neutralised by csv_cell, so no cell of the list runs as a formula where it opens."""
    import csv

    # utf-8 with a byte-order mark: Excel then opens accented names correctly. QUOTE_NONNUMERIC quotes every text
    # field (a separator or quote inside it can't start a new cell) and leaves the numbers bare, so they stay numbers
    with target.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow([csv_cell(c) for c in listing.columns])
        for row in listing.rows:
            writer.writerow([csv_cell(row[c]) for c in listing.columns])


WIDTHS = {
    "Session Type": 14,
    "Description": 32,
    "Sort Order": 10,
    "Typical Duration": 10,
    "Initial": 8,
    "Final": 8,
    "Stage": 14,
    "Default User": 14,
    "Inactive": 9,
}


def write_workbook(target: Path, listing: StatusList) -> None:
    """The list on one sheet, set up for printing: landscape, one page wide, the header row on every page, the
    print area over the list, the studio's name in the page header; inactive statuses in grey."""
    import xlsxwriter

    columns = listing.columns
    # every cell below is written by type (write_string, write_number): a description such as "=HYPERLINK(…)" is
    # text, never a formula, a link or a number; the options say so for any plain write() too
    workbook = xlsxwriter.Workbook(
        str(target), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": True, "valign": "top"})
    plain = workbook.add_format({"valign": "top"})
    grey = workbook.add_format({"valign": "top", "font_color": "#7F7F7F", "italic": True})
    sheet = workbook.add_worksheet("Statuses")
    for col, column in enumerate(columns):
        sheet.set_column(col, col, WIDTHS.get(column, 12))
        sheet.write_string(0, col, column, header)
    for r, row in enumerate(listing.rows, start=1):
        style = grey if row["Inactive"] == "Yes" else plain
        for col, column in enumerate(columns):
            value = row[column]
            if value is None or value == "":
                sheet.write_blank(r, col, None, style)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(r, col, value, style)
            else:
                sheet.write_string(r, col, str(value), style)
    last = max(len(listing.rows), 1)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, last, len(columns) - 1)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.print_area(0, 0, last, len(columns) - 1)
    sheet.set_header("&C&B" + listing.title.replace("&", "&&"))
    sheet.set_footer(f"&LPrinted {dt.date.today().isoformat()}&RPage &P of &N")
    workbook.close()


def find_soffice() -> str | None:
    """LibreOffice's soffice: on PATH, or where its installers put it on macOS and Windows."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((p for p in _SOFFICE_ELSEWHERE if Path(p).exists()), None)


def to_pdf(soffice: str, source: Path, folder: Path) -> Path:
    """LibreOffice headless, with a profile of its own so it runs beside an open LibreOffice and other runs."""
    profile = folder / "profile"
    out = folder / "pdf"
    try:
        done = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=PDF_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise WorkbookError(f"LibreOffice took more than {PDF_TIMEOUT} s to make the PDF — try again") from None
    except OSError as exc:
        raise WorkbookError(f"LibreOffice could not be started ({exc})") from None
    pdf = out / f"{source.stem}.pdf"
    if not pdf.exists():
        said = " ".join((done.stderr or done.stdout or "").split())[:200]
        raise WorkbookError(f"LibreOffice made no PDF (exit {done.returncode}{': ' + said if said else ''})")
    return pdf
