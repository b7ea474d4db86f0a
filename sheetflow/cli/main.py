"""`sheetflow`: the command line. It parses options, calls the library (sheetflow.library.runs and the others), and
reports."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from .. import __version__
from ..core.cells import display
from ..core.messages import format_date
from .calendar import calendar
from .common import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    day_words,
    fail,
    failing_cleanly,
    json_option,
    progress,
    run,
    today_of,
    today_option,
    workbook_argument,
)
from .report import report
from .schedule import nightly, schedule
from .statuses import holidays, statuses


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetflow")
def main() -> None:
    """Session-status workflow for photo studios, in the studio's own Excel workbook.

    Every problem is printed as `Sheet!Cell: severity: what is wrong — how to fix it`.
    Exit codes: 0 done; 1 done, but some data was rejected or validation found errors;
    2 bad usage or unreadable workbook; 3 the workbook is open in Excel/LibreOffice or busy.
    """


@main.command()
@workbook_argument
@click.option("--sample", is_flag=True, help="Fill it with a sample studio (two cycles, a dozen sessions).")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@today_option
@json_option
def new(path: Path, sample: bool, force: bool, today, as_json: bool) -> None:
    """Create a new studio workbook from the template."""
    from ..library import runs as batch

    run(path, as_json, lambda: batch.new(path, sample=sample, today=today_of(today), force=force))


@main.command()
@workbook_argument
@click.option(
    "--sessions",
    "sessions",
    metavar="SHEET",
    default=None,
    help="Your sheet that lists the sessions (or clients), used as the Sessions sheet under its own name.",
)
@click.option(
    "--column",
    "columns",
    metavar='"COLUMN=HEADER"',
    multiple=True,
    help='Read sheetflow\'s COLUMN from your HEADER, e.g. --column "Client=Client Name" (repeatable).',
)
@click.option("--dry-run", is_flag=True, help="Print what would be added and mapped; write nothing.")
@today_option
@json_option
def init(path: Path, sessions: str | None, columns: tuple[str, ...], dry_run: bool, today, as_json: bool) -> None:
    """Bring sheetflow into a workbook you already have: add the sheets and columns it lacks, give every session
    row a Session ID, and map sheetflow's columns onto your own headers (common names like Client Name or Shoot
    Date automatically). The choice is kept in Settings rows; nothing else in the file changes, and running it
    again changes nothing."""
    from ..library.adopt import init as adopt

    run(path, as_json, lambda: adopt(path, sessions=sessions, columns=columns, dry_run=dry_run))


@main.command()
@workbook_argument
@today_option
@json_option
def validate(path: Path, today, as_json: bool) -> None:
    """Check the status definitions and the sessions; write what was found to the Problems sheet."""
    from ..library import runs as batch

    run(path, as_json, lambda: batch.validate(path, today_of(today)))


@main.command()
@workbook_argument
@click.argument("session_id")
@click.option("--to", "to", default="", help="Status to move to (default: the next active status).")
@click.option("--date", "date", default="", help="Date completed (default: today).")
@click.option("--due", default="", help="Due date set by hand (default: from the status's typical duration).")
@click.option("--by", default="", help="Who made the change (default: Current user in Settings).")
@click.option("--note", default="", help="A note for the history.")
@click.option("--reason", default="", help="Why: one of the Reason column's entries on the Lists sheet.")
@today_option
@json_option
def change(
    path: Path, session_id: str, to: str, date: str, due: str, by: str, note: str, reason: str, today, as_json: bool
) -> None:
    """Change one session's status, as the Status Change window does; --to hold (with a reason) or --to resume
    stops or restarts its clock."""
    from ..library import runs as batch

    run(
        path,
        as_json,
        lambda: batch.change(
            path, session_id, today_of(today), to=to, date=date, due=due, by=by, note=note, reason=reason
        ),
    )


@main.command()
@workbook_argument
@click.argument("session_id")
@today_option
@json_option
def history(path: Path, session_id: str, today, as_json: bool) -> None:
    """Show one session's timeline from Notes: each status, when, how long against typical, who, and why."""
    from dataclasses import asdict

    from ..library import runs as batch

    with failing_cleanly(path, as_json):
        line = batch.history(path, session_id, today_of(today))
    if as_json:
        click.echo(json.dumps({"file": str(path), **asdict(line)}, default=str, ensure_ascii=False))
        return
    for text in history_lines(line):
        click.echo(text)


