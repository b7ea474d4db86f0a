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
