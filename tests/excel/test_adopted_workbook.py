"""The buttons on a workbook `sheetflow init` adopted: they find the sessions on the studio's Clients sheet and
its columns under the studio's headers, from the same Settings rows the command line reads."""

from __future__ import annotations

import datetime as dt

import xlwings as xw
from helpers.payloads import payload, played
from helpers.workbooks import build

TODAY = dt.date.today()  # the buttons run on the real today
CLIENTS = [
    ["Client Name", "Shoot Date", "Email Address", "Package"],
    ["Ann Lee", TODAY + dt.timedelta(days=20), "ann@example.com", "Mini"],
    ["Bo Chen", TODAY + dt.timedelta(days=40), "", "Family"],
    ["Cy Diaz", "next spring", "cy@example.com", "Wedding"],
]


def adopted(tmp_path, sheetflow):
    path = build(tmp_path / "studio.xlsx", {"Clients": CLIENTS})
    assert sheetflow("init", path, today=None).exit_code == 0
    started = (TODAY - dt.timedelta(days=30)).isoformat()  # due ten business days later: overdue by now
    assert sheetflow("change", path, "1", "--date", started, today=TODAY).exit_code == 0  # reads session 1 only
    return path


def test_refresh_flags_the_sessions_on_the_clients_sheet_and_names_its_cells(tmp_path, sheetflow):
    path = adopted(tmp_path, sheetflow)
    data = payload(path, active="Clients")
    book = xw.Book(json=data)
    outcome = excel_refresh(book)
    assert outcome.overdue == 1
    grids = played(book, data)
    clients = grids["Clients"]
    header = clients[0]
    assert header[:4] == CLIENTS[0]
    flag, status = header.index("Flag"), header.index("Status")
    assert [(row[0], row[status], row[flag]) for row in clients[1:4]] == [
        ("Ann Lee", "Session Pending", "Overdue"),
        ("Bo Chen", "", ""),
        ("Cy Diaz", "", ""),
    ]
    assert grids["Problems"][1][1] == '=HYPERLINK("#\'Clients\'!B4","Clients!B4")'
    assert 'Shoot Date: "next spring" is not a date' in grids["Problems"][1][2]


def test_change_status_moves_the_rows_selected_on_the_clients_sheet(tmp_path, sheetflow):
    path = adopted(tmp_path, sheetflow)
    from sheetflow import excel

    data = payload(path, selection="A3:D3", active="Clients")
    book = xw.Book(json=data)
    outcome = excel.change_status(book)
    assert outcome is not None and [a.session.session_id for a in outcome.applied] == ["2"]
    clients = played(book, data)["Clients"]
    assert clients[2][clients[0].index("Status")] == "Session Pending"

    elsewhere = xw.Book(json=payload(path, selection="A2", active="Settings"))
    assert excel.change_status(elsewhere) is None
    alerts = [a["args"][0] for a in elsewhere.json()["actions"] if a["func"] == "alert"]
    assert alerts == ["Change status: select the rows of the sessions to move on the Clients sheet first"]


def excel_refresh(book):
    from sheetflow import excel

    outcome = excel.refresh(book)
    assert outcome is not None
    return outcome
