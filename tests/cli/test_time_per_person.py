"""Time in status per person (Spectra's status time tracking): `sheetflow report` writes, below the time in status,
each person's stays per status — stays, median business days against typical, the share that left late — the people
with the most late stays first. A stay is the person's the session was assigned to as it entered the status (the
Notes row's Assigned To); older rows without one count for the status's Default User, marked so."""

from __future__ import annotations

import datetime as dt
import json
import random

from helpers.report_studio import HOLIDAY, NOTES_HEADER, OWNED, STATUSES, D, make, table
from helpers.workbooks import SETTINGS, STATUS_HEADER, cells, session, studio

from sheetflow.core import history as pure
from sheetflow.core import studio as core
from sheetflow.library import report as with_pandas
from sheetflow.workbook.file import WorkbookFile

PER_PERSON = "Time in status per person"
STATUS_TABLE = "Business days spent in each status (from the Notes history)"
HEADER = NOTES_HEADER + ["Assigned To"]  # the column is found by its name, wherever it is
TODAY = D(2026, 11, 25)


def note(sid, to, day, due, assigned=None):
    return [
        dt.datetime.combine(day, dt.time(10)),
        sid,
        f"Client {sid}",
        None,
        to,
        day,
        due,
        "Maya",
        "cli",
        None,
        assigned,
    ]


# Mon-Fri, 11 Nov a holiday. Sessions 1 and 5 are from before Notes had Assigned To (blank there); the rest say who.
HISTORY = [
    note(1, "Session Pending", D(2026, 11, 2), D(2026, 11, 2)),  # Maya by default: 2→4, 2 days, late
    note(5, "Session Pending", D(2026, 11, 2), D(2026, 11, 2)),  # Maya by default: 2→3, 1 day, late
    note(5, "Old Step", D(2026, 11, 3), D(2026, 11, 4)),  # no default user: still Maya's, 3→5, 2 days, late
    note(1, "Image Capture Pending", D(2026, 11, 4), D(2026, 11, 6)),  # Jon by default: 4→6, 2 days
    note(5, "Image Capture Pending", D(2026, 11, 5), D(2026, 11, 9)),  # Jon by default: 5→10, 3 days, late
    note(1, "Order Delivered", D(2026, 11, 6), None),
    note(2, "Session Pending", D(2026, 11, 9), D(2026, 11, 9), "Maya"),  # 9→10, 1 day, late
    note(5, "Order Delivered", D(2026, 11, 10), None),
    note(2, "Image Capture Pending", D(2026, 11, 10), D(2026, 11, 12), "Jon"),  # 10→16, 3 days, late
    note(2, "Retouch Pending", D(2026, 11, 16), D(2026, 11, 23), "Priya"),  # still there
    note(3, "Session Pending", D(2026, 11, 16), D(2026, 11, 16), " maya "),  # 16→17, 1 day, late
    note(3, "Image Capture Pending", D(2026, 11, 17), D(2026, 11, 19), "Ann"),  # Ann had it: 17→20, 3 days, late
    note(4, "Session Pending", D(2026, 11, 18), D(2026, 11, 18), "Maya"),  # 18→19, 1 day, late
    note(4, "Old Step", D(2026, 11, 19), D(2026, 11, 20)),  # no one (sheetflow wrote it): 19→23, 2 days, late
    note(6, "Session Pending", D(2026, 11, 19), D(2026, 11, 19), "Maya"),  # 19→19, 0 days
    note(6, "Image Capture Pending", D(2026, 11, 19), D(2026, 11, 23), "JON"),  # 19→20, 1 day
    note(3, "Retouch Pending", D(2026, 11, 20), D(2026, 11, 27), "Priya"),  # still there
    note(6, "Order Delivered", D(2026, 11, 20), None, "Maya"),
    note(4, "Image Capture Pending", D(2026, 11, 23), D(2026, 11, 25), "Jon"),  # still there
]
SESSIONS = [
    session(session_id=1, client="Client 1", status="Order Delivered", status_date=D(2026, 11, 6)),
    session(
        session_id=2, client="Client 2", status="Retouch Pending", status_date=D(2026, 11, 16), assigned_to="Priya"
    ),
    session(
        session_id=3, client="Client 3", status="Retouch Pending", status_date=D(2026, 11, 20), assigned_to="Priya"
    ),
    session(
        session_id=4, client="Client 4", status="Image Capture Pending", status_date=D(2026, 11, 23), assigned_to="Jon"
    ),
    session(session_id=5, client="Client 5", status="Order Delivered", status_date=D(2026, 11, 10)),
    session(session_id=6, client="Client 6", status="Order Delivered", status_date=D(2026, 11, 20)),
]
# Person, Status, Stays, Median Days, Typical Duration, Left Late: Maya has 6 late stays, Jon 2, Ann 1; no one's last.
PER_PERSON_TABLE = [
    ["Person", "Status", "Stays", "Median Days", "Typical Duration", "Left Late", None],
    ["Maya", "Session Pending", 4, 1.0, 0, 0.75, None],  # s2 s3 s4 s6: 1 1 1 0 days, 3 of 4 late
    ["Maya (default user)", "Session Pending", 2, 1.5, 0, 1.0, None],  # s1 s5: 2 1
    ["Maya (default user)", "Old Step", 1, 2.0, 1, 1.0, None],  # s5, carried on from Session Pending
    ["Jon", "Image Capture Pending", 2, 2.0, 2, 0.5, None],  # s2 s6: 3 1
    ["Jon (default user)", "Image Capture Pending", 2, 2.5, 2, 0.5, None],  # s1 s5: 2 3
    ["Ann", "Image Capture Pending", 1, 3.0, 2, 1.0, None],  # not on Lists: spelt as Notes has it
    ["(unassigned)", "Old Step", 1, 2.0, 1, 1.0, None],  # s4
]
STATUS_TOTALS = [
    ["Status", "Typical Duration", "Median Days", "90th Percentile", "Passed Through", "Left Late", None],
    ["Session Pending", 0, 1.0, 1.5, 6, 0.8333, None],
    ["Image Capture Pending", 2, 3.0, 3.0, 5, 0.6, None],
    ["Retouch Pending", 5, None, None, 0, None, None],
    ["Old Step", 1, 2.0, 2.0, 2, 1.0, None],
]


