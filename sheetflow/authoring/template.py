"""Authors the studio's workbook from nothing: the shipped template, and the sample studio of `sheetflow new --sample`.

New workbooks may be written by any library (SPEC §8); xlsxwriter gives tables, dropdowns and conditional formats
that both Excel and LibreOffice open, and byte-identical output for identical input.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import IO

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_cell_to_rowcol
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.calendar import BusinessCalendar
from ..core.cells import column_letter
from ..core.schema import (
    ALL_SHEETS,
    COLUMN_WIDTHS,
    DASHBOARD,
    DATE_FORMAT,
    DATE_ORDERS,
    ENTRY_POINTS,
    FIRED,
    FLAG_OVERDUE,
    HOLD_WORD,
    HOLIDAYS,
    LISTS,
    NEXT_WORD,
    NO,
    NOTES,
    OUTBOX,
    PROBLEMS,
    RESUME_WORD,
    SESSIONS,
    SETTING_DEFAULTS,
    SETTINGS,
    SMTP_SECURITY,
    STATUSES,
    TASKS,
    TEXT_FORMAT,
    TIMESTAMP_FORMAT,
    TRIGGERS,
    WEEKDAYS,
    WHOLE_NUMBER_FORMAT,
    YES,
    SheetSchema,
    column_width,
)
from ..core.triggers import ACTIONS as TRIGGER_ACTIONS
from ..core.triggers import DATE_BASES as TRIGGER_DATE_BASES

Target = str | os.PathLike[str] | IO[bytes]

SHEET_ORDER = (
    SESSIONS,
    STATUSES,
    SETTINGS,
    LISTS,
    HOLIDAYS,
    TRIGGERS,
    NOTES,
    TASKS,
    OUTBOX,
    PROBLEMS,
    DASHBOARD,
    FIRED,
)
TABLE_SHEETS = (SESSIONS, STATUSES, SETTINGS, LISTS, HOLIDAYS, TRIGGERS, NOTES, TASKS, OUTBOX)
TABLE_STYLE = "Table Style Light 9"
RULE_LAST_ROW = 5000  # dropdowns and row colours cover data rows 2..5000
CREATED = dt.datetime(2026, 1, 1)  # a fixed docProps date keeps the build byte-identical
# The column kinds and widths are declared with the sheets (core/schema.py); these are views of them by sheet.
DATE_COLUMNS: dict[SheetSchema, tuple[str, ...]] = {schema: schema.dates for schema in ALL_SHEETS if schema.dates}
TIMESTAMP_COLUMNS: dict[SheetSchema, tuple[str, ...]] = {
    schema: schema.timestamps for schema in ALL_SHEETS if schema.timestamps
}
WIDTHS = COLUMN_WIDTHS
# Long texts wrap at their column's width, on screen and on paper, instead of running into the next column.
WRAPPED_COLUMNS = frozenset(
    {"Change Note", "Trigger", "Subject", "Message", "Note", "Task", "Body", "Error", "Problem", "How to fix"}
)
# Identifiers read as names, left-aligned beside the client's, whether typed as 1004 or S-1004.
ID_COLUMNS = frozenset({"Session ID", "Task ID", "Message ID"})
HEADER_ROW_HEIGHT = 30  # points: two lines of the bold 11-point header
PRINT_FOOTER = "&CPage &P of &N"
PRINTED_SESSIONS_UP_TO = "Days Overdue"  # the last Sessions column on paper
MAX_SHEET_ROWS = 1_048_576

YES_NO = [YES, NO]
DATE_BASES = list(TRIGGER_DATE_BASES)
ACTIONS = list(TRIGGER_ACTIONS)


def table_name(schema: SheetSchema) -> str:
    return f"{schema.name}Table"


def col(schema: SheetSchema, column: str) -> int:
    """0-based position of a column in the template; a misspelt column name fails the build instead of hiding."""
    try:
        return schema.columns.index(column)
    except ValueError:
        raise KeyError(f"{schema.name} has no column {column!r}") from None


def letter(schema: SheetSchema, column: str) -> str:
    return column_letter(col(schema, column) + 1)


def setting_key(name: str) -> str:
    if name not in SETTING_DEFAULTS:
        raise KeyError(f"no setting {name!r}")
    return name


DUE_SOON_SETTING = setting_key("Due soon (business days)")


# --- Workbook names: dropdown sources that grow with their tables, and the row-colour rules' helpers ----------
# Dropdowns and conditional formats may not use structured references (StatusesTable[Description]) themselves,
# but they may use a name that does; Excel and LibreOffice 7.4 both resolve such names, and they grow with the table.


def _column_ref(schema: SheetSchema, column: str) -> str:
    col(schema, column)
    return f"{table_name(schema)}[{column}]"


def _setting_value(name: str) -> str:
    """A Settings value found by its Setting name, so the rows can be reordered."""
    return f'INDEX(SettingValues,MATCH("{setting_key(name)}",SettingNames,0))'


def _workday_intl(start: str, days: str) -> str:
    # Excel stores WORKDAY.INTL as _xlfn.WORKDAY.INTL; LibreOffice 7.4 only reads the bare name, so the bare
    # call is the fallback that Excel never reaches.
    args = f"{start},{days},WeekendMask,HolidayDates"
    return f"IFERROR(_xlfn.WORKDAY.INTL({args}),WORKDAY.INTL({args}))"


def _is_yes(value: str) -> str:
    """A Yes/No setting as sheetflow reads it (Yes, Y, True, 1, x), FALSE when the Settings row is missing."""
    upper = f"UPPER({value})"
    return "IFERROR(OR(" + ",".join(f'{upper}="{word}"' for word in ("YES", "Y", "TRUE", "1", "X")) + "),FALSE)"


DEFINED_NAMES: dict[str, str] = {
    "StatusNames": _column_ref(STATUSES, "Description"),
    "StatusTypes": _column_ref(STATUSES, "Session Type"),
    "StatusesByType": _is_yes(_setting_value("Statuses by type")),
    "StatusFinal": _column_ref(STATUSES, "Final"),
    "SessionTypes": _column_ref(LISTS, "Session Type"),
    "Stages": _column_ref(LISTS, "Stage"),
    "Users": _column_ref(LISTS, "User"),
    "Reasons": _column_ref(LISTS, "Reason"),
    "HolidayDates": _column_ref(HOLIDAYS, "Date"),
    "SettingNames": _column_ref(SETTINGS, "Setting"),
    "SettingValues": _column_ref(SETTINGS, "Value"),
    "DueSoonDays": _setting_value(DUE_SOON_SETTING),
    # WORKDAY.INTL's mask, Monday first: "0" a working day, "1" a day off.
    "WeekendMask": "&".join(f'IF({_setting_value(day)}="{YES}","0","1")' for day in WEEKDAYS),
    "DueSoonUntil": _workday_intl("TODAY()", "DueSoonDays"),
}


def status_choices(row: int = 2) -> str:
    """What the Status and Change To dropdowns offer a session: with Statuses by type, its own type's statuses — the
    rows of its cycle, which the Statuses sheet keeps together and in sort order (core/maintenance.tidy) — else,
    or for a type with no statuses, every status."""
    session_type = f"${letter(SESSIONS, 'Session Type')}{row}"
    count = f"COUNTIF(StatusTypes,{session_type})"
    first = f"MATCH({session_type},StatusTypes,0)"
    return (
        f'IF(AND(StatusesByType,{session_type}<>"",{count}>0),'
        f"OFFSET(INDEX(StatusNames,1),{first}-1,0,{count},1),StatusNames)"
    )


def sessions_print_area() -> str:
    """Session ID … Days Overdue, whole columns spelt out with their rows ($A$1:$N$1048576, which Excel shows as
    $A:$N; openpyxl reads only this form back)."""
    return f"{SESSIONS.name}!$A$1:${letter(SESSIONS, PRINTED_SESSIONS_UP_TO)}${MAX_SHEET_ROWS}"


def _not_final(row: int) -> str:
    status = f"${letter(SESSIONS, 'Status')}{row}"
    return f'COUNTIFS(StatusNames,{status},StatusFinal,"{YES}")=0'


def _not_held(row: int) -> str:
    return f'${letter(SESSIONS, "Held Since")}{row}=""'  # on hold: its clock is stopped, never coloured late


def overdue_formula(row: int = 2) -> str:
    """Overdue (SPEC §5): a due date before today, the status is not a Final one, and it is not on hold."""
    due = f"${letter(SESSIONS, 'Due Date')}{row}"
    return f"AND(ISNUMBER({due}),{due}<TODAY(),{_not_final(row)},{_not_held(row)})"


def due_soon_formula(row: int = 2) -> str:
    """Due soon (SPEC §5): today <= due date <= WORKDAY.INTL(today, Due soon), not Final, not on hold."""
    due = f"${letter(SESSIONS, 'Due Date')}{row}"
    return f"AND(ISNUMBER({due}),{due}>=TODAY(),{due}<=DueSoonUntil,{_not_final(row)},{_not_held(row)})"


# --- Building ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formats:
    date: Format
    timestamp: Format
    whole: Format
    text: Format
    bold: Format
    title: Format
    note: Format
    overdue_row: Format
    due_soon_row: Format
    overdue_flag: Format
    header: Format
    wrapped: Format
    wrapped_text: Format
    plain: Format
    identifier: Format

    @classmethod
    def add_to(cls, wb: Workbook) -> Formats:
        top = {"valign": "top"}  # every data cell at the top: a wrapped text beside them starts on the same line
        return cls(
            # dates and counts centred: right-aligned beside a left-aligned text they read as one ("2026-12-01P-…")
            date=wb.add_format({"num_format": DATE_FORMAT, "align": "center", **top}),
            timestamp=wb.add_format({"num_format": TIMESTAMP_FORMAT, "align": "center", **top}),
            whole=wb.add_format({"num_format": WHOLE_NUMBER_FORMAT, "align": "center", **top}),
            text=wb.add_format({"num_format": TEXT_FORMAT, **top}),
            bold=wb.add_format({"bold": True}),
            title=wb.add_format({"bold": True, "font_size": 16}),
            note=wb.add_format({"italic": True, "font_color": "#595959"}),
            overdue_row=wb.add_format({"bg_color": "#FFC7CE"}),
            due_soon_row=wb.add_format({"bg_color": "#FFEB9C"}),
            overdue_flag=wb.add_format({"bold": True, "font_color": "#C00000"}),
            header=wb.add_format({"bold": True, "text_wrap": True, "valign": "top"}),
            wrapped=wb.add_format({"text_wrap": True, "valign": "top"}),
            wrapped_text=wb.add_format({"num_format": TEXT_FORMAT, "text_wrap": True, "valign": "top"}),
            plain=wb.add_format(top),
            # an ID is a name for the session, read beside the client's: left-aligned like text, 1004 or S-1004
            identifier=wb.add_format({"align": "left", **top}),
        )

    def for_column(self, schema: SheetSchema, column: str) -> Format | None:
        """The format of the column's kind, as its SheetSchema declares it; a long text's wraps."""
        if column in WRAPPED_COLUMNS:
            return self.wrapped_text if schema.number_format(column) == TEXT_FORMAT else self.wrapped
        if column in ID_COLUMNS:
            return self.identifier
        return {
            DATE_FORMAT: self.date,
            TIMESTAMP_FORMAT: self.timestamp,
            WHOLE_NUMBER_FORMAT: self.whole,
            TEXT_FORMAT: self.text,
        }.get(schema.number_format(column) or "", self.plain)


def _write(ws: Worksheet, row: int, column: int, value: object, fmt: Format | None) -> None:
    if value is None or value == "":
        return
    if isinstance(value, dt.date):
        ws.write_datetime(row, column, value, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(row, column, value, fmt)
    else:
        ws.write_string(row, column, str(value), fmt)


def _table_sheet(ws: Worksheet, schema: SheetSchema, rows: Sequence[Mapping[str, object]], fmt: Formats) -> None:
    """Header, column widths and formats, the rows, and an Excel table over them (which needs one data row)."""
    for c, column in enumerate(schema.columns):
        # Column formats, so a date typed into a new row is a date too.
        ws.set_column(c, c, column_width(schema, column), fmt.for_column(schema, column))
    for r, values in enumerate(rows, start=1):
        for column, value in values.items():
            _write(ws, r, col(schema, column), value, fmt.for_column(schema, column))
    ws.add_table(
        0,
        0,
        max(len(rows), 1),
        len(schema.columns) - 1,
        {
            "name": table_name(schema),
            "style": TABLE_STYLE,
            "columns": [{"header": column, "header_format": fmt.header} for column in schema.columns],
        },
    )
    _header_row(ws)


def _header_row(ws: Worksheet) -> None:
    """The header row two lines tall and frozen, and the sheet's print setup."""
    ws.set_row(0, HEADER_ROW_HEIGHT)
    ws.freeze_panes(1, 0)
    _print_setup(ws)


