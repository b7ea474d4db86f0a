"""One measured operation, run by benchmarks/run.py in a fresh process so its peak memory is its own.

    python benchmarks/child.py {sheetflow|openpyxl} {refresh|apply|change|report} BOOK.xlsx RESULT.json
        [--today YYYY-MM-DD] [--session ID] [--trace] [--profile OUT.prof] [--limit-as BYTES]

The clock starts before sheetflow or openpyxl is imported (a user's command pays for its imports too) and stops
when the workbook has been written. The result (seconds, ru_maxrss, exit code, what was read) goes to RESULT.json;
the command's own output goes to this process's stdout, which the runner keeps in a log.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import sys
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHEETS_READ: list[str] = []  # sheets whose cells python-calamine was asked for
BYTES_READ: Counter[str] = Counter()  # uncompressed bytes read, as "zip file::member::sheetflow function"


def _reader() -> str:
    """The two innermost sheetflow functions on the stack: who is reading (a copy, a rewrite, a check...)."""
    frame = sys._getframe(2)
    found: list[str] = []
    while frame is not None and len(found) < 2:
        file = frame.f_code.co_filename.replace("\\", "/")
        if "/sheetflow/" in file and not file.endswith("/zipio.py"):
            found.append(f"{Path(file).name}:{frame.f_code.co_name}")
        frame = frame.f_back  # type: ignore[assignment]
    return " < ".join(found) or "?"


def install_trace() -> None:
    """Record which sheets calamine parses and how many bytes of each zip member are read, without changing them.

    `get_sheet_by_name` is where calamine parses a sheet's cells; the zip counter also catches anything that streams
    a sheet's XML through Python (the patcher, openpyxl)."""
    import python_calamine

    book = python_calamine.CalamineWorkbook
    by_name, by_index = book.get_sheet_by_name, book.get_sheet_by_index

    def get_sheet_by_name(self: Any, name: str) -> Any:
        SHEETS_READ.append(name)
        return by_name(self, name)

    def get_sheet_by_index(self: Any, index: int) -> Any:
        SHEETS_READ.append(f"#{index}:{self.sheet_names[index]}")
        return by_index(self, index)

    book.get_sheet_by_name = get_sheet_by_name  # type: ignore[method-assign]
    book.get_sheet_by_index = get_sheet_by_index  # type: ignore[method-assign]
    read, read1, zip_open = zipfile.ZipExtFile.read, zipfile.ZipExtFile.read1, zipfile.ZipFile.open

    def counted(method: Callable[..., bytes]) -> Callable[..., bytes]:
        def wrapper(self: zipfile.ZipExtFile, *args: Any) -> bytes:
            data = method(self, *args)
            if getattr(self, "_fallback", None) is not None:  # a MemberReader over a ZipExtFile: counted there
                return data
            BYTES_READ[f"{getattr(self, '_bench_zip', '?')}::{self.name}::{_reader()}"] += len(data)
            return data

        return wrapper

    def tagged_open(self: zipfile.ZipFile, *args: Any, **kwargs: Any) -> Any:
        member = zip_open(self, *args, **kwargs)
        member._bench_zip = Path(str(self.filename)).name  # the workbook, or the patcher's new file
        return member

    zipfile.ZipFile.open = tagged_open  # type: ignore[method-assign]
    zipfile.ZipExtFile.read = counted(read)  # type: ignore[method-assign]
    zipfile.ZipExtFile.read1 = counted(read1)  # type: ignore[method-assign]
    _trace_member_reader(counted)


def _trace_member_reader(counted: Callable[[Callable[..., bytes]], Callable[..., bytes]]) -> None:
    """sheetflow's own streaming reader (ISA-L inflate straight from the zip, no ZipExtFile), where it has one."""
    try:
        from sheetflow.workbook import zipio
    except ImportError:
        return
    reader = getattr(zipio, "MemberReader", None)
    if reader is None:
        return
    init = reader.__init__

    def tagged_init(self: Any, src: zipfile.ZipFile, info: zipfile.ZipInfo, *args: Any, **kwargs: Any) -> None:
        init(self, src, info, *args, **kwargs)
        self._bench_zip, self.name = Path(str(src.filename)).name, info.filename

    reader.__init__ = tagged_init
    reader.read = counted(reader.read)


# --- sheetflow -----------------------------------------------------------------------------------------------------


