"""The .xlsm's VBA project, written from the [MS-OVBA]/[MS-CFB] specifications, checked without Excel: two
independent readers (oletools and LibreOffice) read it back, and its structure matches a project Excel made."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import uuid
import zipfile
from pathlib import Path

import olefile
import pytest
import xlsxwriter
from fidelity.fixture import xlwings_vba_project
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, decompress_stream

from sheetflow import excel
from sheetflow.authoring import vba

CODE_NAMES = ["Sheet1", "Sheet2", "Sheet3"]
MODULES = [
    vba.VbaModule("ThisWorkbook", "", document=True),
    *(vba.VbaModule(name, "", document=True) for name in CODE_NAMES),
    vba.VbaModule("Sheetflow", vba.sheetflow_source()),
]
STREAMS = [
    "PROJECT",
    "PROJECTwm",
    "VBA/Sheet1",
    "VBA/Sheet2",
    "VBA/Sheet3",
    "VBA/Sheetflow",
    "VBA/ThisWorkbook",
    "VBA/_VBA_PROJECT",
    "VBA/dir",
]
RUN_PYTHON = re.compile(r'"import sheetflow\.excel; sheetflow\.excel\.(\w+)\(\)"')


@pytest.fixture(scope="module")
def project() -> bytes:
    return vba.sheetflow_project(CODE_NAMES)


@pytest.fixture(scope="module")
def xlsm(project, tmp_path_factory) -> Path:
    """A studio-like .xlsm as xlsxwriter writes it: default code names, one form button per macro."""
    folder = tmp_path_factory.mktemp("xlsm")
    (folder / "vbaProject.bin").write_bytes(project)
    book = xlsxwriter.Workbook(folder / "studio.xlsm")
    sheets = [book.add_worksheet(name) for name in ("Sessions", "Statuses", "Notes")]
    book.add_vba_project(str(folder / "vbaProject.bin"))
    book.set_vba_name()
    for row, sub in enumerate(vba.MACROS):
        sheets[0].insert_button(f"B{2 + 3 * row}", {"macro": sub, "caption": sub})
    book.close()
    return folder / "studio.xlsm"


@pytest.fixture(scope="module")
def golden(tmp_path_factory) -> olefile.OleFileIO:
    """The vbaProject.bin Excel made, inside xlwings' quickstart .xlsm."""
    path = xlwings_vba_project(tmp_path_factory.mktemp("golden"))
    assert path is not None, "xlwings' quickstart .xlsm (the Excel-made project to compare with) was not found"
    return olefile.OleFileIO(str(path))


def strict(data: bytes) -> olefile.OleFileIO:
    return olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)


# --- olevba reads back what was written ----------------------------------------------------------------------------


def olevba_modules(path: Path, data: bytes | None = None) -> dict[str, str]:
    parser = VBA_Parser(str(path), data=data)
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def expected_modules() -> dict[str, str]:
    """olevba names a document module .cls, a procedural one .bas, and keeps the Attribute lines."""
    return {f"{m.name}.{'cls' if m.document else 'bas'}": vba.module_text(m) for m in MODULES}


def test_olevba_reads_every_module_back_exactly(project):
    assert olevba_modules(Path("vbaProject.bin"), project) == expected_modules()


def test_olevba_reads_the_modules_from_the_whole_xlsm(xlsm):
    assert olevba_modules(xlsm) == expected_modules()


def test_the_module_source_is_what_the_buttons_need():
    text = vba.module_text(MODULES[-1])
    assert text.startswith('Attribute VB_Name = "Sheetflow"\r\n')
    assert "\n" not in text.replace("\r\n", "")  # VBA wants CRLF line ends only
    for sub in vba.MACROS:
        assert f"\r\nPublic Sub {sub}()\r\n" in text
    assert "Application.Run \"'xlwings.xlam'!RunPython\", pythonCode" in text  # by name: no VBA reference needed
    assert "On Error GoTo AddinMissing" in text
    assert "xlwings addin install" in text and 'pip install ""C:\\path\\to\\sheetflow[excel]""' in text
    thisworkbook, sheet = vba.module_text(MODULES[0]), vba.module_text(MODULES[1])
    assert 'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"' in thisworkbook
    assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in sheet