def _print_setup(ws: Worksheet) -> None:
    """Printed, a sheet is as wide as the page: landscape, all columns on one page width (as many pages down as
    it takes), the header row on every page and the page numbers in the footer."""
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_footer(PRINT_FOOTER)


def _dropdown(
    ws: Worksheet,
    schema: SheetSchema,
    column: str,
    source: str | list[str],
    *,
    kind: str = "warning",
    message: str = "",
) -> None:
    """A dropdown on a column's data rows. 'warning' and 'information' let a value outside the list stay."""
    c = col(schema, column)
    options: dict[str, object] = {"validate": "list", "source": source, "error_type": kind}
    if message:
        options.update(error_title=column, error_message=message)
    ws.data_validation(1, c, RULE_LAST_ROW - 1, c, options)


def _yes_no(ws: Worksheet, schema: SheetSchema, *columns: str) -> None:
    for column in columns:
        _dropdown(
            ws, schema, column, YES_NO, message="Pick Yes or No. (sheetflow also reads Y/N, True/False, 1/0 and x.)"
        )


def _user_dropdown(ws: Worksheet, schema: SheetSchema, column: str) -> None:
    # Anyone may be named, listed on the Lists sheet or not.
    _dropdown(
        ws,
        schema,
        column,
        "=Users",
        kind="information",
        message="Not one of the users on the Lists sheet; it is kept anyway.",
    )


