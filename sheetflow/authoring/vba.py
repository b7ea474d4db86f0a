"""The VBA project (xl/vbaProject.bin) of the macro-enabled studio workbook, written from source.

No maintained package writes one, so this module follows the public specifications: [MS-OVBA] for the
compression, the project streams and the dir stream, and [MS-CFB] for the compound file around them. The project
carries no compiled cache (`_VBA_PROJECT` version 0xFFFF), so Excel compiles the module source when it opens it.
Everything derives from the input, so the same sheets give the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..core.schema import ENTRY_POINTS

# --- the project sheetflow ships -----------------------------------------------------------------------------------

# Sub name (what a form button names) -> entry point in sheetflow.excel, from schema.ENTRY_POINTS; Subs in name order.
MACROS: dict[str, str] = dict(sorted((entry.vba_sub, entry.name) for entry in ENTRY_POINTS if entry.vba_sub))
MODULE_NAME = "Sheetflow"
WORKBOOK_CODE_NAME = "ThisWorkbook"
ADDIN_RUNPYTHON = "'xlwings.xlam'!RunPython"

# The Excel classes a document module extends: the workbook and a worksheet.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"


@dataclass(frozen=True)
class VbaModule:
    """One module of the project: a document module (the workbook or a sheet) or a procedural one."""

    name: str
    source: str  # the code after the Attribute lines, CRLF line ends (Attribute VB_Name is added on writing)
    document: bool = False


def entry_point_command(entry_point: str) -> str:
    """The Python a button runs through the add-in's RunPython."""
    return f"import sheetflow.excel; sheetflow.excel.{entry_point}()"


def sheetflow_source() -> str:
    """The Sheetflow module: one Sub per button, each running its sheetflow.excel entry point via the add-in."""
    subs = "".join(
        f'Public Sub {sub}()\r\n    RunSheetflow "{entry_point_command(entry_point)}"\r\nEnd Sub\r\n\r\n'
        for sub, entry_point in MACROS.items()
    )
    return (
        "' The sheetflow buttons. Each runs one entry point of the sheetflow Python package through the xlwings\r\n"
        "' add-in, called by name so the workbook opens cleanly on a computer without it.\r\n"
        "Option Explicit\r\n\r\n"
        f"{subs}"
        "Private Sub RunSheetflow(ByVal pythonCode As String)\r\n"
        "    On Error GoTo AddinMissing\r\n"
        f'    Application.Run "{ADDIN_RUNPYTHON}", pythonCode\r\n'
        "    Exit Sub\r\n"
        "AddinMissing:\r\n"
        '    MsgBox "sheetflow could not run: " & Err.Description & vbCrLf & vbCrLf & _\r\n'
        '        "The buttons need the xlwings add-in and sheetflow in your Python. With Excel closed, " & _\r\n'
        '        "run in a terminal:" & vbCrLf & _\r\n'
        '        "    pip install ""C:\\path\\to\\sheetflow[excel]""" & _\r\n'
        '        "   (the sheetflow folder: see its README, Installing)" & vbCrLf & _\r\n'
        '        "    xlwings addin install" & vbCrLf & _\r\n'
        '        "then open this workbook again. Still stuck? Run: sheetflow doctor " & ThisWorkbook.Name, _\r\n'
        '        vbExclamation, "sheetflow"\r\n'
        "End Sub\r\n"
    )


def sheetflow_project(sheet_code_names: list[str]) -> bytes:
    """The whole vbaProject.bin for a workbook whose sheets have these code names (xlsxwriter's are Sheet1, …)."""
    modules = [VbaModule(WORKBOOK_CODE_NAME, "", document=True)]
    modules += [VbaModule(name, "", document=True) for name in sheet_code_names]
    modules.append(VbaModule(MODULE_NAME, sheetflow_source()))
    return vba_project(modules)


# --- [MS-OVBA] 2.4.1 compression ------------------------------------------------------------------------------------

CHUNK = 4096
# A chunk holds at most 4096 bytes after its header. n literals take n + ceil(n / 8) bytes, so up to 3640 bytes
# always fit compressed, however incompressible they are.
ALWAYS_FITS = 3640
_MATCH_TRIES = 32  # candidates tried per position: plenty for source text, bounded for pathological input


