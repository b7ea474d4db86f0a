"""`sheetflow doctor`: the checks for what xlwings users most often get wrong, each with how to fix it.

Runs without Excel (and on Linux, where there is none): it reads files — the xlwings package, the add-in in
Excel's start-up folder, the user's xlwings.conf, the workbook and its .py — and never starts Excel.
"""

from __future__ import annotations

import ast
import csv
import importlib.metadata
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .run_main import importable_alternative, module_name, sheets_problem

OK, PROBLEM, INFO = "ok", "problem", "info"
ADDIN = "xlwings.xlam"
VERSION_IN_VBA = re.compile(r'XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]+)"', re.IGNORECASE)
RUN_PYTHON = re.compile(r'"import\s+([\w.]+)\s*;\s*([\w.]+)\.(\w+)\(\)"')


@dataclass
class Check:
    """One finding: what was checked, what was found, and the fix when it is a problem."""

    topic: str
    state: str  # ok, problem, info
    found: str
    fix: str = ""

    def line(self) -> str:
        mark = {OK: "ok     ", PROBLEM: "PROBLEM", INFO: "note   "}[self.state]
        return f"{mark} {self.topic}: {self.found}" + (f" — {self.fix}" if self.fix else "")


def examine(workbook: Path | None = None) -> list[Check]:
    """Every check that applies: this Python, the xlwings package and add-in, the config, and the workbook."""
    checks = [_interpreter()]
    package_version = _xlwings_version()
    checks.append(_package_check(package_version))
    checks += _addin_checks(package_version)
    checks += _config_checks()
    if workbook is not None:
        checks += _workbook_checks(workbook, package_version)
    return checks


# --- Python and xlwings ---------------------------------------------------------------------------------------


def _interpreter() -> Check:
    return Check("Python", OK, f"{sys.executable} (Python {sys.version.split()[0]}) has sheetflow installed", "")


def _xlwings_version() -> str | None:
    try:
        return importlib.metadata.version("xlwings")
    except importlib.metadata.PackageNotFoundError:
        return None


def _package_check(version: str | None) -> Check:
    if version is None:
        return Check(
            "xlwings package",
            PROBLEM,
            "not installed in this Python",
            f'run: "{sys.executable}" -m pip install "xlwings>=0.33"',
        )
    return Check("xlwings package", OK, f"version {version}")


