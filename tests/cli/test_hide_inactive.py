"""Hide Inactive on the Statuses sheet itself (the manuals' ribbon button): `statuses hide-inactive` sets a filter on
the Statuses table's Inactive column and hides the inactive statuses' rows, `statuses show-inactive` clears it —
read back by openpyxl, from the package's own XML, and after LibreOffice re-saves the file (issue 15)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers.libreoffice import soffice_convert
from helpers.workbooks import cells

INACTIVE = "W-Engagement Shoot Pending"  # the sample's one inactive status, on Statuses row 9
INACTIVE_ROW = 9


@pytest.fixture
def sample(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", "2026-11-25").exit_code == 0
    return book


def hidden_rows(path: Path) -> list[int]:
    ws = openpyxl.load_workbook(path)["Statuses"]
    return sorted(r for r, dimension in ws.row_dimensions.items() if dimension.hidden)


def statuses_table(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        name = next(n for n in package.namelist() if n.startswith("xl/tables/") and b"StatusesTable" in package.read(n))
        return package.read(name).decode()


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def resaved_by_libreoffice(path: Path, folder: Path) -> Path:
    """The workbook as LibreOffice headless saves it again."""
    return soffice_convert(path, folder / "resaved")


def test_hide_inactive_filters_the_statuses_table_and_hides_the_inactive_rows(sample, sheetflow):
    before = members(sample)
    result = sheetflow("statuses", "hide-inactive", sample)
    assert result.exit_code == 0, result.output
    assert f'hid 1 inactive status on the Statuses sheet ("{INACTIVE}")' in result.output
    assert "sheetflow statuses show-inactive brings them back" in result.output
    assert hidden_rows(sample) == [INACTIVE_ROW]
    assert cells(sample, "Statuses")[INACTIVE_ROW - 1][1] == INACTIVE  # hidden, not removed
    # the table's own filter: Inactive is the 9th column (colId 8), showing only the "No" rows
    table = statuses_table(sample)
    assert re.search(r'<filterColumn colId="8"><filters><filter val="No"/></filters></filterColumn>', table)
    after = members(sample)
    changed = {name for name in before if after[name] != before[name]}
    table_part = next(n for n in before if n.startswith("xl/tables/") and b"StatusesTable" in before[n])
    assert changed == {"xl/worksheets/sheet2.xml", table_part}  # the Statuses sheet and its table, nothing else


def test_show_inactive_clears_the_filter_and_shows_every_row(sample, sheetflow):
    assert sheetflow("statuses", "hide-inactive", sample).exit_code == 0
    result = sheetflow("statuses", "show-inactive", sample)
    assert result.exit_code == 0, result.output
    assert "every status shows on the Statuses sheet again" in result.output
    assert hidden_rows(sample) == []
    assert "filterColumn" not in statuses_table(sample)
    assert sheetflow("validate", sample).exit_code == 0


def test_a_status_made_inactive_under_the_filter_is_hidden_too(sample, sheetflow):
    assert sheetflow("statuses", "hide-inactive", sample).exit_code == 0
    result = sheetflow("statuses", "inactive", sample, "W-Online Gallery Pending")
    assert result.exit_code == 0, result.output
    assert "applied again" in result.output
    assert hidden_rows(sample) == [INACTIVE_ROW, 11]  # Statuses row 11 is W-Online Gallery Pending
    assert sheetflow("statuses", "active", sample, INACTIVE).exit_code == 0
    assert hidden_rows(sample) == [11]


def test_rows_moved_under_the_filter_keep_the_inactive_ones_hidden(sample, sheetflow):
    assert sheetflow("statuses", "hide-inactive", sample).exit_code == 0
    assert sheetflow("statuses", "move", sample, INACTIVE, "down").exit_code == 0  # rows 9 and 10 swap
    rows = cells(sample, "Statuses")
    assert rows[9][1] == INACTIVE
    assert hidden_rows(sample) == [10]


def test_libreoffice_keeps_the_rows_hidden_and_show_inactive_brings_them_back(sample, sheetflow, tmp_path):
    assert sheetflow("statuses", "hide-inactive", sample).exit_code == 0
    resaved = resaved_by_libreoffice(sample, tmp_path)
    assert hidden_rows(resaved) == [INACTIVE_ROW]
    assert '<filterColumn colId="8">' in statuses_table(resaved)
    result = sheetflow("statuses", "show-inactive", resaved)
    assert result.exit_code == 0, result.output
    assert hidden_rows(resaved) == []
    assert "filterColumn" not in statuses_table(resaved)
    again = resaved_by_libreoffice(resaved, tmp_path / "again")
    assert hidden_rows(again) == []