def test_every_runpython_names_a_real_entry_point(project):
    code = olevba_modules(Path("vbaProject.bin"), project)["Sheetflow.bas"]
    subs = dict(
        re.findall(
            r'Public Sub (\w+)\(\)\r\n    RunSheetflow "import sheetflow\.excel; '
            r'sheetflow\.excel\.(\w+)\(\)"\r\nEnd Sub',
            code,
        )
    )
    assert subs == vba.MACROS
    called = RUN_PYTHON.findall(code)
    assert sorted(called) == sorted(vba.MACROS.values())
    for name in called:
        assert callable(getattr(excel, name, None)), f"sheetflow.excel has no entry point {name}"


def test_the_project_is_deterministic_and_follows_the_sheets(project):
    assert vba.sheetflow_project(CODE_NAMES) == project
    other = vba.sheetflow_project(["Sheet1"])
    assert other != project
    assert olevba_modules(Path("vbaProject.bin"), other).keys() == {"ThisWorkbook.cls", "Sheet1.cls", "Sheetflow.bas"}


@pytest.mark.parametrize("names", [["Sheet 1"], ["Sheet1", "sheet1"], ["Sheetflow"], ["X" * 32], ["1Sheet"]])
def test_code_names_vba_cannot_hold_are_refused(names):
    with pytest.raises(ValueError):
        vba.sheetflow_project(names)


# --- MS-OVBA compression, against oletools' decompressor -------------------------------------------------------------


def chunks(container: bytes) -> list[tuple[bool, int]]:
    """(compressed?, size with header) of each chunk of a CompressedContainer."""
    found, at = [], 1
    while at < len(container):
        header = int.from_bytes(container[at : at + 2], "little")
        assert header >> 12 & 0b111 == 0b011, f"bad chunk signature at byte {at}"
        size = (header & 0x0FFF) + 3
        found.append((bool(header & 0x8000), size))
        at += size
    assert at == len(container)
    return found


def assert_round_trip(data: bytes) -> None:
    packed = vba.compress(data)
    assert bytes(decompress_stream(bytearray(packed))) == data
    assert vba.decompress(packed) == data
    raw = [i for i, (compressed, _) in enumerate(chunks(packed)) if not compressed]
    # a raw chunk always holds 4096 bytes: only a full chunk may be raw, or it comes back padded with NULs
    assert all((i + 1) * 4096 <= len(data) for i in raw)


def noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def incompressible(size: int, seed: int) -> bytes:
    """Bytes with no 3-byte sequence repeated within a chunk: nothing for a copy token to point back to."""
    rng, data, seen = random.Random(seed), bytearray(), set()
    while len(data) < size:
        if len(data) % 4096 == 0:
            seen.clear()
        byte = rng.randrange(256)
        window = bytes(data[-2:]) + bytes([byte]) if len(data) % 4096 >= 2 else None
        if window is None or window not in seen:
            seen.add(window)
            data.append(byte)
    return bytes(data)


near_chunk_sizes = st.integers(0, 3).flatmap(lambda k: st.integers(-4, 4).map(lambda d: max(0, 4096 * k + d)))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=9000))
def test_compression_round_trips_any_bytes(data):
    assert_round_trip(data)


@settings(max_examples=60, deadline=None)
@given(near_chunk_sizes, st.integers(0, 2**32), st.booleans())
def test_compression_round_trips_around_chunk_boundaries(size, seed, repetitive):
    assert_round_trip(bytes(size) if repetitive else noise(size, seed))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2), st.integers(3641, 4095), st.integers(0, 2**32))
def test_an_incompressible_final_chunk_over_3640_bytes_round_trips(full_chunks, final, seed):
    data = incompressible(4096 * full_chunks + final, seed)
    assert_round_trip(data)
    packed = chunks(vba.compress(data))
    assert [compressed for compressed, _ in packed] == [False] * full_chunks + [True, True]


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=12), st.integers(1, 2500))
def test_compression_round_trips_repetitive_data(unit, repeats):
    data = unit * repeats
    assert_round_trip(data)
    if len(data) >= 64:
        assert len(vba.compress(data)) < len(data) // 2


