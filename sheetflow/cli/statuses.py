"""`sheetflow statuses …` (the manuals' Session Status Maintenance, as commands) and `sheetflow holidays`.

sheetflow.cli registers them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from .common import EXIT_OK, failing_cleanly, json_option, run, today_option, workbook_argument

name_argument = click.argument("name")
type_option = click.option(
    "--type",
    "session_type",
    default="",
    metavar="SESSION_TYPE",
    help="With Statuses by type = Yes: the session type whose cycle is meant, where the name is used in several.",
)
hide_option = click.option("--hide-inactive", is_flag=True, help="Leave inactive statuses out.")


@click.group()
def statuses() -> None:
    """Maintain the status list, as the Session Status Maintenance window does.

    Every change keeps the sessions and triggers consistent: a status that sessions or triggers use can be made
    inactive but not deleted, the Initial and Final statuses stay active, and a rename reaches the sessions'
    Status and Change To, the Triggers and (as one new row) the Notes history. NAME matches ignoring case and
    extra spaces; with Statuses by type = Yes, --type picks the cycle where a name is in several.
    """


@statuses.command("list")
@workbook_argument
@type_option
@hide_option
@today_option
@json_option
def list_(path: Path, session_type: str, hide_inactive: bool, today, as_json: bool) -> None:
    """Show the statuses by cycle and sort order."""
    from ..library.statuses import read_list

    with failing_cleanly(path, as_json):
        listing = read_list(path, hide_inactive, session_type)
    if as_json:
        click.echo(
            json.dumps({"file": str(path), "statuses": listing.rows, "notes": listing.left_out}, ensure_ascii=False)
        )
        sys.exit(EXIT_OK)
    widths = {c: max([len(c)] + [len(_shown(r[c])) for r in listing.rows]) for c in listing.columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in listing.columns).rstrip())
    for row in listing.rows:
        click.echo("  ".join(_shown(row[c]).ljust(widths[c]) for c in listing.columns).rstrip())
    for line in listing.left_out:
        click.echo(line)
    click.echo(f"{path.name}: {len(listing.rows)} statuses")


def _shown(value: object) -> str:
    return "" if value is None else str(value)


@statuses.command()
@workbook_argument
@click.option(
    "--step",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="The gap between sort orders (10, 20, 30 … leaves room to insert steps).",
)
@type_option
@today_option
@json_option
def renumber(path: Path, step: int, session_type: str, today, as_json: bool) -> None:
    """Renumber the sort orders of each cycle 10, 20, 30 …, keeping the order."""
    from ..library import statuses as status_list

    run(path, as_json, lambda: status_list.renumber(path, step, session_type))


@statuses.command()
@workbook_argument
@name_argument
@click.option(
    "--after",
    required=True,
    metavar="STATUS",
    help="The status the new one comes after in its cycle (it gets a sort order between theirs).",
)
@click.option(
    "--duration",
    type=click.IntRange(min=0),
    default=None,
    help="Typical Duration: the business days the step takes, 0 or more (default: blank, no due date).",
)
@click.option("--stage", default="", help="Stage, one of the Lists sheet's stages.")
@click.option("--user", default="", help="Default User, one of the Lists sheet's users.")
@click.option("--initial", "role", flag_value="initial", help="Make it the Initial status (the previous one is unset).")
@click.option("--final", "role", flag_value="final", help="Make it the Final status (the previous one is unset).")
@click.option("--inactive", is_flag=True, help="Add it as inactive: kept in the list but never offered as next status.")
@type_option
@today_option
@json_option
def add(
    path: Path,
    name: str,
    after: str,
    duration: int | None,
    stage: str,
    user: str,
    role: str | None,
    inactive: bool,
    session_type: str,
    today,
    as_json: bool,
) -> None:
    """Add a status after another; its row goes after that status's row, and the cycle is renumbered 10, 20, 30 …
    when there is no sort order free between them."""
    from ..library import statuses as status_list

    run(
        path,
        as_json,
        lambda: status_list.add(path, name, after, duration, stage, user, session_type, role or "", inactive),
    )


@statuses.command()
@workbook_argument
@name_argument
@click.argument("direction", type=click.Choice(["up", "down"], case_sensitive=False))
@type_option
@today_option
@json_option
def move(path: Path, name: str, direction: str, session_type: str, today, as_json: bool) -> None:
    """Move a status up or down its cycle (it swaps sort orders and rows with its neighbour)."""
    from ..library import statuses as status_list

    run(path, as_json, lambda: status_list.move(path, name, direction.lower(), session_type))


@statuses.command("hide-inactive")
@workbook_argument
@today_option
@json_option
def hide_inactive(path: Path, today, as_json: bool) -> None:
    """Hide the inactive statuses on the Statuses sheet: a filter on its Inactive column (show-inactive clears it)."""
    from ..library import statuses as status_list

    run(path, as_json, lambda: status_list.hide_inactive(path, hide=True))


@statuses.command("show-inactive")
@workbook_argument
@today_option
@json_option
def show_inactive(path: Path, today, as_json: bool) -> None:
    """Show every status on the Statuses sheet again: the filter hide-inactive set is cleared."""
    from ..library import statuses as status_list

    run(path, as_json, lambda: status_list.hide_inactive(path, hide=False))


# The operations on one named status: (command, what it does, the status_list call with (path, name, type)).
ONE_STATUS_COMMANDS: tuple[tuple[str, str, Callable[[Path, str, str], object]], ...] = (
    (
        "initial",
        "Make a status the Initial one of its cycle (the previous one is unset).",
        lambda path, name, kind: _status_list().set_role(path, name, "initial", kind),
    ),
    (
        "final",
        "Make a status the Final one of its cycle (the previous one is unset).",
        lambda path, name, kind: _status_list().set_role(path, name, "final", kind),
    ),
    (
        "inactive",
        "Make a status inactive: never offered as the next status; sessions in it stay there.",
        lambda path, name, kind: _status_list().set_inactive(path, name, True, kind),
    ),
    (
        "active",
        "Make an inactive status active again.",
        lambda path, name, kind: _status_list().set_inactive(path, name, False, kind),
    ),
    (
        "delete",
        "Delete a status (its row goes, the rows below move up) — refused while sessions or triggers use it.",
        lambda path, name, kind: _status_list().delete(path, name, kind),
    ),
)


def _status_list():
    from ..library import statuses as status_list

    return status_list


def _one_status_command(name: str, help_text: str, operation: Callable[[Path, str, str], object]) -> None:
    @statuses.command(name, help=help_text)
    @workbook_argument
    @name_argument
    @type_option
    @today_option
    @json_option
    def command(path: Path, name: str, session_type: str, today, as_json: bool) -> None:
        run(path, as_json, lambda: operation(path, name, session_type))


for _name, _help, _operation in ONE_STATUS_COMMANDS:
    _one_status_command(_name, _help, _operation)


@statuses.command()
@workbook_argument
@click.argument("old")
@click.argument("new")
@type_option
@today_option
@json_option
def rename(path: Path, old: str, new: str, session_type: str, today, as_json: bool) -> None:
    """Rename a status in Statuses, the sessions' Status and Change To, and the Triggers; a Notes row records it."""
    from ..library import statuses as status_list

    run(path, as_json, lambda: status_list.rename(path, old, new, session_type, today.date() if today else None))


