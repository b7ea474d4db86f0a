"""What the file system does around a write: symlinks, owners and modes, read-only files, folders and disks, full
disks, backups that are whole or absent, and temporary files that belong to one workbook. Real conditions only:
real links, chown and chmod, small tmpfs mounts, other users' processes (as root; skipped, saying why, without)."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import TODAY
from helpers.workbooks import records, session, studio

from sheetflow.workbook.backups import damaged, list_backups
from sheetflow.workbook.replace import temp_prefix

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False
needs_root = pytest.mark.skipif(
    not ROOT, reason="needs root: chown to other users, mount a tmpfs, run as another user (CI runs as root)"
)
REPO = Path(__file__).resolve().parents[2]
NO_SPACE = "not enough space on the disk to save {name} — free some space and run again; nothing was changed"


def pending(path: Path) -> Path:
    return studio(path, [session(session_id=1, client="Ann Lee", status="Session Pending", change_to="next")])


def leftovers(*folders: Path) -> list[str]:
    return [p.name for folder in folders if folder.is_dir() for p in folder.iterdir() if p.name.endswith(".tmp")]


def notes(path: Path) -> list[str]:
    return [row["Note"] for row in records(path, "Notes")]


def _reachable(path: str) -> bool:
    real = Path(os.path.realpath(path))
    return all(p.stat().st_mode & stat.S_IXOTH for p in real.parents)


def _python_for(user: tuple[int, int, list[int]] | None) -> tuple[list[str], dict[str, str]]:
    """This Python, or — for another user, when this one lives in a private folder (pyenv under /root) — the
    system's Python of the same version with this environment's packages."""
    if user is None or _reachable(sys.executable):
        return [sys.executable], {}
    import site

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    other = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    if other is None or not _reachable(other):
        pytest.skip(f"no {version} that another user may start (this one is in a private folder)")
    return [other], {"PYTHONPATH": os.pathsep.join([str(REPO), *site.getsitepackages()])}


def sheetflow_process(
    *args: object, user: tuple[int, int, list[int]] | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """`sheetflow ARGS…` in a process of its own, as another user (uid, gid, groups) when asked."""

    def drop() -> None:
        assert user is not None
        os.setgroups(user[2])
        os.setgid(user[1])
        os.setuid(user[0])

    argv = [str(a) for a in args]
    if argv[0] not in ("new", "restore"):
        argv += ["--today", TODAY.isoformat()]
    python, python_env = _python_for(user)
    return subprocess.Popen(
        [*python, "-m", "sheetflow.cli", *argv],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=drop if user else None,
        env={**os.environ, "HOME": "/tmp", **python_env, **(env or {})},
    )


def run_process(*args: object, **kwargs) -> tuple[int, str]:
    process = sheetflow_process(*args, **kwargs)
    output, _ = process.communicate(timeout=180)
    return process.returncode, output


@pytest.fixture
def small_disk():
    """mount(folder, size_kb, inodes): a tmpfs of a few kilobytes there, unmounted after the test."""
    mounted: list[Path] = []

    def mount(where: Path, size_kb: int = 256, inodes: int | None = None) -> Path:
        if not ROOT:
            pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
        where.mkdir(parents=True, exist_ok=True)
        options = f"size={size_kb}k" + (f",nr_inodes={inodes}" if inodes else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True, check=False
        )
        if done.returncode:
            pytest.skip(f"mount refused a tmpfs: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill_up(folder: Path) -> None:
    """Take every free byte of the disk that holds `folder`."""
    with open(folder / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def use_every_inode(folder: Path) -> None:
    """Take every free inode (file entry) of the disk that holds `folder`."""
    for n in range(100000):
        try:
            (folder / f"entry{n}").touch()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            return


@pytest.fixture
def shared_tmp():
    """A folder other users can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="sheetflow-shared-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# -- symlinks --------------------------------------------------------------------------------------------------------


