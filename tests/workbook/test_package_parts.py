"""The package rules other writers' files need (SPEC §9), part by part: shared strings, styles, the sheet list,
part names, and the check that keeps a file a reader would refuse from ever replacing the workbook."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import pytest
from helpers.workbooks import session, studio
from python_calamine import CalamineWorkbook

from sheetflow.workbook import package as pkg
from sheetflow.workbook.sharedstrings import SharedStrings

MAIN = pkg.MAIN_NS


def zip_with(parts: dict[str, bytes | str]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return zipfile.ZipFile(buffer)


def test_shared_strings_keep_every_kind_of_text_excel_and_its_peers_write():
    sst = (
        f'<x:sst xmlns:x="{MAIN}" count="6" uniqueCount="6">'
        "<x:si><x:t>Task</x:t></x:si>"
        '<x:si><x:t xml:space="preserve"> padded </x:t></x:si>'
        "<x:si><x:r><x:rPr><x:b/></x:rPr><x:t>Bold</x:t></x:r><x:r><x:t> and plain</x:t></x:r></x:si>"
        '<x:si><x:t>東京</x:t><x:rPh sb="0" eb="2"><x:t>トウキョウ</x:t></x:rPh><x:phoneticPr fontId="1"/></x:si>'
        "<x:si/>"
        "<x:si><x:t>a &amp; b_x000D__x005F_x0041_</x:t></x:si></x:sst>"
    )
    strings = SharedStrings(zip_with({"xl/sharedStrings.xml": sst}), "xl/sharedStrings.xml")
    assert strings.all() == ["Task", " padded ", "Bold and plain", "東京", "", "a & b\r_x0041_"]
    assert strings.get(0) == "Task" and strings.get(6) is None


def test_a_big_table_is_read_only_as_far_as_asked():
    texts = "".join(f"<si><t>client {i * 2654435761 % 10**9}</t></si>" for i in range(200_000))
    sst = f'<sst xmlns="{MAIN}">{texts}</sst>'
    strings = SharedStrings(zip_with({"xl/sharedStrings.xml": sst}), "xl/sharedStrings.xml")
    assert strings.get(3) == f"client {3 * 2654435761 % 10**9}"
    assert len(strings._texts) < 200_000  # one megabyte's worth, not the whole table
    assert strings.get(199_999) == f"client {199_999 * 2654435761 % 10**9}"
    assert strings.get(100_000) == f"client {100_000 * 2654435761 % 10**9}"  # skipped on the way, decoded now
    assert strings.all() == [f"client {i * 2654435761 % 10**9}" for i in range(200_000)]


def test_strings_skipped_on_the_way_to_a_far_one_are_still_there_when_asked():
    texts = "".join(f"<x:si><x:t>s{i}</x:t></x:si>" if i % 7 else "<x:si/>" for i in range(300_000))
    sst = f'<x:sst xmlns:x="{MAIN}">{texts}</x:sst>'
    strings = SharedStrings(zip_with({"xl/sharedStrings.xml": sst}), "xl/sharedStrings.xml")
    assert strings.get(299_999) == "" and strings.get(299_998) == "s299998"  # 299,999 is a multiple of 7
    assert [strings.get(i) for i in (0, 1, 7, 150_001, 299_997)] == ["", "s1", "", "s150001", "s299997"]
    assert strings._texts.count(None) > 200_000  # the strings around the five asked for stay undecoded


@pytest.mark.parametrize("empty", ["<si/>", "<si><t/></si>"])  # <si/>: boundaries by regex; else split in C
def test_one_string_out_of_a_skipped_piece_is_exactly_what_the_whole_table_says(empty):
    kinds = (
        "<si><t>plain {i}</t></si>",
        '<si><t xml:space="preserve"> {i} </t></si>',
        empty,
        "<si><r><rPr><b/></rPr><t>rich</t></r><r><t> {i}</t></r></si>",
        "<si><t>a &amp; b {i}</t></si>",
    )
    texts = "".join(kinds[i % len(kinds)].format(i=i) for i in range(120_000))
    part = {"xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{texts}</sst>'}
    whole = SharedStrings(zip_with(part), "xl/sharedStrings.xml").all()
    strings = SharedStrings(zip_with(part), "xl/sharedStrings.xml")
    assert strings.get(119_999) == whole[119_999]
    assert [strings.get(i) for i in (0, 3, 4, 60_002, 60_003, 119_998)] == [
        whole[i] for i in (0, 3, 4, 60_002, 60_003, 119_998)
    ]


ALTERNATE_STYLES = (
    f'<styleSheet xmlns="{MAIN}" xmlns:mc="{pkg.MC_NS}" xmlns:x14ac="http://schemas.microsoft.com/office/'
    'spreadsheetml/2009/9/ac" mc:Ignorable="x14ac"><fonts count="1"><font><sz val="11"/></font></fonts>'
    '<mc:AlternateContent><mc:Choice Requires="x14ac"><cellXfs count="2"><xf numFmtId="0" fontId="0"/>'
    '<xf numFmtId="4" fontId="0"/></cellXfs></mc:Choice><mc:Fallback><cellXfs count="2"><xf numFmtId="0"/>'
    '<xf numFmtId="4"/></cellXfs></mc:Fallback></mc:AlternateContent></styleSheet>'
)


def test_a_date_style_goes_into_both_branches_of_alternate_content():
    styles = pkg.Styles(ALTERNATE_STYLES.encode())
    assert styles.xf_formats == [0, 4]
    index = styles.date_style(False)
    assert index == 2 and styles.is_date(2)
    root = ElementTree.fromstring(styles.xml)
    branches = root.findall(f".//{{{MAIN}}}cellXfs")
    assert len(branches) == 2
    for cell_xfs in branches:
        xfs = cell_xfs.findall(f"{{{MAIN}}}xf")
        assert int(cell_xfs.get("count")) == len(xfs) == 3
        assert xfs[2].get("numFmtId") == "14"


def test_a_package_without_styles_gets_a_stylesheet_with_a_date_style():
    styles = pkg.Styles(None)
    assert styles.created and styles.date_style(False) == 1
    root = ElementTree.fromstring(styles.xml)
    assert [xf.get("numFmtId") for xf in root.iter(f"{{{MAIN}}}xf")][-1] == "14"


def test_a_new_sheet_declares_the_relationships_prefix_when_the_root_does_not():
    workbook = (
        f'<workbook xmlns="{MAIN}"><sheets><sheet xmlns:r="{pkg.REL_NS}" name="Clients" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    ).encode()
    grown = pkg.add_sheet_to_workbook(workbook, "Notes", "rId7")
    sheets = ElementTree.fromstring(grown).findall(f".//{{{MAIN}}}sheet")
    assert [(s.get("name"), s.get(f"{{{pkg.REL_NS}}}id"), s.get("sheetId")) for s in sheets] == [
        ("Clients", "rId1", "1"),
        ("Notes", "rId7", "2"),
    ]


def test_part_names_are_matched_ignoring_case():
    zf = zip_with({"xl/worksheets/Sheet1.xml": "<worksheet/>", "xl/_rels/Workbook.xml.rels": "<Relationships/>"})
    assert pkg.member(zf, "xl/worksheets/sheet1.xml") == "xl/worksheets/Sheet1.xml"
    assert pkg.member(zf, "xl/_rels/workbook.xml.rels") == "xl/_rels/Workbook.xml.rels"
    assert pkg.resolve("xl/workbook.xml", "/xl/worksheets/sheet%201.xml") == "xl/worksheets/sheet 1.xml"
    assert pkg.resolve("xl/workbook.xml", "worksheets/../worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"


def test_a_file_a_reader_would_refuse_never_replaces_the_workbook(tmp_path, sheetflow, monkeypatch):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, client="Ann", status="Session Pending")])
    before = book.read_bytes()

    def unbound(workbook_xml: bytes, name: str, rel_id: str, hidden: bool = False, strict: bool = False) -> bytes:
        return workbook_xml.replace(
            b"</sheets>", f'<sheet name="{name}" sheetId="99" q:id="{rel_id}"/></sheets>'.encode()
        )

    monkeypatch.setattr(pkg, "add_sheet_to_workbook", unbound)
    result = sheetflow("validate", book)  # adds the Problems sheet
    assert result.exit_code == 2
    assert "would not open" in result.output and "xl/workbook.xml" in result.output
    assert book.read_bytes() == before
    assert "Problems" not in CalamineWorkbook.from_path(str(book)).sheet_names


def test_a_damaged_part_is_named_in_one_line_and_the_file_is_left_alone(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, client="Ann", status="Session Pending")])
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[:-40] if info.filename == "xl/styles.xml" else data)
    before = damaged.read_bytes()
    result = sheetflow("refresh", damaged)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "xl/styles.xml is damaged" in result.output and "sheetflow restore --list" in result.output
    assert damaged.read_bytes() == before
