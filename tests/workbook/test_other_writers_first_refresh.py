"""A first refresh of a book another tool wrote, where sheetflow takes its short cuts: the header strings that
xlsxwriter numbers after every client's, read without decoding the clients beside them; rows found by their end
tag. Whatever the short cut, the strings and cells come out as a plain read in order gives them."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from helpers.workbooks import cells, session, studio

from sheetflow.workbook.package import MAIN_NS
from sheetflow.workbook.sharedstrings import SharedStrings

PART = "xl/sharedStrings.xml"


def shared_strings(items: list[str]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(PART, f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{MAIN_NS}">{"".join(items)}</sst>')
    return zipfile.ZipFile(buffer)


def in_order(zf: zipfile.ZipFile, count: int) -> list[str | None]:
    """Every string read one after the other from the first: no string skipped, none counted only."""
    strings = SharedStrings(zf, PART)
    return [strings.get(i) for i in range(count)]


def test_header_strings_after_sixty_thousand_clients_leave_the_clients_undecoded():
    clients = [f"<si><t>Client {i} &amp; family</t></si>" for i in range(60_000)]
    headers = ["<si><t>Session ID</t></si>", "<si><t>Status</t></si>"]
    strings = SharedStrings(shared_strings(clients + headers), PART)
    assert strings.get(60_001) == "Status" and strings.get(60_000) == "Session ID"
    assert strings._texts.count(None) >= 59_000  # the clients before them are counted, not decoded
    assert [strings.get(i) for i in (0, 12_345, 59_999)] == ["Client 0 & family", "Client 12345 & family"] + [
        "Client 59999 & family"
    ]
    assert strings.get(60_002) is None


def test_a_comment_holding_an_end_tag_among_the_strings_before_the_one_asked_keeps_every_string_in_place():
    items = [f"<si><t>s{i}</t></si>" for i in range(5_000)]
    items[4_000] = "<si><!-- not the end: </si> --><t>s4000</t></si>"  # an end tag that is not one
    items[4_500] = "<si><t><![CDATA[a </si> in a CDATA section]]></t></si>"
    zf = shared_strings(items)
    expected = in_order(zf, 5_000)
    assert expected[4_990] == "s4990" and expected[4_001] == "s4001"
    strings = SharedStrings(zf, PART)
    assert strings.get(4_990) == "s4990"  # counted by end tags, 4990 would have been s4988
    assert [strings.get(i) for i in range(5_000)] == expected


def test_sessions_rows_with_an_unescaped_greater_than_sign_are_refreshed_like_the_others(tmp_path, sheetflow):
    """XML lets a writer leave `>` unescaped in text; a Change Note ending in "arrow>" must not end its row."""
    today = dt.date(2026, 11, 25)
    rows = [
        session(
            session_id=1000 + i,
            client=f"Client {i}",
            session_type="Portrait",
            session_date=today - dt.timedelta(days=40),
            status="Retouch Pending",
            status_date=today - dt.timedelta(days=20 + i),
            change_note=f"note {i}",
        )
        for i in range(6)
    ]
    path = studio(tmp_path / "studio.xlsx", rows)
    _inline_notes(path, {3: "see the arrow> then</x", 5: "row> and more row>"})

    result = sheetflow("refresh", path)

    assert result.exit_code == 0, result.output
    grid = cells(path, "Sessions")
    header = [str(h) for h in grid[0]]
    flag, days, note = header.index("Flag"), header.index("Days Overdue"), header.index("Change Note")
    assert [r[note] for r in grid[1:7]] == [
        "note 0",
        "see the arrow> then</x",
        "note 2",
        "row> and more row>",
        "note 4",
        "note 5",
    ]
    assert all(r[flag] == "Overdue" and r[days] for r in grid[1:7])


def _inline_notes(path: Path, notes: dict[int, str]) -> None:
    """The Sessions rows' Change Note (column S) as inline strings with `>` left as it is, the way some writers
    store text; `<` is escaped, as XML requires."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in members:
            if info.filename == "xl/worksheets/sheet5.xml":
                text = data.decode()
                for row, note in notes.items():
                    inline = note.replace("&", "&amp;").replace("<", "&lt;")
                    cell = f'<c r="S{row}" t="inlineStr"><is><t>{inline}</t></is></c>'
                    text, found = re.subn(rf'<c r="S{row}"[^>]*>.*?</c>', cell, text, count=1)
                    assert found == 1
                data = text.encode()
            dst.writestr(info, data)
