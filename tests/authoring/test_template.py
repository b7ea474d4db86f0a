"""The workbook builder: the committed template is current, and what it and the sample contain is what SPEC §1 says."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from sheetflow.authoring.template import (
    DATE_COLUMNS,
    DATE_FORMAT,
    DEFINED_NAMES,
    INACTIVE_SAMPLE_STATUS,
    RULE_LAST_ROW,
    SHEET_ORDER,
    TABLE_SHEETS,
    TIMESTAMP_COLUMNS,
    TIMESTAMP_FORMAT,
    WIDTHS,
    build_workbook,
    col,
    due_soon_formula,
    letter,
    overdue_formula,
    status_choices,
    table_name,
)
from sheetflow.core.cells import column_index, column_letter
from sheetflow.core.schema import (
    ALL_SHEETS,
    DASHBOARD,
    ENTRY_POINTS,
    FLAG_DUE_SOON,
    FLAG_OVERDUE,
    HOLIDAYS,
    NEXT_WORD,
    NOTES,
    OUTBOX,
    PROBLEMS,
    SESSIONS,
    SETTING_DEFAULTS,
    SETTINGS,
    STATUSES,
    TASKS,
    TRIGGERS,
    WEEKDAYS,
    YES,
    SheetSchema,
)
from sheetflow.core.studio import Studio, apply_pending, load_studio, refresh, validate
from sheetflow.core.tables import table_from_grid

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "workbook.xlsx"
TODAY = dt.date(2026, 3, 11)  # a Wednesday


def build(*, sample: bool = False, today: dt.date = TODAY) -> bytes:
    buffer = io.BytesIO()
    build_workbook(buffer, sample=sample, today=today)
    return buffer.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


@pytest.fixture(scope="module")
def template() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build()))


@pytest.fixture(scope="module")
def sample_bytes() -> bytes:
    return build(sample=True)


@pytest.fixture(scope="module")
def sample(sample_bytes: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(sample_bytes))


def load(data: bytes) -> Studio:
    """The workbook as sheetflow's core reads it (calamine, then tables found by header name)."""
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    tables = {
        schema.name: table_from_grid(schema.name, workbook.get_sheet_by_name(schema.name).to_python(), schema)
        for schema in ALL_SHEETS
        if schema.columns
    }
    return load_studio(tables)


def header(ws: Worksheet) -> list[object]:
    return [cell.value for cell in ws[1]]


def column_number_format(ws: Worksheet, column: int) -> str:
    """The number format of a whole column (openpyxl groups neighbouring <col> elements with equal styles)."""
    for dimension in ws.column_dimensions.values():
        if dimension.min <= column <= dimension.max:
            return dimension.number_format
    return "General"


def column_width(ws: Worksheet, column: int) -> float:
    for dimension in ws.column_dimensions.values():
        if dimension.min <= column <= dimension.max:
            return dimension.width
    return 0.0


# --- The committed template -------------------------------------------------------------------------------------


def test_committed_template_is_current() -> None:
    """Regenerate with `python -m sheetflow.authoring.template templates/workbook.xlsx` when this fails."""
    committed, fresh = members(TEMPLATE.read_bytes()), members(build())
    assert sorted(committed) == sorted(fresh)
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert stale == [], f"templates/workbook.xlsx is stale in {stale}"


def test_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    assert build(sample=True) == build(sample=True)
    build_workbook(tmp_path / "a.xlsx")
    build_workbook(str(tmp_path / "b.xlsx"))
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes() == build()
    assert build(sample=True, today=TODAY) != build(sample=True, today=TODAY + dt.timedelta(days=1))


# --- Sheets, columns, tables ------------------------------------------------------------------------------------


def test_sheets_in_order_with_their_columns_calamine() -> None:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(build()))
    assert workbook.sheet_names == [schema.name for schema in SHEET_ORDER]
    assert {schema.name for schema in ALL_SHEETS} == set(workbook.sheet_names)
    for schema in ALL_SHEETS:
        rows = workbook.get_sheet_by_name(schema.name).to_python()
        if schema is DASHBOARD:
            assert rows[0][0] == DASHBOARD.name
            assert "sheetflow report" in rows[1][0]
        else:
            assert rows[0] == list(schema.columns), schema.name


