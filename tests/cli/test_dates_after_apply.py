"""After `apply` and `change`, Problems says what is true of the dates as the run left them (issue 15): a warning
about an input the apply cleared is gone, and what the applied dates now are is checked again."""

from __future__ import annotations

import datetime as dt

from helpers.workbooks import records, session, studio

MON_23, WED_25, SAT_28 = dt.date(2026, 11, 23), dt.date(2026, 11, 25), dt.date(2026, 11, 28)


def problems(book) -> dict[str, str]:
    return {p["Where"]: p["Problem"] for p in records(book, "Problems")}


def test_a_closed_new_due_date_warns_at_the_due_date_it_became(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(
                session_id=1, status="Image Capture Pending", status_date=MON_23, change_to="next", new_due_date=SAT_28
            )
        ],
    )
    before = sheetflow("validate", book, today=WED_25)
    assert (
        "Sessions!Q2: warning: session 1: New Due Date 28/11/2026 (Sat) is a day the studio is closed" in before.output
    )
    result = sheetflow("apply", book, today=WED_25)
    assert result.exit_code == 0, result.output
    found = problems(book)
    assert "Sessions!Q2" not in found  # the New Due Date cell was applied and cleared
    assert found["Sessions!I2"].startswith("session 1: Due Date 28/11/2026 (Sat) is a day the studio is closed")
    assert "Sessions!I2: warning: session 1: Due Date 28/11/2026 (Sat)" in result.output


def test_a_completion_before_the_status_date_is_gone_once_applied(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(
                session_id=1,
                status="Image Capture Pending",
                status_date=MON_23,
                change_to="next",
                date_completed=dt.date(2026, 11, 20),
            ),
            session(
                session_id=2, status="Image Capture Pending", status_date=MON_23, date_completed=dt.date(2026, 11, 20)
            ),
        ],
    )
    assert "Sessions!P2" in sheetflow("validate", book, today=WED_25).output
    result = sheetflow("apply", book, today=WED_25)
    assert result.exit_code == 0, result.output
    found = problems(book)
    assert "Sessions!P2" not in found and "Sessions!P2" not in result.output
    assert "Date Completed 20/11/2026 (Fri) is before its Status Date" in found["Sessions!P3"]  # not applied: true


def test_change_checks_the_inputs_it_left_against_the_new_status_date(tmp_path, sheetflow):
    """`change` leaves the row's inputs as they were: a Date Completed typed there is judged against the new
    Status Date, and the warning about the old one goes."""
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", status_date=MON_23, date_completed=dt.date(2026, 11, 24))],
    )
    assert "Sessions!P2" not in sheetflow("validate", book, today=WED_25).output  # 24 is after 23: fine
    result = sheetflow("change", book, 1, "--date", "2026-11-25", today=WED_25)
    assert result.exit_code == 0, result.output
    found = problems(book)
    assert found["Sessions!P2"].startswith(
        "session 1: Date Completed 24/11/2026 (Tue) is before its Status Date 25/11/2026 (Wed)"
    )
