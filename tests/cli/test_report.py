"""`sheetflow report` and the Dashboard: the board of sessions, the time spent in each status from the Notes history
(renames included), native charts over the Dashboard's own ranges, refresh keeping the board current without
reading Notes, and nothing else in the workbook touched."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
import python_calamine
from helpers.report_studio import (
    BOARD_STAGES,
    BOARD_STATUSES,
    BOARD_WIDTH,
    HISTORY,
    NOTES_HEADER,
    OVERDUE,
    OWNED,
    RENAME_NOTE,
    SESSIONS,
    STATUSES,
    TIME_IN_STATUS,
    D,
    make,
    members,
    note,
    table,
)
from helpers.workbooks import SETTINGS, STATUS_HEADER, cells, dashboard_parts, session, studio, styles_only_grew

from sheetflow.core.schema import NOTES


def test_report_fills_the_board_and_the_time_in_status(tmp_path, sheetflow):
    book = make(tmp_path)
    result = sheetflow("report", book)
    assert result.exit_code == 0, result.output
    assert "dashboard rebuilt: 5 open sessions, 2 overdue, 2 due soon" in result.output
    assert "time in status: 18 status changes read, 11 stays measured" in result.output
    grid = cells(book, "Dashboard")
    assert grid[0][0] == "Sessions board" and grid[0][9] == "Time in status"
    # as of; on track, due soon, overdue, on hold, completed, all
    assert grid[2][:7] == [D(2026, 11, 25), 1, 2, 2, 0, 1, 6]
    assert grid[2][9:12] == [D(2026, 11, 25), 18, 11]  # as of; status changes read, stays measured
    assert table(grid, "Sessions per stage") == BOARD_STAGES
    assert table(grid, "Sessions per status", width=BOARD_WIDTH) == BOARD_STATUSES
    assert table(grid, "Overdue sessions") == OVERDUE
    assert table(grid, "Business days spent in each status (from the Notes history)", 9) == TIME_IN_STATUS


def test_json_carries_every_figure(tmp_path, sheetflow):
    book = make(tmp_path)
    data = json.loads(sheetflow("report", book, "--json").output)
    board, history = data["dashboard"]["board"], data["dashboard"]["time_in_status"]
    assert data["command"] == "report" and data["errors"] == 0
    assert board["totals"] == {"sessions": 6, "overdue": 2, "due_soon": 2, "completed": 1, "on_hold": 0, "on_track": 1}
    assert [(o["session_id"], o["days_overdue"], o["assigned_to"]) for o in board["overdue"]] == [
        (6, 3, "Jon"),
        (2, 2, "Priya"),
    ]
    assert [(s["status"], s["passed_through"], s["median"], s["p90"], s["left_late"]) for s in history["statuses"]] == [
        ("Session Pending", 6, 2.0, 5.0, 0.8333),
        ("Image Capture Pending", 3, 2.0, 2.0, 0.0),
        ("Retouch Pending", 1, 2.0, 2.0, 0.0),
        ("Old Step", 1, 2.0, 2.0, 1.0),
    ]


def test_without_the_rename_row_the_old_name_is_history_of_no_status(tmp_path, sheetflow):
    book = make(tmp_path, [row for row in HISTORY if row[9] != RENAME_NOTE])
    assert sheetflow("report", book).exit_code == 0
    rows = table(cells(book, "Dashboard"), "Business days spent in each status (from the Notes history)", 9)
    assert rows[2] == ["Image Capture Pending", 2, 2.0, 2.0, 1, 0.0, None]  # s5's stay only


def test_renames_follow_on_and_stay_within_their_cycle(tmp_path, sheetflow):
    """Statuses by type: "Edit" → "Editing" (Wedding cycle only) → "Editing Pending"; the Portrait "Edit" stays."""
    settings = [[k, "Yes" if k == "Statuses by type" else v] for k, v in SETTINGS]
    statuses = [
        STATUS_HEADER,
        ["Portrait", "P-Booked", 10, 1, "Yes", "", "", "", ""],
        ["Portrait", "Edit", 20, 3, "", "", "", "", ""],
        ["Portrait", "P-Done", 30, "", "", "Yes", "", "", ""],
        ["Wedding", "W-Booked", 10, 1, "Yes", "", "", "", ""],
        ["Wedding", "Editing Pending", 20, 3, "", "", "", "", ""],
        ["Wedding", "W-Done", 30, "", "", "Yes", "", "", ""],
    ]
    rename = [dt.datetime(2026, 11, 20, 9), None, None, "", "", None, None, "Maya", "batch", ""]
    history = [
        note(1, "Edit", D(2026, 11, 2), D(2026, 11, 5)),
        note(1, "P-Done", D(2026, 11, 4), None),  # 2 days
        note(2, "Edit", D(2026, 11, 2), D(2026, 11, 5)),
        note(2, "W-Done", D(2026, 11, 9), None),  # 5 days, late
        [*rename[:9], 'status renamed from "Edit" to "Editing" (Wedding cycle)'],
        [*rename[:9], 'status renamed from "Editing" to "Editing Pending" (Wedding cycle)'],
    ]
    book = studio(
        tmp_path / "s.xlsx",
        [
            session(session_id=1, session_type="Portrait", status="P-Done"),
            session(session_id=2, session_type="Wedding", status="W-Done"),
        ],
        statuses=statuses,
        settings=settings,
        extra={**OWNED, "Notes": [NOTES_HEADER, *history]},
    )
    assert sheetflow("report", book).exit_code == 0
    rows = table(cells(book, "Dashboard"), "Business days spent in each status (from the Notes history)", 9)
    assert [r[0] for r in rows] == ["Status", "P-Booked", "Edit", "W-Booked", "Editing Pending"]
    assert rows[2] == ["Edit", 3, 2.0, 2.0, 1, 0.0, "Portrait"]
    assert rows[4] == ["Editing Pending", 3, 5.0, 5.0, 1, 1.0, "Wedding"]


# --- the charts ------------------------------------------------------------------------------------------------


def chart_xml(book: Path) -> dict[str, str]:
    """The Dashboard's chart parts, by chart title."""
    files = members(book)
    found = {}
    for part in dashboard_parts(book):
        if part.startswith("xl/charts/") and part.endswith(".xml"):
            xml = files[part].decode()
            found[re.search(r"<a:t>([^<]*)</a:t>", xml)[1]] = xml
    return found