def test_sheets_in_order_with_their_columns_openpyxl(template: openpyxl.Workbook) -> None:
    assert template.sheetnames == [schema.name for schema in SHEET_ORDER]
    for schema in ALL_SHEETS:
        ws = template[schema.name]
        if schema is DASHBOARD:
            assert ws["A1"].value == DASHBOARD.name
        else:
            assert header(ws) == list(schema.columns), schema.name
    problems = template[PROBLEMS.name]
    assert all(cell.font.bold for cell in problems[1])
    # Problem and How to fix wrap at 50, so How to fix is in view (+ xlsxwriter's padding).
    assert [round(column_width(problems, c)) for c in (1, 2, 3, 4)] == [12, 17, 51, 51]


def test_settings_rows_hold_the_defaults(template: openpyxl.Workbook) -> None:
    ws = template[SETTINGS.name]
    rows = [(row[0].value, row[1].value) for row in ws.iter_rows(min_row=2)]
    assert rows == [(name, None if value == "" else value) for name, value in SETTING_DEFAULTS.items()]
    due_soon = dict(rows)["Due soon (business days)"]
    assert isinstance(due_soon, int) and not isinstance(due_soon, bool)
    assert [dict(rows)[day] for day in WEEKDAYS] == ["Yes"] * 5 + ["No"] * 2


def test_tables_on_the_data_sheets_only(template: openpyxl.Workbook, sample: openpyxl.Workbook) -> None:
    assert sample[SESSIONS.name].tables[table_name(SESSIONS)].ref == f"A1:{letter(SESSIONS, 'Hold Reason')}13"
    assert template[SETTINGS.name].tables[table_name(SETTINGS)].ref == f"A1:B{1 + len(SETTING_DEFAULTS)}"
    for workbook in (template, sample):
        for schema in TABLE_SHEETS:
            ws = workbook[schema.name]
            assert list(ws.tables) == [table_name(schema)]
            table = ws.tables[table_name(schema)]
            last_row = max(ws.max_row, 2)  # an empty table keeps one blank data row
            assert table.ref == f"A1:{column_letter(len(schema.columns))}{last_row}"
            assert table.tableStyleInfo.name.startswith("TableStyleLight")
            assert not table.totalsRowCount and not table.totalsRowShown
            assert [c.name for c in table.tableColumns] == list(schema.columns)
        for schema in (PROBLEMS, DASHBOARD):
            ws = workbook[schema.name]
            assert not ws.tables and ws.auto_filter.ref is None


def test_defined_names_follow_the_tables(template: openpyxl.Workbook) -> None:
    names = {name: template.defined_names[name].value for name in template.defined_names}
    assert names == DEFINED_NAMES
    assert names["StatusNames"] == "StatusesTable[Description]"
    assert names["StatusFinal"] == "StatusesTable[Final]"
    assert names["SessionTypes"] == "ListsTable[Session Type]"
    assert names["Stages"] == "ListsTable[Stage]"
    assert names["Users"] == "ListsTable[User]"
    assert names["HolidayDates"] == "HolidaysTable[Date]"
    assert "_xlfn.WORKDAY.INTL(TODAY(),DueSoonDays,WeekendMask,HolidayDates)" in names["DueSoonUntil"]
    for day in WEEKDAYS:
        assert f'MATCH("{day}",SettingNames,0))="Yes","0","1")' in names["WeekendMask"]


# --- Dropdowns --------------------------------------------------------------------------------------------------


def validations(ws: Worksheet) -> dict[str, tuple[str, str | None, str]]:
    """sqref -> (type, list source, error style)."""
    return {str(dv.sqref): (dv.type, dv.formula1, dv.errorStyle or "stop") for dv in ws.data_validations.dataValidation}


def data_rows(schema: SheetSchema, column: str) -> str:
    c = letter(schema, column)
    return f"{c}2:{c}{RULE_LAST_ROW}"


def test_sessions_dropdowns(template: openpyxl.Workbook) -> None:
    found = validations(template[SESSIONS.name])
    # by type, the session's own cycle; else every status (tests/authoring/test_dropdowns_by_type.py)
    assert found[data_rows(SESSIONS, "Status")][:2] == ("list", status_choices(2))
    change_to = found[data_rows(SESSIONS, "Change To")]
    assert change_to[:2] == ("list", status_choices(2))
    assert change_to[2] != "stop"  # "next" is not in the list but is a valid Change To
    assert found[data_rows(SESSIONS, "Session Type")][:2] == ("list", "SessionTypes")
    for column in ("Assigned To", "Updated By", "Changed By"):
        assert found[data_rows(SESSIONS, column)] == ("list", "Users", "information")
    assert found[data_rows(SESSIONS, "Manual Due")][:2] == ("list", '"Yes,No"')
    for column in ("Reason", "Hold Reason"):  # the Lists' Reason column
        assert found[data_rows(SESSIONS, column)][:2] == ("list", "Reasons")
    assert not any(ref.endswith("1") and ":" not in ref for ref in found)  # never on the header row


