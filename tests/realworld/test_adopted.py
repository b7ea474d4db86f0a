"""A studio's own workbook, adopted with `sheetflow init`, then living on in LibreOffice: the Clients sheet
must keep working under the studio's own headers whoever saved the file last (issue 11, the corpus's
"studio adopted into workbooks of other shapes")."""

from __future__ import annotations

from pathlib import Path

from helpers.own_workbook import by_openpyxl
from python_calamine import CalamineWorkbook
from writers import TODAY, sheetflow, soffice_convert_all


def clients(path: Path) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Clients").to_python()


def adopted(folder: Path) -> Path:
    """The studio's openpyxl-written workbook, adopted, with the first client moved on to its initial status."""
    folder.mkdir(parents=True)
    book = by_openpyxl(folder / "own.xlsx")
    assert sheetflow("init", book).exit_code == 0
    assert sheetflow("change", book, "1", "--note", "booked").exit_code == 0
    return book


def test_an_adopted_workbook_saved_by_libreoffice_gives_the_same_cells(tmp_path):
    ours = adopted(tmp_path / "ours")
    lo_before = tmp_path / "lo-before"
    lo_before.mkdir()
    resaved_raw = by_openpyxl(lo_before / "raw.xlsx")  # LibreOffice saves the studio's file before adoption
    theirs = adopted(tmp_path / "theirs-src")
    converted, log = soffice_convert_all([theirs, resaved_raw], tmp_path / "lo")
    assert all(converted.values()), log
    after_lo, raw_lo = converted[theirs], converted[resaved_raw]

    assert sheetflow("init", raw_lo).exit_code == 0  # adopting a LibreOffice-saved file works the same
    assert sheetflow("change", raw_lo, "1", "--note", "booked").exit_code == 0
    for book in (ours, after_lo, raw_lo):
        result = sheetflow("refresh", book, today=TODAY)
        assert result.exit_code == 0, result.output
        again = sheetflow("init", book)
        assert again.exit_code == 0 and "nothing to do" in again.output, again.output

    expected = clients(ours)
    assert expected[0][:5] == ["Client Name", "Shoot Date", "Email Address", "Package", "Paid"]
    assert clients(after_lo) == expected
    assert clients(raw_lo) == expected
    notes = CalamineWorkbook.from_path(str(after_lo)).get_sheet_by_name("Notes").to_python()
    assert [row[2] for row in notes[1:]] == ["Ann Lee"]  # Notes' Client from Client Name, after the re-save
