"""Write beside, then replace: the one way sheetflow puts a file in place (a workbook, a restored backup, a new
workbook, an export). The new file is written to a temporary file beside the real file (through symlinks), made
durable, checked, given the old file's owner, group and mode, and renamed over it in one step."""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import re
import stat
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from ..core.problems import WorkbookError

TEMP_PREFIX = ".~sheetflow-"
_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_TOKEN = re.compile(r"[a-z0-9_]+\.tmp")  # what mkstemp adds: the run's own token


class CannotSave(WorkbookError):
    """A file could not be saved for a reason the studio can fix (space, permissions): one line, exit 2."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} — {fix} and run again; nothing was changed")
        self.problem, self.fix = problem, fix


def real_path(path: Path) -> Path:
    """The file a path names once every symlink is followed: the file that is written, and beside which the
    lock, temporary files, backups and Office's owner files are looked for."""
    return Path(os.path.realpath(path))


def no_space(name: str, where: str = "") -> CannotSave:
    return CannotSave(f"not enough space on the disk to save {name}{where}", "free some space")


def is_space_error(exc: BaseException | None) -> bool:
    """Disk full, quota exceeded or no inodes left — also when it surfaced as a later error while closing."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in _SPACE:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@contextlib.contextmanager
def saving(name: str, where: str = "") -> Iterator[None]:
    """Turn the file system's refusals (full disk, read-only disk, no permission) into one line a studio acts on."""
    try:
        yield
    except WorkbookError:
        raise
    except Exception as exc:
        if is_space_error(exc):
            _let_go(exc)
            raise no_space(name, where) from None
        if isinstance(exc, OSError) and exc.errno in _READ_ONLY:
            _let_go(exc)
            raise _not_permitted(name, exc) from None
        raise


