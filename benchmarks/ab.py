"""Two sheetflow trees on the same books: does a change write the same files, and is it faster?

    python benchmarks/ab.py BEFORE AFTER BOOK.xlsx [BOOK.xlsx ...] [--repeat 7] [--daily] [--today D]

BEFORE and AFTER are folders holding a `sheetflow/` package (`git worktree add /tmp/before HEAD` gives the last
commit; the working tree is `.`). First each tree refreshes each book once with the run's clock fixed (Notes' and
the fired ledger's time stamps, and the Message IDs seeded by them, then come out the same), and every zip member's
inflated bytes are compared: a speed-up must not change a byte. Then each refresh runs `--repeat` times, one tree
and then the other, in a fresh process on a fresh copy (benchmarks/child.py: imports included, peak memory its
own); the pairs alternate which tree goes first, so a neighbour's load hits both alike. Printed: the median seconds
and peak of each, and the median and range of the pairwise after/before ratios. `--daily` also times the next
day's refresh, on the file BEFORE's first refresh wrote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLOCK = dt.time(9, 30, 15)  # the time of day every fixed-clock run says it is


def fixed_clock_refresh(book: str, out: str, today: str) -> None:
    """In this process: `sheetflow refresh` on a copy of book, its clock at CLOCK on `today` (the tree is the one
    on PYTHONPATH)."""
    import sheetflow.core.studio as studio
    from sheetflow.cli import main

    context = studio.Studio.context

    def fixed(self, day, now=None):
        return context(self, day, now or dt.datetime.combine(day, CLOCK))

    studio.Studio.context = fixed
    shutil.copyfile(book, out)
    try:
        main(["refresh", out, "--today", today], standalone_mode=False)
    except SystemExit as exc:
        if exc.code not in (0, 1, None):  # 1: the refresh found problems in the book, and wrote it
            raise


def _env(tree: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")])))


def _run(command: list[str], tree: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """From a folder with no sheetflow in it: the tree on PYTHONPATH is the one imported."""
    return subprocess.run(command, env=_env(tree), cwd=cwd, capture_output=True, text=True, check=False)


def differing_members(a: Path, b: Path) -> list[str]:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names_a, names_b = za.namelist(), zb.namelist()
        if names_a != names_b:
            return ["(the member lists differ)"]
        return [name for name in names_a if za.read(name) != zb.read(name)]


def timed(tree: Path, book: Path, today: str, scratch: Path, tag: str) -> dict:
    copy, result = scratch / f"{tag}.xlsx", scratch / f"{tag}.json"
    shutil.copyfile(book, copy)
    shutil.rmtree(scratch / ".sheetflow-backups", ignore_errors=True)
    command = [sys.executable, str(HERE / "child.py"), "sheetflow", "refresh", str(copy), str(result)]
    done = _run([*command, "--today", today], tree, scratch)
    if not result.exists():
        raise SystemExit(f"{tree}: the refresh of {book.name} did not finish:\n{done.stdout}{done.stderr}")
    found = json.loads(result.read_text())
    if not str(found.get("sheetflow_from", "")).startswith(str(tree)):
        raise SystemExit(f"{book.name} was refreshed by {found.get('sheetflow_from')}, not by {tree}")
    copy.unlink()
    return found


def _same_files(trees: dict[str, Path], book: Path, today: str, scratch: Path, label: str) -> Path:
    """Each tree's fixed-clock refresh of book, compared member by member; returns BEFORE's file."""
    written: dict[str, Path] = {}
    for name, tree in trees.items():
        out = scratch / f"{name}-{label}-{book.stem}.xlsx"
        fixed = ["--fixed-clock", str(book), str(out), today]
        done = _run([sys.executable, str(Path(__file__).resolve()), *fixed], tree, scratch)
        if done.returncode != 0 or not out.exists():
            raise SystemExit(f"{tree}: the fixed-clock refresh of {book.name} failed:\n{done.stderr}")
        written[name] = out
    differ = differing_members(written["before"], written["after"])
    verdict = "THE SAME" if not differ else "DIFFERENT: " + ", ".join(differ)
    print(f"\n{book.name}, {label} refresh: the two trees' files are {verdict}")
    return written["before"]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--fixed-clock"]:  # the child that writes one book with the clock fixed: BOOK OUT TODAY
        fixed_clock_refresh(*argv[1:4])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("books", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--today", default="2026-03-02")
    parser.add_argument("--daily", action="store_true", help="also the next day's refresh")
    args = parser.parse_args(argv)
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    for name, tree in trees.items():
        if not (tree / "sheetflow" / "__init__.py").exists():
            parser.error(f"{name}: {tree} holds no sheetflow package")
    next_day = (dt.date.fromisoformat(args.today) + dt.timedelta(days=1)).isoformat()
    with tempfile.TemporaryDirectory(prefix="sheetflow-ab-") as tmp:
        scratch = Path(tmp)
        print(f"before: {trees['before']}\nafter:  {trees['after']}\nload average now: {os.getloadavg()[0]:.2f}")
        for book in (b.resolve() for b in args.books):
            jobs = [("first", book, args.today)]
            written = _same_files(trees, book, args.today, scratch, "first")
            if args.daily:  # the next day, on the file BEFORE's first refresh wrote
                jobs.append(("daily", written, next_day))
                _same_files(trees, written, next_day, scratch, "daily")
            for label, source, today in jobs:
                runs: dict[str, list[dict]] = {"before": [], "after": []}
                for i in range(args.repeat):
                    order = ("before", "after") if i % 2 == 0 else ("after", "before")
                    for name in order:
                        runs[name].append(timed(trees[name], source, today, scratch, f"{name}-{i}"))
                seconds = {n: [r["seconds"] for r in rs] for n, rs in runs.items()}
                peaks = {n: [r["maxrss_mb"] for r in rs] for n, rs in runs.items()}
                ratios = sorted(a / b for a, b in zip(seconds["after"], seconds["before"], strict=True))
                print(
                    f"  {label} refresh, {args.repeat} pairs: before {statistics.median(seconds['before']):.3f} s, "
                    f"{statistics.median(peaks['before']):.1f} MB; after {statistics.median(seconds['after']):.3f} s, "
                    f"{statistics.median(peaks['after']):.1f} MB; after/before {statistics.median(ratios):.2f} "
                    f"({ratios[0]:.2f}–{ratios[-1]:.2f})"
                )
                print(f"    seconds before {seconds['before']}\n    seconds after  {seconds['after']}")


if __name__ == "__main__":
    main()
