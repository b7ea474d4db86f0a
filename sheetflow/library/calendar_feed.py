"""The studio's calendar as an iCalendar (RFC 5545) file, written with the icalendar library from `core.agenda`.

The file it replaces is its memory: an entry whose content is unchanged keeps its SEQUENCE, DTSTAMP and
LAST-MODIFIED, a changed one gets the next SEQUENCE and new stamps, so an unchanged studio gives the same bytes and
the file is not rewritten at all (a calendar app or a sync client sees nothing new), and a changed entry is one
a subscribed calendar updates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import astuple, dataclass
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core import studio as core
from ..core.agenda import DUE, SESSION, Agenda, Entry, agenda, session_times
from ..core.cells import normalize
from ..core.problems import WorkbookError
from ..core.schema import SESSIONS, SETTINGS, TASKS
from ..core.settings import Settings
from ..core.tables import Table
from ..workbook.file import WorkbookFile
from ..workbook.replace import real_path

PRODID = "-//sheetflow//The studio's calendar//EN"
STAMPS = ("DTSTAMP", "SEQUENCE", "LAST-MODIFIED")  # what says when an entry changed, not what it is
REFRESH_EVERY = dt.timedelta(hours=1)  # how often a subscribed calendar is asked to fetch the file again
FINGERPRINT = "X-SHEETFLOW-DIGEST"  # the calendar's content digest (x-prop), so an unchanged one is told at once
RENDERING = 1  # raise it when the way entries are written changes


@dataclass
class CalendarOutcome(core.Outcome):
    """A calendar run: the workbook's problems, what the calendar holds, and where it went."""

    events: int = 0
    todos: int = 0
    target: str = ""  # the .ics file, "-" for standard output
    written: bool = False  # False: the file already held exactly this calendar (or none could be written)
    text: bytes = b""

    @property
    def details(self) -> dict[str, object]:
        """Extra keys for --json."""
        return {"events": self.events, "todos": self.todos, "calendar": self.target, "written": self.written}


def calendar(
    path: Path | str, today: dt.date, out: Path | str | None = None, user: str = "", now: dt.datetime | None = None
) -> CalendarOutcome:
    """Write the studio's calendar to `out` ("-": only returned, for standard output); by default to Settings'
    Calendar file beside the workbook, else the workbook's name with .ics. Nothing in the workbook changes."""
    path = Path(path)
    studio, found = _agenda(path, today, user)
    target = None if str(out) == "-" else Path(out) if out else default_target(path, studio.settings, user)
    outcome = CalendarOutcome(
        command="calendar",
        changes=core.ChangeSet(),
        problems=found.problems,
        events=found.events,
        todos=found.todos,
        target="-" if target is None else str(target),
    )
    shown = "standard output" if target is None else target.name
    if found.zone_problem is not None:
        outcome.said = [f"calendar not written: fix the Time zone on the {SETTINGS.name} sheet first"]
        return outcome
    if target is None:
        outcome.text, outcome.written = render(found, _now(today, now)), True
    else:
        if real_path(target) == real_path(path):
            raise WorkbookError(f"--out names the workbook itself — name a calendar file such as {path.stem}.ics")
        outcome.written = update(target, found, _now(today, now))
    counts = f"{_counted(found.events, 'event')}, {_counted(found.todos, 'to-do')}"
    outcome.said = [f"calendar {shown}: {counts}" + ("" if outcome.written else " (unchanged)")]
    return outcome


def after_refresh(path: Path | str, today: dt.date) -> list[str]:
    """After a refresh of a studio whose Settings name a Calendar file: bring it up to date beside the workbook
    (only rewritten when it changed). Returns what to tell the studio; a calendar that can't be written never
    undoes the refresh, it is said."""
    path = Path(path)
    return keep_beside(path, lambda: WorkbookFile(path).read(whole=(TASKS.name,)), today)


