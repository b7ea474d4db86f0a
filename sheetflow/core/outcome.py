"""What a run returns: the ChangeSet it writes, and the Outcome that says what it did and found.

Both front ends (the file patcher and Excel) write a ChangeSet; the command line and the status cell print an
Outcome's summary, which each operation words from its own counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .changes import AppliedChange
from .dashboard import Dashboard
from .problems import Problem, count_errors


@dataclass
class ChangeSet:
    """What a run writes: cell values by sheet, row and column name; appended rows; new sheets and columns."""

    cells: dict[str, dict[int, dict[str, object]]] = field(default_factory=dict)
    appends: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    new_columns: dict[str, list[str]] = field(default_factory=dict)
    new_sheets: list[str] = field(default_factory=list)
    problems: list[Problem] | None = None  # the Problems sheet's new contents
    dashboard: Dashboard | None = None  # the Dashboard sheet's new contents
    # rows cut out of a sheet, (first, last): the rows below move up, appends go below them (`notes archive`)
    removed_rows: dict[str, tuple[int, int]] = field(default_factory=dict)

    def set(self, sheet: str, row: int, column: str, value: object) -> None:
        self.cells.setdefault(sheet, {}).setdefault(row, {})[column] = value

    def append(self, sheet: str, values: dict[str, object]) -> None:
        self.appends.setdefault(sheet, []).append(values)

    def merge(self, later: ChangeSet) -> None:
        """Take in the writes of a run that follows this one (a refresh after an apply), so both go out as one
        write: its cells win, its rows go after these, its sheets, columns, Problems and Dashboard are added."""
        for sheet, rows in later.cells.items():
            for row, columns in rows.items():
                for column, value in columns.items():
                    self.set(sheet, row, column, value)
        for sheet, appended in later.appends.items():
            self.appends.setdefault(sheet, []).extend(appended)
        for sheet, columns in later.new_columns.items():
            known = self.new_columns.setdefault(sheet, [])
            known += [c for c in columns if c not in known]
        self.new_sheets += [s for s in later.new_sheets if s not in self.new_sheets]
        self.removed_rows.update(later.removed_rows)
        if later.problems is not None:
            self.problems = later.problems
        if later.dashboard is not None:
            self.dashboard = later.dashboard


def counted(number: int, word: str, plural: str = "") -> str:
    """ "1 change", "2 changes": a count with its noun."""
    return f"{number} {word if number == 1 else plural or word + 's'}"


def applied_words(applied: int, rejected: int) -> list[str]:
    """What a run that applies status changes says: how many went in, and how many were refused."""
    return [f"{counted(applied, 'change')} applied", *([f"{rejected} not applied"] if rejected else [])]


def flag_words(overdue: int, due_soon: int) -> str:
    """What a run that flags the sessions says."""
    return f"{overdue} overdue, {due_soon} due soon"


@dataclass
class Outcome:
    """A run's result: what to write, what was found, and a one-line summary for people. The summary is what the
    operation `said` it did, then the triggers' rows and the errors and warnings, from the counts themselves."""

    command: str
    changes: ChangeSet
    problems: list[Problem]
    applied: list[AppliedChange] = field(default_factory=list)
    rejected: int = 0
    overdue: int = 0
    due_soon: int = 0
    tasks: int = 0  # Tasks rows triggers created
    messages: int = 0  # Outbox rows triggers queued
    notes: list[str] = field(default_factory=list)  # anything else to tell the studio owner
    found: list[Problem] = field(default_factory=list, repr=False)  # the run's own findings, beside the read's
    said: list[str] = field(default_factory=list)  # what the run did, in its own words: the summary's first parts
    brief: bool = False  # with no problems, the summary is `said` alone (a new workbook: "created — next: …")

    @property
    def errors(self) -> int:
        return count_errors(self.problems)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    @property
    def summary(self) -> str:
        parts = list(self.said)
        if self.brief and not self.problems:
            return "; ".join(parts)
        if self.tasks or self.messages:
            parts.append(f"{counted(self.tasks, 'task')} created, {counted(self.messages, 'message')} queued")
        parts.append(f"{counted(self.errors, 'error')}, {counted(self.warnings, 'warning')}")
        return "; ".join(parts)
