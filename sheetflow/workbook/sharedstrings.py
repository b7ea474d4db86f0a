"""The workbook's shared-string table, read once per run and only as far as asked: every writer but sheetflow
(Excel, LibreOffice, xlsxwriter, openpyxl) stores each distinct text there once, and cells point at it by index.

Parsed as bytes with a few regular expressions, not a tree: a million strings take about a second, and a header
that uses string 12 stops the scan at string 12.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from array import array
from html import unescape
from itertools import accumulate

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
_END = b"</si>"
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml\b[^>]*\?>")  # the part's first bytes
_HIDDEN = re.compile(rb"<[!?]")  # a comment, CDATA or processing instruction


_PREFIXED_ROOT = re.compile(rb"<[A-Za-z_][\w.\-]*:sst\b")


def _plain(data: bytes, prefixed: bool) -> bool:
    """Strings written as nearly every writer writes them (no namespace prefix, no empty <si/>): then their
    boundaries are a plain byte string, counted and split in C."""
    return not prefixed and b"<si/>" not in data


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
        # a skipped piece's string offsets once asked, by its first index: (sums, step) where the k-th string
        # starts at sums[k] + k * step (step: the end tag's length, when the sums leave the end tags out)
        self._starts: dict[int, tuple[array, int]] = {}
        self._prefixed: bool | None = None  # the part's elements carry a namespace prefix (known at first read)
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
            self._skipped, self._starts = [], {}
            self._done = part is None
        elif self._reader is not None and not self._reader.rebind(zf):
            self._texts, self._reader, self._buffer, self._at = [], None, b"", 0  # can't carry over: start again
            self._skipped, self._starts = [], {}
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
        """One string out of a piece that was only counted: the piece's string boundaries are found once (in
        C), then just that string is decoded — a head asking for a status name that LibreOffice numbered among
        the first clients does not decode the 60,000 strings around it."""
        for first, count, raw in self._skipped:
            if first <= index < first + count:
                found = self._starts.get(first)
                if found is None:
                    starts = array("L", [0])
                    if _plain(raw, self._prefixed):  # the k-th string starts after k end tags: summed in C
                        starts.extend(accumulate(map(len, raw.split(_END)[:-1])))
                        found = self._starts[first] = (starts, len(_END))
                    else:
                        starts.extend(m.end() for m in _COUNT.finditer(raw))
                        found = self._starts[first] = (starts, 0)
                starts, step = found
                k = index - first
                at = starts[k] + k * step
                m = _SI.search(raw, at)
                self._texts[index] = "" if m is None else _decoded(m)
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
        self._buffer = self._buffer[self._at :] + data
        self._at = 0
        if not data:
            self._done = True
            self._reader = None
            return
        # whole strings before the one asked for are counted in C and kept raw: a header that needs string
        # 60,000 (LibreOffice numbers them by first use, Sessions first) does not decode the 59,999 before it
        buffer = self._buffer
        if self._prefixed is None:
            self._prefixed = _PREFIXED_ROOT.search(buffer, 0, 4096) is not None
        plain = _plain(buffer, self._prefixed)
        count = buffer.count(_END) if plain else len(_COUNT.findall(buffer))
        if count and len(texts) + count <= upto:
            if plain:
                cut = buffer.rfind(_END) + len(_END)
            else:
                last = _LAST.match(buffer)
                cut = last.end() if last is not None else -1
            if cut > 0:
                self._skipped.append((len(texts), count, buffer[:cut]))
                texts.extend([None] * count)
                self._buffer = buffer[cut:]
        elif count and len(texts) < upto:  # the string asked for is in this buffer: the ones before it wait too
            self._skip_before(buffer, upto - len(texts), plain)

    def _skip_before(self, buffer: bytes, count: int, plain: bool) -> None:
        """The buffer's first `count` strings kept raw, as a piece only counted (xlsxwriter puts the headers'
        strings after 60,000 clients': the 10,000 sharing their megabyte need no decoding) — unless a comment,
        CDATA or processing instruction among them could hold an end tag that is not one."""
        if plain:
            cut = sum(map(len, buffer.split(_END, count)[:count])) + count * len(_END)
        else:
            cut = next(itertools.islice(_COUNT.finditer(buffer), count - 1, None)).end()
        head = buffer[:cut]
        declaration = _DECLARATION.match(head)
        if _HIDDEN.search(head, declaration.end() if declaration else 0):
            return
        self._skipped.append((len(self._texts), count, head))
        self._texts.extend([None] * count)
        self._at = cut  # the buffer itself stays: no copy of the megabyte after them