def keep_beside(workbook: Path, read: Callable[[], dict[str, Table]], today: dt.date) -> list[str]:
    """The Calendar file Settings names, beside `workbook`, from the tables `read` gives (the file's, or an open
    workbook's through the Excel buttons); what to tell the studio."""
    try:
        tables = read()
        times = session_times(tables[SESSIONS.name])
        studio = core.load_studio(tables)
        if not studio.settings.calendar_file:
            return []
        target = beside(workbook, studio.settings.calendar_file)
        found = agenda(studio, core.refresh(studio, today, fire=False), times)
        if found.zone_problem is not None:
            return [f"the studio's calendar {target.name} was not updated: fix the Time zone on the Settings sheet"]
        changed = update(target, found, _now(today, None))
    except (WorkbookError, OSError) as exc:
        return [f"the studio's calendar was not updated: {exc}"]
    return [f"the studio's calendar {target.name} updated"] if changed else []


def beside(workbook: Path, name: str) -> Path:
    """A file in the folder that really holds the workbook (through a link into a synced folder)."""
    return real_path(workbook).parent / name


def default_target(workbook: Path, settings: Settings, user: str = "") -> Path:
    """Settings' Calendar file beside the workbook, else the workbook's name with .ics; one person's calendar gets
    their name added (studio-Jon.ics), so it never replaces the whole studio's."""
    whole = beside(workbook, settings.calendar_file) if settings.calendar_file else workbook.with_suffix(".ics")
    if not user.strip():
        return whole
    name = re.sub(r"[^\w.-]+", "-", user.strip()).strip("-.") or "user"
    return whole.with_name(f"{whole.stem}-{name}{whole.suffix}")


def _agenda(path: Path, today: dt.date, user: str) -> tuple[core.Studio, Agenda]:
    """One read (Tasks in full), the due dates as a refresh would leave them (no trigger fired, nothing written),
    and the agenda."""
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    tables = WorkbookFile(path).read(whole=(TASKS.name,))
    times = session_times(tables[SESSIONS.name])
    studio = core.load_studio(tables)
    return studio, agenda(studio, core.refresh(studio, today, fire=False), times, user)


def _now(today: dt.date, now: dt.datetime | None) -> dt.datetime:
    """When a changed entry changed, in UTC: the run's day (--today) at the current time of day."""
    moment = now or dt.datetime.combine(today, dt.datetime.now().time())
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def zone_of(name: str) -> ZoneInfo:
    """The studio's zone; blank: this computer's (the TZ variable, else the system's setting)."""
    if not name:
        import tzlocal

        name = tzlocal.get_localzone_name() or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WorkbookError(
            f'this computer has no time zone "{name}" — type the studio\'s time zone into Time zone on the Settings '
            "sheet, such as Europe/London"
        ) from None


def update(target: Path, found: Agenda, now: dt.datetime) -> bool:
    """Bring the calendar file up to date; True when it was rewritten. The digest of what it says, kept in the
    file, tells an unchanged calendar without reading the file through (a big studio's takes seconds)."""
    digest = fingerprint(found)
    if recorded_fingerprint(target) == digest:
        return False
    return put(target, render(found, now, previous_entries(target), digest))


def fingerprint(found: Agenda) -> str:
    """A digest of everything the file says but its stamps: the entries, the zone, the studio, and how they are
    written (this module's RENDERING and the icalendar version), so a new way of writing rewrites the file once."""
    import hashlib

    from icalendar import __version__ as icalendar_version

    digest = hashlib.sha256(
        repr((RENDERING, icalendar_version, found.studio, zone_of(found.time_zone).key)).encode("utf-8")
    )
    for entry in found.entries:
        digest.update(repr(astuple(entry)).encode("utf-8"))
    return digest.hexdigest()[:32]  # one unfolded line (RFC 5545 folds lines past 75 octets)


def recorded_fingerprint(target: Path) -> str | None:
    """The digest a calendar file sheetflow wrote records among its first lines (None: absent, or not one)."""
    try:
        with target.open("rb") as file:
            head = file.read(4096)
    except OSError:
        return None
    for line in head.split(b"\r\n"):
        if line.startswith(b"BEGIN:V") and line != b"BEGIN:VCALENDAR":
            break  # the calendar's own properties come before its first component
        if line.startswith(FINGERPRINT.encode() + b":"):
            return line.split(b":", 1)[1].decode("ascii", "replace")
    return None


