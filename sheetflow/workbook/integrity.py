"""Whether a package is whole and safe before sheetflow reads or rewrites it: member names that could escape the
folder or hide one part behind another, symlink entries, parts whose data can't be read back, XML that is not
well-formed UTF-8 or declares a DOCTYPE, and relationships to parts that are not there. Each refusal is one line
that names the part and the fix; nothing is copied through into a new file."""

from __future__ import annotations

import codecs
import stat
import zipfile
from xml.parsers import expat

from ..core.problems import WorkbookError
from . import package as pkg
from .zipio import DamagedPart, MemberReader

FIX = "bring back the last good version (sheetflow restore --list), or open the file in Excel and save it again"
SMALL_PART = 1 << 20  # parts up to this size are read through in full on every run (together a few ms)
XML_SUFFIXES = (".xml", ".rels", ".vml")


def damaged(part: str, what: str) -> WorkbookError:
    return WorkbookError(f"the workbook part {part} is damaged ({what}) — {FIX}")


def entities(part: str) -> WorkbookError:
    return WorkbookError(
        f"the workbook part {part} declares XML entities (an entity-expansion attack?) — Excel "
        "never writes those; this file is refused"
    )


def check_members(zf: zipfile.ZipFile) -> None:
    """Names and kinds of the zip's entries, from its directory alone: no two entries for one part (compared
    ignoring case, as OPC does), no name that leaves the package's folder, no symlink."""
    seen: dict[str, str] = {}
    for info in zf.infolist():
        name = info.filename
        if "\\" in name:
            raise WorkbookError(
                f'the file holds an entry named "{name}", with backslashes — not an Excel workbook\'s '
                f"part name; this file is refused — {FIX}"
            )
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise WorkbookError(
                f'the file holds an entry named "{name}", which points outside the workbook '
                f"(a malicious attachment?); this file is refused — {FIX}"
            )
        if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
            raise WorkbookError(
                f'the file holds "{name}" as a symbolic link — Excel never writes those '
                f"(a malicious attachment?); this file is refused — {FIX}"
            )
        key = name.casefold()
        if key in seen:
            same = "twice" if seen[key] == name else f'twice (as "{seen[key]}" and "{name}")'
            raise WorkbookError(
                f"the file holds the part {name} {same} — a reader could take either; this file is refused — {FIX}"
            )
        seen[key] = name


def check_small_parts(zf: zipfile.ZipFile, limit: int = SMALL_PART) -> None:
    """Every part up to `limit` bytes read back in full (its checksum checked); XML ones parsed as well-formed
    UTF-8 without a DOCTYPE. The bigger ones are the sheets read (and checked) as they are read."""
    for info in zf.infolist():
        if info.is_dir() or info.file_size > limit or info.compress_size > limit:
            continue
        xml = info.filename.lower().endswith(XML_SUFFIXES)
        parser = _strict_parser(info.filename) if xml else None
        with MemberReader(zf, info) as fh:
            try:
                while data := fh.read(1 << 16):  # a lying size inflates at most ~64 MB at a time
                    if parser is not None:
                        parser.Parse(data, False)
                if parser is not None:
                    parser.Parse(b"", True)
            except _Doctype:
                raise entities(info.filename) from None
            except expat.ExpatError as exc:
                raise damaged(info.filename, _plain(exc)) from None


class _Doctype(expat.ExpatError):
    pass


def _strict_parser(part: str):
    """Expat with namespaces, refusing any DOCTYPE (where entities are declared)."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise _Doctype("DOCTYPE")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _plain(exc: expat.ExpatError) -> str:
    """Expat's message in a studio owner's words (which byte, not which parser state)."""
    text = str(exc)
    if "invalid token" in text or "encoding" in text:
        text = f"text that is not valid UTF-8 or XML, {text.split(':', 1)[-1].strip()}"
    return text


def check_prolog(zf: zipfile.ZipFile, part: str) -> None:
    """A DOCTYPE can stand anywhere before the root element, after comments and processing instructions of any
    length: read up to the root element (and no further) and refuse one found there."""
    info = zf.getinfo(part)
    if not part.lower().endswith(XML_SUFFIXES):
        return
    with MemberReader(zf, info) as fh:
        first = fh.read(1 << 16)
        decoder = None
        if first.startswith((b"\xff\xfe", b"\xfe\xff")) or first[:2] in (b"<\0", b"\0<"):
            decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        state = _Prolog()
        data = first
        while data:
            chunk = decoder.decode(data).encode("utf-8") if decoder else data
            verdict = state.feed(chunk)
            if verdict is not None:
                if verdict:
                    raise entities(part)
                return
            data = fh.read(1 << 16)


class _Prolog:
    """What stands before the root element, fed in chunks: None while undecided, True at a DOCTYPE or ENTITY,
    False at the root element (or anything else that ends the prolog)."""

    def __init__(self) -> None:
        self.buf = b""
        self.closing = b""  # b"?>" or b"-->" while inside a processing instruction or a comment

    def feed(self, chunk: bytes) -> bool | None:
        buf, i = self.buf + chunk, 0
        while True:
            if self.closing:
                end = buf.find(self.closing, i)
                if end == -1:
                    self.buf = buf[len(buf) - len(self.closing) + 1 :]
                    return None
                i, self.closing = end + len(self.closing), b""
                continue
            while i < len(buf) and buf[i] in b" \t\r\n":
                i += 1
            if buf.startswith(b"\xef\xbb\xbf", i):
                i += 3
                continue
            if buf.startswith(b"<?", i):
                i, self.closing = i + 2, b"?>"
            elif buf.startswith(b"<!--", i):
                i, self.closing = i + 4, b"-->"
            elif len(buf) - i < 9:
                self.buf = buf[i:]
                return None
            else:
                return buf.startswith((b"<!DOCTYPE", b"<!ENTITY"), i)


def check_relationships(zf: zipfile.ZipFile, package: pkg.Package) -> None:
    """Every internal relationship of the workbook and of its sheets names a part the file holds (a sheet, table
    or drawing lost in a broken sync would otherwise be taken as never there, and added again)."""
    sources = [package.workbook_part, *(entry.part for entry in package.sheets)]
    for source in sources:
        for _, rel_type, target in pkg.relationships(zf, source):
            if target and pkg.member(zf, target) is None and not rel_type.endswith(_OPTIONAL):
                rels = pkg.member(zf, pkg.rels_path(source)) or pkg.rels_path(source)
                raise WorkbookError(f"the workbook part {target} is missing ({rels} points to it) — {FIX}")


# Relationship kinds that point outside the zip even without TargetMode="External" in some writers' files.
_OPTIONAL = ("/hyperlink", "/oleObject", "/externalLinkPath", "/xlExternalLinkPath/xlPathMissing")


def check_parts_read(zf: zipfile.ZipFile, parts: list[str]) -> None:
    """The parts sheetflow is about to parse, bigger than the small ones already read through: their prologs."""
    for part in parts:
        if zf.getinfo(part).file_size > SMALL_PART:
            check_prolog(zf, part)


__all__ = [
    "DamagedPart",
    "check_members",
    "check_parts_read",
    "check_prolog",
    "check_relationships",
    "check_small_parts",
    "damaged",
]
