"""The Excel front end: the buttons' entry points (`sheetflow.excel.refresh` and the others, which `.xlsm` macros,
Run main and the Lite bundle call), the Lite bundle, Run main's `.py` beside the workbook, and `doctor`."""

from .buttons import (
    BUTTON_CELLS,
    TITLES,
    ExcelWorkbook,
    apply_changes,
    change_status,
    dashboard,
    hide_inactive_statuses,
    main,
    refresh,
    renumber_statuses,
    show_inactive_statuses,
    validate,
)

__all__ = [
    "BUTTON_CELLS",
    "TITLES",
    "ExcelWorkbook",
    "apply_changes",
    "change_status",
    "dashboard",
    "hide_inactive_statuses",
    "main",
    "refresh",
    "renumber_statuses",
    "show_inactive_statuses",
    "validate",
]
