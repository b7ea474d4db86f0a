"""The studio's calendar as an iCalendar (RFC 5545) file, written with the icalendar library from `core.agenda`.

The file it replaces is its memory: an entry whose content is unchanged keeps its SEQUENCE, DTSTAMP and
LAST-MODIFIED, a changed one gets the next SEQUENCE and new stamps, so an unchanged studio gives the same bytes and
the file is not rewritten at all (a calendar app or a sync client sees nothing new), and a changed entry is one
a subscribed calendar updates. Each entry carries its own digest, so an unchanged entry's text is kept as it is
and only the changed ones are written again: one change in a big studio does not cost the whole file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core import studio as core
from ..core.agenda import DUE, SESSION, Agenda, Entry, agenda, session_times
from ..core.cells import normalize
from ..core.problems import WorkbookError
from ..core.schema import SESSIONS, SETTINGS, TASKS
from ..core.settings import Settings, read_settings
from ..core.tables import Row, Table, table_from_grid
from ..workbook.file import WorkbookFile
from ..workbook.replace import real_path

PRODID = "-//sheetflow//The studio's calendar//EN"
STAMPS = ("DTSTAMP", "SEQUENCE", "LAST-MODIFIED")  # what says when an entry changed, not what it is
REFRESH_EVERY = dt.timedelta(hours=1)  # how often a subscribed calendar is asked to fetch the file again
FINGERPRINT = "X-SHEETFLOW-DIGEST"  # the calendar's content digest (x-prop), so an unchanged one is told at once
RENDERING = 2  # raise it when the way entries are written changes
ENTRY_DIGEST = "X-SHEETFLOW-ENTRY"  # each entry's digest (x-prop) and a check of its text: kept as is when unchanged
UNCHECKED = "0" * 16  # the check's place while the entry's text is written
BEGIN, END = b"BEGIN:VCALENDAR\r\n", b"END:VCALENDAR\r\n"


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


def noted_times(tables: Mapping[str, Table]) -> dict[int, dt.time] | None:
    """When Settings names a Calendar file, the Sessions times of day, noted as the rows are read next (by
    `load_studio`: a session keeps only its day); None otherwise, and nothing is noted. Call it between the read and
    `load_studio`."""
    if not read_settings(tables[SETTINGS.name])[0].calendar_file:
        return None
    return session_times(tables[SESSIONS.name])


def after_refresh(
    path: Path | str, studio: core.Studio, refreshed: core.Outcome, times: Mapping[int, dt.time], today: dt.date
) -> list[str]:
    """After a refresh of a studio whose Settings name a Calendar file: bring it up to date beside the workbook
    (only rewritten when it changed) from what the refresh read and did; of the workbook, only the Tasks sheet is
    read again, alone, as the refresh wrote it (the refresh reads it only to its header). Returns what to tell the
    studio; a calendar that can't be written never undoes the refresh, it is said."""
    path = Path(path)
    return keep_beside(
        path,
        studio,
        refreshed,
        lambda: times,
        lambda: WorkbookFile(path).read(sheets=(TASKS.name,), whole=(TASKS.name,))[TASKS.name],
        today,
    )


def keep_beside(
    workbook: Path,
    studio: core.Studio,
    refreshed: core.Outcome,
    times: Callable[[], Mapping[int, dt.time]],
    tasks: Callable[[], Table],
    today: dt.date,
) -> list[str]:
    """The Calendar file Settings names, beside `workbook`, from a refresh's own studio and Outcome (the due dates
    it wrote); `times` gives the sessions' times of day (noted as the refresh read them, or read alone), `tasks`
    the Tasks sheet as the refresh left it (the file's, read alone once written; an open workbook's, the rows read
    and those it appended). What to tell the studio."""
    try:
        if not studio.settings.calendar_file:
            return []
        target = beside(workbook, studio.settings.calendar_file)
        found = agenda(replace(studio, tables={**studio.tables, TASKS.name: tasks()}), refreshed, times())
        if found.zone_problem is not None:
            return [f"the studio's calendar {target.name} was not updated: fix the Time zone on the Settings sheet"]
        changed = update(target, found, _now(today, None))
    except (WorkbookError, OSError) as exc:
        return [f"the studio's calendar was not updated: {exc}"]
    return [f"the studio's calendar {target.name} updated"] if changed else []


