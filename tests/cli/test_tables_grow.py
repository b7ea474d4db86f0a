"""Tables that grow over the rows typed right below them: statuses (or session types, holidays, triggers) typed
under an Excel table are read by sheetflow, and every writing run takes them into the table — its ref and its
autoFilter's — so the dropdowns fed by the table's names (StatusNames, SessionTypes …) offer them; the Problems
sheet (or the status-list command) says which rows. A blank row ends the rows taken in; a table never shrinks
(issue 15)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers.libreoffice import soffice_convert
from helpers.workbooks import cells, typed_below

TYPED = [
    ["Wedding", "W-Thank You Card", 90, 1, "No", "No", "Delivery", "Maya", "No"],
    ["Wedding", "W-Anniversary Call", 100, 1, "No", "No", "Delivery", "Maya", "No"],
]


@pytest.fixture
def sample(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", "2026-11-25").exit_code == 0
    return book


def table_refs(path: Path, name: str) -> tuple[str, str]:
    """(the table's ref, its autoFilter's ref) as the package holds them."""
    with zipfile.ZipFile(path) as package:
        for part in package.namelist():
            if part.startswith("xl/tables/"):
                xml = package.read(part).decode()
                if f'displayName="{name}"' in xml:
                    table = re.search(r'<table\b[^>]*\bref="([^"]+)"', xml)
                    autofilter = re.search(r'<autoFilter\b[^>]*\bref="([^"]+)"', xml)
                    assert table and autofilter
                    return table[1], autofilter[1]
    raise AssertionError(f"no table {name}")


def problems(path: Path) -> list[list[object]]:
    return [row for row in cells(path, "Problems")[1:] if any(v != "" for v in row)]


def test_statuses_typed_below_the_table_are_taken_in_with_a_note(sample, sheetflow):
    typed_below(sample, "Statuses", TYPED)
    assert table_refs(sample, "StatusesTable") == ("A1:I15", "A1:I15")
    result = sheetflow("refresh", sample)
    assert result.exit_code == 0, result.output
    assert table_refs(sample, "StatusesTable") == ("A1:I17", "A1:I17")
    assert "Statuses!A16: warning: rows 16 to 17 were typed right below the table" in result.output  # said too
    noted = [row for row in problems(sample) if row[1] == "Statuses!A16"]
    assert len(noted) == 1 and noted[0][0] == "warning"
    assert "rows 16 to 17 were typed right below the table on this sheet (StatusesTable" in noted[0][2]
    again = sheetflow("refresh", sample)  # nothing more to take in: the note is gone, the table stays
    assert again.exit_code == 0
    assert table_refs(sample, "StatusesTable") == ("A1:I17", "A1:I17")
    assert not [row for row in problems(sample) if row[1] == "Statuses!A16"]


def test_a_blank_row_ends_what_the_table_takes_in(sample, sheetflow):
    typed_below(sample, "Statuses", TYPED[:1], gap_then=["Wedding", "W-Stray", 200, 1, "No", "No", "", "", "No"])
    assert sheetflow("validate", sample).exit_code == 0
    assert table_refs(sample, "StatusesTable")[0] == "A1:I16"  # row 16 in; row 18, after the blank 17, not


def test_a_session_type_typed_below_the_lists_table_joins_the_session_types_dropdown(sample, sheetflow):
    typed_below(sample, "Lists", [["Newborn", None, None]])
    assert sheetflow("refresh", sample).exit_code == 0
    assert table_refs(sample, "ListsTable")[0].endswith("7")  # A1:C7, or wider with a column of the studio's
    assert any(row[1] == "Lists!A7" and "row 7 was typed right below the table" in row[2] for row in problems(sample))


def test_a_table_is_never_shrunk(sample, sheetflow):
    wb = openpyxl.load_workbook(sample)
    for column in range(1, 10):
        wb["Statuses"].cell(15, column).value = None  # the last status cleared: the table keeps its row
    wb.save(sample)
    assert sheetflow("refresh", sample).exit_code == 1  # the wedding cycle has lost its Final status
    assert table_refs(sample, "StatusesTable")[0] == "A1:I15"


def test_statuses_add_names_the_rows_it_took_in(sample, sheetflow):
    typed_below(sample, "Statuses", TYPED)
    result = sheetflow("statuses", "add", sample, "W-Second Look", "--after", "W-Anniversary Call")
    assert result.exit_code == 0, result.output
    assert "Statuses!A16: warning: rows 16 to 17 were typed right below the table" in result.output
    assert table_refs(sample, "StatusesTable")[0] == "A1:I18"
    assert [row[1] for row in cells(sample, "Statuses")[15:18]] == [
        "W-Thank You Card",
        "W-Anniversary Call",
        "W-Second Look",
    ]


def test_a_workbook_libreoffice_saved_grows_too(sample, sheetflow, tmp_path):
    typed_below(sample, "Statuses", TYPED)
    resaved = soffice_convert(sample, tmp_path / "resaved")
    # LibreOffice keeps the table (a database range to it) and writes it back as a table part, its names too
    assert table_refs(resaved, "StatusesTable")[0] == "A1:I15"
    assert sheetflow("refresh", resaved).exit_code == 0
    assert table_refs(resaved, "StatusesTable") == ("A1:I17", "A1:I17")
