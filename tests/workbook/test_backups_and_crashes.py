"""Every write keeps the previous version; `restore` brings it back; a run killed at any moment leaves the
old workbook or the new one, never a broken one."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile

from conftest import TODAY
from helpers.workbooks import cells, records, session, studio

from sheetflow.workbook.backups import list_backups


def test_each_write_keeps_the_previous_version_and_restore_brings_it_back(tmp_path, sheetflow):
    book = studio(tmp_path / "studio.xlsx", [session(session_id=1, status="Session Pending", change_to="next")])
    original = book.read_bytes()
    assert sheetflow("apply", book).exit_code == 0
    after_apply = book.read_bytes()
    backups = list_backups(book)
    assert len(backups) == 1 and backups[0].path.read_bytes() == original

    result = sheetflow("restore", book, "--list", today=None)
    assert result.exit_code == 0 and result.output.startswith("1. ")

    result = sheetflow("restore", book, today=None)
    assert result.exit_code == 0 and "restored the version of" in result.output
    assert book.read_bytes() == original
    assert records(book, "Sessions")[0]["Status"] == "Session Pending"
    # the version restore replaced is itself kept: the restore can be undone
    assert list_backups(book)[0].path.read_bytes() == after_apply
    assert sheetflow("restore", book, today=None).exit_code == 0
    assert book.read_bytes() == after_apply


def test_only_the_last_few_backups_are_kept(tmp_path, sheetflow, monkeypatch):
    monkeypatch.setenv("SHEETFLOW_BACKUPS", "2")
    book = studio(tmp_path / "studio.xlsx", [session(session_id=1, status="Session Pending")])
    for _ in range(4):
        sheetflow("change", book, "1", "--to", "Session Pending")
    assert len(list_backups(book)) == 2
    monkeypatch.setenv("SHEETFLOW_BACKUPS", "0")
    sheetflow("change", book, "1", "--to", "Session Pending")
    assert len(list_backups(book)) == 2  # 0 keeps no new backups


def test_restore_without_backups_or_of_an_open_workbook(tmp_path, sheetflow):
    book = studio(tmp_path / "studio.xlsx", [session(session_id=1, status="Session Pending")])
    result = sheetflow("restore", book, today=None)
    assert result.exit_code == 2 and "no backups" in result.output
    sheetflow("change", book, "1")
    (tmp_path / "~$studio.xlsx").write_text("x")
    before = book.read_bytes()
    assert sheetflow("restore", book, today=None).exit_code == 3
    assert book.read_bytes() == before
    assert sheetflow("restore", book, "--pick", "7", today=None).exit_code == 2


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_killing_a_run_at_random_moments_never_leaves_a_broken_workbook(tmp_path):
    """SIGKILL during `apply`, many times: the file is always the old version or the new one."""
    rows = [
        session(
            session_id=i,
            client=f"Client {i}",
            status="Session Pending",
            status_date=TODAY,
            change_to="next" if i % 3 == 0 else None,
        )
        for i in range(1, 4001)
    ]
    notes = [
        [
            "Logged At",
            "Session ID",
            "Client",
            "From Status",
            "To Status",
            "Date Completed",
            "Due Date",
            "Updated By",
            "Source",
            "Note",
        ],
        *[[TODAY, i, f"Client {i}", "A", "B", TODAY, TODAY, "Maya", "cli", "history " * 5] for i in range(20000)],
    ]
    original = studio(tmp_path / "original.xlsx", rows, extra={"Notes": notes}, tables=["Notes", "Sessions"])
    command = [sys.executable, "-m", "sheetflow.cli", "apply", "BOOK", "--today", TODAY.isoformat()]
    env = {**os.environ, "SHEETFLOW_BACKUPS": "0"}

    reference = tmp_path / "reference.xlsx"
    shutil.copy(original, reference)
    started = time.monotonic()
    subprocess.run([c.replace("BOOK", str(reference)) for c in command], env=env, check=False, timeout=120)
    duration = time.monotonic() - started
    new_sessions = cells(reference, "Sessions")
    old_digest = _digest(original)

    rng = random.Random(20261125)
    outcomes = {"old": 0, "new": 0}
    low, high = 0.05, duration * 1.1
    for attempt in range(40):
        if attempt >= 25:
            if outcomes["old"] and outcomes["new"]:
                break
            # a busy machine shifts when the write happens: aim the remaining kills at the side not yet seen
            low, high = (duration, duration * 3) if not outcomes["new"] else (0.05, duration / 2)
        book = tmp_path / f"run{attempt}" / "studio.xlsx"
        book.parent.mkdir()
        shutil.copy(original, book)
        process = subprocess.Popen(
            [c.replace("BOOK", str(book)) for c in command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(low, high))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        with zipfile.ZipFile(book) as zf:
            assert zf.testzip() is None
        if _digest(book) == old_digest:
            outcomes["old"] += 1
        else:
            assert cells(book, "Sessions") == new_sessions
            outcomes["new"] += 1
        # the next run clears what the killed one left behind, and works
        done = subprocess.run(
            [c.replace("BOOK", str(book)) for c in command], env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert not list(book.parent.glob("*.tmp"))
    assert outcomes["old"] and outcomes["new"], outcomes  # the kills really landed on both sides of the write
