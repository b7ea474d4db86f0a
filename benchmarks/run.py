"""Benchmarks sheetflow's refresh, apply and change against a plain openpyxl load + edit + save of the same file,
and report (the whole Dashboard, read from every Notes row) on its own.

    python benchmarks/run.py                      # N = 10,000 and 100,000
    python benchmarks/run.py 100000 --profile     # also a cProfile of the refresh
    python benchmarks/run.py --n 1048575          # Excel's last row; the openpyxl baseline is skipped there
    python benchmarks/run.py --n 1048575 --baseline-anyway   # ...or run it under a 20 GB address-space limit
    python benchmarks/run.py --snapshot [--rev R] # measure a commit (default HEAD), whatever the working tree holds
    python benchmarks/run.py 20000 --writer sheetflow-shaped,xlsxwriter,libreoffice --repeat 3 --profile
                                                  # who wrote the book: first and daily refresh, per writer

Every measurement is a fresh child process (benchmarks/child.py) on a fresh copy of the generated workbook, so
wall time and peak memory (ru_maxrss) belong to that one operation. Results: a markdown table on stdout and
benchmarks/results-<N>.json with the raw figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict
from io import StringIO
from pathlib import Path
from typing import Any

from generate import (
    SHEETFLOW_SHAPED,
    WRITERS,
    Generated,
    WriterUnavailable,
    _sheet_parts,
    load_sidecar,
    sidecar,
    workbook_name,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OPS = ("refresh", "daily", "apply", "change", "report")
# report (the Dashboard from all of Notes) has no openpyxl equivalent
BASELINE_OPS = ("refresh", "daily", "apply", "change")
# The first refresh of a book another tool wrote, then the daily one (the next day, on the file the first wrote).
WRITER_OPS = ("refresh", "daily")
DAILY_DAYS_LATER = 1
EXCEL_LAST = 1_048_575
BASELINE_LIMIT = 20 * 1024**3
SPEC_BASELINE_MB_PER_100K = 2.4 * 1024  # SPEC §8: openpyxl took 2.4 GB on a 100k-session workbook
BIG_PARTS = ("Sessions", "Notes", "xl/sharedStrings.xml")
TARGETS = {  # (N, op): what the issue asks for
    (100_000, "refresh"): "≥30× faster than openpyxl, peak < 300 MB",
    (100_000, "change"): "never parses Notes cells, ≥50× faster than openpyxl",
    (EXCEL_LAST, "refresh"): "< 60 s, peak < 2 GB",
}
# Issue 11 (speed on files other tools wrote), at any N measured with the sheetflow-shaped book beside it.
WRITER_SPEEDUP_TARGET, WRITER_SPEEDUP_GOAL = 15, 30  # xlsxwriter's first refresh vs openpyxl, same run
WRITER_MEMORY_MARGIN = 1.25  # its peak vs sheetflow's own peak on the sheetflow-shaped book of the same studio
DAILY_NOISE = 1.10  # "as fast as": a LibreOffice book's daily refresh within the noise of the sheetflow-shaped one


def machine() -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")
        )
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory_gb"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1)
    except (OSError, StopIteration, ValueError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    for package in ("sheetflow", "openpyxl", "python-calamine"):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = None
    try:  # read-only git queries: which code was measured
        rev = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "sheetflow"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        snapshot = os.environ.get("SHEETFLOW_BENCH_REV")
        info["git"] = snapshot or rev + (" + uncommitted changes in sheetflow/" if dirty else "")
        info["sheetflow_tree"] = os.environ.get("SHEETFLOW_BENCH_TREE") or tree_state()
    except OSError:
        pass
    info["SHEETFLOW_BACKUPS"] = os.environ.get("SHEETFLOW_BACKUPS", "(default)")
    info["sheetflow_source"] = os.environ.get("SHEETFLOW_BENCH_SRC", f"working tree {REPO}")
    return info


def tree_state() -> str:
    """`git diff --stat sheetflow/` and the untracked files there: which uncommitted code is measured."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
        ).stdout.rstrip()

    untracked = [line[3:] for line in git("status", "--porcelain", "sheetflow").splitlines() if line.startswith("??")]
    stat = git("diff", "--stat", "HEAD", "--", "sheetflow/")
    return "\n".join(
        filter(None, [stat or "(no uncommitted changes in sheetflow/)", *(f" untracked: {u}" for u in untracked)])
    )