def test_a_symlinked_workbook_is_written_through_to_its_target_and_stays_a_link(tmp_path, sheetflow):
    (tmp_path / "Dropbox").mkdir()
    (tmp_path / "desk").mkdir()
    real = pending(tmp_path / "Dropbox" / "Studio 2026.xlsx")
    hop = tmp_path / "desk" / "hop.xlsx"
    hop.symlink_to(Path("..") / "Dropbox" / "Studio 2026.xlsx")  # a relative link …
    link = tmp_path / "desk" / "studio.xlsx"
    link.symlink_to("hop.xlsx")  # … and a link to that link
    original = real.read_bytes()

    result = sheetflow("apply", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == "hop.xlsx" and hop.is_symlink()
    assert records(real, "Sessions")[0]["Status"] == "Image Capture Pending"  # the real workbook was updated
    backups = list_backups(real)
    assert len(backups) == 1 and backups[0].path.parent == tmp_path / "Dropbox" / ".sheetflow-backups"
    assert backups[0].path.read_bytes() == original
    assert not (tmp_path / "desk" / ".sheetflow-backups").exists()
    assert leftovers(tmp_path / "desk", tmp_path / "Dropbox") == []

    result = sheetflow("restore", link, today=None)  # restore through the link puts the backup in the real file
    assert result.exit_code == 0 and link.is_symlink() and real.read_bytes() == original


def test_excel_having_the_real_file_open_stops_a_run_through_the_link(tmp_path, sheetflow):
    (tmp_path / "shared").mkdir()
    real = pending(tmp_path / "shared" / "studio.xlsx")
    link = tmp_path / "my studio.xlsx"
    link.symlink_to(real)
    (tmp_path / "shared" / "~$studio.xlsx").write_text("Maya")
    before = real.read_bytes()
    result = sheetflow("apply", link)
    assert result.exit_code == 3 and "open in Excel" in result.output
    assert real.read_bytes() == before and link.is_symlink()


def test_runs_through_a_link_and_through_the_real_path_exclude_each_other(tmp_path):
    """20 rounds of two processes at once, one through each path: every run that says done kept its change."""
    (tmp_path / "shared").mkdir()
    real = studio(tmp_path / "shared" / "studio.xlsx", [session(session_id=1, status="Session Pending")])
    link = tmp_path / "studio.xlsx"
    link.symlink_to(real)
    done: list[str] = []
    for round_ in range(20):
        runs = {
            f"{side} {round_}": sheetflow_process(
                "change",
                path,
                "1",
                "--to",
                "Session Pending",
                "--note",
                f"{side} {round_}",
                env={"SHEETFLOW_BACKUPS": "1"},
            )
            for side, path in (("link", link), ("real", real))
        }
        for note, process in runs.items():
            output, _ = process.communicate(timeout=180)
            assert process.returncode in (0, 3), output
            if process.returncode == 0:
                done.append(note)
            else:
                assert "another sheetflow run is writing this workbook" in output
    assert link.is_symlink()
    assert sorted(notes(real)) == sorted(done)  # no change lost
    assert any(n.startswith("link") for n in done) and any(n.startswith("real") for n in done)


def test_a_hard_link_is_broken_by_a_write_as_by_excel(tmp_path, sheetflow):
    book = pending(tmp_path / "studio.xlsx")
    other = tmp_path / "studio copy.xlsx"
    os.link(book, other)
    before = book.read_bytes()
    assert sheetflow("apply", book).exit_code == 0
    assert other.read_bytes() == before  # the other name keeps the old version; the workbook is a new file
    assert not os.path.samefile(book, other)


# -- owner, group and mode -------------------------------------------------------------------------------------------


@needs_root
@pytest.mark.parametrize(("owner", "group", "mode"), [(1, 50, 0o660), (1000, 1000, 0o600), (0, 50, 0o640)])
def test_a_write_keeps_the_owner_group_and_mode(tmp_path, sheetflow, owner, group, mode):
    book = pending(tmp_path / "studio.xlsx")
    os.chown(book, owner, group)
    book.chmod(mode)
    result = sheetflow("apply", book)
    assert result.exit_code == 0, result.output
    after = book.stat()
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (owner, group, mode)
    assert records(book, "Sessions")[0]["Status"] == "Image Capture Pending"
    assert "now belongs to" not in result.output


@needs_root
def test_a_colleague_in_the_group_keeps_group_and_mode_and_is_told_the_owner_changed(shared_tmp):
    """Shared folder of user 1 (daemon) and group 50 (staff), mode 0660: nobody (65534), a member of staff,
    runs apply; then daemon runs again — the lock and backups folder the colleague made work for the owner too."""
    folder = shared_tmp / "studio"
    folder.mkdir()
    os.chown(folder, 1, 50)
    folder.chmod(0o770)
    book = studio(
        folder / "studio.xlsx",
        [
            session(session_id=1, status="Session Pending", change_to="next"),
            session(session_id=2, status="Session Pending"),
        ],
    )
    os.chown(book, 1, 50)
    book.chmod(0o660)

    code, output = run_process("apply", book, user=(65534, 65534, [50]))
    assert code == 0, output
    after = book.stat()
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (65534, 50, 0o660)
    told = [line for line in output.splitlines() if "now belongs to" in line]
    assert told == [
        "studio.xlsx now belongs to you (nobody) instead of daemon: only an administrator can save a "
        "file for another user; its permissions were kept, and its group (staff)"
    ]

    code, output = run_process("change", book, "2", user=(1, 1, [50]))  # the owner, after the colleague
    assert code == 0, output
    after = book.stat()
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (1, 50, 0o660)
    assert [r["Status"] for r in records(book, "Sessions")] == ["Image Capture Pending", "Image Capture Pending"]


@needs_root
def test_a_workbook_others_may_not_write_is_refused_for_them(shared_tmp):
    folder = shared_tmp / "open"
    folder.mkdir()
    folder.chmod(0o777)
    book = pending(folder / "studio.xlsx")
    book.chmod(0o644)
    before = book.read_bytes()
    code, output = run_process("apply", book, user=(65534, 65534, []))
    assert code == 2
    assert output.strip() == (
        "sheetflow: studio.xlsx: studio.xlsx is read-only for you (it belongs to root) — ask "
        "its owner for write permission and run again; nothing was changed"
    )
    assert book.read_bytes() == before


# -- read-only files, folders and disks ------------------------------------------------------------------------------


def test_a_read_only_workbook_is_still_checked_by_validate_which_says_problems_was_not_updated(tmp_path, sheetflow):
    book = pending(tmp_path / "studio.xlsx")
    book.chmod(0o444)
    before = book.read_bytes()
    result = sheetflow("validate", book)
    assert result.exit_code == 0, result.output
    assert (
        "studio.xlsx is read-only, so its Problems sheet was not updated — uncheck Read-only in its Properties "
        "(or chmod u+w studio.xlsx) to keep the list in the workbook"
    ) in result.output
    assert book.read_bytes() == before and not (tmp_path / ".sheetflow-backups").exists()


@pytest.mark.parametrize("command", ["apply", "refresh"])
def test_a_read_only_workbook_is_refused_before_any_work(tmp_path, sheetflow, command):
    book = pending(tmp_path / "studio.xlsx")
    book.chmod(0o444)
    before = book.read_bytes()
    result = sheetflow(command, book)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "sheetflow: studio.xlsx: studio.xlsx is read-only — uncheck Read-only in its Properties (or chmod u+w "
        "studio.xlsx) and run again; nothing was changed"
    )
    assert book.read_bytes() == before and stat.S_IMODE(book.stat().st_mode) == 0o444
    assert not (tmp_path / ".sheetflow-backups").exists()  # refused before the lock or a backup


