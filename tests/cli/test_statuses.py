"""`sheetflow statuses …`: the manuals' status-list maintenance (renumber, move, Initial/Final, inactive, delete,
rename, export, print), each keeping the sessions, triggers and history consistent."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers.pdftext import page_count, pdf_text
from helpers.workbooks import SETTINGS, STATUS_HEADER, STATUSES, cells, records, session, studio

from sheetflow.workbook.package import Package

BY_TYPE = [[k, "Yes" if k == "Statuses by type" else v] for k, v in SETTINGS]
TWO_CYCLES = [
    STATUS_HEADER,
    ["Portrait", "Session Pending", 10, 0, "Yes", "", "Booking", "Maya", ""],
    ["Wedding", "Session Pending", 10, 5, "Yes", "", "Booking", "Maya", ""],
    ["Portrait", "Retouch Pending", 20, 5, "", "", "Editing", "Priya", ""],
    ["Wedding", "Album Design", 20, 10, "", "", "Editing", "Priya", ""],
    ["Portrait", "Delivered", 30, "", "", "Yes", "Delivery", "Maya", ""],
    ["Wedding", "Delivered", 30, "", "", "Yes", "Delivery", "Maya", ""],
]
TRIGGER_HEADER = [
    "Trigger",
    "Session Type",
    "Status",
    "Date Basis",
    "Offset Days",
    "Action",
    "Assign To",
    "Subject",
    "Message",
    "Active",
]


def trigger(name: str, status: str, session_type: str = "") -> list[object]:
    return [name, session_type, status, "Status change", 0, "Task", "Maya", "", "", "Yes"]


def statuses_of(path: Path) -> dict[str, dict[str, object]]:
    """Statuses rows by 'type/description' (openpyxl, a second reader), blank rows left out."""
    return {f"{r['Session Type'] or ''}/{r['Description']}": r for r in records(path, "Statuses") if r["Description"]}


def sort_orders(path: Path, session_type: str = "") -> dict[str, object]:
    return {
        key.split("/", 1)[1]: row["Sort Order"]
        for key, row in statuses_of(path).items()
        if key.startswith(f"{session_type}/")
    }


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def changed_parts(before: dict[str, bytes], path: Path) -> set[str]:
    after = parts(path)
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def cell_styles(sheet_xml: bytes) -> dict[str, str]:
    """Each cell's style index, as the sheet's XML has it."""
    return {
        ref.decode(): (style or b"0").decode()
        for ref, style in re.findall(rb'<c r="([A-Z]+\d+)"(?:[^>]*?\bs="(\d+)")?', sheet_xml)
    }


def part_of(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as zf:
        entry = Package.open(zf).sheet(sheet)
        assert entry is not None
        return entry.part


@pytest.fixture
def sample(tmp_path, sheetflow):
    """The shipped template with the sample studio: Excel tables, formats, dropdowns, triggers, two cycles."""
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", "2026-11-25").exit_code == 0
    return book


# -- renumber --------------------------------------------------------------------------------------------------


def test_renumber_gives_each_cycle_gaps_and_keeps_its_order(tmp_path, sheetflow):
    rows = [
        STATUS_HEADER,
        ["Portrait", "P-Booked", 3, 0, "Yes", "", "", "", ""],
        ["Wedding", "W-Booked", 1, 0, "Yes", "", "", "", ""],
        ["Portrait", "P-Retouch", "12", 5, "", "", "", "", ""],  # a number typed as text
        ["Portrait", "P-Shoot", 7, 1, "", "", "", "", ""],
        ["Wedding", "W-Album", 2, 3, "", "", "", "", ""],
        ["Wedding", "W-Delivered", 2, "", "", "Yes", "", "", ""],  # shares 2: the row order breaks the tie
        ["Portrait", "P-Delivered", 40, "", "", "Yes", "", "", ""],
    ]
    book = studio(tmp_path / "s.xlsx", [], statuses=rows, settings=BY_TYPE)
    result = sheetflow("statuses", "renumber", book)
    assert result.exit_code == 0, result.output
    assert "renumbered 6 of 7 statuses" in result.output  # P-Delivered already had 40
    assert sort_orders(book, "Portrait") == {"P-Booked": 10, "P-Retouch": 30, "P-Shoot": 20, "P-Delivered": 40}
    assert sort_orders(book, "Wedding") == {"W-Booked": 10, "W-Album": 20, "W-Delivered": 30}
    ws = openpyxl.load_workbook(book)["Statuses"]
    assert all(ws.cell(r, 3).data_type == "n" for r in range(2, 9))  # numbers, the text "12" included
    # by type, each cycle's rows come together (what the Sessions dropdowns of one type read), in sort order
    assert [r[2] for r in cells(book, "Statuses")[1:]] == [10.0, 20.0, 30.0, 40.0, 10.0, 20.0, 30.0]
    assert [r[1] for r in cells(book, "Statuses")[1:5]] == ["P-Booked", "P-Shoot", "P-Retouch", "P-Delivered"]
    assert sheetflow("validate", book).exit_code == 0


def test_renumber_one_cycle_with_a_step(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [], statuses=TWO_CYCLES, settings=BY_TYPE)
    assert sheetflow("statuses", "renumber", book, "--type", "wedding", "--step", "5").exit_code == 0
    assert sort_orders(book, "Wedding") == {"Session Pending": 5, "Album Design": 10, "Delivered": 15}
    assert sort_orders(book, "Portrait") == {"Session Pending": 10, "Retouch Pending": 20, "Delivered": 30}


def test_renumber_leaves_rows_that_are_in_no_cycle_and_says_so(tmp_path, sheetflow):
    rows = [*STATUSES, ["", "Retouch pending", 5, 1, "", "", "", "", ""]]  # the same description twice
    book = studio(tmp_path / "s.xlsx", [], statuses=rows)
    result = sheetflow("statuses", "renumber", book)
    assert result.exit_code == 0, result.output
    assert 'Statuses row 7 ("Retouch pending") is in no cycle and was left as it was' in result.output
    assert [r[2] for r in cells(book, "Statuses")[1:]] == [10.0, 20.0, 30.0, 40.0, 50.0, 5.0]


def test_renumber_patches_only_the_sort_order_cells_keeping_their_formats(sample, sheetflow):
    before = parts(sample)
    statuses_part = part_of(sample, "Statuses")
    result = sheetflow("statuses", "renumber", sample, "--step", "5")
    assert result.exit_code == 0, result.output
    assert changed_parts(before, sample) == {statuses_part}  # every other part byte for byte
    assert cell_styles(parts(sample)[statuses_part]) == cell_styles(before[statuses_part])  # formats kept
    ws = openpyxl.load_workbook(sample)["Statuses"]
    assert ws["C2"].number_format == "0"
    assert [ws.cell(r, 3).value for r in range(2, 8)] == [5, 10, 15, 20, 25, 30]
    assert ws.tables["StatusesTable"].ref == "A1:I15"

    again = parts(sample)
    result = sheetflow("statuses", "renumber", sample, "--step", "5")
    assert result.exit_code == 0 and "already numbered 5, 10, 15" in result.output
    assert parts(sample) == again  # nothing to change: the file is not even rewritten


# -- move up / down --------------------------------------------------------------------------------------------


def test_move_swaps_sort_orders_with_the_neighbour_in_the_cycle(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [], statuses=TWO_CYCLES, settings=BY_TYPE)
    result = sheetflow("statuses", "move", book, "retouch pending", "up")
    assert result.exit_code == 0, result.output
    assert sort_orders(book, "Portrait") == {"Session Pending": 20, "Retouch Pending": 10, "Delivered": 30}
    assert sort_orders(book, "Wedding") == {"Session Pending": 10, "Album Design": 20, "Delivered": 30}
    assert sheetflow("statuses", "move", book, "Album Design", "DOWN").exit_code == 0
    assert sort_orders(book, "Wedding") == {"Session Pending": 10, "Album Design": 30, "Delivered": 20}


def test_moving_the_first_status_up_changes_nothing(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    before = book.read_bytes()
    result = sheetflow("statuses", "move", book, "Session Pending", "up")
    assert result.exit_code == 0
    assert "Statuses!C2: warning" in result.output and "already the first status" in result.output
    assert book.read_bytes() == before


def test_move_is_refused_when_neighbours_share_a_sort_order(tmp_path, sheetflow):
    rows = [
        STATUS_HEADER,
        ["", "A", 10, 0, "Yes", "", "", "", ""],
        ["", "B", 10, 0, "", "", "", "", ""],
        ["", "C", 20, 0, "", "Yes", "", "", ""],
    ]
    book = studio(tmp_path / "s.xlsx", [], statuses=rows)
    before = book.read_bytes()
    result = sheetflow("statuses", "move", book, "B", "up")
    assert result.exit_code == 1
    assert "Statuses!C3: error" in result.output and "renumber" in result.output
    assert book.read_bytes() == before


# -- Initial and Final -----------------------------------------------------------------------------------------


def test_a_new_initial_or_final_status_unsets_the_previous_one(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Order Delivered")])
    result = sheetflow("statuses", "initial", book, "Image Capture Pending")
    assert result.exit_code == 0, result.output
    assert 'was "Session Pending"' in result.output
    rows = statuses_of(book)
    assert (rows["/Session Pending"]["Initial"], rows["/Image Capture Pending"]["Initial"]) == ("No", "Yes")

    result = sheetflow("statuses", "final", book, "Retouch Pending")
    assert result.exit_code == 0, result.output
    assert "1 session at the previous Final status" in result.output
    rows = statuses_of(book)
    assert (rows["/Order Delivered"]["Final"], rows["/Retouch Pending"]["Final"]) == ("No", "Yes")
    assert sheetflow("validate", book).exit_code == 0


def test_initial_or_final_refusals(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    before = book.read_bytes()
    inactive = sheetflow("statuses", "final", book, "Old Step")
    assert inactive.exit_code == 1
    assert "Statuses!I5: error" in inactive.output and "inactive" in inactive.output
    both = sheetflow("statuses", "initial", book, "Order Delivered")
    assert both.exit_code == 1
    assert "Statuses!E6: error" in both.output and "is the Final status" in both.output
    already = sheetflow("statuses", "initial", book, "session pending")
    assert already.exit_code == 0 and "already the Initial status" in already.output
    assert book.read_bytes() == before


# -- inactive --------------------------------------------------------------------------------------------------


def test_inactive_keeps_sessions_in_it_and_warns_about_pending_changes_to_it(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, status="Retouch Pending"),
            session(session_id=2, status="Image Capture Pending", change_to="retouch pending"),
        ],
    )
    result = sheetflow("statuses", "inactive", book, "Retouch Pending")
    assert result.exit_code == 0, result.output
    assert "Statuses!I4: warning" in result.output and "Sessions row 3" in result.output
    assert "1 session still in it" in result.output
    assert statuses_of(book)["/Retouch Pending"]["Inactive"] == "Yes"
    applied = sheetflow("apply", book)
    assert applied.exit_code == 1 and '"Retouch Pending" is inactive' in applied.output

    assert sheetflow("statuses", "active", book, "Retouch Pending").exit_code == 0
    assert statuses_of(book)["/Retouch Pending"]["Inactive"] == "No"


def test_the_initial_and_final_statuses_cannot_be_made_inactive(tmp_path, sheetflow):
    """The manuals: a cycle must have one Initial and one Final status; SPEC §2: both active."""
    book = studio(tmp_path / "s.xlsx", [])
    before = book.read_bytes()
    for name, cell in (("Session Pending", "Statuses!I2"), ("Order Delivered", "Statuses!I6")):
        result = sheetflow("statuses", "inactive", book, name)
        assert result.exit_code == 1
        assert f"{cell}: error" in result.output and "must stay active" in result.output
    assert book.read_bytes() == before


# -- delete ----------------------------------------------------------------------------------------------------


def test_delete_is_refused_while_sessions_use_the_status(tmp_path, sheetflow):
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, status="Retouch Pending"),
            session(session_id=2, status="Session Pending"),
            session(session_id=3, status="RETOUCH pending"),
            session(session_id=4, status="Image Capture Pending", change_to="Retouch Pending"),
        ],
    )
    before = book.read_bytes()
    result = sheetflow("statuses", "delete", book, "Retouch Pending")
    assert result.exit_code == 1
    assert "Statuses!B4: error" in result.output
    assert "used by 3 sessions (2 in it, 1 with it in Change To: Sessions rows 2, 4 and 5)" in result.output
    assert "make the status inactive instead" in result.output
    assert book.read_bytes() == before
    as_json = json.loads(sheetflow("statuses", "delete", book, "Retouch Pending", "--json").output)
    assert [p["where"] for p in as_json["problems"]] == ["Statuses!B4"] and as_json["errors"] == 1


def test_delete_is_refused_while_a_trigger_names_the_status(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [], extra={"Triggers": [TRIGGER_HEADER, trigger("Edit", "Retouch Pending")]})
    result = sheetflow("statuses", "delete", book, "Retouch Pending")
    assert result.exit_code == 1 and "named by 1 trigger (Triggers row 2)" in result.output


def test_delete_is_refused_for_the_initial_or_final_status(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    result = sheetflow("statuses", "delete", book, "Order Delivered")
    assert result.exit_code == 1 and "Statuses!F6: error" in result.output


def test_delete_takes_that_row_out_and_the_rows_below_move_up_with_the_studios_own_columns(tmp_path, sheetflow):
    rows = [[*r, "Our note" if i == 0 else ("kept" if r[1] == "Old Step" else "")] for i, r in enumerate(STATUSES)]
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending")], statuses=rows)
    before_parts = parts(book)
    before = cells(book, "Statuses")
    result = sheetflow("statuses", "delete", book, "old step")
    assert result.exit_code == 0, result.output
    assert "the rows below it moved up" in result.output
    assert 'your own column on that row went with it: "Our note"' in result.output
    after = cells(book, "Statuses")
    assert after == [*before[:4], before[5]]  # Order Delivered (row 6) is now row 5; row 6 is left empty
    assert changed_parts(before_parts, book) == {part_of(book, "Statuses")}
    assert sheetflow("validate", book).exit_code == 0


# -- rename ----------------------------------------------------------------------------------------------------


def test_rename_reaches_sessions_triggers_and_records_the_rename_in_notes(tmp_path, sheetflow):
    old_note = [
        dt.datetime(2026, 11, 2, 9, 30),
        1,
        "Ann",
        "Image Capture Pending",
        "Retouch Pending",
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 9),
        "Maya",
        "cli",
        "",
    ]
    notes = [
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
        old_note,
    ]
    triggers = [TRIGGER_HEADER, trigger("Retouch reminder", "retouch pending"), trigger("Booked", "Session Pending")]
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, client="Ann", status="retouch  PENDING"),
            session(session_id=2, status="Image Capture Pending", change_to="Retouch Pending"),
            session(session_id=3, status="Session Pending", change_to="next"),
        ],
        extra={"Notes": notes, "Triggers": triggers},
    )
    before_parts = parts(book)
    result = sheetflow("statuses", "rename", book, "Retouch Pending", "Editing", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["summary"].startswith('status renamed from "Retouch Pending" to "Editing"')

    assert statuses_of(book)["/Editing"]["Sort Order"] == 30
    sessions = {r["Session ID"]: r for r in records(book, "Sessions")}
    assert (sessions[1]["Status"], sessions[2]["Change To"], sessions[3]["Change To"]) == ("Editing", "Editing", "next")
    assert [r["Status"] for r in records(book, "Triggers")] == ["Editing", "Session Pending"]
    history = records(book, "Notes")
    assert history[0]["To Status"] == "Retouch Pending"  # the history itself is never rewritten
    rename = history[1]
    assert rename["Session ID"] is None and rename["Source"] == "batch"
    assert rename["Note"] == 'status renamed from "Retouch Pending" to "Editing"'
    assert (rename["From Status"], rename["To Status"], rename["Updated By"]) == ("Retouch Pending", "Editing", "Maya")
    assert isinstance(rename["Logged At"], dt.datetime)

    touched = {part_of(book, s) for s in ("Statuses", "Sessions", "Triggers", "Notes")}
    untouched = {part_of(book, s) for s in ("Settings", "Lists", "Holidays")}
    assert changed_parts(before_parts, book) <= touched | {"xl/workbook.xml"}
    assert not changed_parts(before_parts, book) & untouched
    assert sheetflow("validate", book).exit_code == 0
    applied = sheetflow("apply", book)  # the pending change now names the new status, and goes through
    assert applied.exit_code == 0 and "session 2: Image Capture Pending → Editing" in applied.output


def test_rename_by_type_stays_in_its_cycle(tmp_path, sheetflow):
    triggers = [
        TRIGGER_HEADER,
        trigger("Portrait booked", "Session Pending", "Portrait"),
        trigger("Wedding booked", "Session Pending", "Wedding"),
        trigger("Any booked", "Session Pending"),
    ]
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, session_type="Portrait", status="Session Pending"),
            session(session_id=2, session_type="Wedding", status="Session Pending"),
        ],
        statuses=TWO_CYCLES,
        settings=BY_TYPE,
        extra={"Triggers": triggers},
    )
    result = sheetflow("statuses", "rename", book, "Session Pending", "P-Session Pending", "--type", "Portrait")
    assert result.exit_code == 0, result.output
    assert set(statuses_of(book)) >= {"Portrait/P-Session Pending", "Wedding/Session Pending"}
    assert [r["Status"] for r in records(book, "Sessions")] == ["P-Session Pending", "Session Pending"]
    assert [r["Status"] for r in records(book, "Triggers")] == [
        "P-Session Pending",
        "Session Pending",
        "Session Pending",
    ]
    assert "Triggers!C4: warning" in result.output  # every type's trigger: Wedding still has "Session Pending"
    assert records(book, "Notes")[-1]["Note"] == (
        'status renamed from "Session Pending" to "P-Session Pending" (Portrait cycle)'
    )


def test_rename_to_a_name_the_cycle_has_is_refused_but_a_change_of_case_is_not(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Retouch Pending")])
    before = book.read_bytes()
    result = sheetflow("statuses", "rename", book, "Retouch Pending", "session pending")
    assert result.exit_code == 1 and "Statuses!B2: error" in result.output
    assert book.read_bytes() == before
    assert sheetflow("statuses", "rename", book, "Retouch Pending", "Retouch pending").exit_code == 0
    assert records(book, "Sessions")[0]["Status"] == "Retouch pending"


# -- names: unknown, ambiguous ---------------------------------------------------------------------------------


def test_an_unknown_status_is_bad_usage_naming_the_statuses(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    before = book.read_bytes()
    result = sheetflow("statuses", "delete", book, "Nope")
    assert result.exit_code == 2
    assert '"Nope" is not a status of the status cycle' in result.output and '"Retouch Pending"' in result.output
    assert book.read_bytes() == before


def test_a_name_in_several_cycles_needs_its_type(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [], statuses=TWO_CYCLES, settings=BY_TYPE)
    before = book.read_bytes()
    result = sheetflow("statuses", "rename", book, "Delivered", "Done")
    assert result.exit_code == 2
    assert "Portrait and Wedding cycles" in result.output and "--type Portrait" in result.output
    unknown = sheetflow("statuses", "rename", book, "Delivered", "Done", "--type", "Baby")
    assert unknown.exit_code == 2 and 'no status cycle for session type "Baby"' in unknown.output
    assert book.read_bytes() == before
    assert sheetflow("statuses", "rename", book, "Delivered", "W-Delivered", "--type", "Wedding").exit_code == 0
    assert "Wedding/W-Delivered" in statuses_of(book) and "Portrait/Delivered" in statuses_of(book)


def test_an_open_workbook_is_left_alone(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    (tmp_path / "~$s.xlsx").write_bytes(b"owner")
    before = book.read_bytes()
    result = sheetflow("statuses", "renumber", book)
    assert result.exit_code == 3
    assert book.read_bytes() == before


# -- list, export, print ---------------------------------------------------------------------------------------


def test_list_shows_the_cycles_in_sort_order(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [], statuses=[TWO_CYCLES[0], *reversed(TWO_CYCLES[1:])], settings=BY_TYPE)
    result = sheetflow("statuses", "list", book, "--json")
    assert result.exit_code == 0
    listed = [(r["Session Type"], r["Description"]) for r in json.loads(result.output)["statuses"]]
    assert listed == [
        ("Wedding", "Session Pending"),
        ("Wedding", "Album Design"),
        ("Wedding", "Delivered"),
        ("Portrait", "Session Pending"),
        ("Portrait", "Retouch Pending"),
        ("Portrait", "Delivered"),
    ]
    text = sheetflow("statuses", "list", book, "--type", "Portrait").output
    assert "Retouch Pending" in text and "Album Design" not in text


def test_export_to_csv_and_xlsx_reads_back_and_leaves_the_workbook_alone(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    before = book.read_bytes()
    result = sheetflow("statuses", "export", book, "--out", tmp_path / "list.csv")
    assert result.exit_code == 0, result.output
    with (tmp_path / "list.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == STATUS_HEADER[1:]  # one cycle: no Session Type column
    assert [r[0] for r in rows[1:]] == [
        "Session Pending",
        "Image Capture Pending",
        "Retouch Pending",
        "Old Step",
        "Order Delivered",
    ]
    assert rows[4] == ["Old Step", "35", "1", "No", "No", "Editing", "", "Yes"]

    assert sheetflow("statuses", "export", book, "--out", tmp_path / "list.xlsx", "--hide-inactive").exit_code == 0
    exported = records(tmp_path / "list.xlsx", "Statuses")
    assert [r["Description"] for r in exported] == [
        "Session Pending",
        "Image Capture Pending",
        "Retouch Pending",
        "Order Delivered",
    ]
    assert [r["Sort Order"] for r in exported] == [10, 20, 30, 40]
    assert exported[-1]["Typical Duration"] is None and exported[0]["Initial"] == "Yes"
    assert book.read_bytes() == before

    same = sheetflow("statuses", "export", book, "--out", book)
    assert same.exit_code == 2 and "the workbook itself" in same.output
    wrong = sheetflow("statuses", "export", book, "--out", tmp_path / "list.txt")
    assert wrong.exit_code == 2


def test_print_ready_workbook_is_set_up_for_printing(sample, sheetflow, tmp_path):
    out = tmp_path / "print.xlsx"
    result = sheetflow("statuses", "print", sample, "--out", out)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["Statuses"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0  # pages tall: as many
    assert ws.page_setup.fitToWidth in (None, 1)  # one page wide (1 is the default, so xlsxwriter leaves it out)
    assert ws.print_title_rows == "$1:$1"
    assert "$A$1:$I$15" in str(ws.print_area)
    assert "Northlight Portraits" in ws.oddHeader.center.text
    assert ws["B9"].value == "W-Engagement Shoot Pending" and ws["B9"].font.i  # inactive: grey italics


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_print_makes_a_pdf_of_the_list_through_libreoffice(sample, sheetflow):
    before = sample.read_bytes()
    result = sheetflow("statuses", "print", sample)
    assert result.exit_code == 0, result.output
    pdf = sample.with_name("studio statuses.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and page_count(data) == 1
    text = pdf_text(data)
    assert "Northlight Portraits — Session statuses" in text
    for name in ("P-Session Pending", "P-Order Delivered", "W-Album Design Pending", "W-Engagement Shoot Pending"):
        assert name in text
    assert sample.read_bytes() == before
