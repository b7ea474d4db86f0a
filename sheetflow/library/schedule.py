"""The nightly run: `sheetflow schedule` hands a daily refresh to the system's own scheduler (Task Scheduler,
launchd, a systemd user timer or cron), and `sheetflow nightly` is what that scheduler starts: it retries a
workbook that is open in Excel, logs each try beside the workbook and words the Settings row Last refresh;
`nightly_news` is what the buttons in Excel tell of the nights that did not get in."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from ..core.outcome import Outcome
from ..core.problems import EXIT_BUSY, EXIT_OK, EXIT_USAGE, WorkbookError, exit_code, expected_failure
from ..core.schema import LAST_REFRESH_SETTING

SYSTEMS = ("windows", "macos", "linux")
LINUX_SCHEDULERS = ("systemd", "cron")
UNIT = "sheetflow-nightly"  # the systemd service and timer
LAUNCHD_LABEL = "com.sheetflow.nightly"
TASK_NAME = "sheetflow nightly"  # the Task Scheduler task
CRON_BEGIN = "# BEGIN sheetflow nightly (added by `sheetflow schedule`; `sheetflow schedule --remove` removes it)"
CRON_END = "# END sheetflow nightly"
TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"

TRIES = 5  # the first try and four more: every 15 minutes for an hour
WAIT = dt.timedelta(minutes=15)
LOG_LINES = 1000  # a log keeps its last thousand lines: years of nights, never a file that grows forever


class ScheduleError(WorkbookError):
    """The nightly run can't be set up, shown or removed as asked (exit 2); nothing was changed."""


def this_system() -> str:
    return "windows" if sys.platform == "win32" else "macos" if sys.platform == "darwin" else "linux"


def read_at(text: str) -> dt.time:
    """The time of day of --at: HH:MM on the 24-hour clock (6:30 is 06:30)."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return dt.time(int(match[1]), int(match[2]))
    raise ScheduleError(
        f'--at "{text}" is not a time of day — type it as HH:MM on the 24-hour clock, such as 06:30 or 18:00'
    )


@dataclass(frozen=True)
class Job:
    """The nightly run as a scheduler gets it: the time of day, and this Python's sheetflow on the workbooks."""

    at: dt.time
    workbooks: tuple[str, ...]
    python: str = sys.executable

    @property
    def argv(self) -> list[str]:
        return [self.python, "-m", "sheetflow", "nightly", *self.workbooks]


def job_for(paths: Sequence[Path | str], at: dt.time, system: str) -> Job:
    """The workbooks (or folders of them) as absolute paths, each checked to be there now."""
    if not paths:
        raise ScheduleError(
            "name the workbooks (or folders of them) to refresh every day, "
            "e.g. sheetflow schedule studio.xlsx --at 06:30"
        )
    found: list[str] = []
    for path in paths:
        absolute = os.path.abspath(os.path.expanduser(str(path)))  # the folder the studio sees, links kept
        if not os.path.exists(absolute):
            raise ScheduleError(f"{absolute} does not exist — check the name and the folder, then run schedule again")
        if not os.path.isdir(absolute) and Path(absolute).suffix.lower() not in (".xlsx", ".xlsm"):
            raise ScheduleError(f"{absolute} is not an Excel workbook (.xlsx or .xlsm) or a folder of them")
        found.append(absolute)
    return Job(at, tuple(dict.fromkeys(found)), _python_for(system))


def _python_for(system: str) -> str:
    """This Python, so a virtual environment's sheetflow runs; on Windows its pythonw.exe, which opens no window."""
    python = Path(sys.executable)
    windowless = python.with_name("pythonw.exe")
    return str(windowless) if system == "windows" and windowless.exists() else str(python)


# --- What a scheduler is asked to do ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    argv: list[str]
    stdin: str | None = None  # what it reads (the new crontab for `crontab -`)
    may_fail: bool = False  # undoing what may not be there (unloading a job that was never loaded)