def _sessions(ws: Worksheet, rows: Sequence[Mapping[str, object]], fmt: Formats) -> None:
    _table_sheet(ws, SESSIONS, rows, fmt)
    ws.freeze_panes(1, 2)  # Session ID and Client stay in view
    # Printed, Sessions is the work list: Session ID … Days Overdue (its print area, see sessions_print_area), 14
    # columns that read at a normal size one page wide on A4 or Letter landscape. The change inputs are left off:
    # apply clears them, so on paper they are blank columns that would shrink everything else to fit 19 across.
    ws.set_margins(left=0.25, right=0.25)  # Excel's "Narrow": the 14 columns print a size larger
    status_message = "Not one of the descriptions on the Statuses sheet."
    choices = "=" + status_choices()  # by type: the session's own cycle
    _dropdown(ws, SESSIONS, "Status", choices, message=status_message)
    _dropdown(
        ws,
        SESSIONS,
        "Change To",
        choices,
        message=f"{status_message} Type {NEXT_WORD} for the next status, {HOLD_WORD} to stop its clock, "
        f"{RESUME_WORD} to start it again.",
    )
    _dropdown(ws, SESSIONS, "Session Type", "=SessionTypes", message="Not one of the session types on the Lists sheet.")
    reason_message = "Not one of the reasons on the Lists sheet; it is kept too."
    for column in ("Reason", "Hold Reason"):  # Hold Reason: sheetflow writes it, but a studio may correct it
        _dropdown(ws, SESSIONS, column, "=Reasons", message=reason_message)
    for column in ("Assigned To", "Updated By", "Changed By"):
        _user_dropdown(ws, SESSIONS, column)
    _yes_no(ws, SESSIONS, "Manual Due")
    last = len(SESSIONS.columns) - 1
    # Coloured from the dates themselves, so the colours are right on days sheetflow did not run.
    ws.conditional_format(
        1,
        0,
        RULE_LAST_ROW - 1,
        last,
        {"type": "formula", "criteria": "=" + overdue_formula(), "format": fmt.overdue_row},
    )
    ws.conditional_format(
        1,
        0,
        RULE_LAST_ROW - 1,
        last,
        {"type": "formula", "criteria": "=" + due_soon_formula(), "format": fmt.due_soon_row},
    )
    flag = col(SESSIONS, "Flag")
    ws.conditional_format(
        1,
        flag,
        RULE_LAST_ROW - 1,
        flag,
        {"type": "cell", "criteria": "equal to", "value": f'"{FLAG_OVERDUE}"', "format": fmt.overdue_flag},
    )


