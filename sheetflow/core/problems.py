"""Problems a studio owner can act on: where, what is wrong, how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the workbook, pointing at the cell to look at."""

    sheet: str
    cell: str  # "C5"; "" when the whole sheet is meant
    message: str
    fix: str
    severity: Severity = Severity.ERROR

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def __str__(self) -> str:
        line = f"{self.where}: {self.severity.value}: {self.message} — {self.fix}"
        return line if line.isprintable() else "".join(ch if ch.isprintable() else " " for ch in line)

    def as_dict(self) -> dict[str, str]:
        return {**asdict(self), "severity": self.severity.value, "where": self.where}


def count_errors(problems: list[Problem]) -> int:
    return sum(1 for p in problems if p.severity is Severity.ERROR)


class WorkbookError(Exception):
    """The run cannot go on at all (unreadable file, missing sheet): exit code 2."""


class WorkbookBusy(Exception):
    """The workbook is open in Excel or LibreOffice, or another run holds it: exit code 3."""

    def __init__(self, message: str, outcome: object = None):
        super().__init__(message)
        self.outcome = outcome  # what a read-only check found before stopping


# Exit codes: 0 done; 1 done, but some data was rejected or errors were found; 2 bad usage or an unreadable
# workbook; 3 the workbook is open elsewhere, busy or not writable.
EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


@dataclass(frozen=True)
class Failure:
    """Why a run stopped, as people are told it: one line, and the exit code that goes with it."""

    code: int
    message: str


def expected_failure(exc: BaseException, path: object = "") -> Failure | None:
    """The exit code and line for a failure sheetflow expects (the one mapping the command line and runs over many
    workbooks share); None for anything else, which is a bug."""
    if isinstance(exc, WorkbookError):
        return Failure(EXIT_USAGE, str(exc))
    if isinstance(exc, WorkbookBusy):
        return Failure(EXIT_BUSY, str(exc))
    if isinstance(exc, PermissionError):
        return Failure(
            EXIT_BUSY, f"no permission to write {exc.filename or path} — check the file and folder permissions"
        )
    if isinstance(exc, KeyboardInterrupt):
        return Failure(EXIT_USAGE, "stopped; the workbook was left as it was")
    return None


def exit_code(errors: int) -> int:
    """A finished run's exit code from the errors it found: 1 (some data rejected), else 0."""
    return EXIT_REJECTED if errors else EXIT_OK