def test_a_read_only_folder_is_exit_2_not_busy(tmp_path, sheetflow):
    folder = tmp_path / "archive"
    folder.mkdir()
    book = pending(folder / "studio.xlsx")
    folder.chmod(0o555)
    try:
        before = book.read_bytes()
        for args in (
            ("apply", book),
            ("new", folder / "other.xlsx"),
            ("statuses", "export", book, "--out", folder / "list.csv"),
        ):
            result = sheetflow(*args)
            assert result.exit_code == 2, result.output
            assert f"the folder {folder} is read-only" in result.output and "chmod u+w" in result.output
            assert "nothing was changed" in result.output
        assert book.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == ["studio.xlsx"]
    finally:
        folder.chmod(0o755)


def test_a_read_only_disk_is_refused(tmp_path, sheetflow, small_disk):
    disk = small_disk(tmp_path / "usb")
    book = pending(disk / "studio.xlsx")
    assert sheetflow("apply", book).exit_code == 0  # a backup to restore
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    before = book.read_bytes()
    for args in (("refresh", book), ("new", disk / "new.xlsx"), ("restore", book)):
        result = sheetflow(*args, today=None if args[0] == "restore" else TODAY)
        assert result.exit_code == 2, result.output
        assert "is on a read-only disk — copy it to a disk you can write to" in result.output
    assert book.read_bytes() == before


# -- full disks ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["apply", "refresh"])
def test_a_full_disk_is_one_line_and_nothing_changed(tmp_path, sheetflow, small_disk, command):
    disk = small_disk(tmp_path / "disk")
    book = pending(disk / "studio.xlsx")
    before = book.read_bytes()
    fill_up(disk)
    code, output = run_process(command, book)
    assert code == 2
    assert output.strip() == "sheetflow: studio.xlsx: " + NO_SPACE.format(name="studio.xlsx")
    assert book.read_bytes() == before
    assert leftovers(disk, disk / ".sheetflow-backups") == []
    (disk / "filler").unlink()  # space again: the same run works
    assert sheetflow(command, book).exit_code == 0


