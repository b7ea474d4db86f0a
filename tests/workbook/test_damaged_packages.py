"""Damaged and hostile packages, built by hand with zipfile: each gives one line and exit 2 through the CLI, never
a traceback, and leaves the file's bytes as they were (nothing is copied through into a new file)."""

from __future__ import annotations

import stat
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from sheetflow.workbook import package as pkg

COMMANDS = ["validate", "refresh", "apply", "report", "init"]
DOCTYPE = b'<!DOCTYPE x [<!ENTITY a "b">]>'


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """sheetflow's own sample studio: every sheet, tables, charts, a Notes sheet with rows."""
    from click.testing import CliRunner

    from sheetflow.cli import main

    path = tmp_path_factory.mktemp("sample") / "studio.xlsx"
    assert CliRunner().invoke(main, ["new", str(path), "--sample"], catch_exceptions=False).exit_code == 0
    return path


def part_of(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return pkg.Package.open(zf).sheet(sheet).part


def rebuilt(
    src: Path,
    dst: Path,
    edit: Callable[[str, bytes], bytes | None] = lambda _, d: d,
    extra: tuple[zipfile.ZipInfo | tuple[str, bytes], ...] = (),
) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about a duplicate name: that is the point
            for item in extra:
                if isinstance(item, zipfile.ZipInfo):
                    zout.writestr(item, b"\x89PNG")
                else:
                    zout.writestr(*item)
    return dst


def corrupt_deflate(src: Path, dst: Path, member: str) -> Path:
    """Bytes overwritten in the middle of one member's compressed data (its directory entry untouched)."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    data[middle : middle + 32] = b"\xff" * 32
    dst.write_bytes(bytes(data))
    return dst


def in_part(member: str, change: Callable[[bytes], bytes]) -> Callable[[str, bytes], bytes]:
    return lambda name, data: change(data) if name == member else data


def assert_refused(sheetflow, path: Path, words: str, command: str) -> None:
    before = path.read_bytes()
    result = sheetflow(command, path)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert words in result.output, result.output
    assert path.read_bytes() == before
    assert not list(path.parent.glob(".~sheetflow-*"))  # no temp file left behind


# --- corrupt data: a torn download, a sync client that wrote half a block, a failing USB stick ---------------


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("sheet", ["Notes", "Sessions", "Settings", "Dashboard"])
def test_corrupt_deflate_data_in_a_sheet_names_the_part(sample, tmp_path, sheetflow, sheet, command):
    part = part_of(sample, sheet)
    path = corrupt_deflate(sample, tmp_path / "studio.xlsx", part)
    assert_refused(sheetflow, path, f"the workbook part {part} is damaged", command)


@pytest.mark.parametrize(
    "member",
    ["xl/theme/theme1.xml", "xl/charts/chart1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "docProps/app.xml"],
)
def test_corrupt_deflate_data_in_other_parts_names_the_part(sample, tmp_path, sheetflow, member):
    path = corrupt_deflate(sample, tmp_path / "studio.xlsx", member)
    for command in ("refresh", "apply"):
        assert_refused(sheetflow, path, f"the workbook part {member} is damaged", command)


# --- invalid UTF-8: a file edited by a tool that wrote Latin-1, a bit flipped on the way --------------------


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("sheet", ["Notes", "Sessions", "Tasks"])
def test_invalid_utf8_after_the_sheet_data_names_the_part(sample, tmp_path, sheetflow, sheet, command):
    part = part_of(sample, sheet)
    path = rebuilt(
        sample,
        tmp_path / "studio.xlsx",
        in_part(part, lambda d: d.replace(b"</sheetData>", b"</sheetData><!-- caf\xe9 -->", 1)),
    )
    assert_refused(sheetflow, path, f"the workbook part {part} is damaged", command)


@pytest.mark.parametrize(
    "member", ["xl/charts/chart1.xml", "xl/workbook.xml", "xl/tables/table1.xml", "[Content_Types].xml"]
)
def test_invalid_utf8_anywhere_in_other_parts_names_the_part(sample, tmp_path, sheetflow, member):
    path = rebuilt(sample, tmp_path / "studio.xlsx", in_part(member, lambda d: d[:-20] + b"\xc3\x28" + d[-20:]))
    assert_refused(sheetflow, path, f"the workbook part {member} is damaged", "refresh")


# --- a relationship to a missing part: a sync that lost one file of the package, a zip tool that dropped it ----


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("member", "rels"),
    [
        ("xl/worksheets/sheet8.xml", "xl/_rels/workbook.xml.rels"),  # the Tasks sheet
        ("xl/worksheets/sheet1.xml", "xl/_rels/workbook.xml.rels"),  # Sessions
        ("xl/styles.xml", "xl/_rels/workbook.xml.rels"),
        ("xl/tables/table1.xml", "xl/worksheets/_rels/sheet1.xml.rels"),  # a sheet's table
        ("xl/drawings/drawing1.xml", "xl/worksheets/_rels/sheet1.xml.rels"),  # a sheet's buttons
    ],
)
def test_a_relationship_to_a_missing_part_names_it(sample, tmp_path, sheetflow, member, rels, command):
    path = rebuilt(sample, tmp_path / "studio.xlsx", lambda name, data: None if name == member else data)
    assert_refused(sheetflow, path, f"the workbook part {member} is missing ({rels} points to it)", command)


# --- hostile entries: a malicious attachment that a careless tool would unpack or copy through ---------------


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the mode bits in external_attr count
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (("xl/worksheets/sheet1.xml", b"<worksheet/>"), "holds the part xl/worksheets/sheet1.xml twice"),
        (("XL/Worksheets/Sheet1.xml", b"<worksheet/>"), "holds the part XL/Worksheets/Sheet1.xml twice"),
        (("../../outside.txt", b"x"), 'entry named "../../outside.txt", which points outside the workbook'),
        (("xl/../../outside.txt", b"x"), 'entry named "xl/../../outside.txt", which points outside the workbook'),
        (("/etc/cron.d/evil", b"x"), 'entry named "/etc/cron.d/evil", which points outside the workbook'),
        (("xl\\media\\image1.png", b"x"), 'entry named "xl\\media\\image1.png", with backslashes'),
        (_symlink("xl/media/image1.png"), '"xl/media/image1.png" as a symbolic link'),
    ],
    ids=["duplicate", "duplicate-case", "dotdot", "dotdot-inside", "absolute", "backslash", "symlink"],
)
def test_hostile_member_names_and_symlinks_are_refused(sample, tmp_path, sheetflow, extra, words, command):
    path = rebuilt(sample, tmp_path / "studio.xlsx", extra=(extra,))
    assert_refused(sheetflow, path, words, command)


# --- a DOCTYPE anywhere before the root element: an entity-expansion attack hidden past the first 4 KB -------


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("sheet", "prolog"),
    [
        ("Settings", b"<!--" + b"x" * 8000 + b"-->" + DOCTYPE),  # after a long comment
        ("Notes", b"<!--" + b"-" * 2 + b"x" * 70000 + b"-->\n" + DOCTYPE),  # past the first chunk read
        ("Sessions", b"<?pi " + b" " * 9000 + b"?>" + DOCTYPE),  # after a long processing instruction
    ],
    ids=["comment", "long-comment", "pi"],
)
def test_a_doctype_after_a_long_prolog_is_refused(sample, tmp_path, sheetflow, sheet, prolog, command):
    part = part_of(sample, sheet)
    path = rebuilt(sample, tmp_path / "studio.xlsx", in_part(part, lambda d: d.replace(b"?>", b"?>" + prolog, 1)))
    assert_refused(sheetflow, path, f"the workbook part {part} declares XML entities", command)


def test_a_doctype_after_a_long_xml_declaration_is_refused(sample, tmp_path, sheetflow):
    part = part_of(sample, "Statuses")
    long_declaration = in_part(
        part,
        lambda d: d.replace(b'standalone="yes"', b'standalone="yes"' + b" " * 6000, 1).replace(
            b"?>", b"?>" + DOCTYPE, 1
        ),
    )
    path = rebuilt(sample, tmp_path / "studio.xlsx", long_declaration)
    assert_refused(sheetflow, path, f"the workbook part {part} declares XML entities", "refresh")


@pytest.mark.parametrize("member", ["xl/charts/chart1.xml", "xl/drawings/drawing1.xml", "docProps/core.xml"])
def test_a_doctype_in_a_part_sheetflow_only_copies_is_refused(sample, tmp_path, sheetflow, member):
    path = rebuilt(sample, tmp_path / "studio.xlsx", in_part(member, lambda d: d.replace(b"?>", b"?>" + DOCTYPE, 1)))
    assert_refused(sheetflow, path, f"the workbook part {member} declares XML entities", "apply")


def test_the_sample_itself_passes_every_check(sample, tmp_path, sheetflow):
    path = rebuilt(sample, tmp_path / "studio.xlsx")
    assert sheetflow("refresh", path).exit_code == 0


def test_doctor_on_a_damaged_package_gives_no_traceback(sample, tmp_path, sheetflow):
    path = corrupt_deflate(sample, tmp_path / "studio.xlsx", part_of(sample, "Notes"))
    before = path.read_bytes()
    result = sheetflow("doctor", path, today=None)
    assert "Traceback" not in result.output
    assert path.read_bytes() == before
