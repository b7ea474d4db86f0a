"""The clicks of the xlwings Lite bundle at studio size, in real Pyodide and on CPython side by side.

A 5,000-session studio with 25,000 Notes rows and 100 pending changes (benchmarks/generate.py) is turned into the
payload Lite's Office.js client sends; each click runs on that same payload, best of --repeat, in one long-lived
Pyodide (tests/excel/pyodide/runner.mjs) and one CPython. Printed per click and engine: the script's seconds (the
@script call, as Lite times it; the payload's conversion into a book apart), and the write actions and bytes the click
sends back to Excel.

    python benchmarks/lite.py [--sessions 5000] [--notes-per-session 5] [--repeat 3] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "excel" / "pyodide"
sys.path.insert(0, str(ROOT / "tests"))  # the helpers package
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' remote engine, as in the tests

from generate import generate  # noqa: E402
from helpers.payloads import payload  # noqa: E402

from sheetflow.excel.lite import main_py  # noqa: E402

# (label, script, selection): a script of main.py, or module:function for one Lite has no button for
CLICKS = (
    ("Refresh", "refresh", "A1"),
    ("Apply changes (100 pending)", "apply_changes", "A1"),
    ("Change status (10 selected rows)", "sheetflow.excel:change_status", "A2:A11"),
    ("Validate", "validate", "A1"),
)


def _harness(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"lite_{name}", HARNESS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(sessions: int, notes_per_session: int, repeat: int) -> dict[str, Any]:
    """Every click on both engines: best script seconds, conversion seconds, write actions and bytes."""
    harness, prepare = _harness("harness"), _harness("prepare")
    missing = harness.missing_tools()
    if missing:
        raise SystemExit(missing)
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "studio.xlsx"
        generate(book, sessions, notes_per_session=notes_per_session, pending=100)
        payloads = {selection: json.dumps(payload(book, selection=selection)) for _, _, selection in CLICKS}
    source = main_py()
    engines = {
        "pyodide": harness.pyodide(prepare.wheels(importlib.metadata.version("xlwings"))),
        "cpython": harness.cpython(),
    }
    results: dict[str, Any] = {
        "sessions": sessions,
        "notes": sessions * notes_per_session,
        "repeat": repeat,
        "pyodide": engines["pyodide"].ready["version"],
        "clicks": [],
    }
    try:
        for engine in engines.values():
            engine.load(source)
        for label, script, selection in CLICKS:
            line: dict[str, Any] = {"click": label}
            for name, engine in engines.items():
                runs = [engine.run(script, payloads[selection]) for _ in range(repeat)]
                best = min(runs, key=lambda r: r["seconds"])
                actions, size = harness.writes(best["actions"])
                line[name] = {
                    "seconds": round(best["seconds"], 3),
                    "convert_seconds": round(best["convert_seconds"], 3),
                    "actions": actions,
                    "bytes": size,
                }
            results["clicks"].append(line)
    finally:
        for engine in engines.values():
            engine.close()
    return results


def report(results: dict[str, Any]) -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    rows = [
        f"{results['sessions']:,} sessions, {results['notes']:,} Notes rows; Pyodide {results['pyodide']} "
        f"(Node {node}) and CPython {sys.version.split()[0]}; "
        f"best of {results['repeat']}",
        f"{'click':34} {'engine':8} {'script s':>9} {'convert s':>10} {'actions':>8} {'bytes':>10}",
    ]
    for line in results["clicks"]:
        for name in ("pyodide", "cpython"):
            r = line[name]
            rows.append(
                f"{line['click']:34} {name:8} {r['seconds']:9.3f} {r['convert_seconds']:10.3f} "
                f"{r['actions']:8} {r['bytes']:10,}"
            )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--notes-per-session", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = measure(args.sessions, args.notes_per_session, args.repeat)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
