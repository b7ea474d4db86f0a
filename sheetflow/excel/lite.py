"""xlwings Lite: one `main.py` to paste into Lite's editor (it runs a single file in Pyodide) carrying
sheetflow's pure core inside it, plus the `requirements.txt` of the pure-Python packages it needs."""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..core.schema import ENTRY_POINTS, SESSIONS

PACKAGE = Path(__file__).parents[1]
# What runs in the browser, whole folders: the domain (core/) and the Excel front end (excel/) — no file I/O, no
# calamine; the library and the workbook format are never imported there.
BUNDLED = (
    "__init__.py",
    *(
        p.relative_to(PACKAGE).as_posix()
        for folder in ("core", "excel")
        for p in sorted((PACKAGE / folder).glob("*.py"))
    ),
)
REQUIREMENTS = "xlwings<1.0.0\npython-dateutil\njinja2\n"
MARK = "sheetflow-lite"  # names the bundle's import finder, so a re-run of an edited main.py replaces the old one
# Sheet buttons: a named shape whose hyperlink points at the cell it covers (the template carries them).
BUTTONS = {
    entry.name: f"[{entry.lite_shape}]{SESSIONS.name}!{entry.cell}" for entry in ENTRY_POINTS if entry.lite_shape
}

HEADER = '''"""sheetflow {version} for xlwings Lite, made by `sheetflow excel lite`: paste it whole into main.py.

The buttons on the Sessions sheet run these scripts: Apply changes, Refresh, Validate, Hide inactive statuses and
Show all statuses; Dashboard runs from Lite's script list. They work on the open workbook; what they find is on the
Problems sheet and in the status cell next to the Sessions headers. Running an edited main.py again replaces the
sheetflow it loaded before.
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

    bundle = "{mark}"  # what a later main.py knows this finder by (the class itself is new on every run)

    def __init__(self, sources, packages):
        self.sources, self.packages = sources, packages

    def find_spec(self, name, path=None, target=None):
        if name in self.sources:
            return importlib.util.spec_from_loader(name, self, origin=self.bundle, is_package=name in self.packages)
        if name.startswith("sheetflow."):  # not in the bundle (the library, the file format): the same everywhere
            raise ModuleNotFoundError(f"{{name}} is not part of sheetflow for xlwings Lite", name=name)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(self.sources[module.__name__], "<" + module.__name__ + ">", "exec"), module.__dict__)


def _bundled(finder):
    """An earlier run's finder: marked, or (bundles made before the mark) a _Bundled of another main.py."""
    return getattr(finder, "bundle", None) == "{mark}" or type(finder).__name__ == "_Bundled"


# Lite runs an edited main.py in the same Python: forget the sheetflow an earlier run loaded, so this code is used.
for _name, _module in list(sys.modules.items()):
    if (_name == "sheetflow" or _name.startswith("sheetflow.")) and _bundled(getattr(
            getattr(_module, "__spec__", None), "loader", None)):
        del sys.modules[_name]
sys.meta_path[:] = [finder for finder in sys.meta_path if not _bundled(finder)]
sys.meta_path.insert(0, _Bundled(_SOURCES, _PACKAGES))

from sheetflow import excel  # noqa: E402
'''

SCRIPT = '''

@script({button})
def {name}(book: xw.Book):
    """{doc}"""
    excel.{name}(book)
'''
# Every script in main.py (the entry points with a Lite docstring), with its sheet button (None: run from Lite's
# script list).
SCRIPTS = {entry.name: BUTTONS.get(entry.name) for entry in ENTRY_POINTS if entry.lite_doc}
DOCS = {entry.name: entry.lite_doc for entry in ENTRY_POINTS if entry.lite_doc}


def _module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["sheetflow", *parts])


def main_py() -> str:
    """The whole main.py for xlwings Lite."""
    sources = {_module_name(rel): (PACKAGE / rel).read_text(encoding="utf-8") for rel in BUNDLED}
    packages = sorted(_module_name(rel) for rel in BUNDLED if rel.endswith("__init__.py"))
    text = HEADER.format(version=__version__, sources=_literal(sources), packages=repr(set(packages)), mark=MARK)
    for name, button in SCRIPTS.items():
        text += SCRIPT.format(name=name, button=f'button="{button}"' if button else "", doc=DOCS[name])
    return text


def _literal(sources: dict[str, str]) -> str:
    lines = ["{"]
    for name, source in sources.items():
        lines.append(f"    {name!r}: {source!r},")
    lines.append("}")
    return "\n".join(lines)
