"""Triggers in the core (SPEC §6): which rows fire, on which date, with what action, and only once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from helpers.workbooks import LISTS, SESSION_HEADER, SETTINGS, STATUSES, session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetflow.core import studio as core
from sheetflow.core.problems import Severity
from sheetflow.core.schema import FIRED, SESSIONS, TRIGGERS
from sheetflow.core.schema import LISTS as LISTS_SHEET
from sheetflow.core.schema import SETTINGS as SETTINGS_SHEET
from sheetflow.core.schema import STATUSES as STATUSES_SHEET
from sheetflow.core.tables import table_from_grid

TODAY = dt.date(2026, 11, 25)  # a Wednesday
NOW = dt.datetime(2026, 11, 25, 9, 30)
MON_23, FRI_20 = dt.date(2026, 11, 23), dt.date(2026, 11, 20)


def trigger(
    name: str,
    status: str,
    basis: str = "Status change",
    offset: object = 0,
    action: str = "Task",
    session_type: str = "",
    assign_to: str = "",
    subject: str = "",
    message: str = "",
    active: str = "",
) -> list[object]:
    values = {
        "Trigger": name,
        "Session Type": session_type,
        "Status": status,
        "Date Basis": basis,
        "Offset Days": offset,
        "Action": action,
        "Assign To": assign_to,
        "Subject": subject,
        "Message": message,
        "Active": active,
    }
    return [values[c] for c in TRIGGERS.columns]


def load(triggers, sessions, ledger=(), settings=SETTINGS, statuses=STATUSES) -> core.Studio:
    tables = {
        SETTINGS_SHEET.name: table_from_grid(SETTINGS_SHEET.name, settings, SETTINGS_SHEET),
        STATUSES_SHEET.name: table_from_grid(STATUSES_SHEET.name, statuses, STATUSES_SHEET),
        LISTS_SHEET.name: table_from_grid(LISTS_SHEET.name, LISTS, LISTS_SHEET),
        SESSIONS.name: table_from_grid(SESSIONS.name, [SESSION_HEADER, *sessions], SESSIONS),
        TRIGGERS.name: table_from_grid(TRIGGERS.name, [list(TRIGGERS.columns), *triggers], TRIGGERS),
    }
    if ledger:
        tables[FIRED.name] = table_from_grid(FIRED.name, [list(FIRED.columns), *ledger], FIRED)
    return core.load_studio(tables)


def run(studio: core.Studio, today: dt.date = TODAY) -> core.Outcome:
    return core.refresh(studio, today, now=NOW)


def tasks(outcome: core.Outcome) -> list[dict]:
    return outcome.changes.appends.get("Tasks", [])


def messages(outcome: core.Outcome) -> list[dict]:
    return outcome.changes.appends.get("Outbox", [])


ANN = dict(session_id=1, client="Ann Lee", email="ann@example.com", phone="555 0101")


# -- date bases ------------------------------------------------------------------------------------------------


def test_status_change_basis_is_the_day_the_session_entered_its_status():
    studio = load(
        [trigger("Thank-you call", "Retouch Pending", "Status change", 3, "Call")],
        [session(**ANN, status="Retouch Pending", status_date=MON_23)],
    )
    (task,) = tasks(run(studio))
    assert task == {
        "Task ID": "T-000001",
        "Session ID": 1,
        "Client": "Ann Lee",
        "Action": "Call",
        "Task": "Thank-you call",
        "Due Date": dt.date(2026, 11, 26),
        "Assigned To": "Priya",
        "Trigger": "Thank-you call",
        "Created": TODAY,
        "Late": "No",
    }


def test_status_due_date_basis_uses_the_due_date_after_the_run():
    statuses = [r[:] for r in STATUSES]
    statuses[3][3] = 1  # Retouch now takes one business day: refresh moves the due date to Tue 24
    studio = load(
        [
            trigger(
                "Retouch overdue",
                "Retouch Pending",
                "Status due date",
                1,
                assign_to="Jon",
                subject="Chase {{ client }}: due {{ due_date }}",
            )
        ],
        [session(**ANN, status="Retouch Pending", status_date=MON_23, due_date=dt.date(2026, 11, 30))],
        statuses=statuses,
    )
    (task,) = tasks(run(studio))
    assert (task["Task"], task["Due Date"], task["Assigned To"], task["Late"]) == (
        "Chase Ann Lee: due 24/11/2026",
        dt.date(2026, 11, 25),
        "Jon",
        "No",
    )


def test_session_date_basis_with_a_negative_offset_queues_the_email_on_its_day():
    reminder = trigger(
        "Reminder",
        "Session Pending",
        "Session date",
        -7,
        "Email",
        subject="See you {{ session_weekday }}",
        message="Dear {{ client }}, see you on {{ session_date }} at {{ studio }}.",
    )
    studio = load(
        [reminder], [session(**ANN, status="Session Pending", status_date=FRI_20, session_date=dt.date(2026, 12, 3))]
    )  # trigger date: Thu 26
    assert messages(run(studio)) == []  # a message waits for its date
    (email,) = messages(run(studio, TODAY + dt.timedelta(days=1)))
    assert re.fullmatch(r"M-000001-[0-9a-f]{8}", email.pop("Message ID"))
    assert email == {
        "Session ID": 1,
        "Client": "Ann Lee",
        "Channel": "Email",
        "To": "ann@example.com",
        "Subject": "See you Thursday",
        "Body": "Dear Ann Lee, see you on 03/12/2026 at Test Studio.",
        "Created": dt.date(2026, 11, 26),
        "Late": "No",
    }


def test_without_its_basis_date_a_trigger_waits_for_the_first_run_that_sees_one():
    rows = [trigger("Reminder", "Session Pending", "Session date", -7, "Call")]
    studio = load(rows, [session(**ANN, status="Session Pending", status_date=FRI_20)])
    assert tasks(run(studio)) == []
    studio = load(
        rows, [session(**ANN, status="Session Pending", status_date=FRI_20, session_date=dt.date(2027, 1, 8))]
    )
    assert [t["Due Date"] for t in tasks(run(studio))] == [dt.date(2027, 1, 1)]  # a task is made at once


def test_a_date_already_past_fires_once_late():
    studio = load(
        [trigger("Reminder", "Session Pending", "Session date", -7, "SMS", message="Hi {{ client }}")],
        [session(**ANN, status="Session Pending", status_date=FRI_20, session_date=dt.date(2026, 11, 27))],
    )
    first = run(studio)
    assert [(m["Channel"], m["To"], m["Body"], m["Subject"], m["Late"]) for m in messages(first)] == [
        ("SMS", "555 0101", "Hi Ann Lee", None, "Yes")
    ]
    assert messages(run(studio)) == []


# -- actions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "email", "phone", "made"),
    [
        ("Task", "ann@example.com", "555", ("Tasks", "Task")),
        ("Call", "ann@example.com", "555", ("Tasks", "Call")),
        ("Email", "ann@example.com", "555", ("Outbox", "Email", "ann@example.com")),
        ("SMS", "ann@example.com", "555", ("Outbox", "SMS", "555")),
        ("Letter", "", "", ("Outbox", "Letter", "Ann Lee")),
        ("Email/Call", "ann@example.com", "", ("Outbox", "Email", "ann@example.com")),
        ("Email/Call", "", "555", ("Tasks", "Call")),
        ("Email/Call", "not an address", "555", ("Tasks", "Call")),
        ("Email/Letter", "ann@example.com", "", ("Outbox", "Email", "ann@example.com")),
        ("Email/Letter", "", "555", ("Outbox", "Letter", "Ann Lee")),
        ("SMS/Call", "", "555", ("Outbox", "SMS", "555")),
        ("SMS/Call", "ann@example.com", "", ("Tasks", "Call")),
    ],
)
def test_each_action_and_its_fallback(action, email, phone, made):
    studio = load(
        [
            trigger(
                "Welcome", "Session Pending", action=action, subject="Welcome {{ client }}", message="Dear {{ client }}"
            )
        ],
        [
            session(
                session_id=1, client="Ann Lee", email=email, phone=phone, status="Session Pending", status_date=FRI_20
            )
        ],
    )
    outcome = run(studio)
    assert (outcome.tasks, outcome.messages) == ((1, 0) if made[0] == "Tasks" else (0, 1))
    if made[0] == "Tasks":
        (task,) = tasks(outcome)
        assert task["Action"] == made[1] and task["Task"].startswith("Welcome Ann Lee")
        assert ("call instead" in task["Task"]) == ("/" in action)
        assert task["Late"] == "Yes" and task["Assigned To"] == "Maya"  # the status's default user
    else:
        (message,) = messages(outcome)
        assert (message["Channel"], message["To"]) == made[1:]
        assert message["Body"] == "Dear Ann Lee" and message["Subject"] == (
            None if made[1] == "SMS" else "Welcome Ann Lee"
        )
    assert len(outcome.changes.appends[FIRED.name]) == 1
    assert "1 " in outcome.summary and ("queued" in outcome.summary)


def test_an_email_without_an_address_and_no_fallback_is_a_warning_and_fires_later():
    rows = [trigger("Welcome", "Session Pending", action="Email", message="Dear {{ client }}")]
    outcome = run(load(rows, [session(session_id=1, client="Ann", status="Session Pending", status_date=FRI_20)]))
    assert messages(outcome) == [] and FIRED.name not in outcome.changes.appends
    (problem,) = outcome.problems
    assert (problem.where, problem.severity) == ("Sessions!C2", Severity.WARNING)
    assert "no email address" in problem.message
    later = run(
        load(
            rows,
            [
                session(
                    session_id=1, client="Ann", email="ann@example.com", status="Session Pending", status_date=FRI_20
                )
            ],
        )
    )
    assert [m["Late"] for m in messages(later)] == ["Yes"]


# -- which sessions ----------------------------------------------------------------------------------------------


def test_session_type_status_and_active_choose_the_sessions():
    rows = [
        trigger("Weddings only", "Session Pending", session_type="Wedding"),
        trigger("Everyone", "Session Pending"),
        trigger("Switched off", "Session Pending", active="No"),
        trigger("Other status", "Retouch Pending"),
    ]
    studio = load(
        rows,
        [
            session(session_id=1, session_type="Wedding", status="Session Pending", status_date=FRI_20),
            session(session_id=2, session_type="Portrait", status="session   PENDING", status_date=FRI_20),
        ],
    )
    made = sorted((t["Session ID"], t["Trigger"]) for t in tasks(run(studio)))
    assert made == [(1, "Everyone"), (1, "Weddings only"), (2, "Everyone")]


def test_statuses_by_type_watch_the_status_in_each_cycle():
    settings = [[k, "Yes" if k == "Statuses by type" else v] for k, v in SETTINGS]
    statuses = [STATUSES[0], *[[kind, *r[1:]] for kind in ("Portrait", "Wedding") for r in STATUSES[1:]]]
    rows = [
        trigger("Any type", "Retouch Pending"),
        trigger("Portrait only", "Retouch Pending", session_type="Portrait"),
    ]
    studio = load(
        rows,
        [
            session(session_id=1, session_type="Wedding", status="Retouch Pending", status_date=MON_23),
            session(session_id=2, session_type="Portrait", status="Retouch Pending", status_date=MON_23),
        ],
        settings=settings,
        statuses=statuses,
    )
    assert [p for p in studio.problems if p.sheet == TRIGGERS.name] == []
    made = sorted((t["Session ID"], t["Trigger"]) for t in tasks(run(studio)))
    assert made == [(1, "Any type"), (2, "Any type"), (2, "Portrait only")]


# -- exactly once --------------------------------------------------------------------------------------------------


def test_a_trigger_fires_once_per_session_trigger_and_basis_date():
    rows = [trigger("Welcome call", "Session Pending", action="Call")]
    studio = load(rows, [session(**ANN, status="Session Pending", status_date=FRI_20)])
    first = run(studio)
    assert len(tasks(first)) == 1 and run(studio).changes.appends.get("Tasks") is None
    ledger = first.changes.appends[FIRED.name]
    assert ledger == [
        {"Session ID": 1, "Trigger": "Welcome call", "Basis Date": FRI_20, "Fired At": NOW, "Generated": "T-000001"}
    ]
    # read back from the hidden sheet (names typed differently, IDs as text): nothing fires again
    again = load(
        [trigger("  WELCOME   call ", "Session Pending", action="Call")],
        [session(**ANN, status="Session Pending", status_date=FRI_20)],
        ledger=[["1", "Welcome call", "2026-11-20", NOW, "T-000001"]],
    )
    assert tasks(run(again)) == []
    # entering the status again on another day is a new firing; the numbers go on from the ledger's
    moved = load(
        rows,
        [session(**ANN, status="Session Pending", status_date=TODAY)],
        ledger=[[1, "Welcome call", FRI_20, NOW, "T-000041"]],
    )
    assert [t["Task ID"] for t in tasks(run(moved))] == ["T-000042"]


def test_apply_fires_on_the_state_after_the_change_and_back_and_forth_the_same_day_fires_once():
    rows = [trigger("Booked", "Image Capture Pending", action="SMS", message="Booked, {{ client }}!")]
    studio = load(
        rows, [session(**ANN, status="Session Pending", status_date=FRI_20, change_to="Image Capture Pending")]
    )
    applied = core.apply_pending(studio, TODAY, now=NOW)
    assert [m["Body"] for m in messages(applied)] == ["Booked, Ann Lee!"]
    assert "1 change applied; 0 tasks created, 1 message queued" in applied.summary
    ledger = [
        [r["Session ID"], r["Trigger"], r["Basis Date"], r["Fired At"], r["Generated"]]
        for r in applied.changes.appends[FIRED.name]
    ]
    back_again = load(
        rows,
        [session(**ANN, status="Session Pending", status_date=TODAY, change_to="Image Capture Pending")],
        ledger=ledger,
    )
    assert messages(core.apply_pending(back_again, TODAY, now=NOW)) == []


def test_a_template_failing_for_many_sessions_is_one_problem_and_fires_later_once_fixed():
    rows = [trigger("Odd", "Session Pending", action="Task", subject="{% if client > 3 %}x{% endif %}")]
    studio = load(rows, [session(session_id=i, status="Session Pending", status_date=FRI_20) for i in (1, 2, 3)])
    # validate renders every template with sample fields, so it finds this one before any session does
    assert [p.where for p in core.validate(studio, TODAY).problems] == ["Triggers!H2"]
    assert tasks(run(studio)) == []


# -- the Triggers sheet, checked ------------------------------------------------------------------------------------


def test_validate_names_each_bad_cell():
    rows = [
        trigger("Unknown status", "Nope"),
        trigger("Unknown type", "Session Pending", session_type="Elopement"),
        trigger("Unknown basis", "Session Pending", basis="Birthday"),
        trigger("Unknown action", "Session Pending", action="Fax"),
        trigger("Half a day", "Session Pending", offset=1.5),
        trigger("Bad template", "Session Pending", subject="{% if client %}"),
        trigger("Misspelt field", "Session Pending", action="Email", message="Dear {{ cliet }}"),
        trigger("", "Session Pending"),
        trigger("Unknown type", "Session Pending"),
        trigger("No message", "Session Pending", action="SMS/Call"),
        trigger("Hostile", "Session Pending", action="Email", message="{{ ''.__class__.__mro__ }}"),
        trigger("Stranger", "Session Pending", assign_to="Zed"),
        trigger("Off and broken", "Nope", active="No"),
        trigger(
            "Sensible",
            "Session Pending",
            basis="status  DUE date",
            offset="-2",
            action="email / call",
            message="Hi {{ client }}",
        ),
    ]
    outcome = core.validate(load(rows, []), TODAY)
    found = {p.where: (p.severity.value, p.message) for p in outcome.problems}
    expected = {
        "Triggers!C2": "not a status",
        "Triggers!B3": "Elopement",
        "Triggers!D4": "Birthday",
        "Triggers!F5": "Fax",
        "Triggers!E6": "not a whole number",
        "Triggers!H7": "does not compile",
        "Triggers!I8": '"cliet"',
        "Triggers!A9": "no name",
        "Triggers!A10": "also used on row 3",
        "Triggers!I11": "has no Message",
        "Triggers!I12": "attributes",
        "Triggers!G13": "not on the Lists sheet",
        "Triggers!C14": "not a status",
    }
    assert set(found) == set(expected)
    for where, said in expected.items():
        assert said in found[where][1], where
    assert found["Triggers!G13"][0] == found["Triggers!C14"][0] == "warning"  # a stranger; an inactive trigger
    studio = load(rows, [])
    assert [t.name for t in studio.triggers.of(studio.workflow.cycle_for("").find("Session Pending"))] == [
        "Stranger",
        "Sensible",
    ]  # only the rows without errors fire


junk = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=15),
    st.integers(-(10**7), 10**7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.sampled_from(
        [
            "Session Pending",
            "Retouch Pending",
            "Status change",
            "Status due date",
            "Session date",
            "Task",
            "Email/Call",
            "SMS",
            "Letter",
            "Yes",
            "No",
            "-7",
            "99999",
            "{{ client }}",
            "{{ nope }}",
            "{% for x in y %}",
            "{{ 1/0 }}",
            "{{ client > 1 }}",
        ]
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(junk, min_size=len(TRIGGERS.columns), max_size=len(TRIGGERS.columns)), max_size=5),
    session_date=st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
)
def test_whatever_is_typed_in_triggers_no_crash_and_every_problem_has_an_address(rows, session_date):
    studio = load(
        rows,
        [
            session(**ANN, status="Session Pending", status_date=FRI_20, session_date=session_date),
            session(session_id=2, status="Retouch Pending", status_date=dt.date(9999, 12, 20)),
        ],
    )
    for outcome in (core.validate(studio, TODAY), run(studio), run(studio)):
        for problem in outcome.problems:
            assert re.fullmatch(r"[A-Z]{1,3}[1-9]\d*", problem.cell), problem
            assert problem.message and problem.fix
