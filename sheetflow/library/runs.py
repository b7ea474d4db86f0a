"""The batch runner as a library: each call reads a closed workbook once, runs the core, writes once."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..core import studio as core
from ..core.cells import CellValueError, read_date
from ..core.changes import StatusChange
from ..core.outcome import flag_words
from ..core.problems import EXIT_USAGE, WorkbookBusy, WorkbookError, exit_code, expected_failure
from ..core.tables import Table
from ..workbook.backups import Backup
from ..workbook.file import WorkbookFile, exclusive, lock_holders

Operation = Callable[[core.Studio], core.Outcome]
Found = TypeVar("Found")


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def run(
    path: Path | str,
    operation: Operation,
    write: bool = True,
    progress: Progress = _quiet,
    only_session: str | None = None,
    whole: tuple[str, ...] = (),
    noted: Callable[[dict[str, Table]], None] | None = None,
) -> core.Outcome:
    """Read, run one operation, and write its ChangeSet atomically under the workbook's lock; `whole` names
    append-only sheets to read in full (report reads Notes); `noted` sees the tables between the read and the
    studio (what only the rows being read still tell: a session's time of day)."""
    with _no_cycle_collection():
        return _run(Path(path), operation, write, progress, only_session, whole, noted)


@contextlib.contextmanager
def _no_cycle_collection():
    """A million sessions are millions of new objects, none of them garbage: Python's cycle collector would
    rescan them over and over (measured at 1,048,575 sessions: refresh 59.5 s with it, 47.0 s without).
    Reference counting still frees everything; the collector runs again once the run is over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read(
    path: Path | str,
    look: Callable[[core.Studio], Found],
    progress: Progress = _quiet,
    only_session: str | None = None,
    whole: tuple[str, ...] = (),
) -> Found:
    """Read the workbook once and return whatever `look` makes of the studio (an Outcome, the status list); the
    file is neither locked nor written."""
    with _no_cycle_collection():
        progress("reading")
        return look(core.load_studio(WorkbookFile(Path(path)).read(whole=whole), only_session))


def _run(
    path: Path,
    operation: Operation,
    write: bool,
    progress: Progress,
    only_session: str | None,
    whole: tuple[str, ...] = (),
    noted: Callable[[dict[str, Table]], None] | None = None,
) -> core.Outcome:
    if not write:
        return read(path, operation, progress, only_session, whole)
    book = WorkbookFile(path)
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    with exclusive(path):
        progress("reading")
        tables = book.read(whole=whole)
        if noted is not None:
            noted(tables)
        studio = core.load_studio(tables, only_session)
        progress("working")
        outcome = operation(studio)
        changes = outcome.changes
        if not (
            changes.cells
            or changes.appends
            or changes.new_columns
            or changes.new_sheets
            or changes.problems is not None
        ):
            return outcome  # nothing to write (a refused or already-done status-list operation): file untouched
        progress("writing")
        outcome.notes += book.write(changes)
    return outcome


def validate(path: Path | str, today: dt.date) -> core.Outcome:
    """Check everything and rewrite the Problems sheet; when the workbook is open elsewhere, check only."""
    from ..workbook.limits import sheet_fill

    busy = lock_holders(Path(path))
    read_only = None if busy else _cannot_save(Path(path))
    outcome = run(
        path,
        lambda studio: core.validate(studio, today, sheet_fill(Path(path), studio.tables)),
        write=busy is None and read_only is None,
    )
    if busy:
        raise WorkbookBusy(busy, outcome)
    if read_only is not None:  # checked all the same: only the Problems sheet could not be brought up to date
        outcome.notes.append(
            f"{read_only.problem}, so its Problems sheet was not updated — {read_only.fix} to "
            "keep the list in the workbook"
        )
    return outcome


def _cannot_save(path: Path):
    """Why the workbook could not be saved (read-only file, folder or disk), or None."""
    from ..workbook.replace import CannotSave, refuse_unwritable

    if not path.exists():
        return None
    try:
        refuse_unwritable(path)
    except CannotSave as exc:
        return exc
    return None


def apply(path: Path | str, today: dt.date, progress: Progress = _quiet) -> core.Outcome:
    return run(path, lambda studio: core.apply_pending(studio, today), progress=progress)


def refresh(
    path: Path | str,
    today: dt.date,
    progress: Progress = _quiet,
    settings: Callable[[core.Outcome], dict[str, object]] | None = None,
) -> core.Outcome:
    """Recompute every session; `settings` words Settings values from the outcome (the nightly run's Last
    refresh), written in the same one write. When Settings names a Calendar file, the sessions' times of day are
    noted as they are read, and the studio's calendar beside the workbook is kept from this read and Outcome (no
    second pass over the workbook)."""
    from .calendar_feed import after_refresh, noted_times

    times: dict[int, dt.time] | None = None
    seen: list[core.Studio] = []

    def note_times(tables: dict[str, Table]) -> None:
        nonlocal times
        times = noted_times(tables)  # None: Settings names no Calendar file

    def operation(studio: core.Studio) -> core.Outcome:
        from ..core.schema import SETTINGS
        from ..core.settings import write_setting

        seen.append(studio)
        outcome = core.refresh(studio, today)
        for name, value in (settings(outcome) if settings else {}).items():
            write_setting(studio.tables[SETTINGS.name], outcome.changes, name, value)
        return outcome

    outcome = run(path, operation, progress=progress, noted=note_times)
    if times is not None:  # the studio's calendar beside it, when Settings names its file
        outcome.notes += after_refresh(path, seen[0], outcome, times, today)
    return outcome


def report(path: Path | str, today: dt.date, progress: Progress = _quiet) -> core.Outcome:
    """Rebuild the whole Dashboard: a refresh (the board), then the time in status from the Notes history."""
    from ..core.schema import NOTES
    from .report import rebuild

    return run(path, lambda studio: rebuild(studio, today, Path(path)), progress=progress, whole=(NOTES.name,))


def history(path: Path | str, session_id: str, today: dt.date):
    """One session's timeline from the whole Notes history (`core.timeline`); read only, nothing is written. An
    unknown Session ID is a WorkbookError naming the closest one."""
    from ..core.schema import NOTES
    from ..core.timeline import find, timeline

    def look(studio: core.Studio):
        try:
            session = find(studio, session_id)
        except LookupError as exc:
            raise WorkbookError(str(exc.args[0])) from None
        return timeline(studio, session, studio.tables.get(NOTES.name), today, [t for _, t in archives])

    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    from .archive import read_archives

    archives = read_archives(path)  # the Notes rows `notes archive` moved out: the history goes on from them
    return read(path, look, whole=(NOTES.name,))


def change(
    path: Path | str,
    session_id: str,
    today: dt.date,
    to: str = "",
    date: str = "",
    due: str = "",
    by: str = "",
    note: str = "",
    reason: str = "",
) -> core.Outcome:
    """One session's status change (or hold, or resume); dates typed as the studio types them (ISO or its date
    order)."""

    def operation(studio: core.Studio) -> core.Outcome:
        order = studio.settings.date_order
        try:
            completed = read_date(date, order) if date else None
            hand_due = read_date(due, order) if due else None
        except CellValueError as exc:
            raise WorkbookError(f"{exc.message} — {exc.fix}") from None
        request = StatusChange(
            to=to, date_completed=completed, due=hand_due, by=by, note=note, reason=reason, source="cli"
        )
        try:
            return core.change_session(studio, session_id, request, today)
        except LookupError as exc:
            raise WorkbookError(str(exc.args[0])) from None

    from ..core.schema import PROBLEMS

    return run(path, operation, only_session=session_id, whole=(PROBLEMS.name,))  # keeps the others' problems


def new(path: Path | str, sample: bool = False, today: dt.date | None = None, force: bool = False) -> core.Outcome:
    """A new workbook from the template; the sample studio gets its due dates and flags from a refresh."""
    from ..authoring.template import build_workbook

    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WorkbookError(
            "sheetflow new writes .xlsx workbooks (or .xlsm, with macro buttons) — name it like studio.xlsx"
        )
    if path.exists() and not force:
        raise WorkbookError(f"{path} already exists — choose another name, or add --force to replace it")
    from ..excel.run_main import write_run_main

    today = today or dt.date.today()
    kept: list[Path] = []
    with exclusive(path):
        notes = _write_new(
            path,
            lambda target: build_workbook(target, sample=sample, today=today, macros=path.suffix.lower() == ".xlsm"),
            kept,
        )
    if sample:
        outcome = report(path, today)  # the sample opens with its whole Dashboard, history included
        outcome.command = "new"
    else:
        outcome = core.Outcome(command="new", changes=core.ChangeSet(), problems=[])
    outcome.said = [
        "created"
        + (
            f", {flag_words(outcome.overdue, outcome.due_soon)}"
            if outcome.overdue
            else " — next: your statuses on the Statuses sheet, then your sessions"
        )
    ]
    outcome.brief = True  # a clean new workbook says only that it was made
    outcome.notes += notes
    if kept:
        number = next((n for n, b in enumerate(backups(path), start=1) if b.path == kept[0]), 1)
        outcome.notes.append(
            f"the file it replaced is kept: `sheetflow restore {path.name}"
            f"{f' --pick {number}' if number > 1 else ''}` brings it back"
        )
    outcome.notes.append(write_run_main(path, force=force))
    return outcome


def _write_new(path: Path, build: Callable[[Path], None], kept: list[Path]) -> list[str]:
    """Build into a temporary file beside the target, then replace it in one step; with --force the file it
    replaces is kept as a backup first (`restore` brings it back, named in `kept`), and keeps its owner, group
    and mode."""
    from ..workbook.backups import keep_previous_version
    from ..workbook.replace import replace_file

    def backup(real: Path) -> None:
        taken = keep_previous_version(real)
        if taken is not None:
            kept.append(taken)

    return replace_file(path, build, backup=backup)


def restore(path: Path | str, pick: int = 1) -> tuple[Backup, list[Backup]]:
    """Bring back a previous version (1 = the newest backup) once it is known to open as a workbook; the
    version replaced is kept as a backup too. A damaged backup is refused, naming the next good one."""
    from ..workbook.backups import damaged, first_good, keep_previous_version, list_backups
    from ..workbook.replace import real_path, replace_file

    path = Path(path)
    real = real_path(path)
    backups = list_backups(real)
    if not backups:
        raise WorkbookError(f"there are no backups of {path.name} in {real.parent / '.sheetflow-backups'}")
    if not 1 <= pick <= len(backups):
        raise WorkbookError(f"there are {len(backups)} backups of {path.name}; pick one from 1 to {len(backups)}")
    chosen = backups[pick - 1]
    with exclusive(path):
        damage = damaged(chosen.path)
        if damage:
            good = first_good(backups, pick)
            then = (
                f"the next good one is {good} ({backups[good - 1].label}): sheetflow restore {path.name} --pick {good}"
                if good
                else "no older backup opens either"
            )
            raise WorkbookError(
                f"backup {pick} ({chosen.label}, {chosen.path.name}) is damaged — {damage} — so it "
                f"was not restored; {then}; nothing was changed"
            )

        def fill(tmp: Path) -> None:
            with chosen.path.open("rb") as src, tmp.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)

        def check(tmp: Path) -> None:
            if damaged(tmp):
                raise WorkbookError(
                    f"the copy of backup {pick} did not read back whole ({damaged(tmp)}); {path.name} was not changed"
                )

        replace_file(
            path,
            fill,
            check=check,
            backup=lambda workbook: keep_previous_version(workbook, keep=max(len(backups) + 1, 2)),
        )
    return chosen, backups


def backups(path: Path | str) -> list[Backup]:
    from ..workbook.backups import list_backups
    from ..workbook.replace import real_path

    return list_backups(real_path(Path(path)))


@dataclass
class FileResult:
    """One workbook's result in a run over many, small enough to cross from a worker process."""

    path: str
    exit_code: int
    summary: str = ""
    problems: list[str] = field(default_factory=list)
    error: str = ""


