"""scripts/pictures.py, which renders the README's pictures from a real sample workbook, runs and writes them."""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pictures.py"
RASTERISER = shutil.which("pdftoppm") or importlib.util.find_spec("pymupdf")


@pytest.mark.skipif(
    shutil.which("soffice") is None or not RASTERISER,
    reason="needs LibreOffice and a PDF rasteriser (pdftoppm or PyMuPDF)",
)
def test_the_pictures_script_renders_the_sessions_and_the_dashboard(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--dpi", "30"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    sizes = {}
    for name in ("sessions.png", "dashboard.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        sizes[name] = struct.unpack(">II", data[16:24])
    # Sessions: a dozen rows, wide; the Dashboard: its two blocks side by side, charts above the tables
    assert sizes["sessions.png"][0] > 3 * sizes["sessions.png"][1]
    assert sizes["dashboard.png"][1] > sizes["sessions.png"][1] * 2


def test_without_a_rasteriser_the_script_says_what_to_install(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("pictures", SCRIPT)
    pictures = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "pictures", pictures)  # its dataclasses look their module up there
    spec.loader.exec_module(pictures)
    monkeypatch.setattr(pictures.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "pymupdf", None)  # PyMuPDF absent too
    with pytest.raises(pictures.PicturesError, match="pdftoppm"):
        pictures.to_png(tmp_path / "x.pdf", 1, tmp_path / "x.png", 30)
