"""Zip members in and out, fast: raw copies of untouched members, and streaming (de)compression with
ISA-L (python-isal) where it is installed — about ten times zlib's speed at a similar size.

The standard zipfile module has no raw copy and no pluggable compressor; both use its documented
ZipInfo.FileHeader() and keep the writer's own bookkeeping (file list, directory start) as ZipFile.write does.
"""

from __future__ import annotations

import copy
import shutil
import struct
import zipfile
import zlib
from typing import IO

from ..core.problems import WorkbookError

try:  # ISA-L: same deflate format, several times faster; zlib when the wheel is not available
    from isal import isal_zlib as fast_zlib
except ImportError:  # pragma: no cover - exercised where isal has no wheel
    fast_zlib = zlib  # type: ignore[assignment]

COMPRESS_LEVEL = 1
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_DATA_DESCRIPTOR_FLAG = 0x08
_ZIP64_EXTRA = 0x0001
_ZIP64_LIMIT = (1 << 31) - 1
CHUNK = 1 << 20
_INFLATE_ERRORS = (zlib.error, fast_zlib.error) if fast_zlib is not zlib else (zlib.error,)


class DamagedPart(zipfile.BadZipFile, WorkbookError):
    """A member whose data can't be read back (torn download, broken sync): still a BadZipFile to the code that
    checks zips, and one line with the fix (exit 2) wherever it reaches the command line."""

    def __init__(self, name: str, what: str):
        super().__init__(
            f"the workbook part {name} is damaged ({what}) — bring back the last good version "
            "(sheetflow restore --list), or open the file in Excel and save it again"
        )
        self.part = name


def _without_zip64_extra(extra: bytes) -> bytes:
    """FileHeader() adds its own zip64 field when a member needs one; drop any copied from the source."""
    kept, i = b"", 0
    while i + 4 <= len(extra):
        header, size = struct.unpack("<HH", extra[i : i + 4])
        if header != _ZIP64_EXTRA:
            kept += extra[i : i + 4 + size]
        i += 4 + size
    return kept


def _data_offset(src: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    fp = src.fp
    assert fp is not None
    fp.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(fp.read(_LOCAL_HEADER.size))
    if fields[0] != b"PK\x03\x04":
        raise DamagedPart(info.filename, "its local header is missing")
    return info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]


