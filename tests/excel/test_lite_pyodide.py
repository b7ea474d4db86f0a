"""The xlwings Lite bundle in real Pyodide (the npm `pyodide` package under Node, the real xlwings and the bundle's
requirements installed by micropip from local wheels): every Lite script, on the sample and on a 5,000-session
studio, sends back exactly the actions it sends on CPython. One Pyodide and one CPython serve the whole module."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.lite_pyodide import HERE, harness, needs_pyodide, prepare
from helpers.payloads import payload, played

from sheetflow.cli import main as cli

ROOT = Path(__file__).parents[2]


needs_node = needs_pyodide


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> str:
    """main.py as `sheetflow excel lite` writes it."""
    out = tmp_path_factory.mktemp("lite")
    result = CliRunner().invoke(cli, ["excel", "lite", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (out / "requirements.txt").read_text().split() == ["xlwings<1.0.0", "python-dateutil", "jinja2"]
    return (out / "main.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def wheels() -> Path:
    """The bundle's requirements as local wheels, with this Python's xlwings version so both engines match."""
    return prepare.wheels(importlib.metadata.version("xlwings"))


@pytest.fixture(scope="module")
def engines(wheels):
    """Pyodide and CPython, each started once for the module."""
    started = [harness.pyodide(wheels), harness.cpython()]
    yield dict(zip(("pyodide", "cpython"), started, strict=True))
    for engine in started:
        engine.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("sample") / "studio.xlsx"
    assert CliRunner().invoke(cli, ["new", str(path), "--sample"], catch_exceptions=False).exit_code == 0
    return payload(path)


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> dict[str, Any]:
    """5,000 sessions with 25,000 Notes rows and 100 pending changes, as benchmarks/generate.py makes them."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    path = tmp_path_factory.mktemp("studio") / "studio.xlsx"
    generate(path, 5000, notes_per_session=5, pending=100)
    return payload(path)


def _click(engine: Any, bundle: str, script: str, data: dict[str, Any]) -> dict[str, Any]:
    engine.load(bundle)
    return engine.run(script, json.dumps(data))


def _without_user(data: dict[str, Any]) -> dict[str, Any]:
    """The payload with Settings' Current user blank."""
    data = json.loads(json.dumps(data))
    settings = next(s for s in data["sheets"] if s["name"] == "Settings")
    for row in settings["values"]:
        if str(row[0]).strip().lower() == "current user":
            row[1] = ""
    return data


class _Played:
    """Actions as a book's json() gives them, for payloads.played."""

    def __init__(self, actions: list[dict[str, Any]]):
        self.actions = actions

    def json(self) -> dict[str, Any]:
        return {"actions": self.actions}


SCRIPTS = ("apply_changes", "refresh", "validate", "dashboard")


