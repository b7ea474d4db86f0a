"""The classic xlwings add-in: `sheetflow new studio.xlsx` writes studio.py, whose main() is Run main."""

from __future__ import annotations

import importlib.util

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
    assert "rename the workbook to studio_2026_studio.xlsx" in result.output
    assert not list(tmp_path.glob("*.py"))
    result = sheetflow("excel", "runmain", tmp_path / "2026 studio.xlsx", today=None)
    assert result.exit_code == 2


def test_an_existing_module_is_kept(tmp_path, sheetflow):
    (tmp_path / "studio.py").write_text("# mine\n")
    result = sheetflow("new", tmp_path / "studio.xlsx")
    assert "studio.py already exists and was kept" in result.output
    assert (tmp_path / "studio.py").read_text() == "# mine\n"
