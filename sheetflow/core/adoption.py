"""`sheetflow init`: what a studio's own workbook lacks, worked out from what it has — the sheets to add, which
sheet holds the sessions, the studio's headers for sheetflow's columns, the columns and Session IDs to add — as
one ChangeSet, with the plan in words. Nothing here reads or writes a file."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cells import is_blank, normalize, read_text
from .mapping import SessionsMapping, read_mapping, setting_for
from .problems import WorkbookError
from .schema import (
    COLUMN_SYNONYMS,
    DASHBOARD,
    FIRED,
    HOLIDAYS,
    LISTS,
    NOTES,
    OUTBOX,
    PROBLEMS,
    SESSIONS,
    SESSIONS_SHEET_SETTING,
    SETTING_DEFAULTS,
    SETTINGS,
    STATUSES,
    TASKS,
    TRIGGERS,
    SheetSchema,
)
from .sessions import session_key
from .studio import ChangeSet, Outcome
from .tables import HEADER_SEARCH_ROWS, Table, missing_table, table_from_grid

# The sheets init adds when they are missing, in the order they are added (Sessions only when no sheet is chosen).
ADDED_SHEETS = (SETTINGS, HOLIDAYS, LISTS, STATUSES, NOTES, TRIGGERS, TASKS, OUTBOX, PROBLEMS, DASHBOARD)
_OWN_SHEETS = {normalize(schema.name) for schema in (*ADDED_SHEETS, SESSIONS, FIRED)}
_COLUMNS = {normalize(column): column for column in SESSIONS.columns}
_SYNONYMS = {normalize(header): column for column, headers in COLUMN_SYNONYMS.items() for header in headers}

# How a column came to be mapped, as the plan says it.
BY_YOU, BY_SETTINGS, BY_SYNONYM = "--column", "kept from Settings", "a common name"


class AdoptionRefused(WorkbookError):
    """init can't go on (exit 2, nothing written); every reason is given at once."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("nothing was changed:\n" + "\n".join(f"  {reason}" for reason in reasons))


@dataclass(frozen=True)
class SheetChoice:
    """The sheet to adopt as the Sessions sheet (None: add a new one), and why, in words; or why none can be
    chosen (refused), to be told with every other reason init stops."""

    sheet: str | None
    reason: str
    refused: str = ""


@dataclass(frozen=True)
class Mapped:
    column: str  # sheetflow's column
    header: str  # the studio's header, as typed
    source: str  # BY_YOU, BY_SETTINGS or BY_SYNONYM


