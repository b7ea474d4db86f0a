"""Time in status, from the Notes history, with pandas: for each status, how many sessions passed through it, the
median and 90th-percentile business days they stayed, and the share that left after the due date they entered
with — where the studio's work waits.

A session entered a status on the Date Completed of a Notes row whose To Status is that status, and left it on the
Date Completed of its next Notes row; a session still in a status has not passed through it. Rows that record a
rename (`status renamed from "X" to "Y"`, written by `sheetflow statuses rename`) carry older rows' names forward
to the new ones. Notes rows moved to an archive beside the workbook (`sheetflow notes archive`) are read before the
Notes sheet's, so archiving changes no figure. The same figures per person: a stay is the person's the session was
assigned to as it entered (core/history's `_owners` says how older Notes rows without an Assigned To are read). And
the reasons: each move on counted under the status it left, each hold under the status it keeps, by its Reason.
Only `report` and the Dashboard button import this module (pandas takes a while to load).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import studio as core
from ..core.calendar import BusinessCalendar
from ..core.cells import normalize, read_text
from ..core.cycle import ONE_CYCLE, Status
from ..core.dashboard import StatusTime, TimeInStatus
from ..core.history import (
    COLUMNS,
    HELD,
    RENAMED,
    RESUMED,
    Figures,
    Names,
    ReportOutcome,
    _statuses_in_order,
    clock_row,
    default_users,
    notes_day,
    per_person,
    reasons_per_status,
)
from ..core.schema import NOTES
from ..core.sessions import session_key
from ..core.tables import Table


@dataclass
class Rename:
    position: int  # the Notes row's place in the history: rows before it used the old name
    old: str  # normalized
    new: str  # normalized
    cycle: str | None  # normalized session type, when statuses are by type


def rebuild(studio: core.Studio, today: dt.date, workbook: Path | None = None) -> ReportOutcome:
    """The whole Dashboard: refresh (the board, and every due date and flag it counts), then the time in status —
    from the Notes archives beside `workbook` too, oldest first."""
    refreshed = core.refresh(studio, today)
    archives = []
    if workbook is not None:
        from .archive import read_archives

        archives = read_archives(workbook)
    history = time_in_status(studio, studio.tables.get(NOTES.name), today, [table for _, table in archives])
    if archives:
        refreshed.notes.append(
            "time in status read the Notes archive"
            + ("s " if len(archives) > 1 else " ")
            + ", ".join(path.name for path, _ in archives)
            + " too"
        )
    return ReportOutcome.rebuilt(refreshed, history)


def time_in_status(
    studio: core.Studio, notes: Table | None, today: dt.date, archives: Sequence[Table] = ()
) -> TimeInStatus:
    """Aggregate the Notes rows (read whole), after the archived ones, into one StatusTime per status, in workflow
    order."""
    history = TimeInStatus(as_of=today, per_person=[])
    statuses = _statuses_in_order(studio)
    sources = [
        t for t in (*archives, notes) if t is not None and t.exists and t.has("To Status") and t.has("Session ID")
    ]
    if not sources:
        history.statuses = [_line(studio, status, key, None) for key, status in statuses if _shown(status, None)]
        return history
    people, reasons = Names(studio.lists.users), Names(studio.reasons)
    frame, moves, renames = _history_frame(sources, studio.settings.date_order, people, reasons)
    history.changes_read = len(frame)
    for rows in (frame, moves):
        rows["cycle"] = _session_cycles(studio, rows)
        _apply_renames(rows, renames, studio.workflow.by_type)
        rows["cycle"] = _fill_cycles(studio, rows)
    _owners(studio, frame, people)
    stays = _stays(frame, studio.calendar)
    groups = {key: group for key, group in stays.groupby(["cycle", "status"], sort=False)} if len(stays) else {}
    lines = []
    for key, status in statuses:
        group = groups.get((key, status.key))
        if _shown(status, group):
            lines.append(_line(studio, status, key, group))
    history.statuses = lines
    by_person = stays.groupby(["owner", "by_default", "cycle", "status"], sort=False) if len(stays) else ()
    history.per_person = per_person(studio, people, {key: _figures(group) for key, group in by_person})
    if any(source.has("Reason") for source in sources):
        history.reasons = reasons_per_status(studio, reasons, _reason_counts(moves))
    return history


def _reason_counts(moves: pd.DataFrame) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(moves on, holds) per (cycle, status, reason); moves of no known cycle are left out, as stays are."""
    known = moves[moves["cycle"].notna()]
    if known.empty:
        return {}
    counted = known.groupby(["cycle", "status", "reason"], sort=False)["held"].agg(["size", "sum"])
    return {key: (int(size - held), int(held)) for key, size, held in counted.itertuples(name=None)}


