"""What every sheetflow command shares: its options, exit codes, and how outcomes and failures are printed."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from ..core.cells import display
from ..core.messages import format_date
from ..core.problems import (  # the exit codes and their one mapping from failures, re-exported for the commands
    EXIT_BUSY,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    WorkbookBusy,
    WorkbookError,
    exit_code,
    expected_failure,
)
from ..core.schema import HOLD_WORD, RESUME_WORD, WEEKDAYS

__all__ = [
    "EXIT_BUSY",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "clear_progress",
    "fail",
    "failing_cleanly",
    "json_option",
    "progress",
    "report_outcome",
    "run",
    "today_of",
    "today_option",
    "workbook_argument",
]
# The failures every command turns into one line and an exit code (core.problems.expected_failure words them).
EXPECTED = (WorkbookError, WorkbookBusy, PermissionError, KeyboardInterrupt)

today_option = click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if today were this date (YYYY-MM-DD), for reproducible runs.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
workbook_argument = click.argument("path", type=click.Path(path_type=Path, dir_okay=False))


def today_of(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def report_outcome(path: Path, outcome, as_json: bool, note: str = "") -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": str(path),
                    "command": outcome.command,
                    "summary": outcome.summary,
                    "errors": outcome.errors,
                    "warnings": outcome.warnings,
                    "applied": [
                        {
                            "session": a.session.session_id,
                            "from": a.from_status,
                            "to": a.to.description,
                            "due_date": a.due_date.isoformat() if a.due_date else None,
                            "assigned_to": a.assigned_to or None,
                            "row": a.session.row.number,
                        }
                        for a in outcome.applied
                    ],
                    "problems": [p.as_dict() for p in outcome.problems],
                    "note": note,
                    "notes": outcome.notes,
                    **getattr(outcome, "details", {}),  # what a command adds of its own (send: the messages)
                },
                default=str,
                ensure_ascii=False,
            )
        )
        return
    for problem in outcome.problems:
        click.echo(str(problem))
    for applied in outcome.applied:
        before = display(applied.from_status) if applied.from_status else "(no status)"  # one line, whatever was typed
        moved = {
            HOLD_WORD: f"on hold in {display(applied.to.description)}",
            RESUME_WORD: f"resumed in {display(applied.to.description)}",
        }.get(applied.kind, f"{before} → {display(applied.to.description)}")
        click.echo(f"session {display(applied.session.session_id)}: {moved}, {applied_after(applied)}")
    click.echo(f"{path.name}: {outcome.summary}" + (f" ({note})" if note else ""))
    for line in outcome.notes:
        click.echo(line)


def day_words(day: dt.date, date_order: str) -> str:
    """A date as the studio types it, with its weekday: 04/12/2026 (Fri)."""
    return f"{format_date(day, date_order)} ({WEEKDAYS[day.weekday()][:3]})"


def applied_after(applied) -> str:
    """What a status change left: the due date and who the session is with."""
    due = f"due {day_words(applied.due_date, applied.date_order)}" if applied.due_date else "no due date"
    return f"{due}, " + (f"assigned to {display(applied.assigned_to)}" if applied.assigned_to else "assigned to no one")


def progress(path: Path, as_json: bool) -> Callable[[str], None]:
    """Phase messages on a terminal (a million sessions take a while); nothing in pipes or with --json."""
    if as_json or not sys.stderr.isatty():
        return lambda _: None

    def show(phase: str) -> None:
        click.echo(f"\r\x1b[2K{path.name}: {phase}…", err=True, nl=False)

    return show


def clear_progress(as_json: bool) -> None:
    if not as_json and sys.stderr.isatty():
        click.echo("\r\x1b[2K", err=True, nl=False)


def run(path: Path, as_json: bool, action: Callable[[], object]) -> None:
    """Run one command; expected failures become one clear line and an exit code, never a traceback."""
    try:
        with failing_cleanly(path, as_json):
            outcome = action()
    except WorkbookBusy as exc:  # a check that ran read-only: what it found, then the busy exit
        report_outcome(path, exc.outcome, as_json, note=f"Problems sheet not updated: {exc}")
        sys.exit(EXIT_BUSY)
    clear_progress(as_json)
    report_outcome(path, outcome, as_json)
    sys.exit(exit_code(outcome.errors))


@contextlib.contextmanager
def failing_cleanly(path: Path, as_json: bool) -> Iterator[None]:
    """Inside it, an expected failure ends the command with its one line and exit code; a WorkbookBusy that
    carries an outcome (a read-only check's findings) is raised on for the caller to print."""
    try:
        yield
    except EXPECTED as exc:
        if isinstance(exc, WorkbookBusy) and exc.outcome is not None:
            raise
        failure = expected_failure(exc, path)
        assert failure is not None
        fail(path, failure.message, failure.code, as_json)


def fail(path: Path, message: str, code: int, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"file": str(path), "error": message, "exit_code": code}, ensure_ascii=False))
    else:
        click.echo(f"sheetflow: {path.name}: {message}", err=True)
    sys.exit(code)
