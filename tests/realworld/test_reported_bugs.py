"""The bugs found on real writers' files (issue 11), one test each, so they stay fixed: build the writer's
workbook (writers.py), run the command, assert on what readers see."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

import openpyxl
import pytest
from helpers.workbooks import session, studio
from python_calamine import CalamineWorkbook
from writers import (
    EPOCH_1904,
    MAIN_NS,
    REL_NS,
    STRICT_MAIN_NS,
    STRICT_REL_NS,
    STUDIO,
    copy_of,
    grid,
    load,
    mc_styles,
    pristine,
    r_where_used,
    relationships,
    rels_name,
    require_soffice,
    sample,
    save,
    sheetflow,
    sheets,
    soffice_convert,
    spreadsheetml_parts,
    styles_part,
    text,
    workbook_part,
    xml_parts,
)

from sheetflow.core.schema import FIRED, NOTES, OUTBOX, TASKS

pytestmark = pytest.mark.filterwarnings("ignore:.* is not supported and will be removed:UserWarning")


def studio_from(writer: str, tmp_path: Path, tmp_path_factory) -> Path:
    return copy_of(pristine(writer, tmp_path_factory), tmp_path / writer)


def ok(*args):
    result = sheetflow(*args)
    assert result.exit_code == 0, result.output
    return result


def rows_by_id(path: Path, sheet: str) -> dict[str, dict[str, object]]:
    rows = grid(path, sheet)
    header = rows[0]
    key = header.index("Session ID")
    return {str(r[key]).removesuffix(".0"): dict(zip(header, r, strict=False)) for r in rows[1:] if r[key] != ""}


def load_openpyxl(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path)


# --- (a) LibreOffice: each distinct text once in the shared strings ------------------------------------------------


def test_libreoffice_saved_studio_apply_keeps_one_header_row_per_sheet(tmp_path, tmp_path_factory):
    """Tasks, Notes and Outbox share header texts (Session ID, Client, Due Date…); LibreOffice stores each once and
    every header cell points at it. Reading repeats as blank made apply add a second "Task" column."""
    book = studio_from("libreoffice", tmp_path, tmp_path_factory)
    ok("apply", book)
    for schema in (TASKS, NOTES, OUTBOX, FIRED):
        assert grid(book, schema.name)[0] == list(schema.columns), schema.name
    tasks = grid(book, TASKS.name)
    task = tasks[0].index("Task")
    noah = [row for row in tasks[1:] if row[1] == 1004]
    assert [row[task] for row in noah] == [
        "Call Noah Williams on 555-0104: happy with the order?",
        "Retouching for Noah Williams was due 04/12/2026: finish it or set a new due date",
    ]


def time_in_status(path: Path) -> list[list[object]]:
    """The Dashboard's time-in-status block: columns J to P, from its title down."""
    rows = grid(path, "Dashboard")
    block = [row[9:16] for row in rows]
    while block and not any(v != "" for v in block[-1]):
        block.pop()
    return block


def test_libreoffice_saved_studio_refresh_keeps_the_time_in_status(tmp_path, tmp_path_factory):
    """refresh never reads Notes: it lays the time-in-status block out again from the Dashboard's own cells, which
    LibreOffice wrote with shared strings."""
    book = studio_from("libreoffice", tmp_path, tmp_path_factory)
    before = time_in_status(book)
    assert before[0][0] == "Time in status" and any("P-Retouch Pending" in row for row in before)
    ok("refresh", book)
    assert time_in_status(book) == before


# --- (b) Excel for Mac: the 1904 date system -------------------------------------------------------------------------


def serial_1904(day: dt.date) -> int:
    return (dt.datetime.combine(day, dt.time()) - EPOCH_1904).days


def cell_xml(path: Path, sheet: str, ref: str) -> str:
    members = load(path)
    xml = text(members, sheets(members)[sheet])
    m = re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    assert m, f"{sheet}!{ref} is not in the sheet"
    return m[0]


