"""The studio's business days: its work week minus its holidays (Excel's WORKDAY.INTL, exactly)."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class BusinessCalendar:
    """Work-week days (0 = Monday … 6 = Sunday) and holidays that are never business days."""

    workdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[dt.date] = frozenset()
    _sorted_holidays: tuple[dt.date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.workdays:
            raise ValueError("a work week needs at least one working day")
        working_holidays = sorted(d for d in self.holidays if d.weekday() in self.workdays)
        object.__setattr__(self, "_sorted_holidays", tuple(working_holidays))

    @property
    def weekend_mask(self) -> str:
        """WORKDAY.INTL's 7-character mask, Monday first, 1 = not a working day."""
        return "".join("0" if day in self.workdays else "1" for day in range(7))

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() in self.workdays and not self._is_holiday(day)

    def _is_holiday(self, day: dt.date) -> bool:
        i = bisect.bisect_left(self._sorted_holidays, day)
        return i < len(self._sorted_holidays) and self._sorted_holidays[i] == day

    def _holidays_between(self, after: dt.date, upto: dt.date) -> int:
        """Working-day holidays in (after, upto]."""
        return bisect.bisect_right(self._sorted_holidays, upto) - bisect.bisect_right(self._sorted_holidays, after)

    def add_business_days(self, start: dt.date, days: int) -> dt.date:
        """WORKDAY.INTL(start, days): 0 gives start itself, even on a day off; start is never counted."""
        return _add_business_days(self, start, days)

    def business_days_between(self, after: dt.date, upto: dt.date) -> int:
        """Business days d with after < d <= upto (0 when upto <= after)."""
        return _business_days_between(self, after, upto)

    def days_overdue(self, due: dt.date, today: dt.date) -> int:
        """Business days after the due date up to and including today."""
        return self.business_days_between(due, today)


@lru_cache(maxsize=65536)
def _add_business_days(calendar: BusinessCalendar, start: dt.date, days: int) -> dt.date:
    if days == 0:
        return start
    step = ONE_DAY if days > 0 else -ONE_DAY
    remaining = abs(days)
    per_week = len(calendar.workdays)
    day = start
    try:
        # Jump whole weeks, then give back the holidays jumped over: a long duration costs what a short one does.
        while remaining > per_week:
            weeks = (remaining - 1) // per_week
            end = day + 7 * weeks * step
            lo, hi = (day, end) if days > 0 else (end - ONE_DAY, day - ONE_DAY)
            remaining -= weeks * per_week - calendar._holidays_between(lo, hi)
            day = end
        while remaining:
            day += step
            if calendar.is_business_day(day):
                remaining -= 1
    except OverflowError:  # past 9999-12-31 or before year 1: the calendar's end is as far as it goes
        return dt.date.max if days > 0 else dt.date.min
    return day


@lru_cache(maxsize=65536)
def _business_days_between(calendar: BusinessCalendar, after: dt.date, upto: dt.date) -> int:
    if upto <= after:
        return 0
    span = (upto - after).days
    weeks, extra = divmod(span, 7)
    count = weeks * len(calendar.workdays)
    first_weekday = (after.weekday() + 1) % 7
    count += sum(1 for i in range(extra) if (first_weekday + weeks * 7 + i) % 7 in calendar.workdays)
    return count - calendar._holidays_between(after, upto)
