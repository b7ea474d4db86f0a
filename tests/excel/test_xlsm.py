"""`sheetflow new studio.xlsm`: a macro-enabled workbook whose form buttons run the entry points through RunPython,
checked without Excel by olevba, LibreOffice, and sheetflow's own runs and doctor."""

from __future__ import annotations

import re
import zipfile

import pytest
from oletools.olevba import VBA_Parser
from test_vba import libreoffice_view

from sheetflow import excel
from sheetflow.authoring.template import FORM_BUTTONS
from sheetflow.authoring.vba import MACROS


@pytest.fixture
def studio(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsm"
    result = sheetflow("new", path, "--sample")
    assert result.exit_code == 0, result.output
    return path


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_the_workbook_is_macro_enabled_with_a_button_per_action(studio):
    parts = members(studio)
    assert "xl/vbaProject.bin" in parts
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in parts["[Content_Types].xml"]
    vml = b"".join(data for name, data in parts.items() if name.startswith("xl/drawings/vmlDrawing"))
    assigned = re.findall(rb"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml)
    assert sorted(m.decode() for m in assigned) == sorted(macro for macro, _, _ in FORM_BUTTONS) == sorted(MACROS)
    assert b'codeName="Sheet1"' in parts["xl/worksheets/sheet1.xml"]  # Sessions, as the VBA project names it


def test_olevba_reads_each_button_macro_and_it_runs_a_real_entry_point(studio):
    parser = VBA_Parser(str(studio))
    code = "\n".join(source for _, _, _, source in parser.extract_macros())
    parser.close()
    for macro, entry_point in MACROS.items():
        assert re.search(rf"^(Public )?Sub {macro}\(\)", code, re.MULTILINE), macro
        assert callable(getattr(excel, entry_point))
    run_python = re.findall(r'"import sheetflow\.excel; sheetflow\.excel\.(\w+)\(\)"', code)
    assert set(run_python) <= set(MACROS.values()) and run_python
    assert "'xlwings.xlam'!RunPython" in code


def test_runs_keep_the_macros_and_buttons_and_doctor_finds_them_sound(studio, sheetflow):
    before = members(studio)
    assert sheetflow("apply", studio).exit_code == 0
    assert sheetflow("refresh", studio).exit_code == 0
    after = members(studio)
    for name in ("xl/vbaProject.bin", *(n for n in before if n.startswith("xl/drawings/vmlDrawing"))):
        assert after[name] == before[name], name
    result = sheetflow("doctor", studio, today=None)
    assert result.exit_code == 0, result.output
    macro_lines = [line for line in result.output.splitlines() if line.startswith("ok      macro in Sheetflow")]
    assert len(macro_lines) == len(MACROS)


def test_the_same_request_gives_the_same_bytes(tmp_path, sheetflow):
    first, second = tmp_path / "a" / "studio.xlsm", tmp_path / "b" / "studio.xlsm"
    for path in (first, second):
        path.parent.mkdir()
        assert sheetflow("new", path).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_libreoffice_opens_it_and_binds_every_button_to_its_macro(studio, tmp_path):
    seen = libreoffice_view(studio, tmp_path)
    library = seen["libraries"]["VBAProject"]
    for macro in MACROS:
        assert f"Sub {macro}()" in library["Sheetflow"]
    sessions = next(sheet for sheet in seen["sheets"] if sheet["name"] == "Sessions")
    assert sessions["code_name"] == "Sheet1"
    bound = {control["label"]: event[3] for control in sessions["controls"] for event in control["events"]}
    assert bound == {
        caption: f"vnd.sun.star.script:VBAProject.Sheetflow.{macro}?language=Basic&location=document"
        for macro, caption, _ in FORM_BUTTONS
    }


def test_doctor_does_not_hold_an_unimportable_name_against_an_xlsm(tmp_path, sheetflow):
    """The .xlsm's buttons call sheetflow.excel directly; only the add-in's Run main imports the workbook's name."""
    path = tmp_path / "my studio.xlsm"
    assert sheetflow("new", path).exit_code == 0
    result = sheetflow("doctor", path, today=None)
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if "Run main" in line]
    assert line.startswith("note") and "the workbook's buttons don't" in line and "my_studio.xlsm" in line