def run_sheetflow(op: str, path: Path, today: str, session: str) -> tuple[int, dict[str, Any]]:
    """The real command line, in this process: `sheetflow OP PATH [SESSION] --today D`."""
    from sheetflow.cli import main

    args = [op, str(path), *([session] if op == "change" else []), "--today", today]
    try:
        main(args, standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0), {}
    return 0, {}


# --- the openpyxl baseline -----------------------------------------------------------------------------------------
# load_workbook + the minimal edit the job needs + save: the cells the job sets, the Notes rows it appends, the
# Notes table grown to them. The values are computed simply; load and save are what costs.


def _columns(ws: Any) -> dict[str, int]:
    return {str(c.value).strip(): c.column for c in ws[1] if c.value is not None}


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _statuses(wb: Any) -> dict[str, tuple[str, int | None, str]]:
    """Status -> (its session type, its typical duration, its default user)."""
    ws = wb["Statuses"]
    col = _columns(ws)
    found: dict[str, tuple[str, int | None, str]] = {}
    for r in ws.iter_rows(min_row=2, values_only=True):
        if r[col["Description"] - 1]:
            found[r[col["Description"] - 1]] = (
                r[col["Session Type"] - 1],
                r[col["Typical Duration"] - 1],
                r[col["Default User"] - 1],
            )
    return found


def _next_statuses(wb: Any) -> dict[str, tuple[str, int | None, str]]:
    """Status -> (next active status in its cycle, its typical duration, its default user)."""
    ws = wb["Statuses"]
    col = _columns(ws)
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    by_type: dict[str, list[list[Any]]] = {}
    for r in rows:
        if r[col["Description"] - 1]:
            by_type.setdefault(str(r[col["Session Type"] - 1]), []).append(r)
    nxt: dict[str, tuple[str, int | None, str]] = {}
    for cycle in by_type.values():
        cycle.sort(key=lambda r: r[col["Sort Order"] - 1])
        active = [r for r in cycle if r[col["Inactive"] - 1] != "Yes"]
        for a, b in zip(active, active[1:], strict=False):
            nxt[a[col["Description"] - 1]] = (
                b[col["Description"] - 1],
                b[col["Typical Duration"] - 1],
                b[col["Default User"] - 1],
            )
    return nxt


def _move_on(
    ws: Any,
    notes: Any,
    col: dict[str, int],
    row: int,
    nxt: dict[str, tuple[str, int | None, str]],
    today: dt.date,
    source: str,
) -> int:
    from sheetflow.core.calendar import BusinessCalendar

    current = ws.cell(row, col["Status"]).value
    target, duration, user = nxt.get(current, (current, None, ""))
    due = BusinessCalendar().add_business_days(today, duration) if duration is not None else None
    values = {
        "Status": target,
        "Status Date": today,
        "Due Date": due,
        "Manual Due": "No",
        "Assigned To": user,
        "Updated By": "Maya",
        "Flag": None,
        "Days Overdue": None,
        "Change To": None,
    }
    for name, value in values.items():
        ws.cell(row, col[name]).value = value
    notes.append(
        [
            dt.datetime.combine(today, dt.time(12)),
            ws.cell(row, col["Session ID"]).value,
            ws.cell(row, col["Client"]).value,
            current,
            target,
            today,
            due,
            "Maya",
            source,
            None,
        ]
    )
    return len(values)


def _grow_notes_table(notes: Any) -> None:
    for table in notes.tables.values():
        table.ref = f"A1:J{notes.max_row}"
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref


def run_openpyxl(op: str, path: Path, today_s: str, session: str) -> tuple[int, dict[str, Any]]:
    import openpyxl

    from sheetflow.core.calendar import BusinessCalendar

    today = dt.date.fromisoformat(today_s)
    wb = openpyxl.load_workbook(path)
    loaded = time.perf_counter()
    ws, notes = wb["Sessions"], wb["Notes"]
    col = _columns(ws)
    cells = 0
    if op == "refresh":
        calendar = BusinessCalendar()
        soon = calendar.add_business_days(today, 2)
        flag_c, days_c, due_c = col["Flag"], col["Days Overdue"], col["Due Date"]
        # A book another tool wrote has Due Date and Manual Due blank too (benchmarks/generate.py, xlsxwriter):
        # fill the blanks as the first refresh does. A sheetflow-shaped book has none, so its edit is unchanged.
        manual_c, status_c, since_c = col["Manual Due"], col["Status"], col["Status Date"]
        durations = {status: duration for status, (_, duration, _) in _statuses(wb).items()}
        for row in ws.iter_rows(min_row=2, max_col=max(flag_c, days_c, due_c, manual_c, status_c, since_c)):
            due = _day(row[due_c - 1].value)
            manual = row[manual_c - 1]
            if manual.value in (None, ""):
                manual.value = "No"
                cells += 1
            if due is None and manual.value != "Yes":
                duration, since = durations.get(row[status_c - 1].value), _day(row[since_c - 1].value)
                if duration is not None and since is not None:
                    due = calendar.add_business_days(since, int(duration))
                    row[due_c - 1].value = due
                    cells += 1
            flag = days = None
            if due is not None and due < today:
                flag, days = "Overdue", calendar.days_overdue(due, today)
            elif due is not None and due <= soon:
                flag = "Due soon"
            row[flag_c - 1].value = flag
            row[days_c - 1].value = days
            cells += 2
    else:
        nxt = _next_statuses(wb)
        if op == "apply":
            change_c = col["Change To"]
            rows = [c.row for (c,) in ws.iter_rows(min_row=2, min_col=change_c, max_col=change_c) if c.value]
        else:
            id_c = col["Session ID"]
            rows = [
                c.row
                for (c,) in ws.iter_rows(min_row=2, min_col=id_c, max_col=id_c)
                if str(c.value).removesuffix(".0") == session
            ][:1]
            if not rows:
                raise LookupError(f"no session {session}")
        for row in rows:
            cells += _move_on(ws, notes, col, row, nxt, today, "batch" if op == "apply" else "cli")
        _grow_notes_table(notes)
    edited = time.perf_counter()
    wb.save(path)
    saved = time.perf_counter()
    return 0, {
        "cells_set": cells,
        "phases": {"edit": round(edited - loaded, 3), "save": round(saved - edited, 3)},
        "loaded_at": loaded,
    }


def peak_mb() -> float | None:
    """This process's peak resident memory in MiB: VmHWM, which belongs to this program alone. ru_maxrss is kept
    beside it, but Linux carries it over from the parent across fork and exec, so it can never read below the peak
    the parent had when it started this child."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("impl", choices=("sheetflow", "openpyxl"))
    parser.add_argument("op", choices=("refresh", "apply", "change", "report"))
    parser.add_argument("path", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--today", default="2026-03-02")
    parser.add_argument("--session", default="")
    parser.add_argument("--trace", action="store_true", help="record the sheets and zip members read")
    parser.add_argument("--profile", type=Path, help="run under cProfile and dump the stats here")
    parser.add_argument("--limit-as", type=int, default=0, help="RLIMIT_AS in bytes (0: no limit)")
    args = parser.parse_args()
    if args.limit_as:
        resource.setrlimit(resource.RLIMIT_AS, (args.limit_as, args.limit_as))
    if args.trace:
        install_trace()
    run = run_sheetflow if args.impl == "sheetflow" else run_openpyxl
    result: dict[str, Any] = {"impl": args.impl, "op": args.op}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    t0 = time.perf_counter()
    try:
        with profiler or contextlib.nullcontext():
            code, extra = run(args.op, args.path, args.today, args.session)
        result.update(extra)
        result["exit_code"] = code
    except MemoryError:
        result.update(exit_code=None, error="MemoryError")
    except Exception as exc:
        result.update(exit_code=None, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()[-3000:])
    t1 = time.perf_counter()
    sys.stdout.flush()
    if "loaded_at" in result:
        result["phases"]["load"] = round(result.pop("loaded_at") - t0, 3)
    if profiler is not None:
        profiler.dump_stats(args.profile)
    if "sheetflow" in sys.modules:
        result["sheetflow_from"] = str(Path(sys.modules["sheetflow"].__file__ or "?").parent)
    result["seconds"] = round(t1 - t0, 3)
    result["startup_seconds"] = round(t0 - started, 3)
    result["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["maxrss_mb"] = peak_mb() or result["ru_maxrss_mb"]
    if args.trace:
        result["sheets_read"] = SHEETS_READ
        result["bytes_read"] = dict(BYTES_READ)
    args.result.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