def _copy_worktree(work: Path) -> tuple[Path, str]:
    """sheetflow/ and templates/ as they stand now, copied under work/ (named by a hash of their content)."""
    files = sorted(
        f
        for folder in ("sheetflow", "templates")
        for f in (REPO / folder).rglob("*")
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"
    )
    digest = hashlib.sha1()
    for f in files:
        digest.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    label = f"worktree-{digest.hexdigest()[:10]}"
    src = work / f"src-{label}"
    if not (src / "sheetflow" / "__init__.py").exists():
        for f in files:
            target = src / f.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
    return src, label


def use_snapshot(work: Path, argv: list[str], revision: str = "HEAD") -> None:
    """Re-run this script with sheetflow imported from `git archive REV`, so edits made to the working tree while
    the benchmark runs (others work in this checkout) cannot change or break what is measured. REV `worktree`
    copies the working tree as it stands (uncommitted changes included) and records `git diff --stat`."""
    if os.environ.get("SHEETFLOW_BENCH_SRC"):
        return
    if revision == "worktree":
        work.mkdir(parents=True, exist_ok=True)
        state = tree_state()
        src, rev = _copy_worktree(work)
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        rev = f"{head} + working tree ({rev})"
        source = f"copy of the working tree ({src})"
    else:
        rev = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", revision], capture_output=True, text=True, check=True
        ).stdout.strip()
        state = f"commit {rev}, no uncommitted changes"
        src = work / f"src-{rev}"
        if not (src / "sheetflow" / "__init__.py").exists():
            src.mkdir(parents=True, exist_ok=True)
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", rev, "sheetflow", "templates"], capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        source = f"snapshot of commit {rev} ({src})"
    env = dict(
        os.environ,
        SHEETFLOW_BENCH_SRC=source,
        SHEETFLOW_BENCH_REV=rev,
        SHEETFLOW_BENCH_TREE=state,
        PYTHONPATH=os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])),
    )
    print(f"measuring sheetflow from a snapshot of commit {rev}: {src}", flush=True)
    os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *argv], env)


def ensure_workbook(
    work: Path, n: int, args: argparse.Namespace, writer: str = SHEETFLOW_SHAPED
) -> tuple[Generated, bool]:
    """The generated workbook for N written by `writer`, reused when a previous run made it with the same
    parameters. The other writers start from the sheetflow-shaped book of the same N (made or reused first)."""
    path = work / workbook_name(n, writer)
    wanted = Generated(
        path=str(path),
        n_sessions=n,
        notes_per_session=args.notes_per_session,
        pending=args.pending,
        seed=args.seed,
        today=args.today,
        notes_rows=0,
        notes_capped=False,
        writer=writer,
    )
    old = load_sidecar(path)
    if old is not None and path.exists() and old.same_parameters(wanted):
        return old, True
    command = [
        sys.executable,
        str(HERE / "generate.py"),
        str(path),
        str(n),
        "--writer",
        writer,
        "--today",
        args.today,
        "--notes-per-session",
        str(args.notes_per_session),
        "--pending",
        str(args.pending),
        "--seed",
        str(args.seed),
        "--timeout",
        str(args.timeout),
    ]
    if writer != SHEETFLOW_SHAPED:
        command += ["--source", ensure_workbook(work, n, args)[0].path]
    # In a child of its own: a child's ru_maxrss starts from its parent's peak at fork (Linux keeps it across
    # exec), so the runner itself must stay small while it measures.
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode == 3:
        raise WriterUnavailable(done.stderr.strip())
    made = load_sidecar(path)
    if done.returncode or made is None:
        raise RuntimeError(f"generating {path.name} failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return made, False


def daily_today(book: Generated) -> str:
    return (dt.date.fromisoformat(book.today) + dt.timedelta(days=DAILY_DAYS_LATER)).isoformat()


def child(
    impl: str,
    op: str,
    book: Generated,
    work: Path,
    args: argparse.Namespace,
    *,
    trace: bool = False,
    profile: Path | None = None,
    limit_as: int = 0,
    source: Path | None = None,
    keep_output: Path | None = None,
) -> dict[str, Any]:
    """One operation in a fresh process on a fresh copy of the workbook (or of `source`: the daily refresh runs
    on the file the first refresh wrote). `keep_output` keeps the file the operation wrote."""
    tag = f"{Path(book.path).stem}-{impl}-{op}{'-trace' if trace else ''}{'-profile' if profile else ''}"
    copy = work / f"{tag}.xlsx"
    result_file = work / f"{tag}.result.json"
    log = work / f"{tag}.log"
    shutil.copyfile(source or book.path, copy)
    result_file.unlink(missing_ok=True)
    today = daily_today(book) if op == "daily" else book.today
    command = [
        sys.executable,
        str(HERE / "child.py"),
        impl,
        "refresh" if op == "daily" else op,
        str(copy),
        str(result_file),
        "--today",
        today,
        "--session",
        str(book.change_id),
    ]
    if trace:
        command.append("--trace")
    if profile:
        command += ["--profile", str(profile)]
    if limit_as:
        command += ["--limit-as", str(limit_as)]
    load_before = os.getloadavg()[0]  # other work on the machine skews timings: keep a trace of it
    started = time.perf_counter()
    try:
        with log.open("w") as out:
            proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=args.timeout, check=False)
        returncode: int | None = proc.returncode
        error = None
    except subprocess.TimeoutExpired:
        returncode, error = None, f"timed out after {args.timeout} s"
    wall = round(time.perf_counter() - started, 3)
    result: dict[str, Any] = {"impl": impl, "op": op}
    if result_file.exists():
        result = json.loads(result_file.read_text())
    elif error is None:
        error = f"killed (exit {returncode}{', SIGKILL: out of memory?' if returncode == -9 else ''})"
    result["op"], result["today"], result["copy_name"] = op, today, copy.name
    if error:
        result["error"] = error
    result["process_wall_seconds"] = wall
    result["loadavg_1min"] = {"before": load_before, "after": os.getloadavg()[0]}
    result["returncode"] = returncode
    output = log.read_text(errors="replace").strip().splitlines()
    result["output_tail"] = output[-3:]
    if not result.get("error") and op not in ("refresh", "daily") and impl == "sheetflow":
        result["notes_rows_after"] = notes_rows(copy)
    if keep_output is not None and not result.get("error") and result.get("exit_code") in (0, 1):
        copy.replace(keep_output)
    for path in (copy, result_file, *(() if args.keep else (log,))):
        path.unlink(missing_ok=True)
    shutil.rmtree(work / ".sheetflow-backups", ignore_errors=True)
    return result


