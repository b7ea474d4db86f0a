"""Public holidays onto the Holidays sheet, from the python-holidays package. The package stays out here: the
core only sees (date, name) pairs, so it still runs where python-holidays is not installed (xlwings Lite)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..core.holiday_sheet import add_holidays
from ..core.maintenance import ListOutcome
from ..core.problems import WorkbookError
from ..core.schema import SETTINGS
from ..core.studio import Studio
from . import runs as batch

FIRST_YEAR, LAST_YEAR = 1900, 2199
MAX_YEARS = 50
COUNTRY_LIST = "python3 -c \"import holidays; print(' '.join(sorted(holidays.list_supported_countries())))\""


class UnknownCountry(WorkbookError):
    """A country code python-holidays does not have."""


class UnknownRegion(WorkbookError):
    """A region (subdivision) code the country does not have."""


def public_holidays(country: str, region: str, years: Iterable[int]) -> list[tuple[dt.date, str]]:
    """The public holidays of a country (and region) in those years; an unknown code is a WorkbookError that
    says where to find the valid ones."""
    import holidays as calendars

    code = country.strip().upper()
    supported = calendars.list_supported_countries()
    if code not in supported:
        raise UnknownCountry(
            f'"{country}" is not a country code python-holidays knows — use the two-letter ISO '
            f"code, such as US, GB, DE, FR or AU; all of them: {COUNTRY_LIST}"
        )
    subdivisions = supported[code]
    wanted = region.strip()
    if wanted and wanted.upper() in subdivisions:
        wanted = wanted.upper()
    try:
        found = calendars.country_holidays(code, subdiv=wanted or None, years=sorted(set(years)))
    except NotImplementedError:
        listed = ", ".join(subdivisions) if subdivisions else "none: leave the region blank"
        raise UnknownRegion(
            f'{code} has no region "{region}" in python-holidays — use one of its region codes '
            f"({listed}), or leave the region blank for the national holidays only"
        ) from None
    return sorted(found.items())


REGIONS_NAMED = 20  # up to this many regions are listed with their names; more, by their codes only


def region_note(country: str, years: Iterable[int], found: Iterable[tuple[dt.date, str]]) -> str:
    """When no region was given and the country's list changes with the region in those years: a note saying so,
    naming a few of the holidays that differ and the regions to choose from ("" when no region changes it)."""
    import holidays as calendars

    code = country.strip().upper()
    national = dict(found)
    subdivisions = calendars.list_supported_countries().get(code, [])
    extra: dict[str, set[str]] = {}  # holiday name -> the regions that have it on a day the whole country does not
    fewer: dict[str, set[str]] = {}  # holiday name -> the regions that do not keep it
    for subdivision in subdivisions:
        try:
            own = dict(calendars.country_holidays(code, subdiv=subdivision, years=sorted(set(years))))
        except NotImplementedError:
            continue
        for day in own.keys() - national.keys():
            extra.setdefault(own[day], set()).add(subdivision)
        for day in national.keys() - own.keys():
            fewer.setdefault(national[day], set()).add(subdivision)
    if not extra and not fewer:
        return ""
    parts = [
        f"note: {code} holidays depend on the region, and no region was given, so only the holidays of the whole "
        "country were added"
    ]
    if extra:
        parts.append(f" — left out: {_some(extra)}, which some regions have")
    if fewer:
        parts.append(f" — some regions don't keep {_some(fewer)}: delete its row if yours doesn't")
    parts.append(
        ". To get your region's holidays, run sheetflow holidays again with --region and your region's code, or "
        f"type the code in Holiday region on the Settings sheet: {_regions(code, subdivisions)}"
    )
    return "".join(parts)


def _some(holidays: Mapping[str, set[str]]) -> str:
    """A few holiday names, those most regions share first."""
    names = sorted(holidays, key=lambda name: (-len(holidays[name]), name))
    return ", ".join(names[:3]) + (" and others" if len(names) > 3 else "")


def _regions(code: str, subdivisions: Iterable[str]) -> str:
    """The region codes, with their names while the list stays short."""
    import holidays as calendars

    codes = list(subdivisions)
    if len(codes) > REGIONS_NAMED:
        return ", ".join(codes)
    names: dict[str, str] = {}
    aliases = getattr(calendars.country_holidays(code), "subdivisions_aliases", {}) or {}
    for name, subdivision in aliases.items():
        if any(c.islower() for c in name):  # a name, not another code
            names.setdefault(subdivision, name)
    return ", ".join(f"{c} ({names[c]})" if c in names else c for c in codes)


def fill(
    path: Path | str, country: str = "", region: str = "", years: Iterable[int] = (), today: dt.date | None = None
) -> ListOutcome:
    """Fill the Holidays sheet; Settings' Holiday country and region are the defaults, this year the default year."""
    years = sorted(set(years)) or [(today or dt.date.today()).year]
    outside = [y for y in years if not FIRST_YEAR <= y <= LAST_YEAR]
    if outside:
        raise WorkbookError(f"{outside[0]} is not a year to fill — give years from {FIRST_YEAR} to {LAST_YEAR}")
    if len(years) > MAX_YEARS:
        raise WorkbookError(f"{len(years)} years at once is more than a studio needs — give at most {MAX_YEARS}")

    def operation(studio: Studio) -> ListOutcome:
        settings = studio.settings
        chosen, country_from = country.strip(), "--country"
        if not chosen:
            chosen, country_from = settings.holiday_country, _setting_cell(studio, "Holiday country")
        if not chosen:
            raise WorkbookError(
                "no country for the holidays — give --country (such as --country US), or fill in "
                "Holiday country on the Settings sheet"
            )
        area, region_from = region.strip(), "--region"
        if not area and chosen.strip().casefold() == settings.holiday_country.strip().casefold():
            # the region in Settings belongs to the country in Settings
            area, region_from = settings.holiday_region, _setting_cell(studio, "Holiday region")
        try:
            found = public_holidays(chosen, area, years)
        except UnknownCountry as exc:
            raise WorkbookError(f"{country_from}: {exc}") from None
        except UnknownRegion as exc:
            raise WorkbookError(f"{region_from}: {exc}") from None
        label = f"{chosen.strip().upper()}{'-' + area.strip() if area.strip() else ''} {_span(years)}"
        outcome = add_holidays(studio, found, label)
        note = "" if area.strip() else region_note(chosen, years, found)
        if note:
            outcome.notes.append(note)
        return outcome

    return batch.run(path, operation)


def _setting_cell(studio: Studio, name: str) -> str:
    cell = studio.settings.cells.get(name)
    return f"{SETTINGS.name}!{cell}" if cell else f"Settings ({name})"


def _span(years: list[int]) -> str:
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)