def make_studio(tmp_path, history=HISTORY, **kwargs):
    return studio(
        tmp_path / "studio.xlsx",
        kwargs.pop("sessions", SESSIONS),
        statuses=kwargs.pop("statuses", STATUSES),
        holidays=[[HOLIDAY, "Closed"]],
        extra={**OWNED, "Notes": [HEADER, *history], **kwargs.pop("extra", {})},
        **kwargs,
    )


def per_person(book) -> list[list]:
    return table(cells(book, "Dashboard"), PER_PERSON, 9)


def test_report_shows_each_persons_stays_per_status_the_most_late_first(tmp_path, sheetflow):
    book = make_studio(tmp_path)
    result = sheetflow("report", book)
    assert result.exit_code == 0, result.output
    assert "time in status: 19 status changes read, 13 stays measured" in result.output
    assert (
        "most stays left late: Maya, 6 of 7 (5 in Session Pending); 3 of them by the status's Default User, as older "
        "Notes rows don't say who had the session" in result.output
    )
    grid = cells(book, "Dashboard")
    assert table(grid, STATUS_TABLE, 9) == STATUS_TOTALS
    assert grid[30][9] == PER_PERSON  # J31: one blank row below the statuses
    assert per_person(book) == PER_PERSON_TABLE
    assert [row[9] for row in grid[39:]] == [  # the table ends on row 39; one blank row, then what "(default user)" is
        "",
        "(default user): older Notes rows don't name who had the session: the status's Default User, else the one "
        "before.",
    ]


def test_json_carries_each_persons_figures(tmp_path, sheetflow):
    book = make_studio(tmp_path)
    data = json.loads(sheetflow("report", book, "--json").output)
    people = data["dashboard"]["time_in_status"]["per_person"]
    assert people[0] == {
        "person": "Maya",
        "status": "Session Pending",
        "cycle": "",
        "typical_duration": 0,
        "stays": 4,
        "median": 1.0,
        "left_late": 0.75,
        "by_default_user": False,
        "late": 3,
    }
    assert [(p["person"], p["by_default_user"], p["status"], p["late"]) for p in people] == [
        ("Maya", False, "Session Pending", 3),
        ("Maya", True, "Session Pending", 2),
        ("Maya", True, "Old Step", 1),
        ("Jon", False, "Image Capture Pending", 1),
        ("Jon", True, "Image Capture Pending", 1),
        ("Ann", False, "Image Capture Pending", 1),
        ("", False, "Old Step", 1),
    ]