def test_native_charts_point_at_the_dashboard_ranges_with_their_values_cached(tmp_path, sheetflow):
    book = make(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    charts = chart_xml(book)
    board = charts["Open sessions per status"]
    # the status table's header is row 32; its open statuses rows 33-35; On track, Due soon, Overdue, On hold in B-E
    assert re.findall(r"<c:f>([^<]*)</c:f>", board) == [
        "Dashboard!$B$32",
        "Dashboard!$A$33:$A$35",
        "Dashboard!$B$33:$B$35",
        "Dashboard!$C$32",
        "Dashboard!$A$33:$A$35",
        "Dashboard!$C$33:$C$35",
        "Dashboard!$D$32",
        "Dashboard!$A$33:$A$35",
        "Dashboard!$D$33:$D$35",
        "Dashboard!$E$32",
        "Dashboard!$A$33:$A$35",
        "Dashboard!$E$33:$E$35",
    ]
    assert '<c:grouping val="stacked"/>' in board
    cached = re.findall(r"<c:numCache>.*?</c:numCache>", board)
    assert [re.findall(r"<c:v>([^<]*)</c:v>", c) for c in cached] == [
        ["0", "0", "1"],
        ["1", "1", "0"],
        ["0", "1", "1"],
        ["0", "0", "0"],
    ]
    assert re.findall(
        r"<c:v>([^<]*)</c:v>", re.search(r"<c:strCache>.*?</c:strCache>", re.search(r"<c:cat>.*?</c:cat>", board)[0])[0]
    ) == ["Session Pending", "Image Capture Pending", "Retouch Pending"]
    history = charts["Business days in each status: typical, median, 90th percentile"]
    assert re.findall(r"<c:f>([^<]*)</c:f>", history)[:3] == [
        "Dashboard!$K$25",
        "Dashboard!$J$26:$J$29",
        "Dashboard!$K$26:$K$29",
    ]
    assert "Dashboard!$L$26:$L$29" in history and "Dashboard!$M$26:$M$29" in history
    grid = cells(book, "Dashboard")
    assert [grid[r][0] for r in range(32, 35)] == ["Session Pending", "Image Capture Pending", "Retouch Pending"]
    assert [grid[r][12] for r in range(25, 29)] == [5.0, 2.0, 2.0, 2.0]  # M: the 90th percentiles


def test_report_changes_only_the_dashboard_sessions_and_problems(tmp_path, sheetflow):
    book = make(tmp_path, notes_header=list(NOTES.columns))  # a Notes sheet with every column sheetflow writes
    before = members(book)
    sheets = {
        name: f"xl/worksheets/sheet{i}.xml"
        for i, name in enumerate(["Settings", "Statuses", "Lists", "Holidays", "Sessions", *OWNED], start=1)
    }
    assert sheetflow("report", book).exit_code == 0
    after = members(book)
    dashboard = dashboard_parts(book)
    assert set(after) - dashboard == set(before) - dashboard
    changed = {name for name in before if after.get(name) != before[name]} - dashboard
    # Problems stays as it was: nothing was found, and it was empty
    assert changed == {sheets["Sessions"], "[Content_Types].xml", "xl/styles.xml"}
    assert after[sheets["Notes"]] == before[sheets["Notes"]]  # read whole, never written
    styles_only_grew(before["xl/styles.xml"], after["xl/styles.xml"])
    types = after["[Content_Types].xml"].decode()
    for part in dashboard - {sheets["Dashboard"]}:
        if not part.endswith(".rels"):
            assert f'PartName="/{part}"' in types
    assert sheetflow("report", book).exit_code == 0
    again = members(book)
    assert {name for name in after if again.get(name) != after[name]} == set()  # a second run writes the same


def test_refresh_updates_the_board_and_keeps_the_time_in_status_without_reading_notes(tmp_path, sheetflow, monkeypatch):
    book = make(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    charts_before = chart_xml(book)
    history_before = [row[9:16] for row in cells(book, "Dashboard")]
    assert sheetflow("change", book, "3", "--to", "Retouch Pending").exit_code == 0  # a Notes row the board counts
    read: list[str] = []
    original = python_calamine.CalamineWorkbook.get_sheet_by_name

    def spy(self, name):
        read.append(name)
        return original(self, name)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "get_sheet_by_name", spy)
    assert sheetflow("refresh", book, today=D(2026, 11, 26)).exit_code == 0
    assert "Notes" not in read
    grid = cells(book, "Dashboard")
    assert grid[2][:7] == [D(2026, 11, 26), 2, 0, 3, 0, 1, 6]  # Thursday: session 4 is overdue now, 3 moved on
    assert table(grid, "Sessions per status", width=BOARD_WIDTH)[3] == [
        "Retouch Pending",
        2,
        0,
        1,
        0,
        None,
        3,
        "Editing",
    ]
    assert [row[9:16] for row in grid][:40] == history_before[:40]  # the history block as it was, still 18 rows read
    charts_after = chart_xml(book)
    assert (
        charts_after["Business days in each status: typical, median, 90th percentile"]
        == charts_before["Business days in each status: typical, median, 90th percentile"]
    )
    assert charts_after["Open sessions per status"] != charts_before["Open sessions per status"]


def test_refresh_before_any_report_draws_the_board_and_says_how_to_get_the_history(tmp_path, sheetflow):
    book = make(tmp_path)
    assert sheetflow("refresh", book).exit_code == 0
    grid = cells(book, "Dashboard")
    assert table(grid, "Sessions per status", width=BOARD_WIDTH) == BOARD_STATUSES
    assert grid[1][9].startswith("Run `sheetflow report`")
    assert list(chart_xml(book)) == ["Open sessions per status"]


def test_a_workbook_without_notes_or_dashboard_gets_both(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", SESSIONS, statuses=STATUSES)
    assert sheetflow("report", book).exit_code == 0
    grid = cells(book, "Dashboard")
    assert grid[2][9:12] == [D(2026, 11, 25), 0, 0]
    rows = table(grid, "Business days spent in each status (from the Notes history)", 9)
    assert [r[:5] for r in rows[1:]] == [
        ["Session Pending", 0, None, None, 0],
        ["Image Capture Pending", 2, None, None, 0],
        ["Retouch Pending", 5, None, None, 0],
    ]


# --- what stays out of the quick paths -----------------------------------------------------------------------------


def test_pandas_is_imported_by_report_only(tmp_path, sheetflow):
    book = make(tmp_path)
    probe = (
        "import sys\nimport sheetflow.cli, sheetflow.excel\nfrom click.testing import CliRunner\n"
        "from sheetflow.cli import main\n"
        "result = CliRunner().invoke(main, sys.argv[1:], catch_exceptions=False)\n"
        "print(result.exit_code, 'pandas' in sys.modules)"
    )
    for argv, pandas in (
        (["refresh", str(book), "--today", "2026-11-25"], False),
        (["report", str(book), "--today", "2026-11-25"], True),
    ):
        done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120)
        assert done.stdout.split() == ["0", str(pandas)], done.stderr


# --- LibreOffice draws the charts ------------------------------------------------------------------------------------


def png_pixels(path: Path) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows) of an 8-bit non-interlaced RGB or RGBA PNG, decoded with the standard
    library (no imaging package is needed)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 4 if color == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):  # undo the row's filter (PNG spec, section 9)
            left = line[i - bpp] if i >= bpp else 0
            up, up_left = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def colours(bpp: int, rows: list[bytes]) -> dict[tuple[int, int, int], int]:
    counts: dict[tuple[int, int, int], int] = {}
    for row in rows:
        for i in range(0, len(row), bpp):
            rgb = (row[i], row[i + 1], row[i + 2])
            counts[rgb] = counts.get(rgb, 0) + 1
    return counts


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_draws_both_charts(tmp_path, sheetflow, tmp_path_factory):
    """LibreOffice renders the charts itself (its HTML export writes each chart as a PNG it drew): the board's red
    overdue bars and the history's blue median bars must be there. A PDF of the workbook comes out too."""
    book = make(tmp_path)
    assert sheetflow("report", book).exit_code == 0
    profile = tmp_path_factory.getbasetemp() / "libreoffice-profile"
    out = tmp_path / "out"
    for target in ("html", "pdf"):
        done = subprocess.run(
            [
                "soffice",
                "--headless",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                str(book),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert (out / "studio.pdf").read_bytes().startswith(b"%PDF")
    html = (out / "studio.html").read_text(encoding="utf-8", errors="replace")
    images = [
        out / name for name, width in re.findall(r'<img src="([^"]+\.png)" width=(\d+)', html) if int(width) > 400
    ]  # the two charts, in sheet order (board first)
    assert len(images) == 2, images
    drawn = []
    for image in images:
        width, height, bpp, rows = png_pixels(image)
        counts = colours(bpp, rows)
        ink = sum(n for rgb, n in counts.items() if min(rgb) < 200)
        assert width > 400 and height > 200 and ink > 0.02 * width * height, (image, ink)
        drawn.append(counts)
    assert drawn[0].get((0xC0, 0x00, 0x00), 0) > 200  # Overdue
    assert drawn[1].get((0x44, 0x72, 0xC4), 0) > 200  # Median Days
    # and the PDF export, rasterised to a PNG: the Dashboard's pages carry both charts' bars
    import pymupdf

    with pymupdf.open(out / "studio.pdf") as pdf:
        pages = [page for page in pdf if "Time in status" in page.get_text()]
        assert pages, "no Dashboard page in the PDF"
        seen: dict[tuple[int, int, int], int] = {}
        for number, page in enumerate(pages):
            picture = page.get_pixmap(dpi=60, alpha=False)
            picture.save(out / f"dashboard-{number}.png")
            width, height, bpp, rows = png_pixels(out / f"dashboard-{number}.png")
            for rgb, n in colours(bpp, rows).items():
                seen[rgb] = seen.get(rgb, 0) + n
    assert seen.get((0xC0, 0x00, 0x00), 0) > 50 and seen.get((0x44, 0x72, 0xC4), 0) > 50


# --- an old Dashboard someone edited -------------------------------------------------------------------------------


def add_member(path: Path, name: str, data: bytes, edits: dict[str, tuple[str, str]]) -> None:
    """Add a zip member, and make one text replacement in each member named in edits."""
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info.filename)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, body in items:
            if info.filename in edits:
                old, new = edits[info.filename]
                assert old.encode() in body
                body = body.replace(old.encode(), new.encode(), 1)
            zf.writestr(info, body)
        zf.writestr(name, data)


def test_an_old_dashboard_with_formulas_and_a_chart_of_its_own_is_replaced_cleanly(tmp_path, sheetflow):
    """Someone typed a formula on the Dashboard (Excel's calculation chain lists it) and drew a chart there: the
    rewrite drops the stale chain (else Excel repairs the file) and the old drawing and chart, leaving no orphan."""
    import xlsxwriter

    book = tmp_path / "studio.xlsx"
    make(tmp_path)
    wb = xlsxwriter.Workbook(str(tmp_path / "chart.xlsx"))  # a workbook whose Dashboard-like sheet has a chart
    ws = wb.add_worksheet("Dashboard")
    ws.write_formula("A1", "=1+1", None, 2)
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=Dashboard!$A$1:$A$1"})
    ws.insert_chart("C3", chart)
    wb.close()
    with zipfile.ZipFile(tmp_path / "chart.xlsx") as zf:
        drawing, drawing_rels = zf.read("xl/drawings/drawing1.xml"), zf.read("xl/drawings/_rels/drawing1.xml.rels")
        old_chart, sheet_rels = zf.read("xl/charts/chart1.xml"), zf.read("xl/worksheets/_rels/sheet1.xml.rels")
    dashboard = "xl/worksheets/sheet10.xml"  # Settings … Sessions, then Notes, Tasks, Outbox, Problems, Dashboard
    chain = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main"><c r="A2" i="10"/></calcChain>'
    )
    calc_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
    add_member(
        book,
        "xl/calcChain.xml",
        chain.encode(),
        {
            "[Content_Types].xml": (
                "</Types>",
                f'<Override PartName="/xl/calcChain.xml" ContentType="{calc_type}"/>'
                '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.drawing+xml"/><Override PartName="/xl/charts/'
                'chart1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawingml.'
                'chart+xml"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": (
                "</Relationships>",
                '<Relationship Id="rIdCalc" Type="http://schemas.'
                'openxmlformats.org/officeDocument/2006/relationships/calcChain" '
                'Target="calcChain.xml"/></Relationships>',
            ),
            dashboard: ("</sheetData>", '<row r="2"><c r="A2"><f>1+1</f><v>2</v></c></row></sheetData>'),
        },
    )
    for name, data in (
        ("xl/drawings/drawing1.xml", drawing),
        ("xl/drawings/_rels/drawing1.xml.rels", drawing_rels),
        ("xl/charts/chart1.xml", old_chart),
        ("xl/worksheets/_rels/sheet10.xml.rels", sheet_rels),
    ):
        add_member(
            book,
            name,
            data,
            {dashboard: ("</worksheet>", '<drawing r:id="rId1"/></worksheet>')}
            if name.endswith("sheet10.xml.rels")
            else {},
        )
    assert b"<drawing " in members(book)[dashboard]

    assert sheetflow("report", book).exit_code == 0

    files = members(book)
    assert "xl/calcChain.xml" not in files and b"calcChain" not in files["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in files["[Content_Types].xml"]
    assert set(chart_xml(book)) == {
        "Open sessions per status",
        "Business days in each status: typical, median, 90th percentile",
    }
    charts = [n for n in files if n.startswith("xl/charts/")]
    assert sorted(charts) == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]  # the old one's name, reused
    types = files["[Content_Types].xml"].decode()
    assert all(types.count(f'PartName="/{n}"') == 1 for n in [*charts, "xl/drawings/drawing1.xml"])
    assert "<f>" not in files[dashboard].decode()