def compress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1.3.6: a CompressedContainer holding `data`.

    The spec writes an incompressible chunk raw, and a raw chunk always holds 4096 bytes, so a short final one would
    come back padded with NULs. A short final chunk is therefore always written compressed; when even that cannot
    fit (over 3640 incompressible bytes), it is split into two compressed chunks, which decoders read back exactly.
    """
    data = bytes(data)
    out = bytearray(b"\x01")
    start = 0
    while start < len(data):
        end = min(start + CHUNK, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) > CHUNK and end - start == CHUNK:
            out += struct.pack("<H", 0x3FFF) + data[start:end]  # raw chunk: size field 4095, flag 0
        else:
            if len(body) > CHUNK:
                end = start + ALWAYS_FITS
                body = _compress_chunk(data, start, end)
            out += struct.pack("<H", 0xB000 | (len(body) - 1)) + body  # size field = 2 + len - 3, flag 1
        start = end
    return bytes(out)


def _copy_token_bits(difference: int) -> int:
    """[MS-OVBA] 2.4.1.3.19.1: offset bits of a copy token `difference` bytes into the chunk."""
    return max((difference - 1).bit_length(), 4)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    out = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions in this chunk

    def remember(position: int) -> None:
        if position + 3 <= end:
            seen.setdefault(data[position : position + 3], []).append(position)

    position = start
    while position < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if position >= end:
                break
            bits = _copy_token_bits(position - start)
            limit = min((0xFFFF >> bits) + 3, end - position)
            length, offset = _longest_match(data, position, limit, seen.get(data[position : position + 3], ()))
            if length >= 3:
                out += struct.pack("<H", ((offset - 1) << (16 - bits)) | (length - 3))
                flags |= 1 << bit
            else:
                length = 1
                out.append(data[position])
            for covered in range(position, position + length):
                remember(covered)
            position += length
        out[flag_at] = flags
    return bytes(out)


def _longest_match(data: bytes, position: int, limit: int, candidates: Sequence[int]) -> tuple[int, int]:
    best_length, best_offset = 0, 0
    if limit < 3:
        return 0, 0
    for tries, candidate in enumerate(reversed(candidates)):  # nearest first
        if tries == _MATCH_TRIES:
            break
        length = _common_length(data, candidate, position, limit)
        if length > best_length:
            best_length, best_offset = length, position - candidate
            if length == limit:
                break
    return best_length, best_offset


def _common_length(data: bytes, a: int, b: int, limit: int) -> int:
    """How many bytes from a and from b agree (at most limit): a binary search over C-speed slice compares."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if data[a : a + middle] == data[b : b + middle]:
            low = middle
        else:
            high = middle - 1
    return low


