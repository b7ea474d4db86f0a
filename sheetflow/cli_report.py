"""`sheetflow report`: rebuild the Dashboard sheet, the board and the time in status read from the Notes history.

sheetflow.cli registers it at its end; pandas is imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

today_option = click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                            help="Run as if today were this date (YYYY-MM-DD), for reproducible runs.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (every figure).")


@click.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@today_option
@json_option
def report(path: Path, today, as_json: bool) -> None:
    """Rebuild the Dashboard: sessions per stage and status, what is overdue, and the time spent in each status.

    It refreshes first (due dates, Flag, Days Overdue, triggers), so the board agrees with the Sessions sheet, then
    reads the whole Notes history: for each status, how many sessions passed through it, the median and 90th
    percentile of the business days they stayed against its Typical Duration, and the share that left it late.
    `refresh` keeps the board current without reading Notes; run `report` when you want the history again.
    """
    from . import batch, cli

    cli._run(path, as_json, lambda: batch.report(path, cli._today(today), cli._progress(path, as_json)))
