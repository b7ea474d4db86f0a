"""The previous versions of a workbook, kept beside it in .sheetflow-backups/ so a bad run can be undone."""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .replace import CannotSave, fsync_file, is_space_error, new_temp, share_like, sync_folder

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


def make_folder(workbook: Path) -> Path:
    """The backup folder beside the (real) workbook, made when missing with its folder's group and permissions;
    one clear line when it is a file or can't be made."""
    folder = folder_for(workbook)
    if folder.is_dir():
        return folder
    shown = f"{BACKUP_FOLDER} beside {workbook.name}"
    if os.path.lexists(folder):
        what = "a link to a folder that is not there" if folder.is_symlink() else "a file, not a folder"
        raise CannotSave(
            f"{shown} is {what} (sheetflow keeps the workbook's lock and backups in a folder of that name)",
            f"rename or remove it (it is in {workbook.parent})",
        )
    try:
        folder.mkdir()
    except FileExistsError:
        if not folder.is_dir():
            raise
    except OSError as exc:
        if is_space_error(exc):
            raise CannotSave(f"not enough space on the disk to make {shown}", "free some space") from None
        raise CannotSave(
            f"the folder {shown} could not be made ({exc.strerror})", f"check that you may write in {workbook.parent}"
        ) from None
    share_like(folder, workbook.parent.stat())
    return folder


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
        stamp = name[len(prefix) : -len(workbook.suffix)]
        try:
            taken = dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f")
        except ValueError:
            continue
        found.append(Backup(candidate, taken))
    return sorted(found, key=lambda b: b.taken, reverse=True)


def keep_previous_version(workbook: Path, keep: int | None = None) -> Path | None:
    """Keep the workbook as it is now, whole or not at all: a hard link when the file system allows (instant at
    any size, and always whole), else a copy to a temporary file in the backup folder, made durable, read back as
    a workbook and only then renamed to a backup name. A backup that can't be kept stops the run (exit 2) rather
    than saving without the backup the studio counts on; SHEETFLOW_BACKUPS=0 turns backups off."""
    keep = backups_to_keep() if keep is None else keep
    if keep <= 0 or not workbook.exists():
        return None
    folder = make_folder(workbook)
    target = folder / f"{workbook.stem}.{dt.datetime.now():%Y%m%d-%H%M%S-%f}{workbook.suffix}"
    try:
        os.link(workbook, target)
    except OSError:
        _copy_whole(workbook, target)
    for old in list_backups(workbook)[keep:]:
        old.path.unlink(missing_ok=True)
    return target


def _copy_whole(workbook: Path, target: Path) -> None:
    tmp: Path | None = None
    try:
        tmp = new_temp(target.parent, workbook.name)
        with workbook.open("rb") as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        fsync_file(tmp)
        before = workbook.stat()
        share_like(tmp, before)  # mode and group (as root, the owner too), where the file system keeps them
        os.utime(tmp, ns=(before.st_atime_ns, before.st_mtime_ns))
        damage = damaged(tmp)
        if damage and damage != damaged(workbook):  # a workbook with a bad member is backed up as it is
            raise CannotSave(
                f"the backup copy of {workbook.name} in {BACKUP_FOLDER} did not read back whole ({damage})",
                f"check the disk that holds {BACKUP_FOLDER}",
            )
        os.replace(tmp, target)
        sync_folder(target.parent)
    except OSError as exc:
        where = f"a backup of {workbook.name} in {BACKUP_FOLDER}"
        if is_space_error(exc):
            raise CannotSave(
                f"not enough space on the disk to keep {where}",
                "free some space there (or set SHEETFLOW_BACKUPS=0 to save without backups)",
            ) from None
        if exc.errno == errno.EROFS:
            raise CannotSave(
                f"{BACKUP_FOLDER} is on a read-only disk, so {where} can't be kept",
                "make it writable (or set SHEETFLOW_BACKUPS=0 to save without backups)",
            ) from None
        raise CannotSave(
            f"{where} could not be kept ({exc.strerror})",
            f"check the permissions of {BACKUP_FOLDER} (or set SHEETFLOW_BACKUPS=0 to save without backups)",
        ) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def damaged(path: Path) -> str | None:
    """What keeps a file from opening as a workbook — cut short or not a zip, a part whose data fails its
    checksum, no xl/workbook.xml — in plain words; None when it opens."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                try:
                    with zf.open(info) as fh:  # inflates every byte and checks the CRC at the end
                        while fh.read(1 << 20):
                            pass
                except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError):
                    return f"its part {info.filename} is damaged"
            if not any(n.casefold() == "xl/workbook.xml" for n in zf.NameToInfo):
                return "it has no xl/workbook.xml, so it is not a workbook"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        return "it is cut short or is not a workbook at all"
    except OSError as exc:
        if is_space_error(exc):
            raise
        return f"it could not be read ({exc.strerror or 'read error'})"
    return None


def first_good(backups: list[Backup], after: int) -> int | None:
    """The number (1 = newest) of the first backup after `after` that opens as a workbook."""
    for number, backup in enumerate(backups[after:], start=after + 1):
        if damaged(backup.path) is None:
            return number
    return None


__all__ = ["Backup", "damaged", "first_good", "keep_previous_version", "list_backups", "make_folder"]
