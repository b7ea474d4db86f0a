"""The text of a PDF that LibreOffice wrote, read with the standard library only (CI installs LibreOffice, not
poppler): inflate the streams, map each font's glyph codes through its ToUnicode table, join each text run."""

from __future__ import annotations

import re
import zlib


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\b(.*?)\bendobj", data, re.S)}


def _stream(body: bytes) -> bytes:
    m = re.search(rb"stream\r?\n", body)
    if m is None:
        return b""
    raw = body[m.end() :]
    if b"/FlateDecode" in body[: m.start()]:
        return zlib.decompressobj().decompress(raw)
    return raw[: raw.rfind(b"endstream")]


def _to_unicode(cmap: bytes) -> dict[int, str]:
    codes: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            codes[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                codes[code] = chr(int(dst, 16) + i)
    return codes


def pdf_text(data: bytes) -> list[str]:
    """Each text run (a Tj or TJ) as a line; glyphs without a Unicode mapping read as '?'."""
    objects = _objects(data)
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/(\w+)\s+(\d+) 0 R", body):
            font = objects.get(int(ref), b"")
            table = re.search(rb"/ToUnicode\s+(\d+) 0 R", font)
            if b"/Type/Font" in font.replace(b" ", b"") and table:
                fonts[name] = _to_unicode(_stream(objects[int(table[1])]))
    runs: list[str] = []
    for body in objects.values():
        if b"stream" not in body or b"/Length1" in body:  # Length1: an embedded font program, not a page
            continue
        content = _stream(body)
        codes: dict[int, str] = {}
        for m in re.finditer(rb"/(\w+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj", content, re.S):
            if m[1]:
                codes = fonts.get(m[1], {})
                continue
            parts = re.findall(rb"<([0-9A-Fa-f]*)>", m[2]) if m[2] is not None else [m[3]]
            runs.append("".join(codes.get(b, "?") for part in parts for b in bytes.fromhex(part.decode())))
    return runs


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