def test_the_shortest_incompressible_tail_stays_one_compressed_chunk():
    for size in (1, 100, 3640):
        data = incompressible(size, size)
        packed = vba.compress(data)
        assert chunks(packed) == [(True, len(packed) - 1)] and len(packed) - 1 > size  # bigger, but exact
        assert_round_trip(data)


def test_vba_source_compresses_well_and_never_into_raw_chunks(project):
    """Excel's own projects use compressed chunks only; so do sheetflow's (text always compresses)."""
    ole = strict(project)
    for stream in STREAMS:
        if stream.startswith("VBA/") and stream != "VBA/_VBA_PROJECT":
            assert all(compressed for compressed, _ in chunks(ole.openstream(stream).read())), stream
    source = vba.module_text(MODULES[-1]).encode("cp1252") * 3  # over one chunk
    assert len(vba.compress(source)) < len(source) // 2


def test_decompress_reads_excel_made_streams_like_oletools(golden):
    for stream in ("VBA/dir", "VBA/Module1", "VBA/ThisWorkbook", "VBA/Sheet1"):
        data = golden.openstream(stream).read()
        offset = 0 if stream == "VBA/dir" else module_offset(golden, stream.removeprefix("VBA/"))
        assert vba.decompress(data[offset:]) == bytes(decompress_stream(bytearray(data[offset:])))


def test_decompress_refuses_what_is_not_a_container():
    for bad in (b"", b"\x02\x00", b"\x01\x00\x00"):
        with pytest.raises(ValueError):
            vba.decompress(bad)


# --- the dir and PROJECT streams, against the project Excel made -----------------------------------------------------


def dir_records(ole: olefile.OleFileIO) -> list[tuple[int, bytes]]:
    stream = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    records, at = [], 0
    while at < len(stream):
        record_id, size = struct.unpack_from("<HI", stream, at)
        if record_id == 0x0009:  # PROJECTVERSION: its size field says 4, its body is 6 bytes
            size = 6
        records.append((record_id, stream[at + 6 : at + 6 + size]))
        at += 6 + size
    assert at == len(stream)
    return records


def dir_parts(records):
    """Project information, references (one list per reference), modules (one list per module)."""
    ids = [r for r, _ in records]
    references_at, modules_at = ids.index(0x0016), ids.index(0x000F)
    references: list[list] = []
    for record in records[references_at:modules_at]:
        if record[0] == 0x0016 and (not references or references[-1][-1][0] != 0x0016):
            references.append([])
        references[-1].append(record)
    modules: list[list] = [[]]
    for record in records[modules_at + 2 : -1]:
        modules[-1].append(record)
        if record[0] == 0x002B:
            modules.append([])
    assert modules.pop() == [] and records[-1] == (0x0010, b"")
    return records[:references_at], references, records[modules_at : modules_at + 2], modules


def module_offset(ole: olefile.OleFileIO, name: str) -> int:
    for group in dir_parts(dir_records(ole))[3]:
        fields = dict(group)
        if fields[0x0019] == name.encode():
            return struct.unpack("<I", fields[0x0031])[0]
    raise KeyError(name)


def ids(records) -> list[int]:
    return [r for r, _ in records]


