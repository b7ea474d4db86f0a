"""Times the studio's calendar file on a big studio: the first calendar, an unchanged one, and one changed due date.

    python benchmarks/studio_calendar.py                  # N = 20,000 sessions
    python benchmarks/studio_calendar.py --n 5000 --repeat 5
    python benchmarks/studio_calendar.py --feed /tmp/calendar_feed-before.py   # time another calendar_feed.py (a copy
                                                                          # saved before a change), same studio
    python benchmarks/studio_calendar.py --steps refresh --runs /tmp/runs-before.py --feed /tmp/calendar_feed-before.py
                                  # only the refresh lines, with another runs.py (its calendar_feed: --feed's)

The studio comes from generate.py (the same book run.py measures, kept in benchmarks/work/ and reused). Each step
is `calendar_feed.update` on the agenda a refresh gives (the part a Refresh click adds once the workbook is saved);
reading the workbook and working out that agenda is timed on its own line, since every calendar run pays it
whatever the file holds. The refresh lines time `runs.refresh` whole (read, work, write, and the calendar Settings
names): on the same studio without a Calendar file, with one whose calendar is unchanged, and after one changed due
date; each book is refreshed twice first (its triggers fire, its first calendar is written), untimed. The medians of
--repeat runs (default 3) are printed as small tables.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import shutil
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

from generate import FORMAT_VERSION, TODAY, generate, load_sidecar, workbook_name

HERE = Path(__file__).resolve().parent


def feed_module(path: Path | None) -> ModuleType:
    """sheetflow.library.calendar_feed, or the calendar_feed.py at `path` loaded in its place (same package, so its
    relative imports resolve against this checkout)."""
    if path is None:
        from sheetflow.library import calendar_feed

        return calendar_feed
    spec = importlib.util.spec_from_file_location("sheetflow.library._calendar_feed_measured", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def runs_module(path: Path | None) -> ModuleType:
    """sheetflow.library.runs, or the runs.py at `path` loaded in its place (same package, as feed_module does)."""
    if path is None:
        from sheetflow.library import runs

        return runs
    spec = importlib.util.spec_from_file_location("sheetflow.library._runs_measured", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def feeding(feed: ModuleType):
    """`from .calendar_feed import …` inside runs.refresh gives `feed` while it is timed (the checkout's otherwise)."""
    name = "sheetflow.library.calendar_feed"
    kept = sys.modules.get(name)
    sys.modules[name] = feed
    try:
        yield
    finally:
        if kept is not None:
            sys.modules[name] = kept


def studio_book(work: Path, n: int, today: dt.date) -> Path:
    """A copy of generate.py's N-session book (generated once, then reused)."""
    book = work / workbook_name(n)
    info = load_sidecar(book)
    wanted = (n, today.isoformat(), FORMAT_VERSION)
    if info is None or not book.exists() or (info.n_sessions, info.today, info.format_version) != wanted:
        info = generate(book, n, today=today)
    copy = work / f"calendar-{n}.xlsx"
    shutil.copyfile(book, copy)
    return copy


def timed(step, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = step(*args)
    return time.perf_counter() - started, result


def measure(feed: ModuleType, book: Path, today: dt.date, repeat: int) -> tuple[dict, int]:
    """Seconds per step, each run `repeat` times; and how many entries the calendar holds. Each turn moves another
    session on with a due date typed by hand (`sheetflow change ID --due DATE`), so its due-date event changes."""
    from urllib.parse import unquote

    import icalendar  # imported once, before anything is timed: a refresh process pays it once as well

    from sheetflow.core.agenda import DUE
    from sheetflow.library.runs import change

    target = book.with_suffix(".ics")
    now = feed._now(today, None)
    seconds: dict[str, list[float]] = {"read": [], "first": [], "unchanged": [], "changed": []}
    entries = 0
    for turn in range(repeat):
        took, (_, found) = timed(feed._agenda, book, today, "")
        seconds["read"].append(took)
        entries = len(found.entries)
        target.unlink(missing_ok=True)
        took, written = timed(feed.update, target, found, now)
        assert written, "the first calendar was not written"
        seconds["first"].append(took)
        took, written = timed(feed.update, target, found, now)
        assert not written, "an unchanged calendar was rewritten"
        seconds["unchanged"].append(took)
        before = target.read_bytes()
        dues = [entry.uid for entry in found.entries if entry.kind == DUE]
        uid = dues[(turn * 997) % len(dues)]
        session_id = unquote(uid.removeprefix("sheetflow-due-").split("@")[0])
        moved = change(book, session_id, today, due=(today + dt.timedelta(days=30 + turn)).isoformat())
        assert moved.said[0].startswith("1 change applied"), moved.said
        _, found = feed._agenda(book, today, "")
        later = now + dt.timedelta(minutes=1)
        took, written = timed(feed.update, target, found, later)
        assert written, "a changed due date did not rewrite the calendar"
        seconds["changed"].append(took)
        after = target.read_bytes()
        parsed = icalendar.Calendar.from_ical(after)
        assert len(parsed.walk("VEVENT")) + len(parsed.walk("VTODO")) == len(found.entries)
        touched = set(events(after)) ^ set(events(before))  # its text before and after (or only before: delivered)
        assert touched and all(uid.encode() in text for text in touched), f"{len(touched)} events' texts changed"
    return {step: statistics.median(values) for step, values in seconds.items()}, entries


def measure_refresh(runs: ModuleType, feed: ModuleType, book: Path, today: dt.date, repeat: int) -> dict:
    """Seconds per refresh, each run `repeat` times: the studio without a Calendar file, with one (calendar
    unchanged), and after one changed due date (the calendar rewritten); then `calendar` on the refreshed book must
    find the file as it would write it."""
    from urllib.parse import unquote

    import icalendar  # noqa: F401 -- imported once, before anything is timed, as in measure()

    from sheetflow.core.agenda import DUE
    from sheetflow.library.runs import change

    plain, keeping = book.with_name(f"refresh-{book.stem}.xlsx"), book.with_name(f"refresh-ics-{book.stem}.xlsx")
    target = keeping.with_suffix(".ics")
    for copy in (plain, keeping):
        shutil.copyfile(book, copy)
    target.unlink(missing_ok=True)
    seconds: dict[str, list[float]] = {"none": [], "unchanged": [], "changed": []}
    with feeding(feed):
        runs.refresh(plain, today)  # its triggers fire once: the timed refreshes are the next days' ones
        runs.refresh(keeping, today, settings=lambda _: {"Calendar file": target.name})
        first = runs.refresh(keeping, today)
        assert f"the studio's calendar {target.name} updated" in first.notes, first.notes
        _, found = feed._agenda(keeping, today, "")
        dues = [unquote(e.uid.removeprefix("sheetflow-due-").split("@")[0]) for e in found.entries if e.kind == DUE]
        for turn in range(repeat):
            took, _ = timed(runs.refresh, plain, today)
            seconds["none"].append(took)
            took, outcome = timed(runs.refresh, keeping, today)
            assert not [note for note in outcome.notes if "calendar" in note], outcome.notes
            seconds["unchanged"].append(took)
            session_id, due = dues[(turn * 997) % len(dues)], today + dt.timedelta(days=40 + turn)
            moved = change(keeping, session_id, today, due=due.isoformat())
            assert moved.said[0].startswith("1 change applied"), moved.said
            took, outcome = timed(runs.refresh, keeping, today)
            assert f"the studio's calendar {target.name} updated" in outcome.notes, outcome.notes
            seconds["changed"].append(took)
        exact = feed.calendar(keeping, today)  # what `sheetflow calendar` gives on the refreshed book
        assert not exact.written, "the calendar a refresh wrote is not the one `sheetflow calendar` gives"
    return {step: statistics.median(values) for step, values in seconds.items()}


def refresh_table(n: int, medians: dict[str, float], label: str, repeat: int) -> str:
    rows = [
        ("refresh, no Calendar file", medians["none"]),
        ("refresh with calendar, calendar unchanged", medians["unchanged"]),
        ("refresh with calendar, after one changed due date", medians["changed"]),
    ]
    lines = [
        f"runs.refresh: {label}; {n:,} sessions; median of {repeat}",
        "",
        "| step | seconds |",
        "|---|---:|",
        *(f"| {step} | {value:.3f} |" for step, value in rows),
    ]
    return "\n".join(lines)


def events(text: bytes) -> list[bytes]:
    """Each VEVENT's text as the file holds it."""
    return [b"BEGIN:VEVENT" + part.split(b"END:VEVENT")[0] for part in text.split(b"BEGIN:VEVENT")[1:]]


def table(n: int, entries: int, medians: dict[str, float], label: str, repeat: int) -> str:
    rows = [
        ("read the workbook, work out the agenda", medians["read"]),
        ("first calendar (no file yet)", medians["first"]),
        ("unchanged calendar", medians["unchanged"]),
        ("one changed due date, then calendar", medians["changed"]),
    ]
    lines = [
        f"calendar_feed: {label}; {n:,} sessions, {entries:,} entries; median of {repeat}",
        "",
        "| step | seconds |",
        "|---|---:|",
        *(f"| {step} | {value:.3f} |" for step, value in rows),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20_000, help="sessions in the studio (default 20,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step; the median is shown")
    parser.add_argument("--feed", type=Path, help="time this calendar_feed.py instead of the checkout's")
    parser.add_argument("--runs", type=Path, help="time this runs.py's refresh instead of the checkout's")
    parser.add_argument("--steps", choices=("all", "feed", "refresh"), default="all", help="which tables to time")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=TODAY, help="the studio's today")
    args = parser.parse_args(argv)
    work = HERE / "work"
    work.mkdir(exist_ok=True)
    feed = feed_module(args.feed)
    book = studio_book(work, args.n, args.today)
    if args.steps in ("all", "feed"):
        medians, entries = measure(feed, book, args.today, args.repeat)
        print(table(args.n, entries, medians, str(args.feed or "this checkout"), args.repeat))
    if args.steps in ("all", "refresh"):
        runs = runs_module(args.runs)
        label = f"{args.runs or 'this checkout'}, calendar_feed {args.feed or 'this checkout'}"
        medians = measure_refresh(runs, feed, studio_book(work, args.n, args.today), args.today, args.repeat)
        print(("\n" if args.steps == "all" else "") + refresh_table(args.n, medians, label, args.repeat))


if __name__ == "__main__":
    main()
