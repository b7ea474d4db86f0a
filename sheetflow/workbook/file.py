"""A closed workbook file, the batch runner's one way in and out: read with python-calamine, written by
patching the package into a temporary file that then replaces the workbook (SPEC §8)."""

from __future__ import annotations

import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat
from xml.parsers.expat import ExpatError

from ..core.problems import WorkbookError
from ..core.studio import ChangeSet
from ..core.tables import Table
from .backups import keep_previous_version
from .locks import exclusive, lock_holders
from .reader import damaged_part, open_zip, read_tables
from .replace import replace_file
from .sharedstrings import SharedStrings
from .writer import PackageWriter
from .zipio import MemberReader, local_header_matches


@dataclass
class WorkbookFile:
    """A workbook on disk; tables are read once, and one ChangeSet is written back atomically."""

    path: Path
    tables: dict[str, Table] = field(default_factory=dict)
    strings: SharedStrings = field(default_factory=SharedStrings)  # the run's one shared-strings reader

    def read(self, sheets: Collection[str] | None = None, whole: Collection[str] = ()) -> dict[str, Table]:
        self.tables = read_tables(self.path, sheets, whole, strings=self.strings)
        return self.tables

    def write(self, changes: ChangeSet) -> list[str]:
        """Patch the package into a temporary file beside the real workbook (through symlinks), check it, keep the
        previous version, then replace the workbook in one step with its owner, group and mode: a crash at any
        moment leaves the old file or the new one. Returns what to tell the studio (a table grown over rows typed below
        it, an owner that changed)."""
        written: list[str] = []
        told: list[str] = []

        def fill(tmp: Path) -> None:
            with (
                tmp.open("wb") as raw,
                open_zip(self.path) as src,
                zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as dst,
            ):
                writer = PackageWriter(src, dst, self.tables, changes, self.strings)
                written.extend(writer.write())
                told[:] = writer.told  # a retried fill says it once

        said = replace_file(
            self.path, fill, check=lambda tmp: _check(tmp, written, self.path), backup=keep_previous_version
        )
        return told + said


FULL_CHECK_BYTES = 32 << 20


def _check(path: Path, written: list[str], original: Path) -> None:
    """The new file must open as a zip, every member's local header must agree with its directory entry, and
    each part sheetflow wrote must inflate to its checksum and parse as XML with every namespace prefix bound
    (what Excel, LibreOffice and openpyxl refuse is never put in place) — parts over 32 MB excepted: their
    checksum was computed over the very bytes that were compressed, and re-reading 400 MB would double a run."""
    try:
        with zipfile.ZipFile(path) as check:
            for info in check.infolist():
                local_header_matches(check, info)
            for name in written:
                info = check.getinfo(name)
                if info.file_size > FULL_CHECK_BYTES:
                    continue
                parser = _xml_checker() if name.lower().endswith((".xml", ".rels", ".vml")) else None
                with MemberReader(check, info) as fh:  # inflates and checks the CRC
                    while data := fh.read(1 << 20):
                        if parser is not None:
                            parser.Parse(data, False)
                if parser is not None:
                    parser.Parse(b"", True)
    except ExpatError as exc:
        with zipfile.ZipFile(original) as before:
            broken_before = damaged_part(before)
        if broken_before:  # the workbook's own part was already not XML a reader accepts
            raise WorkbookError(broken_before) from None
        raise WorkbookError(
            f"the new workbook failed its check: the part {name} would not open ({exc}); the "
            "original is untouched — please report this"
        ) from None
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise WorkbookError(f"the new workbook failed its check ({exc}); the original is untouched") from None


def _xml_checker():
    """An XML parser that resolves namespaces (an unbound prefix is an error) and accepts no DOCTYPE."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def no_doctype(*_: object) -> None:
        raise ExpatError("a DOCTYPE declaration")

    parser.StartDoctypeDeclHandler = no_doctype
    return parser


__all__ = ["WorkbookFile", "exclusive", "lock_holders"]
