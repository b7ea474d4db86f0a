"""Every run ends on the final state (SPEC §7): after `apply`, a change or a button click, every session's due date,
Flag and Days Overdue are as a refresh would make them, and Problems says what is wrong now — nothing stale,
nothing dropped. Each behaviour on the command line (a workbook file) and on a button (an xlwings payload)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers.workbooks import cells, records, session, studio

MON_16 = dt.date(2026, 11, 16)
SESSIONS = [
    session(session_id=1, client="Ann", status="Session Pending", status_date=MON_16, change_to="next"),
    # stored before its due day passed: Flag and Days Overdue are stale until something refreshes them
    session(
        session_id=2,
        client="Bob",
        status="Retouch Pending",
        status_date=dt.date(2026, 11, 2),
        due_date=dt.date(2026, 11, 9),
        manual_due="No",
    ),
    session(session_id=3, client="Cy", status="Old Step", status_date=MON_16, change_to="Retouch Pending"),
    session(session_id=5, client="Ed", status="Session Pending", status_date=MON_16, change_to="Shoto"),
]


def problems(book: Path) -> set[tuple[str, str]]:
    return {(r["Severity"], r["Problem"]) for r in records(book, "Problems")}


def sessions_cells(book: Path) -> list[list[object]]:
    return cells(book, "Sessions")


# -- the command line ------------------------------------------------------------------------------------------


def test_apply_refreshes_the_flag_and_days_overdue_of_every_other_session(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", SESSIONS)
    assert sheetflow("apply", book).exit_code == 1  # Ed's misspelt Change To is refused
    bob = next(r for r in records(book, "Sessions") if r["Session ID"] == 2)
    assert bob["Flag"] == "Overdue" and bob["Days Overdue"] == 12  # business days since Nov 9, as of Nov 25


def test_after_apply_a_refresh_has_nothing_left_to_change(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", SESSIONS)
    sheetflow("apply", book)
    after_apply = sessions_cells(book)
    assert sheetflow("refresh", book).exit_code == 1  # Ed's Change To is still wrong: said again, not dropped
    assert sessions_cells(book) == after_apply


def test_a_warning_the_run_made_untrue_leaves_problems(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", SESSIONS)
    sheetflow("validate", book)
    assert ("warning", 'Status "Old Step" is inactive') in problems(book)  # Cy, before the run
    sheetflow("apply", book)
    wheres = {(r["Problem"], r["Where"]) for r in records(book, "Problems")}
    assert not any(
        problem.startswith('Status "Old Step"') and "Sessions!G4" in str(where) for problem, where in wheres
    )  # Cy moved on


def test_a_status_rewritten_in_its_own_spelling_keeps_its_warning(tmp_path, sheetflow):
    """Refresh writes "old  step" back as "Old Step": the cell is rewritten, the session is still inactive."""
    book = studio(tmp_path / "s.xlsx", [session(session_id=4, client="Di", status="old  step", status_date=MON_16)])
    sheetflow("refresh", book)
    assert records(book, "Sessions")[0]["Status"] == "Old Step"
    assert problems(book) == {("warning", 'Status "Old Step" is inactive')}


def test_problems_after_apply_are_what_validate_finds_next(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", SESSIONS)
    sheetflow("apply", book)
    after_apply = problems(book)
    sheetflow("validate", book)
    assert problems(book) == after_apply
    assert any("Shoto" in problem for _, problem in after_apply)


def test_refresh_keeps_a_misspelt_change_to_on_problems(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [SESSIONS[-1]])
    sheetflow("validate", book)
    found = problems(book)
    assert any("Shoto" in problem for _, problem in found)
    assert sheetflow("refresh", book).exit_code == 1
    assert problems(book) == found


def test_change_drops_the_warning_of_the_status_it_left(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=3, client="Cy", status="Old Step", status_date=MON_16)])
    sheetflow("validate", book)
    assert problems(book)
    assert sheetflow("change", book, "3", "--to", "Retouch Pending").exit_code == 0
    assert problems(book) == set()


def test_change_of_one_session_keeps_the_other_sessions_problems(tmp_path, sheetflow):
    """`change` reads only its session; what Problems says about the others stays, its own is brought up to date."""
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=3, client="Cy", status="Old Step", status_date=MON_16),
            session(session_id=5, client="Ed", status="Session Pending", status_date=MON_16, change_to="Shoto"),
        ],
    )
    sheetflow("validate", book)
    before = {(r["Where"], r["Problem"]) for r in records(book, "Problems")}
    assert any(where == "Sessions!G2" for where, _ in before) and any("Shoto" in p for _, p in before)
    changed = sheetflow("change", book, "3", "--to", "Retouch Pending")
    assert changed.exit_code == 0 and "Shoto" not in changed.output  # not this run's finding: not its exit code
    after = {(r["Where"], r["Problem"]) for r in records(book, "Problems")}
    assert after == {(where, problem) for where, problem in before if not where.endswith("!G2")}
    assert after and all("Shoto" in problem for _, problem in after)  # Ed's problem, as validate put it
    sheetflow("validate", book)
    assert {(r["Where"], r["Problem"]) for r in records(book, "Problems")} == after  # and it is the truth


# -- the buttons (xlwings' remote engine: a payload in, actions out) -----------------------------------------------


@pytest.fixture
def click():
    """Run one button on a workbook file's payload; returns (payload, actions, grids after them, outcome)."""
    xw = pytest.importorskip("xlwings")
    from helpers.payloads import payload, played

    from sheetflow import excel

    def run(path: Path, script: str, selection: str = "A1", data: dict | None = None):
        data = data or payload(path, selection=selection)
        book = xw.Book(json=data)
        outcome = getattr(excel, script)(book)
        actions = book.json()["actions"]
        grids = played(book, data)
        book.close()
        return data, actions, grids, outcome

    return run


