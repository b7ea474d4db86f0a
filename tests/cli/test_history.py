"""`sheetflow history`: one session's timeline from Notes, the current status last."""

from __future__ import annotations

import datetime as dt
import json

from helpers.workbooks import records, session, studio

MON_16 = dt.date(2026, 11, 16)
WED_18, FRI_20, WED_25 = dt.date(2026, 11, 18), dt.date(2026, 11, 20), dt.date(2026, 11, 25)


def words(line: str) -> str:
    """A line with its column padding squeezed to single spaces."""
    return " ".join(line.split())


def two_changes(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1004, client="Ann", status="Session Pending", status_date=MON_16),
            session(session_id=2001, client="Bo", status="Session Pending", status_date=MON_16),
        ],
    )
    assert sheetflow("change", book, "1004", "--by", "Jon", "--note", "shot", today=WED_18).exit_code == 0
    assert sheetflow("change", book, "2001", today=WED_18).exit_code == 0  # another session's row between
    assert sheetflow("change", book, "1004", "--by", "Priya", today=FRI_20).exit_code == 0
    assert len(records(book, "Notes")) == 3
    return book


def test_history_lists_each_status_with_its_days_against_typical_and_the_current_one_last(tmp_path, sheetflow):
    book = two_changes(tmp_path, sheetflow)
    result = sheetflow("history", book, "1004", today=WED_25)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "session 1004 (Ann): 2 status changes in Notes"
    assert words(lines[1]) == '18/11/2026 (Wed) Image Capture Pending 2 of 2 days by Jon "shot"'
    assert words(lines[2]) == "20/11/2026 (Fri) Retouch Pending since 20/11/2026, 3 of 5 days by Priya (now)"
    assert len(lines) == 3  # session 2001's change is not in it


def test_history_json_carries_every_stay(tmp_path, sheetflow):
    book = two_changes(tmp_path, sheetflow)
    result = sheetflow("history", book, "1004", "--json", today=WED_25)
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert (found["session_id"], found["client"], found["status"]) == ("1004", "Ann", "Retouch Pending")
    assert [
        (s["status"], s["entered"], s["days"], s["typical_duration"], s["by"], s["current"]) for s in found["stays"]
    ] == [
        ("Image Capture Pending", "2026-11-18", 2, 2, "Jon", False),
        ("Retouch Pending", "2026-11-20", 3, 5, "Priya", True),
    ]


def test_history_says_the_dates_in_the_settings_date_order(tmp_path, sheetflow):
    from helpers.workbooks import SETTINGS

    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=7, status="Session Pending", status_date=MON_16)],
        settings=[row if row[0] != "Date order" else ["Date order", "MDY"] for row in SETTINGS],
    )
    sheetflow("change", book, "7", today=WED_18)
    result = sheetflow("history", book, "7", today=WED_25)
    assert "since 11/18/2026, 5 of 2 days" in result.output


def test_a_status_typed_by_hand_since_the_last_change_is_the_current_one(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx", [session(session_id=3, client="Cy", status="Retouch Pending", status_date=FRI_20)]
    )
    result = sheetflow("history", book, "3", today=WED_25)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "session 3 (Cy): 0 status changes in Notes"
    assert words(lines[1]) == "20/11/2026 (Fri) Retouch Pending since 20/11/2026, 3 of 5 days (not in Notes) (now)"


def test_an_unknown_session_id_is_refused_with_the_closest_one(tmp_path, sheetflow):
    book = two_changes(tmp_path, sheetflow)
    result = sheetflow("history", book, "10004", today=WED_25)
    assert result.exit_code == 2
    assert 'there is no session "10004" on the Sessions sheet — did you mean "1004"?' in result.output
    far = sheetflow("history", book, "xyz", today=WED_25)
    assert far.exit_code == 2 and "check its Session ID" in far.output


def test_history_writes_nothing(tmp_path, sheetflow):
    book = two_changes(tmp_path, sheetflow)
    before = book.read_bytes()
    assert sheetflow("history", book, "1004", today=WED_25).exit_code == 0
    assert book.read_bytes() == before


def test_history_goes_on_from_the_notes_archive_beside_the_workbook(tmp_path, sheetflow):
    """After `notes archive`, the rows moved out still make the session's timeline: the same answer as before."""
    book = two_changes(tmp_path, sheetflow)
    before = sheetflow("history", book, "1004", today=WED_25)
    assert before.exit_code == 0, before.output
    archived = sheetflow("notes", "archive", book, "--before", "2026-11-19", today=WED_25)
    assert archived.exit_code == 0, archived.output
    assert len(records(book, "Notes")) == 2  # the rows of the 18th went; the 20th's and the archive's note stay
    after = sheetflow("history", book, "1004", today=WED_25)
    assert after.exit_code == 0, after.output
    assert after.output == before.output