def decompress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1.3.1: the bytes a CompressedContainer holds; ValueError when it is not one."""
    data = bytes(data)
    if not data or data[0] != 0x01:
        raise ValueError("not an MS-OVBA compressed container (its first byte must be 0x01)")
    out = bytearray()
    position = 1
    while position < len(data):
        if position + 2 > len(data):
            raise ValueError(f"chunk header cut off at byte {position}")
        header = int.from_bytes(data[position : position + 2], "little")
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {position}")
        chunk_end = min(position + (header & 0x0FFF) + 3, len(data))
        position += 2
        if not header & 0x8000:
            out += data[position : position + CHUNK]
            position += CHUNK
            continue
        chunk_start = len(out)
        while position < chunk_end:
            flags = data[position]
            position += 1
            for bit in range(8):
                if position >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[position])
                    position += 1
                    continue
                if position + 2 > chunk_end:
                    raise ValueError(f"copy token cut off at byte {position}")
                token = int.from_bytes(data[position : position + 2], "little")
                position += 2
                bits = _copy_token_bits(len(out) - chunk_start)
                length = (token & (0xFFFF >> bits)) + 3
                source = len(out) - ((token >> (16 - bits)) + 1)
                if source < chunk_start:
                    raise ValueError(f"copy token before its chunk at byte {position - 2}")
                offset = len(out) - source
                pattern = bytes(out[source:])
                out += (pattern * (length // offset + 1))[:length]  # an overlapping copy repeats its pattern
    return bytes(out)


# --- [MS-OVBA] 2.4.3 data encryption (the CMG, DPB and GC values of the PROJECT stream) ---------------------------


def encrypt(data: bytes, project_id: str, seed: int, ignored: bytes) -> str:
    """[MS-OVBA] 2.4.3.2 obfuscation of `data`, as uppercase hex; `ignored` supplies the arbitrary filler bytes."""
    version = 2
    key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ key])
    unencrypted, encrypted1, encrypted2 = key, seed ^ key, seed ^ version
    plain = ignored[: (seed & 6) // 2] + struct.pack("<I", len(data)) + data
    for byte in plain:
        byte_enc = byte ^ ((encrypted2 + unencrypted) & 0xFF)
        out.append(byte_enc)
        encrypted2, encrypted1, unencrypted = encrypted1, byte_enc, byte
    return out.hex().upper()


@dataclass(frozen=True)
class Decrypted:
    """What a CMG/DPB/GC value holds: the data, and the seed and filler bytes that obfuscated it."""

    seed: int
    project_key: int
    ignored: bytes
    data: bytes


def decrypt(text: str) -> Decrypted:
    """The inverse of `encrypt`; ValueError when the value is not [MS-OVBA] 2.4.3 encrypted data."""
    raw = bytes.fromhex(text)
    if len(raw) < 7 or raw[0] ^ raw[1] != 2:
        raise ValueError(f"{text!r} is not MS-OVBA encrypted data (version 2)")
    seed, version_enc, key_enc = raw[0], raw[1], raw[2]
    unencrypted, encrypted1, encrypted2 = seed ^ key_enc, key_enc, version_enc
    plain = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((encrypted2 + unencrypted) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted = encrypted1, byte_enc, byte
    ignored = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, ignored)[0]
    if len(plain) != ignored + 4 + length:
        raise ValueError(f"{text!r}: its length field says {length} bytes, it holds {len(plain) - ignored - 4}")
    return Decrypted(seed, seed ^ key_enc, bytes(plain[:ignored]), bytes(plain[ignored + 4 :]))


# --- [MS-OVBA] 2.3 the project streams -----------------------------------------------------------------------------

CODEPAGE = 1252
LCID = 0x0409
SYSKIND_WIN64 = 3  # what 64-bit Excel writes (with PROJECTCOMPATVERSION), as in xlwings' quickstart.xlsm
COMPAT_VERSION = 5
VERSION_COMPATIBLE32 = "393222000"
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
REFERENCES = (  # name, LibidRegistered: the two libraries a new Excel project references
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
    (
        "Office",
        "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\\Program Files\\Common Files\\Microsoft Shared"
        "\\OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")


def _mbcs(text: str) -> bytes:
    return text.encode("cp1252")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _record(record_id: int, body: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(body)) + body


def _u16(value: int) -> bytes:
    return struct.pack("<H", value)


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


def module_text(module: VbaModule) -> str:
    """The module's stored source: the Attribute lines Excel writes, then the code."""
    lines = [f'Attribute VB_Name = "{module.name}"']
    if module.document:
        base = WORKBOOK_BASE if module.name == WORKBOOK_CODE_NAME else WORKSHEET_BASE
        lines += [
            f'Attribute VB_Base = "{base}"',
            "Attribute VB_GlobalNameSpace = False",
            "Attribute VB_Creatable = False",
            "Attribute VB_PredeclaredId = True",
            "Attribute VB_Exposed = True",
            "Attribute VB_TemplateDerived = False",
            "Attribute VB_Customizable = True",
        ]
    return "\r\n".join(lines) + "\r\n" + module.source


