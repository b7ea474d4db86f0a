"""The real-Pyodide harness (tests/excel/pyodide/) for the Lite tests: its files loaded by path, since the folder
is named pyodide and must not shadow Pyodide's own package, and the mark that skips when Node or the wheels are
missing (saying which)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent.parent / "excel" / "pyodide"


def _module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"lite_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


harness = _module("harness")
prepare = _module("prepare")
needs_pyodide = pytest.mark.skipif(harness.missing_tools() is not None, reason=harness.missing_tools() or "")