def local_header_matches(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """A member's local header names it and, when it carries them, agrees on its CRC and sizes."""
    fp = zf.fp
    assert fp is not None
    fp.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(fp.read(_LOCAL_HEADER.size))
    name = fp.read(fields[-2])
    if (
        fields[0] != b"PK\x03\x04"
        or name.decode("utf-8", "replace") != info.filename.replace("\\", "/")
        and name.decode("cp437", "replace") != info.filename
    ):
        raise zipfile.BadZipFile(f"{info.filename}: its local header does not match the directory")
    crc, compressed, size = fields[6], fields[7], fields[8]
    if (
        not fields[2] & _DATA_DESCRIPTOR_FLAG
        and compressed != 0xFFFFFFFF
        and (crc != info.CRC or compressed != info.compress_size or size != info.file_size)
    ):
        raise zipfile.BadZipFile(f"{info.filename}: its local header does not match the directory")


def _finish(dst: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    assert dst.fp is not None
    dst.filelist.append(info)
    dst.NameToInfo[info.filename] = info
    dst.start_dir = dst.fp.tell()
    dst._didModify = True  # noqa: SLF001 - the writer's own flag that a central directory is due


def copy_member_raw(src: zipfile.ZipFile, dst: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Append src's member to dst byte for byte (same compression, same CRC): nothing inflated."""
    offset = _data_offset(src, info)
    new = copy.copy(info)
    new.flag_bits &= ~_DATA_DESCRIPTOR_FLAG  # sizes and CRC go in the header: they are known
    new.extra = _without_zip64_extra(info.extra)
    fp, out = src.fp, dst.fp
    assert fp is not None and out is not None
    out.seek(dst.start_dir)
    new.header_offset = out.tell()
    out.write(new.FileHeader())
    fp.seek(offset)
    remaining = info.compress_size
    while remaining:
        chunk = fp.read(min(remaining, CHUNK))
        if not chunk:
            raise DamagedPart(info.filename, "it ends early")
        out.write(chunk)
        remaining -= len(chunk)
    _finish(dst, new)


def copy_member(src: zipfile.ZipFile, dst: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Raw copy when the member is plainly stored or deflated; otherwise through zipfile itself."""
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 0x01:
        copy_member_raw(src, dst, info)
        return
    with src.open(info) as fh, dst.open(info.filename, "w", force_zip64=True) as out:
        shutil.copyfileobj(fh, out, CHUNK)


class MemberReader:
    """A member's uncompressed bytes as a stream (ISA-L inflate for deflated members), checksum checked."""

    def __init__(self, src: zipfile.ZipFile, info: zipfile.ZipInfo):
        self._fallback: IO[bytes] | None = None
        self._name = info.filename
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x01:
            self._fallback = src.open(info)
            return
        self._fp = src.fp
        self._pos = _data_offset(src, info)
        self._left = info.compress_size
        self._inflate = fast_zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        self._crc = 0
        self._expected = info.CRC
        self._name = info.filename
        self._done = False

    def rebind(self, zf: zipfile.ZipFile) -> bool:
        """Go on reading through another handle on the same file (offsets and inflate state carry over);
        False when this member is read through zipfile itself and can't be carried over."""
        if self._fallback is not None:
            return False
        self._fp = zf.fp
        return True

    def read(self, size: int = CHUNK) -> bytes:
        if self._fallback is not None:
            try:
                return self._fallback.read(size)
            except (zipfile.BadZipFile, EOFError, *_INFLATE_ERRORS):
                raise DamagedPart(self._name, "it can't be unpacked") from None
        while not self._done:
            if self._left <= 0:
                self._done = True
                try:
                    tail = self._inflate.flush() if self._inflate is not None else b""
                except _INFLATE_ERRORS:
                    raise DamagedPart(self._name, "its compressed data is corrupt") from None
                self._crc = fast_zlib.crc32(tail, self._crc)
                if self._crc != self._expected:
                    raise DamagedPart(self._name, "its checksum does not match")
                if tail:
                    return tail
                break
            assert self._fp is not None
            self._fp.seek(self._pos)
            raw = self._fp.read(min(self._left, size))
            if not raw:
                raise DamagedPart(self._name, "it ends early")
            self._pos += len(raw)
            self._left -= len(raw)
            try:
                data = self._inflate.decompress(raw) if self._inflate is not None else raw
            except _INFLATE_ERRORS:
                raise DamagedPart(self._name, "its compressed data is corrupt") from None
            if data:
                self._crc = fast_zlib.crc32(data, self._crc)
                return data
        return b""

    def __enter__(self) -> MemberReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fallback is not None:
            self._fallback.close()


class MemberWriter:
    """Stream a new member into dst, deflated with ISA-L; sizes and CRC are patched into its header at the end.
    zip64 fields only when the member may pass 2 GiB (Excel is wary of them on small parts)."""

    def __init__(self, dst: zipfile.ZipFile, info: zipfile.ZipInfo, size_hint: int = 0):
        self.dst, self.info = dst, info
        info.compress_type = zipfile.ZIP_DEFLATED
        info.flag_bits &= ~_DATA_DESCRIPTOR_FLAG
        self.zip64 = size_hint > _ZIP64_LIMIT // 2
        info.file_size = info.compress_size = 0
        info.CRC = 0
        out = dst.fp
        assert out is not None
        out.seek(dst.start_dir)
        info.header_offset = out.tell()
        out.write(info.FileHeader(self.zip64))
        self._data_start = out.tell()
        self._deflate = fast_zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        self._crc = 0
        self._size = 0

    def write(self, data: bytes) -> int:
        self._crc = fast_zlib.crc32(data, self._crc)
        self._size += len(data)
        compressed = self._deflate.compress(data)
        if compressed:
            assert self.dst.fp is not None
            self.dst.fp.write(compressed)
        return len(data)

    def close(self) -> None:
        out = self.dst.fp
        assert out is not None
        out.write(self._deflate.flush())
        end = out.tell()
        self.info.CRC = self._crc
        self.info.file_size = self._size
        self.info.compress_size = end - self._data_start
        if not self.zip64 and (self._size > _ZIP64_LIMIT or self.info.compress_size > _ZIP64_LIMIT):
            raise zipfile.LargeZipFile(f"{self.info.filename} grew past 2 GiB")
        out.seek(self.info.header_offset)
        out.write(self.info.FileHeader(self.zip64))
        out.seek(end)
        _finish(self.dst, self.info)

    def __enter__(self) -> MemberWriter:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.close()