def test_refresh_after_a_report_keeps_the_per_person_numbers(tmp_path, sheetflow):
    book = make_studio(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    before = [row[9:16] for row in cells(book, "Dashboard")]
    assert sheetflow("change", book, "4", "--to", "Retouch Pending").exit_code == 0  # a Notes row refresh won't read
    assert sheetflow("refresh", book, today=D(2026, 11, 26)).exit_code == 0
    grid = cells(book, "Dashboard")
    assert grid[2][0] == D(2026, 11, 26)  # the board moved on
    assert [row[9:16] for row in grid] == before  # the time in status, per person too, as the report left it
    assert per_person(book) == PER_PERSON_TABLE
    assert sheetflow("refresh", book, today=D(2026, 11, 27)).exit_code == 0  # and again: read back, laid out again
    assert [row[9:16] for row in cells(book, "Dashboard")] == before


def test_users_with_no_stays_do_not_show(tmp_path, sheetflow):
    """Priya is on Lists and has two sessions in Retouch Pending, but neither has left it: no line of hers."""
    book = make_studio(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    names = {row[0] for row in per_person(book)[1:]}
    assert names == {"Maya", "Maya (default user)", "Jon", "Jon (default user)", "Ann", "(unassigned)"}
    assert not any("Priya" in str(v) for row in per_person(book) for v in row)


def test_each_statuses_stays_add_up_to_its_total(tmp_path, sheetflow):
    (tmp_path / "old").mkdir()
    for book in (make_studio(tmp_path), make(tmp_path / "old")):
        assert sheetflow("report", book).exit_code == 0
        grid = cells(book, "Dashboard")
        totals = {row[0]: row[4] for row in table(grid, STATUS_TABLE, 9)[1:]}
        summed: dict[str, int] = {}
        for row in table(grid, PER_PERSON, 9)[1:]:
            summed[row[1]] = summed.get(row[1], 0) + row[2]
        assert summed == {status: n for status, n in totals.items() if n}, book
        assert sum(summed.values()) == grid[2][11]  # L3: stays measured


def test_notes_without_an_assigned_to_column_count_for_the_default_user(tmp_path, sheetflow):
    """The report studio's Notes predate the column: every stay is its status's Default User's, marked so; Old Step
    has none, so its stay stays with whoever had the session before it (Maya, in Session Pending)."""
    book = make(tmp_path)
    result = sheetflow("report", book)
    assert result.exit_code == 0
    assert (
        "most stays left late: Maya, 6 of 7 (5 in Session Pending); all by the status's Default User" in result.output
    )
    assert per_person(book) == [
        ["Person", "Status", "Stays", "Median Days", "Typical Duration", "Left Late", None],
        ["Maya (default user)", "Session Pending", 6, 2.0, 0, 0.8333, None],
        ["Maya (default user)", "Old Step", 1, 2.0, 1, 1.0, None],
        ["Jon (default user)", "Image Capture Pending", 3, 2.0, 2, 0.0, None],
        ["Priya (default user)", "Retouch Pending", 1, 2.0, 5, 0.0, None],
    ]


def test_statuses_by_type_name_the_cycle(tmp_path, sheetflow):
    settings = [[k, "Yes" if k == "Statuses by type" else v] for k, v in SETTINGS]
    statuses = [
        STATUS_HEADER,
        ["Portrait", "Booked", 10, 1, "Yes", "", "", "Maya", ""],
        ["Portrait", "Done", 20, "", "", "Yes", "", "", ""],
        ["Wedding", "Booked", 10, 1, "Yes", "", "", "Jon", ""],
        ["Wedding", "Done", 20, "", "", "Yes", "", "", ""],
    ]
    history = [
        note(1, "Booked", D(2026, 11, 2), D(2026, 11, 3), "Maya"),
        note(1, "Done", D(2026, 11, 4), None, "Maya"),  # 2 days, late
        note(2, "Booked", D(2026, 11, 2), D(2026, 11, 3), "Maya"),  # Maya had the wedding too
        note(2, "Done", D(2026, 11, 3), None),  # 1 day, on time
    ]
    sessions = [
        session(session_id=1, session_type="Portrait", status="Done"),
        session(session_id=2, session_type="Wedding", status="Done"),
    ]
    book = make_studio(tmp_path, history, sessions=sessions, statuses=statuses, settings=settings)
    assert sheetflow("report", book).exit_code == 0
    assert per_person(book) == [
        ["Person", "Status", "Stays", "Median Days", "Typical Duration", "Left Late", "Cycle"],
        ["Maya", "Booked", 1, 2.0, 1, 1.0, "Portrait"],
        ["Maya", "Booked", 1, 1.0, 1, 0.0, "Wedding"],
    ]


def test_no_stays_yet_says_so_and_refresh_keeps_it(tmp_path, sheetflow):
    book = make_studio(tmp_path, HISTORY[:1], sessions=SESSIONS[:1])
    assert sheetflow("report", book).exit_code == 0
    grid = cells(book, "Dashboard")
    start = next(i for i, row in enumerate(grid) if row[9] == PER_PERSON)
    assert grid[start + 1][9] == "No stays measured yet: a stay counts once the session has left the status."
    assert sheetflow("refresh", book).exit_code == 0
    assert [row[9:16] for row in cells(book, "Dashboard")] == [row[9:16] for row in grid]


def test_a_dashboard_from_before_this_section_gets_none_on_refresh(tmp_path, sheetflow):
    """An older report's Dashboard has no per-person table: refresh keeps its time in status and invents none."""
    book = make_studio(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    grid = cells(book, "Dashboard")
    old = [[None if v == "" else v for v in row[:16]] for row in grid[:29]]  # down to the status table's end
    make_studio(tmp_path, extra={"Dashboard": old})
    assert sheetflow("refresh", book).exit_code == 0
    after = cells(book, "Dashboard")
    assert table(after, STATUS_TABLE, 9) == STATUS_TOTALS
    assert not any(row[9] == PER_PERSON for row in after if len(row) > 9)


def test_a_hold_and_its_resume_stay_one_stay_judged_by_the_resumed_due_date(tmp_path, sheetflow):
    """On hold on the 3rd with its due date the 4th; resumed on the 9th, due again the 10th; moved on the 10th: one
    stay of 6 business days, not late (the Notes rows of a hold and a resume keep From Status = To Status)."""

    def clock(day, due, text):
        row = note(7, "Image Capture Pending", day, due, "Jon")
        row[3], row[9] = "Image Capture Pending", text  # From Status = To Status, and the Note says which
        return row

    history = [
        note(7, "Image Capture Pending", D(2026, 11, 2), D(2026, 11, 4), "Jon"),
        clock(D(2026, 11, 3), D(2026, 11, 4), "on hold, 1 business day left: client away"),
        clock(D(2026, 11, 9), D(2026, 11, 10), "resumed, 1 business day left"),
        note(7, "Retouch Pending", D(2026, 11, 10), D(2026, 11, 17), "Priya"),
    ]
    sessions = [session(session_id=7, client="Client 7", status="Retouch Pending", status_date=D(2026, 11, 10))]
    book = make_studio(tmp_path, history, sessions=sessions)
    assert sheetflow("report", book).exit_code == 0
    assert per_person(book)[1:] == [["Jon", "Image Capture Pending", 1, 6.0, 2, 0.0, None]]
    assert table(cells(book, "Dashboard"), STATUS_TABLE, 9)[2] == ["Image Capture Pending", 2, 6.0, 6.0, 1, 0.0, None]
    by_pandas, by_core = both(book)
    assert by_pandas == by_core


# --- the pandas report and the pure core (the Dashboard button, xlwings Lite) ------------------------------------


def both(book, today: dt.date = TODAY):
    """The time in status as report.py (pandas) and core/history.py (pure Python) work it out from one reading."""
    tables = WorkbookFile(book).read(whole=("Notes",))
    notes = tables["Notes"]
    notes.rows = list(notes.rows)  # read once, gone through twice
    loaded = core.load_studio(tables)
    return with_pandas.time_in_status(loaded, notes, today), pure.time_in_status(loaded, notes, today)


def test_pandas_and_the_pure_core_give_the_same_per_person_figures(tmp_path):
    by_pandas, by_core = both(make_studio(tmp_path))
    assert by_pandas.per_person == by_core.per_person
    assert [p.label for p in by_core.per_person][:3] == ["Maya", "Maya (default user)", "Maya (default user)"]
    assert by_pandas == by_core


def test_they_agree_on_a_long_mixed_history(tmp_path):
    """Two thousand Notes rows, some before the column and some after, names in any case, blanks, a rename, a
    session no longer on the sheet: the two paths give the same lines, in the same order."""
    pick = random.Random(16)
    names = ["Maya", "jon", "JON ", "Priya", "Ann", None, ""]
    steps = ["Session Pending", "Image Capture", "Retouch Pending", "Old Step", "Order Delivered"]
    rows, day = [], D(2026, 1, 5)
    for n in range(2000):
        sid = pick.randint(1, 60)
        day += dt.timedelta(days=pick.random() < 0.3)
        due = day + dt.timedelta(days=pick.randint(0, 4)) if pick.random() < 0.9 else None
        rows.append(note(sid, pick.choice(steps), day, due, pick.choice(names) if n > 700 else None))
        if n == 1200:
            rows.append(
                [
                    dt.datetime.combine(day, dt.time(11)),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "Maya",
                    "batch",
                    'status renamed from "Image Capture" to "Image Capture Pending"',
                    None,
                ]
            )
    sessions = [session(session_id=i, client=f"Client {i}", status="Session Pending") for i in range(1, 55)]
    by_pandas, by_core = both(make_studio(tmp_path, rows, sessions=sessions), today=D(2026, 12, 1))
    assert len(by_core.per_person) > 10 and by_core.passages > 1500
    assert by_pandas.per_person == by_core.per_person
    assert by_pandas == by_core
    assert sum(p.stays for p in by_core.per_person) == by_core.passages
