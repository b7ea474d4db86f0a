"""Where a studio's own workbook keeps its sessions, and what it calls sheetflow's columns: the Settings rows
`Sessions sheet` and `Column for …` that `sheetflow init` writes. The file reader and the Excel buttons both read
the Sessions sheet through this, so every command and button sees the same sheet and headers."""

from __future__ import annotations

from dataclasses import dataclass, field

from .cells import address, display, normalize, read_text
from .problems import Problem, Severity
from .schema import (
    ALL_SHEETS,
    COLUMN_SETTING_PREFIX,
    COLUMN_SYNONYMS,
    MAPPING_SETTINGS,
    SESSIONS,
    SESSIONS_SHEET_SETTING,
    SETTINGS,
    SheetSchema,
)
from .tables import Table

_SETTINGS = {normalize(name): name for name in MAPPING_SETTINGS}
_PREFIX = normalize(COLUMN_SETTING_PREFIX) + " "  # "column for ", so a "Column format" row is not one
_OTHER_SHEETS = {normalize(schema.name): schema.name for schema in ALL_SHEETS if schema is not SESSIONS}


@dataclass
class SessionsMapping:
    """The sheet that holds the sessions, and the studio's headers for sheetflow's Sessions columns."""

    sheet: str = SESSIONS.name
    columns: dict[str, str] = field(default_factory=dict)  # sheetflow column -> the studio's header
    cells: dict[str, str] = field(default_factory=dict)  # setting name -> the address of its Value cell
    rows: dict[str, int] = field(default_factory=dict)  # setting name -> its row on the Settings sheet
    problems: list[Problem] = field(default_factory=list)  # rows that name no sheetflow column

    def sheet_of(self, schema: SheetSchema) -> str:
        return self.sheet if schema is SESSIONS else schema.name

    def aliases_of(self, schema: SheetSchema) -> dict[str, str]:
        return self.columns if schema is SESSIONS else {}


def setting_for(column: str) -> str:
    """The Settings row that maps a Sessions column: `Column for Client`."""
    return COLUMN_SETTING_PREFIX + column


def read_mapping(settings: Table | None) -> SessionsMapping:
    """The Sessions sheet and column mapping from Settings rows; without them, the Sessions sheet as it is."""
    mapping = SessionsMapping()
    if settings is None or not settings.exists:
        return mapping
    value_col = settings.columns.get("value", 2)
    for row in settings.rows:
        typed = normalize(row.get("Setting"))
        name = _SETTINGS.get(typed)
        if name == SESSIONS_SHEET_SETTING:
            mapping.cells[SESSIONS_SHEET_SETTING] = address(row.number, value_col)
            mapping.rows[SESSIONS_SHEET_SETTING] = row.number
            chosen = read_text(row.get("Value"))
            if normalize(chosen) in _OTHER_SHEETS:
                mapping.problems.append(
                    Problem(
                        SETTINGS.name,
                        mapping.cells[SESSIONS_SHEET_SETTING],
                        f'{SESSIONS_SHEET_SETTING} is "{display(chosen)}", one of sheetflow\'s own sheets',
                        "type the name of the sheet that lists your sessions, or clear the cell",
                    )
                )
                chosen = ""
            mapping.sheet = chosen if chosen and normalize(chosen) != normalize(SESSIONS.name) else SESSIONS.name
        elif name is None and typed.startswith(_PREFIX):
            mapping.problems.append(
                Problem(
                    SETTINGS.name,
                    address(row.number, settings.column_of("Setting")),
                    f'"{display(row.get("Setting"))}" names no column of the Sessions sheet',
                    f'type "{COLUMN_SETTING_PREFIX}" and one of {", ".join(SESSIONS.columns)}, or delete the row',
                )
            )
        elif name is not None:
            column = name.removeprefix(COLUMN_SETTING_PREFIX)
            mapping.cells[name] = address(row.number, value_col)
            mapping.rows[name] = row.number
            header = read_text(row.get("Value"))
            if header and normalize(header) != normalize(column):
                mapping.columns[column] = header
            else:
                mapping.columns.pop(column, None)
    return mapping


def check_mapping(mapping: SessionsMapping, sessions: Table) -> list[Problem]:
    """Settings rows that map a column onto a header the Sessions sheet no longer has (renamed or deleted), and
    headers that look like one of sheetflow's columns but are not read as it (until `sheetflow init` maps them)."""
    problems = list(mapping.problems)
    if not sessions.exists:
        return problems
    headers = {normalize(h) for h in sessions.headers.values()}
    columns = {normalize(h): col for col, h in sessions.headers.items()}
    for column, synonyms in COLUMN_SYNONYMS.items():
        if sessions.has(column) or setting_for(column) in mapping.rows:  # read, or left unmapped on purpose
            continue
        header = next((s for s in synonyms if normalize(s) in columns), None)
        if header is not None:
            problems.append(
                Problem(
                    sessions.sheet,
                    address(sessions.header_row, columns[normalize(header)]),
                    f'the "{sessions.headers[columns[normalize(header)]]}" column is not read as sheetflow\'s {column}',
                    f"run `sheetflow init` on the workbook to read it as {column} (or add a Settings row "
                    f'"{setting_for(column)}" with a blank value to leave it as it is)',
                    Severity.WARNING,
                )
            )
    for column, header in mapping.columns.items():
        if normalize(header) not in headers:
            problems.append(
                Problem(
                    SETTINGS.name,
                    mapping.cells.get(setting_for(column), ""),
                    f'{setting_for(column)} is "{display(header)}", but the {sessions.sheet} sheet has no header '
                    f'"{display(header)}", so its {column} column is not read',
                    f"type the header as it stands on the {sessions.sheet} sheet's header row, or delete this Settings "
                    "row",
                )
            )
    return problems
