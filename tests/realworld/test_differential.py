"""The differential test (issue 11): one studio written by many writers (writers.py) must come out of
`apply`, `refresh` and `report` the same as sheetflow's own file does, keep every member sheetflow does not own
byte for byte, and open in every reader that opens the writer's file.

What the comparison normalises, and why — nothing else (the grids must even have the same extent):
- a number where sheetflow's own file has a date is read as a serial in the file's date system — only in a
  cell that held that very number before the run (a writer that stores dates as bare numbers, without a date
  style: no-styles); a cell sheetflow wrote must be a real date;
- Notes' Logged At on the rows the run appended is the wall-clock moment of the run (not the fixed --today), so
  it only has to be a date and time;
- Outbox's Message ID ends with eight hex digits seeded by that same moment, so only `M-000006-` is compared.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from writers import (
    COMMANDS,
    EPOCH_1900,
    EPOCH_1904,
    WRITERS,
    Members,
    Run,
    find_member,
    grid,
    libreoffice_view,
    load,
    pristine,
    relationships,
    rels_name,
    run,
    sheets,
    styles_part,
    workbook_part,
)

COMPARED = ("Sessions", "Tasks", "Outbox", "Notes", "Dashboard")
OWNED_SHEETS = ("Sessions", "Notes", "Tasks", "Outbox", "Problems", "Dashboard", "_sheetflow_fired")
TABLE_TYPE = "/table"
MESSAGE_ID = re.compile(r"(M-\d{6}-)[0-9a-f]{8}")


@pytest.fixture(params=list(WRITERS))
def writer(request):
    return WRITERS[request.param]


@pytest.fixture
def ran(writer, tmp_path_factory) -> Run:
    """The writer's studio after apply, refresh and report (made once per session)."""
    result = run(writer.name, tmp_path_factory)
    assert result.exit_codes == dict.fromkeys(COMMANDS, 0), result.outputs
    return result


# --- the cells ---------------------------------------------------------------------------------------------------


def trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    """Without the empty cells at the end of each row and the empty rows at the end (LibreOffice's re-save may
    store more or fewer of them)."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] in ("", None):
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def date1904(path: Path) -> bool:
    members = load(path)
    return bool(
        re.search(r'<(?:\w+:)?workbookPr\b[^>]*date1904="(?:1|true)"', members[workbook_part(members)].decode())
    )


def from_serial(serial: float, in_1904: bool) -> dt.datetime:
    """The moment a serial stands for, to the second (the precision Excel shows and sheetflow writes)."""
    return (EPOCH_1904 if in_1904 else EPOCH_1900) + dt.timedelta(seconds=round(serial * 86400))


def differences(reference: Run, other: Run, sheet: str) -> list[str]:
    """Where the sheet's cells differ, after the normalisations of this module's docstring."""
    expected, got = grid(reference.after, sheet), grid(other.after, sheet)
    before = grid(other.before, sheet)
    in_1904 = date1904(other.after)
    header = got[0] if got else []
    appended_from = len(before)
    found = []
    shape = (len(expected), max(map(len, expected), default=0)), (len(got), max(map(len, got), default=0))
    if shape[0] != shape[1]:
        found.append(
            f"{sheet}: {shape[0][0]} rows x {shape[0][1]} columns (sheetflow's own file) != {shape[1][0]} x "
            f"{shape[1][1]} ({other.writer})"
        )
    for r in range(max(len(expected), len(got))):
        want = expected[r] if r < len(expected) else []
        have = got[r] if r < len(got) else []
        for c in range(max(len(want), len(have))):
            a = want[c] if c < len(want) else ""
            b = have[c] if c < len(have) else ""
            column = header[c] if c < len(header) else ""
            if sheet == "Notes" and column == "Logged At" and r >= appended_from:
                ok = isinstance(a, dt.datetime) and isinstance(b, dt.datetime)
            elif sheet == "Outbox" and column == "Message ID" and r > 0:
                ok = MESSAGE_ID.sub(r"\1", str(a)) == MESSAGE_ID.sub(r"\1", str(b)) and bool(
                    MESSAGE_ID.fullmatch(str(b))
                )
            elif isinstance(a, dt.date) and isinstance(b, float):
                held = before[r][c] if r < len(before) and c < len(before[r]) else None
                moment = from_serial(b, in_1904)
                ok = held == b and (
                    moment == a if isinstance(a, dt.datetime) else moment == dt.datetime.combine(a, dt.time())
                )
            else:
                ok = a == b
            if not ok:
                found.append(f"{sheet}!{_ref(r, c)}: {a!r} (sheetflow's own file) != {b!r} ({other.writer})")
    return found


def _ref(r: int, c: int) -> str:
    letters, n = "", c + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


# --- what sheetflow owns --------------------------------------------------------------------------------------------


def owned(members: Members) -> set[str]:
    """The members a run may write, add or remove (writer.py and dashboard.py): the workbook, its relationships and
    the content types; the styles (a date style, the Dashboard's fonts and number formats); the calculation chain
    (dropped when a formula is overwritten); the sheets sheetflow writes and their tables (grown with their
    rows); and the Dashboard's whole tree (its relationships, drawing, charts and theirs)."""
    wb = workbook_part(members)
    found = {"[Content_Types].xml", wb, rels_name(wb)}
    if styles_part(members):
        found.add(styles_part(members))
    found |= {t for _, typ, t in relationships(members, wb) if typ.endswith("/calcChain")}
    by_name = {" ".join(name.split()).casefold(): part for name, part in sheets(members).items()}
    for name in OWNED_SHEETS:
        part = by_name.get(name.casefold())
        if part is None:
            continue
        found.add(part)
        found |= {
            find_member(members, t) or t for _, typ, t in relationships(members, part) if typ.endswith(TABLE_TYPE)
        }
    dashboard = by_name.get("dashboard")
    queue = [dashboard] if dashboard else []
    while queue:
        part = queue.pop()
        rels = find_member(members, rels_name(part))
        if rels:
            found.add(rels)
        for _, typ, target in relationships(members, part):
            target = find_member(members, target) or target
            if target not in found and not typ.endswith(TABLE_TYPE):
                found.add(target)
                queue.append(target)
    return {name.casefold() for name in found}


# --- the tests ------------------------------------------------------------------------------------------------------


def test_the_file_shows_its_writers_habit(writer, tmp_path_factory):
    members = load(pristine(writer.name, tmp_path_factory))
    writer.planted(members)
    assert malformed(members) == []


def malformed(members: Members) -> list[str]:
    """XML parts that do not parse, with an unbound namespace prefix (expat refuses one in a name) or a prefix
    that markup compatibility names in an attribute value (mc:Ignorable, mc:Choice's Requires) undeclared."""
    found = []
    for name, data in members.items():
        if name.endswith((".xml", ".rels", ".vml")):
            try:
                found += [f"{name}: prefix {p} is not declared" for p in undeclared_mc_prefixes(data)]
            except ElementTree.ParseError as exc:
                found.append(f"{name}: {exc}")
    return found


MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
MC_LISTS = (f"{{{MC_NS}}}Ignorable", f"{{{MC_NS}}}ProcessContent", f"{{{MC_NS}}}MustUnderstand", "Requires")


def undeclared_mc_prefixes(data: bytes) -> list[str]:
    scopes: list[set[str]] = [{"xml"}]
    pending: set[str] = set()
    missing = []
    for event, item in ElementTree.iterparse(io.BytesIO(data), events=("start-ns", "start", "end")):
        if event == "start-ns":
            pending.add(item[0])
        elif event == "start":
            scopes.append(scopes[-1] | pending)
            pending = set()
            for attribute in MC_LISTS:
                missing += [p for p in (item.get(attribute) or "").split() if p.split(":")[0] not in scopes[-1]]
        else:
            scopes.pop()
    return missing


STYLE_LISTS = {
    "numFmts": "numFmt",
    "fonts": "font",
    "fills": "fill",
    "borders": "border",
    "cellStyleXfs": "xf",
    "cellXfs": "xf",
    "cellStyles": "cellStyle",
    "dxfs": "dxf",
}
_STYLE_LIST = re.compile(rf"<((?:\w+:)?)({'|'.join(STYLE_LISTS)})\b([^>]*)>(.*?)</(?:\w+:)?\2>", re.S)


def style_lists(xml: str) -> tuple[str, list[tuple[str, str, str]]]:
    """styles.xml as its skeleton (each list cut out) and its lists (name, attributes, body), in order; a list
    inside mc:AlternateContent is there once per branch."""
    lists = []

    def cut(m: re.Match) -> str:
        lists.append((m[2], m[3], m[4]))
        return f"<{m[1]}{m[2]}/>"

    return _STYLE_LIST.sub(cut, xml), lists


def styles_only_grew(before: bytes, after: bytes) -> None:
    """A run may add fonts, number formats and cell styles, each at the end of its list (no existing style index
    moves), keep each list's count right, and change nothing else in styles.xml."""
    old_skeleton, old_lists = style_lists(before.decode())
    new_skeleton, new_lists = style_lists(after.decode())
    for name, attributes, body in new_lists:
        count = re.search(r'count="(\d+)"', attributes)
        items = len(re.findall(rf"<(?:\w+:)?{STYLE_LISTS[name]}\b", body))
        assert count is None or int(count[1]) == items, f"<{name} count={count[1]}> holds {items}"
    old_names = {name for name, _, _ in old_lists}
    grown = [entry for entry in new_lists if entry[0] in old_names]
    assert [n for n, _, _ in grown] == [n for n, _, _ in old_lists], "a list of styles.xml disappeared or moved"
    for (name, _, old), (_, _, new) in zip(old_lists, grown, strict=True):
        assert new.startswith(old), f"an existing entry of <{name}> changed (a style index would move)"
    added = {name for name, _, _ in new_lists} - old_names
    for name in added:
        new_skeleton = re.sub(rf"<(?:\w+:)?{name}/>", "", new_skeleton)
    assert new_skeleton == old_skeleton, "styles.xml changed outside its lists"


def test_a_run_gives_the_same_cells_as_on_sheetflows_own_file(ran, tmp_path_factory):
    reference = run("sheetflow", tmp_path_factory)
    assert reference.exit_codes == dict.fromkeys(COMMANDS, 0), reference.outputs
    found = [d for sheet in COMPARED for d in differences(reference, ran, sheet)]
    assert found == [], "\n".join(found[:40])


def test_a_run_prints_the_same_as_on_sheetflows_own_file(ran, tmp_path_factory):
    """The summaries and the problems found (none: a writer's habit is not a problem in the studio's data)."""
    reference = run("sheetflow", tmp_path_factory)
    assert ran.outputs == reference.outputs


def test_the_run_changes_only_members_sheetflow_owns(ran):
    before, after = load(ran.before), load(ran.after)
    mine = owned(before) | owned(after)
    changed = sorted(name for name in before if name.casefold() not in mine and after.get(name) != before[name])
    assert changed == [], f"changed or removed though sheetflow does not own them: {changed}"
    added = sorted(name for name in after if name not in before and name.casefold() not in mine)
    assert added == [], f"added, and not one of sheetflow's sheets or Dashboard parts: {added}"
    names = [name.casefold() for name in after]
    assert len(names) == len(set(names)), "two members whose names differ only in case (one OPC part name)"
    if styles_part(before) and styles_part(before) in after:
        styles_only_grew(before[styles_part(before)], after[styles_part(before)])


def test_every_part_is_well_formed_with_every_prefix_bound(ran):
    with zipfile.ZipFile(ran.after) as zf:
        assert zf.testzip() is None
    assert malformed(load(ran.after)) == []


def test_the_result_opens_in_every_reader_the_writers_file_opens_in(ran, writer, tmp_path):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(ran.after))
    assert [name for name in book.sheet_names if name in COMPARED] == [
        name for name in CalamineWorkbook.from_path(str(ran.before)).sheet_names if name in COMPARED
    ]
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()
    if "openpyxl" in writer.readers:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # extensions openpyxl would drop if it saved: it never saves
            wb = openpyxl.load_workbook(ran.after)
        assert wb["Sessions"]["A1"].value == "Session ID"
        assert [ws.max_row for ws in wb.worksheets]


@pytest.mark.parametrize("writer", [n for n, w in WRITERS.items() if "libreoffice" in w.readers], indirect=True)
def test_the_result_opens_in_libreoffice(ran, writer, tmp_path_factory):
    """LibreOffice reads the result, and sees the sessions calamine sees."""
    seen = trimmed(grid(libreoffice_view(writer.name, tmp_path_factory), "Sessions"))
    written = trimmed(grid(ran.after, "Sessions"))
    status = written[0].index("Status")
    assert [row[status] for row in seen] == [row[status] for row in written]
    assert [row[0] for row in seen] == [row[0] for row in written]