def notes_rows(path: Path) -> int | None:
    """Data rows on the Notes sheet after a run, from its dimension: proof the rows were appended."""
    import re

    with zipfile.ZipFile(path) as zf:
        part = _sheet_parts(zf).get("Notes")
        if part is None:
            return None
        with zf.open(part) as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    m = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
    return int(m[1]) - 1 if m else None


def summarize_trace(
    traced: dict[str, Any], book: Path, names: dict[str, str], notes_part: str, sizes: dict[str, int]
) -> dict[str, Any]:
    """What a traced run read: sheets calamine parsed, and bytes of each part read from the workbook (the copy the
    child ran on) apart from bytes read back from the new file the patcher wrote (its check after writing)."""
    from_book: dict[str, int] = {}
    from_output: dict[str, int] = {}
    notes_by_reader: dict[str, int] = {}
    for key, count in traced.get("bytes_read", {}).items():
        zip_name, part, reader = key.split("::")
        from_workbook = zip_name == traced.get("copy_name")  # the copy child() made, not the patcher's new file
        target = from_book if from_workbook else from_output
        target[part] = target.get(part, 0) + count
        if part == notes_part:
            label = f"{reader} ({'workbook' if from_workbook else 'new file'})"
            notes_by_reader[label] = notes_by_reader.get(label, 0) + count
    return {
        "error": traced.get("error"),
        "sheets_read": traced.get("sheets_read", []),
        "bytes_read_by_part": {names.get(p, p): b for p, b in from_book.items() if b > 64 * 1024},
        "bytes_reread_from_output": {names.get(p, p): b for p, b in from_output.items() if b > 64 * 1024},
        "notes_bytes_read": from_book.get(notes_part, 0),
        "notes_bytes_reread_output": from_output.get(notes_part, 0),
        "notes_bytes_by_reader": notes_by_reader,
        "notes_part_bytes": sizes.get(notes_part),
    }


def part_sizes(path: str) -> dict[str, int]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: info.file_size for info in zf.infolist()}