def render(found: Agenda, now: dt.datetime, previous: dict[str, object] | None = None, digest: str = "") -> bytes:
    """The calendar as RFC 5545 text; each entry's stamps come from `previous` (UID -> component of the file it
    replaces) when its content is the same, else SEQUENCE goes up and the stamps are `now`."""
    from icalendar import Calendar, vDuration

    previous = previous or {}
    zone = zone_of(found.time_zone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = found.studio or "The studio's calendar"
    cal.add("name", name)  # RFC 7986, and the older X-WR- names most apps read
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone.key)
    cal.add("refresh-interval", REFRESH_EVERY, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH_EVERY))
    cal.add(FINGERPRINT, digest or fingerprint(found))
    timed_years = []
    for entry in found.entries:
        component = _component(entry, zone)
        _stamp(component, previous.get(entry.uid), now)
        cal.add_component(component)
        if entry.time is not None and entry.day is not None:
            timed_years.append(entry.day.year)
    if timed_years:  # the zone's rules for the years its events fall in, so any app places them alike
        cal.add_missing_timezones(dt.date(min(timed_years) - 1, 1, 1), dt.date(max(timed_years) + 2, 1, 1))
    return cal.to_ical()


def _component(entry: Entry, zone: ZoneInfo):
    """A VEVENT (a session, a due date: all day unless the session has a time) or a VTODO (a task)."""
    from icalendar import Event, Todo, vCalAddress

    component = Todo() if entry.is_todo else Event()
    component.add("uid", entry.uid)
    component.add("summary", entry.summary)
    if entry.description:
        component.add("description", entry.description)
    if entry.is_todo:
        if entry.day is not None:
            component.add("due", entry.day)
        component.add("status", "NEEDS-ACTION")
    elif entry.time is not None:
        component.add("dtstart", dt.datetime.combine(entry.day, entry.time, tzinfo=zone))
    else:
        component.add("dtstart", entry.day)
        component.add("dtend", entry.day + dt.timedelta(days=1))
    if entry.kind == DUE:
        component.add("transp", "TRANSPARENT")  # a deadline, not time the studio is busy
    if entry.kind != SESSION and entry.assigned_to:  # the session's own event stays as it is when work moves on
        person = vCalAddress(f"urn:x-sheetflow:user:{quote(normalize(entry.assigned_to), safe='')}")
        person.params["CN"] = entry.assigned_to
        person.params["ROLE"] = "REQ-PARTICIPANT"
        component.add("attendee", person)
    component.add("categories", [entry.kind.capitalize()])
    return component


def _stamp(component, before, now: dt.datetime) -> None:
    """SEQUENCE, DTSTAMP and LAST-MODIFIED: kept from the entry's previous version when nothing else changed."""
    if before is not None and content(before) == content(component):
        for name in STAMPS:
            if name in before:
                component[name] = before[name]
        return
    sequence = int(before.get("SEQUENCE", 0)) + 1 if before is not None else 0
    component.add("dtstamp", now)
    component.add("last-modified", now)
    component.add("sequence", sequence)


def content(component) -> bytes:
    """What an entry says, without the stamps of when it changed."""
    copy = component.copy()
    for name in STAMPS:
        copy.pop(name, None)
    return copy.to_ical()


def previous_entries(target: Path) -> dict[str, object]:
    """The events and to-dos of the calendar file about to be replaced, by UID; none when it is absent or is not
    a calendar sheetflow can read (it is then simply replaced)."""
    from icalendar import Calendar

    try:
        parsed = Calendar.from_ical(target.read_bytes())
    except Exception:  # absent, unreadable or not iCalendar: nothing to keep
        return {}
    return {
        str(component["UID"]): component
        for component in parsed.walk()
        if component.name in ("VEVENT", "VTODO") and "UID" in component
    }


def put(target: Path, text: bytes) -> bool:
    """Replace the file in one step (a subscribed app or a sync client never sees half of it), only when its
    bytes change; True when it was written."""
    from ..workbook.replace import replace_file

    if not target.parent.is_dir():
        raise WorkbookError(f"there is no folder {target.parent} to write {target.name} in — create it first")
    try:
        if target.read_bytes() == text:
            return False
    except OSError:
        pass  # not there yet
    replace_file(target, lambda tmp: tmp.write_bytes(text))
    return True


def _counted(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
