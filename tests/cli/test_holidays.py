"""`sheetflow holidays`: public holidays from python-holidays onto the Holidays sheet, as real dates, never twice,
the studio's own rows kept."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import holidays as public
import openpyxl
from helpers.workbooks import SETTINGS, build, cells, records, session, studio

from sheetflow.workbook.package import Package

THANKSGIVING = dt.date(2026, 11, 26)


def dates_on(path: Path) -> list[dt.date]:
    """The Holidays dates as calamine reads them: real dates, not numbers or text."""
    found = []
    for row in cells(path, "Holidays")[1:]:
        assert isinstance(row[0], dt.date), row
        found.append(row[0].date() if isinstance(row[0], dt.datetime) else row[0])
    return found


def with_settings(**values: str) -> list[list[object]]:
    return [*SETTINGS, *([name.replace("_", " ").capitalize(), value] for name, value in values.items())]


def test_us_california_holidays_for_two_years(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    result = sheetflow("holidays", book, "--country", "US", "--region", "ca", "--years", "2026", "2027")
    assert result.exit_code == 0, result.output
    expected = public.country_holidays("US", subdiv="CA", years=[2026, 2027])
    assert f"{len(expected)} holidays added (US-ca 2026, 2027)" in result.output
    rows = records(book, "Holidays")
    assert [r["Date"].date() for r in rows] == sorted(expected)
    named = {r["Date"].date(): r["Name"] for r in rows}
    assert named[THANKSGIVING] == "Thanksgiving Day"
    assert named[dt.date(2026, 3, 31)] == "Cesar Chavez Day"  # California's own
    ws = openpyxl.load_workbook(book)["Holidays"]
    assert all(ws.cell(r, 1).is_date for r in range(2, len(rows) + 2))
    assert dates_on(book) == sorted(expected)


def test_a_second_run_adds_nothing_and_leaves_the_file_alone(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    assert sheetflow("holidays", book, "--country", "US", "--years", "2026").exit_code == 0
    before = book.read_bytes()
    result = sheetflow("holidays", book, "--country", "US", "--years", "2026")
    assert result.exit_code == 0 and "0 holidays added" in result.output
    assert book.read_bytes() == before
    assert len(dates_on(book)) == len(set(dates_on(book)))


def test_the_studios_own_rows_stay_and_their_dates_count_in_any_form(tmp_path, sheetflow):
    own = [
        [dt.date(2026, 12, 24), "Studio closed"],
        ["26/11/2026", "Thanksgiving (ours)"],  # text in the Settings date order (DMY)
        [46023, "New year"],  # 2026-01-01 as a bare serial number
        [dt.date(2026, 12, 25), None],  # no name yet: it gets the holiday's
        ["soon", "Team day"],
    ]  # unreadable: kept, and said
    book = studio(tmp_path / "s.xlsx", [], holidays=own)
    result = sheetflow("holidays", book, "--country", "US", "--years", "2026")
    assert result.exit_code == 0, result.output
    assert "Holidays!A6: warning" in result.output
    rows = records(book, "Holidays")
    assert [(r["Date"], r["Name"]) for r in rows[:5]] == [
        (dt.datetime(2026, 12, 24), "Studio closed"),
        ("26/11/2026", "Thanksgiving (ours)"),
        (46023, "New year"),
        (dt.datetime(2026, 12, 25), "Christmas Day"),
        ("soon", "Team day"),
    ]
    added = [r["Date"].date() for r in rows[5:]]
    assert THANKSGIVING not in added and dt.date(2026, 1, 1) not in added and dt.date(2026, 12, 25) not in added
    assert added == sorted(
        set(public.country_holidays("US", years=2026)) - {THANKSGIVING, dt.date(2026, 1, 1), dt.date(2026, 12, 25)}
    )


def test_germany_bavaria_has_its_own_holidays(tmp_path, sheetflow):
    national = studio(tmp_path / "de.xlsx", [])
    bavaria = studio(tmp_path / "by.xlsx", [])
    assert sheetflow("holidays", national, "--country", "de", "--years", "2026").exit_code == 0
    assert sheetflow("holidays", bavaria, "--country", "DE", "--region", "BY", "--years", "2026").exit_code == 0
    corpus_christi = dt.date(2026, 6, 4)
    assert corpus_christi in dates_on(bavaria) and corpus_christi not in dates_on(national)
    assert set(dates_on(national)) < set(dates_on(bavaria))


def test_settings_give_the_country_and_region_and_today_the_year(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [], settings=with_settings(holiday_country="US", holiday_region="CA"))
    result = sheetflow("holidays", book)  # --today 2026-11-25
    assert result.exit_code == 0, result.output
    assert dt.date(2026, 3, 31) in dates_on(book) and all(d.year == 2026 for d in dates_on(book))

    other = studio(tmp_path / "o.xlsx", [], settings=with_settings(holiday_country="US", holiday_region="CA"))
    assert sheetflow("holidays", other, "--country", "DE", "--years", "2026").exit_code == 0  # CA is not German
    assert dt.date(2026, 10, 3) in dates_on(other)


def test_new_holidays_move_due_dates(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending")])
    assert sheetflow("holidays", book, "--country", "US", "--region", "CA", "--years", "2026").exit_code == 0
    assert sheetflow("change", book, "1").exit_code == 0  # Wed 25th + 2 business days, Thu/Fri are holidays
    assert records(book, "Sessions")[0]["Due Date"] == dt.datetime(2026, 12, 1)


def test_unknown_country_or_region_is_bad_usage_saying_where_to_find_codes(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    before = book.read_bytes()
    country = sheetflow("holidays", book, "--country", "XX", "--years", "2026")
    assert country.exit_code == 2
    assert '--country: "XX" is not a country code' in country.output and "list_supported_countries" in country.output
    region = sheetflow("holidays", book, "--country", "US", "--region", "ZZ", "--years", "2026")
    assert region.exit_code == 2
    assert '--region: US has no region "ZZ"' in region.output and "CA, CO, CT" in region.output
    assert book.read_bytes() == before

    typed = studio(tmp_path / "t.xlsx", [], settings=with_settings(holiday_country="Narnia"))
    result = sheetflow("holidays", typed, "--years", "2026")
    assert result.exit_code == 2 and "Settings!B14:" in result.output
    nothing = studio(tmp_path / "n.xlsx", [])
    assert sheetflow("holidays", nothing).exit_code == 2


def test_a_missing_holidays_sheet_is_created_with_real_dates(tmp_path, sheetflow):
    book = build(
        tmp_path / "s.xlsx",
        {
            "Settings": SETTINGS,
            "Statuses": [
                ["Description", "Sort Order", "Initial", "Final"],
                ["Booked", 10, "Yes", ""],
                ["Done", 20, "", "Yes"],
            ],
            "Sessions": [["Session ID", "Status"]],
        },
    )
    result = sheetflow("holidays", book, "--country", "GB", "--region", "SCT", "--years", "2026")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(book)["Holidays"]
    assert (ws["A1"].value, ws["B1"].value) == ("Date", "Name")
    assert ws["A2"].is_date and ws["A2"].value == dt.datetime(2026, 1, 1)
    assert dt.date(2026, 1, 2) in dates_on(book)  # Scotland's 2nd of January


def test_the_templates_holidays_table_grows_and_nothing_else_changes(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", "2026-11-25").exit_code == 0
    with zipfile.ZipFile(book) as zf:
        before = {name: zf.read(name) for name in zf.namelist()}
        holidays_part = Package.open(zf).sheet("Holidays").part
    result = sheetflow("holidays", book, "--years", "2027")  # the sample's Holiday country: US
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(book) as zf:
        changed = {name for name in zf.namelist() if zf.read(name) != before.get(name)}
    assert holidays_part in changed
    assert all(name == holidays_part or name.startswith(("xl/tables/", "xl/workbook.xml")) for name in changed)
    ws = openpyxl.load_workbook(book)["Holidays"]
    assert ws.tables["HolidaysTable"].ref == f"A1:B{ws.max_row}"
    last = max(public.country_holidays("US", years=2027))  # 2027-12-31: New Year's Day 2028, observed
    assert ws.cell(ws.max_row, 1).is_date and ws.cell(ws.max_row, 1).value.date() == last


def test_a_country_whose_holidays_depend_on_the_region_says_so_and_names_the_regions(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    result = sheetflow("holidays", book, "--country", "GB", "--years", "2026")
    assert result.exit_code == 0, result.output
    assert dt.date(2026, 4, 6) not in dates_on(book)  # Easter Monday is England's, Wales' and Northern Ireland's
    note = next(line for line in result.output.splitlines() if line.startswith("note:"))
    assert note.startswith(
        "note: GB holidays depend on the region, and no region was given, so only the holidays of the whole "
        "country were added — left out: Easter Monday, Late Summer Bank Holiday"
    )
    assert "run sheetflow holidays again with --region and your region's code" in note
    assert "Holiday region on the Settings sheet" in note
    assert note.endswith("ENG (England), NIR (Northern Ireland), SCT (Scotland), WLS (Wales)")

    england = sheetflow("holidays", book, "--country", "GB", "--region", "eng", "--years", "2026")
    assert england.exit_code == 0 and "2 holidays added" in england.output
    assert "note:" not in england.output
    assert {dt.date(2026, 4, 6), dt.date(2026, 8, 31)} <= set(dates_on(book))


def test_the_region_note_names_a_region_from_settings_and_the_holidays_some_regions_do_not_keep(tmp_path, sheetflow):
    from_settings = studio(tmp_path / "s.xlsx", [], settings=with_settings(holiday_country="DE", holiday_region="BY"))
    result = sheetflow("holidays", from_settings, "--years", "2026")
    assert result.exit_code == 0 and "note:" not in result.output  # the region in Settings is used
    assert dt.date(2026, 1, 6) in dates_on(from_settings)  # Epiphany, Bavaria's

    us = studio(tmp_path / "us.xlsx", [])
    result = sheetflow("holidays", us, "--country", "US", "--years", "2026")
    assert "note: US holidays depend on the region" in result.output
    assert "some regions don't keep Columbus Day" in result.output
    assert ": AK, AL, AR," in result.output  # a long list by codes only


def test_no_region_note_where_the_regions_all_keep_the_same_holidays(tmp_path, sheetflow):
    for country in ("AT", "NL", "JP"):
        book = studio(tmp_path / f"{country}.xlsx", [])
        result = sheetflow("holidays", book, "--country", country, "--years", "2026")
        assert result.exit_code == 0 and "note:" not in result.output, (country, result.output)
