"""A workbook made by the previous version in xlwings Lite, in real Pyodide (as tests/excel/test_lite_pyodide.py runs
the bundle): the main.py `sheetflow excel lite OLD.xlsx` makes binds Refresh to the old W1 shape, hands the bundle's
buttons the old cells, and its clicks keep the Hold Reason header out of V1 (under the old Apply changes shape) —
each click sending back exactly the actions CPython sends."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.lite_pyodide import harness, needs_pyodide, prepare
from helpers.old_layout import old_workbook
from helpers.payloads import payload, played, replayed

from sheetflow.cli import main as cli

ZOE = 1011  # the sample's Zoe & Ryan Patel, in W-Retouch Pending
ADVICE = "The Sessions sheet has no Hold Reason column yet: run sheetflow refresh on the file once"


pytestmark = needs_pyodide


@pytest.fixture(scope="module")
def old(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("old") / "old.xlsx"
    old_workbook(path)
    return path


@pytest.fixture(scope="module")
def engines(old, tmp_path_factory):
    """Pyodide and CPython, each started once for the module, with the main.py made from the old workbook."""
    out = tmp_path_factory.mktemp("lite")
    made = CliRunner().invoke(cli, ["excel", "lite", str(old), "--out", str(out)], catch_exceptions=False)
    assert made.exit_code == 0, made.output
    bundle = (out / "main.py").read_text(encoding="utf-8")
    started = [harness.pyodide(prepare.wheels(importlib.metadata.version("xlwings"))), harness.cpython()]
    for engine in started:
        engine.scripts = {m["function_name"]: m["button"] for m in engine.load(bundle)["meta"]}
    yield dict(zip(("pyodide", "cpython"), started, strict=True))
    for engine in started:
        engine.close()


class _Played:
    """Actions as a book's json() gives them, for payloads.played."""

    def __init__(self, actions: list[dict[str, Any]]):
        self.actions = actions

    def json(self) -> dict[str, Any]:
        return {"actions": self.actions}


def click(engines: dict, script: str, data: dict[str, Any]) -> tuple[list[dict], dict[str, list]]:
    """The click in Pyodide and on CPython: the same actions (the clock's minute aside); Pyodide's, and the sheets
    after them."""
    web, native = (engines[name].run(script, json.dumps(data)) for name in engines)
    assert web["engine"] == "emscripten" and native["engine"] == sys.platform
    assert harness.masked(web["actions"]) == harness.masked(native["actions"])
    return web["actions"], played(_Played(web["actions"]), data)


def test_main_py_made_from_the_old_workbook_runs_refresh_from_the_old_w1_shape(engines, old):
    web = engines["pyodide"]
    assert web.scripts["refresh"] == "[btnRefresh]Sessions!W1"
    assert web.scripts["apply_changes"] == "[btnApplyChanges]Sessions!V1"
    assert web.scripts["show_inactive_statuses"] == "[btnShowInactive]Sessions!AA1"
    told = "import sys\nresult = sorted(sys.modules['sheetflow.excel.buttons'].BUTTON_CELLS)"
    assert web.eval(told) == ["AA1", "V1", "W1", "X1", "Z1"]  # what the bundle's buttons keep off

    data = payload(old)
    header = data["sheets"][0]["values"][0]
    assert data["sheets"][0]["name"] == "Sessions" and header[-1] == "Held Since" and len(header) == 21
    actions, after = click(engines, "refresh", data)
    first = after["Sessions"][0]
    assert first[:21] == header and first[21] in ("", None)  # V1 stays the Apply changes shape's
    (said,) = [v for v in first if isinstance(v, str) and v.startswith("Refresh ")]
    assert first.index(said) == 27  # AB1, right of the old buttons
    assert ADVICE in said

    # a hold through the old V1 shape: its reason stays in Reason, where that sheet keeps it
    again = replayed(data, actions)
    grid = again["sheets"][0]["values"]
    at = {name: header.index(name) for name in header}
    for line in grid[1:]:
        line[at["Change To"]] = ""
    row = next(r for r, line in enumerate(grid) if line[at["Session ID"]] == ZOE)
    grid[row][at["Change To"]] = "hold waiting on client"
    _, held = click(engines, "apply_changes", again)
    zoe = dict(zip(header, held["Sessions"][row], strict=False))
    assert zoe["Flag"] == "On hold" and zoe["Reason"] == "Waiting on client"
    assert held["Sessions"][0][21] in ("", None)