def test_1904_workbook_due_date_stays_after_two_refreshes(tmp_path, tmp_path_factory):
    book = studio_from("mac-1904", tmp_path, tmp_path_factory)
    ok("change", book, "1001", "--due", "2026-12-04")
    ok("refresh", book)
    ok("refresh", book)
    assert rows_by_id(book, "Sessions")["1001"]["Due Date"] == dt.date(2026, 12, 4)
    sessions = load_openpyxl(book)["Sessions"]
    header = [c.value for c in sessions[1]]
    due = next(row[header.index("Due Date")] for row in sessions.iter_rows(min_row=2) if row[0].value == 1001)
    assert due.value == dt.datetime(2026, 12, 4) and due.is_date
    assert f"<v>{serial_1904(dt.date(2026, 12, 4))}</v>" in cell_xml(book, "Sessions", due.coordinate)


def test_1904_workbook_dates_sheetflow_writes_read_back_right_everywhere(tmp_path, tmp_path_factory):
    """After apply, refresh and report every date cell of every sheet sheetflow writes (the hidden ledger
    included) reads the same in openpyxl, which honours the workbook's epoch, as in calamine — and is a day of
    the studio's season (or the moment of the run), not one four years off."""
    book = studio_from("mac-1904", tmp_path, tmp_path_factory)
    for command in ("apply", "refresh", "report"):
        ok(command, book)
    wb = load_openpyxl(book)
    assert wb.epoch == EPOCH_1904
    calamine = CalamineWorkbook.from_path(str(book))
    checked = 0
    for name in ("Sessions", "Notes", "Tasks", "Outbox", "Dashboard", FIRED.name):
        values = calamine.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for row in wb[name].iter_rows():
            for cell in row:
                if not cell.is_date or cell.value is None:
                    continue
                seen = values[cell.row - 1][cell.column - 1]
                expected = cell.value if cell.value.time() != dt.time() else cell.value.date()
                assert seen == expected, f"{name}!{cell.coordinate}: calamine {seen!r}, openpyxl {cell.value!r}"
                season = dt.date(2026, 9, 1) <= cell.value.date() <= dt.date(2027, 1, 31)
                # a run's Logged At and the ledger's Fired At are the wall-clock moment, not the --today
                now = abs(cell.value - dt.datetime.now()) < dt.timedelta(days=1)
                assert season or now, f"{name}!{cell.coordinate}: {cell.value}"
                checked += 1
    assert checked > 150
    noah = rows_by_id(book, "Sessions")["1004"]
    assert (noah["Status"], noah["Status Date"], noah["Due Date"]) == (
        "P-Retouch Pending",
        dt.date(2026, 11, 25),
        dt.date(2026, 12, 4),
    )
    fired = grid(book, FIRED.name)
    assert sorted((r[1], r[2]) for r in fired[1:] if r[0] == 1004) == [
        ("Follow-up call after the sales presentation", dt.date(2026, 11, 25)),  # the day of the change
        ("Portrait retouch overdue", dt.date(2026, 12, 4)),
    ]  # the status's due date


# --- (c) a sheet added to an openpyxl-written file -------------------------------------------------------------------


@pytest.mark.parametrize("lxml_style", [False, True], ids=["openpyxl", "openpyxl-lxml"])
def test_a_sheet_added_to_an_openpyxl_file_opens_in_openpyxl_and_libreoffice(tmp_path, lxml_style):
    """openpyxl (with lxml) declares the relationships prefix on each <sheet>; a <sheet> sheetflow adds must
    declare the prefix it uses too."""
    source = sample(tmp_path / "source" / STUDIO)
    wb = openpyxl.load_workbook(source)
    del wb["Problems"]
    book = tmp_path / "openpyxl" / STUDIO
    book.parent.mkdir()
    wb.save(book)
    if lxml_style:
        members = load(book)
        for part in spreadsheetml_parts(members):
            members[part] = r_where_used(text(members, part)).encode()
        save(members, book)
    ok("validate", book)
    assert load_openpyxl(book).sheetnames[-1] == "Problems"
    assert grid(book, "Problems")[0] == ["Severity", "Where", "Problem", "How to fix"]
    require_soffice()
    converted = soffice_convert(book, tmp_path / "out", "xlsx")
    assert "Problems" in CalamineWorkbook.from_path(str(converted)).sheet_names
    assert grid(converted, "Sessions")[1][:2] == [1001.0, "Emma Thompson"]


