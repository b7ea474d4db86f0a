"""`sheetflow validate`: the status-definition rules of SPEC §2, each reported at its cell."""

from __future__ import annotations

import openpyxl
import pytest
from helpers.workbooks import LISTS, SETTINGS, STATUS_HEADER, STATUSES, records, session, studio


def statuses_with(*changes: tuple[int, str, object]) -> list[list[object]]:
    """STATUSES with (row index, column name, new value) edits."""
    rows = [r[:] for r in STATUSES]
    for row, column, value in changes:
        rows[row][STATUS_HEADER.index(column)] = value
    return rows


def run(tmp_path, sheetflow, statuses=STATUSES, settings=SETTINGS, sessions=()):
    book = studio(tmp_path / "s.xlsx", list(sessions), statuses=statuses, settings=settings)
    return book, sheetflow("validate", book)


def test_a_sound_workflow_validates_clean(tmp_path, sheetflow):
    book, result = run(tmp_path, sheetflow, sessions=[session(session_id=1, status="Session Pending")])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output
    assert records(book, "Problems") == []


@pytest.mark.parametrize(
    ("edits", "where", "words"),
    [
        ([(1, "Initial", "")], "Statuses!E2", "has no Initial status"),
        ([(2, "Initial", "Yes")], "Statuses!E3", "more than one Initial"),
        ([(5, "Final", "")], "Statuses!F2", "has no Final status"),
        ([(5, "Inactive", "Yes")], "Statuses!I6", 'the Final status "Order Delivered" is inactive'),
        ([(3, "Description", "image capture pending")], "Statuses!B4", "appears twice"),
        ([(3, "Description", "")], "Statuses!B4", "has no description"),
        ([(3, "Sort Order", 20)], "Statuses!C4", "Sort Order 20 is used by"),
        ([(3, "Sort Order", "abc")], "Statuses!C4", "is not a whole number"),
        ([(3, "Sort Order", 2.5)], "Statuses!C4", "is not a whole number"),
        ([(3, "Sort Order", None)], "Statuses!C4", "has no sort order"),
        ([(3, "Typical Duration", -1)], "Statuses!D4", "is negative"),
        ([(3, "Typical Duration", "five")], "Statuses!D4", "is not a whole number"),
        ([(3, "Stage", "Nowhere")], "Statuses!G4", 'Stage "Nowhere" is not on the Lists sheet'),
        ([(3, "Default User", "Zed")], "Statuses!H4", 'Default User "Zed" is not on the Lists sheet'),
        ([(3, "Initial", "maybe")], "Statuses!E4", "is not Yes or No"),
    ],
)
def test_each_rule_is_an_error_at_its_cell(tmp_path, sheetflow, edits, where, words):
    book, result = run(tmp_path, sheetflow, statuses=statuses_with(*edits))
    assert result.exit_code == 1, result.output
    line = next(line for line in result.output.splitlines() if words in line)
    assert line.startswith(f"{where}: error: ")
    assert " — " in line  # what is wrong — how to fix it
    problem = next(p for p in records(book, "Problems") if words in p["Problem"])
    assert problem["Where"] == where and problem["Severity"] == "error" and problem["How to fix"]


def test_problems_link_to_their_cells(tmp_path, sheetflow):
    book, _ = run(tmp_path, sheetflow, statuses=statuses_with((3, "Sort Order", "abc")))
    ws = openpyxl.load_workbook(book)["Problems"]
    assert ws["B2"].value == "Statuses!C4"
    assert ws["B2"].hyperlink.location == "'Statuses'!C4"


def test_numbers_stored_as_text_and_blank_rows_are_fine(tmp_path, sheetflow):
    statuses = [STATUSES[0], STATUSES[1], ["", "", "", "", "", "", "", "", ""], *STATUSES[2:]]
    statuses = [r[:] for r in statuses]
    statuses[3][2] = " 20 "
    statuses[3][3] = "2"
    _, result = run(tmp_path, sheetflow, statuses=statuses)
    assert result.exit_code == 0, result.output


def test_an_inactive_status_in_use_is_only_a_warning(tmp_path, sheetflow):
    _, result = run(tmp_path, sheetflow, sessions=[session(session_id=1, status="Old Step")])
    assert result.exit_code == 0
    assert "Sessions!G2: warning: " in result.output