def test_other_dropdowns(template: openpyxl.Workbook) -> None:
    statuses = validations(template[STATUSES.name])
    assert statuses[data_rows(STATUSES, "Session Type")][:2] == ("list", "SessionTypes")
    assert statuses[data_rows(STATUSES, "Stage")][:2] == ("list", "Stages")
    assert statuses[data_rows(STATUSES, "Default User")] == ("list", "Users", "information")
    for column in ("Initial", "Final", "Inactive"):
        assert statuses[data_rows(STATUSES, column)][:2] == ("list", '"Yes,No"')
    triggers = validations(template[TRIGGERS.name])
    assert triggers[data_rows(TRIGGERS, "Status")][:2] == ("list", "StatusNames")
    assert triggers[data_rows(TRIGGERS, "Session Type")][:2] == ("list", "SessionTypes")
    assert triggers[data_rows(TRIGGERS, "Active")][:2] == ("list", '"Yes,No"')
    assert triggers[data_rows(TRIGGERS, "Date Basis")][:2] == ("list", '"Status change,Status due date,Session date"')
    assert triggers[data_rows(TRIGGERS, "Action")][:2] == (
        "list",
        '"Task,Call,Email,SMS,Letter,Email/Call,Email/Letter,SMS/Call"',
    )
    assert validations(template[TASKS.name])[data_rows(TASKS, "Done")][:2] == ("list", '"Yes,No"')

    settings = validations(template[SETTINGS.name])
    value = letter(SETTINGS, "Value")
    row_of = {name: i for i, name in enumerate(SETTING_DEFAULTS, start=2)}
    for name in (*WEEKDAYS, "Statuses by type"):
        assert settings[f"{value}{row_of[name]}"][:2] == ("list", '"Yes,No"')
    assert settings[f"{value}{row_of['Date order']}"][:2] == ("list", '"DMY,MDY,YMD"')
    assert settings[f"{value}{row_of['Due soon (business days)']}"][0] == "whole"


# --- Formats ----------------------------------------------------------------------------------------------------


def test_row_colours_come_from_the_dates(template: openpyxl.Workbook) -> None:
    ws = template[SESSIONS.name]
    rules = {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}
    whole_rows = f"A2:{column_letter(len(SESSIONS.columns))}{RULE_LAST_ROW}"
    overdue, due_soon = rules[whole_rows]
    assert overdue.type == due_soon.type == "expression"
    assert overdue.formula == [overdue_formula(2)]
    assert due_soon.formula == [due_soon_formula(2)]
    due, status, held = letter(SESSIONS, "Due Date"), letter(SESSIONS, "Status"), letter(SESSIONS, "Held Since")
    assert overdue.formula[0] == (  # a session on hold is never coloured late: its clock is stopped
        f'AND(ISNUMBER(${due}2),${due}2<TODAY(),COUNTIFS(StatusNames,${status}2,StatusFinal,"Yes")=0,${held}2="")'
    )
    assert f"${due}2<=DueSoonUntil" in due_soon.formula[0]
    assert overdue.dxf.fill.bgColor.rgb.endswith("FFC7CE")  # light red
    assert due_soon.dxf.fill.bgColor.rgb.endswith("FFEB9C")  # light yellow
    (flag_rule,) = rules[data_rows(SESSIONS, "Flag")]
    assert (flag_rule.type, flag_rule.operator, flag_rule.formula) == ("cellIs", "equal", ['"Overdue"'])
    assert flag_rule.dxf.font.b and flag_rule.dxf.font.color.rgb.endswith("C00000")


def test_date_columns_are_dates_for_new_cells_too(template: openpyxl.Workbook, sample: openpyxl.Workbook) -> None:
    for schema, columns in DATE_COLUMNS.items():
        for column in columns:
            assert column_number_format(template[schema.name], col(schema, column) + 1) == DATE_FORMAT
    for schema, columns in TIMESTAMP_COLUMNS.items():
        for column in columns:
            assert column_number_format(template[schema.name], col(schema, column) + 1) == TIMESTAMP_FORMAT
    assert {NOTES, OUTBOX, TASKS, HOLIDAYS, SESSIONS} <= set(DATE_COLUMNS)
    sessions = sample[SESSIONS.name]
    status_date = sessions.cell(2, col(SESSIONS, "Status Date") + 1)
    assert isinstance(status_date.value, dt.datetime) and status_date.number_format == DATE_FORMAT
    assert column_number_format(sessions, col(SESSIONS, "Days Overdue") + 1) == "0"
    assert column_number_format(sessions, col(SESSIONS, "Phone") + 1) == "@"
    assert column_number_format(template[STATUSES.name], col(STATUSES, "Typical Duration") + 1) == "0"