def test_dir_stream_has_excels_record_structure(project, golden):
    ours, excels = dir_parts(dir_records(strict(project))), dir_parts(dir_records(golden))
    information, references, modules_header, modules = ours
    assert ids(information) == ids(excels[0])  # SYSKIND, COMPATVERSION, LCID … CONSTANTS, paired records included
    same = {
        0x0001,
        0x004A,
        0x0002,
        0x0014,
        0x0003,
        0x0004,
        0x0005,
        0x0040,
        0x0006,
        0x003D,
        0x0007,
        0x0008,
        0x000C,
        0x003C,
    }
    assert [r for r in information if r[0] in same] == [r for r in excels[0] if r[0] in same]  # values too
    assert dict(information)[0x0003] == struct.pack("<H", 1252) and dict(information)[0x0002] == b"\x09\x04\0\0"

    assert [dict(r)[0x0016] for r in references] == [b"stdole", b"Office"]
    assert all(ids(r) == [0x0016, 0x003E, 0x000D] for r in references)
    excels_office = next(r for r in excels[1] if dict(r)[0x0016] == b"Office")
    assert references[1] == excels_office  # registered reference, byte for byte

    assert ids(modules_header) == ids(excels[2]) == [0x000F, 0x0013]
    assert modules_header[0][1] == struct.pack("<H", len(MODULES))
    excel_document = next(ids(g) for g in excels[3] if 0x0022 in ids(g))
    excel_procedural = next(ids(g) for g in excels[3] if 0x0021 in ids(g))
    for module, group in zip(MODULES, modules, strict=True):
        assert ids(group) == (excel_document if module.document else excel_procedural), module.name
        fields = dict(group)
        assert fields[0x0019] == fields[0x001A] == module.name.encode()
        assert fields[0x0047] == fields[0x0032] == module.name.encode("utf-16-le")
        assert fields[0x0031] == b"\0\0\0\0"  # MODULEOFFSET 0: the stream is just the compressed source
        assert fields[0x002C] == b"\xff\xff"  # the spec's cookie (Excel writes its own; readers ignore it)


def project_keys(text: str) -> list[str]:
    keys: list[str] = []
    workspace = False
    for line in text.split("\r\n"):
        key = line.split("=", 1)[0]
        workspace = workspace or line == "[Workspace]"
        if key in ("Document", "Module", "Class"):
            key = "<module>"
        elif workspace and "=" in line:
            key = "<window>"
        if not (keys and key == keys[-1] and key in ("<module>", "<window>")):
            keys.append(key)
    return keys


def test_project_stream_has_excels_keys_in_excels_order(project, golden):
    ours = strict(project).openstream("PROJECT").read().decode("cp1252")
    excels = golden.openstream("PROJECT").read().decode("cp1252")
    assert project_keys(ours) == project_keys(excels)
    assert [line for line in ours.split("\r\n") if line.startswith(("Document=", "Module="))] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Document=Sheet2/&H00000000",
        "Document=Sheet3/&H00000000",
        "Module=Sheetflow",
    ]
    host = [line for line in excels.split("\r\n") if line.startswith("&H00000001=")]
    assert host == [vba.HOST_EXTENDER] and vba.HOST_EXTENDER in ours


def encrypted_values(text: str) -> tuple[str, dict[str, str]]:
    values = dict(re.findall(r'^(ID|CMG|DPB|GC)="([^"]+)"', text, re.M))
    return values.pop("ID"), values


def test_protection_values_decrypt_like_excels(project, golden):
    """CMG (not protected), DPB (no password), GC (visible): MS-OVBA 2.4.3, keyed on the project ID."""
    meaning = {"CMG": b"\0\0\0\0", "DPB": b"\0", "GC": b"\xff"}
    for ole in (strict(project), golden):
        project_id, values = encrypted_values(ole.openstream("PROJECT").read().decode("cp1252"))
        for label, value in values.items():
            plain = vba.decrypt(value)
            assert plain.data == meaning[label] and plain.project_key == sum(project_id.encode()) & 0xFF
            assert vba.encrypt(plain.data, project_id, plain.seed, plain.ignored) == value  # same bytes Excel wrote


def test_projectwm_and_vba_project_streams(project, golden):
    ours = strict(project)
    names = b"".join(m.name.encode() + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in MODULES) + b"\0\0"
    assert ours.openstream("PROJECTwm").read() == names
    excels = golden.openstream("PROJECTwm").read()
    assert excels.endswith(b"\0\0") and b"Module1\0M\0o\0d\0u\0l\0e\x001\0\0\0" in excels
    assert ours.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000000")
    assert golden.openstream("VBA/_VBA_PROJECT").read()[:2] == bytes.fromhex("CC61")


# --- the compound file ---------------------------------------------------------------------------------------------


def test_olefile_reads_the_project_back(project):
    ole = strict(project)
    assert ["/".join(path) for path in ole.listdir()] == STREAMS
    assert len(project) % 512 == 0


