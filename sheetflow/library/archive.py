"""`sheetflow notes archive`: the oldest Notes rows moved into an archive workbook beside the studio's, so Notes
never reaches Excel's last row, and time in status (which reads the archives too) stays the same.

The archive is written first (created, or appended to), read back and checked; only then are the rows cut out of
the studio's workbook, in one atomic write that also leaves a Notes row saying how many rows went where. A run
that stops between the two finds the rows already in the archive the next time and does not copy them twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core import studio as core
from ..core.archive import LOGGED_AT, Cut, archive_note, headers_of, plan_cut, row_values, same_row
from ..core.cells import CellValueError, is_blank, read_date
from ..core.limits import MAX_ROWS
from ..core.problems import WorkbookError
from ..core.schema import NOTES, SETTINGS
from ..core.settings import read_settings
from ..core.tables import Table
from ..workbook.file import WorkbookFile, exclusive

ARCHIVE_TAG = "-notes-archive"
_NUMBERED = re.compile(rf"^(?P<stem>.+){re.escape(ARCHIVE_TAG)}(?:-(?P<n>\d+))?\.xlsx$", re.I)


def default_archive(workbook: Path) -> Path:
    """studio.xlsx -> studio-notes-archive.xlsx, beside it."""
    return workbook.with_name(f"{workbook.stem}{ARCHIVE_TAG}.xlsx")


def archives_beside(workbook: Path) -> list[Path]:
    """The archives time in status reads: STEM-notes-archive.xlsx, then STEM-notes-archive-2.xlsx, -3 … (the
    next one to use when one is full), oldest first."""
    found: list[tuple[int, Path]] = []
    folder = workbook.parent if str(workbook.parent) else Path(".")
    if not folder.is_dir():
        return []
    for candidate in folder.iterdir():
        m = _NUMBERED.match(candidate.name)
        if m and m["stem"] == workbook.stem and candidate.is_file() and not candidate.name.startswith(("~$", ".~")):
            found.append((int(m["n"] or 1), candidate))
    return [path for _, path in sorted(found)]


def read_by_report(target: Path, workbook: Path) -> bool:
    """Whether time in status will read this archive: named as archives_beside finds them, beside the workbook."""
    m = _NUMBERED.match(target.name)
    try:
        beside = target.resolve().parent == workbook.resolve().parent
    except OSError:
        return False
    return bool(m and m["stem"] == workbook.stem and beside)


def read_archives(workbook: Path) -> list[tuple[Path, Table]]:
    """Each archive beside the workbook with its Notes rows (streamed); one that can't be read stops the report,
    since leaving it out would change the figures."""
    tables = []
    for path in archives_beside(workbook):
        try:
            table = _read_notes(path)
        except WorkbookError as exc:
            raise WorkbookError(
                f"the Notes archive {path.name} beside the workbook could not be read ({exc}) — "
                "restore it, or move it out of this folder to report without it"
            ) from None
        if table.exists:
            tables.append((path, table))
    return tables


def _read_notes(path: Path) -> Table:
    return WorkbookFile(path).read(sheets=(NOTES.name,), whole=(NOTES.name,))[NOTES.name]


@dataclass
class ArchiveOutcome(core.Outcome):
    """What `notes archive` did (or, with --dry-run, would do)."""

    workbook: str = ""
    archive: str = ""
    before: dt.date | None = None
    cut: Cut | None = None
    archive_rows: int = 0  # rows in the archive (the header excluded) once written
    created: bool = False  # the archive is new
    already_there: bool = False  # an earlier run copied them and stopped before removing them from Notes
    dry_run: bool = False
    read_by_report: bool = True

    @property
    def summary(self) -> str:
        cut = self.cut
        if cut is None or not cut.moved:
            stayed = f"; {cut.stayed:,} rows logged before it stay, below newer rows" if cut and cut.stayed else ""
            return f"nothing to move: no notes logged before {self.before} at the top of Notes{stayed}"
        span = (
            f"logged {cut.first_logged} to {cut.last_logged}"
            if cut.first_logged != cut.last_logged
            else f"logged {cut.first_logged}"
        )
        verb = "would move" if self.dry_run else "moved"
        where = f"a new archive {self.archive}" if self.created else f"the archive {self.archive}"
        line = (
            f"{verb} {cut.moved:,} notes ({span}; rows {cut.first:,} to {cut.last:,}) to {where}"
            f"{'' if self.dry_run else f', which now holds {self.archive_rows:,}'}; {cut.kept:,} stay on Notes"
        )
        if cut.stayed:
            line += f" ({cut.stayed:,} of them logged before {self.before}, below newer rows)"
        return line + ("; nothing was written (--dry-run)" if self.dry_run else "")

    @property
    def details(self) -> dict[str, object]:
        cut = self.cut
        return {
            "archive": {
                "file": self.archive,
                "before": str(self.before),
                "moved": cut.moved if cut else 0,
                "first_row": cut.first if cut else 0,
                "last_row": cut.last if cut else 0,
                "kept": cut.kept if cut else 0,
                "stayed": cut.stayed if cut else 0,
                "archive_rows": self.archive_rows,
                "created": self.created,
                "dry_run": self.dry_run,
            }
        }


def archive(
    path: Path | str,
    before: str,
    to: Path | str | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ArchiveOutcome:
    """Move the Notes rows logged before `before` (typed as the studio types dates) into the archive; returns what
    was moved. Nothing is written with dry_run, or when there is nothing to move."""
    path = Path(path)
    today = today or dt.date.today()
    now = now or dt.datetime.now().replace(microsecond=0)
    target = Path(to) if to else default_archive(path)
    if target.suffix.lower() != ".xlsx":
        raise WorkbookError(
            f"the archive {target.name} must be an .xlsx workbook — name it like {default_archive(path).name}"
        )
    if target.exists() and path.exists() and os.path.samefile(target, path):
        raise WorkbookError("the archive can't be the studio's workbook itself — name another file with --to")
    with _no_cycle_collection(), contextlib.nullcontext() if dry_run else exclusive(path):
        book = WorkbookFile(path)
        tables = book.read(sheets=(SETTINGS.name, NOTES.name), whole=(NOTES.name,))
        notes = tables[NOTES.name]
        settings = read_settings(tables[SETTINGS.name])[0] if tables[SETTINGS.name].exists else None
        order = settings.date_order if settings else "DMY"
        cut_day = _cut_day(before, order, today)
        if not notes.exists:
            raise WorkbookError(f"the workbook has no {NOTES.name} sheet: there is nothing to archive")
        logged = notes.index(LOGGED_AT)
        if logged is None:
            raise WorkbookError(
                f'the {notes.sheet} sheet has no "{LOGGED_AT}" column, so the age of its rows is not '
                "known — put the header back above the column of times"
            )
        cut = plan_cut(notes.rows, logged, cut_day, order, notes.date1904)
        outcome = ArchiveOutcome(
            command="notes archive",
            changes=core.ChangeSet(),
            problems=[],
            workbook=path.name,
            archive=_shown(target, path),
            before=cut_day,
            cut=cut,
            created=not target.exists(),
            dry_run=dry_run,
            read_by_report=read_by_report(target, path),
        )
        if not cut.moved:
            return outcome
        rows = [row_values(row, notes.headers) for row in cut.rows]
        cut.rows = []  # the values are all that is needed from here on
        if dry_run:
            if target.exists():
                _check_room(target, len(rows), path)
            return _told(outcome)
        with exclusive(target):
            undo = _keep_for_undo(target)
            try:
                outcome.archive_rows, outcome.already_there = _write_archive(target, notes, rows, path)
                del rows
                removal = core.ChangeSet(removed_rows={NOTES.name: (cut.first, cut.last)})
                removal.append(
                    NOTES.name,
                    {
                        LOGGED_AT: now,
                        "Updated By": _user(settings),
                        "Source": "cli",
                        "Note": archive_note(cut.moved, cut_day, outcome.archive, cut.first, cut.last),
                    },
                )
                outcome.notes += book.write(removal) or []
            except BaseException:
                _undo(target, undo, created=outcome.created)
                raise
            _forget(undo)
    return _told(outcome)


def _told(outcome: ArchiveOutcome) -> ArchiveOutcome:
    """The notes a studio owner needs beside the summary."""
    if outcome.already_there:
        outcome.notes.append(
            f"the rows were already in {outcome.archive} (an earlier run stopped before removing "
            "them from Notes): they were not copied twice"
        )
    if not outcome.read_by_report:
        outcome.notes.append(
            f"`sheetflow report` reads archives named {Path(outcome.workbook).stem}{ARCHIVE_TAG}"
            f".xlsx (or …{ARCHIVE_TAG}-2.xlsx, -3 …) beside the workbook: keep {outcome.archive} "
            "under such a name there, or the time in status will leave these rows out"
        )
    return outcome


def _cut_day(text: str, date_order: str, today: dt.date) -> dt.date:
    try:
        day = read_date(text.strip(), date_order)
    except CellValueError as exc:
        raise WorkbookError(f"--before: {exc.message} — {exc.fix}") from None
    if day is None:
        raise WorkbookError("--before needs a date, such as 2025-01-01: notes logged before it are moved")
    if day > today:
        raise WorkbookError(
            f"--before {day} is after today ({today}): notes are moved only once their day is past "
            "— give today's date or an earlier one"
        )
    return day


def _shown(target: Path, workbook: Path) -> str:
    """The archive as messages and the Notes row name it: its file name when it is beside the workbook."""
    try:
        beside = target.resolve().parent == workbook.resolve().parent
    except OSError:
        beside = False
    return target.name if beside else str(target)


def _user(settings) -> str:
    return (settings.current_user if settings else "") or core.operating_system_user()


def _check_room(target: Path, adding: int, workbook: Path, last: int | None = None) -> int:
    """The archive's own last row must leave room for the rows moved in: a full archive gets a successor."""
    if last is None:
        last = _count(target)[2]
    if last + adding > MAX_ROWS:
        successor = _successor(workbook)
        raise WorkbookError(
            f"the archive {target.name} is full: it has {last:,} rows, this would add {adding:,}, "
            f"and Excel stops at {MAX_ROWS:,} — archive into a new file with `--to {successor.name}` "
            "(report reads it too); nothing was changed"
        )
    return last


