"""The classic xlwings add-in: `sheetflow new studio.xlsx` writes studio.py, whose main() is Run main."""

from __future__ import annotations

import importlib.util

import pytest
import xlsxwriter
from helpers.payloads import payload, played
from helpers.workbooks import records


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_new_writes_the_run_main_module_and_its_main_applies_and_refreshes(tmp_path, sheetflow):
    import xlwings as xw

    book_path = tmp_path / "studio.xlsx"
    result = sheetflow("new", book_path, "--sample")
    assert result.exit_code == 0
    assert "studio.py written beside it" in result.output
    module = load(tmp_path / "studio.py")
    data = payload(book_path)
    book = xw.Book(json=data)
    book.set_mock_caller()  # what the add-in's RunPython provides in Excel
    module.main()
    grids = played(book, data)
    pending = [r for r in records(book_path, "Sessions") if r["Change To"]]
    assert len(pending) == 2
    history = len(records(book_path, "Notes"))  # the sample's own history comes first
    notes = [r for r in grids["Notes"][1:] if any(v not in ("", None) for v in r)][history:]
    assert len(notes) == 2 and {r[8] for r in notes} == {"button"}


def test_a_name_python_cannot_import_gets_a_proposal_instead(tmp_path, sheetflow):
    result = sheetflow("new", tmp_path / "2026 studio.xlsx")
    assert result.exit_code == 0
    assert "rename the workbook to studio_2026.xlsx" in result.output
    assert not list(tmp_path.glob("*.py"))
    result = sheetflow("excel", "runmain", tmp_path / "2026 studio.xlsx", today=None)
    assert result.exit_code == 2


def test_an_existing_module_is_kept(tmp_path, sheetflow):
    (tmp_path / "studio.py").write_text("# mine\n")
    result = sheetflow("new", tmp_path / "studio.xlsx")
    assert "studio.py already exists and was kept" in result.output
    assert (tmp_path / "studio.py").read_text() == "# mine\n"


@pytest.mark.parametrize(
    ("name", "proposed"),
    [
        ("2026-studio.xlsx", "studio_2026.xlsx"),  # digits can't come first: they go to the end
        ("2026.xlsx", "studio_2026.xlsx"),
        ("2026-11 Bookings.xlsx", "Bookings_2026_11.xlsx"),
        ("Smith Photo-Studio.xlsx", "Smith_Photo_Studio.xlsx"),  # spaces and dashes become _, the case stays
        ("studio.v2.xlsx", "studio_v2.xlsx"),
        ("Café Lumière.xlsx", "Cafe_Lumiere.xlsx"),  # plain letters: an accented file name can fail to import
        ("Ærø Straße.xlsx", "Aero_Strasse.xlsx"),
        ("class.xlsx", "class_studio.xlsx"),  # a Python keyword
        ("None.xlsm", "None_studio.xlsm"),
        ("2026 def.xlsx", "def_2026.xlsx"),
        ("写真 館.xlsx", "写真_館.xlsx"),  # a name in another script keeps its own letters
        ("!!!.xlsx", "studio.xlsx"),
    ],
)
def test_the_name_proposed_for_one_python_cannot_import(tmp_path, sheetflow, name, proposed):
    result = sheetflow("new", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert f"rename the workbook to {proposed} and run `sheetflow new {proposed}`" in result.output
    assert not list(tmp_path.glob("*.py"))
    made = sheetflow("new", tmp_path / proposed)
    assert f"{proposed.rsplit('.', 1)[0]}.py written beside it" in made.output
    load(tmp_path / proposed.replace(".xlsm", ".py").replace(".xlsx", ".py"))  # it imports


def test_names_python_can_import_are_kept(tmp_path, sheetflow):
    for name in ("studio.xlsx", "Studio_2026.xlsx", "_mine.xlsx", "café.xlsx"):
        result = sheetflow("new", tmp_path / name)
        assert "written beside it" in result.output, (name, result.output)


def test_runmain_on_a_workbook_without_sheetflows_sheets_says_what_to_do(tmp_path, sheetflow):
    path = tmp_path / "bookings.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        wb.add_worksheet("Clients").write_row(0, 0, ["Client", "Shoot Date"])
    result = sheetflow("excel", "runmain", path, today=None)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "bookings.xlsx has no Settings, Statuses or Sessions sheet, which sheetflow needs, so Run main would have "
        "nothing to work on and no .py was written — to use this workbook of your own, run `sheetflow init "
        "bookings.xlsx` (it adds what is missing and keeps your sheets), then `sheetflow excel runmain "
        "bookings.xlsx` again; to start a fresh studio workbook instead, run `sheetflow new bookings_new.xlsx`"
    )
    assert not (tmp_path / "bookings.py").exists()

    assert sheetflow("init", path).exit_code == 0
    result = sheetflow("excel", "runmain", path, today=None)
    assert result.exit_code == 0, result.output
    assert "bookings.py written beside it" in result.output


def test_runmain_names_a_sessions_sheet_settings_points_at_that_is_gone(tmp_path, sheetflow):
    import openpyxl

    path = tmp_path / "bookings.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        wb.add_worksheet("Clients").write_row(0, 0, ["Client", "Shoot Date"])
    assert sheetflow("init", path, "--sessions", "Clients").exit_code == 0
    book = openpyxl.load_workbook(path)
    book["Clients"].title = "Old clients"
    book.save(path)
    result = sheetflow("excel", "runmain", path, today=None)
    assert result.exit_code == 2
    assert 'the Settings sheet says the sessions are on the "Clients" sheet' in result.output
    assert '"Sessions sheet" row of Settings' in result.output
