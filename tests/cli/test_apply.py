"""`sheetflow apply`: every filled Change To in one run, each row standing alone (SPEC §4)."""

from __future__ import annotations

import datetime as dt

from helpers.workbooks import records, session, studio

MON_16 = dt.date(2026, 11, 16)


def test_bulk_apply_applies_good_rows_and_keeps_bad_ones_with_a_problem(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, client="Ann", status="Session Pending", status_date=MON_16, change_to="next"),
            session(
                session_id=2,
                client="Bob",
                status="Image Capture Pending",
                status_date=MON_16,
                change_to="Order Delivered",
                date_completed="24/11/2026",
                changed_by="Priya",
                change_note="picked up",
            ),
            session(session_id=3, client="Cy", status="Order Delivered", change_to="next", change_note="keep"),
            session(
                session_id=4,
                client="Di",
                status="Retouch Pending",
                change_to="Session Pending",
                new_due_date=dt.date(2026, 12, 24),
            ),
            session(session_id=5, client="Ed", status="Retouch Pending"),
        ],
    )
    result = sheetflow("apply", book)
    assert result.exit_code == 1  # one row was rejected
    assert "2 changes" not in result.output and "3 changes applied; 1 not applied" in result.output
    rows = {int(r["Session ID"]): r for r in records(book, "Sessions")}

    assert rows[1]["Status"] == "Image Capture Pending" and rows[1]["Change To"] is None
    assert rows[2]["Status"] == "Order Delivered"
    assert rows[2]["Status Date"] == dt.datetime(2026, 11, 24)
    assert rows[2]["Updated By"] == "Priya" and rows[2]["Flag"] is None
    assert all(rows[2][c] is None for c in ("Change To", "Date Completed", "Changed By", "Change Note"))
    assert rows[4]["Due Date"] == dt.datetime(2026, 12, 24) and rows[4]["Manual Due"] == "Yes"

    rejected = rows[3]  # already final: keeps its inputs
    assert rejected["Status"] == "Order Delivered"
    assert rejected["Change To"] == "next" and rejected["Change Note"] == "keep"
    problem = records(book, "Problems")[0]
    assert problem["Where"] == "Sessions!O4" and "final status" in problem["Problem"]

    notes = records(book, "Notes")
    assert [(n["Session ID"], n["To Status"], n["Source"]) for n in notes] == [
        (1, "Image Capture Pending", "batch"),
        (2, "Order Delivered", "batch"),
        (4, "Session Pending", "batch"),
    ]
    assert notes[1]["Note"] == "picked up" and notes[1]["Updated By"] == "Priya"

    assert rows[5]["Status"] == "Retouch Pending"  # no Change To: untouched


def test_apply_twice_does_not_apply_twice(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending", change_to="next")])
    assert sheetflow("apply", book).exit_code == 0
    assert sheetflow("apply", book).exit_code == 0
    assert len(records(book, "Notes")) == 1
    assert records(book, "Sessions")[0]["Status"] == "Image Capture Pending"


def test_notes_only_ever_grow(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", change_to="next")],
        extra={
            "Notes": [
                [
                    "Logged At",
                    "Session ID",
                    "Client",
                    "From Status",
                    "To Status",
                    "Date Completed",
                    "Due Date",
                    "Updated By",
                    "Source",
                    "Note",
                ],
                [dt.datetime(2025, 1, 2, 9, 30), 99, "Old", "A", "B", None, None, "Z", "cli", "history"],
            ]
        },
        tables=["Notes"],
    )
    sheetflow("apply", book)
    sheetflow("change", book, "1")
    notes = records(book, "Notes")
    assert len(notes) == 3
    assert notes[0]["Note"] == "history" and notes[0]["Logged At"] == dt.datetime(2025, 1, 2, 9, 30)
    import openpyxl

    ws = openpyxl.load_workbook(book)["Notes"]
    # the table grew with its rows, and over the columns added since this workbook was made (Reason, Assigned To)
    assert ws.tables["NotesTable"].ref == "A1:L4"


def test_a_row_with_an_unreadable_date_completed_is_not_applied(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", change_to="next", date_completed="yesterday-ish")],
    )
    result = sheetflow("apply", book)
    assert result.exit_code == 1
    assert "Sessions!P2: error: Date Completed" in result.output
    assert "Sessions!O2: error: session 1: the change was not applied" in result.output
    assert records(book, "Sessions")[0]["Status"] == "Session Pending"