def addin_folders() -> list[Path]:
    """Where `xlwings addin install` puts the add-in: Excel's XLSTART (Windows) or Startup folder (macOS).
    SHEETFLOW_XLSTART names another folder to look in (a company-wide install)."""
    home = Path.home()
    folders = []
    if os.environ.get("SHEETFLOW_XLSTART"):
        folders.append(Path(os.environ["SHEETFLOW_XLSTART"]))
    if os.environ.get("APPDATA"):
        folders.append(Path(os.environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART")
    folders.append(home / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART")
    folders.append(
        home
        / "Library"
        / "Containers"
        / "com.microsoft.Excel"
        / "Data"
        / "Library"
        / "Application Support"
        / "Microsoft"
        / "Office"
        / "Startup.localized"
        / "Excel"
    )
    folders.append(
        home
        / "Library"
        / "Group Containers"
        / "UBF8T346G9.Office"
        / "User Content.localized"
        / "Startup.localized"
        / "Excel"
    )
    return folders


def _addin_checks(package_version: str | None) -> list[Check]:
    found = next((folder / ADDIN for folder in addin_folders() if (folder / ADDIN).is_file()), None)
    if found is None:
        if sys.platform.startswith(("win", "darwin")):
            return [
                Check(
                    "xlwings add-in",
                    PROBLEM,
                    f"{ADDIN} is not in Excel's start-up folder",
                    "close Excel, run `xlwings addin install`, then start Excel again",
                )
            ]
        return [
            Check(
                "xlwings add-in",
                INFO,
                "there is no desktop Excel on this system (the add-in and the .xlsm buttons need Windows or macOS)",
                "here, use xlwings Lite or the sheetflow command",
            )
        ]
    addin_version = _vba_version(found.read_bytes())
    if addin_version is None:
        return [
            Check(
                "xlwings add-in",
                PROBLEM,
                f"{found} holds no xlwings version",
                "close Excel and run `xlwings addin install` to replace it",
            )
        ]
    if package_version is not None and addin_version != package_version:
        return [
            Check(
                "xlwings add-in",
                PROBLEM,
                f"{found} is version {addin_version}, the xlwings package is "
                f"{package_version} (xlwings refuses to run when they differ)",
                "close Excel and run `xlwings addin install` with this Python to install the matching add-in",
            )
        ]
    return [Check("xlwings add-in", OK, f"{found}, version {addin_version}")]


def _vba_version(office_file: bytes) -> str | None:
    """The XLWINGS_VERSION constant in a workbook's or add-in's VBA (the add-in and standalone modules carry it)."""
    for source in vba_sources(office_file).values():
        match = VERSION_IN_VBA.search(source)
        if match:
            return match.group(1)
    return None


def vba_sources(office_file: bytes) -> dict[str, str]:
    """Module name → source of the VBA project inside an .xlsm/.xlam; empty when there is none."""
    from ..authoring.vba import read_modules

    try:
        with zipfile.ZipFile(io.BytesIO(office_file)) as package:
            names = [n for n in package.namelist() if n.lower().endswith("vbaproject.bin")]
            if not names:
                return {}
            return read_modules(package.read(names[0]))
    except (zipfile.BadZipFile, ValueError, OSError):
        return {}


# --- xlwings.conf --------------------------------------------------------------------------------------------


def _config_checks() -> list[Check]:
    config = Path.home() / ".xlwings" / "xlwings.conf"
    if not config.is_file():
        return [
            Check(
                "interpreter setting",
                INFO,
                "no ~/.xlwings/xlwings.conf: the add-in uses its own Interpreter setting, else the python on the PATH",
                f"if sheetflow isn't found from Excel, set the add-in's Interpreter to \"{sys.executable}\"",
            )
        ]
    settings = _read_conf(config.read_text(encoding="utf-8", errors="replace").splitlines())
    return list(_interpreter_settings(settings, f"{config}"))


def _read_conf(lines: list[str]) -> dict[str, str]:
    """xlwings.conf rows are `"KEY","value"` CSV lines (the same on a workbook's xlwings.conf sheet)."""
    settings = {}
    for row in csv.reader(lines):
        if len(row) >= 2 and row[0].strip():
            settings[row[0].strip().upper()] = row[1].strip()
    return settings


def _interpreter_settings(settings: dict[str, str], where: str) -> Iterator[Check]:
    key = "INTERPRETER_MAC" if sys.platform == "darwin" else "INTERPRETER_WIN"
    for name in ("INTERPRETER_WIN", "INTERPRETER_MAC"):
        value = settings.get(name, "")
        if not value:
            continue
        if name != key:
            yield Check(f"{name} in {where}", INFO, f"{value} (for the other system, not checked here)")
            continue
        yield _interpreter_check(f"{name} in {where}", value)


def _interpreter_check(topic: str, value: str) -> Check:
    path = Path(os.path.expandvars(os.path.expanduser(value)))
    if not path.exists():
        return Check(topic, PROBLEM, f"{value} does not exist", f'set it to "{sys.executable}"')
    try:
        done = subprocess.run(
            [str(path), "-c", "import sheetflow"], capture_output=True, timeout=60, cwd=tempfile.gettempdir()
        )  # not this folder: a sheetflow checkout here would count
    except OSError as exc:
        return Check(topic, PROBLEM, f"{value} does not run ({exc.strerror})", f'set it to "{sys.executable}"')
    if done.returncode != 0:
        return Check(
            topic,
            PROBLEM,
            f"{value} runs, but has no sheetflow installed",
            f'install it there (in the sheetflow folder: "{value}" -m pip install ".[excel]") or set it to '
            f'"{sys.executable}"',
        )
    return Check(topic, OK, f"{value} has sheetflow installed")


# --- the workbook --------------------------------------------------------------------------------------------


def _workbook_checks(path: Path, package_version: str | None) -> list[Check]:
    if not path.is_file():
        return [
            Check(
                "workbook",
                PROBLEM,
                f"{path} does not exist",
                f"check the path, or create it with `sheetflow new {path.name}`",
            )
        ]
    data = path.read_bytes()
    if not zipfile.is_zipfile(path):
        return [
            Check(
                "workbook",
                PROBLEM,
                f"{path.name} is not an .xlsx/.xlsm workbook",
                "save it from Excel as an Excel Workbook (.xlsx) or Excel Macro-Enabled Workbook (.xlsm)",
            )
        ]
    checks = _run_main_checks(path)
    if path.suffix.lower() == ".xlsm":  # its buttons call sheetflow directly: Run main is only the add-in's extra
        checks = [
            Check(
                c.topic,
                INFO if c.state == PROBLEM else c.state,
                c.found
                + (
                    " (only the add-in's Run main needs it; the workbook's buttons don't)" if c.state == PROBLEM else ""
                ),
                c.fix,
            )
            for c in checks
        ]
    checks.insert(0, _sheets_check(path))
    checks += _workbook_config_checks(path)
    if path.suffix.lower() == ".xlsm":
        checks += _macro_checks(path, data, package_version)
    return checks


def _sheets_check(path: Path) -> Check:
    """Settings, Statuses and Sessions, which every button works on, must be there."""
    problem = sheets_problem(path)
    if problem is not None:
        return Check("workbook sheets", PROBLEM, *problem)
    return Check("workbook sheets", OK, "Settings, Statuses and Sessions are there")


def _run_main_checks(path: Path) -> list[Check]:
    """The add-in's Run main imports the workbook's name: it must be a Python name, with a .py defining main()."""
    better = importable_alternative(path)
    if better is not None:
        return [
            Check(
                "Run main",
                PROBLEM,
                f'"{module_name(path)}" is not a name Python can import',
                f"rename the workbook to {better}, then run `sheetflow excel runmain {better}`",
            )
        ]
    script = path.with_suffix(".py")
    if not script.is_file():
        return [
            Check(
                "Run main",
                PROBLEM,
                f"{script.name} is missing beside the workbook",
                f"run `sheetflow excel runmain {path.name}`",
            )
        ]
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"), filename=script.name)
    except (SyntaxError, UnicodeDecodeError) as exc:
        return [
            Check(
                "Run main",
                PROBLEM,
                f"{script.name} is not valid Python ({exc})",
                f"run `sheetflow excel runmain {path.name} --force` to write it again",
            )
        ]
    if not any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
        return [
            Check(
                "Run main",
                PROBLEM,
                f"{script.name} has no main() function",
                f"run `sheetflow excel runmain {path.name} --force` to write it again",
            )
        ]
    shadowed = _shadows(module_name(path))
    if shadowed:
        return [
            Check(
                "Run main",
                PROBLEM,
                f'"{module_name(path)}" is also the name of {shadowed}, which Python may import instead',
                f"rename the workbook (e.g. {module_name(path)}_studio{path.suffix})",
            )
        ]
    return [Check("Run main", OK, f"{script.name} defines main()")]


def _shadows(name: str) -> str:
    """A workbook named like a module Python already has (sheetflow, xlwings, calendar…) runs the wrong code."""
    if name in sys.stdlib_module_names:
        return "a standard library module"
    if name.casefold() in {"sheetflow", "xlwings", "pandas", "openpyxl", "numpy"}:
        return "an installed package"
    return ""


def _workbook_config_checks(path: Path) -> list[Check]:
    """A sheet named xlwings.conf overrides the add-in's settings for this workbook (_xlwings.conf is inactive)."""
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine's errors are not one class; an unreadable file shows up in other checks
        return []
    if "xlwings.conf" not in book.sheet_names:
        return []
    rows = book.get_sheet_by_name("xlwings.conf").to_python()
    settings = {str(r[0]).strip().upper(): str(r[1]).strip() for r in rows if len(r) >= 2 and str(r[0]).strip()}
    return list(_interpreter_settings(settings, "the workbook's xlwings.conf sheet"))


def _macro_checks(path: Path, data: bytes, package_version: str | None) -> list[Check]:
    sources = vba_sources(data)
    if not sources:
        return [
            Check(
                "macros",
                PROBLEM,
                f"{path.name} has no VBA project, so its buttons do nothing",
                f"create the workbook again with `sheetflow new {path.stem}.xlsm`, then copy your data over",
            )
        ]
    from .. import excel

    checks = []
    calls = [(module, match) for module, source in sources.items() for match in RUN_PYTHON.finditer(source)]
    for module, (imported, prefix, function) in ((m, x.groups()) for m, x in calls):
        if imported == "sheetflow.excel" and prefix == imported:
            if callable(getattr(excel, function, None)):
                checks.append(Check(f"macro in {module}", OK, f"runs sheetflow.excel.{function}()"))
            else:
                checks.append(
                    Check(
                        f"macro in {module}",
                        PROBLEM,
                        f"calls sheetflow.excel.{function}(), which this sheetflow doesn't have",
                        f"create the workbook again with `sheetflow new "
                        f"{path.stem}.xlsm` (the macros come from an older or newer sheetflow)",
                    )
                )
    embedded = next((VERSION_IN_VBA.search(s).group(1) for s in sources.values() if VERSION_IN_VBA.search(s)), None)
    if embedded and package_version and embedded != package_version:
        checks.append(
            Check(
                "xlwings module in the workbook",
                PROBLEM,
                f"version {embedded}, the xlwings package is {package_version}",
                f"install xlwings=={embedded} or update the module with `xlwings quickstart` and copy it over",
            )
        )
    if not calls:
        checks.append(Check("macros", INFO, "the VBA project runs no sheetflow entry point"))
    return checks