@statuses.command()
@workbook_argument
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The file to write, .xlsx or .csv (default: 'NAME statuses.xlsx' beside the workbook).",
)
@type_option
@hide_option
@today_option
@json_option
def export(path: Path, out: Path | None, session_type: str, hide_inactive: bool, today, as_json: bool) -> None:
    """Export the list to Excel (or CSV) by cycle and sort order; the workbook is not changed."""
    from ..library import statuses as status_list

    target = out or path.with_name(f"{path.stem} statuses.xlsx")
    run(path, as_json, lambda: status_list.export(path, target, hide_inactive, session_type))


@statuses.command("print")
@workbook_argument
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The file to write: .pdf (needs LibreOffice) or a print-ready .xlsx (default: 'NAME "
    "statuses.pdf' beside the workbook, or 'NAME statuses (print).xlsx' when LibreOffice is not "
    "installed).",
)
@type_option
@hide_option
@today_option
@json_option
def print_(path: Path, out: Path | None, session_type: str, hide_inactive: bool, today, as_json: bool) -> None:
    """Print the list: a PDF through LibreOffice when it is installed, else a print-ready workbook."""
    from ..library import statuses as status_list

    run(path, as_json, lambda: status_list.print_list(path, out, hide_inactive, session_type))


@click.command()
@workbook_argument
@click.argument("more_years", nargs=-1, type=click.IntRange(1900, 2199), metavar="")
@click.option(
    "--country", default="", help="ISO country code, such as US or DE (default: Holiday country in Settings)."
)
@click.option(
    "--region",
    default="",
    help="Region (subdivision) code, such as CA or BY (default: Holiday region in Settings, for the Settings country).",
)
@click.option(
    "--years",
    multiple=True,
    type=click.IntRange(1900, 2199),
    metavar="YEAR…",
    help="The years to fill: --years 2026 2027 (default: this year).",
)
@today_option
@json_option
def holidays(
    path: Path, more_years: tuple[int, ...], country: str, region: str, years: tuple[int, ...], today, as_json: bool
) -> None:
    """Fill the Holidays sheet with a country's public holidays (python-holidays).

    Dates already on the sheet (in whatever form) are not added again, and your own rows stay.
    """
    from ..library import public_holidays as public

    wanted = [*years, *more_years]
    run(path, as_json, lambda: public.fill(path, country, region, wanted, today.date() if today else None))