def test_no_inodes_left_is_the_same_line(tmp_path, sheetflow, small_disk):
    disk = small_disk(tmp_path / "disk", size_kb=512, inodes=64)
    book = pending(disk / "studio.xlsx")
    assert sheetflow("refresh", book).exit_code == 0  # the backup folder and lock exist, as after any first run
    before = book.read_bytes()
    use_every_inode(disk)
    result = sheetflow("apply", book)
    assert result.exit_code == 2
    assert result.output.strip() == "sheetflow: studio.xlsx: " + NO_SPACE.format(name="studio.xlsx")
    assert book.read_bytes() == before and leftovers(disk, disk / ".sheetflow-backups") == []


def test_no_inodes_for_the_backup_folder_is_one_line(tmp_path, sheetflow, small_disk):
    disk = small_disk(tmp_path / "disk", size_kb=512, inodes=64)
    book = pending(disk / "studio.xlsx")
    before = book.read_bytes()
    use_every_inode(disk)
    result = sheetflow("apply", book)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "sheetflow: studio.xlsx: not enough space on the disk to make "
        ".sheetflow-backups beside studio.xlsx — free some space and run again; "
        "nothing was changed"
    )
    assert book.read_bytes() == before


def test_new_on_a_full_disk(tmp_path, sheetflow, small_disk):
    disk = small_disk(tmp_path / "disk")
    old = pending(disk / "old.xlsx")
    before = old.read_bytes()
    fill_up(disk)
    result = sheetflow("new", disk / "studio.xlsx")
    assert result.exit_code == 2
    assert result.output.strip() == "sheetflow: studio.xlsx: " + NO_SPACE.format(name="studio.xlsx")
    result = sheetflow("new", old, "--force")
    assert result.exit_code == 2 and NO_SPACE.format(name="old.xlsx") in result.output
    assert old.read_bytes() == before
    assert sorted(p.name for p in disk.iterdir()) == [".sheetflow-backups", "filler", "old.xlsx"]
    assert leftovers(disk / ".sheetflow-backups") == []


def test_restore_on_a_full_disk(tmp_path, sheetflow, small_disk):
    disk = small_disk(tmp_path / "disk")
    book = pending(disk / "studio.xlsx")
    assert sheetflow("apply", book).exit_code == 0
    before = book.read_bytes()
    fill_up(disk)
    result = sheetflow("restore", book, today=None)
    assert result.exit_code == 2
    assert result.output.strip() == "sheetflow: studio.xlsx: " + NO_SPACE.format(name="studio.xlsx")
    assert book.read_bytes() == before and len(list_backups(book)) == 1
    assert leftovers(disk, disk / ".sheetflow-backups") == []


def test_statuses_export_to_a_full_disk(tmp_path, sheetflow, small_disk):
    book = pending(tmp_path / "studio.xlsx")
    disk = small_disk(tmp_path / "usb")
    fill_up(disk)
    for out in ("list.csv", "list.xlsx"):  # as its own process: nothing more is printed when Python exits
        code, output = run_process("statuses", "export", book, "--out", disk / out)
        assert code == 2
        assert output.strip() == "sheetflow: studio.xlsx: " + NO_SPACE.format(name=out)
    assert sorted(p.name for p in disk.iterdir()) == ["filler"]


# -- backups whole or absent -----------------------------------------------------------------------------------------


def test_a_backup_on_another_disk_is_a_whole_copy(tmp_path, sheetflow, small_disk):
    book = pending(tmp_path / "studio.xlsx")
    small_disk(tmp_path / ".sheetflow-backups", size_kb=512)  # a hard link can't cross disks: a copy is made
    before = book.read_bytes()
    assert sheetflow("apply", book).exit_code == 0
    (backup,) = list_backups(book)
    assert backup.path.read_bytes() == before and damaged(backup.path) is None
    assert backup.path.stat().st_ino != book.stat().st_ino
    assert stat.S_IMODE(backup.path.stat().st_mode) == stat.S_IMODE(book.stat().st_mode)