@dataclass
class Plan:
    """What schedule or --remove does, before it does it, so --dry-run prints exactly that."""

    scheduler: str
    writes: list[tuple[Path, bytes]] = field(default_factory=list)
    deletes: list[Path] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    windows: bool = False  # its commands are shown with Windows quoting

    def then(self, other: Plan) -> Plan:
        """This plan followed by another (installing with one Linux scheduler removes the other's job)."""
        return Plan(
            self.scheduler,
            self.writes + other.writes,
            self.deletes + other.deletes,
            self.commands + other.commands,
            self.notes + other.notes,
            self.windows,
        )

    @property
    def empty(self) -> bool:
        return not (self.writes or self.deletes or self.commands)

    def shown(self, argv: list[str]) -> str:
        return subprocess.list2cmdline(argv) if self.windows else shlex.join(argv)

    def lines(self) -> list[str]:
        """The files with their whole contents, then the commands, as --dry-run prints them."""
        out: list[str] = []
        for path, content in self.writes:
            utf16 = content.startswith(b"\xff\xfe")
            text = content.decode("utf-16" if utf16 else "utf-8")
            out.append(f"--- write {path}" + (" (UTF-16, as schtasks reads it)" if utf16 else ""))
            out += text.rstrip("\r\n").splitlines()
        out += [f"--- delete {path}" for path in self.deletes]
        for command in self.commands:
            out.append(f"--- run {self.shown(command.argv)}" + (" (if it is there)" if command.may_fail else ""))
            if command.stdin is not None:
                out += command.stdin.rstrip("\n").splitlines()
        return out


Runner = Callable[[Command], subprocess.CompletedProcess]


def run_command(command: Command) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command.argv, input=command.stdin, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise ScheduleError(f"{command.argv[0]} is not installed on this computer, so it can't be used") from None


def carry_out(plan: Plan, runner: Runner = run_command) -> None:
    """Write the files, delete the old ones, run the commands; the first command that fails stops with its words."""
    for path, content in plan.writes:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for path in plan.deletes:
        path.unlink(missing_ok=True)
    for command in plan.commands:
        done = runner(command)
        if done.returncode != 0 and not command.may_fail:
            said = (done.stderr or done.stdout or "").strip().splitlines()
            raise ScheduleError(
                f"`{plan.shown(command.argv)}` failed"
                + (f": {said[-1]}" if said else f" (exit {done.returncode})")
                + f" — the nightly run with {plan.scheduler} is not set up as asked"
            )


# --- The schedulers: each makes its own files and commands from a Job --------------------------------------------


class Cron:
    """The user's crontab: sheetflow's lines between its own two marker lines, every other line kept as it is."""

    name = "cron"

    def __init__(self, runner: Runner = run_command):
        self.runner = runner

    @staticmethod
    def available() -> bool:
        return shutil.which("crontab") is not None

    def current(self) -> str:
        listed = self.runner(Command(["crontab", "-l"]))
        if listed.returncode != 0:
            if "no crontab" in (listed.stderr or "").lower():
                return ""
            raise ScheduleError(f"`crontab -l` failed: {(listed.stderr or '').strip()} — is cron installed?")
        return listed.stdout

    @staticmethod
    def line(job: Job) -> str:
        # cron hands the line to /bin/sh after turning each unescaped % into a new line: \% is a real %
        command = " ".join(shlex.quote(arg).replace("%", "\\%") for arg in job.argv)
        return f"{job.at.minute} {job.at.hour} * * * {command}"

    @staticmethod
    def split(crontab: str) -> tuple[list[str], list[str]]:
        """The crontab's other lines, and sheetflow's own (its markers included)."""
        kept: list[str] = []
        ours: list[str] = []
        inside = False
        for line in crontab.splitlines():
            if line == CRON_BEGIN:
                inside = True
            (ours if inside else kept).append(line)
            if inside and line == CRON_END:
                inside = False
        return kept, ours

    def install(self, job: Job) -> Plan:
        kept, _ = self.split(self.current())
        lines = [*kept, CRON_BEGIN, self.line(job), CRON_END]
        return Plan(self.name, commands=[Command(["crontab", "-"], stdin="\n".join(lines) + "\n")])

    def remove(self) -> Plan:
        kept, ours = self.split(self.current())
        if not ours:
            return Plan(self.name)
        return Plan(self.name, commands=[Command(["crontab", "-"], stdin="".join(f"{line}\n" for line in kept))])

    def show(self) -> list[str]:
        _, ours = self.split(self.current()) if self.available() else ([], [])
        return [f"cron, in the crontab of {getpass.getuser()}:", *ours] if ours else []


def systemd_quoted(arg: str) -> str:
    """One ExecStart word: in double quotes, with systemd's own specials (% and $) doubled."""
    quoted = '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return quoted.replace("%", "%%").replace("$", "$$")