@dataclass
class Adoption(Outcome):
    """init's plan (or what it did): what it adds and maps, as a ChangeSet and in words."""

    choice: SheetChoice = SheetChoice(SESSIONS.name, "")
    mapped: list[Mapped] = field(default_factory=list)
    new_sheets: list[str] = field(default_factory=list)
    new_columns: dict[str, list[str]] = field(default_factory=dict)  # real sheet name -> columns added
    session_ids: tuple[int, int, int] = (0, 0, 0)  # (how many, first, last)
    starter_statuses: int = 0
    settings_rows: list[tuple[str, str]] = field(default_factory=list)  # (setting, value) written
    dry_run: bool = False

    @property
    def nothing_to_do(self) -> bool:
        c = self.changes
        return not (c.cells or c.appends or c.new_columns or c.new_sheets or c.problems is not None)

    @property
    def summary(self) -> str:
        if self.nothing_to_do:
            return "nothing to do: the workbook already has everything sheetflow needs"
        columns = sum(len(c) for c in self.new_columns.values())
        done = [
            text
            for count, text in (
                (len(self.new_sheets), _counted(len(self.new_sheets), "sheet") + " added"),
                (columns, _counted(columns, "column") + " added"),
                (
                    self.starter_statuses,
                    _counted(self.starter_statuses, "starter status", "starter statuses") + " added",
                ),
                (self.session_ids[0], _counted(self.session_ids[0], "Session ID") + " given"),
                (len(self.settings_rows), _counted(len(self.settings_rows), "Settings row") + " written"),
            )
            if count
        ]
        if self.dry_run:
            return f"init would do this — {', '.join(done)}; nothing was written (--dry-run)"
        return f"init: {', '.join(done)}"

    @property
    def details(self) -> dict[str, Any]:
        """The plan for --json."""
        return {
            "sessions_sheet": self.choice.sheet or SESSIONS.name,
            "sessions_sheet_reason": self.choice.reason,
            "mapped": [dataclasses.asdict(m) for m in self.mapped],
            "new_sheets": self.new_sheets,
            "new_columns": self.new_columns,
            "session_ids": dict(zip(("count", "first", "last"), self.session_ids, strict=True)),
            "starter_statuses": self.starter_statuses,
            "settings_rows": dict(self.settings_rows),
            "dry_run": self.dry_run,
            "nothing_to_do": self.nothing_to_do,
        }

    def plan_lines(self) -> list[str]:
        sheet = self.choice.sheet or SESSIONS.name
        lines = [f"Sessions sheet: {sheet} — {self.choice.reason}"]
        if self.mapped:
            lines.append(
                "Columns read under your headers: "
                + ", ".join(f'{m.column} = "{m.header}" ({m.source})' for m in self.mapped)
            )
        if self.new_sheets:
            lines.append(
                "Sheets added: "
                + ", ".join(
                    f"{name} (a starter cycle of {self.starter_statuses} statuses to rename and extend)"
                    if name == STATUSES.name and self.starter_statuses
                    else name
                    for name in self.new_sheets
                )
            )
        elif self.starter_statuses:
            lines.append(f"Statuses: a starter cycle of {self.starter_statuses} statuses to rename and extend")
        for name, columns in self.new_columns.items():
            lines.append(f"Columns added to {name}, right of its headers: {', '.join(columns)}")
        count, first, last = self.session_ids
        if count:
            lines.append(
                f"Session IDs given to {count} row{'s' if count != 1 else ''} without one: "
                + (str(first) if count == 1 else f"{first} to {last}")
            )
        if self.settings_rows:
            lines.append(
                "Settings rows: " + ", ".join(f"{name} = {value or '(blank)'}" for name, value in self.settings_rows)
            )
        return lines


def choose_sheet(
    names: Sequence[str], tables: Mapping[str, Table], heads: Mapping[str, list[list[Any]]], requested: str | None
) -> SheetChoice:
    """Which sheet holds the sessions: --sessions; else Settings' Sessions sheet; else a sheet named Sessions;
    else the one sheet whose header row reads like a client list (proposed); else a new Sessions sheet."""
    by_name = {normalize(name): name for name in names}
    if requested:
        found = by_name.get(normalize(requested))
        if found is None:
            return _refused(
                f'--sessions "{requested}": the workbook has no such sheet — its sheets are {_quoted(names)}'
            )
        if normalize(found) in _OWN_SHEETS - {normalize(SESSIONS.name)}:
            return _refused(
                f'--sessions "{requested}": {found} is one of sheetflow\'s own sheets — name the '
                "sheet that lists your sessions or clients"
            )
        return SheetChoice(found, "chosen with --sessions")
    settings = tables.get(SETTINGS.name)
    mapping = read_mapping(settings)
    if mapping.sheet != SESSIONS.name:
        found = by_name.get(normalize(mapping.sheet))
        if found is None:
            cell = mapping.cells[SESSIONS_SHEET_SETTING]
            return _refused(
                f'{SETTINGS.name}!{cell}: {SESSIONS_SHEET_SETTING} is "{mapping.sheet}", but the '
                "workbook has no such sheet — type the right name there, or run init with --sessions SHEET"
            )
        return SheetChoice(found, f"named in Settings ({SESSIONS_SHEET_SETTING})")
    if normalize(SESSIONS.name) in by_name:
        return SheetChoice(by_name[normalize(SESSIONS.name)], "the sheet named Sessions")
    candidates = [
        name for name in names if normalize(name) not in _OWN_SHEETS and looks_like_client_list(heads.get(name, []))
    ]
    if len(candidates) > 1:
        return _refused(
            f"{_quoted(candidates)} all look like a client list — say which holds your sessions with --sessions SHEET"
        )
    if candidates:
        return SheetChoice(
            candidates[0],
            "proposed: its headers look like a client list (run init with --sessions SHEET to choose another sheet)",
        )
    return SheetChoice(
        None, "added: no sheet looks like a client list (run init with --sessions SHEET to use one of your own sheets)"
    )


