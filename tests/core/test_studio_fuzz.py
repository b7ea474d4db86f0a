"""Whatever people type into Settings, Statuses and Sessions, the core never crashes: every rejected cell is
reported by its address and the runs still produce a change set for the rows they can handle."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetflow.core import studio as core
from sheetflow.core.schema import SESSIONS, SETTINGS, STATUSES
from sheetflow.core.tables import table_from_grid

junk = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=12),
    st.sampled_from(["Yes", "No", "x", "next", "Session Pending", "Done", "25/11/2026", "2026-11-25", "Portrait"]),
    st.integers(-(10**6), 10**7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.text(min_size=200, max_size=400),
)
ADDRESS = re.compile(r"^[A-Z]{1,3}[1-9]\d*$")


def grid(header, rows):
    return [list(header), *[list(r) for r in rows]]


def rows_of(width):
    return st.lists(st.lists(junk, min_size=width, max_size=width), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    statuses=rows_of(len(STATUSES.columns)),
    sessions=rows_of(len(SESSIONS.columns)),
    values=st.lists(junk, min_size=12, max_size=12),
)
def test_no_crash_and_every_problem_has_an_address(statuses, sessions, values):
    settings_rows = [
        ["Setting", "Value"],
        *[
            [name, values[i]]
            for i, name in enumerate(
                [
                    "Studio",
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday",
                    "Statuses by type",
                    "Current user",
                    "Due soon (business days)",
                    "Date order",
                ]
            )
        ],
    ]
    tables = {
        SETTINGS.name: table_from_grid(SETTINGS.name, settings_rows, SETTINGS),
        STATUSES.name: table_from_grid(STATUSES.name, grid(STATUSES.columns, statuses), STATUSES),
        SESSIONS.name: table_from_grid(SESSIONS.name, grid(SESSIONS.columns, sessions), SESSIONS),
    }
    studio = core.load_studio(tables)
    today = dt.date(2026, 11, 25)
    for outcome in (core.validate(studio, today), core.apply_pending(studio, today), core.refresh(studio, today)):
        for problem in outcome.problems:
            assert problem.sheet in (SETTINGS.name, STATUSES.name, SESSIONS.name, "Holidays")
            assert ADDRESS.match(problem.cell), problem
            assert problem.message and problem.fix
        session_rows = {row.number for row in tables[SESSIONS.name].rows}
        for row in outcome.changes.cells.get(SESSIONS.name, {}):
            assert row in session_rows  # only existing session rows are written: none lost or moved
