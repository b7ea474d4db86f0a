"""The classic xlwings add-in's *Run main*: it runs `import <workbook name>; <workbook name>.main()` with the
workbook's folder on the path, so `sheetflow new studio.xlsx` writes `studio.py` beside it."""

from __future__ import annotations

import keyword
import re
import unicodedata
from pathlib import Path

RUN_MAIN = '''"""sheetflow for {workbook}: the xlwings add-in's Run main button runs `import {module}; {module}.main()`.

Run main applies the pending Change To rows, then refreshes due dates and flags (which also validates);
what it found is on the Problems sheet and in the status cell of the Sessions sheet.
"""

import xlwings as xw

from sheetflow import excel


def main():
    excel.main(xw.Book.caller())


if __name__ == "__main__":  # run from a terminal or an editor, with the workbook open in Excel
    xw.Book("{workbook}").set_mock_caller()
    main()
'''


def module_name(path: Path) -> str:
    return path.name[: path.name.rfind(".")] if "." in path.name else path.name


def importable_alternative(path: Path) -> str | None:
    """None when the add-in can import the workbook's name; else a name it can, to rename the workbook to."""
    name = module_name(path)
    if name.isidentifier() and not keyword.iskeyword(name):
        return None
    return importable(name) + path.suffix


_LETTERS = str.maketrans(
    {"Æ": "Ae", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "Oe", "œ": "oe", "ß": "ss", "Ł": "L", "ł": "l"}
)
_LETTERS.update(str.maketrans({"Đ": "D", "đ": "d", "Þ": "Th", "þ": "th", "ı": "i"}))


def importable(name: str) -> str:
    """The name as close as Python allows, in plain letters where it has them (they work on every disk and in
    every add-in; an accented name can be stored two ways, and only one imports): "2026-studio" → studio_2026,
    "Café Lumière" → Cafe_Lumiere, "class" → class_studio. Digits in front go to the end, where Python allows
    them; words keep their case; spaces, dashes and dots become "_"."""
    plain = unicodedata.normalize("NFKD", name.translate(_LETTERS)).encode("ascii", "ignore").decode("ascii")
    fixed = re.sub(r"[^A-Za-z0-9]+", "_", plain).strip("_")
    if not re.search("[A-Za-z]", fixed):  # a name in another script: its own letters, which Python allows
        fixed = re.sub(r"\W+", "_", unicodedata.normalize("NFC", name)).strip("_") or fixed
    digits = re.match(r"[0-9_]*", fixed).group()  # a name can't start with a digit: "2026 Smith" → Smith_2026
    if digits:
        rest = fixed[len(digits) :]
        fixed = f"{rest or 'studio'}_{digits.strip('_')}"
    fixed = fixed or "studio"
    if keyword.iskeyword(fixed):
        fixed += "_studio"
    return fixed


def sheets_problem(path: Path, after_init: str = "") -> tuple[str, str] | None:
    """What the workbook lacks of the sheets every run works on (Settings, Statuses, Sessions), and the fix; None
    when they are all there. Only the sheets' names and first rows are read (and Settings, for the Sessions sheet
    it may name), so it is quick on any workbook; one that can't be read says why. `after_init` is what to do once
    `sheetflow init` has run."""
    from ..core.mapping import read_mapping
    from ..core.problems import WorkbookError
    from ..core.schema import SESSIONS, SETTINGS, STATUSES
    from ..workbook.reader import read_heads, read_tables

    def folded(name: str) -> str:
        return " ".join(name.split()).casefold()

    try:
        there = {folded(name) for name in read_heads(path, skip=[SESSIONS.name])}  # only the names are needed
        sessions = SESSIONS.name
        if folded(SETTINGS.name) in there:
            sessions = read_mapping(read_tables(path, (SETTINGS.name,))[SETTINGS.name]).sheet
    except WorkbookError as exc:
        return str(exc), "open it in Excel to check it, or use a backup copy"
    missing = [name for name in (SETTINGS.name, STATUSES.name) if folded(name) not in there]
    if folded(sessions) not in there and sessions != SESSIONS.name:  # the studio's own sheet, named in Settings
        return (
            f'the Settings sheet says the sessions are on the "{sessions}" sheet, and {path.name} has no sheet of '
            "that name",
            'type the name of the sheet that lists your sessions in the "Sessions sheet" row of Settings (or rename '
            "the sheet back)",
        )
    if folded(sessions) not in there and sessions == SESSIONS.name:
        missing.append(SESSIONS.name)
    if not missing:
        return None
    listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + f" or {missing[-1]}"
    fresh = Path(importable_alternative(path) or path.name)
    return (
        f"{path.name} has no {listed} sheet, which sheetflow needs",
        f"to use this workbook of your own, run `sheetflow init {path.name}` (it adds what is missing and keeps "
        f"your sheets){after_init}; to start a fresh studio workbook instead, run `sheetflow new "
        f"{fresh.stem}_new{fresh.suffix}`",
    )


def write_run_main(workbook: Path, force: bool = False) -> str:
    """Write the workbook's .py for Run main; returns what to tell the studio owner."""
    if not workbook.exists():
        return f"{workbook} does not exist — create it with `sheetflow new {workbook.name}`"
    better = importable_alternative(workbook)
    if better is not None:
        return (
            f"{workbook.name}: the xlwings add-in's Run main imports the workbook's name as Python, and "
            f'"{module_name(workbook)}" can\'t be imported — rename the workbook to {better} and run '
            f"`sheetflow new {better}` (or `sheetflow excel runmain {better}`) to get its .py"
        )
    problem = sheets_problem(workbook, after_init=f", then `sheetflow excel runmain {workbook.name}` again")
    if problem is not None:
        found, fix = problem
        return f"{found}, so Run main would have nothing to work on and no .py was written — {fix}"
    target = workbook.with_suffix(".py")
    if target.exists() and not force:
        return f"{target.name} already exists and was kept (add --force to replace it)"
    name = module_name(workbook)
    from ..workbook.replace import CannotSave, replace_file

    text = RUN_MAIN.format(workbook=workbook.name, module=name)
    try:  # sheetflow's one replace: a new .py follows the umask, a replaced one keeps its owner and mode
        replace_file(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except CannotSave as exc:
        return (
            f"{target.name} was not written: {exc.problem} — {exc.fix}, then run `sheetflow excel runmain "
            f"{workbook.name}`"
        )
    return f"{target.name} written beside it: the xlwings add-in's Run main button runs {name}.main()"
