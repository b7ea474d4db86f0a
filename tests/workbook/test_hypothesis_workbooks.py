"""A Hypothesis campaign through real workbook files: whatever is typed into Settings, Statuses and Sessions
(types, blanks, junk, huge values), `apply` then `refresh` never crash, every rejected cell is reported by
its address, no session row is lost or reordered, and Notes only ever grows."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from click.testing import CliRunner
from helpers.workbooks import SESSION_HEADER, SETTINGS, STATUSES, build, cells
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sheetflow.cli import main

junk = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    st.text(max_size=20),
    st.sampled_from(
        [
            "Yes",
            "No",
            "x",
            "next",
            "Session Pending",
            "Retouch Pending",
            "Order Delivered",
            "Old Step",
            "25/11/2026",
            "2026-11-25",
            "11/25/2026",
            "=1+1",
            "-5",
            "@home",
            "+44 20 7946 0000",
        ]
    ),
    st.integers(-(10**9), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 1, 1)),
    st.text(min_size=300, max_size=600),
)
ADDRESS = re.compile(r"^(Settings|Statuses|Sessions|Holidays|Lists)![A-Z]{1,3}[1-9]\d*: (error|warning): .+ — .+")
TODAY = "2026-11-25"


def session_rows():
    row = st.lists(junk, min_size=len(SESSION_HEADER), max_size=len(SESSION_HEADER))
    return st.lists(row, min_size=1, max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    sessions=session_rows(),
    statuses=st.lists(st.tuples(st.integers(1, 5), st.integers(0, 8), junk), max_size=6),
    setting_values=st.lists(st.tuples(st.integers(1, len(SETTINGS) - 1), junk), max_size=4),
)
@example(sessions=[[None] * 16 + ["a date?\nno:\x1b[31m red\x00", None, None]], statuses=[], setting_values=[])
def test_junk_in_every_user_sheet_never_loses_a_session(sessions, statuses, setting_values):
    status_rows = [list(r) for r in STATUSES]
    for row, col, value in statuses:
        status_rows[row][col] = value
    settings_rows = [list(r) for r in SETTINGS]
    for row, value in setting_values:
        settings_rows[row][1] = value
    for i, row in enumerate(sessions):
        row[0] = 5000 + i  # every row is a session: its ID is what tracks it through the runs
    with tempfile.TemporaryDirectory() as folder:
        book = build(
            Path(folder) / "fuzz.xlsx",
            {"Settings": settings_rows, "Statuses": status_rows, "Sessions": [SESSION_HEADER, *sessions]},
        )
        runner = CliRunner()
        notes_before = 0
        for command in ("apply", "refresh", "apply"):
            result = runner.invoke(main, [command, str(book), "--today", TODAY], catch_exceptions=False)
            assert result.exit_code in (0, 1), result.output
            lines = result.output.splitlines()
            problems = [line for line in lines if "!" in line.split(":")[0]]
            assert all(ADDRESS.match(line) for line in problems), problems
            assert (result.exit_code == 1) == any(": error: " in line for line in problems)
            ids = [row[0] for row in cells(book, "Sessions")[1:] if row and row[0] != ""]
            assert ids == [5000 + i for i in range(len(sessions))]  # none lost, none reordered
            notes = [row for row in cells(book, "Notes")[1:] if any(v != "" for v in row)]
            assert len(notes) >= notes_before
            notes_before = len(notes)
