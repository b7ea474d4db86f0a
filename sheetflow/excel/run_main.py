"""The classic xlwings add-in's *Run main*: it runs `import <workbook name>; <workbook name>.main()` with the
workbook's folder on the path, so `sheetflow new studio.xlsx` writes `studio.py` beside it."""

from __future__ import annotations

import keyword
import re
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
    fixed = re.sub(r"\W+", "_", name).strip("_") or "studio"
    if fixed[0].isdigit():
        fixed = "studio_" + fixed
    if keyword.iskeyword(fixed):
        fixed += "_studio"
    return fixed + path.suffix


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