def test_compound_file_streams_round_trip_on_both_sides_of_the_mini_stream_cutoff():
    streams = {
        "PROJECT": b"ID=1\r\n",
        "small": b"x" * 63,
        "edge": noise(4095, 1),
        "cutoff": noise(4096, 2),
        "VBA/big": noise(70_000, 3),
        "VBA/dir": b"\x01" * 600,
        "VBA/nested/deep": b"deep",
        "empty": b"",
    }
    ole = strict(vba.compound_file(streams))
    assert sorted("/".join(path) for path in ole.listdir()) == sorted(streams)
    for path, data in streams.items():
        assert ole.openstream(path).read() == data, path
        entry = ole.direntries[ole._find(path)]
        assert (entry.size < 4096) == (len(data) < 4096)
    assert ole.get_type("VBA") == ole.get_type("VBA/nested") == olefile.STGTY_STORAGE


RED, BLACK = 0, 1  # [MS-CFB] 2.6.1 colour flag values


def sibling_tree(ole: olefile.OleFileIO, sid: int) -> tuple[list[str], int]:
    """In-order names of a sibling tree, checking its red-black colouring; returns them and its black height."""
    if sid == olefile.NOSTREAM:
        return [], 1
    entry = ole.direntries[sid]
    left, left_height = sibling_tree(ole, entry.sid_left)
    right, right_height = sibling_tree(ole, entry.sid_right)
    assert left_height == right_height, f"{entry.name}: unequal black heights"
    if entry.color == RED:
        for child in (entry.sid_left, entry.sid_right):
            assert child == olefile.NOSTREAM or ole.direntries[child].color == BLACK, "red under red"
    return [*left, entry.name, *right], left_height + (entry.color == BLACK)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6, 7, 8, 15, 16, 31, 40])
def test_directory_siblings_form_a_sorted_red_black_tree(count):
    names = [f"{'ab' * (i % 3)}s{i}" for i in range(count)]
    ole = strict(vba.compound_file({f"VBA/{name}": name.encode() for name in names}))
    root = ole.direntries[0]
    storage = ole.direntries[root.sid_child]
    assert storage.name == "VBA" and storage.color == BLACK
    order, _ = sibling_tree(ole, storage.sid_child)
    assert ole.direntries[storage.sid_child].color == BLACK
    assert order == sorted(names, key=lambda n: (len(n), n.upper()))


# --- reading projects back (what `sheetflow doctor` relies on) -------------------------------------------------------

XLWINGS_SPEC = importlib.util.find_spec("xlwings")
XLWINGS_FILES = sorted(Path(XLWINGS_SPEC.origin).parent.glob("**/*.xl[sa]m")) if XLWINGS_SPEC else []


def test_read_modules_reads_sheetflows_project(project):
    assert vba.read_modules(project) == {m.name: vba.module_text(m) for m in MODULES}


@pytest.mark.parametrize("office_file", XLWINGS_FILES, ids=lambda p: p.name)
def test_read_modules_reads_excel_made_projects_like_olevba(office_file):
    """xlwings' add-in and quickstart files: Excel-made, with performance caches and streams over 4096 bytes."""
    with zipfile.ZipFile(office_file) as package:
        project = package.read(next(n for n in package.namelist() if n.endswith("vbaProject.bin")))
    expected = {name.rsplit(".", 1)[0]: code for name, code in olevba_modules(office_file).items()}
    assert vba.read_modules(project) == expected
    assert vba.read_compound_file(project).keys() == {"/".join(p) for p in olefile.OleFileIO(project).listdir()}


def test_read_modules_refuses_what_is_not_a_project(project):
    for bad in (b"", b"PK\x03\x04" + bytes(600), project[:512], vba.compound_file({"PROJECT": b"ID=1"})):
        with pytest.raises(ValueError):
            vba.read_modules(bad)


# --- LibreOffice imports the project and binds the buttons -----------------------------------------------------------

