"""The nightly run: `sheetflow schedule` hands a daily refresh to the system's scheduler (cron and a systemd user
timer for real here, Task Scheduler's XML and launchd's plist by parsing what a dry run prints), and `sheetflow
nightly`, what the scheduler starts, retries a workbook open in Excel, logs each try and writes Last refresh."""

from __future__ import annotations

import datetime as dt
import os
import plistlib
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from helpers.workbooks import SETTINGS, cells, records, session, studio

from sheetflow.library import schedule as nightly_run

TASK = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"
BEGIN = nightly_run.CRON_BEGIN
END = nightly_run.CRON_END


def overdue_studio(path: Path, status_date: dt.date | None = None) -> Path:
    """One session in Retouch Pending (5 business days) since a month ago: overdue on the day it runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    since = status_date or dt.date.today() - dt.timedelta(days=30)
    return studio(path, [session(session_id=1, client="Ann Lee", status="Retouch Pending", status_date=since)])


def last_refresh(path: Path) -> str | None:
    return next((r["Value"] for r in records(path, "Settings") if r["Setting"] == "Last refresh"), None)


def log_lines(book: Path) -> list[str]:
    return book.with_name(f"{book.stem}.sheetflow.log").read_text(encoding="utf-8").splitlines()


def written(output: str, name: str) -> str:
    """The contents a dry run prints for the file whose path ends with `name`, exactly as it would be written."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("--- write ") and name in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("--- ")), len(lines))
    return "\n".join(lines[start + 1 : end]) + "\n"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home folder of the test's own, where LaunchAgents, systemd user units and AppData would go."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def crontab():
    """The real crontab of this user, put back exactly as it was after the test."""
    if shutil.which("crontab") is None:
        pytest.skip("no crontab command here: apt-get install -y cron (.ci/run installs it)")
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    yield
    if saved.returncode == 0:
        subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
    else:
        subprocess.run(["crontab", "-r"], capture_output=True)


def crontab_now() -> str:
    listed = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    return listed.stdout if listed.returncode == 0 else ""


def sheetflow_line(crontab_text: str) -> str:
    lines = crontab_text.splitlines()
    assert lines.count(BEGIN) == 1 and lines.count(END) == 1, crontab_text
    return lines[lines.index(BEGIN) + 1]


# --- Setting it up ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["6.30", "25:00", "06:60", "half past six", "630"])
def test_a_time_that_is_not_hh_mm_on_the_24_hour_clock_is_refused_in_plain_words(tmp_path, sheetflow, typed):
    book = overdue_studio(tmp_path / "studio.xlsx")
    result = sheetflow("schedule", book, "--at", typed, "--dry-run", today=None)
    assert result.exit_code == 2
    assert f'--at "{typed}" is not a time of day — type it as HH:MM on the 24-hour clock' in result.output