def history_lines(line) -> list[str]:
    """The timeline for people: one line per status, dates as the studio types them, the current one last."""
    client = f" ({display(line.client)})" if line.client else ""
    moved = sum(1 for s in line.stays if s.note != "(not in Notes)")
    lines = [f"session {display(line.session_id)}{client}: {moved} status change{'s' if moved != 1 else ''} in Notes"]
    width = max((len(display(s.status)) for s in line.stays), default=0)
    for stay in line.stays:
        entered = day_words(stay.entered, line.date_order) if stay.entered else "(no date)"
        typical = f" of {stay.typical_duration}" if stay.typical_duration is not None else ""
        if stay.days is None:
            days = "days unknown (a date is missing)"
        else:
            counted = stay.days if stay.typical_duration is None else stay.typical_duration
            days = f"{stay.days}{typical} day{'s' if counted != 1 else ''}"
        if stay.current:
            days = f"since {format_date(stay.entered, line.date_order)}, {days}" if stay.entered else days
        parts = [f"  {entered}  {display(stay.status):<{width}}  {days}"]
        if stay.by:
            parts.append(f"by {display(stay.by)}")
        if stay.note:
            parts.append(stay.note if stay.note == "(not in Notes)" else f'"{display(stay.note)}"')
        if stay.current:
            parts.append("(now)")
        lines.append("  ".join(parts))
        for pause in stay.pauses:  # a hold or a resume, under the stay it paused
            day = day_words(pause.day, line.date_order) if pause.day else "(no date)"
            said = [f"    {day}  {display(pause.note)}"]
            if pause.reason and pause.reason.casefold() not in pause.note.casefold():
                said.append(f"({display(pause.reason)})")
            if pause.by:
                said.append(f"by {display(pause.by)}")
            lines.append("  ".join(said))
    if not line.stays:
        lines.append("  no status yet")
    return lines


@main.command()
@workbook_argument
@today_option
@json_option
def apply(path: Path, today, as_json: bool) -> None:
    """Apply every session row whose Change To is filled in."""
    from ..library import runs as batch

    run(path, as_json, lambda: batch.apply(path, today_of(today), progress(path, as_json)))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Workbooks refreshed at once when several are given (default: one per core).",
)
@today_option
@json_option
def refresh(paths: tuple[Path, ...], jobs: int | None, today, as_json: bool) -> None:
    """Recompute due dates, Flag and Days Overdue for every session.

    Several workbooks (or a folder of them, one per branch) are refreshed in parallel, each on its own:
    one that fails does not stop the others, and the exit code is the worst of theirs.
    """
    from ..library import runs as batch

    files = batch.workbooks_in(list(paths))
    if len(files) == 1 and not paths[0].is_dir():
        run(files[0], as_json, lambda: batch.refresh(files[0], today_of(today), progress(files[0], as_json)))
    if not files:
        fail(paths[0].resolve(), "no .xlsx or .xlsm workbooks there", EXIT_USAGE, as_json)
    _refresh_many(files, today_of(today), jobs, as_json)


def _refresh_many(files: list[Path], today: dt.date, jobs: int | None, as_json: bool) -> None:
    from ..library import runs as batch

    show_progress = not as_json and sys.stderr.isatty()
    with click.progressbar(length=len(files), label="Refreshing", file=sys.stderr, hidden=not show_progress) as bar:
        results = batch.refresh_many(files, today, jobs, on_done=lambda _: bar.update(1))
    if as_json:
        click.echo(json.dumps([vars(r) for r in results], ensure_ascii=False))
    else:
        for result in results:
            name = Path(result.path).name
            for line in result.problems:
                click.echo(f"{name}: {line}")
            click.echo(f"{name}: {result.summary}" if not result.error else f"{name}: {result.error}")
    sys.exit(max(r.exit_code for r in results))


@main.command()
@workbook_argument
@click.option("--dry-run", is_flag=True, help="List what would be sent; send and change nothing.")
@click.option(
    "--include-late",
    is_flag=True,
    help="Send the rows marked Late too (held back by default: their moment has passed).",
)
@click.option(
    "--retry-unconfirmed",
    is_flag=True,
    help="Send again the rows an interrupted run may have sent (same Message-ID, so it is recognisable).",
)
@today_option
@json_option
def send(path: Path, dry_run: bool, include_late: bool, retry_unconfirmed: bool, today, as_json: bool) -> None:
    """Send the Outbox's unsent Email rows by SMTP and record Sent At or the Error in each.

    The server comes from the SMTP rows on the Settings sheet (or SHEETFLOW_SMTP_HOST, _PORT, _SENDER, _SECURITY,
    _USER); the password only from SHEETFLOW_SMTP_PASSWORD or the system keyring (keyring set sheetflow USER@HOST).
    SMS and Letter rows are left for you. Exit 1 when some rows could not be sent (listed); 2 for bad settings.
    """
    from ..library import send as outbox

    run(
        path,
        as_json,
        lambda: outbox.send(
            path,
            today_of(today) if today else None,
            dry_run=dry_run,
            include_late=include_late,
            retry_unconfirmed=retry_unconfirmed,
        ),
    )


