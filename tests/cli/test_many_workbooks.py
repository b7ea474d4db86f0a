"""Studios with several branches: `refresh` over many workbooks or a folder, in parallel, each on its own."""

from __future__ import annotations

import json

from helpers.workbooks import records, session, studio


def branch(path, status_date):
    return studio(path, [session(session_id=1, status="Retouch Pending", status_date=status_date)])


def test_a_folder_of_branches_is_refreshed_and_one_broken_file_does_not_stop_the_rest(tmp_path, sheetflow):
    import datetime as dt

    north = branch(tmp_path / "north.xlsx", dt.date(2026, 11, 2))
    south = branch(tmp_path / "south.xlsx", dt.date(2026, 11, 23))
    (tmp_path / "broken.xlsx").write_text("not a workbook")
    (tmp_path / "~$closed.xlsx").write_text("")  # an Office owner file is not a workbook to refresh
    result = sheetflow("refresh", tmp_path)
    assert result.exit_code == 2  # the worst of the files
    lines = result.output.splitlines()
    assert "broken.xlsx: broken.xlsx is not an Excel workbook (.xlsx or .xlsm)" in lines
    assert "north.xlsx: 1 overdue, 0 due soon; 0 errors, 0 warnings" in lines
    assert "south.xlsx: 0 overdue, 0 due soon; 0 errors, 0 warnings" in lines
    assert "Refreshing" not in result.output  # no progress bar when not on a terminal
    assert records(north, "Sessions")[0]["Flag"] == "Overdue"
    assert records(south, "Sessions")[0]["Flag"] is None


def test_several_files_with_json(tmp_path, sheetflow):
    import datetime as dt

    files = [branch(tmp_path / f"b{i}.xlsx", dt.date(2026, 11, 2)) for i in range(3)]
    result = sheetflow("refresh", *files, "--json", "--jobs", "2")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [d["path"] for d in data] == [str(f) for f in files]
    assert all(d["exit_code"] == 0 and d["summary"].startswith("1 overdue") for d in data)


def test_a_busy_branch_is_reported_and_the_others_refreshed(tmp_path, sheetflow):
    import datetime as dt

    a = branch(tmp_path / "a.xlsx", dt.date(2026, 11, 2))
    b = branch(tmp_path / "b.xlsx", dt.date(2026, 11, 2))
    (tmp_path / "~$a.xlsx").write_text("open")
    result = sheetflow("refresh", a, b)
    assert result.exit_code == 3
    assert "a.xlsx: the workbook is open in Excel" in result.output
    assert records(b, "Sessions")[0]["Flag"] == "Overdue"
