"""The business-day calendar: due dates are exactly Excel's WORKDAY.INTL (SPEC §3).

November 2026, which most examples use:

    Mon Tue Wed Thu Fri Sat Sun
     23  24  25  26  27  28  29
     30
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetflow.core.calendar import BusinessCalendar
from sheetflow.core.cells import from_serial, to_serial

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
MON_TO_FRI = BusinessCalendar()
MON_TO_SAT = BusinessCalendar(workdays=frozenset({MON, TUE, WED, THU, FRI, SAT}))
WEEKENDS_ONLY = BusinessCalendar(workdays=frozenset({SAT, SUN}))


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def dec(day: int) -> dt.date:
    return dt.date(2026, 12, day)


def with_holidays(*days: dt.date, workdays: frozenset[int] = frozenset(range(5))) -> BusinessCalendar:
    return BusinessCalendar(workdays=workdays, holidays=frozenset(days))


# --- Worked examples ---------------------------------------------------------------------------------------------


def test_two_business_days_after_a_wednesday_is_friday():
    assert MON_TO_FRI.add_business_days(nov(25), 2) == nov(27)


def test_counting_runs_over_the_weekend():
    assert MON_TO_FRI.add_business_days(nov(26), 2) == nov(30)
    assert MON_TO_FRI.add_business_days(nov(27), 1) == nov(30)


def test_a_holiday_is_skipped_like_a_weekend_day():
    thanksgiving = with_holidays(nov(26))
    assert thanksgiving.add_business_days(nov(25), 1) == nov(27)
    assert thanksgiving.add_business_days(nov(25), 2) == nov(30)


def test_a_holiday_on_a_weekend_changes_nothing():
    assert with_holidays(nov(28)).add_business_days(nov(27), 1) == nov(30)


def test_zero_days_gives_the_start_date_itself_even_on_a_saturday():
    assert MON_TO_FRI.add_business_days(nov(28), 0) == nov(28)


def test_zero_days_gives_the_start_date_itself_even_on_a_holiday():
    assert with_holidays(nov(26)).add_business_days(nov(26), 0) == nov(26)


def test_the_start_day_is_never_counted():
    assert MON_TO_FRI.add_business_days(nov(23), 1) == nov(24)  # Monday's "1 day" ends on Tuesday
    assert MON_TO_FRI.add_business_days(nov(28), 1) == nov(30)  # from Saturday, the first business day is Monday
    assert with_holidays(nov(26)).add_business_days(nov(26), 1) == nov(27)


def test_a_six_day_week_works_on_saturday():
    assert MON_TO_SAT.add_business_days(nov(27), 1) == nov(28)
    assert MON_TO_SAT.add_business_days(nov(28), 1) == nov(30)
    assert MON_TO_SAT.add_business_days(nov(23), 5) == nov(28)
    assert MON_TO_SAT.add_business_days(nov(23), 6) == nov(30)


def test_a_weekend_only_studio_works_saturdays_and_sundays():
    assert WEEKENDS_ONLY.add_business_days(nov(23), 1) == nov(28)
    assert WEEKENDS_ONLY.add_business_days(nov(23), 2) == nov(29)
    assert WEEKENDS_ONLY.add_business_days(nov(23), 3) == dec(5)
    assert WEEKENDS_ONLY.add_business_days(nov(28), 1) == nov(29)


def test_a_year_of_business_days_with_the_uk_bank_holidays():
    # Checked in LibreOffice: =WORKDAY.INTL(DATE(2026,1,1), 250, "0000011", holidays) is 2026-12-24.
    bank_holidays = [
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 6),
        dt.date(2026, 5, 4),
        dt.date(2026, 5, 25),
        dt.date(2026, 8, 31),
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 28),
    ]
    assert with_holidays(*bank_holidays).add_business_days(dt.date(2026, 1, 1), 250) == dt.date(2026, 12, 24)
    assert MON_TO_FRI.add_business_days(dt.date(2026, 1, 1), 250) == dt.date(2026, 12, 17)  # seven days sooner


def test_negative_days_count_backwards():
    assert MON_TO_FRI.add_business_days(nov(30), -1) == nov(27)
    assert MON_TO_FRI.add_business_days(nov(28), -1) == nov(27)  # from Saturday, one back is Friday
    assert with_holidays(nov(26)).add_business_days(nov(27), -1) == nov(25)


def test_the_weekend_mask_is_the_one_workday_intl_takes():
    assert MON_TO_FRI.weekend_mask == "0000011"
    assert MON_TO_SAT.weekend_mask == "0000001"
    assert WEEKENDS_ONLY.weekend_mask == "1111100"


def test_a_work_week_without_a_working_day_is_refused():
    with pytest.raises(ValueError, match="at least one working day"):
        BusinessCalendar(workdays=frozenset())


def test_is_business_day():
    thanksgiving = with_holidays(nov(26))
    assert thanksgiving.is_business_day(nov(25))
    assert not thanksgiving.is_business_day(nov(26))
    assert not thanksgiving.is_business_day(nov(28))


def test_business_days_between_excludes_the_first_day_and_includes_the_last():
    assert MON_TO_FRI.business_days_between(nov(23), nov(27)) == 4  # Tue, Wed, Thu, Fri
    assert MON_TO_FRI.business_days_between(nov(27), nov(30)) == 1  # Mon only
    assert with_holidays(nov(26)).business_days_between(nov(23), nov(30)) == 4  # Tue, Wed, Fri, Mon


def test_business_days_between_is_zero_when_the_end_is_not_after_the_start():
    assert MON_TO_FRI.business_days_between(nov(25), nov(25)) == 0
    assert MON_TO_FRI.business_days_between(nov(30), nov(23)) == 0


# --- Days overdue -----------------------------------------------------------------------------------------------


def test_days_overdue_counts_business_days_after_the_due_date_up_to_today():
    assert MON_TO_FRI.days_overdue(due=nov(23), today=nov(25)) == 2


def test_days_overdue_does_not_count_the_weekend():
    assert MON_TO_FRI.days_overdue(due=nov(27), today=nov(28)) == 0
    assert MON_TO_FRI.days_overdue(due=nov(27), today=nov(29)) == 0
    assert MON_TO_FRI.days_overdue(due=nov(27), today=nov(30)) == 1


def test_days_overdue_does_not_count_holidays():
    assert with_holidays(nov(26)).days_overdue(due=nov(25), today=nov(30)) == 2  # Fri, Mon


def test_days_overdue_is_zero_on_and_before_the_due_date():
    assert MON_TO_FRI.days_overdue(due=nov(25), today=nov(25)) == 0
    assert MON_TO_FRI.days_overdue(due=nov(25), today=nov(24)) == 0
    assert MON_TO_FRI.days_overdue(due=nov(30), today=nov(2)) == 0


# --- Properties, against numpy's business-day functions ----------------------------------------------------------

work_weeks = st.frozensets(st.integers(MON, SUN), min_size=1)
starts = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31))
holiday_offsets = st.lists(st.integers(-400, 3000), max_size=80)


def numpy_weekmask(calendar: BusinessCalendar) -> str:
    return "".join("1" if day in calendar.workdays else "0" for day in range(7))


def numpy_holidays(calendar: BusinessCalendar) -> list[str]:
    return sorted(day.isoformat() for day in calendar.holidays)


def numpy_offset(calendar: BusinessCalendar, start: dt.date, days: int, roll: str) -> dt.date:
    result = np.busday_offset(
        start.isoformat(), days, roll=roll, weekmask=numpy_weekmask(calendar), holidays=numpy_holidays(calendar)
    )
    return result.astype(dt.date)


def calendar_near(start: dt.date, workdays: frozenset[int], offsets: list[int]) -> BusinessCalendar:
    """Holidays placed around the start, so that they actually fall inside the counted span."""
    return BusinessCalendar(workdays=workdays, holidays=frozenset(start + dt.timedelta(days=o) for o in offsets))


def test_numpy_reference_agrees_with_a_worked_example():
    # Guards the helpers above: numpy's mask is the inverse of Excel's, and roll='backward' matches WORKDAY.
    assert numpy_weekmask(MON_TO_FRI) == "1111100"
    assert numpy_offset(with_holidays(nov(26)), nov(28), 1, roll="backward") == nov(30)
    assert numpy_offset(with_holidays(nov(26)), nov(25), 2, roll="backward") == nov(30)


@settings(max_examples=400, deadline=None)
@given(workdays=work_weeks, start=starts, offsets=holiday_offsets, days=st.integers(0, 400))
def test_adding_business_days_matches_numpy(workdays, start, offsets, days):
    calendar = calendar_near(start, workdays, offsets)
    expected = start if days == 0 else numpy_offset(calendar, start, days, roll="backward")
    assert calendar.add_business_days(start, days) == expected


@settings(max_examples=300, deadline=None)
@given(workdays=work_weeks, start=starts, offsets=holiday_offsets, days=st.integers(1, 400))
def test_subtracting_business_days_matches_numpy(workdays, start, offsets, days):
    calendar = calendar_near(start, workdays, [-o for o in offsets])
    assert calendar.add_business_days(start, -days) == numpy_offset(calendar, start, -days, roll="forward")


@settings(max_examples=400, deadline=None)
@given(workdays=work_weeks, after=starts, offsets=holiday_offsets, span=st.integers(-30, 3000))
def test_business_days_between_matches_numpy_over_the_half_open_span(workdays, after, offsets, span):
    calendar = calendar_near(after, workdays, offsets)
    upto = after + dt.timedelta(days=span)
    if span <= 0:
        expected = 0
    else:
        expected = int(
            np.busday_count(
                (after + dt.timedelta(days=1)).isoformat(),
                (upto + dt.timedelta(days=1)).isoformat(),
                weekmask=numpy_weekmask(calendar),
                holidays=numpy_holidays(calendar),
            )
        )
    assert calendar.business_days_between(after, upto) == expected


@settings(max_examples=200, deadline=None)
@given(workdays=work_weeks, start=starts, offsets=holiday_offsets, days=st.integers(1, 400))
def test_a_due_date_is_a_business_day_exactly_that_many_business_days_later(workdays, start, offsets, days):
    calendar = calendar_near(start, workdays, offsets)
    due = calendar.add_business_days(start, days)
    assert calendar.is_business_day(due)
    assert calendar.business_days_between(start, due) == days


# --- Against a real spreadsheet: LibreOffice recalculates WORKDAY.INTL and NETWORKDAYS.INTL --------------------

HOLIDAY_ROWS = range(2, 41)  # $H$2:$H$40
HEADER = ["Start", "Days", "Weekend", "Due serial", "Due text", "Until", "Business days", "Holidays"]


def _random_cases(rng: random.Random, count: int) -> list[tuple[dt.date, int, str, dt.date]]:
    cases = []
    for i in range(count):
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(730))
        mask = "".join(rng.choice("01") for _ in range(7))
        if mask == "1111111":
            mask = "1111110"
        days = 0 if i % 10 == 0 else rng.randint(-60, 400)
        until = start + dt.timedelta(days=rng.randint(1, 500))
        cases.append((start, days, mask, until))
    # Hand-picked corners: zero days from a Saturday, a holiday start, a weekend-only week.
    cases += [
        (nov(28), 0, "0000011", nov(28) + dt.timedelta(days=3)),
        (nov(26), 1, "0000011", dec(31)),
        (nov(23), 3, "1111100", dec(6)),
        (nov(28), -1, "0000011", dec(1)),
    ]
    return cases


def _calendar(mask: str, holidays: list[dt.date]) -> BusinessCalendar:
    return BusinessCalendar(
        workdays=frozenset(i for i, flag in enumerate(mask) if flag == "0"), holidays=frozenset(holidays)
    )


def _recalculate_in_libreoffice(soffice: str, workbook: Path) -> list[list[str]]:
    profile = (workbook.parent / "lo-profile").as_uri()
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation={profile}",
            "--convert-to",
            "csv",
            "--outdir",
            str(workbook.parent),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with workbook.with_suffix(".csv").open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_due_dates_match_libreoffice_workday_intl(tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed, so there is no spreadsheet to compare against")
    rng = random.Random(20261125)
    holidays = sorted({dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(800)) for _ in HOLIDAY_ROWS})
    cases = _random_cases(rng, 200)

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row, (start, days, mask, until) in enumerate(cases, start=2):
        ws.cell(row, 1, start).number_format = "yyyy-mm-dd"
        ws.cell(row, 2, days)
        ws.cell(row, 3, mask).number_format = "@"
        ws.cell(row, 4, f"=WORKDAY.INTL(A{row},B{row},C{row},$H$2:$H$40)").number_format = "0"
        ws.cell(row, 5, f'=TEXT(D{row},"YYYY-MM-DD")')
        ws.cell(row, 6, until).number_format = "yyyy-mm-dd"
        ws.cell(row, 7, f"=NETWORKDAYS.INTL(A{row}+1,F{row},C{row},$H$2:$H$40)").number_format = "0"
    for row, day in zip(HOLIDAY_ROWS, holidays, strict=False):
        ws.cell(row, 8, day).number_format = "yyyy-mm-dd"
    anchor_row = len(cases) + 2
    ws.cell(anchor_row, 4, "=DATE(2026,11,25)").number_format = "0"
    ws.cell(anchor_row, 5, f'=TEXT(D{anchor_row},"YYYY-MM-DD")')
    workbook = tmp_path / "workday.xlsx"
    wb.save(workbook)

    rows = _recalculate_in_libreoffice(soffice, workbook)

    assert rows[0] == HEADER
    assert rows[anchor_row - 1][3:5] == ["46351", "2026-11-25"]  # the serial and text columns read as expected
    assert len(rows) == anchor_row
    mismatches = []
    for (start, days, mask, until), row in zip(cases, rows[1:], strict=False):
        serial_text, due_text, count_text = row[3], row[4], row[6]
        office_due = from_serial(int(serial_text)).date()
        assert office_due == dt.date.fromisoformat(due_text), f"serial and text disagree in {row}"
        calendar = _calendar(mask, holidays)
        ours = (calendar.add_business_days(start, days), calendar.business_days_between(start, until))
        if ours != (office_due, int(count_text)):
            mismatches.append(((start, days, mask, until), ours, (office_due, int(count_text))))
    assert mismatches == []
    assert to_serial(cases[0][0]) == to_serial(dt.date.fromisoformat(rows[1][0]))  # dates went in as dates


def test_a_huge_duration_is_fast_and_stops_at_the_end_of_the_calendar():
    calendar = BusinessCalendar()
    assert calendar.add_business_days(dt.date(2026, 1, 1), 10**7) == dt.date.max
    assert calendar.add_business_days(dt.date(9999, 12, 29), 5) == dt.date.max
    assert calendar.add_business_days(dt.date(2026, 1, 1), 2600) == dt.date(2035, 12, 20)  # numpy.busday_offset agrees