def dir_stream(modules: list[VbaModule], project_name: str = "VBAProject", version: int = 1) -> bytes:
    """[MS-OVBA] 2.3.4.2, uncompressed: project information, references, then one record group per module."""
    information = b"".join(
        [
            _record(0x0001, _u32(SYSKIND_WIN64)),
            _record(0x004A, _u32(COMPAT_VERSION)),
            _record(0x0002, _u32(LCID)),
            _record(0x0014, _u32(LCID)),
            _record(0x0003, _u16(CODEPAGE)),
            _record(0x0004, _mbcs(project_name)),
            _record(0x0005, b"") + _record(0x0040, b""),  # doc string
            _record(0x0006, b"") + _record(0x003D, b""),  # help file path
            _record(0x0007, _u32(0)),  # help context
            _record(0x0008, _u32(0)),  # lib flags
            struct.pack("<HIIH", 0x0009, 4, version, 0),  # PROJECTVERSION: its size field is fixed at 4
            _record(0x000C, b"") + _record(0x003C, b""),  # constants
        ]
    )
    references = b"".join(
        _record(0x0016, _mbcs(name))
        + _record(0x003E, _utf16(name))
        + _record(0x000D, _u32(len(libid)) + _mbcs(libid) + _u32(0) + _u16(0))
        for name, libid in REFERENCES
    )
    records = [_record(0x000F, _u16(len(modules))), _record(0x0013, _u16(0xFFFF))]
    for module in modules:
        records += [
            _record(0x0019, _mbcs(module.name)),
            _record(0x0047, _utf16(module.name)),
            _record(0x001A, _mbcs(module.name)) + _record(0x0032, _utf16(module.name)),  # stream name
            _record(0x001C, b"") + _record(0x0048, b""),  # doc string
            _record(0x0031, _u32(0)),  # MODULEOFFSET: the source starts the stream (no performance cache)
            _record(0x001E, _u32(0)),  # help context
            _record(0x002C, _u16(0xFFFF)),  # cookie
            _record(0x0022 if module.document else 0x0021, b""),
            _record(0x002B, b""),  # module terminator
        ]
    return information + references + b"".join(records) + _record(0x0010, b"")


def project_stream(modules: list[VbaModule], project_id: str, project_name: str, digest: bytes) -> bytes:
    """[MS-OVBA] 2.3.1: the PROJECT stream; the encryption seeds come from `digest` so the output is stable."""
    lines = [f'ID="{project_id}"']
    lines += [f"Document={m.name}/&H00000000" if m.document else f"Module={m.name}" for m in modules]
    lines += [f'Name="{project_name}"', 'HelpContextID="0"', f'VersionCompatible32="{VERSION_COMPATIBLE32}"']
    for label, data, at in (("CMG", _u32(0), 0), ("DPB", b"\x00", 4), ("GC", b"\xff", 8)):
        # CMG: not protected; DPB: no password; GC: visible
        lines.append(f'{label}="{encrypt(data, project_id, digest[at], digest[at + 1 : at + 4])}"')
    lines += ["", "[Host Extender Info]", HOST_EXTENDER, "", "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return _mbcs("\r\n".join(lines) + "\r\n")


def projectwm_stream(modules: list[VbaModule]) -> bytes:
    """[MS-OVBA] 2.3.3: each module name in MBCS and in UTF-16, then a terminator."""
    return b"".join(_mbcs(m.name) + b"\x00" + _utf16(m.name) + b"\x00\x00" for m in modules) + b"\x00\x00"


VBA_PROJECT_STREAM = bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00])  # version 0xFFFF: no cache, compile source


def vba_project(modules: list[VbaModule], project_name: str = "VBAProject") -> bytes:
    """A whole vbaProject.bin holding these modules."""
    names = [m.name for m in modules]
    for name in [*names, project_name]:
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(
                f"{name!r} cannot name a VBA module or project: use up to 31 letters, digits or "
                "underscores, starting with a letter"
            )
    if len({n.upper() for n in names}) != len(names):
        raise ValueError(f"VBA module names must differ (ignoring case): {names}")
    texts = {m.name: _mbcs(module_text(m)) for m in modules}
    digest = hashlib.sha256(
        repr((project_name, [(m.name, m.document, texts[m.name]) for m in modules])).encode()
    ).digest()
    project_id = "{" + str(uuid.UUID(bytes=digest[16:], version=4)).upper() + "}"
    streams = {
        "PROJECT": project_stream(modules, project_id, project_name, digest),
        "PROJECTwm": projectwm_stream(modules),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": compress(dir_stream(modules, project_name)),
    }
    streams.update({f"VBA/{m.name}": compress(texts[m.name]) for m in modules})
    return compound_file(streams)


# --- reading a project back (Excel's or sheetflow's): what `sheetflow doctor` checks ----------------------------------


