"""Clear answers (issue 15): what `change` did, duplicate Session IDs, unknown users, and "did you mean"."""

from __future__ import annotations

import datetime as dt
import json

from helpers.workbooks import SETTINGS, STATUSES, records, session, studio

MON_16 = dt.date(2026, 11, 16)


def problems_at(book) -> dict[str, str]:
    return {p["Where"]: f"{p['Severity']}: {p['Problem']} — {p['How to fix']}" for p in records(book, "Problems")}


def with_setting(name: str, value: object) -> list[list[object]]:
    return [[name, value] if row[0] == name else row for row in SETTINGS]


# `change` says what it did


def test_change_prints_the_new_status_its_due_date_and_assignee(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1004, status="Image Capture Pending", status_date=MON_16)])
    result = sheetflow("change", book, "1004")
    assert result.exit_code == 0, result.output
    # Retouch Pending: 5 business days after Wednesday 25/11 is Wednesday 02/12; its default user is Priya
    assert "session 1004: Image Capture Pending → Retouch Pending, due 02/12/2026 (Wed), assigned to Priya" in (
        result.output
    )
    assert records(book, "Sessions")[0]["Assigned To"] == "Priya"


def test_change_says_the_due_date_in_the_settings_date_order_and_when_there_is_none(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", status_date=MON_16)],
        settings=with_setting("Date order", "YMD"),
    )
    assert "Session Pending → Image Capture Pending, due 2026-11-27 (Fri), assigned to Jon" in (
        sheetflow("change", book, "1").output
    )
    assert "Image Capture Pending → Order Delivered, no due date, assigned to Maya" in (
        sheetflow("change", book, "1", "--to", "Order Delivered").output
    )


def test_change_json_carries_to_due_date_and_assignee(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", status_date=MON_16)])
    result = sheetflow("change", book, "1", "--json")
    applied = json.loads(result.output)["applied"]
    assert [(a["to"], a["due_date"], a["assigned_to"]) for a in applied] == [
        ("Image Capture Pending", "2026-11-27", "Jon")
    ]


def test_apply_says_each_change_the_same_way(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", status_date=MON_16, change_to="next")],
    )
    result = sheetflow("apply", book)
    assert "session 1: Session Pending → Image Capture Pending, due 27/11/2026 (Fri), assigned to Jon" in result.output


# duplicate Session IDs


def test_a_duplicate_session_id_is_an_error_at_both_cells_and_change_refuses_it(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=5, client="Ann", status="Session Pending", status_date=MON_16),
            session(session_id=6, client="Bo", status="Session Pending", status_date=MON_16),
            session(session_id=5, client="Cy", status="Session Pending", status_date=MON_16),
        ],
    )
    result = sheetflow("validate", book)
    assert result.exit_code == 1
    found = problems_at(book)
    assert found["Sessions!A2"].startswith('error: Session ID "5" is also used on row 4')
    assert found["Sessions!A4"].startswith('error: Session ID "5" is also used on row 2')

    before = book.read_bytes()
    refused = sheetflow("change", book, "5")
    assert refused.exit_code == 2
    assert 'Session ID "5" is used on row 2 and row 4 of the Sessions sheet' in refused.output
    assert "nothing was changed" in refused.output
    assert book.read_bytes() == before
    assert sheetflow("change", book, "6").exit_code == 0  # the other sessions still change
    assert records(book, "Sessions")[1]["Status"] == "Image Capture Pending"
    assert {"Sessions!A2", "Sessions!A4"} <= set(problems_at(book))  # and the duplicate's errors stay on Problems


# unknown users


def test_change_by_someone_not_on_the_users_list_is_warned_at_the_cell_and_still_made(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", status_date=MON_16)])
    result = sheetflow("change", book, "1", "--by", "Priyaa")
    assert result.exit_code == 0, result.output
    row = records(book, "Sessions")[0]
    assert (row["Status"], row["Updated By"]) == ("Image Capture Pending", "Priyaa")
    warning = problems_at(book)["Sessions!L2"]
    assert warning.startswith('warning: session 1: Updated By "Priyaa" is not on the Users list')
    assert 'did you mean "Priya"?' in warning and "the change was made all the same" in warning
    assert "Sessions!L2: warning:" in result.output

    plain = sheetflow("change", book, "1", "--by", "Bob")
    assert plain.exit_code == 0
    assert "did you mean" not in problems_at(book)["Sessions!L2"]  # nobody on the list is close to Bob


def test_assigned_to_changed_by_and_current_user_not_on_the_list_are_warned(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", status_date=MON_16, assigned_to="Jonn", changed_by="Bob")],
        settings=with_setting("Current user", "Mayaa"),
    )
    assert sheetflow("validate", book).exit_code == 0  # warnings only
    found = problems_at(book)
    assert found["Sessions!K2"].startswith('warning: Assigned To "Jonn" is not on the Users list')
    assert 'did you mean "Jon"?' in found["Sessions!K2"]
    assert found["Sessions!R2"].startswith('warning: Changed By "Bob" is not on the Users list')
    current = next(v for k, v in found.items() if k.startswith("Settings!"))
    assert current.startswith('warning: Current user "Mayaa" is not on the Users list')
    assert 'did you mean "Maya"?' in current


# did you mean


def test_a_misspelt_change_to_suggests_the_status_meant(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", status_date=MON_16)])
    result = sheetflow("change", book, "1", "--to", "Retuch Pending")
    assert result.exit_code == 1
    assert '"Retuch Pending" is not a status of the status cycle — did you mean "Retouch Pending"?' in result.output
    assert records(book, "Sessions")[0]["Status"] == "Session Pending"


def test_a_misspelt_status_and_session_type_suggest_the_names_meant(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, session_type="Portriat", status="Sesion Pending", status_date=MON_16),
            session(session_id=2, status="Session Pending", status_date=MON_16, change_to="Image Captur Pending"),
        ],
    )
    sheetflow("validate", book)
    found = problems_at(book)
    assert 'did you mean "Portrait"?' in found["Sessions!E2"]
    assert 'did you mean "Session Pending"?' in found["Sessions!G2"]
    assert 'did you mean "Image Capture Pending"?' in found["Sessions!O3"]


def test_a_session_type_without_a_cycle_suggests_the_one_meant_when_statuses_are_by_type(tmp_path, sheetflow):
    statuses = [STATUSES[0], *(["Wedding", *row[1:]] for row in STATUSES[1:])]
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, session_type="Weding", status="Session Pending", status_date=MON_16)],
        statuses=statuses,
        settings=with_setting("Statuses by type", "Yes"),
    )
    sheetflow("validate", book)
    assert 'did you mean "Wedding"?' in problems_at(book)["Sessions!E2"]


def test_a_misspelt_settings_name_is_warned_with_the_name_meant(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", status_date=MON_16)],
        settings=[*with_setting("Date order", "MDY"), ["Date ordr", "YMD"], ["Our notes", "call the lab"]],
    )
    assert sheetflow("validate", book).exit_code == 0
    found = problems_at(book)
    row = len(SETTINGS) + 1  # the row after the standard ones
    assert found[f"Settings!A{row}"] == (
        'warning: Setting "Date ordr" is not a setting sheetflow knows, so its value is not used — '
        'did you mean "Date order"? Type the name exactly as it is, or clear the row'
    )
    assert f"Settings!A{row + 1}" not in found  # a row of the studio's own, far from every setting: left alone