BUTTON_WIDTH_CHARS = 16
# The .xlsm's form buttons: (VBA Sub, caption, cell), a view of schema.ENTRY_POINTS; each Sub runs its entry point.
FORM_BUTTONS = tuple((entry.vba_sub, entry.title, entry.cell) for entry in ENTRY_POINTS if entry.vba_sub)


def _form_buttons(ws: Worksheet) -> None:
    """The .xlsm's buttons: Excel form buttons assigned to the VBA project's Subs (RunPython through the add-in)."""
    for macro, caption, cell in FORM_BUTTONS:
        row, column = xl_cell_to_rowcol(cell)
        ws.set_column(column, column, BUTTON_WIDTH_CHARS)
        ws.insert_button(
            row, column, {"macro": macro, "caption": caption, "width": 112, "height": 30, "x_offset": 2, "y_offset": 1}
        )


def _lite_buttons(ws: Worksheet) -> None:
    """xlwings Lite's sheet buttons: a text box over each button cell whose hyperlink targets that cell; Lite
    runs the script bound to the shape's name (set by _name_buttons, as xlsxwriter names them "TextBox N")."""
    for caption, cell in ((entry.title, entry.cell) for entry in ENTRY_POINTS if entry.lite_shape):
        row, column = xl_cell_to_rowcol(cell)
        ws.set_column(column, column, BUTTON_WIDTH_CHARS)
        ws.insert_textbox(
            row,
            column,
            caption,
            {
                "width": 112,
                "height": 30,
                "x_offset": 2,
                "y_offset": 1,
                "object_position": 1,
                "url": f"internal:{SESSIONS.name}!{cell}",
                "tip": f"{caption} (xlwings Lite)",
                "font": {"bold": True, "color": "#FFFFFF", "size": 10},
                "fill": {"color": "#2F5597"},
                "line": {"color": "#1F3864"},
                "align": {"vertical": "middle", "horizontal": "center"},
            },
        )


def _name_buttons(package: bytes) -> bytes:
    """Give the Lite buttons their names (btnApplyChanges…) in the Sessions drawing; every other member and
    the zip's fixed timestamps are kept, so the build stays byte-identical."""
    names = iter(entry.lite_shape for entry in ENTRY_POINTS if entry.lite_shape)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/drawings/drawing1.xml":
                data = re.sub(rb'name="TextBox \d+"', lambda _: b'name="%s"' % next(names).encode(), data)
            dst.writestr(info, data)
    if next(names, None) is not None:
        raise AssertionError("the Sessions drawing is missing a Lite button")
    return out.getvalue()


def _statuses(ws: Worksheet, rows: Sequence[Mapping[str, object]], fmt: Formats) -> None:
    _table_sheet(ws, STATUSES, rows, fmt)
    _dropdown(ws, STATUSES, "Session Type", "=SessionTypes", message="Not one of the session types on the Lists sheet.")
    _dropdown(ws, STATUSES, "Stage", "=Stages", message="Not one of the stages on the Lists sheet.")
    _user_dropdown(ws, STATUSES, "Default User")
    _yes_no(ws, STATUSES, "Initial", "Final", "Inactive")