class SystemdTimer:
    """A systemd user timer and the one-shot service it starts, in ~/.config/systemd/user."""

    name = "systemd"

    def __init__(self, home: Path, runner: Runner = run_command):
        self.folder = home / ".config" / "systemd" / "user"
        self.service = self.folder / f"{UNIT}.service"
        self.timer = self.folder / f"{UNIT}.timer"
        self.runner = runner

    @staticmethod
    def available() -> bool:
        """`systemctl --user` reaches a user manager (not so in a container, over plain ssh, or without systemd)."""
        if shutil.which("systemctl") is None:
            return False
        try:
            reached = subprocess.run(["systemctl", "--user", "show-environment"], capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return reached.returncode == 0

    @staticmethod
    def files(job: Job) -> tuple[str, str]:
        service = (
            "[Unit]\n"
            "Description=sheetflow nightly refresh of the studio's workbooks\n\n"
            "[Service]\n"
            "Type=oneshot\n"
            "TimeoutStartSec=2h\n"  # the tries take up to an hour
            f"ExecStart={' '.join(systemd_quoted(arg) for arg in job.argv)}\n"
        )
        timer = (
            "[Unit]\n"
            f"Description=sheetflow nightly refresh every day at {job.at:%H:%M}\n\n"
            "[Timer]\n"
            f"OnCalendar=*-*-* {job.at:%H:%M}:00\n"
            "Persistent=true\n\n"  # a night the computer was off runs when it is next on
            "[Install]\n"
            "WantedBy=timers.target\n"
        )
        return service, timer

    def install(self, job: Job) -> Plan:
        service, timer = self.files(job)
        systemctl = ["systemctl", "--user"]
        return Plan(
            self.name,
            writes=[(self.service, service.encode()), (self.timer, timer.encode())],
            commands=[
                Command([*systemctl, "daemon-reload"]),
                Command([*systemctl, "enable", "--now", f"{UNIT}.timer"]),
            ],
            notes=[
                "a systemd user timer runs while you are logged in; `loginctl enable-linger` lets it run when "
                "you are not"
            ],
        )

    def remove(self) -> Plan:
        if not (self.service.exists() or self.timer.exists()):
            return Plan(self.name)
        systemctl = ["systemctl", "--user"]
        return Plan(
            self.name,
            deletes=[self.timer, self.service],
            commands=[
                Command([*systemctl, "disable", "--now", f"{UNIT}.timer"], may_fail=True),
                Command([*systemctl, "daemon-reload"], may_fail=True),
            ],
        )

    def show(self) -> list[str]:
        lines: list[str] = []
        for path in (self.timer, self.service):
            if path.exists():
                lines += [f"systemd, {path}:", *path.read_text(encoding="utf-8").rstrip("\n").splitlines()]
        if lines and self.available():
            listed = self.runner(Command(["systemctl", "--user", "list-timers", f"{UNIT}.timer", "--no-pager"]))
            lines += (listed.stdout or "").rstrip("\n").splitlines()
        return lines


class LaunchAgent:
    """A LaunchAgent plist in ~/Library/LaunchAgents, loaded into the user's own launchd domain."""

    name = "launchd"

    def __init__(self, home: Path, runner: Runner = run_command):
        self.plist = home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        self.output = home / "Library" / "Logs" / "sheetflow-nightly.log"  # what Python itself says, if it fails
        self.runner = runner

    @staticmethod
    def domain() -> str:
        return f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui/501"

    def contents(self, job: Job) -> bytes:
        return plistlib.dumps(
            {
                "Label": LAUNCHD_LABEL,
                "ProgramArguments": job.argv,
                "StartCalendarInterval": {"Hour": job.at.hour, "Minute": job.at.minute},
                "RunAtLoad": False,
                "StandardOutPath": str(self.output),
                "StandardErrorPath": str(self.output),
            }
        )

    def install(self, job: Job) -> Plan:
        return Plan(
            self.name,
            writes=[(self.plist, self.contents(job))],
            commands=[
                Command(["launchctl", "bootout", f"{self.domain()}/{LAUNCHD_LABEL}"], may_fail=True),
                Command(["launchctl", "bootstrap", self.domain(), str(self.plist)]),
            ],
            notes=[
                "for workbooks in Documents, Desktop or iCloud Drive, give the Python it runs "
                f"({job.python}) Full Disk Access in System Settings › Privacy & Security"
            ],
        )

    def remove(self) -> Plan:
        if not self.plist.exists():
            return Plan(self.name)
        return Plan(
            self.name,
            deletes=[self.plist],
            commands=[Command(["launchctl", "bootout", f"{self.domain()}/{LAUNCHD_LABEL}"], may_fail=True)],
        )

    def show(self) -> list[str]:
        if not self.plist.exists():
            return []
        return [f"launchd, {self.plist}:", *self.plist.read_text(encoding="utf-8").rstrip("\n").splitlines()]


class TaskScheduler:
    """A Task Scheduler task registered from its XML (UTF-16, as schtasks reads it) for the current user."""

    name = "Task Scheduler"

    def __init__(self, home: Path, runner: Runner = run_command, today: dt.date | None = None):
        local = os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else None
        self.xml = (Path(local) if local else home / "AppData" / "Local") / "sheetflow" / "sheetflow-nightly.xml"
        self.runner = runner
        self.today = today

    @staticmethod
    def user() -> str:
        domain, name = os.environ.get("USERDOMAIN"), os.environ.get("USERNAME") or getpass.getuser()
        return f"{domain}\\{name}" if domain else name

    def contents(self, job: Job) -> bytes:
        ET.register_namespace("", TASK_NS)

        def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
            element = ET.SubElement(parent, f"{{{TASK_NS}}}{tag}", attributes)
            element.text = text
            return element

        task = ET.Element(f"{{{TASK_NS}}}Task", {"version": "1.2"})
        info = add(task, "RegistrationInfo")
        add(info, "Author", self.user())
        add(info, "Description", f"sheetflow refreshes the studio's workbooks every day at {job.at:%H:%M}")
        add(info, "URI", f"\\{TASK_NAME}")
        trigger = add(add(task, "Triggers"), "CalendarTrigger")
        start = dt.datetime.combine(self.today or dt.date.today(), job.at)
        add(trigger, "StartBoundary", start.isoformat())  # no time zone: the computer's local time, every day
        add(trigger, "Enabled", "true")
        add(add(trigger, "ScheduleByDay"), "DaysInterval", "1")
        principal = add(add(task, "Principals"), "Principal", id="Author")
        add(principal, "UserId", self.user())
        add(principal, "LogonType", "InteractiveToken")  # as the user, while logged on: no password stored
        add(principal, "RunLevel", "LeastPrivilege")
        settings = add(task, "Settings")
        for tag, text in (
            ("MultipleInstancesPolicy", "IgnoreNew"),
            ("DisallowStartIfOnBatteries", "false"),
            ("StopIfGoingOnBatteries", "false"),
            ("StartWhenAvailable", "true"),  # a start missed while the computer was off runs when it is on
            ("AllowStartOnDemand", "true"),
            ("Enabled", "true"),
            ("ExecutionTimeLimit", "PT2H"),  # the tries take up to an hour
        ):
            add(settings, tag, text)
        action = add(add(task, "Actions", Context="Author"), "Exec")
        add(action, "Command", job.argv[0])
        add(action, "Arguments", subprocess.list2cmdline(job.argv[1:]))
        ET.indent(task)
        text = '<?xml version="1.0" encoding="UTF-16"?>\n' + ET.tostring(task, encoding="unicode") + "\n"
        return b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le")

    def install(self, job: Job) -> Plan:
        return Plan(
            self.name,
            writes=[(self.xml, self.contents(job))],
            commands=[Command(["schtasks", "/Create", "/XML", str(self.xml), "/TN", TASK_NAME, "/F"])],
            notes=["the task runs while you are logged on to Windows (it keeps no password)"],
            windows=True,
        )

    def registered(self) -> bool:
        """Whether Windows has the task now (never where there is no schtasks: a dry run on another system)."""
        if shutil.which("schtasks") is None:
            return False
        return self.runner(Command(["schtasks", "/Query", "/TN", TASK_NAME])).returncode == 0

    def remove(self) -> Plan:
        registered = self.registered()
        if not registered and not self.xml.exists():
            return Plan(self.name, windows=True)
        return Plan(
            self.name,
            deletes=[self.xml],
            commands=[Command(["schtasks", "/Delete", "/TN", TASK_NAME, "/F"], may_fail=not registered)],
            windows=True,
        )

    def show(self) -> list[str]:
        if self.registered():
            listed = self.runner(Command(["schtasks", "/Query", "/TN", TASK_NAME, "/XML"]))
            return [f"Task Scheduler, the task {TASK_NAME}:", *listed.stdout.rstrip().splitlines()]
        if self.xml.exists() and shutil.which("schtasks") is None:
            text = self.xml.read_bytes().decode("utf-16")
            return [f"Task Scheduler (no schtasks here to ask), the task's file {self.xml}:", *text.splitlines()]
        return []


Scheduler = Cron | SystemdTimer | LaunchAgent | TaskScheduler


def schedulers(
    system: str, choice: str | None = None, home: Path | None = None, runner: Runner = run_command
) -> list[Scheduler]:
    """The system's scheduler; on Linux the one chosen, else a systemd user timer when `systemctl --user` works,
    else cron — the first is the one installed with, the other is only cleared of sheetflow's job."""
    home = home or Path.home()
    if system == "windows":
        return [TaskScheduler(home, runner)]
    if system == "macos":
        return [LaunchAgent(home, runner)]
    timer, cron = SystemdTimer(home, runner), Cron(runner)
    if choice is None:
        choice = "systemd" if SystemdTimer.available() else "cron"
    return [timer, cron] if choice == "systemd" else [cron, timer]


def install_plan(
    job: Job, system: str, choice: str | None = None, home: Path | None = None, dry_run: bool = False
) -> Plan:
    """Setting up the nightly run: the chosen scheduler's files and commands (replacing sheetflow's own job
    there), and on Linux the other scheduler's sheetflow job taken away, so it never runs twice. A dry run
    shows a systemd timer where it could not run, saying so."""
    chosen, *others = schedulers(system, choice, home)
    unusable = ""
    if isinstance(chosen, SystemdTimer) and not SystemdTimer.available():
        unusable = (
            "`systemctl --user` does not work here (no systemd user session), so a systemd timer would never run "
            "— use --scheduler cron"
        )
    if isinstance(chosen, Cron) and not Cron.available():
        raise ScheduleError(
            "there is no crontab command on this computer — install cron (e.g. `sudo apt-get install cron`), "
            "or use --scheduler systemd"
        )
    if unusable and not dry_run:
        raise ScheduleError(unusable)
    plan = chosen.install(job)
    if unusable:
        plan.notes.append(f"not here: {unusable}")
    for other in others:
        if not isinstance(other, Cron) or Cron.available():
            plan = plan.then(other.remove())
    return plan


def remove_plan(system: str, choice: str | None = None, home: Path | None = None) -> Plan:
    """Taking the nightly run away: sheetflow's job from each scheduler that has one (both on Linux, unless one
    is named), nothing else."""
    found = schedulers(system, choice, home)
    asked = found if choice is None else found[:1]
    removing = [s.remove() for s in asked if not isinstance(s, Cron) or s.available()]
    done = [each for each in removing if not each.empty]
    plan = Plan(" and ".join(each.scheduler for each in done) or found[0].name, windows=system == "windows")
    for each in done:
        plan = plan.then(each)
    return plan


def shown(system: str, choice: str | None = None, home: Path | None = None) -> list[str]:
    """What is set up now, as the schedulers hold it."""
    found = schedulers(system, choice, home)
    lines: list[str] = []
    for scheduler in found if choice is None else found[:1]:
        lines += scheduler.show()
    return lines


# --- The run the scheduler starts -------------------------------------------------------------------------------


def log_path(workbook: Path) -> Path:
    """studio.xlsx logs to studio.sheetflow.log beside it."""
    return workbook.with_name(f"{workbook.stem}.sheetflow.log")


# A night's try ("try 2 of 5"), or a button in Excel that caught up after missed nights ("Refresh button").
_LOG_LINE = re.compile(r"^(\S+ \S+)  (?:try (\d+) of (\d+)|(\w[\w ]*) button)  (\w+)  (.*)$")
_MISSED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d) missed: (.*) until (\d\d:\d\d) \(")
_TRYING_AGAIN = re.compile(r"; trying again at (\d\d:\d\d)$")


def _log_lines(log: Path) -> list[re.Match[str]]:
    """The log's lines that are tries (or a button's catch-up), in order; none when there is no log."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [match for line in lines if (match := _LOG_LINE.match(line)) and _is_time(match[1])]


def _is_time(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:  # a line typed into the log by hand
        return False
    return True


def missed_runs(log: Path) -> list[str]:
    """The nights missed since the last one that was done, as the log words them."""
    missed: list[str] = []
    for match in _log_lines(log):
        if match[5] == "done":
            missed = []
        elif match[5] == "missed":
            missed.append(match[6])
    return missed


SHOWN_NIGHTS = 3  # the nights a status text names; the rest are counted (the log has them all)


def nightly_news(workbook: Path, date_order: str = "DMY", caught_up: str = "", now: dt.datetime | None = None) -> str:
    """What the studio must know from the nightly run since the last one that got in, for a button's status text:
    the nights that did not run and why, a night that failed with its reason, a night still waiting for the
    workbook; "" when the last night was done, or there is no log (no nightly run). `caught_up` ends the line
    (what the click did about it)."""
    news: list[str] = []
    waiting: list[re.Match[str]] = []  # tonight's busy tries, until the night is done or missed
    for match in _log_lines(log_path(workbook)):
        word = match[5]
        if word == "done":
            news, waiting = [], []
        elif word == "busy":
            waiting.append(match)
        elif word in ("missed", "failed"):
            news.append(_night_said(match, date_order))
            waiting = []
    if waiting:
        news.append(_waiting_said(waiting, date_order, now or dt.datetime.now()))
    if not news:
        return ""
    if len(news) == 1:
        line = news[0]
    else:
        shown = news[-SHOWN_NIGHTS:]
        more = len(news) - len(shown)
        line = f"{len(news)} nightly refreshes did not get in: " + "; ".join(shown)
        line += f"; and {more} earlier (see {log_path(workbook).name})" if more else ""
    return line + (f" — {caught_up}" if caught_up else "")


def _when(at: dt.datetime, date_order: str) -> str:
    """A night's date and time as the studio orders dates: 2 Dec 06:30 (DMY), Dec 2 06:30 (MDY), 2026-12-02 06:30."""
    if date_order == "MDY":
        return f"{at:%b} {at.day} {at:%H:%M}"
    if date_order == "YMD":
        return f"{at:%Y-%m-%d %H:%M}"
    return f"{at.day} {at:%b %H:%M}"


def _night_said(match: re.Match[str], date_order: str) -> str:
    """One night that did not get in, in the words of the morning after."""
    at = dt.datetime.fromisoformat(match[1])
    if match[5] == "failed":
        return f"the nightly refresh of {_when(at, date_order)} failed: {match[6]}"
    missed = _MISSED.match(match[6])
    if missed is None:
        return f"the nightly refresh of {_when(at, date_order)} did not run: {match[6]}"
    since = dt.datetime.fromisoformat(missed[1])
    return f"the nightly refresh of {_when(since, date_order)} did not run: {missed[2]} until {missed[3]}"


def _waiting_said(tries: list[re.Match[str]], date_order: str, now: dt.datetime) -> str:
    """A night whose last try found the workbook busy: still waiting while its next try is to come, else it stopped
    there (the computer was turned off) and did not run."""
    first, last = dt.datetime.fromisoformat(tries[0][1]), dt.datetime.fromisoformat(tries[-1][1])
    why = why_busy(tries[-1][6])
    again = _TRYING_AGAIN.search(tries[-1][6])
    if again and now <= last + 2 * WAIT:
        night = _when(first, date_order)
        return f"the nightly refresh of {night} has not got in yet ({why}); it tries again at {again[1]}"
    return f"the nightly refresh of {_when(first, date_order)} did not run: {why} at {last:%H:%M}"


def log_caught_up(workbook: Path, button: str, summary: str, at: dt.datetime | None = None) -> str:
    """A button that refreshed the workbook after nights that did not get in says so in the log, as a night that
    was done would: the next click (and the next night's Last refresh) no longer tell of those nights. Returns
    the error, if the log can't be written."""
    at = (at or dt.datetime.now()).replace(microsecond=0)
    line = f"{at:%Y-%m-%d %H:%M:%S}  {' '.join(button.split())} button  done  in Excel: " + " ".join(summary.split())
    return write_log(log_path(workbook), line)


def write_log(log: Path, line: str) -> str:
    """Append one line, keeping the last LOG_LINES; the error, if the log can't be written (the run goes on)."""
    try:
        kept = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
        kept = [*kept, line][-LOG_LINES:]
        temporary = log.with_name(f".{log.name}.tmp")
        temporary.write_text("\n".join(kept) + "\n", encoding="utf-8")
        os.replace(temporary, log)
    except OSError as exc:
        return f"the log {log} could not be written ({exc.strerror or exc})"
    return ""


def why_busy(message: str) -> str:
    """What kept the workbook from being written, in the past tense the studio reads the morning after."""
    for start, words in (
        ("the workbook is open in Excel", "the workbook was open in Excel"),
        ("the workbook is open in LibreOffice", "the workbook was open in LibreOffice"),
        ("another sheetflow run", "another sheetflow run was writing it"),
    ):
        if message.startswith(start):
            return words
    return message.split(" — ")[0]


@dataclass
class Night:
    """One workbook's nightly run: how it ended, its last log line, and whether (and why) it had to wait."""

    path: Path
    exit_code: int = EXIT_OK
    last_line: str = ""
    busy_since: dt.datetime | None = None  # the first try that found it busy tonight
    busy_until: dt.datetime | None = None  # the last one
    why: str = ""
    finished: bool = False


def last_refresh(at: dt.datetime, outcome: Outcome, night: Night, missed: list[str], log: Path) -> str:
    """The Settings row Last refresh: when, what the refresh found, how long it waited, and the nights missed."""
    text = f"{at:%Y-%m-%d %H:%M} done"
    if night.busy_since and night.busy_until:
        text += f" (the {night.busy_since:%H:%M} run waited: {night.why} until {night.busy_until:%H:%M})"
    text += f": {outcome.summary}"
    if missed:
        shown_misses = missed[-3:]
        more = len(missed) - len(shown_misses)
        text += " — " + "; ".join(shown_misses) + (f"; and {more} more (see {log.name})" if more else "")
    return text


def nightly(
    paths: Sequence[Path | str],
    today: dt.date | None = None,
    tries: int = TRIES,
    wait: dt.timedelta = WAIT,
    now: Callable[[], dt.datetime] = dt.datetime.now,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Night]:
    """Refresh each workbook; one that is busy (open in Excel) is tried again after `wait`, `tries` times in all,
    while the others go on. Every try is a line in the workbook's log; each that is done sets Last refresh."""
    from .runs import workbooks_in

    nights = [Night(path) for path in workbooks_in([Path(p) for p in paths])]
    if not nights:
        raise WorkbookError("there are no .xlsx or .xlsm workbooks there")
    for attempt in range(1, tries + 1):
        for night in nights:
            if not night.finished:
                _try(night, attempt, tries, wait, today, now)
        if all(night.finished for night in nights):
            break
        sleep(wait.total_seconds())
    return nights


def _try(night: Night, attempt: int, tries: int, wait: dt.timedelta, today: dt.date | None, now) -> None:
    """One try at one workbook: refreshed with Last refresh in the same write, or the reason logged."""
    from .runs import refresh

    at = now().replace(microsecond=0)
    log = log_path(night.path)
    missed = missed_runs(log)
    try:
        outcome = refresh(
            night.path,
            today or at.date(),
            settings=lambda outcome: {LAST_REFRESH_SETTING: last_refresh(at, outcome, night, missed, log)},
        )
    except Exception as exc:  # a night's failure is logged and is its own result, never a traceback
        failure = expected_failure(exc, night.path)
        code = failure.code if failure else EXIT_USAGE
        message = failure.message if failure else f"unexpected failure: {type(exc).__name__}: {exc}"
        if code == EXIT_BUSY:
            night.busy_since = night.busy_since or at
            night.busy_until = at
            night.why = why_busy(message)
            if attempt < tries:
                word, words = "busy", f"{message}; trying again at {at + wait:%H:%M}"
            else:
                word = "missed"
                words = (
                    f"{night.busy_since:%Y-%m-%d %H:%M} missed: {night.why} until {at:%H:%M} "
                    f"({tries} {'try' if tries == 1 else 'tries'})"
                )
                night.finished = True
        else:
            word, words, night.finished = "failed", message, True
        night.exit_code = code
    else:
        word, words, night.finished = "done", outcome.summary, True
        night.exit_code = exit_code(outcome.errors)
    line = f"{at:%Y-%m-%d %H:%M:%S}  try {attempt} of {tries}  {word}  " + " ".join(words.split())
    night.last_line = line
    trouble = write_log(log, line)
    if trouble:
        night.last_line += f" ({trouble})"
