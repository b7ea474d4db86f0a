"""Reading what people type into cells: dates, yes/no, whole numbers, text; and cell addresses (SPEC §1)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from sheetflow.core.cells import (
    CellValueError,
    address,
    column_index,
    column_letter,
    from_serial,
    read_bool,
    read_date,
    read_text,
    read_whole,
    to_serial,
)

NOV_25 = dt.date(2026, 11, 25)
ORDERS = ["DMY", "MDY", "YMD"]


def refusal(read, *args) -> CellValueError:
    with pytest.raises(CellValueError) as caught:
        read(*args)
    return caught.value


# --- Dates: real dates and serial numbers ---------------------------------------------------------------------


def test_a_real_date_is_taken_as_it_is():
    assert read_date(NOV_25) == NOV_25


def test_a_datetime_keeps_only_its_day():
    assert read_date(dt.datetime(2026, 11, 25, 14, 30)) == NOV_25
    assert read_date(dt.datetime(2026, 11, 25, 23, 59, 59)) == NOV_25


def test_an_excel_serial_number_is_a_date():
    assert read_date(46351) == NOV_25
    assert read_date(46351.0) == NOV_25


def test_an_excel_serial_with_a_time_of_day_keeps_only_its_day():
    assert read_date(46351.75) == NOV_25


@pytest.mark.parametrize("value", [0, -1, 2958466, 1e12])
def test_a_number_outside_excels_dates_is_refused(value):
    assert "is not a date" in refusal(read_date, value).message


def test_true_is_not_a_date():
    assert refusal(read_date, True).message == "True is not a date"


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_cell_has_no_date(blank):
    assert read_date(blank) is None


# --- Dates: ISO text, accepted whatever the studio's date order ---------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25",
        " 2026-11-25 ",
        "2026-11-25 14:30",
        "2026-11-25T14:30:00",
        "2026-11-25T14:30:00.250",
        "2026-11-25T14:30:00Z",
        "2026-11-25T14:30:00+01:00",
    ],
)
def test_iso_text_is_read_under_every_date_order(text, order):
    assert read_date(text, order) == NOV_25


# --- Dates: text in the studio's date order -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["25/11/2026", "25.11.2026", "25-11-2026", "25/11/26", "25.11.26", "25/11/2026 14:30", "25/11/2026 9:05:30"]
)
def test_day_month_year_text(text):
    assert read_date(text, "DMY") == NOV_25


@pytest.mark.parametrize("text", ["11/25/2026", "11.25.2026", "11-25-2026", "11/25/26", "11/25/2026 14:30"])
def test_month_day_year_text(text):
    assert read_date(text, "MDY") == NOV_25


@pytest.mark.parametrize("text", ["2026/11/25", "2026.11.25", "26/11/25", "26.11.25", "26-11-25"])
def test_year_month_day_text(text):
    assert read_date(text, "YMD") == NOV_25


def test_single_digit_days_and_months():
    assert read_date("5/1/2026", "DMY") == dt.date(2026, 1, 5)
    assert read_date("1/5/2026", "MDY") == dt.date(2026, 1, 5)
    assert read_date("2026/1/5", "YMD") == dt.date(2026, 1, 5)


def test_the_same_text_means_different_days_in_different_orders():
    assert read_date("05/06/2026", "DMY") == dt.date(2026, 6, 5)
    assert read_date("05/06/2026", "MDY") == dt.date(2026, 5, 6)


@pytest.mark.parametrize("order", ORDERS)
def test_a_four_digit_first_number_is_always_the_year(order):
    assert read_date("2026/11/25", order) == NOV_25


def test_two_digit_years_follow_excels_window():
    assert read_date("25/11/00", "DMY") == dt.date(2000, 11, 25)
    assert read_date("25/11/29", "DMY") == dt.date(2029, 11, 25)
    assert read_date("25/11/30", "DMY") == dt.date(1930, 11, 25)
    assert read_date("25/11/99", "DMY") == dt.date(1999, 11, 25)


# --- Dates: month names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "text",
    [
        "25 Nov 2026",
        "25 November 2026",
        "Nov 25, 2026",
        "November 25 2026",
        "Wed 25 Nov 2026",
        "25-Nov-2026",
        "25 nov 2026",
    ],
)
def test_dates_with_a_month_name_are_read_under_every_order(text, order):
    assert read_date(text, order) == NOV_25


# --- Dates: refusals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("31/02/2026", "DMY"),
        ("02/31/2026", "MDY"),
        ("2026/02/31", "YMD"),
        ("29/02/2027", "DMY"),
        ("2026-13-01", "DMY"),
        ("2026-02-30", "MDY"),
    ],
)
def test_an_impossible_date_is_refused(text, order):
    error = refusal(read_date, text, order)
    assert error.message.startswith(f'"{text}" is not a date')


def test_a_date_in_the_other_order_is_refused_not_swapped():
    error = refusal(read_date, "11/25/2026", "DMY")
    assert error.message == '"11/25/2026" is not a date (month must be in 1..12)'
    assert "25/11/2026" in error.fix  # the fix shows the studio's own order
    assert "11/25/2026" in refusal(read_date, "25/11/2026", "MDY").fix


@pytest.mark.parametrize("text", ["Nov 2026", "25 Nov", "November", "Monday"])
def test_a_date_missing_its_day_month_or_year_is_refused(text):
    assert refusal(read_date, text).message == f'"{text}" is missing its day, month or year'


@pytest.mark.parametrize("text", ["tomorrow", "soon", "TBC", "25/11", "2026", "46351", "25 Novembre 2026"])
def test_text_that_is_not_a_date_is_refused(text):
    error = refusal(read_date, text)
    assert error.message.startswith(f'"{text}" is')
    assert "2026-11-25" in error.fix


@pytest.mark.parametrize("text", ["25/11/202", "1850-01-01", "1/1/0999"])
def test_a_year_before_excels_1900_is_refused(text):
    error = refusal(read_date, text, "DMY")
    assert "is not a year Excel can hold" in error.message


# --- Booleans ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Yes", "yes", "YES", " yes ", "Y", "y", "True", "TRUE", "1", "x", "X", True, 1, 1.0])
def test_yes_in_its_many_spellings(value):
    assert read_bool(value) is True


@pytest.mark.parametrize("value", ["No", "no", "N", "n", "False", "false", "0", "", "   ", None, False, 0, 0.0])
def test_no_in_its_many_spellings_and_blank(value):
    assert read_bool(value) is False


@pytest.mark.parametrize("value", ["maybe", "yes please", "2", 2, 0.5, "-"])
def test_anything_else_is_not_yes_or_no(value):
    error = refusal(read_bool, value)
    assert error.message.endswith("is not Yes or No")
    assert "Yes or No" in error.fix


def test_the_refusal_quotes_what_was_typed():
    assert refusal(read_bool, "maybe").message == '"maybe" is not Yes or No'


# --- Whole numbers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [10, 10.0, "10", " 10 ", "10.0", "+10"])
def test_ten_however_it_was_typed(value):
    assert read_whole(value) == 10


def test_negative_and_zero_whole_numbers():
    assert read_whole("-3") == -3
    assert read_whole(0) == 0


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_a_blank_cell_has_no_number(blank):
    assert read_whole(blank) is None


@pytest.mark.parametrize("value", [10.5, "10.5", "ten", "1e3", "10 days", True, False, float("nan"), float("inf")])
def test_what_is_not_a_whole_number_is_refused(value):
    error = refusal(read_whole, value, "Sort Order")
    assert error.message.startswith("Sort Order ")
    assert error.message.endswith("is not a whole number")


def test_the_refusal_names_the_column_and_the_value():
    assert refusal(read_whole, 10.5, "Typical Duration").message == "Typical Duration 10.5 is not a whole number"
    assert refusal(read_whole, "ten", "Sort Order").message == 'Sort Order "ten" is not a whole number'


# --- Text -------------------------------------------------------------------------------------------------------


def test_text_is_what_the_owner_sees():
    assert read_text(None) == ""
    assert read_text("  Maya ") == "Maya"
    assert read_text(10.0) == "10"
    assert read_text(10.5) == "10.5"
    assert read_text(True) == "Yes"
    assert read_text(dt.datetime(2026, 11, 25)) == "2026-11-25"
    assert read_text(NOV_25) == "2026-11-25"


# --- Column letters ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "letters"),
    [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (53, "BA"), (702, "ZZ"), (703, "AAA"), (16384, "XFD")],
)
def test_column_letters(index, letters):
    assert column_letter(index) == letters
    assert column_index(letters) == index


def test_column_letters_are_read_in_any_case():
    assert column_index("xfd") == 16384


def test_an_address_is_column_then_row():
    assert address(2, 28) == "AB2"


@given(st.integers(1, 20000))
def test_column_letters_round_trip_and_agree_with_openpyxl(index):
    letters = column_letter(index)
    assert column_index(letters) == index
    if index <= 18278:  # openpyxl stops at ZZZ
        assert letters == get_column_letter(index)
        assert column_index_from_string(letters) == index


# --- Excel serial numbers ---------------------------------------------------------------------------------------


def test_known_serial_numbers():
    # 46351 is also what LibreOffice shows for =DATE(2026,11,25) as a number (see test_calendar).
    assert to_serial(NOV_25) == 46351 == to_excel(NOV_25)
    assert to_serial(dt.date(1900, 3, 1)) == 61
    assert to_serial(dt.date(9999, 12, 31)) == 2958465


def test_a_time_of_day_is_the_fraction_of_the_serial():
    assert to_serial(dt.datetime(2026, 11, 25, 18, 0)) == 46351.75
    assert from_serial(46351.75) == dt.datetime(2026, 11, 25, 18, 0)
    assert from_serial(46351) == dt.datetime(2026, 11, 25)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_dates_round_trip_through_serials_and_agree_with_openpyxl(day):
    serial = to_serial(day)
    assert serial == to_excel(day)
    assert from_serial(serial) == dt.datetime.combine(day, dt.time())
    assert read_date(serial) == day


@given(st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)))
def test_datetimes_round_trip_through_serials_to_the_millisecond(moment):
    assert abs(from_serial(to_serial(moment)) - moment) < dt.timedelta(milliseconds=1)