def read_modules(project: bytes) -> dict[str, str]:
    """Module name -> stored source (Attribute lines included) of a vbaProject.bin; ValueError when unreadable."""
    streams = {path.upper(): data for path, data in read_compound_file(project).items()}
    folder = next((path[:-3] for path in streams if path == "DIR" or path.endswith("/DIR")), None)
    if folder is None:
        raise ValueError("no VBA/dir stream: not a VBA project")
    codepage, modules = _dir_modules(decompress(streams[folder + "DIR"]))
    sources = {}
    for name, stream, offset in modules:
        data = streams.get((folder + stream).upper())
        if data is None:
            raise ValueError(f"the VBA project lists module {name}, but has no stream {stream}")
        sources[name] = decompress(data[offset:]).decode(f"cp{codepage}", errors="replace")
    return sources


def _dir_modules(stream: bytes) -> tuple[int, list[tuple[str, str, int]]]:
    """The code page and each module's (name, stream name, source offset) from an uncompressed dir stream."""
    codepage, modules, current = CODEPAGE, [], {}
    at = 0
    while at + 6 <= len(stream):
        record_id, size = struct.unpack_from("<HI", stream, at)
        if record_id == 0x0009:  # PROJECTVERSION: its size field says 4, its body is 6 bytes
            size = 6
        body = stream[at + 6 : at + 6 + size]
        at += 6 + size
        if record_id == 0x0003 and len(body) == 2:
            codepage = struct.unpack("<H", body)[0]
        elif record_id in (0x0019, 0x0047, 0x001A, 0x0032, 0x0031):
            current[record_id] = body
        elif record_id == 0x002B:
            name = (
                current[0x0047].decode("utf-16-le")
                if 0x0047 in current
                else current.get(0x0019, b"").decode(f"cp{codepage}", errors="replace")
            )
            stream_name = current[0x0032].decode("utf-16-le") if 0x0032 in current else name
            if 0x0031 not in current:
                raise ValueError(f"module {name} has no MODULEOFFSET record")
            modules.append((name, stream_name, struct.unpack("<I", current[0x0031])[0]))
            current = {}
    return codepage, modules


