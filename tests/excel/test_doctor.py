"""`sheetflow doctor`: each thing xlwings users get wrong is found in the files and comes with its fix."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
from pathlib import Path

import pytest
import xlsxwriter
import xlwings

XLWINGS_DIR = Path(xlwings.__file__).parent


@pytest.fixture(autouse=True)
def clean_home(tmp_path, monkeypatch):
    """A home folder of the test's own: no add-in, no ~/.xlwings/xlwings.conf, unless the test puts one there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.delenv("SHEETFLOW_XLSTART", raising=False)
    return home


def doctor(sheetflow, *args):
    result = sheetflow("doctor", *args, today=None)
    lines = result.output.splitlines()
    return result.exit_code, lines


def line_about(lines: list[str], topic: str) -> str:
    found = [line for line in lines if topic in line]
    assert found, lines
    return found[0]


def test_a_fresh_studio_workbook_passes(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path).exit_code == 0
    code, lines = doctor(sheetflow, path)
    assert code == 0, lines
    run_main = line_about(lines, "Run main")
    assert run_main.startswith("ok") and "studio.py defines main()" in run_main
    assert line_about(lines, "workbook sheets") == "ok      workbook sheets: Settings, Statuses and Sessions are there"
    assert line_about(lines, "xlwings package").endswith(importlib.metadata.version("xlwings"))
    assert "Python" in lines[0] and sys.executable in lines[0]


def test_without_desktop_excel_the_add_in_is_a_note_not_a_problem(tmp_path, sheetflow):
    code, lines = doctor(sheetflow)
    assert code == 0
    assert line_about(lines, "xlwings add-in").startswith("note") and "xlwings Lite" in line_about(lines, "add-in")


def test_a_workbook_name_python_cannot_import(tmp_path, sheetflow):
    path = tmp_path / "my studio.xlsx"
    assert sheetflow("new", path).exit_code == 0
    code, lines = doctor(sheetflow, path)
    assert code == 1
    assert "rename the workbook to my_studio.xlsx" in line_about(lines, "Run main")


def test_a_missing_or_broken_py_beside_the_workbook(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path).exit_code == 0
    (tmp_path / "studio.py").unlink()
    code, lines = doctor(sheetflow, path)
    assert code == 1 and "`sheetflow excel runmain studio.xlsx`" in line_about(lines, "Run main")
    (tmp_path / "studio.py").write_text("def main(:\n")
    assert "not valid Python" in line_about(doctor(sheetflow, path)[1], "Run main")
    (tmp_path / "studio.py").write_text("def run():\n    pass\n")
    assert "has no main()" in line_about(doctor(sheetflow, path)[1], "Run main")
    assert sheetflow("excel", "runmain", path, "--force", today=None).exit_code == 0
    assert doctor(sheetflow, path)[0] == 0


def test_a_workbook_named_like_a_python_module_would_import_that_module(tmp_path, sheetflow):
    path = tmp_path / "calendar.xlsx"
    assert sheetflow("new", path).exit_code == 0
    code, lines = doctor(sheetflow, path)
    assert code == 1 and "standard library" in line_about(lines, "Run main")


def test_the_add_in_in_the_start_up_folder_and_its_version(tmp_path, sheetflow, monkeypatch):
    xlstart = tmp_path / "XLSTART"
    xlstart.mkdir()
    shutil.copy(XLWINGS_DIR / "addin" / "xlwings.xlam", xlstart / "xlwings.xlam")  # the add-in xlwings ships
    monkeypatch.setenv("SHEETFLOW_XLSTART", str(xlstart))
    code, lines = doctor(sheetflow)
    version = importlib.metadata.version("xlwings")
    assert code == 0
    addin = xlstart / "xlwings.xlam"
    assert line_about(lines, "xlwings add-in") == f"ok      xlwings add-in: {addin}, version {version}"
    monkeypatch.setattr("sheetflow.excel.doctor._xlwings_version", lambda: "0.30.0")  # an older package than the add-in
    code, lines = doctor(sheetflow)
    assert code == 1
    assert f"is version {version}, the xlwings package is 0.30.0" in line_about(lines, "xlwings add-in")
    assert "xlwings addin install" in line_about(lines, "xlwings add-in")