@main.command()
@workbook_argument
@click.option("--list", "listing", is_flag=True, help="List the backups, newest first, and change nothing.")
@click.option(
    "--pick",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Which backup to bring back: 1 is the newest.",
)
def restore(path: Path, listing: bool, pick: int) -> None:
    """Bring back a previous version of the workbook from .sheetflow-backups beside it.

    Every write keeps the version it replaces (the last 5; set SHEETFLOW_BACKUPS to change how many, 0 for
    none). Restoring keeps the version it replaces too, so a restore can itself be undone.
    """
    from ..library import runs as batch

    with failing_cleanly(path, False):
        if listing:
            found = batch.backups(path)
            if not found:
                click.echo(f"{path.name}: no backups yet")
            for number, backup in enumerate(found, start=1):
                click.echo(f"{number}. {backup.label}  {backup.path.name}")
            sys.exit(EXIT_OK)
        chosen, _ = batch.restore(path, pick)
    click.echo(f"{path.name}: restored the version of {chosen.label}")


@main.group()
def notes() -> None:
    """The Notes sheet, the history of every status change."""


@notes.command("archive")
@workbook_argument
@click.option(
    "--before",
    "before",
    required=True,
    metavar="DATE",
    help="Move the notes logged before this day (YYYY-MM-DD, or as dates are typed in the workbook).",
)
@click.option(
    "--to",
    "to",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The archive workbook (default: STEM-notes-archive.xlsx beside PATH); created, or added to.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be moved; write nothing.")
@today_option
@json_option
def archive_notes(path: Path, before: str, to: Path | None, dry_run: bool, today, as_json: bool) -> None:
    """Move the oldest Notes rows into an archive workbook, so Notes never reaches Excel's last row.

    The archive is written and checked first; only then are the rows removed from PATH, which gets a Notes row
    saying how many went where. `report` reads the archive too when it is beside PATH, so no figure changes.
    Running it again moves nothing more.
    """
    from ..library.archive import archive

    now = dt.datetime.combine(today_of(today), dt.datetime.now().time().replace(microsecond=0)) if today else None
    run(path, as_json, lambda: archive(path, before, to, dry_run=dry_run, today=today_of(today), now=now))


@main.group()
def excel() -> None:
    """Files for running sheetflow from buttons inside Excel (xlwings)."""


@excel.command()
@workbook_argument
@click.option("--force", is_flag=True, help="Replace the .py if it exists.")
def runmain(path: Path, force: bool) -> None:
    """Write PATH's .py beside it, for the xlwings add-in's Run main button."""
    from ..excel.run_main import importable_alternative, sheets_problem, write_run_main

    message = write_run_main(path, force=force)
    click.echo(message)
    refused = not path.exists() or importable_alternative(path) or sheets_problem(path)
    sys.exit(EXIT_USAGE if refused else EXIT_OK)


@excel.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write main.py and requirements.txt into this folder instead of printing them.",
)
def lite(path: Path | None, out: Path | None) -> None:
    """Print the main.py and requirements.txt to paste into xlwings Lite's editor. With PATH, main.py's buttons
    are the cells that workbook's own buttons link to (a workbook made by an earlier version has them elsewhere)."""
    from ..core.schema import ENTRY_POINTS, SESSIONS
    from ..excel.lite import REQUIREMENTS, buttons_of, main_py

    cells, sheet, said = None, SESSIONS.name, []
    if path is not None:
        from ..workbook.buttons import lite_shapes

        with failing_cleanly(path, False):
            shapes = lite_shapes(path)
        found = buttons_of(shapes.sheet, shapes.header_row, shapes.headers, shapes.links, str(path))
        if found.refused:
            for line in found.refused:
                click.echo(line, err=True)
            sys.exit(EXIT_REJECTED)
        titles = {entry.name: entry.title for entry in ENTRY_POINTS}
        shown = ", ".join(f"{titles[name]} {cell}" for name, cell in found.cells.items())
        said = [f"{path.name}: main.py's buttons run from {shown or 'no cell'}", *found.left_out]
        cells, sheet = found.cells, shapes.sheet
    text = main_py(cells, sheet)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "main.py").write_text(text, encoding="utf-8")
        (out / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
        click.echo(f"wrote {out / 'main.py'} and {out / 'requirements.txt'}: paste each into xlwings Lite's editor")
    else:
        click.echo("# ---- main.py " + "-" * 60)
        click.echo(text)
        click.echo("# ---- requirements.txt " + "-" * 51)
        click.echo(REQUIREMENTS, nl=False)
    for line in said:  # beside main.py, not in it: what is printed stays pasteable
        click.echo(line, err=True)


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@json_option
def doctor(path: Path | None, as_json: bool) -> None:
    """Check what the Excel buttons need — the xlwings package and add-in, the interpreter setting, and PATH's
    .py and macros — and say how to fix each problem. Exit 1 when a problem was found."""
    from ..excel.doctor import PROBLEM, examine

    checks = examine(path)
    if as_json:
        click.echo(json.dumps([vars(c) for c in checks], ensure_ascii=False))
    else:
        for check in checks:
            click.echo(check.line())
    sys.exit(EXIT_REJECTED if any(c.state == PROBLEM for c in checks) else EXIT_OK)


for command in (statuses, holidays, report, schedule, nightly, calendar):
    main.add_command(command)


if __name__ == "__main__":
    main()
