"""Small answers that must read right: counts that agree with their words (one session stays, two stay), and the
README's install steps that work from this repository."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.workbooks import STATUSES, session, studio

README = Path(__file__).resolve().parents[2] / "README.md"


def test_making_a_status_inactive_counts_one_session_and_several_in_good_english(tmp_path, sheetflow):
    one = studio(
        tmp_path / "one.xlsx",
        [
            session(session_id=1, status="Retouch Pending"),
            session(session_id=2, status="Image Capture Pending", change_to="Retouch Pending"),
        ],
    )
    result = sheetflow("statuses", "inactive", one, "Retouch Pending")
    assert result.exit_code == 0, result.output
    assert "1 session still in it stays there until moved on (Sessions row 2)" in result.output
    assert '1 session has "Retouch Pending" in Change To (Sessions row 3)' in result.output
    assert "pick another status in its Change To" in result.output

    several = studio(
        tmp_path / "several.xlsx",
        [
            session(session_id=1, status="Retouch Pending"),
            session(session_id=2, status="Retouch Pending"),
            session(session_id=3, status="Image Capture Pending", change_to="Retouch Pending"),
            session(session_id=4, status="Image Capture Pending", change_to="Retouch Pending"),
        ],
    )
    result = sheetflow("statuses", "inactive", several, "Retouch Pending")
    assert result.exit_code == 0, result.output
    assert "2 sessions still in it stay there until moved on (Sessions rows 2 and 3)" in result.output
    assert '2 sessions have "Retouch Pending" in Change To (Sessions rows 4 and 5)' in result.output
    assert "pick another status in their Change To" in result.output


def test_deleting_a_status_names_one_own_column_in_the_singular(tmp_path, sheetflow):
    rows = [[*r, "Our note" if i == 0 else ""] for i, r in enumerate(STATUSES)]
    rows = [[*r, "Extra" if i == 0 else ""] for i, r in enumerate(rows)]
    rows[4][9] = "kept"  # Old Step's own note; its Extra cell stays blank
    book = studio(tmp_path / "s.xlsx", [], statuses=rows)
    result = sheetflow("statuses", "delete", book, "Old Step")
    assert result.exit_code == 0, result.output
    assert 'your own column on that row went with it: "Our note"' in result.output


def test_a_single_status_or_cycle_is_named_as_the_only_one(tmp_path, sheetflow):
    only = [STATUSES[0], ["", "Booked", 10, 0, "Yes", "Yes", "Booking", "Maya", ""]]
    book = studio(tmp_path / "s.xlsx", [], statuses=only)
    result = sheetflow("statuses", "inactive", book, "Shot")
    assert result.exit_code == 2
    assert "the only status is Booked" in result.output and "statuses are" not in result.output
    renumbered = sheetflow("statuses", "renumber", book)
    assert renumbered.exit_code == 0 and "the one status was already numbered 10" in renumbered.output


def test_the_readme_installs_from_this_repository_and_builds_a_wheel():
    text = README.read_text(encoding="utf-8")
    bare = [line for line in text.splitlines() if re.search(r"pip install [\"']?sheetflow\b(?![\w./-])", line)]
    assert bare == [], bare  # sheetflow is not on PyPI: a bare `pip install sheetflow` finds nothing
    assert "pip install ." in text
    assert "pip wheel . -w dist" in text and "dist/sheetflow-" in text