def _settings(ws: Worksheet, values: Mapping[str, object], fmt: Formats) -> None:
    names = list(SETTING_DEFAULTS)
    rows = [{"Setting": name, "Value": values.get(name, SETTING_DEFAULTS[name])} for name in names]
    _table_sheet(ws, SETTINGS, rows, fmt)
    value = col(SETTINGS, "Value")
    for r, name in enumerate(names, start=1):
        if name in WEEKDAYS or name == setting_key("Statuses by type"):
            options: dict[str, object] = {"validate": "list", "source": YES_NO}
        elif name == setting_key("Date order"):
            options = {
                "validate": "list",
                "source": list(DATE_ORDERS),
                "error_title": name,
                "error_message": "Type DMY, MDY or YMD: how dates typed as text are read.",
            }
        elif name == DUE_SOON_SETTING:
            options = {
                "validate": "integer",
                "criteria": ">=",
                "value": 0,
                "error_title": name,
                "error_message": "Type a whole number of business days, such as 2.",
            }
        elif name == setting_key("SMTP security"):
            options = {
                "validate": "list",
                "source": list(SMTP_SECURITY),
                "error_title": name,
                "error_message": "Type starttls (usually port 587), ssl (usually port 465) or none.",
            }
        elif name == setting_key("SMTP port"):
            options = {
                "validate": "integer",
                "criteria": "between",
                "minimum": 1,
                "maximum": 65535,
                "error_title": name,
                "error_message": "Type the port your mail provider gives, such as 587, or leave it blank.",
            }
        elif name == setting_key("SMTP user"):  # where people look for the password row that must not exist
            options = {
                "validate": "any",
                "input_title": "The password stays out of here",
                "input_message": "Never type the password in the workbook. Store it once with: keyring set "
                "sheetflow USER@HOST (or set SHEETFLOW_SMTP_PASSWORD).",
            }
        else:
            continue
        ws.data_validation(r, value, r, value, options)


def _triggers(ws: Worksheet, rows: Sequence[Mapping[str, object]], fmt: Formats) -> None:
    _table_sheet(ws, TRIGGERS, rows, fmt)
    _dropdown(ws, TRIGGERS, "Status", "=StatusNames", message="Not one of the descriptions on the Statuses sheet.")
    _dropdown(ws, TRIGGERS, "Session Type", "=SessionTypes", message="Not one of the session types on the Lists sheet.")
    _dropdown(ws, TRIGGERS, "Date Basis", DATE_BASES, kind="stop")
    _dropdown(ws, TRIGGERS, "Action", ACTIONS, kind="stop")
    _user_dropdown(ws, TRIGGERS, "Assign To")
    _yes_no(ws, TRIGGERS, "Active")


def _problems(ws: Worksheet, fmt: Formats) -> None:
    # No table and no autofilter: sheetflow rewrites this sheet on every run. Problem and How to fix wrap, so
    # both are in view on a laptop's screen and the sheet prints one page wide.
    for c, column in enumerate(PROBLEMS.columns):
        ws.set_column(c, c, column_width(PROBLEMS, column), fmt.for_column(PROBLEMS, column))
        ws.write_string(0, c, column, fmt.header)
    _header_row(ws)


def _dashboard(ws: Worksheet, fmt: Formats) -> None:
    ws.set_column(0, 0, 30)
    ws.write_string(0, 0, DASHBOARD.name, fmt.title)
    ws.write_string(
        1,
        0,
        "Filled in by `sheetflow report` (and the Dashboard button): sessions per stage and "
        "status, overdue and due-soon counts, and the time spent in each status.",
        fmt.note,
    )
    _print_setup(ws)


def _fired(ws: Worksheet, fmt: Formats) -> None:
    """The fired ledger: sheetflow's record of what triggers have done, hidden from view."""
    for c, column in enumerate(FIRED.columns):
        ws.set_column(c, c, column_width(FIRED, column), fmt.for_column(FIRED, column))
        ws.write_string(0, c, column, fmt.header)
    _header_row(ws)
    ws.hide()


