"""xlwings Lite: one `main.py` to paste into Lite's editor (it runs a single file in Pyodide) carrying
sheetflow's pure core inside it, plus the `requirements.txt` of the pure-Python packages it needs."""

from __future__ import annotations

from pathlib import Path

from . import __version__
from .schema import SESSIONS, SHEET_BUTTONS

PACKAGE = Path(__file__).parent
# What runs in the browser: the domain core, the sheet names, and the xlwings adapter — no file I/O, no calamine.
BUNDLED = ("__init__.py", "schema.py", "excel.py", *(f"core/{p.name}" for p in sorted((PACKAGE / "core").glob("*.py"))))
REQUIREMENTS = "python-dateutil\njinja2\n"  # jinja2: trigger messages, rendered in its sandbox
# Sheet buttons: a named shape whose hyperlink points at the cell it covers (the template carries them).
BUTTONS = {entry: f"[{shape}]{SESSIONS.name}!{cell}" for entry, shape, _, cell in SHEET_BUTTONS}

HEADER = '''"""sheetflow {version} for xlwings Lite, made by `sheetflow excel lite`: paste it whole into main.py.

The buttons on the Sessions sheet run these scripts: Apply changes, Refresh, Validate. They work on the open
workbook; what they find is on the Problems sheet and in the status cell next to the Sessions headers.
"""

import importlib.abc
import importlib.util
import sys

import xlwings as xw
from xlwings import script

_SOURCES = {sources}
_PACKAGES = {packages}


class _Bundled(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports sheetflow's modules from the sources above: Lite runs one file, sheetflow is several."""

    def find_spec(self, name, path=None, target=None):
        if name in _SOURCES:
            return importlib.util.spec_from_loader(name, self, is_package=name in _PACKAGES)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(_SOURCES[module.__name__], "<" + module.__name__ + ">", "exec"), module.__dict__)


if not any(isinstance(finder, _Bundled) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Bundled())

from sheetflow import excel  # noqa: E402
'''

SCRIPT = '''

@script(button="{button}")
def {name}(book: xw.Book):
    """{doc}"""
    excel.{name}(book)
'''


def _module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["sheetflow", *parts])


def main_py() -> str:
    """The whole main.py for xlwings Lite."""
    sources = {_module_name(rel): (PACKAGE / rel).read_text(encoding="utf-8") for rel in BUNDLED}
    packages = sorted(_module_name(rel) for rel in BUNDLED if rel.endswith("__init__.py"))
    text = HEADER.format(version=__version__, sources=_literal(sources), packages=repr(set(packages)))
    docs = {"apply_changes": "Apply every session row whose Change To is filled in.",
            "refresh": "Recompute due dates, Flag and Days Overdue.",
            "validate": "Check the statuses and sessions; the Problems sheet lists what was found."}
    for name, button in BUTTONS.items():
        text += SCRIPT.format(name=name, button=button, doc=docs[name])
    return text


def _literal(sources: dict[str, str]) -> str:
    lines = ["{"]
    for name, source in sources.items():
        lines.append(f"    {name!r}: {source!r},")
    lines.append("}")
    return "\n".join(lines)
