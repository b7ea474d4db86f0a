"""xlwings Lite: one `main.py` to paste into Lite's editor (it runs a single file in Pyodide) carrying
sheetflow's pure core inside it, plus the `requirements.txt` of the pure-Python packages it needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..core.cells import address, normalize
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

# The Sessions cells this main.py's buttons run from: new columns and the status cell keep off them.
excel.buttons.use_button_cells({cells})
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


def main_py(cells: Mapping[str, str] | None = None, sheet: str = SESSIONS.name) -> str:
    """The whole main.py for xlwings Lite: its sheet buttons on `cells` (entry point -> cell of `sheet`, those of
    the workbook it is made for: `buttons_of`), else on ENTRY_POINTS' cells; an entry point `cells` leaves out has
    no sheet button (it still runs from Lite's script list)."""
    sources = {_module_name(rel): (PACKAGE / rel).read_text(encoding="utf-8") for rel in BUNDLED}
    packages = sorted(_module_name(rel) for rel in BUNDLED if rel.endswith("__init__.py"))
    shapes = {entry.name: entry.lite_shape for entry in ENTRY_POINTS if entry.lite_shape}
    if cells is None:  # the template's
        cells = {entry.name: entry.cell for entry in ENTRY_POINTS if entry.lite_shape}
    buttons = {name: f"[{shapes[name]}]{sheet}!{cell}" for name, cell in cells.items() if name in shapes}
    linked = {cells[name] for name in buttons}
    text = HEADER.format(
        version=__version__,
        sources=_literal(sources),
        packages=repr(set(packages)),
        mark=MARK,
        cells=repr(sorted(linked, key=_cell_key)),
    )
    for name in SCRIPTS:
        button = buttons.get(name)
        text += SCRIPT.format(name=name, button=f'button="{button}"' if button else "", doc=DOCS[name])
    return text


def _cell_key(cell: str) -> tuple[int, int, str]:
    """Cells in sheet order: row, then column (Z1 before AA1)."""
    letters = cell.rstrip("0123456789")
    return int(cell[len(letters) :]), len(letters), letters


@dataclass
class WorkbookButtons:
    """What a workbook's own Lite shapes make of main.py: the cell each entry point's button links to, and what
    `sheetflow excel lite PATH` says of the shapes it left out or refuses."""

    cells: dict[str, str] = field(default_factory=dict)  # entry point -> the Sessions cell its shape links to
    left_out: list[str] = field(default_factory=list)  # a line for each shape missing, or linked to no cell
    refused: list[str] = field(default_factory=list)  # a line for each shape linked to a header's cell


def buttons_of(
    sheet: str, header_row: int, headers: Mapping[int, str], links: Mapping[str, tuple[int, int] | None], path: str
) -> WorkbookButtons:
    """The buttons of main.py for a workbook whose Sessions sheet (`sheet`, its `headers` by column in `header_row`)
    has the Lite shapes `links` (shape -> the (row, column) its hyperlink selects; a missing shape is not in it).
    A shape linked to a header's cell would run its script whenever that header is selected: refused."""
    found = WorkbookButtons()
    last = max(headers, default=0)
    for entry in ENTRY_POINTS:
        if not (entry.lite_shape and entry.lite_doc):
            continue
        shape, title = entry.lite_shape, entry.title
        cell = links.get(shape)
        if shape not in links:
            found.left_out.append(
                f"{sheet}: no shape named {shape}, so main.py has no {title} button (it runs from Lite's script list)"
            )
        elif cell is None:
            found.left_out.append(
                f"{sheet}: the shape {shape} links to no cell of {sheet}, so main.py has no {title} button — link "
                "the shape to the cell it covers (right-click it, Link, This Document), then make main.py again"
            )
        elif cell[0] == header_row and cell[1] <= last:
            where, header = address(*cell), headers.get(cell[1], "")
            if header and normalize(header) in _ADDED:  # typed there by hand, or by an earlier click
                fix = (
                    f"clear the {header} header in {where} and run sheetflow refresh {path} once: it adds the "
                    "column again and moves sheetflow's buttons right of it"
                )
            else:
                fix = f"drag the shape right of the last header ({headers[last]}) and link it to the cell it covers"
            found.refused.append(
                f"{sheet}!{where}: the {title} button (shape {shape}) is linked to a header's cell, so selecting the "
                f"header would run {title} — {fix}"
            )
        else:
            found.cells[entry.name] = address(*cell)
    return found


_ADDED = {normalize(column) for column in SESSIONS.added_when_missing}  # the Sessions columns a run adds


def _literal(sources: dict[str, str]) -> str:
    lines = ["{"]
    for name, source in sources.items():
        lines.append(f"    {name!r}: {source!r},")
    lines.append("}")
    return "\n".join(lines)
