"""`sheetflow init` (SPEC §9): a studio's own workbook — a Clients sheet with its own headers — gets what sheetflow
needs, its headers are read from then on by every command, and nothing else in the file changes."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from helpers.own_workbook import CLIENTS, EXPENSES, by_openpyxl
from helpers.workbooks import STATUSES, build, cells, records

from sheetflow.core.schema import SESSIONS, TRIGGERS
from sheetflow.workbook import package as pkg


def by_openpyxl_declaring_r_on_each_sheet(path: Path) -> Path:
    """openpyxl's file with the relationships namespace declared on each <sheet> element instead of the root,
    as openpyxl has written it: a new <sheet> must declare it too."""
    by_openpyxl(path)
    with zipfile.ZipFile(path) as zf:
        members = {info: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members.items():
            if info.filename == "xl/workbook.xml":
                text = data.decode()
                text = text.replace(f' xmlns:r="{pkg.REL_NS}"', "", 1)
                text = text.replace("<sheet ", f'<sheet xmlns:r="{pkg.REL_NS}" ')
                assert text.count(f'xmlns:r="{pkg.REL_NS}"') == 2
                data = text.encode()
            zf.writestr(info, data)
    return path


def by_xlsxwriter(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    clients = wb.add_worksheet("Clients")
    for r, row in enumerate(CLIENTS):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                clients.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            else:
                clients.write(r, c, value)
    expenses = wb.add_worksheet("Expenses")
    for r, row in enumerate(EXPENSES):
        expenses.write_row(r, 0, row)
    expenses.write_formula("B4", "=SUM(B2:B3)", None, 42)
    wb.define_name("Spent", "=Expenses!$B$4")
    wb.close()
    return path


WRITERS = {
    "openpyxl": by_openpyxl,
    "openpyxl, r: on each sheet": by_openpyxl_declaring_r_on_each_sheet,
    "xlsxwriter": by_xlsxwriter,
}


@pytest.fixture(params=list(WRITERS))
def own(request, tmp_path) -> Path:
    """The studio's own workbook, by each writer: a Clients sheet and an Expenses sheet, no sheetflow sheet."""
    return WRITERS[request.param](tmp_path / "studio.xlsx")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def part_of(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return pkg.Package.open(zf).sheet(sheet).part


def settings(path: Path) -> dict[str, object]:
    return {row["Setting"]: row.get("Value") for row in records(path, "Settings")}


def test_init_adds_what_is_missing_and_maps_the_studios_headers(own, sheetflow):
    before = members(own)
    result = sheetflow("init", own)
    assert result.exit_code == 0, result.output
    assert "Sessions sheet: Clients — proposed: its headers look like a client list" in result.output
    assert (
        'Client = "Client Name" (a common name), Email = "Email Address" (a common name), '
        'Session Type = "Package" (a common name), Session Date = "Shoot Date" (a common name)'
    ) in result.output
    assert "Session IDs given to 3 rows without one: 1 to 3" in result.output

    wb = openpyxl.load_workbook(own)
    assert wb.sheetnames == [
        "Clients",
        "Expenses",
        "Settings",
        "Holidays",
        "Lists",
        "Statuses",
        "Notes",
        "Triggers",
        "Tasks",
        "Outbox",
        "Dashboard",
        "Problems",
    ]  # Clients is not renamed
    headers = [c.value for c in wb["Clients"][1]]
    assert headers[:5] == CLIENTS[0]  # the studio's own headers stay where they were
    assert headers[5:] == [c for c in SESSIONS.columns if c not in ("Client", "Email", "Session Type", "Session Date")]
    rows = records(own, "Clients")
    assert [(r["Client Name"], r["Session ID"], r["Status"]) for r in rows] == [
        ("Ann Lee", 1, None),
        ("Bo Chen", 2, None),
        ("Cy Diaz", 3, None),
    ]
    assert rows[0]["Shoot Date"] == dt.datetime(2026, 12, 2)  # still a real date
    found = settings(own)
    kept = {
        "Sessions sheet": "Clients",
        "Column for Client": "Client Name",
        "Column for Session Date": "Shoot Date",
        "Column for Email": "Email Address",
        "Column for Session Type": "Package",
    }
    assert kept.items() <= found.items()
    assert found["Monday"] == "Yes" and found["Saturday"] == "No" and found["Due soon (business days)"] == 2
    assert [r["Description"] for r in records(own, "Statuses")] == [
        "Session Pending",
        "Image Capture Pending",
        "Upload to Web Pending",
        "Sales Presentation Pending",
        "Retouch Pending",
        "Order Delivered",
    ]  # the template's starter cycle

    after = members(own)
    rewritten = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", part_of(own, "Clients")}
    assert {name for name in before if after.get(name) != before[name]} == rewritten
    assert all(name.startswith("xl/worksheets/sheet") for name in set(after) - set(before))
    assert b"SUM(B2:B3)" in after[part_of(own, "Expenses")]  # the studio's formula, in a part copied as it was


def test_later_commands_read_client_name_and_shoot_date(own, sheetflow):
    assert sheetflow("init", own).exit_code == 0
    result = sheetflow("change", own, "1", "--note", "booked by phone")
    assert result.exit_code == 0, result.output
    assert "session 1: (no status) → Session Pending" in result.output
    notes = records(own, "Notes")
    assert [(n["Session ID"], n["Client"], n["To Status"]) for n in notes] == [(1, "Ann Lee", "Session Pending")]
    clients = records(own, "Clients")
    assert clients[0]["Status"] == "Session Pending" and clients[0]["Status Date"] == dt.datetime(2026, 11, 25)
    assert clients[0]["Due Date"] == dt.datetime(2026, 12, 9)  # 10 business days, a real date
    assert sheetflow("refresh", own).exit_code == 0
    assert "Sessions" not in openpyxl.load_workbook(own).sheetnames  # the studio's sheet keeps its name


def test_a_session_date_trigger_fires_from_shoot_date(tmp_path, sheetflow):
    triggers = [
        list(TRIGGERS.columns),
        [
            "Reminder call",
            "",
            "Session Pending",
            "Session date",
            -7,
            "Call",
            "Maya",
            "Call {{ client }} about {{ session_date }}",
            "",
            "Yes",
        ],
        [
            "Reminder email",
            "",
            "Session Pending",
            "Session date",
            -7,
            "Email",
            "",
            "Your session",
            "Dear {{ client }}, see you soon.",
            "Yes",
        ],
    ]
    book = build(tmp_path / "studio.xlsx", {"Clients": CLIENTS, "Statuses": STATUSES, "Triggers": triggers})
    result = sheetflow("init", book)
    assert result.exit_code == 0, result.output
    assert "starter cycle" not in result.output  # the studio's own statuses stay the only ones
    assert sheetflow("change", book, "1").exit_code == 0
    tasks = records(book, "Tasks")
    assert [(t["Client"], t["Due Date"], t["Trigger"]) for t in tasks] == [
        ("Ann Lee", dt.datetime(2026, 11, 25), "Reminder call")
    ]  # a week before the Shoot Date
    outbox = records(book, "Outbox")
    assert [(m["To"], m["Body"]) for m in outbox] == [("ann@example.com", "Dear Ann Lee, see you soon.")]


def test_problems_name_the_cells_on_the_clients_sheet(tmp_path, sheetflow):
    rows = [row[:] for row in CLIENTS]
    rows[2][1] = "sometime in spring"
    book = build(tmp_path / "studio.xlsx", {"Clients": rows})
    assert sheetflow("init", book).exit_code == 0
    result = sheetflow("validate", book)
    assert result.exit_code == 1
    assert 'Clients!B3: error: Shoot Date: "sometime in spring" is not a date' in result.output
    assert [row[1] for row in cells(book, "Problems")[1:]] == ["Clients!B3"]
    assert openpyxl.load_workbook(book)["Problems"]["B2"].hyperlink.location == "'Clients'!B3"


def test_a_second_init_changes_nothing(own, sheetflow):
    assert sheetflow("init", own).exit_code == 0
    first = own.read_bytes()
    result = sheetflow("init", own)
    assert result.exit_code == 0, result.output
    assert "nothing to do" in result.output
    assert 'Client = "Client Name" (kept from Settings)' in result.output
    assert own.read_bytes() == first


def test_dry_run_prints_the_plan_and_writes_nothing(own, sheetflow):
    before = own.read_bytes()
    result = sheetflow("init", own, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "nothing was written (--dry-run)" in result.output
    assert "Sheets added: Settings, Holidays, Lists, Statuses (a starter cycle of 6 statuses" in result.output
    assert "Columns added to Clients, right of its headers: Session ID, Phone, Status," in result.output
    assert "Session IDs given to 3 rows" in result.output
    assert own.read_bytes() == before
    assert not (own.parent / ".sheetflow-backups").exists()  # no lock taken, no backup made


def test_column_overrides_a_synonym_and_is_kept_in_settings(tmp_path, sheetflow):
    rows = [["Nickname", *CLIENTS[0]], *[[f"{row[0].split()[0]}ie", *row] for row in CLIENTS[1:]]]
    book = build(tmp_path / "studio.xlsx", {"Clients": rows})
    result = sheetflow("init", book, "--column", "client=nickname", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["mapped"][0] == {"column": "Client", "header": "Nickname", "source": "--column"}
    assert settings(book)["Column for Client"] == "Nickname"
    assert sheetflow("change", book, "2").exit_code == 0
    assert [n["Client"] for n in records(book, "Notes")] == ["Boie"]


def test_a_bad_column_is_refused_with_every_reason(own, sheetflow):
    before = own.read_bytes()
    result = sheetflow(
        "init", own, "--column", "Clinet=Client Name", "--column", "Phone=Mobile Phone", "--column", "Email"
    )
    assert result.exit_code == 2
    assert '"Clinet" is not one of sheetflow\'s Sessions columns — use one of Session ID, Client,' in result.output
    assert (
        '--column "Phone=Mobile Phone": the Clients sheet has no header "Mobile Phone" — its headers are '
        '"Client Name", "Shoot Date"'
    ) in result.output
    assert '--column "Email": write it as "Client=Client Name"' in result.output
    assert "Traceback" not in result.output
    assert own.read_bytes() == before

    result = sheetflow("init", own, "--sessions", "Bookings", "--column", "Colour=Paid")
    assert result.exit_code == 2
    assert (
        '--sessions "Bookings": the workbook has no such sheet — its sheets are "Clients", "Expenses"' in result.output
    )
    assert '--column "Colour=Paid": "Colour" is not one of sheetflow\'s Sessions columns' in result.output
    assert own.read_bytes() == before


def test_a_sessions_sheet_of_your_own_naming_and_existing_ids(tmp_path, sheetflow):
    rows = [
        ["Booking No", "Customer", "Date of Session", "Mobile"],
        [1001, "Ann Lee", dt.date(2026, 12, 2), "555 0101"],
        [None, "Bo Chen", dt.date(2026, 12, 20), ""],
        [1007, "Cy Diaz", dt.date(2027, 1, 9), ""],
        [None, "Di Eng", None, "555 0104"],
    ]
    book = build(tmp_path / "studio.xlsx", {"Bookings": rows, "Customers": [["Customer", "Email"], ["x", "y"]]})
    result = sheetflow("init", book, "--sessions", "bookings", "--column", "Session ID=Booking No")
    assert result.exit_code == 0, result.output
    assert "Sessions sheet: Bookings — chosen with --sessions" in result.output
    assert 'Session ID = "Booking No" (--column), Client = "Customer" (a common name)' in result.output
    bookings = records(book, "Bookings")
    assert [r["Booking No"] for r in bookings] == [1001, 1008, 1007, 1009]  # after the highest ID there
    assert "Session ID" not in bookings[0]
    assert records(book, "Customers") == [{"Customer": "x", "Email": "y"}]  # the other client-like sheet: untouched
    assert sheetflow("refresh", book).exit_code == 0
    assert "nothing to do" in sheetflow("init", book).output


def test_two_client_lists_and_no_choice_is_refused(tmp_path, sheetflow):
    book = build(tmp_path / "studio.xlsx", {"Clients": CLIENTS, "Weddings": [["Customer Name", "Package"]]})
    result = sheetflow("init", book)
    assert result.exit_code == 2
    assert (
        '"Clients", "Weddings" all look like a client list — say which holds your sessions with --sessions'
        in result.output
    )


def test_without_a_client_list_a_sessions_sheet_is_added(tmp_path, sheetflow):
    book = build(tmp_path / "studio.xlsx", {"Expenses": EXPENSES})
    result = sheetflow("init", book)
    assert result.exit_code == 0, result.output
    assert "Sessions sheet: Sessions — added: no sheet looks like a client list" in result.output
    assert [c.value for c in openpyxl.load_workbook(book)["Sessions"][1]] == list(SESSIONS.columns)
    assert sheetflow("validate", book).exit_code == 0


def test_every_command_names_every_missing_sheet_and_points_to_init(own, sheetflow):
    before = own.read_bytes()
    for command in ("validate", "apply", "refresh"):
        result = sheetflow(command, own)
        assert result.exit_code == 2
        assert (
            'the workbook has no "Settings" sheet, no "Statuses" sheet and no "Sessions" sheet — run '
            "`sheetflow init` on it to add them"
        ) in result.output
    assert own.read_bytes() == before


def test_missing_columns_on_a_chosen_sheet_are_named_together(tmp_path, sheetflow):
    settings_rows = [["Setting", "Value"], ["Sessions sheet", "Clients"]]
    book = build(tmp_path / "studio.xlsx", {"Settings": settings_rows, "Clients": CLIENTS, "Statuses": STATUSES})
    result = sheetflow("validate", book)
    assert result.exit_code == 2
    assert 'no "Session ID" column on the Clients sheet and no "Status" column on the Clients sheet' in result.output
    assert sheetflow("init", book).exit_code == 0
    assert sheetflow("validate", book).exit_code == 0


def test_a_macro_workbook_keeps_its_vba_project(tmp_path, sheetflow):
    from sheetflow.authoring.vba import sheetflow_project

    path = tmp_path / "studio.xlsm"
    wb = xlsxwriter.Workbook(str(path))
    sheet = wb.add_worksheet("Clients")
    for r, row in enumerate(CLIENTS):
        sheet.write_row(r, 0, [v.isoformat() if isinstance(v, dt.date) else v for v in row])
    wb.add_vba_project(io.BytesIO(sheetflow_project(["Sheet1"])), is_stream=True)
    wb.close()
    before = members(path)
    assert sheetflow("init", path).exit_code == 0
    after = members(path)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert b"macroEnabled.main+xml" in after["[Content_Types].xml"]
    assert sheetflow("apply", path).exit_code == 0


def test_headers_added_by_hand_are_no_longer_ignored(tmp_path, sheetflow):
    """The sheets added by hand, as the error messages once asked: Client Name and Shoot Date were read as nothing."""
    sessions = [["Session ID", "Status", *CLIENTS[0]], *[[i, "", *row] for i, row in enumerate(CLIENTS[1:], 1)]]
    book = build(
        tmp_path / "studio.xlsx", {"Settings": [["Setting", "Value"]], "Statuses": STATUSES, "Sessions": sessions}
    )
    result = sheetflow("validate", book)
    assert result.exit_code == 0, result.output
    assert (
        'Sessions!C1: warning: the "Client Name" column is not read as sheetflow\'s Client — run `sheetflow '
        "init` on the workbook to read it as Client"
    ) in result.output
    assert 'Sessions!D1: warning: the "Shoot Date" column is not read as sheetflow\'s Session Date' in result.output

    result = sheetflow("init", book)
    assert result.exit_code == 0, result.output
    assert "Sessions sheet: Sessions — the sheet named Sessions" in result.output
    assert "Sessions sheet" not in settings(book)  # the sheet is called Sessions: no row needed
    assert "0 errors, 0 warnings" in sheetflow("validate", book).output
    assert sheetflow("change", book, "3").exit_code == 0
    assert [n["Client"] for n in records(book, "Notes")] == ["Cy Diaz"]


def test_a_blank_column_row_in_settings_leaves_a_header_unmapped(tmp_path, sheetflow):
    rows = [["Setting", "Value"], ["Column for Session Type", None]]
    book = build(tmp_path / "studio.xlsx", {"Settings": rows, "Clients": CLIENTS})
    result = sheetflow("init", book, "--sessions", "Clients")
    assert result.exit_code == 0, result.output
    assert 'Session Type = "Package"' not in result.output
    assert "Session Type" in [c.value for c in openpyxl.load_workbook(book)["Clients"][1]]  # a column of its own
    assert "0 errors, 0 warnings" in sheetflow("validate", book).output


def test_an_excel_table_on_the_clients_sheet_grows_to_the_new_columns(tmp_path, sheetflow):
    book = build(tmp_path / "studio.xlsx", {"Clients": CLIENTS}, tables=["Clients"])
    assert sheetflow("init", book).exit_code == 0
    table = openpyxl.load_workbook(book)["Clients"].tables["ClientsTable"]
    assert table.ref == "A1:W4"  # 5 columns of the studio's and 18 of sheetflow's, the 3 rows
    assert [c.name for c in table.tableColumns][5:7] == ["Session ID", "Phone"]


def test_settings_rows_that_no_longer_fit_are_named(tmp_path, sheetflow):
    """Client Name was renamed Full Name after init mapped it, and a Settings row was mistyped."""
    rows = [["Session ID", "Status", "Full Name"], [1, "", "Ann Lee"]]
    settings_rows = [
        ["Setting", "Value"],
        ["Sessions sheet", "Clients"],
        ["Column for Client", "Client Name"],
        ["Column for Clinet", "Full Name"],
    ]
    book = build(tmp_path / "studio.xlsx", {"Settings": settings_rows, "Clients": rows, "Statuses": STATUSES})
    result = sheetflow("validate", book)
    assert result.exit_code == 1
    assert (
        'Settings!B3: error: Column for Client is "Client Name", but the Clients sheet has no header "Client '
        'Name", so its Client column is not read'
    ) in result.output
    assert 'Settings!A4: error: "Column for Clinet" names no column of the Sessions sheet' in result.output

    result = sheetflow("init", book)
    assert result.exit_code == 2
    assert (
        'Settings!B3: Column for Client is "Client Name", but the Clients sheet has no such header — run init with '
        '--column "Client=HEADER"'
    ) in result.output
    assert sheetflow("init", book, "--column", "Client=Full Name").exit_code == 0
    assert settings(book)["Column for Client"] == "Full Name"
    assert "Column for Client" not in sheetflow("validate", book).output
