"""`sheetflow report`: rebuild the Dashboard sheet, the board and the time in status read from the Notes history.

pandas is imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import json_option, progress, run, today_of, today_option, workbook_argument


@click.command()
@workbook_argument
@today_option
@json_option
def report(path: Path, today, as_json: bool) -> None:
    """Rebuild the Dashboard: sessions per stage and status, what is overdue, and the time spent in each status.

    It refreshes first (due dates, Flag, Days Overdue, triggers), so the board agrees with the Sessions sheet, then
    reads the whole Notes history: for each status, how many sessions passed through it, the median and 90th
    percentile of the business days they stayed against its Typical Duration, and the share that left it late —
    and the same per person (whom the session was assigned to as it entered the status), the most late stays first;
    and why sessions moved on or waited: each status's Reasons in Notes, moves on and holds, the most given first.
    `refresh` keeps the board current without reading Notes; run `report` when you want the history again.
    """
    from ..library import runs as batch

    run(path, as_json, lambda: batch.report(path, today_of(today), progress(path, as_json)))
