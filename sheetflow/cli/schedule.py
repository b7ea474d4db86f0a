"""`sheetflow schedule` (set up, show or remove the nightly run) and `sheetflow nightly` (the run itself, what the
system's scheduler starts every day)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ..core.problems import WorkbookError
from .common import EXIT_OK, EXIT_USAGE, failing_cleanly, today_of, today_option


def _stop(message: str) -> None:
    click.echo(f"sheetflow: schedule: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--at", "at", default="06:30", show_default=True, metavar="HH:MM", help="The time of day, on the 24-hour clock."
)
@click.option("--show", is_flag=True, help="Show the nightly run set up now; change nothing.")
@click.option("--remove", is_flag=True, help="Remove the nightly run (sheetflow's own job, nothing else).")
@click.option("--dry-run", is_flag=True, help="Print the files and commands it would install; change nothing.")
@click.option(
    "--scheduler",
    type=click.Choice(["systemd", "cron"]),
    default=None,
    help="On Linux: a systemd user timer or the crontab (default: systemd when `systemctl --user` works, else cron).",
)
@click.option(
    "--system",
    type=click.Choice(["windows", "macos", "linux"]),
    default=None,
    hidden=True,
    help="Make the files of another system (with --dry-run: see what Windows or macOS would get).",
)
def schedule(
    paths: tuple[Path, ...], at: str, show: bool, remove: bool, dry_run: bool, scheduler: str | None, system: str | None
) -> None:
    """Refresh these workbooks (or folders of them) every day at --at, with the computer's own scheduler:
    Task Scheduler on Windows, launchd on macOS, a systemd user timer or cron on Linux. Running it again
    replaces the nightly run; each run logs to STEM.sheetflow.log beside the workbook and writes Last refresh
    on its Settings sheet."""
    from ..library import schedule as nightly_run

    system = system or nightly_run.this_system()
    if show and remove:
        _stop("--show and --remove can't go together: --show to see the nightly run, --remove to take it away")
    if scheduler and system != "linux":
        uses = "Task Scheduler" if system == "windows" else "launchd"
        _stop(f"--scheduler is for Linux; on {system} sheetflow uses {uses}")
    try:
        if show:
            lines = nightly_run.shown(system, scheduler)
            for line in lines or ["no nightly run is set up (sheetflow schedule PATH --at 06:30 sets one up)"]:
                click.echo(line)
            sys.exit(EXIT_OK)
        if remove:
            plan = nightly_run.remove_plan(system, scheduler)
            done = "no nightly run was set up: nothing to remove"
            if not plan.empty:
                done = f"the nightly run was removed ({plan.scheduler})"
        else:
            job = nightly_run.job_for(paths, nightly_run.read_at(at), system)
            plan = nightly_run.install_plan(job, system, scheduler, dry_run=dry_run)
            every = f"every day at {job.at:%H:%M}, {plan.scheduler} runs {plan.shown(job.argv)}"
            done = f"the nightly run is set up: {every}"
        if dry_run:
            click.echo(f"sheetflow schedule --dry-run: nothing was changed; with {plan.scheduler} it would do this:")
            for line in [*plan.lines(), *(f"note: {note}" for note in plan.notes)]:
                click.echo(line)
            sys.exit(EXIT_OK)
        nightly_run.carry_out(plan)
    except WorkbookError as exc:
        _stop(str(exc))
    click.echo(done)
    if not remove:
        for workbook in job.workbooks:
            if Path(workbook).is_dir():
                click.echo(f"  {workbook}: each workbook in the folder, with its own log and Last refresh")
            else:
                click.echo(f"  {workbook}: log {Path(workbook).stem}.sheetflow.log beside it; Last refresh on Settings")
        for note in plan.notes:
            click.echo(f"note: {note}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--tries",
    type=click.IntRange(min=1, max=24),
    default=5,
    show_default=True,
    help="Tries in all for a workbook that is open in Excel.",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0, max=120),
    default=15,
    show_default=True,
    help="Minutes between tries.",
)
@today_option
def nightly(paths: tuple[Path, ...], tries: int, wait: float, today) -> None:
    """The nightly run that `sheetflow schedule` sets up: refresh each workbook; one open in Excel is tried again
    every --wait minutes, --tries times in all. Each try is a line in STEM.sheetflow.log beside the workbook, and
    Settings' Last refresh says when it was done and which nights were missed. Exit code: the worst of them."""
    from ..library.schedule import nightly as run_nightly

    with failing_cleanly(paths[0], False):
        nights = run_nightly(
            list(paths),
            today_of(today) if today else None,
            tries=tries,
            wait=dt.timedelta(minutes=wait),
        )
    for night in nights:
        click.echo(f"{night.path.name}: {night.last_line}")
    sys.exit(max(night.exit_code for night in nights))