def test_a_work_week_without_working_days_is_an_error(tmp_path, sheetflow):
    settings = [[k, "No" if k in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday") else v] for k, v in SETTINGS]
    _, result = run(tmp_path, sheetflow, settings=settings)
    assert result.exit_code == 1
    assert "Settings!B3: error: the work week has no working day" in result.output


def test_statuses_by_type_check_each_cycle_and_warn_on_shared_descriptions(tmp_path, sheetflow):
    settings = [[k, "Yes" if k == "Statuses by type" else v] for k, v in SETTINGS]
    statuses = [
        STATUS_HEADER,
        ["Portrait", "Session Pending", 10, 0, "Yes", "", "", "", ""],
        ["Portrait", "Delivered", 20, 0, "", "Yes", "", "", ""],
        ["Wedding", "Session Pending", 10, 0, "Yes", "", "", "", ""],
        ["Wedding", "W-Album", 20, 5, "", "", "", "", ""],
        ["", "Orphan", 30, 1, "", "", "", "", ""],
    ]
    book, result = run(
        tmp_path,
        sheetflow,
        statuses=statuses,
        settings=settings,
        sessions=[
            session(session_id=1, session_type="Portrait", status="Delivered"),
            session(session_id=2, session_type="Family", status="Session Pending"),
        ],
    )
    out = result.output
    assert result.exit_code == 1
    assert "Statuses!B4: warning: " in out  # "Session Pending" in two cycles: prefix advice, not an error
    assert "Statuses!F4: error: the Wedding cycle has no Final status" in out
    assert "Statuses!A6: error: " in out  # no session type while statuses are by type
    assert "Sessions!E3: error: " in out and "Family" in out


def test_session_data_problems_are_reported_by_address(tmp_path, sheetflow):
    _, result = run(
        tmp_path,
        sheetflow,
        sessions=[
            session(session_id=1, status="Session Pending", status_date="31/02/2026"),
            session(session_id=1, status="Session Pending"),
            session(client="no id"),
            session(session_id=3, status="Nope", manual_due="perhaps"),
        ],
    )
    out = result.output
    assert result.exit_code == 1
    assert "Sessions!H2: error: Status Date:" in out
    assert 'Sessions!A3: error: Session ID "1" is also used on row 2' in out
    assert "Sessions!A4: error: this row has no Session ID" in out
    assert 'Sessions!G5: error: Status "Nope" is not a status' in out
    assert "Sessions!J5: error: Manual Due" in out


def test_pending_changes_are_tried_without_being_applied(tmp_path, sheetflow):
    book, result = run(
        tmp_path, sheetflow, sessions=[session(session_id=1, status="Session Pending", change_to="Nowhere")]
    )
    assert result.exit_code == 1
    assert 'Sessions!O2: error: session 1: "Nowhere" is not a status' in result.output
    assert records(book, "Sessions")[0]["Status"] == "Session Pending"
    assert records(book, "Notes") == []


def test_missing_owned_sheets_and_columns_are_created(tmp_path, sheetflow):
    header = ["Session ID", "Status", "My Notes"]  # a minimal Sessions sheet with a user column
    from helpers.workbooks import build

    book = build(
        tmp_path / "s.xlsx",
        {
            "Settings": SETTINGS,
            "Statuses": STATUSES,
            "Lists": LISTS,
            "Sessions": [header, [1, "Session Pending", "keep me"]],
        },
    )
    result = sheetflow("validate", book)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(book)
    assert {"Notes", "Tasks", "Outbox", "Problems", "Dashboard"} <= set(wb.sheetnames)
    assert [c.value for c in wb["Tasks"][1]][:2] == ["Task ID", "Session ID"]
    headers = [c.value for c in wb["Sessions"][1]]
    assert headers[:3] == header
    assert headers[3:] == [
        "Status Date",
        "Due Date",
        "Manual Due",
        "Assigned To",
        "Updated By",
        "Flag",
        "Days Overdue",
        "Change To",
        "Date Completed",
        "New Due Date",
        "Changed By",
        "Change Note",
        "Reason",
        "Held Since",
        "Hold Reason",
    ]
    assert wb["Sessions"]["C2"].value == "keep me"


@pytest.mark.parametrize(
    ("sheets", "message"),
    [
        ({"Settings": SETTINGS, "Statuses": STATUSES}, 'no "Sessions" sheet'),
        ({"Settings": SETTINGS, "Sessions": [["Session ID", "Status"]]}, 'no "Statuses" sheet'),
        ({"Statuses": STATUSES, "Sessions": [["Session ID", "Status"]]}, 'no "Settings" sheet'),
        ({"Settings": SETTINGS, "Statuses": STATUSES, "Sessions": [["Session ID", "Client"]]}, 'no "Status" column'),
        ({"Settings": SETTINGS, "Statuses": STATUSES, "Sessions": [["Session ID", "Status", "status"]]}, "used twice"),
    ],
)
def test_missing_required_sheet_or_column_is_exit_2_naming_it(tmp_path, sheetflow, sheets, message):
    from helpers.workbooks import build

    book = build(tmp_path / "s.xlsx", sheets)
    before = book.read_bytes()
    result = sheetflow("validate", book)
    assert result.exit_code == 2
    assert message in result.output
    assert book.read_bytes() == before


def test_absurd_durations_and_due_soon_windows_are_refused(tmp_path, sheetflow):
    settings = [[k, 10**7 if k == "Due soon (business days)" else v] for k, v in SETTINGS]
    book, result = run(
        tmp_path,
        sheetflow,
        statuses=statuses_with((3, "Typical Duration", 999999)),
        settings=settings,
        sessions=[session(session_id=1, status="Retouch Pending")],
    )
    assert result.exit_code == 1
    assert "Statuses!D4: error: Typical Duration 999999 is more than ten years" in result.output
    assert "Settings!B12: error: Due soon 10000000 is not between 0 and 260" in result.output
