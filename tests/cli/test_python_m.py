"""`python -m sheetflow` is the command line itself, for machines where the `sheetflow` script is not on PATH."""

from __future__ import annotations

import subprocess
import sys

from python_calamine import CalamineWorkbook


def test_python_m_sheetflow_makes_and_checks_a_workbook(tmp_path):
    book = tmp_path / "studio.xlsx"
    made = subprocess.run(
        [sys.executable, "-m", "sheetflow", "new", str(book), "--sample"], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([sys.executable, "-m", "sheetflow", "validate", str(book)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "Sessions" in CalamineWorkbook.from_path(str(book)).sheet_names


def test_python_m_sheetflow_says_its_name_in_help():
    shown = subprocess.run([sys.executable, "-m", "sheetflow", "--help"], capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stdout.startswith("Usage: sheetflow ")