# --- (d) part names in another case ----------------------------------------------------------------------------------


def test_sheet1_casing_keeps_each_sheet_under_its_name_and_part_names_unique(tmp_path, tmp_path_factory):
    book = studio_from("part-casing", tmp_path, tmp_path_factory)
    names = CalamineWorkbook.from_path(str(book)).sheet_names
    own = {name: grid(book, name) for name in ("Statuses", "Settings", "Lists", "Holidays", "Triggers")}
    ok("refresh", book)
    members = load(book)
    folded = [name.casefold() for name in members]
    assert len(folded) == len(set(folded)), sorted(n for n in members if folded.count(n.casefold()) > 1)
    assert CalamineWorkbook.from_path(str(book)).sheet_names == [*names, "Problems"]
    for name, cells in own.items():
        assert grid(book, name) == cells, name
    assert grid(book, "Problems")[0] == ["Severity", "Where", "Problem", "How to fix"]
    assert load_openpyxl(book).sheetnames == [*names, "Problems"]


# --- (e) styles inside mc:AlternateContent, or no styles part -------------------------------------------------------


def written_dates(book: Path) -> dict[str, object]:
    """The dates apply writes, by what they are: the Notes rows it appends, the Sessions it changes, the tasks."""
    notes = grid(book, NOTES.name)
    sessions = rows_by_id(book, "Sessions")
    tasks = grid(book, TASKS.name)
    return {
        "Notes Logged At": notes[-1][0],
        "Notes Date Completed": notes[-1][5],
        "Notes Due Date": notes[-1][6],
        "Sessions Status Date": sessions["1004"]["Status Date"],
        "Sessions Due Date": sessions["1004"]["Due Date"],
        "Tasks Due Date": tasks[-1][5],
        "Tasks Created": tasks[-1][8],
    }


EXPECTED_DATES = {
    "Notes Date Completed": dt.date(2026, 11, 25),
    "Notes Due Date": dt.date(2026, 12, 2),
    "Sessions Status Date": dt.date(2026, 11, 25),
    "Sessions Due Date": dt.date(2026, 12, 4),
    "Tasks Due Date": dt.date(2026, 12, 5),
    "Tasks Created": dt.date(2026, 11, 25),
}


def test_no_styles_part_dates_sheetflow_writes_are_dates(tmp_path, tmp_path_factory):
    book = studio_from("no-styles", tmp_path, tmp_path_factory)
    ok("apply", book)
    dates = written_dates(book)
    assert isinstance(dates.pop("Notes Logged At"), dt.datetime)
    assert dates == EXPECTED_DATES
    members = load(book)
    part = styles_part(members)
    assert part in members and f'PartName="/{part}"' in text(members, "[Content_Types].xml")
    wb = load_openpyxl(book)
    notes = wb[NOTES.name]
    last = notes.max_row
    assert notes.cell(last, 1).is_date and notes.cell(last, 6).is_date and notes.cell(last, 7).is_date
    assert wb[TASKS.name].cell(wb[TASKS.name].max_row, 6).is_date


def cell_xfs_branches(styles_xml: str) -> list[list[str]]:
    """Each <cellXfs> of styles.xml (one per AlternateContent branch) as its <xf> elements; its count checked."""
    branches = []
    for m in re.finditer(r"<(?:\w+:)?cellXfs\b([^>]*)>(.*?)</(?:\w+:)?cellXfs>", styles_xml, re.S):
        xfs = re.findall(r"<(?:\w+:)?xf\b[^>]*?(?:/>|>.*?</(?:\w+:)?xf>)", m[2], re.S)
        count = re.search(r'count="(\d+)"', m[1])
        assert count is None or int(count[1]) == len(xfs), f"cellXfs count={count[1]} but {len(xfs)} <xf>"
        branches.append(xfs)
    return branches