def test_a_workbook_open_in_libreoffice_is_left_alone(tmp_path, sheetflow):
    book = make(tmp_path)
    (tmp_path / ".~lock.studio.xlsx#").write_text("someone,host,2026-11-25")
    before = book.read_bytes()
    result = sheetflow("report", book)
    assert result.exit_code == 3 and book.read_bytes() == before


def test_a_long_overdue_list_shows_the_most_overdue_and_says_how_many_more(tmp_path, sheetflow):
    """A board is read at a glance: 205 overdue sessions list the 200 most overdue, then one line for the rest."""
    import datetime as dt

    from sheetflow.core.dashboard import OVERDUE_LISTED

    start = dt.date(2026, 6, 1)
    rows = [
        session(
            session_id=i,
            client=f"Client {i}",
            status="Retouch Pending",
            status_date=start + dt.timedelta(days=i % 90),
            due_date=None,
        )
        for i in range(1, 206)
    ]
    path = studio(tmp_path / "studio.xlsx", rows)
    result = sheetflow("refresh", path, "--json")
    assert result.exit_code == 0, result.output
    grid = cells(path, "Dashboard")
    flat = [str(v) for row in grid for v in row if v not in (None, "")]
    listed = [v for v in flat if v.startswith("Client ")]
    assert len(listed) == OVERDUE_LISTED == 200
    assert "… and 5 more overdue: filter the Sessions sheet's Flag column for Overdue to see them all." in flat
    # the most overdue (the earliest status dates) are listed; the five entered last are the ones counted
    assert {"Client 90", "Client 180"} <= set(listed) and not {"Client 89", "Client 179", "Client 88"} & set(listed)