def _let_go(exc: BaseException) -> None:
    """Free what the failed writer still holds: a zip file left open on a full disk (xlsxwriter leaves one) would
    otherwise print a traceback when Python collects it at exit, after the one clear line."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        seen: BaseException | None = exc
        while seen is not None:
            traceback.clear_frames(seen.__traceback__)
            seen = seen.__cause__ or seen.__context__
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _not_permitted(name: str, exc: OSError) -> CannotSave:
    if exc.errno == errno.EROFS:
        return CannotSave(
            f"{name} is on a read-only disk", "copy it to a disk you can write to (or make the disk writable)"
        )
    where = exc.filename or name
    if os.name == "nt":
        return CannotSave(
            f"{name} could not be saved ({where} was refused)",
            "close it if it is open in another program, check that it is not read-only",
        )
    return CannotSave(f"access to {where} was refused", "check the permissions of the file and its folder")


def read_only_disk(folder: Path) -> bool:
    if not hasattr(os, "statvfs"):
        return False
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def refuse_unwritable(path: Path) -> None:
    """Before any work: a read-only workbook, folder or disk is refused with the way to fix it. Root passes
    os.access, so a file or folder with no write bit at all counts as read-only too (Windows' Read-only box)."""
    name, real = path.name, real_path(path)
    folder = real.parent
    if read_only_disk(folder):
        raise CannotSave(
            f"{name} is on a read-only disk", "copy it to a disk you can write to (or make the disk writable)"
        )
    if real.exists():
        mode = real.stat().st_mode
        if not mode & 0o222:
            raise CannotSave(f"{name} is read-only", f"uncheck Read-only in its Properties (or chmod u+w {name})")
        if not os.access(real, os.W_OK):
            raise CannotSave(
                f"{name} is read-only for you (it belongs to {_user(real.stat().st_uid)})",
                "ask its owner for write permission",
            )
    if os.name != "posix":
        return  # Windows ignores a folder's Read-only attribute
    if not folder.stat().st_mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
        raise CannotSave(
            f"the folder {folder} is read-only, so {name} can't be saved in it",
            f"give yourself write permission on the folder (chmod u+w {folder})",
        )
    if (
        real.exists()
        and folder.stat().st_mode & stat.S_ISVTX
        and os.geteuid() not in (0, real.stat().st_uid, folder.stat().st_uid)
    ):
        raise CannotSave(
            f"{name} belongs to {_user(real.stat().st_uid)} in a folder where only a file's owner may replace it",
            "ask them to run sheetflow, or to move the workbook to a shared folder",
        )


def _user(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"user {uid}"


def _group(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return f"group {gid}"


# -- temporary files: the full name of the file they replace, then the run's own token --------------------------


def _key(name: str) -> str:
    """The file's full name (studio.xlsx and studio.xlsm differ), shortened with a digest if it is very long."""
    if len(name.encode()) <= 180:
        return name
    return f"{name[:60]}-{hashlib.sha1(name.encode()).hexdigest()[:16]}"


def temp_prefix(name: str) -> str:
    return f"{TEMP_PREFIX}{_key(name)}~"


def new_temp(folder: Path, name: str) -> Path:
    """An empty, private (0600) file beside the target, named for it and for this run."""
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(name), suffix=".tmp", dir=folder)
    os.close(fd)
    return Path(tmp)


def is_temp_of(candidate: str, name: str) -> bool:
    prefix = temp_prefix(name)
    return candidate.startswith(prefix) and bool(_TOKEN.fullmatch(candidate[len(prefix) :]))


def remove_leftovers(folder: Path, name: str) -> None:
    """Temporary files of a killed run for this very file (never another's); call it holding the file's lock."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if is_temp_of(entry.name, name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


# -- owner, group and mode ---------------------------------------------------------------------------------------


def umask() -> int:
    """The process's umask, read without changing it where the system tells (Linux), else set and put back."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def take_identity(tmp: Path, before: os.stat_result | None, name: str) -> list[str]:
    """Give the new file the old one's owner, group and mode (a new file: 0666 less the umask). Only root may
    give a file away: anyone else keeps group and mode, and is told the owner changed. A file system that keeps
    no owners or modes (FAT, some network shares) is left to its own."""
    if before is None:
        _may(os.chmod, tmp, 0o666 & ~umask())
        return []
    notes: list[str] = []
    if hasattr(os, "chown"):
        if os.geteuid() == 0:
            _may(os.chown, tmp, before.st_uid, before.st_gid)
        else:
            kept_group = tmp.stat().st_gid == before.st_gid or _may(os.chown, tmp, -1, before.st_gid)
            group = f"its group ({_group(before.st_gid)})"
            if before.st_uid != os.geteuid():
                kept = (
                    f"its permissions were kept, and {group}"
                    if kept_group
                    else (f"its permissions were kept; {group} is now yours ({_group(os.getegid())})")
                )
                notes.append(
                    f"{name} now belongs to you ({_user(os.geteuid())}) instead of {_user(before.st_uid)}: "
                    f"only an administrator can save a file for another user; {kept}"
                )
            elif not kept_group:
                notes.append(f"{name}: {group} is now yours ({_group(os.getegid())}) — you are not a member of it")
    _may(os.chmod, tmp, stat.S_IMODE(before.st_mode))
    return notes


def _may(change: Callable[..., None], *args: object) -> bool:
    """chown or chmod where the file system or the user's rights allow; False where they don't."""
    try:
        change(*args)
    except OSError as exc:
        if exc.errno in (
            errno.EPERM,
            errno.EACCES,
            errno.EINVAL,
            errno.ENOTSUP,
            errno.ENOSYS,
            getattr(errno, "EOPNOTSUPP", errno.ENOTSUP),
        ):
            return False
        raise
    return True


def share_like(path: Path, like: os.stat_result) -> None:
    """A folder or lock file sheetflow makes beside a workbook gets the workbook's (or its folder's) group and
    permissions, so the next colleague's run can use it too."""
    if hasattr(os, "chown"):
        if os.geteuid() == 0:
            _may(os.chown, path, like.st_uid, like.st_gid)
        elif path.stat().st_gid != like.st_gid:
            _may(os.chown, path, -1, like.st_gid)
    _may(os.chmod, path, stat.S_IMODE(like.st_mode))


def fsync_file(path: Path) -> None:
    """Make a closed file's data durable (Windows commits only through a handle that may write)."""
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- the one replace -----------------------------------------------------------------------------------------------


def replace_file(
    path: Path,
    fill: Callable[[Path], None],
    *,
    check: Callable[[Path], None] | None = None,
    backup: Callable[[Path], object] | None = None,
) -> list[str]:
    """Write `fill` into a temporary file beside the real file `path` names, make it durable, `check` it, give it
    the old file's owner, group and mode, call `backup` with the real file, and rename it into place: a crash at
    any moment leaves the old file or the new one, and a failure removes the temporary file. Returns notes."""
    name, real = path.name, real_path(path)
    refuse_unwritable(path)
    before = real.stat() if real.exists() else None
    with saving(name):
        tmp = new_temp(real.parent, real.name)
        try:
            fill(tmp)
            fsync_file(tmp)
            if check is not None:
                check(tmp)
            notes = take_identity(tmp, before, name)
            if backup is not None and before is not None:
                backup(real)
            os.replace(tmp, real)
            sync_folder(real.parent)
        finally:
            tmp.unlink(missing_ok=True)
    return notes