def test_a_backup_that_does_not_fit_stops_the_run_and_leaves_no_part_of_a_backup(
    tmp_path, sheetflow, small_disk, monkeypatch
):
    book = pending(tmp_path / "studio.xlsx")
    backups = small_disk(tmp_path / ".sheetflow-backups", size_kb=64)
    fill_up(backups)
    before = book.read_bytes()
    result = sheetflow("apply", book)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "sheetflow: studio.xlsx: not enough space on the disk to keep a backup of studio.xlsx in "
        ".sheetflow-backups — free some space there (or set SHEETFLOW_BACKUPS=0 to save without backups) and run "
        "again; nothing was changed"
    )
    assert book.read_bytes() == before
    assert list_backups(book) == [] and leftovers(tmp_path, backups) == []
    monkeypatch.setenv("SHEETFLOW_BACKUPS", "0")
    assert sheetflow("apply", book).exit_code == 0  # the way out the message gives


def test_restore_refuses_a_backup_truncated_by_a_full_disk(tmp_path, sheetflow, small_disk):
    """What a plain copy leaves when the backup disk fills mid-way: a file under a backup's name, cut short."""
    book = pending(tmp_path / "studio.xlsx")
    backups = small_disk(tmp_path / ".sheetflow-backups", size_kb=4)
    with pytest.raises(OSError) as full:
        shutil.copy2(book, backups / "studio.20261124-090000-000000.xlsx")
    assert full.value.errno == errno.ENOSPC
    assert 0 < (backups / "studio.20261124-090000-000000.xlsx").stat().st_size < book.stat().st_size
    before = book.read_bytes()
    result = sheetflow("restore", book, today=None)
    assert result.exit_code == 2
    assert "backup 1 (2026-11-24 09:00:00, studio.20261124-090000-000000.xlsx) is damaged" in result.output
    assert "so it was not restored; no older backup opens either; nothing was changed" in result.output
    assert book.read_bytes() == before


