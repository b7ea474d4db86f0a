"""Who else has the workbook: Excel, LibreOffice, or another sheetflow run (exit code 3, nothing written)."""

from __future__ import annotations

import contextlib
import stat
from collections.abc import Iterator
from pathlib import Path

from ..core.problems import WorkbookBusy, WorkbookError
from .backups import make_folder
from .replace import real_path, refuse_unwritable, remove_leftovers, saving, share_like, umask


def lock_holders(path: Path) -> str | None:
    """Who else has the workbook open: Excel's owner file, LibreOffice's lock file — beside the real file and,
    for a symlink, beside the link too (an office program may have opened either)."""
    real = real_path(path)
    for folder, name in dict.fromkeys(((real.parent, real.name), (path.parent, path.name))):
        for owner in (f"~${name}", f"~${name[2:]}"):
            if (folder / owner).exists():
                return f"the workbook is open in Excel ({owner} is beside it) — close it in Excel and run again"
        if (folder / f".~lock.{name}#").exists():
            return "the workbook is open in LibreOffice — close it there and run again"
    return None


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """One sheetflow run per workbook at a time (exit code 3 for the second), locked beside the real file so a
    run through a symlink and one through the real path exclude each other. A workbook, folder or disk that
    can't be written is refused here, before any work (exit 2); leftovers of killed runs of this workbook go."""
    from filelock import FileLock, Timeout

    real = real_path(path)
    if not real.parent.is_dir():
        raise WorkbookError(f"the folder {path.parent} does not exist — create it first, or check the path")
    holder = lock_holders(path)
    if holder:
        raise WorkbookBusy(holder)
    refuse_unwritable(path)
    with saving(path.name):
        folder = make_folder(real)
        lock_file = folder / f"{real.name}.lock"
        like = real.stat() if real.exists() else None
        created = not lock_file.exists()
        mode = stat.S_IMODE(like.st_mode) & 0o666 | 0o600 if like else 0o666 & ~umask()
        lock = FileLock(str(lock_file), timeout=0, mode=mode)
        try:
            lock.acquire()
        except Timeout:
            raise WorkbookBusy("another sheetflow run is writing this workbook — wait for it to finish") from None
    try:
        if created and like is not None:
            share_like(lock_file, like)
        remove_leftovers(real.parent, real.name)
        remove_leftovers(folder, real.name)
        yield
    finally:
        lock.release()
