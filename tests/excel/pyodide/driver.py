"""Runs the xlwings Lite bundle as Lite does: main.py executed as a module, each script called through xlwings'
own `custom_scripts_call` on a book made from an Office.js payload. The same file runs inside Pyodide (loaded by
runner.mjs) and on CPython (`python driver.py --serve`), so both engines see the same bundle, driver and payloads.

Requests and answers are JSON, one per line: {"op": "load", "source": TEXT} executes main.py;
{"op": "run", "script": NAME, "payload": TEXT} runs a script of main.py (or "module:function" for any function
that takes the book, such as sheetflow.excel:change_status), with "today": "YYYY-MM-DD" to click on that day (as
`--today` runs the command line); {"op": "eval", "code": TEXT} runs code and answers its `result` variable."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import types
from typing import Any

os.environ["XLWINGS_ON_SERVER"] = "true"  # as inside Lite: `from xlwings import script` is the real decorator
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # the tests' key (see tests/conftest.py)

import xlwings as xw  # noqa: E402
from xlwings.server import custom_scripts_call, custom_scripts_meta  # noqa: E402


def _load(source: str) -> dict[str, Any]:
    """Execute main.py as the module `main`, a new module object each time, as a re-run in Lite's editor does."""
    module = types.ModuleType("main")
    module.__file__ = "main.py"
    sys.modules["main"] = module
    exec(compile(source, "main.py", "exec"), module.__dict__)
    finders = [type(f).__name__ for f in sys.meta_path if getattr(f, "bundle", None) or type(f).__name__ == "_Bundled"]
    return {"meta": custom_scripts_meta(module), "finders": finders}


class _Pinned(type):
    """The pinned clock's classes answer isinstance as the real date and datetime do."""

    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, cls.__mro__[1])


@contextlib.contextmanager
def _clock(today: str | None):
    """The buttons' day pinned to `today` while one click runs (they read it with dt.date.today() and stamp the
    status text with dt.datetime.now()); the real clock otherwise."""
    buttons = sys.modules.get("sheetflow.excel.buttons")
    if not today or buttons is None:
        yield
        return
    real = buttons.dt
    day = real.date.fromisoformat(today)

    class date(real.date, metaclass=_Pinned):
        @classmethod
        def today(cls) -> Any:
            return day

    class datetime(real.datetime, metaclass=_Pinned):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return real.datetime.combine(day, real.datetime.now(tz).time())

    pinned = types.ModuleType("datetime")
    pinned.__dict__.update({**vars(real), "date": date, "datetime": datetime})
    buttons.dt = pinned
    try:
        yield
    finally:
        buttons.dt = real


async def _run(script: str, payload: str, today: str | None = None) -> dict[str, Any]:
    """One click: the payload becomes a book, the script runs, the queued actions are what goes back to Excel."""
    started = time.perf_counter()
    book = xw.Book(json=json.loads(payload))
    converted = time.perf_counter()
    with _clock(today):
        if ":" in script:
            module, name = script.split(":")
            getattr(sys.modules[module], name)(book)
        else:
            book = await custom_scripts_call(sys.modules["main"], script, typehint_to_value={xw.Book: book})
    done = time.perf_counter()
    actions = book.json()["actions"]
    return {"actions": actions, "seconds": done - converted, "convert_seconds": converted - started}


async def handle(line: str) -> str:
    """Answer one request; an exception becomes {"error": ...} so the caller sees the Python traceback."""
    import traceback

    request = json.loads(line)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries the answers only
            if request["op"] == "load":
                answer: dict[str, Any] = _load(request["source"])
            elif request["op"] == "run":
                answer = await _run(request["script"], request["payload"], request.get("today"))
            elif request["op"] == "eval":
                namespace: dict[str, Any] = {}
                exec(compile(request["code"], "<eval>", "exec"), namespace)
                answer = {"result": namespace.get("result")}
            else:
                answer = {"error": f"unknown op {request['op']!r}"}
    except BaseException:
        answer = {"error": traceback.format_exc()}
    answer["engine"] = sys.platform
    return json.dumps(answer, default=str)


def serve() -> None:
    """CPython: answer the requests on stdin, one line each, until it closes."""
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(asyncio.run(handle(line)) + "\n")
            sys.stdout.flush()


if __name__ == "__main__" and "--serve" in sys.argv:
    serve()