def _successor(workbook: Path) -> Path:
    taken = archives_beside(workbook)
    return workbook.with_name(f"{workbook.stem}{ARCHIVE_TAG}-{len(taken) + 1 if taken else 2}.xlsx")


def _write_archive(target: Path, notes: Table, rows: list[dict[str, object]], workbook: Path) -> tuple[int, bool]:
    """Append the rows to the archive (made first when it is new), then read it back: it must open, hold its old
    rows plus these, and end with the last of them. Returns (rows it holds, whether they were there already)."""
    columns = headers_of(notes.headers, rows)
    if not target.exists():
        _new_archive(target, columns)
        before, last, last_number = 0, None, 1
    else:
        before, last, last_number = _count(target)
    if last is not None and before >= len(rows) and same_row(last, rows[-1]):
        return before, True  # copied by a run that stopped before it removed them from Notes
    book = WorkbookFile(target)
    table = book.read(sheets=(NOTES.name,))[NOTES.name]
    if not table.exists:
        raise WorkbookError(
            f"{target.name} has no {NOTES.name} sheet, so it is not a Notes archive — name another file with --to"
        )
    _check_room(target, len(rows), workbook, last_number)
    changes = core.ChangeSet()
    absent = table.plan_missing(columns)
    if absent:
        changes.new_columns[NOTES.name] = absent
    changes.appends[NOTES.name] = rows
    book.write(changes)
    after, last, _ = _count(target)
    if after != before + len(rows) or last is None or not same_row(last, rows[-1]):
        raise WorkbookError(
            f"the archive {target.name} failed its check after writing (it holds {after:,} rows, "
            f"{before + len(rows):,} expected) — it was put back as it was, and Notes is untouched; "
            "please report this"
        )
    return after, False


