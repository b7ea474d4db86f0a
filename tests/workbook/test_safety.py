"""Exit codes and safe writes: busy workbooks (3), unreadable files (2), nothing half-written."""

from __future__ import annotations

import zipfile

import pytest
from filelock import FileLock
from helpers.workbooks import cells, records, session, studio


@pytest.fixture
def book(tmp_path):
    return studio(tmp_path / "studio.xlsx", [session(session_id=1, status="Session Pending", change_to="next")])


@pytest.mark.parametrize("owner", ["~$studio.xlsx", ".~lock.studio.xlsx#"])
@pytest.mark.parametrize("command", ["apply", "refresh", "validate"])
def test_a_workbook_open_in_excel_or_libreoffice_is_not_touched(book, sheetflow, owner, command):
    (book.parent / owner).write_text("someone")
    before = book.read_bytes()
    result = sheetflow(command, book)
    assert result.exit_code == 3
    assert "open in" in result.output
    assert book.read_bytes() == before


def test_validate_of_an_open_workbook_still_lists_its_problems(book, sheetflow):
    (book.parent / "~$studio.xlsx").write_text("someone")
    result = sheetflow("validate", book)
    assert result.exit_code == 3 and "Problems sheet not updated" in result.output


def test_a_second_run_waits_its_turn(book, sheetflow):
    with FileLock(str(book.parent / ".sheetflow-backups" / "studio.xlsx.lock")):
        before = book.read_bytes()
        result = sheetflow("apply", book)
        assert result.exit_code == 3 and "another sheetflow run" in result.output
        assert book.read_bytes() == before
    assert sheetflow("apply", book).exit_code == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"just some text", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
    ],
)
def test_files_that_are_not_workbooks_are_exit_2(tmp_path, sheetflow, content, words):
    path = tmp_path / "studio.xlsx"
    path.write_bytes(content)
    result = sheetflow("refresh", path)
    assert result.exit_code == 2 and words in result.output
    assert path.read_bytes() == content


def test_an_old_xls_is_exit_2_with_the_fix(tmp_path, sheetflow):
    path = tmp_path / "studio.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    result = sheetflow("refresh", path)
    assert result.exit_code == 2 and "save it as .xlsx" in result.output


def test_a_truncated_workbook_is_exit_2_and_left_as_it_was(book, sheetflow):
    data = book.read_bytes()[: len(book.read_bytes()) // 2]
    book.write_bytes(data)
    result = sheetflow("apply", book)
    assert result.exit_code == 2 and "damaged" in result.output
    assert book.read_bytes() == data


def test_a_missing_file_is_exit_2(tmp_path, sheetflow):
    result = sheetflow("refresh", tmp_path / "nope.xlsx")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_bad_usage_is_exit_2(book, sheetflow):
    assert sheetflow("change", book).exit_code == 2  # no session id
    assert sheetflow("change", book, "1", "--date", "not a date").exit_code == 2


def test_a_failed_write_leaves_the_workbook_as_it_was(book, sheetflow, monkeypatch):
    before = book.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("sheetflow.workbook.writer.rewrite_sheet", crash)
    with pytest.raises(OSError):
        sheetflow("apply", book)
    assert book.read_bytes() == before
    assert [p.name for p in book.parent.iterdir() if p.suffix == ".tmp"] == []
    assert records(book, "Sessions")[0]["Status"] == "Session Pending"


def test_text_that_looks_like_a_formula_is_stored_as_text(book, sheetflow):
    result = sheetflow("change", book, "1", "--note", '=HYPERLINK("http://evil","click")', "--by", "+Mallory")
    assert result.exit_code == 0
    with zipfile.ZipFile(book) as zf:
        notes = next(n for n in zf.namelist() if n.startswith("xl/worksheets/") and b"HYPERLINK" in zf.read(n))
        xml = zf.read(notes).decode()
    assert "<f>" not in xml and 't="inlineStr"' in xml
    note = records(book, "Notes")[0]
    assert note["Note"] == '=HYPERLINK("http://evil","click")' and note["Updated By"] == "+Mallory"


def test_long_text_unicode_and_control_characters_survive(book, sheetflow):
    text = "Ünïcødé 写真 📷 tab\there bell\x07 _x0041_ " + "x" * 40000
    assert sheetflow("change", book, "1", "--note", text).exit_code == 0
    stored = cells(book, "Notes")[1][9]  # calamine decodes _xHHHH_ escapes as Excel does (openpyxl does not)
    assert len(stored.encode("utf-16-le")) // 2 == 32767  # Excel's limit for one cell, in UTF-16 units
    assert stored.startswith("Ünïcødé 写真 📷 tab\there bell\x07 _x0041_ x")


def _rebuilt(src, dst, member, edit):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, edit(data) if info.filename == member else data)
    return dst


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10))
    + b"]>"
)


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/worksheets/sheet5.xml", "xl/workbook.xml"])
def test_an_entity_expansion_attack_is_refused_untouched(book, tmp_path, sheetflow, member):
    def attack(data: bytes) -> bytes:
        root = data.index(b"<", data.index(b"?>"))
        return LAUGHS + data[root:]

    hostile = _rebuilt(book, tmp_path / "hostile.xlsx", member, attack)
    before = hostile.read_bytes()
    result = sheetflow("refresh", hostile)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and member in result.output
    assert hostile.read_bytes() == before


def test_a_zip_bomb_sheet_is_refused_untouched(book, tmp_path, sheetflow):
    def bomb(data: bytes) -> bytes:
        return data.replace(b"<sheetData>", b"<sheetData>" + b" " * (80 << 20), 1)

    hostile = _rebuilt(book, tmp_path / "bomb.xlsx", "xl/worksheets/sheet5.xml", bomb)
    before = hostile.read_bytes()
    result = sheetflow("refresh", hostile)
    assert result.exit_code == 2 and "too large to be a real sheet" in result.output
    assert hostile.read_bytes() == before


def test_a_folder_that_does_not_exist_is_exit_2_not_a_traceback(tmp_path, sheetflow):
    for args in (
        ("new", tmp_path / "nodir" / "studio.xlsx"),
        ("refresh", tmp_path / "nodir" / "studio.xlsx"),
        ("apply", tmp_path / "nodir" / "studio.xlsx"),
    ):
        result = sheetflow(*args)
        assert result.exit_code == 2, result.output
        assert "does not exist" in result.output
    assert not (tmp_path / "nodir").exists()


def test_runmain_for_a_workbook_that_does_not_exist_writes_nothing(tmp_path, sheetflow):
    result = sheetflow("excel", "runmain", tmp_path / "missing.xlsx", today=None)
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not (tmp_path / "missing.py").exists()


def test_an_empty_folder_names_itself(tmp_path, sheetflow, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = sheetflow("refresh", ".")
    assert result.exit_code == 2 and f"{tmp_path.name}: no .xlsx or .xlsm workbooks there" in result.output