def _row(grids: dict, session_id: int) -> dict[str, object]:
    header, *rows = grids["Sessions"]
    return next(dict(zip(header, row, strict=False)) for row in rows if row and row[0] == session_id)


def _then_refresh_changes_nothing(click, path: Path, data: dict, actions: list) -> None:
    """The next Refresh click, on what this one left, writes only its status cell on Sessions."""
    from helpers.payloads import replayed

    _, again, _, _ = click(path, "refresh", data=replayed(data, actions))
    sessions = next(i for i, s in enumerate(data["sheets"]) if s["name"] == "Sessions")
    writes = [a for a in again if a["func"] == "setValues" and a["sheet_position"] == sessions]
    assert [(a["row_count"], a["column_count"]) for a in writes] == [(1, 1)], writes


def test_the_apply_button_refreshes_every_other_session(tmp_path, click):
    path = studio(tmp_path / "s.xlsx", SESSIONS)
    data, actions, grids, outcome = click(path, "apply_changes")
    assert outcome is not None and len(outcome.applied) == 2
    bob = _row(grids, 2)
    assert bob["Flag"] == "Overdue" and isinstance(bob["Days Overdue"], int) and bob["Days Overdue"] > 0
    _then_refresh_changes_nothing(click, path, data, actions)


def test_the_change_status_button_refreshes_every_other_session(tmp_path, click):
    path = studio(tmp_path / "s.xlsx", SESSIONS)
    data, actions, grids, outcome = click(path, "change_status", selection="A2")  # Ann moves on
    assert outcome is not None and [d.session.session_id for d in outcome.applied] == ["1"]
    assert _row(grids, 2)["Flag"] == "Overdue"
    _then_refresh_changes_nothing(click, path, data, actions)


def test_the_apply_button_leaves_no_stale_warning_and_drops_none(tmp_path, click):
    path = studio(tmp_path / "s.xlsx", SESSIONS)
    _, _, grids, _ = click(path, "apply_changes")
    header, *rows = grids["Problems"]
    shown = {(r[header.index("Where")], r[header.index("Problem")]) for r in rows if any(r)}
    assert not any("Old Step" in problem for _, problem in shown)  # Cy moved out of it
    assert [where for where, problem in shown if "Shoto" in problem] == [
        '=HYPERLINK("#\'Sessions\'!O5","Sessions!O5")'
    ]  # Ed's, still pending


def test_the_refresh_button_keeps_a_misspelt_change_to_on_problems(tmp_path, click):
    path = studio(tmp_path / "s.xlsx", [SESSIONS[-1]])
    _, _, grids, outcome = click(path, "refresh")
    assert outcome is not None and any("Shoto" in p.message for p in outcome.problems)
    assert any("Shoto" in str(row) for row in grids["Problems"])