def _count(target: Path) -> tuple[int, dict[str, object] | None, int]:
    """How many rows the archive holds below its header, its last one as header -> value, and that row's number."""
    table = _read_notes(target)
    count, last = 0, None
    for row in table.rows:
        if not all(is_blank(v) for v in row.values):
            count += 1
            last = row
    if last is None:
        return 0, None, max(table.header_row, 1)
    return count, row_values(last, table.headers), last.number


def _new_archive(target: Path, columns: list[str]) -> None:
    """An empty archive: a Notes sheet with the headers as an Excel table (filters), dates shown as dates."""
    import xlsxwriter

    from ..workbook.replace import replace_file

    def fill(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp))
        ws = wb.add_worksheet(NOTES.name)
        stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        day = wb.add_format({"num_format": "yyyy-mm-dd"})
        for col, name in enumerate(columns):
            fmt = stamp if name == LOGGED_AT else day if name in ("Date Completed", "Due Date") else None
            ws.set_column(col, col, 40 if name == "Note" else 18, fmt)
        ws.add_table(
            0,
            0,
            1,
            len(columns) - 1,
            {"name": "NotesArchive", "style": "Table Style Light 9", "columns": [{"header": name} for name in columns]},
        )
        ws.freeze_panes(1, 0)
        wb.close()

    replace_file(target, fill)


def _keep_for_undo(target: Path) -> Path | None:
    """The archive as it was, so a failure after it was written can put it back (a hard link: instant)."""
    if not target.exists():
        return None
    keep = target.with_name(f".~sheetflow-undo-{target.name}")
    keep.unlink(missing_ok=True)
    try:
        os.link(target, keep)
    except OSError:
        shutil.copy2(target, keep)
    return keep


def _undo(target: Path, keep: Path | None, created: bool) -> None:
    if keep is not None:
        os.replace(keep, target)
    elif created:
        target.unlink(missing_ok=True)


def _forget(keep: Path | None) -> None:
    if keep is not None:
        keep.unlink(missing_ok=True)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A million rows are millions of objects, none of them garbage (as in sheetflow.library.runs)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