def _refused(reason: str) -> SheetChoice:
    return SheetChoice(None, "", refused=reason)


def looks_like_client_list(grid: Sequence[Sequence[Any]]) -> bool:
    """A header row, among the first rows, naming a client (Client, Client Name, Customer …) and one more of
    sheetflow's Sessions columns or their common names."""
    for values in grid[:HEADER_SEARCH_ROWS]:
        found = {_recognised(v) for v in values if not is_blank(v)} - {None}
        if "Client" in found and len(found) >= 2:
            return True
    return False


def _recognised(value: object) -> str | None:
    name = normalize(value)
    return _COLUMNS.get(name) or _SYNONYMS.get(name)


def plan(
    tables: Mapping[str, Table],
    choice: SheetChoice,
    grid: list[list[Any]],
    requested: Sequence[str],
    starter: Sequence[Mapping[str, object]],
    dry_run: bool = False,
) -> tuple[Adoption, dict[str, Table]]:
    """The ChangeSet that adopts the workbook, and the tables to write it against (the Sessions one read from
    the chosen sheet with the studio's headers); `starter` is the cycle for a workbook without statuses.
    Refuses, with every reason at once, what it can't do."""
    tables = dict(tables)
    changes = ChangeSet()
    adoption = Adoption(command="init", changes=changes, problems=[], choice=choice, dry_run=dry_run)
    reasons: list[str] = [choice.refused] if choice.refused else []
    explicit = _requested_columns(requested, reasons)
    settings = tables.get(SETTINGS.name) or missing_table(SETTINGS.name)
    stored = read_mapping(settings)
    if choice.sheet is None:
        sessions = missing_table(SESSIONS.name)
        if explicit and not choice.refused:
            reasons.append("--column needs a sheet of your own to map onto: choose it with --sessions SHEET")
    else:
        sessions = _sessions_table(choice.sheet, grid, explicit)
        # Settings' column rows are for the sheet it names (one named before is no use here), or for whichever
        # sheet init adopts when it names none
        same = normalize(stored.sheet) == normalize(choice.sheet) or SESSIONS_SHEET_SETTING not in stored.rows
        kept = stored.columns if same else {}
        left = (
            {c for c in SESSIONS.columns if setting_for(c) in stored.rows and c not in stored.columns}
            if same
            else set()
        )  # a blank `Column for …` row: the studio chose not to map it
        adoption.mapped = _map_columns(sessions, explicit, kept, stored.cells, left, reasons)
        reasons += [
            f"{sessions.sheet}!{cell}: this column header is used twice on the {sessions.sheet} sheet — "
            "rename one of them"
            for cell in sessions.duplicate_headers
        ]
    if reasons:
        raise AdoptionRefused(reasons)
    tables[SESSIONS.name] = sessions

    for schema in ADDED_SHEETS:
        table = tables.get(schema.name)
        if table is None or not table.exists:
            changes.new_sheets.append(schema.name)
        elif absent := table.plan_missing(schema.columns):
            changes.new_columns[schema.name] = absent
            adoption.new_columns[table.sheet] = absent
    if PROBLEMS.name in changes.new_sheets:
        changes.problems = []  # the Problems sheet, empty until the first validate
    if choice.sheet is None:
        changes.new_sheets.insert(0, SESSIONS.name)
    elif absent := sessions.plan_missing(SESSIONS.columns):
        changes.new_columns[SESSIONS.name] = absent
        adoption.new_columns[sessions.sheet] = absent
    adoption.new_sheets = list(changes.new_sheets)
    _starter_statuses(tables.get(STATUSES.name), starter, adoption)
    _settings_rows(settings, stored, choice, adoption)
    if sessions.exists:
        _give_session_ids(sessions, changes, adoption)
    return adoption, tables