def workbooks_in(paths: list[Path]) -> list[Path]:
    """The workbooks named, with folders opened (their .xlsx/.xlsm files, not Office's lock files)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in (".xlsx", ".xlsm") and not p.name.startswith(("~$", ".~"))
            )
        else:
            found.append(path)
    return found


def _refresh_one(path: str, today: dt.date) -> FileResult:
    """One workbook of many: its failure is its own result (the command line's exit codes and lines)."""
    try:
        outcome = refresh(path, today)
    except Exception as exc:  # one branch's broken file must not stop the others' runs
        failure = expected_failure(exc, path)
        if failure is None:
            return FileResult(path, EXIT_USAGE, error=f"unexpected failure: {type(exc).__name__}: {exc}")
        return FileResult(path, failure.code, error=failure.message)
    return FileResult(path, exit_code(outcome.errors), outcome.summary, [str(p) for p in outcome.problems])


def refresh_many(
    paths: list[Path], today: dt.date, jobs: int | None = None, on_done: Callable[[FileResult], None] | None = None
) -> list[FileResult]:
    """Refresh several workbooks in parallel processes, each on its own; results in the order given."""
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    results: dict[str, FileResult] = {}
    if jobs == 1:
        for path in paths:
            results[str(path)] = result = _refresh_one(str(path), today)
            if on_done:
                on_done(result)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_refresh_one, str(path), today) for path in paths]
            for future in as_completed(futures):
                result = future.result()
                results[result.path] = result
                if on_done:
                    on_done(result)
    return [results[str(path)] for path in paths]