def _figures(group: pd.DataFrame) -> Figures:
    with_due = group["has_due"]
    left_late = round(float(group.loc[with_due, "late"].mean()), 4) if with_due.any() else None
    return int(len(group)), round(float(group["days"].median()), 1), left_late, int(group["late"].sum())


def _owners(studio: core.Studio, frame: pd.DataFrame, people: Names) -> None:
    """Whose each stay is, by core/history's `_owners` rules: the row's Assigned To; before a session's first row
    that has one, the status's Default User, else whoever the row before gave it to (carried forward); after it, a
    blank is no one."""
    defaults = pd.DataFrame(
        [(cycle, status, user) for (cycle, status), user in default_users(studio, people).items()],
        columns=["cycle", "status", "user"],
        dtype="object",
    )
    sessions = frame["session"]
    told = frame["assigned"] != ""
    told_before = told.groupby(sessions, sort=False).cummax()  # this row or an earlier one of its session
    default = frame[["cycle", "status"]].astype("object").merge(defaults, how="left", on=["cycle", "status"])["user"]
    default.index = frame.index  # a left merge keeps the rows' order
    guessed = default.astype("object").where(~told_before).groupby(sessions, sort=False).ffill()
    frame["owner"] = frame["assigned"].where(told, guessed.where(~told_before, "").fillna(""))
    frame["by_default"] = ~told_before & (frame["owner"] != "")


def _shown(status: Status, group: pd.DataFrame | None) -> bool:
    """A status with stays is shown; without, only an active one that sessions could still leave."""
    return group is not None or not (status.final or status.inactive)


def _line(studio: core.Studio, status: Status, key: str, group: pd.DataFrame | None) -> StatusTime:
    cycle = studio.workflow.cycles[key].session_type if studio.workflow.by_type else ""
    line = StatusTime(status=status.description, cycle=cycle, typical_duration=status.typical_duration)
    if group is None or group.empty:
        return line
    days = group["days"]
    line.passed_through = int(len(group))
    line.median = round(float(days.median()), 1)
    line.p90 = round(float(days.quantile(0.9)), 1)  # linear, as Excel's PERCENTILE.INC
    with_due = group["has_due"]
    if with_due.any():
        line.left_late = round(float(group.loc[with_due, "late"].mean()), 4)
    return line


def _history_frame(
    sources: Sequence[Table], date_order: str, people: Names, reasons: Names
) -> tuple[pd.DataFrame, pd.DataFrame, list[Rename]]:
    """The Notes rows as columns (one pass over rows that may number a million; archives first, as one history),
    the moves on and holds with their reasons, renames apart. The same few statuses, names and each session's id
    recur row after row: each is normalized once."""
    sessions: list[str] = []
    assignees: list[str] = []
    targets: list[str] = []
    entered: list[object] = []
    dues: list[object] = []
    positions: list[int] = []
    renames: list[Rename] = []
    keys: dict[object, str] = {}
    names: dict[object, str] = {}
    latest: dict[str, int] = {}  # each session's last change so far, by its place in the lists
    moved: dict[str, list] = {"session": [], "status": [], "position": [], "reason": [], "held": []}
    rows = ((notes, row) for notes in sources for row in notes.rows)
    index: list[int | None] = []
    table: Table | None = None
    for position, (notes, row) in enumerate(rows):
        if notes is not table:
            table, index = notes, [notes.index(c) for c in COLUMNS]
        values = row.values
        width = len(values)
        sid, to, completed, due, note, assigned, came_from, reason = (
            values[i - 1] if i is not None and i <= width else None for i in index
        )
        key = keys.get(sid)
        if key is None:
            key = keys[sid] = session_key(read_text(sid))
        if not key:
            m = RENAMED.match(note) if isinstance(note, str) else None
            if m:
                renames.append(Rename(position, normalize(m[1]), normalize(m[2]), normalize(m[3]) if m[3] else None))
            continue
        name = names.get(to)
        if name is None:
            name = names[to] = normalize(read_text(to))
        if not name:
            continue
        clock = clock_row(note, came_from, name)
        if clock == HELD:
            left = name
        elif clock is None:
            left = names.get(came_from)
            if left is None:
                left = names[came_from] = normalize(read_text(came_from))
        else:
            left = ""
        if left:  # a move on from a status, or a hold in it: counted under its reason
            for column, value in zip(moved, (key, left, position, reasons.key(reason), clock == HELD), strict=True):
                moved[column].append(value)
        if clock is not None:  # a hold or a resume: the session stays where it was
            if clock == RESUMED and key in latest:  # the due date the clock restarted with
                dues[latest[key]] = due if type(due) is dt.date else notes_day(due, date_order, notes.date1904)
            continue
        latest[key] = len(sessions)
        sessions.append(key)
        targets.append(name)
        entered.append(completed if type(completed) is dt.date else notes_day(completed, date_order, notes.date1904))
        dues.append(due if type(due) is dt.date else notes_day(due, date_order, notes.date1904))
        positions.append(position)
        assignees.append(people.key(assigned))
    frame = pd.DataFrame(
        {
            "session": sessions,
            "status": targets,
            "position": np.asarray(positions, dtype=np.int64),
            "entered": pd.to_datetime(pd.Series(entered, dtype="object")),
            "due": pd.to_datetime(pd.Series(dues, dtype="object")),
            "assigned": pd.Series(assignees, dtype="object"),
        }
    )
    moves = pd.DataFrame(
        {
            "session": pd.Series(moved["session"], dtype="object"),
            "status": pd.Series(moved["status"], dtype="object"),
            "position": np.asarray(moved["position"], dtype=np.int64),
            "reason": pd.Series(moved["reason"], dtype="object"),
            "held": np.asarray(moved["held"], dtype=bool),
        }
    )
    return frame, moves, renames