def flip_a_byte_of(path: Path, member: str) -> None:
    """Damage one byte in the middle of a part's compressed data, as a bad disk sector would."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    data = bytearray(path.read_bytes())
    start = (
        info.header_offset
        + 30
        + len(info.filename.encode())
        + int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    )
    data[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["cut short", "a byte flipped"])
def test_restore_refuses_a_damaged_backup_and_names_the_next_good_one(tmp_path, sheetflow, damage):
    book = studio(tmp_path / "studio.xlsx", [session(session_id=1, status="Session Pending")])
    for step in ("Image Capture Pending", "Retouch Pending"):
        assert sheetflow("change", book, "1", "--to", step).exit_code == 0
    newest, older = list_backups(book)
    good = older.path.read_bytes()
    if damage == "cut short":
        newest.path.write_bytes(newest.path.read_bytes()[: newest.path.stat().st_size // 2])
    else:
        flip_a_byte_of(newest.path, "xl/worksheets/sheet5.xml")
    before = book.read_bytes()

    result = sheetflow("restore", book, today=None)
    assert result.exit_code == 2
    line = result.output.strip()
    why = (
        "it is cut short or is not a workbook at all"
        if damage == "cut short"
        else ("its part xl/worksheets/sheet5.xml is damaged")
    )
    assert line.startswith(
        f"sheetflow: studio.xlsx: backup 1 ({newest.label}, {newest.path.name}) is damaged — {why} — "
    )
    assert line.endswith(
        f"so it was not restored; the next good one is 2 ({older.label}): sheetflow restore "
        "studio.xlsx --pick 2; nothing was changed"
    )
    assert book.read_bytes() == before

    result = sheetflow("restore", book, "--pick", "2", today=None)
    assert result.exit_code == 0 and book.read_bytes() == good
    assert records(book, "Sessions")[0]["Status"] == "Session Pending"


@pytest.mark.parametrize("kind", ["file", "dangling link"])
def test_a_backups_folder_that_is_not_a_folder_is_one_line(tmp_path, sheetflow, kind):
    book = pending(tmp_path / "studio.xlsx")
    if kind == "file":
        (tmp_path / ".sheetflow-backups").write_text("notes")
    else:
        (tmp_path / ".sheetflow-backups").symlink_to(tmp_path / "gone")
    before = book.read_bytes()
    result = sheetflow("apply", book)
    assert result.exit_code == 2
    what = "a file, not a folder" if kind == "file" else "a link to a folder that is not there"
    assert result.output.strip() == (
        f"sheetflow: studio.xlsx: .sheetflow-backups beside studio.xlsx is {what} (sheetflow keeps the workbook's "
        f"lock and backups in a folder of that name) — rename or remove it (it is in {tmp_path}) and run again; "
        "nothing was changed"
    )
    assert book.read_bytes() == before


def test_new_force_keeps_the_file_it_replaces(tmp_path, sheetflow):
    book = pending(tmp_path / "studio.xlsx")
    if ROOT:
        os.chown(book, 1000, 50)
    book.chmod(0o640)
    before = book.read_bytes()
    result = sheetflow("new", book, "--force")
    assert result.exit_code == 0, result.output
    assert "the file it replaced is kept: `sheetflow restore studio.xlsx` brings it back" in result.output
    assert book.read_bytes() != before and stat.S_IMODE(book.stat().st_mode) == 0o640
    if ROOT:
        assert (book.stat().st_uid, book.stat().st_gid) == (1000, 50)
    assert sheetflow("restore", book, today=None).exit_code == 0
    assert book.read_bytes() == before


def test_new_force_with_the_sample_names_the_backup_to_pick(tmp_path, sheetflow):
    book = pending(tmp_path / "studio.xlsx")
    before = book.read_bytes()
    result = sheetflow("new", book, "--force", "--sample")
    assert result.exit_code == 0, result.output
    assert "the file it replaced is kept: `sheetflow restore studio.xlsx --pick 2` brings it back" in result.output
    assert sheetflow("restore", book, "--pick", "2", today=None).exit_code == 0
    assert book.read_bytes() == before


# -- the umask ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def umask():
    def set_(mask: int) -> None:
        os.umask(mask)

    old = os.umask(0o022)
    os.umask(old)
    yield set_
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_files_sheetflow_creates_follow_the_umask(tmp_path, sheetflow, umask, mask):
    umask(mask)
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book).exit_code == 0
    made = [book, tmp_path / "studio.py"]
    for out in ("list.csv", "list.xlsx"):
        assert sheetflow("statuses", "export", book, "--out", tmp_path / out).exit_code == 0
        made.append(tmp_path / out)
    assert sheetflow("statuses", "print", book, "--out", tmp_path / "print.xlsx").exit_code == 0
    made.append(tmp_path / "print.xlsx")
    for path in made:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path.name


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_printed_pdf_follows_the_umask(tmp_path, sheetflow, umask):
    umask(0o027)
    book = pending(tmp_path / "studio.xlsx")
    result = sheetflow("statuses", "print", book, "--out", tmp_path / "statuses.pdf")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "statuses.pdf").stat().st_mode) == 0o640


def test_a_file_that_exists_keeps_its_mode(tmp_path, sheetflow, umask):
    umask(0o022)
    book = pending(tmp_path / "studio.xlsx")
    out = tmp_path / "list.csv"
    out.write_text("old")
    out.chmod(0o600)
    assert sheetflow("statuses", "export", book, "--out", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text() != "old"


# -- temporary files belong to one workbook ----------------------------------------------------------------------------

PREFIX_SHARING = ["north.xlsx", "north-big.xlsx", "studio.xlsx", "studio.xlsm", "studio.xlsx.xlsx"]


def branches(folder: Path) -> list[Path]:
    folder.mkdir()
    return [
        studio(folder / name, [session(session_id=1, status="Retouch Pending", status_date=TODAY)])
        for name in PREFIX_SHARING
    ]


def test_workbooks_whose_names_share_a_prefix_refresh_side_by_side(tmp_path, sheetflow):
    folder = tmp_path / "branches"
    books = branches(folder)
    for _ in range(4):
        result = sheetflow("refresh", folder, "--jobs", "4")
        assert result.exit_code == 0, result.output
    for _ in range(4):  # and as separate processes started at once
        runs = [sheetflow_process("refresh", book) for book in books]
        for process in runs:
            output, _ = process.communicate(timeout=180)
            assert process.returncode == 0, output
    assert leftovers(folder, folder / ".sheetflow-backups") == []


def test_leftovers_of_a_killed_run_go_only_with_their_own_workbook(tmp_path, sheetflow):
    folder = tmp_path / "branches"
    branches(folder)
    left = {name: folder / f"{temp_prefix(name)}x1y2z3w4.tmp" for name in PREFIX_SHARING}
    for path in left.values():
        path.write_bytes(b"half a workbook")
    assert sheetflow("refresh", folder / "north.xlsx").exit_code == 0
    assert sheetflow("refresh", folder / "studio.xlsx").exit_code == 0
    assert sorted(leftovers(folder)) == sorted(
        left[name].name for name in ("north-big.xlsx", "studio.xlsm", "studio.xlsx.xlsx")
    )
