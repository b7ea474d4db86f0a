"""Who else has the workbook: Excel, LibreOffice, or another sheetflow run (exit code 3, nothing written)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..core.problems import WorkbookBusy, WorkbookError
from .backups import BACKUP_FOLDER


def lock_holders(path: Path) -> str | None:
    """Who else has the workbook open: Excel's owner file, LibreOffice's lock file."""
    folder, name = path.parent, path.name
    for owner in (f"~${name}", f"~${name[2:]}"):
        if (folder / owner).exists():
            return f"the workbook is open in Excel ({owner} is beside it) — close it in Excel and run again"
    if (folder / f".~lock.{name}#").exists():
        return "the workbook is open in LibreOffice — close it there and run again"
    return None


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """One sheetflow run per workbook at a time; exit code 3 for the second."""
    from filelock import FileLock, Timeout

    if not path.parent.is_dir():
        raise WorkbookError(f"the folder {path.parent} does not exist — create it first, or check the path")
    holder = lock_holders(path)
    if holder:
        raise WorkbookBusy(holder)
    folder = path.parent / BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    lock = FileLock(str(folder / f"{path.name}.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise WorkbookBusy("another sheetflow run is writing this workbook — wait for it to finish") from None
    try:
        yield
    finally:
        lock.release()
