"""The previous versions of a workbook, kept beside it in .sheetflow-backups/ so a bad run can be undone."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

BACKUP_FOLDER = ".sheetflow-backups"
DEFAULT_KEEP = 5


def backups_to_keep() -> int:
    """How many previous versions to keep: SHEETFLOW_BACKUPS (0 turns backups off), else 5."""
    try:
        return max(0, int(os.environ.get("SHEETFLOW_BACKUPS", DEFAULT_KEEP)))
    except ValueError:
        return DEFAULT_KEEP


def folder_for(workbook: Path) -> Path:
    return workbook.parent / BACKUP_FOLDER


@dataclass(frozen=True)
class Backup:
    path: Path
    taken: dt.datetime

    @property
    def label(self) -> str:
        return self.taken.strftime("%Y-%m-%d %H:%M:%S")


def list_backups(workbook: Path) -> list[Backup]:
    """Newest first."""
    folder = folder_for(workbook)
    if not folder.is_dir():
        return []
    found = []
    prefix = f"{workbook.stem}."
    for candidate in folder.iterdir():
        name = candidate.name
        if not (name.startswith(prefix) and name.endswith(workbook.suffix)):
            continue
        stamp = name[len(prefix):-len(workbook.suffix)]
        try:
            taken = dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f")
        except ValueError:
            continue
        found.append(Backup(candidate, taken))
    return sorted(found, key=lambda b: b.taken, reverse=True)


def keep_previous_version(workbook: Path, keep: int | None = None) -> Path | None:
    """Keep the workbook as it is now (a hard link when the file system allows: instant at any size)."""
    keep = backups_to_keep() if keep is None else keep
    if keep <= 0 or not workbook.exists():
        return None
    folder = folder_for(workbook)
    folder.mkdir(exist_ok=True)
    target = folder / f"{workbook.stem}.{dt.datetime.now():%Y%m%d-%H%M%S-%f}{workbook.suffix}"
    try:
        os.link(workbook, target)
    except OSError:
        shutil.copy2(workbook, target)
    for old in list_backups(workbook)[keep:]:
        old.path.unlink(missing_ok=True)
    return target
