"""The status list's Renumber button: the same core as `sheetflow statuses renumber`, on the open workbook."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from helpers.payloads import payload, played
from helpers.workbooks import STATUS_HEADER, cells, studio

from sheetflow import excel
from sheetflow.cli import main as cli


def test_renumber_button_matches_the_command_line(tmp_path):
    rows = [
        STATUS_HEADER,
        ["", "Booked", 7, 0, "Yes", "", "", "", ""],
        ["", "Edit", "15", 3, "", "", "", "", ""],
        ["", "Shoot", 9, 1, "", "", "", "", ""],
        ["", "Done", 99, "", "", "Yes", "", "", ""],
    ]
    path = studio(tmp_path / "s.xlsx", [], statuses=rows)
    on_file = tmp_path / "cli.xlsx"
    shutil.copy(path, on_file)
    assert CliRunner().invoke(cli, ["statuses", "renumber", str(on_file)]).exit_code == 0

    import xlwings as xw

    data = payload(path, active="Statuses")
    book = xw.Book(json=data)
    outcome = excel.renumber_statuses(book)
    assert outcome is not None and outcome.summary.startswith("renumbered 4 of 4 statuses")
    by_button = [row[2] for row in played(book, data)["Statuses"][1:5]]
    assert by_button == [10, 20, 30, 40]  # the rows in sort order: Shoot moved up above Edit
    assert by_button == [int(row[2]) for row in cells(on_file, "Statuses")[1:5]]
