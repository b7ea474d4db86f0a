"""The README's pictures, rendered from a real workbook so they never go stale: `sheetflow new --sample` and
`sheetflow report` in a temporary folder, LibreOffice headless to PDF (each sheet whole on one page), then that
sheet's page to PNG.

    python scripts/pictures.py [--out docs] [--today YYYY-MM-DD] [--dpi 80]

Needs LibreOffice (`soffice`) and a PDF rasteriser: `pdftoppm` (poppler-utils) or PyMuPDF (`pymupdf`). The
default day is today, so the Sessions rows LibreOffice colours (from TODAY()) agree with their Flag column.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ONE_PAGE_PER_SHEET = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'


@dataclass(frozen=True)
class Picture:
    file: str  # under --out
    sheet: str
    last_column: int | None = None  # columns after it are hidden in the picture's copy; None: all shown


PICTURES = (
    Picture("sessions.png", "Sessions", 15),  # Session ID … Change To: the flags and the pending changes
    Picture("dashboard.png", "Dashboard"),
)


class PicturesError(Exception):
    """Something the pictures need is missing; the message says what to install."""


def sheetflow(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "sheetflow.cli", *args], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise PicturesError(f"sheetflow {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def framed(book: Path, target: Path) -> dict[str, int]:
    """A copy of the workbook whose pictured sheets show only the columns wanted; returns each picture's page in a
    one-page-per-sheet PDF of it (LibreOffice gives every sheet, hidden ones too, a page of its own, in order)."""
    from sheetflow.workbook.package import Package

    with zipfile.ZipFile(book) as src:
        package = Package.open(src)
        entries = {picture.file: package.sheet(picture.sheet) for picture in PICTURES}
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    missing = [p.sheet for p in PICTURES if entries[p.file] is None]
    if missing:
        raise PicturesError(f"the sample has no {', '.join(missing)} sheet")
    hide = {entries[p.file].part: p.last_column for p in PICTURES if p.last_column}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename in hide:
                data = _hide_after(data.decode("utf-8"), hide[info.filename]).encode("utf-8")
            dst.writestr(info, data)
    return {file: entry.index + 1 for file, entry in entries.items()}


def _hide_after(xml: str, last: int) -> str:
    """Columns right of `last` hidden: the column widths beyond it dropped, one hidden range added."""

    def keep(m: re.Match) -> str:
        low = re.search(r'\bmin="(\d+)"', m[0])
        return m[0] if low and int(low[1]) <= last else ""

    cols = re.search(r"<cols>(.*?)</cols>", xml, re.S)
    hidden = f'<col min="{last + 1}" max="16384" width="0" hidden="1" customWidth="1"/>'
    if cols is None:
        return xml.replace("<sheetData", f"<cols>{hidden}</cols><sheetData", 1)
    kept = re.sub(r"<col\b[^>]*/>", keep, cols[1])
    kept = re.sub(r'(<col\b[^>]*\bmax=")(\d+)(")', lambda m: f"{m[1]}{min(int(m[2]), last)}{m[3]}", kept)
    return xml[: cols.start()] + f"<cols>{kept}{hidden}</cols>" + xml[cols.end() :]


def to_pdf(book: Path, out: Path, profile: Path) -> Path:
    soffice = shutil.which("soffice")
    if soffice is None:
        raise PicturesError("LibreOffice is needed (apt-get install libreoffice-calc-nogui)")
    done = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            ONE_PAGE_PER_SHEET,
            "--outdir",
            str(out),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    pdf = out / (book.stem + ".pdf")
    if done.returncode != 0 or not pdf.exists():
        raise PicturesError(f"LibreOffice could not export {book.name}: {done.stderr.strip()}")
    return pdf


def to_png(pdf: Path, page: int, png: Path, dpi: int) -> None:
    """One page of the PDF as a PNG: pdftoppm where installed, else PyMuPDF."""
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(pdf),
                str(png.with_suffix("")),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return
    try:
        import pymupdf
    except ImportError:
        raise PicturesError(
            "a PDF rasteriser is needed: pdftoppm (apt-get install poppler-utils) or PyMuPDF (pip install pymupdf)"
        ) from None
    with pymupdf.open(pdf) as document:
        document[page - 1].get_pixmap(dpi=dpi).save(png)


def render(out: Path, today: dt.date, dpi: int = 80) -> list[Path]:
    """Make the sample workbook, report on it, and write each picture into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="sheetflow-pictures-") as tmp:
        work = Path(tmp)
        book = work / "studio.xlsx"
        sheetflow("new", str(book), "--sample", "--today", today.isoformat())
        sheetflow("report", str(book), "--today", today.isoformat())
        pages = framed(book, work / "pictures.xlsx")
        pdf = to_pdf(work / "pictures.xlsx", work / "pdf", work / "profile")
        for picture in PICTURES:
            target = out / picture.file
            to_png(pdf, pages[picture.file], target, dpi)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNG files go (default: docs/)")
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=dt.date.today(),
        help="the sample's today (default: today, which LibreOffice colours rows by)",
    )
    parser.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args(argv)
    try:
        for path in render(args.out, args.today, args.dpi):
            print(f"wrote {path}")
    except PicturesError as exc:
        print(f"pictures: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