def _apply_renames(frame: pd.DataFrame, renames: list[Rename], by_type: bool) -> None:
    """Rows before a rename that name the old status take the new name (so a later rename of that name carries
    them on too); a by-type rename touches only rows of its cycle, or of no known cycle (which then join it)."""
    for rename in renames:
        before = (frame["position"] < rename.position) & (frame["status"] == rename.old)
        if by_type and rename.cycle is not None:
            before &= frame["cycle"].isna() | (frame["cycle"] == rename.cycle)
            frame.loc[before, "cycle"] = rename.cycle
        frame.loc[before, "status"] = rename.new


def _session_cycles(studio: core.Studio, frame: pd.DataFrame) -> pd.Series:
    """Each row's cycle key from its session's type (None for a session no longer on the Sessions sheet)."""
    workflow = studio.workflow
    if not workflow.by_type:
        return pd.Series(ONE_CYCLE, index=frame.index, dtype="object")
    key_of = {id(cycle): key for key, cycle in workflow.cycles.items()}
    by_session = {session_key(s.session_id): key_of.get(id(s.cycle)) for s in studio.sessions}
    return frame["session"].map(by_session).astype("object")


def _fill_cycles(studio: core.Studio, frame: pd.DataFrame) -> pd.Series:
    """Rows still without a cycle take the one cycle that has a status of their name (none when several do)."""
    owners: dict[str, list[str]] = {}
    for key, cycle in studio.workflow.cycles.items():
        for status in cycle.statuses:
            owners.setdefault(status.key, []).append(key)
    unknown = frame["cycle"].isna()
    if not unknown.any():
        return frame["cycle"]
    only_owner = frame.loc[unknown, "status"].map(
        lambda name: owners[name][0] if len(owners.get(name, ())) == 1 else None
    )
    filled = frame["cycle"].copy()
    filled[unknown] = only_owner
    return filled


STAY_COLUMNS = ["cycle", "status", "days", "late", "has_due", "owner", "by_default"]


def _stays(frame: pd.DataFrame, calendar: BusinessCalendar) -> pd.DataFrame:
    """One row per completed stay: its status, business days spent, and whether it left after its due date."""
    if frame.empty:
        return pd.DataFrame(columns=STAY_COLUMNS)
    frame = frame.sort_values(["session", "position"], kind="stable")
    frame["left"] = frame.groupby("session", sort=False)["entered"].shift(-1)
    stays = frame[frame["left"].notna() & frame["entered"].notna() & frame["cycle"].notna()].copy()
    if stays.empty:
        return pd.DataFrame(columns=STAY_COLUMNS)
    weekmask = "".join("1" if day in calendar.workdays else "0" for day in range(7))
    holidays = np.array(sorted(calendar.holidays), dtype="datetime64[D]")
    start = stays["entered"].to_numpy(dtype="datetime64[D]") + np.timedelta64(1, "D")
    end = stays["left"].to_numpy(dtype="datetime64[D]") + np.timedelta64(1, "D")
    # business days d with entered < d <= left, as BusinessCalendar.business_days_between counts them
    days = np.busday_count(start, end, weekmask=weekmask, holidays=holidays)
    stays["days"] = np.maximum(days, 0)
    stays["has_due"] = stays["due"].notna()
    stays["late"] = stays["has_due"] & (stays["left"] > stays["due"])
    return stays[STAY_COLUMNS]
