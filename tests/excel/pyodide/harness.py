"""The two engines the Lite bundle is checked on, each a long-lived process running driver.py: real Pyodide under
Node (runner.mjs) and CPython. Started once, they take every click the tests and benchmarks/lite.py send."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOW = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
FINGERPRINT = re.compile(r"\b(M-\d{6})-[0-9a-f]{8}\b")  # a Message ID's tail hashes the second it was made


def missing_tools() -> str | None:
    """Why the Pyodide engine cannot run here (None when it can): Node.js and npm are needed."""
    absent = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return (
        f"{' and '.join(absent)} not installed: the xlwings Lite bundle runs in Pyodide under Node.js"
        if absent
        else None
    )


class Engine:
    """An interpreter answering driver.py's JSON requests, one line each."""

    def __init__(self, name: str, argv: list[str]):
        self.name = name
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (the engine's output, kept while it runs)
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=HERE, bufsize=1
        )
        self.loaded: str | None = None
        if name == "pyodide":
            self.ready = self._read()

    def _read(self) -> dict[str, Any]:
        line = self.process.stdout.readline()
        if not line:
            self.log.seek(0)
            raise RuntimeError(f"{self.name} stopped:\n{self.log.read()[-4000:]}")
        return json.loads(line)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request; an error inside the engine raises here with its traceback."""
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if "error" in answer:
            raise RuntimeError(f"{self.name}: {answer['error']}")
        return answer

    def load(self, source: str, again: bool = False) -> dict[str, Any]:
        """Execute main.py (skipped when this very text is what ran last, unless `again`)."""
        if source == self.loaded and not again:
            return {}
        self.loaded = None  # a load that fails leaves main.py half run
        answer = self.ask({"op": "load", "source": source})
        self.loaded = source
        return answer

    def run(self, script: str, payload: str, today: str | None = None) -> dict[str, Any]:
        """One click of `script` on the payload (JSON text), on the day `today` (YYYY-MM-DD) when given: its
        actions and its seconds."""
        request = {"op": "run", "script": script, "payload": payload}
        return self.ask({**request, "today": today} if today else request)

    def eval(self, code: str) -> Any:
        """Run Python in the engine; answers its `result` variable."""
        return self.ask({"op": "eval", "code": code})["result"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def pyodide(wheels: Path) -> Engine:
    """Real Pyodide (node_modules/pyodide), with the wheels in `wheels` installed by micropip."""
    return Engine(
        "pyodide", [shutil.which("node") or "node", str(HERE / "runner.mjs"), str(Path(wheels).resolve()), "--serve"]
    )


def cpython() -> Engine:
    """This Python with its own xlwings, running the same driver."""
    return Engine("cpython", [sys.executable, str(HERE / "driver.py"), "--serve"])


def masked(actions: list[dict[str, Any]]) -> str:
    """The actions as text, in their order (excel/buttons.py writes them in a stable one), with the clock's times
    (Logged At, the status line's minute, Message IDs) blanked."""
    lines = [json.dumps(action, sort_keys=True) for action in actions]
    return FINGERPRINT.sub(r"\1-<now>", NOW.sub("<now>", "\n".join(lines)))


def writes(actions: list[dict[str, Any]]) -> tuple[int, int]:
    """How many actions a click sends back to Excel, and their size in bytes as JSON."""
    return len(actions), len(json.dumps(actions).encode())