def top_profile(stats_file: Path, limit: int = 15) -> str:
    """The top entries by cumulative and by own time, leaving out the layers every call goes through (click, the
    child wrapper, imports) so the 15 lines say where the time goes."""
    stats = pstats.Stats(str(stats_file), stream=StringIO())
    noise = ("click", "importlib", "child.py", "cli/main.py", "<built-in method builtins.exec>", "runs.py:30(run)")
    rows = []
    for (file, line, func), (_cc, calls, own, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{'/'.join(Path(file).parts[-2:])}:{line}({func})" if line else func
        if not any(n in file or n in where for n in noise):
            rows.append((cum, own, calls, where))
    total = stats.total_tt  # type: ignore[attr-defined]

    def block(title: str, key: int) -> list[str]:
        lines = [title, f"{'cumulative s':>12} {'share':>6} {'own s':>8} {'share':>6} {'calls':>10}  function"]
        for cum, own, calls, where in sorted(rows, key=lambda r: -r[key])[:limit]:
            lines.append(
                f"{cum:12.3f} {100 * cum / total:5.1f}% {own:8.3f} {100 * own / total:5.1f}% {calls:10d}  {where}"
            )
        return lines

    return "\n".join(
        [
            f"total {total:.2f} s (profiled, so slower than the timed run)",
            *block("by cumulative time:", 0),
            *block("by own time:", 1),
        ]
    )


def fmt_s(r: dict[str, Any] | None) -> str:
    if not r:
        return "—"
    if r.get("skipped"):
        return "not run"
    if r.get("error"):
        return f"failed ({r['error']})"
    return f"{r['seconds']:.2f} s / {r['maxrss_mb']:.0f} MB"


def ok(r: dict[str, Any] | None) -> bool:
    return bool(r) and not r.get("error") and not r.get("skipped") and "seconds" in r  # type: ignore[union-attr]


def ratios(sf: dict[str, Any], op_x: dict[str, Any] | None) -> tuple[str, str]:
    """Speed-up (openpyxl s / sheetflow s, from the medians; with --repeat, also the median of the pairwise ratios)
    and memory ratio (openpyxl MB / sheetflow MB)."""
    if not (ok(sf) and ok(op_x)):
        return "—", "—"
    assert op_x is not None
    speed = f"{op_x['seconds'] / sf['seconds']:.1f}×"
    pairs = [
        b["seconds"] / a["seconds"]
        for a, b in zip(sf.get("runs", []), op_x.get("runs", []), strict=False)
        if ok(a) and ok(b)
    ]
    if len(pairs) > 1:
        speed += f" (pairs {min(pairs):.1f}–{max(pairs):.1f})"
    return speed, f"{op_x['maxrss_mb'] / sf['maxrss_mb']:.1f}×"


OP_LABELS = {"refresh": "refresh (first)", "daily": "refresh (daily, next day)"}


def table(n: int, rows: dict[str, dict[str, Any]], writer: str = SHEETFLOW_SHAPED, ops: tuple[str, ...] = OPS) -> str:
    lines = [
        "| N | written by | operation | sheetflow s / MB | openpyxl s / MB | speed-up | memory ratio |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for op in ops:
        sf, op_x = rows[op].get("sheetflow") or {}, rows[op].get("openpyxl")
        speed, mem = ratios(sf, op_x)
        lines.append(f"| {n:,} | {writer} | {OP_LABELS.get(op, op)} | {fmt_s(sf)} | {fmt_s(op_x)} | {speed} | {mem} |")
    return "\n".join(lines)


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Repeated runs of one job: the median seconds and peak MB (each a median of its own), every run kept."""
    good = [r for r in runs if ok(r)]
    if not good:
        return runs[-1] if len(runs) == 1 else {**runs[-1], "runs": runs}
    if len(runs) == 1:
        return runs[0]
    middle = sorted(good, key=lambda r: r["seconds"])[(len(good) - 1) // 2]
    return {
        **middle,
        "seconds": round(statistics.median(r["seconds"] for r in good), 3),
        "maxrss_mb": round(statistics.median(r["maxrss_mb"] for r in good), 1),
        "seconds_min_max": [min(r["seconds"] for r in good), max(r["seconds"] for r in good)],
        "runs": runs,
    }


def verdicts(n: int, rows: dict[str, dict[str, Any]]) -> list[str]:
    """The issue's targets at this N, met or not, from the figures just measured."""
    found = []
    for (tn, op), target in TARGETS.items():
        if tn != n:
            continue
        sf, base = rows[op]["sheetflow"], rows[op].get("openpyxl") or {}
        if sf.get("error"):
            found.append(f"{op} @ {n:,}: {target} — NOT MET (sheetflow failed: {sf['error']})")
            continue
        checks = []
        if "faster" in target and base and not base.get("error") and not base.get("skipped"):
            want = 30 if op == "refresh" else 50
            speed = base["seconds"] / sf["seconds"]
            checks.append((f"{speed:.1f}× faster (want ≥{want}×)", speed >= want))
        if "300 MB" in target:
            checks.append((f"peak {sf['maxrss_mb']:.0f} MB (want < 300)", sf["maxrss_mb"] < 300))
        if "60 s" in target:
            checks.append((f"{sf['seconds']:.1f} s (want < 60)", sf["seconds"] < 60))
            checks.append((f"peak {sf['maxrss_mb']:.0f} MB (want < 2048)", sf["maxrss_mb"] < 2048))
        if "Notes" in target:
            trace = rows[op].get("trace") or {}
            notes_bytes = trace.get("notes_bytes_read")
            by_reader = trace.get("notes_bytes_by_reader", {})
            # Appending a row rewrites the Notes part, so its bytes stream through the row copier (and the
            # end-of-sheet check and the written file's check); none of those looks inside a cell. Anything else
            # reading more than the first 64 KB (the header row) would be parsing Notes' cells.
            streaming = ("sheetxml.py:run", "last_value_row", "file.py:_check")
            cell_readers = {r: b for r, b in by_reader.items() if b > 64 * 1024 and not any(k in r for k in streaming)}
            parsed = "Notes" in trace.get("sheets_read", []) or bool(cell_readers)
            readers = ", ".join(f"{r} {b / 1e6:.0f} MB" for r, b in by_reader.items() if b > 64 * 1024)
            checks.append(
                (
                    f"calamine parsed Notes: {'Notes' in trace.get('sheets_read', [])}; cells parsed by "
                    f"sheetflow: {', '.join(cell_readers) or 'none'}; Notes XML streamed through: "
                    f"{(notes_bytes or 0) / 1e6:.0f} MB ({readers or 'header only'})",
                    not parsed,
                )
            )
        met = all(ok for _, ok in checks)
        found.append(
            f"{op} @ {n:,}: {target} — {'met' if met else 'NOT MET'}: "
            + "; ".join(f"{text} {'✓' if ok else '✗'}" for text, ok in checks)
        )
    return found


def writer_verdicts(n: int, by_writer: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Issue 11's targets for books other tools wrote, from the figures of this run."""
    found = []
    base = by_writer.get(SHEETFLOW_SHAPED, {})
    xw = by_writer.get("xlsxwriter", {}).get("refresh", {})
    if ok(xw.get("sheetflow")) and ok(xw.get("openpyxl")):
        sf, ox = xw["sheetflow"], xw["openpyxl"]
        speed = ox["seconds"] / sf["seconds"]
        level = "goal met" if speed >= WRITER_SPEEDUP_GOAL else "met" if speed >= WRITER_SPEEDUP_TARGET else "NOT MET"
        found.append(
            f"xlsxwriter first refresh @ {n:,}: {speed:.1f}× faster than openpyxl ({sf['seconds']:.2f} s vs "
            f"{ox['seconds']:.2f} s; want ≥{WRITER_SPEEDUP_TARGET}×, goal {WRITER_SPEEDUP_GOAL}×) — {level}"
        )
        shaped = base.get("refresh", {}).get("sheetflow")
        if ok(shaped):
            margin = sf["maxrss_mb"] / shaped["maxrss_mb"]
            found.append(
                f"xlsxwriter first refresh @ {n:,}: peak {sf['maxrss_mb']:.0f} MB = {margin:.2f}× sheetflow's "
                f"{shaped['maxrss_mb']:.0f} MB on the sheetflow-shaped book of the same studio (want ≤ "
                f"{WRITER_MEMORY_MARGIN:.2f}×) — {'met' if margin <= WRITER_MEMORY_MARGIN else 'NOT MET'}; "
                f"openpyxl peaks at {ox['maxrss_mb']:.0f} MB ({sf['maxrss_mb'] / ox['maxrss_mb']:.0%} of it)"
            )
    lo = by_writer.get("libreoffice", {}).get("daily", {}).get("sheetflow")
    shaped_daily = base.get("daily", {}).get("sheetflow")
    if ok(lo) and ok(shaped_daily):
        ratio = lo["seconds"] / shaped_daily["seconds"]
        found.append(
            f"libreoffice daily refresh @ {n:,}: {lo['seconds']:.2f} s = {ratio:.2f}× the sheetflow-shaped "
            f"book's {shaped_daily['seconds']:.2f} s (want ≤ {DAILY_NOISE:.2f}×, the noise here) — "
            f"{'met' if ratio <= DAILY_NOISE else 'NOT MET'}"
        )
    return found


def writers_table(n: int, by_writer: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Every writer side by side: sheetflow against openpyxl, and against itself on the sheetflow-shaped book."""
    base = by_writer.get(SHEETFLOW_SHAPED, {})
    lines = [
        "| N | written by | refresh | sheetflow s / MB | vs sheetflow-shaped s, MB | openpyxl s / MB | speed-up "
        "| memory ratio |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for writer, rows in by_writer.items():
        for op in WRITER_OPS:
            if op not in rows:
                continue
            sf, ox = rows[op].get("sheetflow") or {}, rows[op].get("openpyxl")
            shaped = base.get(op, {}).get("sheetflow")
            versus = "—"
            if ok(sf) and ok(shaped):
                versus = f"{sf['seconds'] / shaped['seconds']:.2f}×, {sf['maxrss_mb'] / shaped['maxrss_mb']:.2f}×"
            speed, mem = ratios(sf, ox)
            lines.append(
                f"| {n:,} | {writer} | {'first' if op == 'refresh' else 'daily'} | {fmt_s(sf)} | {versus} | "
                f"{fmt_s(ox)} | {speed} | {mem} |"
            )
    return "\n".join(lines)


def results_path(n: int, writer: str) -> Path:
    return HERE / (f"results-{n}.json" if writer == SHEETFLOW_SHAPED else f"results-{n}-{writer}.json")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("sizes", type=int, nargs="*", help="session counts (default 10000 100000)")
    parser.add_argument("--n", type=int, action="append", default=[], help="another session count (repeatable)")
    parser.add_argument(
        "--writer",
        default=SHEETFLOW_SHAPED,
        help=f"comma-separated: who wrote the book ({', '.join(WRITERS)}); default {SHEETFLOW_SHAPED}",
    )
    parser.add_argument("--work", type=Path, default=HERE / "work", help="where workbooks are generated")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated workbooks (reused next time) and the children's logs"
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds before a child is stopped")
    parser.add_argument(
        "--baseline-anyway",
        action="store_true",
        help=f"run the openpyxl baseline at N={EXCEL_LAST:,} too, under a 20 GB address-space limit",
    )
    parser.add_argument("--no-baseline", action="store_true", help="measure sheetflow only")
    parser.add_argument("--no-trace", action="store_true", help="skip the runs that record what each command reads")
    parser.add_argument(
        "--profile", action="store_true", help="also profile the first and daily refresh (cProfile, top 15)"
    )
    parser.add_argument(
        "--ops",
        help="comma-separated subset of " + ",".join(OPS) + f" (default: all for "
        f"{SHEETFLOW_SHAPED}, {','.join(WRITER_OPS)} for the other writers)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each timed job K times, sheetflow and openpyxl in turn; report the medians",
    )
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="measure `git archive REV` instead of the working tree, immune to edits made meanwhile",
    )
    parser.add_argument(
        "--rev",
        default="HEAD",
        help="the commit --snapshot measures (default HEAD); `worktree`: a copy of the working tree",
    )
    parser.add_argument(
        "--out", type=Path, help="write the JSON here instead of benchmarks/results-<N>[-<writer>].json"
    )
    parser.add_argument("--notes-per-session", type=int, default=5)
    parser.add_argument("--pending", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", default="2026-03-02")
    args = parser.parse_args(argv)
    writers = [w.strip() for w in args.writer.split(",") if w.strip()]
    unknown = [w for w in writers if w not in WRITERS]
    if unknown:
        parser.error(f"unknown writer {', '.join(unknown)}: choose from {', '.join(WRITERS)}")
    if args.snapshot:
        use_snapshot(args.work, sys.argv[1:] if argv is None else argv, args.rev)
    sizes = [*args.sizes, *args.n] or [10_000, 100_000]
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(
        f"machine: {info.get('nproc')} cores ({info.get('cpu', '?')}), {info.get('memory_gb', '?')} GB, "
        f"Python {info['python']}, sheetflow {info.get('git', info['sheetflow'])}, openpyxl {info['openpyxl']}, "
        f"python-calamine {info['python-calamine']}; sheetflow from: {info['sheetflow_source']}",
        flush=True,
    )
    print(f"sheetflow/ tree measured:\n{info.get('sheetflow_tree', '?')}", flush=True)
    made: list[Path] = []
    for n in sizes:
        by_writer: dict[str, dict[str, dict[str, Any]]] = {}
        files: dict[str, str] = {}
        for writer in writers:
            default_ops = OPS if writer == SHEETFLOW_SHAPED else WRITER_OPS
            wanted = args.ops.split(",") if args.ops else default_ops
            ops = tuple(op for op in OPS if op in wanted)
            try:
                book, reused = ensure_workbook(args.work, n, args, writer)
            except WriterUnavailable as exc:
                print(f"\nN={n:,}, written by {writer}: {exc}", flush=True)
                continue
            made += [Path(book.path), args.work / workbook_name(n)]
            by_writer[writer], out = measure_book(n, writer, book, reused, ops, args, info)
            files[writer] = out.name
        if len(by_writer) > 1 or any(w != SHEETFLOW_SHAPED for w in by_writer):
            markdown = writers_table(n, by_writer)
            found = writer_verdicts(n, by_writer)
            print(f"\nN={n:,}: every writer side by side\n{markdown}")
            for line in found:
                print("  target: " + line)
            if len(by_writer) > 1:
                out = (
                    args.out.with_name(args.out.stem + "-writers.json")
                    if args.out
                    else HERE / f"results-{n}-writers.json"
                )
                out.write_text(
                    json.dumps(
                        {
                            "n_sessions": n,
                            "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                            "machine": info,
                            "markdown": markdown,
                            "targets": found,
                            "files": files,
                        },
                        indent=1,
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                print(f"  wrote {out}")
    if not args.keep:
        for path in made:
            path.unlink(missing_ok=True)
            sidecar(path).unlink(missing_ok=True)
            (args.work / f"{path.stem}-after-refresh.xlsx").unlink(missing_ok=True)


def measure_book(
    n: int,
    writer: str,
    book: Generated,
    reused: bool,
    ops: tuple[str, ...],
    args: argparse.Namespace,
    info: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], Path]:
    """Every job on one book: sheetflow and openpyxl in turn (fresh child, fresh copy each), traced and profiled
    runs after them. Writes the book's JSON and returns its rows by operation."""
    sizes_by_part = part_sizes(book.path)
    parts = _zip_sheets(book.path)
    names = {part: name for name, part in parts.items()}
    notes_part = parts.get("Notes", "")
    written = f"written by {writer}" + (
        f" (the writer alone: {book.writer_seconds:.1f} s)" if book.writer_seconds else ""
    )
    print(
        f"\nN={n:,}, {written}: {'reused' if reused else 'generated'} {book.path} — {book.notes_rows:,} Notes rows"
        f"{' (capped: one sheet holds 1,048,576 rows)' if book.notes_capped else ''}, "
        f"{book.bytes / 1e6:.1f} MB, made in {book.seconds:.1f} s; Sessions XML "
        f"{sizes_by_part[parts['Sessions']] / 1e6:.0f} MB, Notes XML "
        f"{sizes_by_part[notes_part] / 1e6:.0f} MB, shared strings "
        f"{sizes_by_part.get('xl/sharedStrings.xml', 0) / 1e6:.0f} MB",
        flush=True,
    )
    rows: dict[str, dict[str, Any]] = {op: {} for op in ops}
    skip_baseline = args.no_baseline or (n >= EXCEL_LAST and not args.baseline_anyway)
    after_refresh = args.work / f"{Path(book.path).stem}-after-refresh.xlsx"
    after_refresh.unlink(missing_ok=True)

    def first_refresh_output() -> Path | None:
        """The file the first refresh wrote, where the daily refresh starts (an untimed run when not made yet)."""
        if not after_refresh.exists():
            made = child("sheetflow", "refresh", book, args.work, args, keep_output=after_refresh)
            if not ok(made):
                return None
        return after_refresh

    for op in ops:
        source = None
        if op == "daily":
            source = first_refresh_output()
            if source is None:
                rows[op]["sheetflow"] = {"error": "the first refresh failed: no file for the daily refresh"}
                continue
        with_baseline = op in BASELINE_OPS and not skip_baseline
        limit = BASELINE_LIMIT if n >= EXCEL_LAST else 0
        sf_runs, ox_runs = [], []
        for i in range(max(args.repeat, 1)):
            keep = after_refresh if op == "refresh" and i == 0 else None
            sf_runs.append(child("sheetflow", op, book, args.work, args, source=source, keep_output=keep))
            if with_baseline:
                ox_runs.append(child("openpyxl", op, book, args.work, args, source=source, limit_as=limit))
        rows[op]["sheetflow"] = combine(sf_runs)
        tail = rows[op]["sheetflow"].get("output_tail", [])[-1:]
        print(
            f"  sheetflow {OP_LABELS.get(op, op)}: {fmt_s(rows[op]['sheetflow'])}{runs_note(sf_runs)}  {tail}",
            flush=True,
        )
        if op not in BASELINE_OPS:
            rows[op]["openpyxl"] = {"skipped": True, "why": "no openpyxl equivalent"}
        elif skip_baseline:
            rows[op]["openpyxl"] = {"skipped": True, "why": baseline_skip_reason(n, args, book)}
        else:
            rows[op]["openpyxl"] = combine(ox_runs)
            print(f"  openpyxl {OP_LABELS.get(op, op)}: {fmt_s(rows[op]['openpyxl'])}{runs_note(ox_runs)}", flush=True)
        if not args.no_trace:
            traced = child("sheetflow", op, book, args.work, args, trace=True, source=source)
            if traced.get("error"):
                print(f"  sheetflow {op} (traced run) failed: {traced['error']}", flush=True)
            rows[op]["trace"] = summarize_trace(traced, Path(book.path), names, notes_part, sizes_by_part)
            t = rows[op]["trace"]
            by_reader = ", ".join(f"{r}: {b / 1e6:.0f} MB" for r, b in t["notes_bytes_by_reader"].items())
            print(
                f"  sheetflow {op} read: calamine parsed {t['sheets_read']}; the "
                f"{sizes_by_part[notes_part] / 1e6:.0f} MB Notes XML was read by {by_reader or 'nobody'}",
                flush=True,
            )
    if skip_baseline and not args.no_baseline:
        print(f"  openpyxl baseline not run: {baseline_skip_reason(n, args, book)}")
    profiles: dict[str, str] = {}
    if args.profile:
        for op in ("refresh", "daily"):
            if op not in ops:
                continue
            source = first_refresh_output() if op == "daily" else None
            stats = args.work / f"{Path(book.path).stem}-{op}.prof"
            profiled = child("sheetflow", op, book, args.work, args, profile=stats, source=source)
            text = top_profile(stats)
            if profiled.get("error") or profiled.get("exit_code"):
                text = f"(the profiled run failed: {profiled.get('error') or profiled.get('exit_code')})\n" + text
            profiles[op] = text
            print(f"\n  cProfile of sheetflow {OP_LABELS.get(op, op)} at N={n:,}, written by {writer}:\n{text}")
            if not args.keep:
                stats.unlink(missing_ok=True)
    markdown = table(n, rows, writer, ops)
    found = verdicts(n, rows) if writer == SHEETFLOW_SHAPED and {"refresh", "apply", "change"} <= set(ops) else []
    print("\n" + markdown)
    for line in found:
        print("  target: " + line)
    out = results_path(n, writer)
    if args.out:
        out = args.out if writer == SHEETFLOW_SHAPED else args.out.with_name(f"{args.out.stem}-{writer}.json")
    out.write_text(
        json.dumps(
            {
                "n_sessions": n,
                "writer": writer,
                "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                "machine": info,
                "repeat": args.repeat,
                "daily_today": daily_today(book),
                "workbook": asdict(book)
                | {
                    "reused": reused,
                    "part_bytes": {names.get(p, p): b for p, b in sizes_by_part.items() if b > 64 * 1024},
                },
                "results": rows,
                "markdown": markdown,
                "targets": found,
                "refresh_profile_top15": profiles.get("refresh"),
                "daily_profile_top15": profiles.get("daily"),
            },
            indent=1,
            ensure_ascii=False,
            default=str,
        )
        + "\n"
    )
    print(f"  wrote {out}")
    return rows, out


def runs_note(runs: list[dict[str, Any]]) -> str:
    good = [r["seconds"] for r in runs if ok(r)]
    return f" (median of {len(good)}: {min(good):.2f}–{max(good):.2f} s)" if len(good) > 1 else ""


def _zip_sheets(path: str) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return _sheet_parts(zf)


def baseline_skip_reason(n: int, args: argparse.Namespace, book: Generated | None = None) -> str:
    """Why the openpyxl baseline is not run at Excel's last row, with the memory and time it would need."""
    if args.no_baseline:
        return "--no-baseline"
    need_gb = SPEC_BASELINE_MB_PER_100K * n / 100_000 / 1024
    need_min = 80 * n / 100_000 / 60
    source = "SPEC §8's 80 s and 2.4 GB per 100k sessions, scaled by N"
    done = HERE / "results-100000.json"
    if done.exists() and book is not None:
        try:
            earlier = json.loads(done.read_text())
            mb = max(earlier["results"][op]["openpyxl"]["maxrss_mb"] for op in BASELINE_OPS)
            seconds = max(earlier["results"][op]["openpyxl"]["seconds"] for op in BASELINE_OPS)
            then = sum(earlier["workbook"]["part_bytes"][s] for s in BIG_PARTS)
            now = sum(part_sizes(book.path)[p] for p in _big_part_names(book.path))
            need_gb, need_min = mb * now / then / 1024, seconds * now / then / 60
            source = (
                f"openpyxl's {seconds:.0f} s and {mb / 1024:.1f} GB at 100k on this machine, scaled by the size "
                "of the Sessions, Notes and shared-strings XML"
            )
        except (KeyError, TypeError, ValueError, OSError):
            pass
    memory = machine().get("memory_gb")
    fits = "does not fit" if memory and need_gb > 0.8 * memory else "might fit"
    return (
        f"at N={n:,} openpyxl would need about {need_gb:.0f} GB and {need_min:.0f} min per operation ({source}); "
        f"on this {memory or '?'} GB machine it {fits} in memory. Skipped by default; --baseline-anyway runs it "
        f"under a {BASELINE_LIMIT // 1024**3} GB address-space limit (a MemoryError or a kill is then reported)."
    )


def _big_part_names(path: str) -> list[str]:
    parts = _zip_sheets(path)
    return [parts["Sessions"], parts["Notes"], "xl/sharedStrings.xml"]


if __name__ == "__main__":
    main()