def test_the_interpreter_named_in_the_users_xlwings_conf(clean_home, sheetflow, tmp_path):
    config = clean_home / ".xlwings" / "xlwings.conf"
    config.parent.mkdir()
    config.write_text(
        f'"INTERPRETER_WIN","{tmp_path / "gone" / "python.exe"}"\n"INTERPRETER_MAC","{tmp_path / "gone" / "python"}"\n'
    )
    code, lines = doctor(sheetflow)
    assert code == 1
    assert "does not exist" in line_about(lines, "INTERPRETER_") and sys.executable in line_about(lines, "INTERPRETER_")
    config.write_text(f'"INTERPRETER_WIN","{sys.executable}"\n"INTERPRETER_MAC","{sys.executable}"\n')
    code, lines = doctor(sheetflow)
    assert code == 0 and "has sheetflow installed" in line_about(lines, "INTERPRETER_")


def test_an_interpreter_without_sheetflow(clean_home, sheetflow, tmp_path):
    bare = tmp_path / "bare"
    import venv

    venv.create(bare, with_pip=False)
    python = bare / "bin" / "python"
    config = clean_home / ".xlwings" / "xlwings.conf"
    config.parent.mkdir()
    config.write_text(f'"INTERPRETER_WIN","{python}"\n"INTERPRETER_MAC","{python}"\n')
    code, lines = doctor(sheetflow)
    assert code == 1 and "has no sheetflow installed" in line_about(lines, "INTERPRETER_")


def test_the_workbooks_own_xlwings_conf_sheet(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path).exit_code == 0
    other = tmp_path / "other.xlsx"
    with xlsxwriter.Workbook(other) as wb:
        wb.add_worksheet("Sessions").write_row(0, 0, ["Session ID", "Status"])
        conf = wb.add_worksheet("xlwings.conf")
        conf.write_row(0, 0, ["Interpreter_Win", r"C:\nowhere\python.exe"])
        conf.write_row(1, 0, ["Interpreter_Mac", "/nowhere/python"])
    shutil.copy(path.with_suffix(".py"), other.with_suffix(".py"))
    code, lines = doctor(sheetflow, other)
    assert code == 1 and "the workbook's xlwings.conf sheet" in line_about(lines, "does not exist")


def test_not_a_workbook(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsx"
    path.write_text("hello")
    code, lines = doctor(sheetflow, path)
    assert code == 1 and "not an .xlsx/.xlsm workbook" in line_about(lines, "workbook")
    code, lines = doctor(sheetflow, tmp_path / "absent.xlsx")
    assert code == 1 and "does not exist" in line_about(lines, "workbook")


def test_xlwings_quickstart_workbooks_run_no_sheetflow_macro(tmp_path, sheetflow):
    path = tmp_path / "quick.xlsm"
    shutil.copy(XLWINGS_DIR / "quickstart.xlsm", path)
    (tmp_path / "quick.py").write_text("def main():\n    pass\n")
    code, lines = doctor(sheetflow, path)
    assert "runs no sheetflow entry point" in line_about(lines, "macros")


def test_a_workbook_without_sheetflows_sheets_is_a_problem_with_its_fix(tmp_path, sheetflow):
    path = tmp_path / "bookings.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        wb.add_worksheet("Clients").write_row(0, 0, ["Client", "Shoot Date"])
    (tmp_path / "bookings.py").write_text("def main():\n    pass\n")
    code, lines = doctor(sheetflow, path)
    assert code == 1
    assert line_about(lines, "workbook sheets") == (
        "PROBLEM workbook sheets: bookings.xlsx has no Settings, Statuses or Sessions sheet, which sheetflow needs — "
        "to use this workbook of your own, run `sheetflow init bookings.xlsx` (it adds what is missing and keeps your "
        "sheets); to start a fresh studio workbook instead, run `sheetflow new bookings_new.xlsx`"
    )
    assert sheetflow("init", path, "--sessions", "Clients").exit_code == 0  # its own sheet, named in Settings
    code, lines = doctor(sheetflow, path)
    assert line_about(lines, "workbook sheets").startswith("ok"), lines
    assert code == 0, lines


def test_one_missing_sheet_is_named_alone_and_an_xlsm_says_it_as_a_problem(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsm"
    assert sheetflow("new", path).exit_code == 0
    import openpyxl

    book = openpyxl.load_workbook(path, keep_vba=True)
    del book["Statuses"]
    book.save(path)
    code, lines = doctor(sheetflow, path)
    assert code == 1
    found = line_about(lines, "workbook sheets")
    assert found.startswith("PROBLEM") and "studio.xlsm has no Statuses sheet, which sheetflow needs" in found
    assert "`sheetflow new studio_new.xlsm`" in found