SOFFICE = shutil.which("soffice")
UNO_PYTHON = "/usr/bin/python3"  # the system Python that has LibreOffice's uno module
PROBE = r"""
import json, os, sys, time
import uno
from com.sun.star.beans import PropertyValue

pipe, path = sys.argv[1], sys.argv[2]
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for attempt in range(300):
    try:
        context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        break
    except Exception:
        time.sleep(0.1)
else:
    sys.exit("LibreOffice did not answer")
desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
hidden, macros = PropertyValue(), PropertyValue()
hidden.Name, hidden.Value = "Hidden", True
macros.Name, macros.Value = "MacroExecutionMode", 4
doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0, (hidden, macros))
found = {"libraries": {}, "sheets": []}
for name in doc.BasicLibraries.getElementNames():
    doc.BasicLibraries.loadLibrary(name)
    library = doc.BasicLibraries.getByName(name)
    found["libraries"][name] = {module: library.getByName(module) for module in library.getElementNames()}
for index in range(doc.Sheets.Count):
    sheet = doc.Sheets.getByIndex(index)
    controls = []
    forms = sheet.DrawPage.Forms
    for f in range(forms.Count):
        form = forms.getByIndex(f)
        for c in range(form.Count):
            control = form.getByIndex(c)
            controls.append({"label": control.Label, "events": [
                [e.ListenerType, e.EventMethod, e.ScriptType, e.ScriptCode] for e in form.getScriptEvents(c)]})
    found["sheets"].append({"name": sheet.Name, "code_name": sheet.CodeName, "controls": controls})
doc.close(True)
print(json.dumps(found), flush=True)
try:
    desktop.terminate()
except Exception:
    pass
os._exit(0)  # skip the UNO bridge's teardown, which can crash once LibreOffice is gone
"""


def libreoffice_view(book: Path, folder: Path) -> dict:
    """What LibreOffice's VBA import made of `book`: its Basic libraries and each sheet's form controls."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    probe = folder / "probe.py"
    probe.write_text(PROBE)
    pipe = f"sheetflow_vba_{uuid.uuid4().hex}"
    office = subprocess.Popen(
        [
            SOFFICE,
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"--accept=pipe,name={pipe};urp;",
            f"-env:UserInstallation={(folder / 'lo').as_uri()}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        done = subprocess.run([UNO_PYTHON, str(probe), pipe, str(book)], capture_output=True, text=True, timeout=90)
    finally:
        try:
            os.killpg(office.pid, signal.SIGTERM)
            office.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(office.pid, signal.SIGKILL)
            office.wait()
    assert done.returncode == 0 and done.stdout.strip(), f"the UNO probe failed: {done.stdout} {done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_libreoffice_imports_the_modules_and_binds_each_button(xlsm, tmp_path):
    seen = libreoffice_view(xlsm, tmp_path)
    library = seen["libraries"]["VBAProject"]
    assert sorted(library) == sorted(m.name for m in MODULES)
    # LibreOffice swaps the Attribute lines for two of its own and ends with a blank line; the code itself comes
    # through line for line
    sheetflow = library["Sheetflow"].splitlines()
    assert sheetflow[:2] == ["Rem Attribute VBA_ModuleType=VBAModule", "Option VBASupport 1"]
    assert sheetflow[-1] == ""
    assert sheetflow[2:-1] == vba.sheetflow_source().splitlines()
    for module in MODULES[:-1]:
        assert library[module.name].startswith("Rem Attribute VBA_ModuleType=VBADocumentModule"), module.name

    sessions = seen["sheets"][0]
    assert [s["code_name"] for s in seen["sheets"]] == CODE_NAMES
    bound = {c["label"]: [e[3] for e in c["events"] if e[1] == "actionPerformed"] for c in sessions["controls"]}
    assert bound == {
        sub: [f"vnd.sun.star.script:VBAProject.Sheetflow.{sub}?language=Basic&location=document"] for sub in vba.MACROS
    }


def test_the_xlsm_carries_the_project_as_written(xlsm, project):
    with zipfile.ZipFile(xlsm) as package:
        assert package.read("xl/vbaProject.bin") == project
        assert b'codeName="Sheet1"' in package.read("xl/worksheets/sheet1.xml")
        assert b"[0]!ApplyChanges" in package.read("xl/drawings/vmlDrawing1.vml")