def test_the_buttons_sit_right_of_the_sessions_headers(template: openpyxl.Workbook) -> None:
    """Hold Reason (V) is the last header; the buttons start at W1, so none covers a header or narrows its column."""
    sessions = template[SESSIONS.name]
    assert header(sessions)[-1] == "Hold Reason" and letter(SESSIONS, "Hold Reason") == "V"
    cells = sorted((column_index(entry.cell.rstrip("0123456789")), entry.cell) for entry in ENTRY_POINTS if entry.cell)
    assert cells[0] == (len(SESSIONS.columns) + 1, "W1")
    assert all(sessions[cell].value is None for _, cell in cells)
    reason_width = column_width(sessions, col(SESSIONS, "Reason") + 1)
    assert column_width(sessions, col(SESSIONS, "Hold Reason") + 1) == reason_width > 20  # not a button's 16


def test_headers_frozen_and_columns_readable(template: openpyxl.Workbook) -> None:
    for schema in SHEET_ORDER:
        expected = {SESSIONS: "C2", DASHBOARD: None}.get(schema, "A2")
        assert template[schema.name].freeze_panes == expected, schema.name
    sessions = template[SESSIONS.name]
    assert column_width(sessions, col(SESSIONS, "Client") + 1) >= 20
    assert column_width(sessions, col(SESSIONS, "Email") + 1) >= 24
    assert column_width(sessions, col(SESSIONS, "Session Date") + 1) >= 12
    every_column = {column for schema in ALL_SHEETS for column in schema.columns}
    assert set(WIDTHS) <= every_column


# --- The sample studio ------------------------------------------------------------------------------------------