def test_alternate_content_styles_dates_sheetflow_writes_are_dates(tmp_path):
    """The cell styles live in mc:Choice and mc:Fallback. This studio (xlsxwriter's, date-only formats) has no
    Notes sheet and no date-and-time style: the Notes sheet sheetflow creates needs one for Logged At, which
    must go into both branches at the same index, so a cell's style means the same whichever branch a reader
    takes. (openpyxl skips AlternateContent and cannot open such a file at all, before or after: calamine and
    LibreOffice are the readers here.)"""
    book = studio(
        tmp_path / STUDIO,
        [
            session(
                session_id=1001,
                client="Ann",
                status="Session Pending",
                status_date=dt.date(2026, 11, 16),
                change_to="next",
            ),
            session(
                session_id=1002,
                client="Bob",
                status="Image Capture Pending",
                status_date=dt.date(2026, 11, 20),
                change_to="Retouch Pending",
            ),
        ],
    )
    members = load(book)
    mc_styles(members)
    save(members, book)
    before = cell_xfs_branches(text(members, styles_part(members)))
    assert len(before) == 2 and before[0] == before[1]
    ok("apply", book)
    notes = grid(book, NOTES.name)
    assert [row[1] for row in notes[1:]] == [1001.0, 1002.0]
    for row in notes[1:]:
        assert isinstance(row[0], dt.datetime) and row[0].time() != dt.time(), row
        assert row[5] == dt.date(2026, 11, 25), row  # Date Completed: today
    assert [row[6] for row in notes[1:]] == [dt.date(2026, 11, 27), dt.date(2026, 12, 2)]  # Due Date
    members = load(book)
    styles_xml = text(members, styles_part(members))
    choice, fallback = cell_xfs_branches(styles_xml)
    assert choice == fallback and len(choice) > len(before[0])
    notes_xml = text(members, sheets(members)[NOTES.name])
    logged = int(re.search(r'<c r="A2"[^>]*?\ss="(\d+)"', notes_xml)[1])
    number_format = re.search(r'numFmtId="(\d+)"', choice[logged])[1]
    codes = dict(re.findall(r'<(?:\w+:)?numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles_xml))
    assert number_format == "22" or "h" in codes.get(number_format, ""), choice[logged]
    require_soffice()
    seen = grid(soffice_convert(book, tmp_path / "out", "xlsx"), NOTES.name)
    assert isinstance(seen[1][0], dt.datetime) and seen[1][5] == dt.date(2026, 11, 25)


# --- (f) Strict Open XML ---------------------------------------------------------------------------------------------


def test_strict_workbook_is_read_patched_and_stays_strict(tmp_path, tmp_path_factory):
    book = studio_from("strict", tmp_path, tmp_path_factory)
    before = load(book)
    ok("apply", book)
    ok("refresh", book)
    noah = rows_by_id(book, "Sessions")["1004"]
    assert (noah["Status"], noah["Due Date"]) == ("P-Retouch Pending", dt.date(2026, 12, 4))
    assert grid(book, NOTES.name)[-1][1:5] == [
        1009.0,
        "Hannah & Lucas Rossi",
        "W-Online Gallery Pending",
        "W-Album Preview Pending",
    ]
    members = load(book)
    for name in xml_parts(members):
        xml = text(members, name)
        assert MAIN_NS not in xml and REL_NS not in xml, f"{name} has a transitional namespace"
    assert 'conformance="strict"' in text(members, workbook_part(members))
    for part in spreadsheetml_parts(members):
        if part not in before:
            assert STRICT_MAIN_NS in text(members, part), f"{part}, added, is not in the Strict namespace"
    for name in [m for m in members if m.endswith(".rels")]:
        source = name.replace("_rels/", "").removesuffix(".rels")
        for _, typ, _ in relationships(members, "" if name == "_rels/.rels" else source):
            assert typ.startswith(
                (
                    STRICT_REL_NS,
                    "http://schemas.openxmlformats.org/package/2006/relationships/",
                    "http://schemas.microsoft.com/",
                )
            ), f"{name}: {typ}"
    assert rels_name(workbook_part(members)) in members
