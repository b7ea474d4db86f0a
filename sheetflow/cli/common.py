"""What every sheetflow command shares: its options, exit codes, and how outcomes and failures are printed."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from ..core.cells import display

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3

today_option = click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                            help="Run as if today were this date (YYYY-MM-DD), for reproducible runs.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
workbook_argument = click.argument("path", type=click.Path(path_type=Path, dir_okay=False))


def today_of(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def report_outcome(path: Path, outcome, as_json: bool, note: str = "") -> None:
    if as_json:
        click.echo(json.dumps({
            "file": str(path), "command": outcome.command, "summary": outcome.summary,
            "errors": outcome.errors, "warnings": outcome.warnings,
            "applied": [{"session": a.session.session_id, "from": a.from_status, "to": a.to.description,
                         "row": a.session.row.number} for a in outcome.applied],
            "problems": [p.as_dict() for p in outcome.problems], "note": note, "notes": outcome.notes,
            **getattr(outcome, "details", {}),  # what a command adds of its own (send: the messages)
        }, default=str, ensure_ascii=False))
        return
    for problem in outcome.problems:
        click.echo(str(problem))
    for applied in outcome.applied:
        before = display(applied.from_status) if applied.from_status else "(no status)"  # one line, whatever was typed
        click.echo(f"session {display(applied.session.session_id)}: {before} → {display(applied.to.description)}")
    click.echo(f"{path.name}: {outcome.summary}" + (f" ({note})" if note else ""))
    for line in outcome.notes:
        click.echo(line)


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
    from ..core.problems import WorkbookBusy, WorkbookError

    try:
        outcome = action()
    except WorkbookError as exc:
        fail(path, str(exc), EXIT_USAGE, as_json)
    except WorkbookBusy as exc:
        if exc.outcome is not None:
            report_outcome(path, exc.outcome, as_json, note=f"Problems sheet not updated: {exc}")
            sys.exit(EXIT_BUSY)
        fail(path, str(exc), EXIT_BUSY, as_json)
    except PermissionError as exc:
        fail(path, f"no permission to write {exc.filename or path} — check the file and folder permissions",
              EXIT_BUSY, as_json)
    except KeyboardInterrupt:
        fail(path, "stopped; the workbook was left as it was", EXIT_USAGE, as_json)
    else:
        clear_progress(as_json)
        report_outcome(path, outcome, as_json)
        sys.exit(EXIT_REJECTED if outcome.errors else EXIT_OK)


def fail(path: Path, message: str, code: int, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"file": str(path), "error": message, "exit_code": code}, ensure_ascii=False))
    else:
        click.echo(f"sheetflow: {path.name}: {message}", err=True)
    sys.exit(code)
