"""xlwings Lite: `sheetflow excel lite` makes one main.py that runs in a fresh interpreter with only xlwings
and pure-Python packages (as in Lite's Pyodide), and its @script functions drive the open book."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from helpers.payloads import payload

RUNNER = textwrap.dedent("""
    import asyncio, json, os, sys, types
    import xlwings, xlwings.server
    xlwings.script = xlwings.server.script  # inside Lite, `from xlwings import script` is this decorator
    module = types.ModuleType("main")
    sys.modules["main"] = module
    exec(compile(open(sys.argv[1]).read(), "main.py", "exec"), module.__dict__)
    meta = xlwings.server.custom_scripts_meta(module)
    book = xlwings.Book(json=json.load(open(sys.argv[2])))
    book = asyncio.run(xlwings.server.custom_scripts_call(module, sys.argv[3], typehint_to_value={xlwings.Book: book}))
    print(json.dumps({"meta": meta, "actions": book.json()["actions"],
                      "modules": sorted({m.split(".")[0] for m in sys.modules}),
                      "sheetflow": str(getattr(sys.modules["sheetflow"], "__file__", None))}, default=str))
""")


def run_lite(tmp_path, sheetflow, script: str):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample").exit_code == 0
    assert sheetflow("excel", "lite", "--out", tmp_path / "lite", today=None).exit_code == 0
    (tmp_path / "payload.json").write_text(json.dumps(payload(book)))
    (tmp_path / "runner.py").write_text(RUNNER)
    done = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "runner.py"),
            str(tmp_path / "lite" / "main.py"),
            str(tmp_path / "payload.json"),
            script,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_lite_scripts_apply_changes_from_the_bundled_core(tmp_path, sheetflow):
    result = run_lite(tmp_path, sheetflow, "apply_changes")
    assert result["sheetflow"] == "None"  # the bundle's own modules, not the installed package
    heavy = {"python_calamine", "isal", "openpyxl", "lxml", "defusedxml", "filelock", "click", "xlsxwriter"}
    assert heavy.isdisjoint(result["modules"]), heavy & set(result["modules"])
    buttons = {m["function_name"]: m["button"] for m in result["meta"]}
    assert buttons == {
        "apply_changes": "[btnApplyChanges]Sessions!W1",
        "refresh": "[btnRefresh]Sessions!X1",
        "validate": "[btnValidate]Sessions!Y1",
        "dashboard": None,
        "hide_inactive_statuses": "[btnHideInactive]Sessions!AA1",
        "show_inactive_statuses": "[btnShowInactive]Sessions!AB1",
    }  # Dashboard: Lite's script list
    writes = [a for a in result["actions"] if a["func"] == "setValues"]
    assert any("button" in str(a["values"]) for a in writes)  # the Notes rows, Source = button
    assert not [a for a in result["actions"] if a["func"] == "alert"]


def test_requirements_are_pure_python(tmp_path, sheetflow):
    result = sheetflow("excel", "lite", today=None)
    assert result.exit_code == 0
    text = result.output
    assert "# ---- main.py" in text and "# ---- requirements.txt" in text
    assert text.split("# ---- requirements.txt")[1].split("\n", 1)[1].split() == [
        "xlwings<1.0.0",
        "python-dateutil",
        "jinja2",
    ]


def test_without_a_used_range_the_sheets_are_read_through_their_tables(tmp_path, sheetflow, monkeypatch):
    """Lite's Office.js engine has no used_range: the template's sheets are Excel tables, read whole,
    blank rows and all."""
    import xlwings as xw

    from sheetflow import excel

    def no_used_range(self):
        raise NotImplementedError("not in xlwings Lite")

    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0
    monkeypatch.setattr(xw.Sheet, "used_range", property(no_used_range))
    outcome = excel.apply_changes(xw.Book(json=payload(path)))
    assert outcome is not None and len(outcome.applied) == 2 and outcome.errors == 0


def _shape_links(path) -> dict[str, str]:
    """Each named shape on the Sessions drawing and the cell its hyperlink targets, read from the file."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as package:
        drawing = package.read("xl/drawings/drawing1.xml").decode()
        rels = dict(
            re.findall(
                r'Id="(rId\d+)"[^>]*Target="#([^"]+)"', package.read("xl/drawings/_rels/drawing1.xml.rels").decode()
            )
        )
        sheet_rels = package.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert "../drawings/drawing1.xml" in sheet_rels  # sheet1 is Sessions
    return {
        name: rels[rid]
        for name, rid in re.findall(
            r'<xdr:cNvPr id="\d+" name="([^"]+)"><a:hlinkClick[^>]*r:id="'
            r'(rId\d+)"',
            drawing,
        )
    }


def test_the_template_carries_the_buttons_the_scripts_are_bound_to(tmp_path, sheetflow):
    """Lite runs a script when the shape named in its button= is clicked and its hyperlink selects that cell."""
    from sheetflow.excel.lite import BUTTONS

    wanted = {button.split("]")[0][1:]: button.split("]")[1] for button in BUTTONS.values()}
    assert _shape_links(Path(__file__).parents[2] / "templates" / "workbook.xlsx") == wanted
    assert sheetflow("new", tmp_path / "studio.xlsx", "--sample").exit_code == 0
    assert sheetflow("apply", tmp_path / "studio.xlsx").exit_code == 0
    assert _shape_links(tmp_path / "studio.xlsx") == wanted  # and sheetflow's own writes keep them
