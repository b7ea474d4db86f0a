"""Shared fixtures: the CLI as a user runs it, and a fixed 'today' so due dates are reproducible."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
# xlwings' remote and Lite engines need a key; the free noncommercial one covers this project's own tests.
# It is set here, for the tests only, before anything imports xlwings: nothing at run time needs a key.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from sheetflow.cli import main  # noqa: E402

TODAY = dt.date(2026, 11, 25)  # a Wednesday; Thanksgiving (a holiday in some tests) is the 26th


@pytest.fixture
def sheetflow():
    """Run `sheetflow ARGS…` in-process; tracebacks fail the test (users must never see one)."""
    runner = CliRunner()

    def invoke(*args: object, today: dt.date | None = TODAY):
        argv = [str(a) for a in args]
        if today is not None and argv and argv[0] != "new":
            argv += ["--today", today.isoformat()]
        return runner.invoke(main, argv, catch_exceptions=False)

    return invoke


def pytest_configure(config):
    """Locally, tests that need LibreOffice or xlwings skip when the tool is absent; in CI that would hide
    untested behaviour, so a missing tool fails the run instead (.ci/run installs both)."""
    import importlib.util
    import shutil

    if os.environ.get("CI") == "true":
        missing = [
            name
            for name, found in (
                ("LibreOffice (soffice)", shutil.which("soffice")),
                ("xlwings", importlib.util.find_spec("xlwings")),
            )
            if not found
        ]
        if missing:
            import pytest

            pytest.exit(f"CI needs {', '.join(missing)}: .ci/run installs them", returncode=1)
