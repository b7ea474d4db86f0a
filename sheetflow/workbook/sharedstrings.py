"""The workbook's shared-string table, read once per run and only as far as asked: every writer but sheetflow
(Excel, LibreOffice, xlsxwriter, openpyxl) stores each distinct text there once, and cells point at it by index.

Parsed as bytes with a few regular expressions, not a tree: a million strings take about a second, and a header
that uses string 12 stops the scan at string 12.
"""

from __future__ import annotations

import re
import zipfile
from html import unescape

from .zipio import MemberReader

_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?"
# the plain case first (one <t>, no XML reference), then any <si> at all
_SI = re.compile(
    rb"<"
    + _NAME
    + rb"si>\s*<"
    + _NAME
    + rb"t(?: xml:space=\"preserve\")?>([^<&]*)</"
    + _NAME
    + rb"t>\s*</"
    + _NAME
    + rb"si>|<"
    + _NAME
    + rb"si\b[^>]*?(?:/>|>(.*?)</"
    + _NAME
    + rb"si>)",
    re.S,
)
_SIMPLE = re.compile(rb"<" + _NAME + rb"t(?:\s[^>]*)?>([^<]*)</" + _NAME + rb"t>")
_SI_END = rb"</" + _NAME + rb"si>|<" + _NAME + rb"si\b[^>]*/>"
_COUNT = re.compile(_SI_END)
_LAST = re.compile(rb"(?s).*(?:" + _SI_END + rb")")  # greedy: ends where the buffer's last whole string ends
_T = re.compile(rb"<" + _NAME + rb"t\b[^>]*?(?:/>|>(.*?)</" + _NAME + rb"t>)", re.S)
_PHONETIC = re.compile(rb"<" + _NAME + rb"rPh\b.*?</" + _NAME + rb"rPh>|<" + _NAME + rb"rPh\b[^>]*/>", re.S)
_CDATA = re.compile(rb"<!\[CDATA\[(.*?)\]\]>", re.S)
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
CHUNK = 1 << 18  # compressed bytes per step: a few megabytes of strings


def excel_text(raw: bytes) -> str:
    """A <t> element's bytes as the text Excel shows: XML references resolved, then Excel's own _xHHHH_
    escapes for characters XML cannot hold (`_x005F_` being a literal underscore)."""
    text = raw.decode("utf-8", errors="replace")
    if "&" in text:
        text = unescape(text)
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    return text


def si_text(body: bytes) -> str:
    """One <si>: its plain text, or its rich-text runs joined; phonetic runs (furigana) are not part of it."""
    simple = _SIMPLE.fullmatch(body)
    if simple:
        return excel_text(simple[1])
    if b"rPh" in body:
        body = _PHONETIC.sub(b"", body)
    if b"<![CDATA[" in body:
        body = _CDATA.sub(lambda m: m[1].replace(b"&", b"&amp;").replace(b"<", b"&lt;"), body)
    return "".join(excel_text(t[1] or b"") for t in _T.finditer(body))


def _decoded(m: re.Match[bytes]) -> str:
    plain, body = m.groups()
    if plain is not None:
        return excel_text(plain) if b"_x" in plain else plain.decode("utf-8", errors="replace")
    return "" if body is None else si_text(body)


class SharedStrings:
    """Strings by index, parsed lazily from the part as far as the highest index asked for. One per run: the
    reader binds it to its handle on the file, the writer (the Dashboard reads its own cells back) to its own."""

    def __init__(self, zf: zipfile.ZipFile | None = None, part: str | None = None):
        self._zf: zipfile.ZipFile | None = None
        self.part: str | None = None
        self._texts: list[str | None] = []  # None: counted, not yet decoded (in a skipped piece)
        self._skipped: list[tuple[int, int, bytes]] = []  # (index of its first string, how many, raw bytes)
        self._reader: MemberReader | None = None
        self._buffer = b""
        self._at = 0  # where the next <si> is looked for in the buffer
        self._done = True
        if zf is not None:
            self.bind(zf, part)

    def bind(self, zf: zipfile.ZipFile, part: str | None) -> SharedStrings:
        """Read from this handle: the same part goes on where it stopped, another part starts afresh."""
        if part != self.part or self._zf is None:
            self.part, self._texts, self._reader, self._buffer, self._at = part, [], None, b"", 0
            self._skipped = []
            self._done = part is None
        elif self._reader is not None and not self._reader.rebind(zf):
            self._texts, self._reader, self._buffer, self._at = [], None, b"", 0  # can't carry over: start again
            self._skipped = []
            self._done = False
        self._zf = zf
        return self

    def get(self, index: int) -> str | None:
        """The text at an index; None when the table has no such string (a damaged cell reference)."""
        while index >= len(self._texts) and not self._done:
            self._read_more(index)
        if not 0 <= index < len(self._texts):
            return None
        text = self._texts[index]
        return text if text is not None else self._decode_skipped(index)

    def all(self) -> list[str]:
        return [self.get(i) or "" for i in range(self._count_all())]

    def _count_all(self) -> int:
        while not self._done:
            self._read_more(1 << 62)
        return len(self._texts)

    def _decode_skipped(self, index: int) -> str | None:
        for n, (first, count, raw) in enumerate(self._skipped):
            if first <= index < first + count:
                at = first
                for m in _SI.finditer(raw):
                    self._texts[at] = _decoded(m)
                    at += 1
                del self._skipped[n]
                return self._texts[index]
        return None

    def _read_more(self, upto: int) -> None:
        """Decode strings from the buffer until `upto` is reached (the rest waits, undecoded), reading more of
        the part only when the buffer holds no complete string."""
        texts = self._texts
        for m in _SI.finditer(self._buffer, self._at):
            texts.append(_decoded(m))
            self._at = m.end()
            if len(texts) > upto:
                return
        if self._reader is None:
            assert self._zf is not None and self.part is not None
            self._reader = MemberReader(self._zf, self._zf.getinfo(self.part))
        data = self._reader.read(CHUNK)
        self._buffer = self._buffer[self._at:] + data
        self._at = 0
        if not data:
            self._done = True
            self._reader = None
            return
        # whole strings before the one asked for are counted in C and kept raw: a header that needs string
        # 60,000 (LibreOffice numbers them by first use, Sessions first) does not decode the 59,999 before it
        count = len(_COUNT.findall(self._buffer))
        if count and len(texts) + count <= upto:
            cut = _LAST.match(self._buffer)
            if cut is not None:
                self._skipped.append((len(texts), count, self._buffer[:cut.end()]))
                texts.extend([None] * count)
                self._buffer = self._buffer[cut.end():]