def sessions_rows(workbook: openpyxl.Workbook) -> list[dict[str, object]]:
    ws = workbook[SESSIONS.name]
    names = header(ws)
    return [dict(zip(names, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]


def test_sample_studio(sample: openpyxl.Workbook, sample_bytes: bytes) -> None:
    settings = {row[0].value: row[1].value for row in sample[SETTINGS.name].iter_rows(min_row=2)}
    assert settings["Studio"] == "Northlight Portraits"
    assert settings["Statuses by type"] == YES and settings["Current user"] == "Maya"
    assert list(settings) == list(SETTING_DEFAULTS)

    studio = load(sample_bytes)
    assert studio.workflow.by_type and sorted(studio.workflow.cycles) == ["portrait", "wedding"]
    statuses = studio.workflow.all_statuses()
    assert all(cycle.initial and cycle.final for cycle in studio.workflow.cycles.values())
    inactive = [s.description for s in statuses if s.inactive]
    assert inactive == [INACTIVE_SAMPLE_STATUS]
    finals = {s.description for s in statuses if s.final}
    assert len(finals) == 2
    assert all(s.sort_order % 10 == 0 for s in statuses)
    assert all(s.typical_duration is None or 0 <= s.typical_duration <= 15 for s in statuses)
    assert all(s.stage and s.default_user for s in statuses)

    holidays = [row[0].value for row in sample[HOLIDAYS.name].iter_rows(min_row=2)]
    assert len(holidays) == 3
    assert sum(TODAY - dt.timedelta(days=14) <= d.date() < TODAY for d in holidays) == 1
    assert sum(TODAY < d.date() <= TODAY + dt.timedelta(days=31) for d in holidays) == 2

    rows = sessions_rows(sample)
    assert len(rows) == 12
    assert [r["Session ID"] for r in rows] == list(range(1001, 1013))
    assert sum(r["Status"] in finals for r in rows) == 1
    assert sorted(str(r["Change To"]) for r in rows if r["Change To"]) == sorted([NEXT_WORD, "W-Album Preview Pending"])
    assert sum(not r["Email"] for r in rows) == 1 and sum(not r["Phone"] for r in rows) == 1
    assert {r["Session Type"] for r in rows} == {"Portrait", "Wedding"}
    for column in ("Due Date", "Flag", "Days Overdue", "Manual Due"):
        assert all(r[column] is None for r in rows), f"{column} is left for sheetflow's refresh"
    default_user = {s.description: s.default_user for s in statuses}
    assert all(r["Assigned To"] == default_user[r["Status"]] for r in rows)
    triggers = studio.triggers.triggers
    assert [t.name for t in triggers] == [row[0].value for row in sample[TRIGGERS.name].iter_rows(min_row=2)]
    assert all(t.active and t.status in default_user for t in triggers)  # real sample statuses, every one valid
    assert {t.action for t in triggers} >= {"Email/Call", "Call", "Task", "SMS/Call"}
    assert {t.basis for t in triggers} == {"Status change", "Status due date", "Session date"}
    reminder = next(t for t in triggers if t.basis == "Session date")
    assert (reminder.offset, reminder.status) == (-7, "P-Session Pending")


@pytest.mark.parametrize("offset", range(0, 15))
def test_sample_is_valid_and_busy_on_any_day(offset: int) -> None:
    """Whatever the day (weekends and the sample's holidays included), sheetflow finds work in the sample."""
    today = TODAY + dt.timedelta(days=offset)
    studio = load(build(sample=True, today=today))
    assert validate(studio, today).problems == []
    refreshed = refresh(studio, today)
    assert refreshed.problems == []
    assert refreshed.overdue >= 2 and refreshed.due_soon >= 2
    assert len(studio.sessions) - refreshed.overdue - refreshed.due_soon >= 3  # fine, and the delivered one
    applied = apply_pending(studio, today)
    assert (len(applied.applied), applied.rejected) == (2, 0)


# --- LibreOffice ------------------------------------------------------------------------------------------------

SOFFICE = shutil.which("soffice")
RECALC_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def soffice_convert(tmp_path: Path, source: Path, to: str) -> Path:
    """Convert headless with a private profile (parallel runs don't clash) that recalculates every formula on load."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ON_LOAD)
    out = tmp_path / "out"
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    converted = sorted(out.iterdir())
    assert converted, f"soffice wrote nothing: {result.stdout} {result.stderr}"
    return converted[0]


def test_sample_converts_to_pdf(tmp_path: Path, sample_bytes: bytes) -> None:
    source = tmp_path / "sample.xlsx"
    source.write_bytes(sample_bytes)
    pdf = soffice_convert(tmp_path, source, "pdf")
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000


def test_row_colours_agree_with_sheetflow_in_libreoffice(tmp_path: Path) -> None:
    """The conditional formats' formulas, evaluated by LibreOffice, paint exactly the rows refresh flags."""
    today = dt.date.today()  # LibreOffice's TODAY()
    data = build(sample=True, today=today)
    studio = load(data)
    refreshed = refresh(studio, today)
    written = refreshed.changes.cells[SESSIONS.name]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    ws = workbook[SESSIONS.name]
    due_col, status_col = col(SESSIONS, "Due Date") + 1, col(SESSIONS, "Status") + 1
    check_col = len(SESSIONS.columns) + 2  # beside the table, not in it
    expected = {}
    for session in studio.sessions:
        row = session.row.number
        due = written.get(row, {}).get("Due Date")
        flag = written.get(row, {}).get("Flag")
        if due is None:  # the delivered session: give it a past due date, which must still not paint it
            assert session.status is not None and session.status.final
            due, flag = today - dt.timedelta(days=10), None
        ws.cell(row, due_col, due).number_format = DATE_FORMAT
        ws.cell(row, check_col, "=" + overdue_formula(row))
        ws.cell(row, check_col + 1, "=" + due_soon_formula(row))
        expected[row] = (flag == FLAG_OVERDUE, flag == FLAG_DUE_SOON)
    ws.cell(1, check_col, "=DueSoonUntil").number_format = DATE_FORMAT
    ws.cell(1, check_col + 1, "=WeekendMask")
    assert ws.cell(2, status_col).value
    scratch = tmp_path / "scratch.xlsx"
    workbook.save(scratch)

    # Token 12 picks the sheet to export: 1 = Sessions.
    converted = soffice_convert(
        tmp_path, scratch, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,1"
    )
    grid = list(csv.reader(converted.read_text(encoding="utf-8").splitlines()))
    window_end = dt.date.fromisoformat(grid[0][check_col - 1])
    assert window_end == studio.calendar.add_business_days(today, studio.settings.due_soon_days)
    assert grid[0][check_col] == "0000011"
    got = {row: (grid[row - 1][check_col - 1], grid[row - 1][check_col]) for row in expected}
    assert got == {row: (str(o).upper(), str(s).upper()) for row, (o, s) in expected.items()}
    assert sum(o for o, _ in expected.values()) >= 2 and sum(s for _, s in expected.values()) >= 1