def read_compound_file(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file ([MS-CFB] version 3 or 4), by path ("VBA/dir"); ValueError when malformed."""
    header = _read_header(data)
    sectors = _Sectors(data, 1 << header.shift, _read_fat(data, header))
    entries = _directory_entries(sectors.gather(header.directory_start))
    mini_stream, mini_fat = _read_mini_stream(sectors, entries[0], header.mini_fat_start)

    def read(entry: _DirectoryEntry) -> bytes:
        """One stream's bytes, from this file's sectors or mini stream."""
        return _read_stream(entry, header, sectors, mini_stream, mini_fat)

    return _streams_by_path(entries, read)


class _Header(NamedTuple):
    """The fields of a compound file's header ([MS-CFB] 2.2) that reading it needs."""

    shift: int  # sector size as a power of two: 9 (version 3) or 12 (version 4)
    fat_count: int
    directory_start: int
    cutoff: int  # streams shorter than this live in the mini stream
    mini_fat_start: int
    difat_start: int
    difat_count: int


def _read_header(data: bytes) -> _Header:
    """The header's fields, once its signature and sector sizes show a compound file this reader handles."""
    if len(data) < SECTOR or data[:8] != SIGNATURE:
        raise ValueError("not a compound file")
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if shift not in (9, 12) or mini_shift != 6:
        raise ValueError("a compound file with unusual sector sizes")
    fat_count, directory_start, _, cutoff, mini_fat_start, _, difat_start, difat_count = struct.unpack_from(
        "<IIIIIIII", data, 44
    )
    return _Header(shift, fat_count, directory_start, cutoff, mini_fat_start, difat_start, difat_count)


@dataclass(frozen=True)
class _Sectors:
    """A compound file's sectors and the FAT that strings them into chains."""

    data: bytes
    size: int
    fat: list[int]

    def sector(self, number: int) -> bytes:
        """Sector `number`: sector 0 follows the header, which fills the first sector-sized block."""
        offset = (number + 1) * self.size
        if offset >= len(self.data):
            raise ValueError(f"sector {number} lies outside the file")
        return self.data[offset : offset + self.size]

    def gather(self, start: int) -> bytes:
        """The bytes of the FAT chain that begins at sector `start`."""
        return b"".join(self.sector(n) for n in _follow_chain(start, self.fat))


def _read_fat(data: bytes, header: _Header) -> list[int]:
    """The FAT, from the sectors the DIFAT lists: 109 in the header, the rest in a chain of DIFAT sectors."""
    sectors = _Sectors(data, 1 << header.shift, [])  # no FAT yet: the DIFAT names its sectors by number
    per_sector = sectors.size // 4
    difat = list(struct.unpack_from("<109I", sectors.data, 76))
    next_difat = header.difat_start
    for _ in range(header.difat_count):
        entries = struct.unpack(f"<{per_sector}I", sectors.sector(next_difat))
        difat += entries[:-1]
        next_difat = entries[-1]
    return [
        entry
        for number in difat[: header.fat_count]
        for entry in struct.unpack(f"<{per_sector}I", sectors.sector(number))
    ]


def _directory_entries(directory: bytes) -> list[_DirectoryEntry]:
    """The directory's 128-byte entries, the root first."""
    return [
        _DirectoryEntry._make(struct.unpack_from(_ENTRY_LAYOUT, directory, at))
        for at in range(0, len(directory), _ENTRY_SIZE)
    ]


def _read_mini_stream(sectors: _Sectors, root: _DirectoryEntry, mini_fat_start: int) -> tuple[bytes, list[int]]:
    """The mini stream (the root's chain) and the mini FAT, which together hold the streams under the cutoff."""
    mini_stream = sectors.gather(root.start) if root.start != ENDOFCHAIN else b""
    mini_fat_data = sectors.gather(mini_fat_start) if mini_fat_start != ENDOFCHAIN else b""
    return mini_stream, list(struct.unpack(f"<{len(mini_fat_data) // 4}I", mini_fat_data))


def _follow_chain(start: int, table: list[int]) -> list[int]:
    """The sector numbers of the chain from `start` through `table`, refusing one that leaves it or loops."""
    found = []
    while start != ENDOFCHAIN:
        if start >= len(table) or len(found) > len(table):
            raise ValueError("a broken sector chain")
        found.append(start)
        start = table[start]
    return found


def _read_stream(
    entry: _DirectoryEntry, header: _Header, sectors: _Sectors, mini_stream: bytes, mini_fat: list[int]
) -> bytes:
    """One stream's bytes: from the mini stream when shorter than the cutoff, else from whole sectors."""
    length = entry.size & 0xFFFFFFFF if header.shift == 9 else entry.size  # version 3: the high half may be junk
    if length == 0:
        return b""
    if length < header.cutoff:
        blocks = _follow_chain(entry.start, mini_fat)
        return b"".join(mini_stream[n * MINI_SECTOR : (n + 1) * MINI_SECTOR] for n in blocks)[:length]
    return sectors.gather(entry.start)[:length]


def _streams_by_path(entries: list[_DirectoryEntry], read: Callable[[_DirectoryEntry], bytes]) -> dict[str, bytes]:
    """Walk the root's tree, keying each stream by its storage path; visiting an entry twice means a broken tree."""
    streams: dict[str, bytes] = {}
    visited: set[int] = set()

    def walk(sid: int, folder: str) -> None:
        if sid == NOSTREAM:
            return
        if sid in visited or sid >= len(entries):
            raise ValueError("a broken directory tree")
        visited.add(sid)
        entry = entries[sid]
        name = entry.name[: max(entry.name_length - 2, 0)].decode("utf-16-le", errors="replace")
        walk(entry.left, folder)
        walk(entry.right, folder)
        if entry.kind == STREAM:
            streams[folder + name] = read(entry)
        elif entry.kind == STORAGE:
            walk(entry.child, f"{folder}{name}/")

    walk(entries[0].child, "")
    return streams


class _DirectoryEntry(NamedTuple):
    """One 128-byte directory entry of a compound file ([MS-CFB] 2.6.1), its fields in the order stored."""

    name: bytes  # UTF-16LE, zero-padded to 64 bytes
    name_length: int  # in bytes, the terminating zero included
    kind: int  # STORAGE, STREAM or ROOT
    color: int
    left: int  # sibling ids: the red-black tree of one storage's children
    right: int
    child: int  # a storage's first child
    clsid: bytes
    state_bits: int
    created: int
    modified: int
    start: int  # first sector of the stream (the root's: of the mini stream)
    size: int  # stream size in bytes


_ENTRY_LAYOUT, _ENTRY_SIZE = "<64sHBBIII16sIQQIQ", 128  # a _DirectoryEntry as stored


# --- [MS-CFB] the compound file ------------------------------------------------------------------------------------

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096  # streams shorter than this live in the mini stream
ENDOFCHAIN, FATSECT, FREESECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF, 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN


def sort_key(name: str) -> tuple[int, list[int]]:
    """[MS-CFB] 2.6.4 order of siblings: shorter names first, then code point by code point, upper-cased."""
    units = name.encode("utf-16-le")
    return len(units), [ord(c.upper()) if len(c.upper()) == 1 else ord(c) for c in name]


def _sibling_tree(entries: list[_Entry]) -> int:
    """Link siblings into a balanced binary search tree coloured as a valid red-black tree; return its root.

    Splitting the sorted list at its middle fills every level but the deepest, so all the nodes above it are
    black and those on it red (unless it is full too): every path then meets the same number of black nodes and
    no red node has a red child, as [MS-CFB] 2.6.4 asks.
    """
    ordered = sorted(entries, key=lambda e: sort_key(e.name))
    depths: dict[int, int] = {}

    def link(low: int, high: int, depth: int) -> int:
        if low >= high:
            return NOSTREAM
        middle = (low + high) // 2
        node = ordered[middle]
        depths[id(node)] = depth
        node.left = link(low, middle, depth + 1)
        node.right = link(middle + 1, high, depth + 1)
        return node.sid

    root = link(0, len(ordered), 0)
    deepest = max(depths.values(), default=0)
    full = len(ordered) == 2 ** (deepest + 1) - 1
    for node in ordered:
        node.color = RED if depths[id(node)] == deepest and not full else BLACK
    return root


def _chain(first: int, count: int) -> list[int]:
    return [first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN] if count else []


def _padded(data: bytes, size: int) -> bytes:
    return data + b"\x00" * (-len(data) % size)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A CFB version 3 file (512-byte sectors) holding `streams`, keyed by path ("VBA/dir"); storages are implied."""
    root = _storage_tree(streams)
    entries = _numbered(root)
    for entry in entries:
        if entry.children:
            entry.child = _sibling_tree(list(entry.children.values()))
    mini_stream, mini_fat = _fill_mini_stream(entries)
    root.data = mini_stream
    large = [e for e in entries if e.kind == STREAM and len(e.data) >= MINI_CUTOFF]
    layout = _allocate_sectors(entries, mini_fat, large)
    body = [
        struct.pack(f"<{len(layout.fat)}I", *layout.fat),
        _directory_sectors(entries),
        struct.pack(f"<{layout.mini_fat_sectors * SECTOR // 4}I", *mini_fat, *[FREESECT] * (-len(mini_fat) % 128)),
        _padded(mini_stream, SECTOR),
    ]
    body += [_padded(e.data, SECTOR) for e in large]
    return _header(layout) + b"".join(body)


def _storage_tree(streams: dict[str, bytes]) -> _Entry:
    """The root entry with a storage for each folder of the paths and a stream for each path, refusing clashes."""
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        *folders, name = path.split("/")
        parent = root
        for folder in folders:
            parent = parent.children.setdefault(folder, _Entry(folder, STORAGE))
            if parent.kind != STORAGE:
                raise ValueError(f"{path}: {folder} is a stream, not a storage")
        if name in parent.children:
            raise ValueError(f"{path} is given twice")
        parent.children[name] = _Entry(name, STREAM, bytes(data))
    return root


def _numbered(root: _Entry) -> list[_Entry]:
    """Every entry in directory order (each storage before its children, siblings sorted), its sid set to its place."""
    entries: list[_Entry] = []

    def number(entry: _Entry) -> None:
        if len(entry.name) > 31 or any(c in entry.name for c in "/\\:!"):
            raise ValueError(f"{entry.name!r} cannot name a compound-file entry")
        entry.sid = len(entries)
        entries.append(entry)
        for child in sorted(entry.children.values(), key=lambda e: sort_key(e.name)):
            number(child)

    number(root)
    return entries


def _fill_mini_stream(entries: list[_Entry]) -> tuple[bytes, list[int]]:
    """The mini stream and its mini FAT: short streams live in 64-byte mini sectors, each given its start."""
    small = [e for e in entries if e.kind == STREAM and 0 < len(e.data) < MINI_CUTOFF]
    mini_stream, mini_fat = bytearray(), []
    for entry in small:
        count = -(-len(entry.data) // MINI_SECTOR)
        entry.start = len(mini_fat)
        mini_fat += _chain(entry.start, count)
        mini_stream += _padded(entry.data, MINI_SECTOR)
    return bytes(mini_stream), mini_fat


@dataclass(frozen=True)
class _Layout:
    """Where a compound file's parts lie: its FAT, and the sectors the header points at."""

    fat: list[int]
    fat_sectors: int
    directory_start: int
    mini_fat_start: int
    mini_fat_sectors: int


def _allocate_sectors(entries: list[_Entry], mini_fat: list[int], large: list[_Entry]) -> _Layout:
    """Lay out the FAT, directory, mini FAT, mini stream and large streams in that order, setting each start."""
    root = entries[0]
    directory_sectors = -(-len(entries) * 128 // SECTOR)
    mini_fat_sectors = -(-len(mini_fat) * 4 // SECTOR)
    mini_stream_sectors = -(-len(root.data) // SECTOR)
    large_sectors = [-(-len(e.data) // SECTOR) for e in large]
    fat_sectors = _fat_sector_count(directory_sectors + mini_fat_sectors + mini_stream_sectors + sum(large_sectors))

    fat = [FATSECT] * fat_sectors
    directory_start = len(fat)
    fat += _chain(directory_start, directory_sectors)
    mini_fat_start = len(fat) if mini_fat_sectors else ENDOFCHAIN
    fat += _chain(len(fat), mini_fat_sectors)
    root.start = len(fat) if mini_stream_sectors else ENDOFCHAIN
    fat += _chain(len(fat), mini_stream_sectors)
    for entry, count in zip(large, large_sectors, strict=True):
        entry.start = len(fat)
        fat += _chain(len(fat), count)
    fat += [FREESECT] * (fat_sectors * SECTOR // 4 - len(fat))
    return _Layout(fat, fat_sectors, directory_start, mini_fat_start, mini_fat_sectors)


def _fat_sector_count(others: int) -> int:
    """How many FAT sectors map `others` sectors and themselves; the header's DIFAT can list only 109 of them."""
    fat_sectors = 1
    while fat_sectors * SECTOR // 4 < others + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("the compound file is too large for a header-only DIFAT (about 7 MB)")
    return fat_sectors


def _header(layout: _Layout) -> bytes:
    """[MS-CFB] 2.2: the 512-byte version 3 header, its DIFAT listing every FAT sector."""
    header = bytearray(SIGNATURE + bytes(16))
    header += struct.pack(
        "<HHHHH6sIIIIIIIII",
        0x003E,
        0x0003,
        0xFFFE,
        9,
        6,
        bytes(6),
        0,
        layout.fat_sectors,
        layout.directory_start,
        0,
        MINI_CUTOFF,
        layout.mini_fat_start,
        layout.mini_fat_sectors,
        ENDOFCHAIN,
        0,
    )
    header += struct.pack("<109I", *(list(range(layout.fat_sectors)) + [FREESECT] * (109 - layout.fat_sectors)))
    return bytes(header)


def _directory_sectors(entries: list[_Entry]) -> bytes:
    """The directory: one 128-byte entry per entry, padded with unused entries to whole sectors."""
    directory = bytearray()
    for entry in entries:
        encoded = _utf16(entry.name)
        size = len(entry.data) if entry.kind in (STREAM, ROOT) else 0
        start = entry.start if entry.kind in (STREAM, ROOT) else 0
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded) + 2,
            entry.kind,
            entry.color,
            entry.left,
            entry.right,
            entry.child,
            bytes(16),
            0,
            0,
            0,
            start,
            size,
        )
    unused = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, bytes(16), 0, 0, 0, 0, 0)
    while len(directory) % SECTOR:
        directory += unused
    return bytes(directory)