def test_a_workbook_that_is_not_there_is_refused_with_its_full_path(tmp_path, sheetflow, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = sheetflow("schedule", "studoi.xlsx", "--at", "06:30", "--dry-run", today=None)
    assert result.exit_code == 2
    assert f"{tmp_path / 'studoi.xlsx'} does not exist — check the name and the folder" in result.output


def test_show_and_remove_together_are_refused(sheetflow):
    result = sheetflow("schedule", "--show", "--remove", today=None)
    assert result.exit_code == 2 and "--show and --remove can't go together" in result.output


def test_cron_gets_one_marked_line_and_every_other_line_of_the_crontab_stays(tmp_path, sheetflow, crontab):
    theirs = (
        "MAILTO=maya@example.com\n"
        "# the studio's own backup, at 23:00\n"
        "0 23 * * * tar czf /tmp/backup-$(date +\\%F).tgz /srv/photos\n"
    )
    subprocess.run(["crontab", "-"], input=theirs, text=True, check=True)
    book = overdue_studio(tmp_path / "Maya's Studio 100%" / "studio.xlsx")

    first = sheetflow("schedule", book, "--at", "06:30", "--scheduler", "cron", today=None)
    assert first.exit_code == 0, first.output
    assert "the nightly run is set up: every day at 06:30, cron runs" in first.output
    again = sheetflow("schedule", book, "--at", "18:05", "--scheduler", "cron", today=None)  # replaces, never adds
    assert again.exit_code == 0, again.output

    installed = crontab_now()
    assert installed.startswith(theirs)
    line = sheetflow_line(installed)
    assert line.startswith("5 18 * * * ")
    folder = str(book.parent).replace("'", "'\"'\"'").replace("%", "\\%")  # sh's quoting, then cron's \%
    assert line.endswith(f" -m sheetflow nightly '{folder}/studio.xlsx'")
    shown = sheetflow("schedule", "--show", "--scheduler", "cron", today=None)
    assert shown.exit_code == 0 and line in shown.output.splitlines()

    dry = sheetflow("schedule", "--remove", "--dry-run", today=None)
    assert dry.exit_code == 0 and "--- run crontab -" in dry.output and line not in dry.output
    assert crontab_now() == installed  # a dry run changes nothing
    removed = sheetflow("schedule", "--remove", today=None)
    assert removed.exit_code == 0 and "the nightly run was removed (cron)" in removed.output
    assert crontab_now() == theirs
    assert "no nightly run was set up" in sheetflow("schedule", "--remove", today=None).output


def test_the_crontab_line_run_as_cron_runs_it_refreshes_the_workbook_and_logs_beside_it(tmp_path, sheetflow, crontab):
    book = overdue_studio(tmp_path / "Maya's Studio 100%" / "studio.xlsx")
    assert sheetflow("schedule", book, "--at", "06:30", "--scheduler", "cron", today=None).exit_code == 0
    command = sheetflow_line(crontab_now()).split(" ", 5)[5]
    assert "%" not in command.replace("\\%", "")  # every % escaped, or cron would cut the line there
    # cron's own way: \% becomes %, then /bin/sh runs the line with a bare environment in the home folder
    home = tmp_path / "cronhome"
    home.mkdir()
    ran = subprocess.run(
        ["/bin/sh", "-c", command.replace("\\%", "%")],
        env={"HOME": str(home), "LOGNAME": "root", "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh"},
        cwd=home,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    assert records(book, "Sessions")[0]["Flag"] == "Overdue"
    today = dt.date.today().isoformat()
    assert last_refresh(book).startswith(today)
    assert last_refresh(book).endswith(" done: 1 overdue, 0 due soon; 0 errors, 0 warnings")
    (line,) = log_lines(book)
    assert line.startswith(today) and line.endswith("  try 1 of 5  done  1 overdue, 0 due soon; 0 errors, 0 warnings")
    assert ran.stdout == f"studio.xlsx: {line}\n"


# The minutes Debian's /etc/crontab and /etc/cron.d start the system's own jobs (daily, weekly, monthly, e2scrub).
SYSTEM_CRON_MINUTES = {"06:25", "06:47", "06:52", "03:10", "03:30"}


def _start_cron() -> subprocess.Popen | None:
    """A cron daemon of the test's own, unless one is running already (then that one fires the job)."""
    daemon = subprocess.Popen(["/usr/sbin/cron", "-f"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(1)
    return daemon if daemon.poll() is None else None


@pytest.mark.skipif(
    not (os.path.exists("/usr/sbin/cron") and hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="needs the cron daemon (/usr/sbin/cron) and root to start it",
)
def test_cron_itself_starts_the_nightly_run_at_its_minute(tmp_path, sheetflow, crontab):
    book = overdue_studio(tmp_path / "branch one" / "studio.xlsx")
    start = dt.datetime.now() + dt.timedelta(minutes=1 if dt.datetime.now().second < 45 else 2)
    while f"{start:%H:%M}" in SYSTEM_CRON_MINUTES:  # the daemon runs the system's jobs too: not in their minute
        start += dt.timedelta(minutes=1)
    assert sheetflow("schedule", book, "--at", f"{start:%H:%M}", "--scheduler", "cron", today=None).exit_code == 0
    daemon = _start_cron()
    try:
        log = book.with_name("studio.sheetflow.log")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (log.exists() and log.read_text().strip()):
            time.sleep(1)
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(10)
    (line,) = log_lines(book)
    assert line.startswith(f"{start:%Y-%m-%d %H:%M}:") and "try 1 of 5  done  1 overdue" in line
    assert last_refresh(book).startswith(f"{start:%Y-%m-%d %H:%M} done: 1 overdue")


def test_systemd_user_timer_dry_run_prints_both_units_with_the_path_quoted(tmp_path, sheetflow, home):
    book = overdue_studio(tmp_path / "Maya's Studio 100%" / "studio.xlsx")
    result = sheetflow("schedule", book, "--at", "06:30", "--scheduler", "systemd", "--dry-run", today=None)
    assert result.exit_code == 0, result.output
    service = written(result.output, "sheetflow-nightly.service")
    timer = written(result.output, "sheetflow-nightly.timer")
    quoted_path = '"' + str(book).replace("%", "%%") + '"'
    assert f'ExecStart="{sys.executable}" "-m" "sheetflow" "nightly" {quoted_path}\n' in service
    assert "Type=oneshot\n" in service
    assert "OnCalendar=*-*-* 06:30:00\nPersistent=true\n" in timer and "WantedBy=timers.target" in timer
    assert "--- run systemctl --user enable --now sheetflow-nightly.timer" in result.output
    assert not (home / ".config").exists()  # a dry run writes nothing


@pytest.mark.skipif(nightly_run.SystemdTimer.available(), reason="systemctl --user works here")
def test_a_systemd_timer_is_refused_where_systemctl_user_does_not_work(tmp_path, sheetflow, home):
    book = overdue_studio(tmp_path / "studio.xlsx")
    result = sheetflow("schedule", book, "--scheduler", "systemd", today=None)
    assert result.exit_code == 2
    assert "`systemctl --user` does not work here (no systemd user session)" in result.output
    assert "use --scheduler cron" in result.output
    assert not (home / ".config").exists()


@pytest.mark.skipif(
    not nightly_run.SystemdTimer.available(),
    reason="`systemctl --user` does not work here (no systemd user session), so a user timer can't be installed",
)
def test_a_systemd_user_timer_is_installed_enabled_and_removed(tmp_path, sheetflow):
    book = overdue_studio(tmp_path / "studio.xlsx")
    result = sheetflow("schedule", book, "--at", "06:30", "--scheduler", "systemd", today=None)
    assert result.exit_code == 0, result.output
    enabled = subprocess.run(["systemctl", "--user", "is-enabled", "sheetflow-nightly.timer"], capture_output=True)
    assert enabled.returncode == 0
    try:
        started = subprocess.run(["systemctl", "--user", "start", "sheetflow-nightly.service"], capture_output=True)
        assert started.returncode == 0, started.stderr
        assert records(book, "Sessions")[0]["Flag"] == "Overdue"
        assert "done" in log_lines(book)[-1]
    finally:
        assert sheetflow("schedule", "--remove", "--scheduler", "systemd", today=None).exit_code == 0
    unit = Path.home() / ".config" / "systemd" / "user" / "sheetflow-nightly.timer"
    assert not unit.exists()


def test_macos_gets_a_launch_agent_whose_arguments_keep_the_path_whole(tmp_path, sheetflow, home):
    book = overdue_studio(tmp_path / "Maya's Studio 100%" / "studio.xlsx")
    result = sheetflow("schedule", book, "--at", "18:05", "--system", "macos", "--dry-run", today=None)
    assert result.exit_code == 0, result.output
    plist_path = home / "Library" / "LaunchAgents" / "com.sheetflow.nightly.plist"
    agent = plistlib.loads(written(result.output, str(plist_path)).encode())
    assert agent["Label"] == "com.sheetflow.nightly"
    assert agent["ProgramArguments"] == [sys.executable, "-m", "sheetflow", "nightly", str(book)]
    assert agent["StartCalendarInterval"] == {"Hour": 18, "Minute": 5}
    assert agent["RunAtLoad"] is False
    assert f"--- run launchctl bootstrap gui/{os.getuid()} {plist_path}" in result.output
    assert not plist_path.exists()


def test_windows_gets_a_task_xml_in_utf16_with_every_element_task_scheduler_needs(tmp_path, sheetflow, home):
    book = overdue_studio(tmp_path / "Maya's Studio" / "studio.xlsx")
    result = sheetflow("schedule", book, "--at", "18:05", "--system", "windows", "--dry-run", today=None)
    assert result.exit_code == 0, result.output
    xml_path = home / "AppData" / "Local" / "sheetflow" / "sheetflow-nightly.xml"
    assert f"--- write {xml_path} (UTF-16, as schtasks reads it)" in result.output
    assert f'--- run schtasks /Create /XML {xml_path} /TN "sheetflow nightly" /F' in result.output
    assert not xml_path.exists()

    job = nightly_run.job_for([book], dt.time(18, 5), "windows")
    raw = nightly_run.TaskScheduler(home).contents(job)  # what the dry run printed, as schtasks gets it
    assert raw.startswith(b"\xff\xfe")  # UTF-16 with its byte order mark, as schtasks /XML reads it
    text = raw.decode("utf-16")
    assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>\r\n')
    assert text.replace("\r\n", "\n") == written(result.output, "sheetflow-nightly.xml")
    task = ET.fromstring(raw)  # expat reads the UTF-16 bytes by their declaration
    assert task.tag == f"{TASK}Task"
    assert [child.tag.removeprefix(TASK) for child in task] == [
        "RegistrationInfo",
        "Triggers",
        "Principals",
        "Settings",
        "Actions",
    ]
    trigger = task.find(f"{TASK}Triggers/{TASK}CalendarTrigger")
    assert trigger.findtext(f"{TASK}StartBoundary") == f"{dt.date.today().isoformat()}T18:05:00"
    assert trigger.findtext(f"{TASK}ScheduleByDay/{TASK}DaysInterval") == "1"
    principal = task.find(f"{TASK}Principals/{TASK}Principal")
    assert principal.get("id") == task.find(f"{TASK}Actions").get("Context") == "Author"
    assert principal.findtext(f"{TASK}LogonType") == "InteractiveToken"
    assert task.findtext(f"{TASK}Settings/{TASK}StartWhenAvailable") == "true"
    action = task.find(f"{TASK}Actions/{TASK}Exec")
    assert action.findtext(f"{TASK}Command") == sys.executable
    assert action.findtext(f"{TASK}Arguments") == f'-m sheetflow nightly "{book}"'


def test_scheduler_is_for_linux_only(tmp_path, sheetflow):
    book = overdue_studio(tmp_path / "studio.xlsx")
    result = sheetflow("schedule", book, "--system", "windows", "--scheduler", "cron", "--dry-run", today=None)
    assert result.exit_code == 2
    assert "--scheduler is for Linux; on windows sheetflow uses Task Scheduler" in result.output


# --- The run itself ---------------------------------------------------------------------------------------------


def test_a_workbook_open_in_excel_is_tried_again_and_the_missed_night_shows_in_last_refresh_next_time(
    tmp_path, sheetflow
):
    book = overdue_studio(tmp_path / "studio.xlsx")
    owner = tmp_path / "~$studio.xlsx"
    owner.write_bytes(b"owner")  # Excel's owner file: the workbook is open
    before = book.read_bytes()

    missed = sheetflow("nightly", book, "--tries", "3", "--wait", "0", today=None)
    assert missed.exit_code == 3
    assert book.read_bytes() == before  # nothing can be written while Excel has it
    busy, busy_again, gave_up = log_lines(book)
    assert "  try 1 of 3  busy  the workbook is open in Excel (~$studio.xlsx is beside it)" in busy
    assert "  try 2 of 3  busy  " in busy_again
    assert "  try 3 of 3  missed  " in gave_up and "missed: the workbook was open in Excel until" in gave_up
    assert gave_up.endswith("(3 tries)")
    assert missed.output == f"studio.xlsx: {gave_up}\n"

    owner.unlink()  # closed in Excel: the next night writes
    done = sheetflow("nightly", book, "--tries", "3", "--wait", "0", today=None)
    assert done.exit_code == 0, done.output
    the_miss = gave_up.split("  missed  ", 1)[1]
    assert last_refresh(book).endswith(f" done: 1 overdue, 0 due soon; 0 errors, 0 warnings — {the_miss}")
    assert records(book, "Sessions")[0]["Flag"] == "Overdue"

    sheetflow("nightly", book, today=None)  # the night after says only its own
    assert last_refresh(book).endswith(" done: 1 overdue, 0 due soon; 0 errors, 0 warnings")
    assert len(log_lines(book)) == 5


def test_a_workbook_closed_within_the_hour_is_refreshed_then_and_last_refresh_says_how_long_it_waited(tmp_path):
    branches = tmp_path / "branches"
    north = overdue_studio(branches / "north.xlsx", dt.date(2026, 11, 2))
    south = overdue_studio(branches / "south.xlsx", dt.date(2026, 11, 2))
    owner = branches / "~$north.xlsx"
    owner.write_bytes(b"owner")
    clock = [dt.datetime(2026, 12, 2, 6, 30, 0)]
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the scheduler's hour, without the wait
        waits.append(seconds)
        clock[0] += dt.timedelta(seconds=seconds)
        if len(waits) == 2:
            owner.unlink()  # Excel closed between 06:45 and 07:00

    nights = nightly_run.nightly([branches], now=lambda: clock[0], sleep=sleep)
    assert waits == [900.0, 900.0]
    assert [n.exit_code for n in nights] == [0, 0]
    assert last_refresh(north) == (
        "2026-12-02 07:00 done (the 06:30 run waited: the workbook was open in Excel until 06:45): "
        "1 overdue, 0 due soon; 0 errors, 0 warnings"
    )
    assert last_refresh(south) == "2026-12-02 06:30 done: 1 overdue, 0 due soon; 0 errors, 0 warnings"
    assert [line[:16] for line in log_lines(north)] == ["2026-12-02 06:30", "2026-12-02 06:45", "2026-12-02 07:00"]
    assert "trying again at 06:45" in log_lines(north)[0]
    assert len(log_lines(south)) == 1


def test_last_refresh_is_written_in_the_template_s_own_row(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", today=None).exit_code == 0
    rows = cells(book, "Settings")
    assert [r[1] for r in rows if r[0] == "Last refresh"] == [""]  # the template's row, blank until a night runs
    assert sheetflow("nightly", book, today=None).exit_code == 0
    after = cells(book, "Settings")
    assert len(after) == len(rows)  # filled in place, no row added
    (row,) = [r for r in after if r[0] == "Last refresh"]
    assert str(row[1]).startswith(f"{dt.date.today().isoformat()} ") and " done: " in row[1]


def test_a_workbook_from_before_last_refresh_gets_the_row(tmp_path, sheetflow):
    book = overdue_studio(tmp_path / "studio.xlsx")
    assert "Last refresh" not in [row[0] for row in SETTINGS]
    assert sheetflow("nightly", book, today=None).exit_code == 0
    assert records(book, "Settings")[-1]["Setting"] == "Last refresh"


def test_the_log_keeps_its_last_thousand_lines(tmp_path, sheetflow):
    book = overdue_studio(tmp_path / "studio.xlsx")
    log = tmp_path / "studio.sheetflow.log"
    log.write_text("".join(f"2025-01-01 06:30:00  try 1 of 5  done  old night {n}\n" for n in range(1200)))
    assert sheetflow("nightly", book, today=None).exit_code == 0
    lines = log_lines(book)
    assert len(lines) == 1000
    assert lines[0].endswith("old night 201") and "  done  1 overdue" in lines[-1]


def test_a_workbook_that_cannot_be_read_is_logged_and_not_tried_again(tmp_path, sheetflow):
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    result = sheetflow("nightly", broken, "--wait", "0", today=None)
    assert result.exit_code == 2
    (line,) = log_lines(broken)
    assert "  try 1 of 5  failed  broken.xlsx is not an Excel workbook" in line
