"""LibreOffice headless as the tests' second spreadsheet application: re-saving a workbook the way a studio's
LibreOffice would, with a private profile per call (parallel and repeated runs never share one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice")


def require_soffice() -> str:
    """LibreOffice's soffice; locally a test without it is skipped, under CI=true it fails (tests/conftest.py)."""
    if SOFFICE is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs LibreOffice (soffice): .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    return SOFFICE


def soffice_convert(source: Path, out_dir: Path, target: str = "xlsx") -> Path:
    """`soffice --headless --convert-to TARGET` with a private profile made for this call alone (parallel and
    repeated runs never share one); returns the file it wrote."""
    written, log = soffice_convert_all([source], out_dir, target)
    assert written[source] is not None, f"soffice did not convert {source.name} to {target}: {log}"
    return written[source]


def soffice_convert_all(
    sources: list[Path], out_dir: Path, target: str = "xlsx"
) -> tuple[dict[Path, Path | None], str]:
    """Several files (of different names) in one soffice call: LibreOffice starts once (about two seconds),
    then takes well under a second a file. Returns what each source became (None: LibreOffice could not open
    it), and soffice's output."""
    soffice = require_soffice()
    assert len({s.stem for s in sources}) == len(sources), "one output name per source"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sheetflow-lo-profile-") as profile:
        command = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out_dir),
            *map(str, sources),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    extension = target.split(":")[0]
    written = {source: out_dir / f"{source.stem}.{extension}" for source in sources}
    return {source: out if out.exists() else None for source, out in written.items()}, done.stdout + done.stderr
