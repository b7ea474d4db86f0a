"""The batch runner as a library: each call reads a closed workbook once, runs the core, writes once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from .core import studio as core
from .core.cells import CellValueError, read_date
from .core.changes import StatusChange
from .core.problems import WorkbookBusy, WorkbookError
from .workbook.backups import Backup
from .workbook.file import WorkbookFile, exclusive, lock_holders

Operation = Callable[[core.Studio], core.Outcome]


def run(path: Path | str, operation: Operation, write: bool = True) -> core.Outcome:
    """Read, run one operation, and write its ChangeSet atomically under the workbook's lock."""
    path = Path(path)
    book = WorkbookFile(path)
    if not write:
        return operation(core.load_studio(book.read()))
    with exclusive(path):
        outcome = operation(core.load_studio(book.read()))
        book.write(outcome.changes)
    return outcome


def validate(path: Path | str, today: dt.date) -> core.Outcome:
    """Check everything and rewrite the Problems sheet; when the workbook is open elsewhere, check only."""
    busy = lock_holders(Path(path))
    outcome = run(path, lambda studio: core.validate(studio, today), write=busy is None)
    if busy:
        raise WorkbookBusy(busy, outcome)
    return outcome


def apply(path: Path | str, today: dt.date) -> core.Outcome:
    return run(path, lambda studio: core.apply_pending(studio, today))


def refresh(path: Path | str, today: dt.date) -> core.Outcome:
    return run(path, lambda studio: core.refresh(studio, today))


def change(path: Path | str, session_id: str, today: dt.date, to: str = "", date: str = "", due: str = "",
           by: str = "", note: str = "") -> core.Outcome:
    """One session's status change; dates typed as the studio types them (ISO or its date order)."""

    def operation(studio: core.Studio) -> core.Outcome:
        order = studio.settings.date_order
        try:
            completed = read_date(date, order) if date else None
            hand_due = read_date(due, order) if due else None
        except CellValueError as exc:
            raise WorkbookError(f"{exc.message} — {exc.fix}") from None
        request = StatusChange(to=to, date_completed=completed, due=hand_due, by=by, note=note, source="cli")
        try:
            return core.change_session(studio, session_id, request, today)
        except LookupError as exc:
            raise WorkbookError(str(exc.args[0])) from None

    return run(path, operation)


def new(path: Path | str, sample: bool = False, today: dt.date | None = None, force: bool = False) -> core.Outcome:
    """A new workbook from the template; the sample studio gets its due dates and flags from a refresh."""
    from .workbook.template import build_workbook

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{path.name}: sheetflow new writes .xlsx workbooks — name it like studio.xlsx")
    if path.exists() and not force:
        raise WorkbookError(f"{path} already exists — choose another name, or add --force to replace it")
    today = today or dt.date.today()
    with exclusive(path):
        build_workbook(path, sample=sample, today=today)
    if sample:
        outcome = refresh(path, today)
        outcome.command = "new"
        return outcome
    return core.Outcome(command="new", changes=core.ChangeSet(), problems=[])


def restore(path: Path | str, pick: int = 1) -> tuple[Backup, list[Backup]]:
    """Bring back a previous version (1 = the newest backup); the version replaced is kept as a backup too."""
    import os
    import shutil
    import tempfile

    from .workbook.backups import keep_previous_version, list_backups

    path = Path(path)
    backups = list_backups(path)
    if not backups:
        raise WorkbookError(f"there are no backups of {path.name} in {path.parent / '.sheetflow-backups'}")
    if not 1 <= pick <= len(backups):
        raise WorkbookError(f"there are {len(backups)} backups of {path.name}; pick one from 1 to {len(backups)}")
    chosen = backups[pick - 1]
    with exclusive(path):
        fd, tmp_name = tempfile.mkstemp(prefix=f".~sheetflow-{path.stem}-", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            shutil.copy2(chosen.path, tmp_name)
            keep_previous_version(path, keep=max(len(backups) + 1, 2))
            os.replace(tmp_name, path)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
    return chosen, backups


def backups(path: Path | str) -> list[Backup]:
    from .workbook.backups import list_backups

    return list_backups(Path(path))
