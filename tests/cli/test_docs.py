"""The README documents every command, subcommand and option of the `sheetflow` command line.

After sqlite-utils' test_docs.py: the click command tree is walked from `sheetflow.cli.main` (sub-groups such as
`statuses`, `notes` and `excel` included), and each command is one test case that fails when its full name
(`sheetflow statuses export`) or the long flag of one of its options (`--hide-inactive`) is not in README.md.
Only click's own help option (`--help`, `-h`) is skipped; an option many commands share (`--json`, `--today`)
needs one mention somewhere in the README, which then covers them all.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from sheetflow.cli.main import main

README = Path(__file__).resolve().parents[2] / "README.md"
PROG = "sheetflow"


def walk(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command under `command`, itself first, each with its words after `sheetflow`."""
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found += walk(command.commands[name], (*path, name))
    return found


COMMANDS = walk(main)


def flags(command: click.Command) -> list[str]:
    """The flag that names each option: its long flags (`--dry-run`, and `--no-x` of an on/off pair), else its
    short one. `command.params` leaves out click's help option, which click adds at parse time."""
    names: list[str] = []
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        options = [*param.opts, *param.secondary_opts]
        long = [o for o in options if o.startswith("--")]
        names += long or options[:1]
    return names


def mentioned(words: str, text: str) -> bool:
    """`words` appears in `text` as whole words: `--to` is not found inside `--today`, nor `sheetflow new` inside
    `sheetflow newer`; a line break may fall between the words of a command."""
    pattern = r"\s+".join(re.escape(word) for word in words.split())
    return re.search(rf"(?<![\w-]){pattern}(?![\w-])", text) is not None


def test_the_walk_finds_the_command_tree():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "new", "statuses", "statuses export", "notes archive", "excel lite", "holidays"} <= names


@pytest.mark.parametrize(
    "path, command",
    [pytest.param(path, command, id=" ".join(path) or PROG) for path, command in COMMANDS],
)
def test_command_is_documented(path: tuple[str, ...], command: click.Command):
    readme = README.read_text(encoding="utf-8")
    name = " ".join((PROG, *path))
    missing = [] if mentioned(name, readme) else [f"the command `{name}`"]
    missing += [f"its option `{flag}`" for flag in flags(command) if not mentioned(flag, readme)]
    assert not missing, (
        f"README.md does not mention {', '.join(missing)} — document "
        f"{'them' if len(missing) > 1 else 'it'} in README.md's Commands section (or the section `{name}` "
        f"belongs to), one plain line saying what it does and when to use it"
    )