def _requested_columns(requested: Sequence[str], reasons: list[str]) -> dict[str, str]:
    """--column "Client=Client Name" options as sheetflow column -> header; what can't be read goes to reasons."""
    columns: dict[str, str] = {}
    for text in requested:
        column, equals, header = (part.strip() for part in text.partition("="))
        if not equals or not column or not header:
            reasons.append(f'--column "{text}": write it as "Client=Client Name" (sheetflow\'s column, =, your header)')
        elif normalize(column) not in _COLUMNS:
            reasons.append(
                f'--column "{text}": "{column}" is not one of sheetflow\'s Sessions columns — use one of '
                f"{', '.join(SESSIONS.columns)}"
            )
        else:
            columns[_COLUMNS[normalize(column)]] = header
    return columns


def _sessions_table(sheet: str, grid: list[list[Any]], explicit: Mapping[str, str]) -> Table:
    """The chosen sheet as a Table: its header row is the one among the first rows naming most of sheetflow's
    columns, their common names or the headers given with --column — else its first row that holds anything,
    so new columns go right of the studio's headers, never over them."""
    known = set(_COLUMNS) | set(_SYNONYMS) | {normalize(header) for header in explicit.values()}
    scores = [len({normalize(v) for v in values if not is_blank(v)} & known) for values in grid[:HEADER_SEARCH_ROWS]]
    best = max(scores, default=0)
    header = (
        scores.index(best)
        if best
        else next(
            (i for i, values in enumerate(grid[:HEADER_SEARCH_ROWS]) if any(not is_blank(v) for v in values)), None
        )
    )
    if header is None:  # an empty sheet: sheetflow's headers go in its first row
        return table_from_grid(sheet, grid)
    names = tuple(str(v).strip() for v in grid[header] if not is_blank(v))
    return table_from_grid(sheet, grid, SheetSchema(SESSIONS.name, names))


def _map_columns(
    sessions: Table,
    explicit: Mapping[str, str],
    kept: Mapping[str, str],
    cells: Mapping[str, str],
    left: set[str],
    reasons: list[str],
) -> list[Mapped]:
    """The studio's headers for sheetflow's columns — --column first, then what Settings already says (`cells`:
    where), then common names where they fit — applied to the Sessions table as aliases. A Settings row whose
    header has gone stops init rather than be dropped: the studio says what it is called now."""
    headers = {normalize(h): h for h in sessions.headers.values()}
    own = {normalize(c) for c in SESSIONS.columns if normalize(c) in headers}  # sheetflow's names, as headers
    chosen: dict[str, Mapped] = {}
    for column, header in explicit.items():
        if normalize(header) not in headers:
            reasons.append(
                f'--column "{column}={header}": the {sessions.sheet} sheet has no header "{header}" — its '
                f"headers are {_quoted(list(headers.values())) if headers else '(none)'}"
            )
        elif normalize(header) != normalize(column):
            chosen[column] = Mapped(column, headers[normalize(header)], BY_YOU)
    for column, header in kept.items():
        if column in explicit:
            continue
        if normalize(header) in headers:
            chosen[column] = Mapped(column, headers[normalize(header)], BY_SETTINGS)
        else:
            reasons.append(
                f'{SETTINGS.name}!{cells[setting_for(column)]}: {setting_for(column)} is "{header}", but the '
                f'{sessions.sheet} sheet has no such header — run init with --column "{column}=HEADER" naming the '
                "header it has now, or clear that cell"
            )
    for column, synonyms in COLUMN_SYNONYMS.items():
        if column in chosen or column in explicit or column in left or normalize(column) in own:
            continue
        taken = {normalize(m.header) for m in chosen.values()} | own
        header = next(
            (headers[normalize(s)] for s in synonyms if normalize(s) in headers and normalize(s) not in taken), None
        )
        if header is not None:
            chosen[column] = Mapped(column, header, BY_SYNONYM)
    by_header: dict[str, list[str]] = {}
    for mapped in chosen.values():
        by_header.setdefault(normalize(mapped.header), []).append(mapped.column)
    for header, columns in by_header.items():
        others = [c for c in SESSIONS.columns if normalize(c) == header and c not in chosen]
        if len(columns) + len(others) > 1:
            reasons.append(
                f'"{headers[header]}" can hold only one of sheetflow\'s columns, not '
                f"{' and '.join(others + columns)} — map the others onto other headers"
            )
    for mapped in chosen.values():
        sessions.alias(mapped.column, mapped.header)
    return [chosen[c] for c in SESSIONS.columns if c in chosen]


