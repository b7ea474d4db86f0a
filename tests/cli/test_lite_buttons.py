"""`sheetflow excel lite PATH`: main.py's buttons are the cells the workbook's own Lite shapes link to, so a studio
in Excel on the web with a workbook made by the previous version (buttons over V1…AA1) pastes a main.py whose
shapes run the scripts they say — and a shape over a header is refused with the way out."""

from __future__ import annotations

import ast
import re
import zipfile
from pathlib import Path

from helpers.old_layout import DRAWING, old_workbook

from sheetflow.core.schema import ENTRY_POINTS

OLD = {"apply_changes": "V1", "refresh": "W1", "validate": "X1", "hide_inactive_statuses": "Z1"}
OLD["show_inactive_statuses"] = "AA1"
NEW = {entry.name: entry.cell for entry in ENTRY_POINTS if entry.lite_shape}  # W1, X1, Y1, AA1, AB1
SHAPES = {entry.name: entry.lite_shape for entry in ENTRY_POINTS if entry.lite_shape}


def made(sheetflow, *args: object) -> tuple[int, str, str]:
    """`sheetflow excel lite ARGS --out`: the exit code, main.py's text ("" when none was written) and the output."""
    out = Path(str(args[-1])).parent / "lite"
    result = sheetflow("excel", "lite", *args, "--out", out, today=None)
    main = out / "main.py"
    return result.exit_code, main.read_text(encoding="utf-8") if main.exists() else "", result.output


def buttons(main: str) -> dict[str, str]:
    """Each script's sheet button in main.py: entry point -> its cell, checked to be its own shape's."""
    found = {}
    for shape, sheet, cell, name in re.findall(r'@script\(button="\[(\w+)\](\w+)!(\w+)"\)\ndef (\w+)', main):
        assert (shape, sheet) == (SHAPES[name], "Sessions")
        found[name] = cell
    return found


def told_cells(main: str) -> list[str]:
    """The cells main.py hands the bundle's buttons (what the status cell and new columns keep off)."""
    (cells,) = re.findall(r"^excel\.buttons\.use_button_cells\((\[.*\])\)$", main, re.M)
    return ast.literal_eval(cells)


def test_main_py_for_an_old_workbook_runs_each_script_from_the_cell_its_shape_links_to(tmp_path, sheetflow):
    old_workbook(tmp_path / "old.xlsx")
    code, main, output = made(sheetflow, tmp_path / "old.xlsx")
    assert code == 0, output
    assert buttons(main) == OLD  # the shape "Refresh" links to W1: W1 runs Refresh
    assert told_cells(main) == ["V1", "W1", "X1", "Z1", "AA1"]
    assert (
        "old.xlsx: main.py's buttons run from Apply changes V1, Refresh W1, Validate X1, Hide inactive statuses Z1, "
        "Show all statuses AA1" in output
    )
    assert "def dashboard(book" in main  # from Lite's script list, as before


def test_main_py_for_the_template_is_the_one_made_without_a_workbook(tmp_path, sheetflow):
    assert sheetflow("new", tmp_path / "studio.xlsx", "--sample").exit_code == 0
    code, main, output = made(sheetflow, tmp_path / "studio.xlsx")
    assert code == 0, output
    assert buttons(main) == NEW
    assert told_cells(main) == ["W1", "X1", "Y1", "AA1", "AB1"]
    (tmp_path / "lite").rename(tmp_path / "from the workbook")
    result = sheetflow("excel", "lite", "--out", tmp_path / "plain", today=None)
    assert result.exit_code == 0
    assert (tmp_path / "plain" / "main.py").read_text(encoding="utf-8") == main


def test_after_sheetflow_refresh_moves_the_buttons_main_py_follows_them(tmp_path, sheetflow):
    book = tmp_path / "old.xlsx"
    old_workbook(book)
    assert sheetflow("refresh", book).exit_code == 0  # adds Hold Reason in V1 and moves the shapes to W1…AB1
    code, main, output = made(sheetflow, book)
    assert code == 0, output
    assert buttons(main) == NEW


def without_shape(book: Path, shape: str) -> None:
    """The workbook with one of sheetflow's Lite shapes deleted, as a studio deletes it in Excel."""
    with zipfile.ZipFile(book) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    anchors = re.findall(rb"<xdr:twoCellAnchor\b.*?</xdr:twoCellAnchor>", parts[DRAWING], re.S)
    (gone,) = [a for a in anchors if f'name="{shape}"'.encode() in a]
    parts[DRAWING] = parts[DRAWING].replace(gone, b"")
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_shape_the_workbook_lacks_is_left_out_of_main_py_with_a_line_saying_so(tmp_path, sheetflow):
    book = tmp_path / "old.xlsx"
    old_workbook(book)
    without_shape(book, "btnValidate")
    code, main, output = made(sheetflow, book)
    assert code == 0, output
    assert buttons(main) == {name: cell for name, cell in OLD.items() if name != "validate"}
    assert "X1" not in told_cells(main)
    assert "@script()\ndef validate(book: xw.Book):" in main  # still in Lite's script list
    assert "Sessions: no shape named btnValidate, so main.py has no Validate button" in output


def test_a_shape_linked_to_a_header_is_refused_with_the_way_out_and_the_way_out_works(tmp_path, sheetflow):
    book = tmp_path / "typed.xlsx"
    old_workbook(book, hold_reason=True)  # Hold Reason typed into V1 by hand, under the old Apply changes shape
    code, main, output = made(sheetflow, book)
    assert code == 1 and main == ""
    assert output.strip() == (
        "Sessions!V1: the Apply changes button (shape btnApplyChanges) is linked to a header's cell, so selecting the "
        f"header would run Apply changes — clear the Hold Reason header in V1 and run sheetflow refresh {book} once: "
        "it adds the column again and moves sheetflow's buttons right of it"
    )
    with zipfile.ZipFile(book) as zf:  # the fix, as the studio does it: V1 cleared in Excel
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(r'<c r="V1"[^>]*?(/>|>.*?</c>)', "", sheet, count=1).encode()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert sheetflow("refresh", book).exit_code == 0
    code, main, output = made(sheetflow, book)
    assert code == 0, output
    assert buttons(main) == NEW


def test_a_path_that_is_no_workbook_is_one_line(tmp_path, sheetflow):
    result = sheetflow("excel", "lite", tmp_path / "missing.xlsx", today=None)
    assert result.exit_code == 2
    assert result.output.strip() == f"sheetflow: missing.xlsx: {tmp_path / 'missing.xlsx'} does not exist"
