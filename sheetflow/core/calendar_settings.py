"""The studio's calendar settings as typed into Settings: its time zone (an IANA name such as Europe/London),
checked with a did-you-mean, and the .ics file a refresh keeps beside the workbook.

Pure standard library and python-dateutil, so the check runs inside xlwings Lite too, where Python may have no time
zone database of its own (dateutil carries one).
"""

from __future__ import annotations

import functools

from .cells import CellValueError, display, normalize, read_text
from .suggest import closest

ZONE_HINT = "type a time zone name such as Europe/London or America/New_York, or leave it blank for this computer's"


@functools.cache
def known_zones() -> frozenset[str]:
    """Every IANA zone name this Python knows: its own database, else the one python-dateutil carries."""
    import zoneinfo

    names = set(zoneinfo.available_timezones())
    if not names:  # no system database and no tzdata package (Pyodide)
        try:
            from dateutil.zoneinfo import get_zonefile_instance

            names = set(get_zonefile_instance().zones)
        except Exception:  # no bundled database either: nothing to check against
            names = set()
    return frozenset(names)


def read_time_zone(value: object) -> str:
    """The zone's canonical name ("" for blank); a name that is no zone raises CellValueError with the closest one.
    Case and spaces for underscores are forgiven (europe/london, America/New York)."""
    typed = read_text(value)
    if not typed:
        return ""
    zones = known_zones()
    if not zones:
        return typed  # nothing to check against: used as typed
    by_key = {_key(name): name for name in zones}
    found = by_key.get(_key(typed))
    if found is not None:
        return found
    meant = _city(typed, zones) or closest(typed.replace(" ", "_"), zones)
    fix = f'did you mean "{meant}"? If not, {ZONE_HINT}' if meant else ZONE_HINT
    raise CellValueError(f'Time zone "{display(typed)}" is not a time zone name', fix)


def _key(name: str) -> str:
    return normalize(name.replace("_", " "))


def _city(typed: str, zones: frozenset[str]) -> str | None:
    """The zone named after a city typed alone ("London", "new york"), when exactly one is."""
    wanted = _key(typed)
    matches = [name for name in zones if "/" in name and _key(name.rsplit("/", 1)[1]) == wanted]
    return matches[0] if len(matches) == 1 else None


_NOT_IN_FILE_NAMES = set('/\\<>:"|?*')


def read_calendar_file(value: object) -> str:
    """The calendar's file name beside the workbook ("" for blank: no calendar kept); a folder, a character file
    systems refuse or a name not ending in .ics raises CellValueError."""
    name = read_text(value)
    if not name:
        return ""
    fix = "type a file name ending in .ics, such as studio.ics (it is written beside the workbook), or clear it"
    if _NOT_IN_FILE_NAMES & set(name) or name.strip(".") == "" or not name.isprintable():
        raise CellValueError(f'Calendar file "{display(name)}" is not a plain file name', fix)
    if not name.lower().endswith(".ics") or len(name) <= len(".ics"):
        raise CellValueError(f'Calendar file "{display(name)}" does not end in .ics', fix)
    return name