def _starter_statuses(statuses: Table | None, starter: Sequence[Mapping[str, object]], adoption: Adoption) -> None:
    """The starter cycle, on a Statuses sheet that is new or holds no status yet."""
    if statuses is not None and statuses.exists and any(not is_blank(row.get("Description")) for row in statuses.rows):
        return
    rows = [{column: value for column, value in row.items() if not is_blank(value)} for row in starter]
    adoption.changes.appends[STATUSES.name] = rows
    adoption.starter_statuses = len(rows)


def _settings_rows(settings: Table, stored: SessionsMapping, choice: SheetChoice, adoption: Adoption) -> None:
    """The sheet choice and the mapping as Settings rows: new rows appended, changed ones rewritten in place.
    A new Settings sheet starts with every setting at its default."""
    changes = adoption.changes
    wanted: dict[str, str] = {}
    sheet = choice.sheet or SESSIONS.name
    if normalize(sheet) != normalize(SESSIONS.name) or SESSIONS_SHEET_SETTING in stored.rows:
        wanted[SESSIONS_SHEET_SETTING] = sheet
    mapped = {m.column: m.header for m in adoption.mapped}
    for column in SESSIONS.columns:
        name = setting_for(column)
        if column in mapped or name in stored.rows:
            wanted[name] = mapped.get(column, "")
    if not settings.exists:
        changes.appends[SETTINGS.name] = [
            {"Setting": name, "Value": None if value == "" else value}
            for name, value in (*SETTING_DEFAULTS.items(), *wanted.items())
        ]
        adoption.settings_rows = [(name, value) for name, value in wanted.items()]
        return
    current = {
        SESSIONS_SHEET_SETTING: stored.sheet,
        **{setting_for(column): header for column, header in stored.columns.items()},
    }
    for name, value in wanted.items():
        if name in stored.rows:
            if normalize(current.get(name, "")) != normalize(value):
                changes.set(SETTINGS.name, stored.rows[name], "Value", value or None)
                adoption.settings_rows.append((name, value))
        elif value:
            changes.append(SETTINGS.name, {"Setting": name, "Value": value})
            adoption.settings_rows.append((name, value))


def _give_session_ids(sessions: Table, changes: ChangeSet, adoption: Adoption) -> None:
    """Rows that hold anything but no Session ID get whole numbers after the highest numeric ID already there."""
    used: set[str] = set()
    waiting: list[int] = []
    width = sessions.width
    for row in sessions.rows:
        session_id = read_text(row.get("Session ID"))
        if session_id:
            used.add(session_key(session_id))
        elif any(not is_blank(v) for v in row.values[: width or None]):
            waiting.append(row.number)
    if not waiting:
        return
    numbers = [int(key) for key in used if key.isdigit()]
    first = max(numbers, default=0) + 1
    for offset, number in enumerate(waiting):
        changes.set(SESSIONS.name, number, "Session ID", first + offset)
    adoption.session_ids = (len(waiting), first, first + len(waiting) - 1)


def _counted(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)