def with_appended(table: Table, appended: list[dict[str, object]]) -> Table:
    """The Tasks sheet as a click leaves the open workbook: the rows it read, then those the refresh appended (below
    the last row, new columns right of the last header, as they are written); its writes are not read back: xlwings'
    remote engine still holds the workbook it was sent."""
    if not appended:
        return table
    if not table.exists or not table.header_row:  # no Tasks sheet yet (or no header): the refresh writes one
        table = table_from_grid(TASKS.name, [list(TASKS.columns)], TASKS)
    columns, width = dict(table.columns), table.width
    for name in (name for values in appended for name in values):
        if normalize(name) not in columns:
            width += 1
            columns[normalize(name)] = width
    grown = Table(sheet=table.sheet, header_row=table.header_row, columns=columns, width=width, date1904=table.date1904)
    below = max(table.last_row, table.header_row)
    added = []
    for number, values in enumerate(appended, start=below + 1):
        line: list[object] = [None] * width
        for name, value in values.items():
            line[columns[normalize(name)] - 1] = value
        added.append(Row(number, line, grown))
    grown.rows, grown.last_row = [*table.rows, *added], below + len(added)
    return grown


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
    file, tells an unchanged calendar without reading the file through; a changed one keeps the text of every
    entry that did not change, so only the changed ones are written again (a big studio's whole file takes
    seconds)."""
    digests = entry_digests(found)
    digest = fingerprint(found, digests)
    if recorded_fingerprint(target) == digest:
        return False
    try:
        before = target.read_bytes()
    except OSError:
        before = b""  # not there yet
    return put(target, render(found, now, before, digest, digests))


def entry_digests(found: Agenda) -> list[str]:
    """Each entry's digest: what it says and how this module writes it (RENDERING; the zone, for an entry at a time
    of day), so an entry whose digest is unchanged needs no writing again."""
    import hashlib

    zone = zone_of(found.time_zone).key
    digests = []
    for entry in found.entries:
        said = (RENDERING, zone if entry.time is not None else "", _shown(entry))
        digests.append(hashlib.sha256(repr(said).encode()).hexdigest()[:32])
    return digests


def fingerprint(found: Agenda, digests: list[str] | None = None) -> str:
    """A digest of everything the file says but its stamps: the entries, the zone, the studio, and how they are
    written (this module's RENDERING and the icalendar version), so a new way of writing rewrites the file once."""
    import hashlib

    from icalendar import __version__ as icalendar_version

    digest = hashlib.sha256(
        repr((RENDERING, icalendar_version, found.studio, zone_of(found.time_zone).key)).encode("utf-8")
    )
    digest.update("".join(entry_digests(found) if digests is None else digests).encode("ascii"))
    return digest.hexdigest()[:32]  # one unfolded line (RFC 5545 folds lines past 75 octets)


def recorded_fingerprint(target: Path) -> str | None:
    """The digest a calendar file sheetflow wrote records among its first lines (None: absent, not one, or cut
    short: a file whose end is lost is written again even when nothing changed)."""
    try:
        with target.open("rb") as file:
            head = file.read(4096)
            file.seek(max(file.seek(0, 2) - len(END), 0))
            if file.read() != END:
                return None
    except OSError:
        return None
    for line in head.split(b"\r\n"):
        if line.startswith(b"BEGIN:V") and line != b"BEGIN:VCALENDAR":
            break  # the calendar's own properties come before its first component
        if line.startswith(FINGERPRINT.encode() + b":"):
            return line.split(b":", 1)[1].decode("ascii", "replace")
    return None


def render(
    found: Agenda, now: dt.datetime, before: bytes = b"", digest: str = "", digests: list[str] | None = None
) -> bytes:
    """The calendar as RFC 5545 text. `before` is the file it replaces: an entry written there with the same
    digest keeps its text as it is; any other entry is written by icalendar, with the stamps of its previous
    version (same UID) when its content is the same, else the next SEQUENCE and `now`."""
    zone = zone_of(found.time_zone)
    digests = entry_digests(found) if digests is None else digests
    written = written_entries(before) if before else Written({}, [])
    previous: dict[str, object] | None = None
    if written is None:  # not a calendar sheetflow wrote, or damaged: read through by icalendar, as it can
        written, previous = Written({}, []), previous_entries(before)
    blocks = []
    for entry, entry_digest in zip(found.entries, digests, strict=True):
        block = written.kept.get(entry_digest)
        if block is None:
            if previous is None:  # read once, and only what could not be kept: few entries after one change
                previous = written.previous_versions(set(digests))
            block = _entry_text(entry, entry_digest, zone, previous.get(entry.uid), now)
        blocks.append(block)
    head = _head(found, zone, digest or fingerprint(found, digests))
    return b"".join([head, _zone_rules(found, zone), *blocks, END])


def _head(found: Agenda, zone: ZoneInfo, digest: str) -> bytes:
    """The calendar's own properties, its BEGIN:VCALENDAR line first; END:VCALENDAR last (after the entries)."""
    from icalendar import Calendar, vDuration

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
    cal.add(FINGERPRINT, digest)
    text = cal.to_ical()
    assert text.endswith(END), text[-40:]
    return text[: -len(END)]


def _zone_rules(found: Agenda, zone: ZoneInfo) -> bytes:
    """The VTIMEZONE icalendar adds for the zone the timed events use, for the years they fall in, so any app
    places them alike; none when no event has a time of day."""
    from icalendar import Calendar, Event

    timed = [entry for entry in found.entries if entry.time is not None and entry.day is not None]
    if not timed:
        return b""
    probe = Calendar()
    event = Event()
    event.add("dtstart", dt.datetime.combine(timed[0].day, timed[0].time, tzinfo=zone))
    probe.add_component(event)
    years = [entry.day.year for entry in timed]
    probe.add_missing_timezones(dt.date(min(years) - 1, 1, 1), dt.date(max(years) + 2, 1, 1))
    return b"".join(timezone.to_ical() for timezone in probe.timezones)


def _entry_text(entry: Entry, entry_digest: str, zone: ZoneInfo, before, now: dt.datetime) -> bytes:
    """One entry written by icalendar, with its digest and a check of its own text (ENTRY_DIGEST), so a later run
    can keep the text as it is, and knows when it was edited since."""
    component = _component(entry, zone)
    _stamp(component, before, now)
    unchecked = f"{entry_digest}-{UNCHECKED}"
    component.add(ENTRY_DIGEST, unchecked)
    text = component.to_ical()
    line = f"{ENTRY_DIGEST}:{unchecked}\r\n".encode()
    return text.replace(line, f"{ENTRY_DIGEST}:{entry_digest}-{_check(text.replace(line, b''))}\r\n".encode())


def _check(text: bytes) -> str:
    """A check of an entry's text as written, its ENTRY_DIGEST line left out."""
    import hashlib

    return hashlib.sha256(text).hexdigest()[: len(UNCHECKED)]


@dataclass
class Written:
    """The entries of a calendar file sheetflow wrote: the text of each one as written (checked), by its digest;
    and the text of those edited since or written without a digest (an older sheetflow)."""

    kept: dict[str, bytes]
    other: list[bytes]

    def previous_versions(self, wanted: set[str]) -> dict[str, object]:
        """The entries no digest in `wanted` keeps, read by icalendar, by UID: what a changed entry was before."""
        from icalendar.cal.component import Component

        found: dict[str, object] = {}
        for block in [*self.other, *(block for digest, block in self.kept.items() if digest not in wanted)]:
            try:
                component = Component.from_ical(block)
            except Exception:  # an entry damaged past reading: as if it were new
                continue
            if "UID" in component:
                found[str(component["UID"])] = component
        return found


_DIGEST_LINE = re.compile(rb"^" + ENTRY_DIGEST.encode() + rb":([0-9a-f]{32})-([0-9a-f]{16})\r\n", re.MULTILINE)


def written_entries(text: bytes) -> Written | None:
    """The entries of a calendar file sheetflow wrote, found by a scan of its lines; None when it is not one or is
    damaged (no PRODID of ours, not one whole calendar, anything between its entries but their own text)."""
    head_end = text.find(b"\r\nBEGIN:V", len(BEGIN) - 2)
    if not text.startswith(BEGIN) or not text.endswith(END) or head_end < 0:
        return None
    if b"\r\nPRODID:" + PRODID.encode() + b"\r\n" not in text[: head_end + 2]:
        return None
    end = len(text) - len(END)
    starts = [text.find(b"\r\nBEGIN:" + name + b"\r\n", head_end) + 2 for name in (b"VEVENT", b"VTODO")]
    at = min((i for i in starts if i >= 2), default=end)  # the zone's rules before the entries are written anew
    kept: dict[str, bytes] = {}
    other: list[bytes] = []
    while at < end:
        name = next((n for n in (b"VEVENT", b"VTODO") if text.startswith(b"BEGIN:%s\r\n" % n, at)), None)
        stop = -1 if name is None else text.find(b"\r\nEND:%s\r\n" % name, at, end)
        if stop < 0:
            return None  # text outside any entry, or an entry cut short
        stop += len(name) + 8  # past its END line
        block = text[at:stop]
        if b"\nBEGIN:VEVENT\r\n" in block or b"\nBEGIN:VTODO\r\n" in block:
            return None  # an entry whose END line is lost
        line = _DIGEST_LINE.search(block)
        if line is not None and _check(block.replace(line.group(), b"")) == line.group(2).decode():
            kept[line.group(1).decode()] = block
        else:
            other.append(block)
        at = stop
    return Written(kept, other)


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
    who = _shown(entry)["assigned_to"]
    if who:
        person = vCalAddress(f"urn:x-sheetflow:user:{quote(normalize(who), safe='')}")
        person.params["CN"] = who
        person.params["ROLE"] = "REQ-PARTICIPANT"
        component.add("attendee", person)
    component.add("categories", [entry.kind.capitalize()])
    return component


def _shown(entry: Entry) -> dict[str, object]:
    """What of an entry its text shows: all of it but who a session is with (the session's own event stays as it
    is when work moves on; its due date's event and the tasks say who has them)."""
    return {**vars(entry), "assigned_to": ""} if entry.kind == SESSION else vars(entry)


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
    """What an entry says, without the stamps of when it changed (nor its digest)."""
    copy = component.copy()
    for name in (*STAMPS, ENTRY_DIGEST):
        copy.pop(name, None)
    return copy.to_ical()


def previous_entries(text: bytes) -> dict[str, object]:
    """The events and to-dos of a calendar file that is not one sheetflow wrote (or is damaged), by UID, read by
    icalendar in full; none when it can't read them (the file is then simply replaced)."""
    from icalendar import Calendar

    try:
        parsed = Calendar.from_ical(text)
    except Exception:  # not iCalendar: nothing to keep
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
