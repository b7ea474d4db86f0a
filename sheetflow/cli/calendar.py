"""`sheetflow calendar`: the studio's calendar as an .ics file a phone or a calendar app subscribes to."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from .common import exit_code, failing_cleanly, json_option, report_outcome, today_of, today_option, workbook_argument
from .common import run as run_command


@click.command()
@workbook_argument
@click.option(
    "--out",
    "out",
    metavar="FILE",
    default=None,
    help="Where to write it (default: Settings' Calendar file beside PATH, else PATH with .ics; with --user, "
    "the name gets -NAME added); - for stdout.",
)
@click.option("--user", "user", metavar="NAME", default="", help="Only what is assigned to NAME (Assigned To).")
@today_option
@json_option
def calendar(path: Path, out: str | None, user: str, today, as_json: bool) -> None:
    """Write the studio's calendar (iCalendar, RFC 5545): each session on its Session Date, each open status's due
    date, and each open task from the Tasks sheet as a to-do, in the studio's time zone (Settings' Time zone).

    Each entry keeps its UID from run to run (and in a copy of the workbook), so a calendar that subscribes to the
    file updates what changed. The file is only rewritten when it changed. With `--out -` the calendar goes to
    standard output and the summary to standard error. The workbook is not changed.
    """
    from ..library.calendar_feed import calendar as write_calendar

    if out != "-":
        run_command(path, as_json, lambda: write_calendar(path, today_of(today), out=out, user=user))
    with failing_cleanly(path, as_json):
        outcome = write_calendar(path, today_of(today), out="-", user=user)
    sys.stdout.buffer.write(outcome.text)
    sys.stdout.flush()
    with contextlib.redirect_stdout(sys.stderr):  # standard output holds the calendar itself
        report_outcome(path, outcome, as_json)
    sys.exit(exit_code(outcome.errors))