@needs_node
@pytest.mark.parametrize("workbook", ["sample", "studio"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_every_lite_script_sends_cpythons_actions_from_pyodide(request, engines, bundle, workbook, script):
    data = request.getfixturevalue(workbook)
    web, native = (_click(engines[name], bundle, script, data) for name in ("pyodide", "cpython"))
    assert web["engine"] == "emscripten" and native["engine"] == sys.platform
    assert web["actions"], "the click sent nothing back"
    assert harness.masked(web["actions"]) == harness.masked(native["actions"])
    assert not [a for a in web["actions"] if a["func"] == "alert" and "stopped unexpectedly" in str(a["args"])]


@needs_node
def test_the_dashboard_script_writes_the_time_in_status_without_pandas(engines, bundle, studio):
    answer = _click(engines["pyodide"], bundle, "dashboard", studio)
    grid = played(_Played(answer["actions"]), studio)["Dashboard"]
    text = json.dumps(grid, default=str)
    assert "Time in status" in text or "time in status" in text.lower()
    assert engines["pyodide"].eval("import sys\nresult = sorted({'pandas', 'numpy'} & set(sys.modules))") == []


@needs_node
def test_pyodide_runs_the_bundle_with_the_real_requirements(engines, bundle, sample):
    pyodide = engines["pyodide"]
    assert pyodide.ready["version"].startswith("314.")
    pyodide.load(bundle)
    found = pyodide.eval(
        "import importlib.metadata as m, sys, getpass, sheetflow\n"
        "result = {'python': sys.version_info[:2], 'platform': sys.platform, 'getuser': getpass.getuser(),\n"
        "          'origin': sheetflow.__spec__.origin, 'versions': {d: m.version(d) for d in\n"
        "          ('xlwings', 'python-dateutil', 'jinja2', 'MarkupSafe', 'six')}}"
    )
    assert found["python"] == [3, 14] and found["platform"] == "emscripten"
    assert found["getuser"] == "web_user"  # what fix 1 is about: Pyodide's login is a placeholder
    assert found["origin"] == "sheetflow-lite"  # sheetflow comes from main.py itself
    assert found["versions"]["xlwings"] == importlib.metadata.version("xlwings")


@needs_node
def test_a_blank_current_user_is_never_filled_with_pyodides_web_user(engines, bundle, sample):
    data = _without_user(sample)
    answer = _click(engines["pyodide"], bundle, "apply_changes", data)
    assert "web_user" not in json.dumps(answer["actions"])
    grids = played(_Played(answer["actions"]), data)
    notes, problems = grids["Notes"], grids["Problems"]
    new_notes = notes[len(next(s for s in data["sheets"] if s["name"] == "Notes")["values"]) :]
    by = [row[notes[0].index("Updated By")] for row in new_notes]
    assert "" in by or None in by  # a change nobody typed a name for stays unsigned (others carry the row's own)
    said = json.dumps(problems)
    assert "Current user" in said and "type your name into Current user" in said


@needs_node
def test_running_an_edited_main_py_again_uses_the_new_code_and_one_finder(engines, bundle, sample):
    pyodide = engines["pyodide"]
    lines = bundle.splitlines(keepends=True)
    (at,) = [i for i, line in enumerate(lines) if line.startswith("    'sheetflow.excel': ")]
    lines[at] = lines[at].rstrip().removesuffix(",") + " + \"\\nMARKER = 'bundle B'\\n\",\n"
    edited = "".join(lines)  # bundle B: excel/buttons.py with one line more
    pyodide.load(bundle, again=True)
    before = pyodide.eval("import sys\nresult = id(sys.modules['sheetflow.core.studio'])")
    loaded = pyodide.load(edited, again=True)
    assert loaded["finders"] == ["_Bundled"]
    found = pyodide.eval(
        "import sys\nmain = sys.modules['main']\n"
        "result = {'marker': getattr(main.excel, 'MARKER', None), 'same': sys.modules['sheetflow.excel'] is main.excel,"
        " 'studio': id(sys.modules['sheetflow.core.studio']),"
        " 'finders': sum(getattr(f, 'bundle', None) == 'sheetflow-lite' for f in sys.meta_path)}"
    )
    assert found["marker"] == "bundle B" and found["same"] and found["finders"] == 1
    assert found["studio"] != before  # every sheetflow module was loaded again, not only the edited one
    assert pyodide.run("refresh", json.dumps(sample))["actions"]  # and B's scripts run
    pyodide.load(bundle, again=True)
    assert pyodide.eval("import sys\nresult = getattr(sys.modules['main'].excel, 'MARKER', None)") is None


@needs_node
def test_the_runner_alone_prints_one_clicks_actions(tmp_path, wheels, engines, bundle, sample):
    (tmp_path / "main.py").write_text(bundle, encoding="utf-8")
    (tmp_path / "payload.json").write_text(json.dumps(sample))
    done = subprocess.run(
        [
            "node",
            str(HERE / "runner.mjs"),
            str(wheels),
            str(tmp_path / "main.py"),
            "validate",
            str(tmp_path / "payload.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    alone = json.loads(done.stdout.strip().splitlines()[-1])
    served = _click(engines["pyodide"], bundle, "validate", sample)
    assert harness.masked(alone["actions"]) == harness.masked(served["actions"])


def _history_variants(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The studio as it is; with an old status name renamed in its cycle and in none, hand-typed dates that aren't
    dates, blank statuses and sessions no longer on the Sessions sheet; and with statuses not by type."""
    variants = [data]
    edited = json.loads(json.dumps(data))
    notes = next(s for s in edited["sheets"] if s["name"] == "Notes")["values"]
    header, rows = notes[0], notes[1:]
    to, sid, done, note = (header.index(c) for c in ("To Status", "Session ID", "Date Completed", "Note"))
    half = len(rows) // 2
    for i, row in enumerate(rows[:half]):
        if row[to] == "P-Retouch Pending":
            row[to] = "P-Retouch Old"
        elif row[to] == "W-Retouch Pending" and i % 2:
            row[to] = "Retouch"
        if i % 97 == 0:
            row[done] = "soon"
        if i % 89 == 0:
            row[to] = ""
        if i % 83 == 0:
            row[sid] = 90000 + i
    rename = [""] * len(header)
    rows.insert(half, [*rename[:note], 'status renamed from "P-Retouch Old" to "P-Retouch Pending" (Portrait cycle)'])
    rows.insert(half + 1, [*rename[:note], 'status renamed from "Retouch" to "W-Retouch Pending"'])
    notes[1:] = rows
    variants.append(edited)
    flat = json.loads(json.dumps(edited))
    for row in next(s for s in flat["sheets"] if s["name"] == "Settings")["values"]:
        if str(row[0]).strip().lower() == "statuses by type":
            row[1] = "No"
    variants.append(flat)
    return variants


@pytest.mark.parametrize("workbook", ["sample", "studio"])
def test_the_pure_time_in_status_equals_report_pys(request, workbook):
    """The bundle's Dashboard works the time in status out without pandas (sheetflow.core.history): the same
    figures as report.py's."""
    import xlwings as xw

    from sheetflow.core import history
    from sheetflow.core import studio as core
    from sheetflow.excel import ExcelWorkbook
    from sheetflow.library.report import time_in_status

    today = dt.date(2026, 11, 25)
    for data in _history_variants(request.getfixturevalue(workbook)):
        tables = ExcelWorkbook(xw.Book(json=data)).read()
        loaded = core.load_studio(tables)
        notes = tables["Notes"]
        pure = history.time_in_status(loaded, notes, today)
        assert pure == time_in_status(loaded, notes, today)
        assert pure.passages > 0