def build_workbook(target: Target, *, sample: bool = False, today: dt.date | None = None, macros: bool = False) -> None:
    """Write a new workbook to `target`; the same arguments always give the same bytes. With macros, an .xlsm
    whose form buttons run the entry points through RunPython; without, an .xlsx with xlwings Lite buttons."""
    studio = sample_studio(today or dt.date.today()) if sample else SampleStudio()
    built = io.BytesIO()
    wb = Workbook(
        built,
        {
            "in_memory": True,  # fixed zip timestamps, and no temporary files
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties({"title": "Studio workbook", "comments": "Created by sheetflow", "created": CREATED})
    fmt = Formats.add_to(wb)
    sheets = {schema.name: wb.add_worksheet(schema.name) for schema in SHEET_ORDER}
    _sessions(sheets[SESSIONS.name], studio.sessions, fmt)
    _statuses(sheets[STATUSES.name], studio.statuses, fmt)
    _settings(sheets[SETTINGS.name], studio.settings, fmt)
    _table_sheet(sheets[LISTS.name], LISTS, studio.lists, fmt)
    _table_sheet(sheets[HOLIDAYS.name], HOLIDAYS, studio.holidays, fmt)
    _triggers(sheets[TRIGGERS.name], studio.triggers, fmt)
    _table_sheet(sheets[NOTES.name], NOTES, studio.notes, fmt)
    _table_sheet(sheets[TASKS.name], TASKS, (), fmt)
    _yes_no(sheets[TASKS.name], TASKS, "Done")
    _table_sheet(sheets[OUTBOX.name], OUTBOX, (), fmt)
    _problems(sheets[PROBLEMS.name], fmt)
    _dashboard(sheets[DASHBOARD.name], fmt)
    _fired(sheets[FIRED.name], fmt)
    for name, formula in DEFINED_NAMES.items():
        wb.define_name(name, "=" + formula)
    wb.define_name(f"{SESSIONS.name}!_xlnm.Print_Area", "=" + sessions_print_area())
    if macros:
        from .vba import sheetflow_project

        _form_buttons(sheets[SESSIONS.name])
        wb.add_vba_project(
            io.BytesIO(sheetflow_project([f"Sheet{i}" for i in range(1, len(sheets) + 1)])), is_stream=True
        )
    else:
        _lite_buttons(sheets[SESSIONS.name])
    wb.close()
    data = built.getvalue() if macros else _name_buttons(built.getvalue())
    if isinstance(target, (str, os.PathLike)):
        Path(target).write_bytes(data)
    else:
        target.write(data)


# --- The sample studio ------------------------------------------------------------------------------------------

Rows = list[dict[str, object]]


@dataclass
class SampleStudio:
    """What a new workbook's sheets are filled with: Settings values by name, and rows of {column: value}; empty
    for the template. (Not core.studio.Studio, which is a studio read from its workbook.)"""

    settings: dict[str, object] = field(default_factory=dict)
    lists: Rows = field(default_factory=list)
    statuses: Rows = field(default_factory=list)
    holidays: Rows = field(default_factory=list)
    sessions: Rows = field(default_factory=list)
    triggers: Rows = field(default_factory=list)
    notes: Rows = field(default_factory=list)


# (description, typical duration, stage, default user); the first is Initial, the last Final.
PORTRAIT_CYCLE = (
    ("P-Session Pending", 10, "Booking", "Maya"),
    ("P-Image Capture Pending", 1, "Capture", "Jon"),
    ("P-Upload to Web Pending", 2, "Editing", "Priya"),
    ("P-Sales Presentation Pending", 5, "Sales", "Maya"),
    ("P-Retouch Pending", 7, "Editing", "Priya"),
    ("P-Order Delivered", None, "Delivery", "Maya"),
)
WEDDING_CYCLE = (
    ("W-Session Pending", 15, "Booking", "Maya"),
    ("W-Engagement Shoot Pending", 5, "Capture", "Jon"),  # inactive: the studio stopped offering it
    ("W-Image Capture Pending", 1, "Capture", "Jon"),
    ("W-Online Gallery Pending", 3, "Editing", "Priya"),
    ("W-Album Preview Pending", 5, "Sales", "Maya"),
    ("W-Album Design Pending", 10, "Editing", "Priya"),
    ("W-Retouch Pending", 7, "Editing", "Priya"),
    ("W-Album Delivered", None, "Delivery", "Maya"),
)
INACTIVE_SAMPLE_STATUS = "W-Engagement Shoot Pending"
SAMPLE_TYPES = {"Portrait": PORTRAIT_CYCLE, "Wedding": WEDDING_CYCLE}
# Why sessions move or wait (Spectra's Session Status Results): the Reason dropdown's list.
SAMPLE_REASONS = ("Waiting on client", "Waiting on payment", "Client asked for changes", "Reshoot needed")
SAMPLE_PREFIX = "P-"  # the portrait cycle's, so hubs sort well beside the wedding cycle


def cycle_rows(
    cycle: Sequence[tuple[str, int | None, str, str]], session_type: str = "", inactive: Sequence[str] = ()
) -> Rows:
    """A cycle as Statuses rows: sort orders 10, 20, 30 … (room to insert), the first Initial, the last Final."""
    return [
        {
            "Session Type": session_type,
            "Description": description,
            "Sort Order": 10 * (i + 1),
            "Typical Duration": duration,
            "Initial": YES if i == 0 else NO,
            "Final": YES if i == len(cycle) - 1 else NO,
            "Stage": stage,
            "Default User": user,
            "Inactive": YES if description in inactive else NO,
        }
        for i, (description, duration, stage, user) in enumerate(cycle)
    ]


def starter_statuses() -> Rows:
    """The cycle `sheetflow init` gives a workbook that has none: the sample's portrait cycle, without its prefix
    and without the sample's staff as default users, for the studio to rename and extend."""
    return cycle_rows(
        [
            (description.removeprefix(SAMPLE_PREFIX), duration, stage, "")
            for description, duration, stage, _ in PORTRAIT_CYCLE
        ]
    )


# (id, client, email, phone, type, status, business days from today to the due date — negative: overdue, None: not
# due for a while —, change to)
SAMPLE_SESSIONS: tuple[tuple[int, str, str, str, str, str, int | None, str], ...] = (
    (1001, "Emma Thompson", "emma.thompson@example.com", "555-0101", "Portrait", "P-Session Pending", None, ""),
    (1002, "Liam Carter", "liam.carter@example.com", "", "Portrait", "P-Image Capture Pending", 0, ""),
    (1003, "Sofia Alvarez", "sofia.alvarez@example.com", "555-0103", "Portrait", "P-Upload to Web Pending", -2, ""),
    (
        1004,
        "Noah Williams",
        "noah.williams@example.com",
        "555-0104",
        "Portrait",
        "P-Sales Presentation Pending",
        None,
        NEXT_WORD,
    ),
    (1005, "Olivia Brown", "", "555-0105", "Portrait", "P-Retouch Pending", -6, ""),
    (1006, "Ava Martin", "ava.martin@example.com", "555-0106", "Portrait", "P-Order Delivered", None, ""),
    (1007, "Grace & Ethan Walker", "grace.walker@example.com", "555-0107", "Wedding", "W-Session Pending", None, ""),
    (1008, "Chloe & Daniel Kim", "chloe.kim@example.com", "555-0108", "Wedding", "W-Image Capture Pending", 1, ""),
    (
        1009,
        "Hannah & Lucas Rossi",
        "hannah.rossi@example.com",
        "555-0109",
        "Wedding",
        "W-Online Gallery Pending",
        -1,
        "W-Album Preview Pending",
    ),
    (1010, "Mia & James O'Connor", "mia.oconnor@example.com", "555-0110", "Wedding", "W-Album Design Pending", 2, ""),
    (1011, "Zoe & Ryan Patel", "zoe.patel@example.com", "555-0111", "Wedding", "W-Retouch Pending", None, ""),
    (1012, "Isabella Nguyen", "isabella.nguyen@example.com", "555-0112", "Portrait", "P-Session Pending", 0, ""),
)


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _sample_holidays(today: dt.date) -> dict[dt.date, str]:
    """One closure in the past fortnight and two in the coming month, so the calendar visibly skips them."""
    days = (
        (-9, "Studio closed (staff training)"),
        (11, "Studio closed (trade show)"),
        (25, "Studio closed (team retreat)"),
    )
    return {_weekday_on_or_after(today + dt.timedelta(days=offset)): name for offset, name in days}


def _status_date(calendar: BusinessCalendar, today: dt.date, duration: int | None, due_in: int | None) -> dt.date:
    """A Status Date from which `duration` business days land the due date `due_in` business days from today."""
    if due_in is None:
        return calendar.add_business_days(today, -1)
    return calendar.add_business_days(today, due_in - (duration or 0))


def sample_studio(today: dt.date) -> SampleStudio:
    """Northlight Portraits: a portrait and a wedding cycle, a dozen sessions in every state relative to today."""
    settings: dict[str, object] = {
        "Studio": "Northlight Portraits",
        "Statuses by type": YES,
        "Current user": "Maya",
        "Holiday country": "US",
        "Date order": "DMY",
    }
    for name in settings:
        setting_key(name)
    stages = ("Booking", "Capture", "Editing", "Sales", "Delivery")
    users = ("Maya", "Jon", "Priya")
    lists: Rows = [
        {"Session Type": session_type, "Stage": stage, "User": user, "Reason": reason}
        for session_type, stage, user, reason in zip_longest(SAMPLE_TYPES, stages, users, SAMPLE_REASONS)
    ]
    statuses: Rows = []
    by_name: dict[str, tuple[int | None, str]] = {}
    for session_type, cycle in SAMPLE_TYPES.items():
        statuses += cycle_rows(cycle, session_type, inactive=(INACTIVE_SAMPLE_STATUS,))
        by_name.update({description: (duration, user) for description, duration, _, user in cycle})
    holidays = _sample_holidays(today)
    calendar = BusinessCalendar(holidays=frozenset(holidays))  # the sample's work week is the default Mon-Fri
    sessions: Rows = []
    notes: Rows = []
    for session_id, client, email, phone, session_type, status, due_in, change_to in SAMPLE_SESSIONS:
        duration, user = by_name[status]
        status_date = _status_date(calendar, today, duration, due_in)
        notes += _sample_history(calendar, session_id, client, SAMPLE_TYPES[session_type], status, status_date)
        booked = status.endswith("Session Pending")
        # A booked session is still ahead; any later status comes after the shoot.
        if booked:
            session_date = today + dt.timedelta(days=30 + session_id % 40)
        else:
            session_date = status_date - dt.timedelta(days=3 + session_id % 5)
        row: dict[str, object] = {
            "Session ID": session_id,
            "Client": client,
            "Email": email,
            "Phone": phone,
            "Session Type": session_type,
            "Session Date": session_date,
            "Status": status,
            "Status Date": status_date,
            "Assigned To": user,
            "Updated By": "Maya",
            "Change To": change_to,
        }
        if change_to and change_to != NEXT_WORD:
            row.update({"Changed By": "Priya", "Change Note": "Gallery approved by the couple"})
        sessions.append(row)
    return SampleStudio(
        settings=settings,
        lists=lists,
        statuses=statuses,
        sessions=sessions,
        holidays=[{"Date": day, "Name": name} for day, name in holidays.items()],
        triggers=[dict(zip(TRIGGERS.columns, row, strict=True)) for row in SAMPLE_TRIGGERS],
        notes=sorted(notes, key=lambda note: note["Logged At"]),
    )


def _sample_history(
    calendar: BusinessCalendar,
    session_id: int,
    client: str,
    cycle: tuple[tuple[str, int | None, str, str], ...],
    status: str,
    entered_last: dt.date,
) -> Rows:
    """The Notes rows that brought a sample session to its status: each earlier (active) status held for about its
    typical duration, the editing ones a little longer, so the Dashboard's time in status has a story to tell."""
    steps = [step for step in cycle if step[0] != INACTIVE_SAMPLE_STATUS]
    steps = steps[: [step[0] for step in steps].index(status) + 1]
    entered = [entered_last]
    for _, duration, stage, _ in reversed(steps[:-1]):
        wobble = (session_id * 7 + len(entered) * 5) % 5 - 1 + (2 if stage == "Editing" else 0)
        entered.insert(0, calendar.add_business_days(entered[0], -max(0, (duration or 0) + wobble)))
    rows: Rows = []
    assignee = None
    for i, ((description, duration, _, default_user), day) in enumerate(zip(steps, entered, strict=True)):
        assignee = default_user or assignee  # sheetflow's rule: the status's default user, else whoever had it
        rows.append(
            {
                "Logged At": dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=session_id % 7 * 37 + i),
                "Session ID": session_id,
                "Client": client,
                "From Status": steps[i - 1][0] if i else None,
                "To Status": description,
                "Date Completed": day,
                "Due Date": calendar.add_business_days(day, duration) if duration is not None else None,
                "Updated By": steps[i - 1][3] if i else "Maya",
                "Source": "button",
                "Reason": SAMPLE_MOVE_REASONS.get((session_id, steps[i - 1][0])) if i else None,
                "Assigned To": assignee,
            }
        )
    return rows


# Why a few sample sessions moved on (session, the status it left), so the Dashboard's reasons have a story too.
SAMPLE_MOVE_REASONS = {
    (1003, "P-Image Capture Pending"): "Reshoot needed",
    (1005, "P-Sales Presentation Pending"): "Client asked for changes",
    (1006, "P-Sales Presentation Pending"): "Client asked for changes",
    (1011, "W-Album Design Pending"): "Client asked for changes",
}


# Trigger, Session Type, Status, Date Basis, Offset Days, Action, Assign To, Subject, Message, Active.
SAMPLE_TRIGGERS: tuple[tuple[object, ...], ...] = (
    (
        "Portrait session reminder",
        "Portrait",
        "P-Session Pending",
        "Session date",
        -7,
        "Email/Call",
        "",
        "Your portrait session on {{ session_weekday }} {{ session_date }}",
        "Dear {{ client }},\n\nA reminder that your portrait session at {{ studio }} is on {{ session_weekday }} "
        "{{ session_date }}. Reply to this email if you need to change anything.\n\nSee you soon,\n{{ user }}",
        YES,
    ),
    (
        "Wedding day reminder",
        "Wedding",
        "W-Session Pending",
        "Session date",
        -7,
        "Email/Call",
        "",
        "Your wedding day on {{ session_weekday }} {{ session_date }}",
        "Dear {{ client }},\n\nYour wedding day is a week away, and we are looking forward to it. Reply to this "
        "email with the day's timings if anything has changed.\n\nWarm wishes,\n{{ user }}, {{ studio }}",
        YES,
    ),
    (
        "Follow-up call after the sales presentation",
        "Portrait",
        "P-Retouch Pending",
        "Status change",
        3,
        "Call",
        "Maya",
        "Call {{ client }}{% if phone %} on {{ phone }}{% endif %}: happy with the order?",
        "",
        YES,
    ),
    (
        "Portrait retouch overdue",
        "Portrait",
        "P-Retouch Pending",
        "Status due date",
        1,
        "Task",
        "",
        "Retouching for {{ client }} was due {{ due_date }}: finish it or set a new due date",
        "",
        YES,
    ),
    (
        "Wedding retouch overdue",
        "Wedding",
        "W-Retouch Pending",
        "Status due date",
        1,
        "Task",
        "",
        "Retouching for {{ client }} was due {{ due_date }}: finish it or set a new due date",
        "",
        YES,
    ),
    (
        "Gallery ready",
        "Wedding",
        "W-Album Preview Pending",
        "Status change",
        0,
        "SMS/Call",
        "",
        "",
        "Hi {{ client }}, your wedding gallery from {{ studio }} is ready to view. We will call you to book "
        "your album preview. {{ user }}",
        YES,
    ),
)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m sheetflow.authoring.template templates/workbook.xlsx` regenerates the committed template (an
    .xlsm path gives the macro one); `sheetflow new` is the command for studios, the sample included."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0].startswith("-"):
        sys.exit("usage: python -m sheetflow.authoring.template OUT.xlsx")
    path = Path(args[0])
    build_workbook(path, macros=path.suffix.lower() == ".xlsm")


if __name__ == "__main__":
    main()
