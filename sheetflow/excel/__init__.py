"""The Excel front end: the buttons' entry points (`sheetflow.excel.refresh` and the others, which `.xlsm` macros,
Run main and the Lite bundle call), the Lite bundle, Run main's `.py` beside the workbook, and `doctor`."""

from .buttons import (
    BUTTON_CELLS,
    TITLES,
    ExcelWorkbook,
    apply_changes,
    change_status,
    dashboard,
    main,
    refresh,
    renumber_statuses,
    validate,
)

__all__ = [
    "BUTTON_CELLS",
    "TITLES",
    "ExcelWorkbook",
    "apply_changes",
    "change_status",
    "dashboard",
    "main",
    "refresh",
    "renumber_statuses",
    "validate",
]
