"""The workbook's sheets and columns, declared once so nothing else spells them."""

from __future__ import annotations

from dataclasses import dataclass, field

# Number formats, by column kind: what the template gives a column, so a value typed into a new row is typed too.
DATE_FORMAT = "yyyy-mm-dd"  # unambiguous for a studio in any country
TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm"
WHOLE_NUMBER_FORMAT = "0"
TEXT_FORMAT = "@"  # typed as text, so a phone number keeps its leading zero and its spaces


@dataclass(frozen=True)
class SheetSchema:
    """A sheet sheetflow knows: its columns, which must exist, who owns it, how its rows are read and written,
    and the kind of value each typed column holds."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...] = ()
    owned: bool = False  # sheetflow's own sheet: created when missing, its missing columns added
    on_demand: bool = False  # an owned sheet created only when first written (the fired ledger), not by every run
    append_only: bool = False  # sheetflow only appends rows: read as far as the header row, and where rows end
    rewritten: bool = False  # sheetflow rewrites it whole on every run: a file's old rows are never read
    added_when_missing: tuple[str, ...] = field(default=())  # columns sheetflow adds at the right end
    hidden: bool = False  # created as a hidden sheet: sheetflow's own records, not for people
    dates: tuple[str, ...] = ()  # columns of dates (DATE_FORMAT)
    timestamps: tuple[str, ...] = ()  # columns of dates with a time (TIMESTAMP_FORMAT)
    whole_numbers: tuple[str, ...] = ()  # columns of whole numbers (WHOLE_NUMBER_FORMAT)
    texts: tuple[str, ...] = ()  # columns typed as text (TEXT_FORMAT)

    def __post_init__(self) -> None:
        """Typed columns are named by hand: a misspelt one would silently lose its format, so fail at import."""
        for column in (*self.dates, *self.timestamps, *self.whole_numbers, *self.texts):
            if column not in self.columns:
                raise KeyError(f"{self.name} has no column {column!r}")

    @property
    def key(self) -> str:
        return self.name.casefold()

    @property
    def read_to_header(self) -> bool:
        """Whether a file's rows of it are left unread (only its header row is read): appended to or rewritten."""
        return self.append_only or self.rewritten

    def number_format(self, column: str) -> str | None:
        """The number format of a column's kind; None for a column of no declared kind."""
        for columns, number_format in (
            (self.dates, DATE_FORMAT),
            (self.timestamps, TIMESTAMP_FORMAT),
            (self.whole_numbers, WHOLE_NUMBER_FORMAT),
            (self.texts, TEXT_FORMAT),
        ):
            if column in columns:
                return number_format
        return None


SETTINGS = SheetSchema("Settings", ("Setting", "Value"), required=("Setting", "Value"))
HOLIDAYS = SheetSchema("Holidays", ("Date", "Name"), dates=("Date",))
LISTS = SheetSchema("Lists", ("Session Type", "Stage", "User", "Reason"))
STATUSES = SheetSchema(
    "Statuses",
    (
        "Session Type",
        "Description",
        "Sort Order",
        "Typical Duration",
        "Initial",
        "Final",
        "Stage",
        "Default User",
        "Inactive",
    ),
    required=("Description", "Sort Order"),
    whole_numbers=("Sort Order", "Typical Duration"),
)

SESSION_WRITTEN = (
    "Status",
    "Status Date",
    "Due Date",
    "Manual Due",
    "Assigned To",
    "Updated By",
    "Flag",
    "Days Overdue",
)
SESSION_INPUTS = ("Change To", "Date Completed", "New Due Date", "Changed By", "Change Note", "Reason")
# Written by a hold (Change To = hold): the day the session went on hold and why, blank when it is not (kept after
# the inputs, so workbooks made before holds gain them at the right end, as the template has them). The hold's
# reason has its own column so the Reason input is free for the change that ends the hold.
SESSION_HOLD = ("Held Since", "Hold Reason")
SESSIONS = SheetSchema(
    "Sessions",
    (
        "Session ID",
        "Client",
        "Email",
        "Phone",
        "Session Type",
        "Session Date",
        *SESSION_WRITTEN,
        *SESSION_INPUTS,
        *SESSION_HOLD,
    ),
    required=("Session ID", "Status"),
    added_when_missing=(*SESSION_WRITTEN, *SESSION_INPUTS, *SESSION_HOLD),
    dates=("Session Date", "Status Date", "Due Date", "Date Completed", "New Due Date", "Held Since"),
    whole_numbers=("Days Overdue",),
    texts=("Phone",),
)
NOTES = SheetSchema(
    "Notes",
    (
        "Logged At",
        "Session ID",
        "Client",
        "From Status",
        "To Status",
        "Date Completed",
        "Due Date",
        "Updated By",
        "Source",
        "Note",
        "Reason",  # why the session moved (or waits): the Lists' reasons
        "Assigned To",  # who has the session after the change
    ),
    owned=True,
    append_only=True,
    dates=("Date Completed", "Due Date"),
    timestamps=("Logged At",),
)
TRIGGERS = SheetSchema(
    "Triggers",
    (
        "Trigger",
        "Session Type",
        "Status",
        "Date Basis",
        "Offset Days",
        "Action",
        "Assign To",
        "Subject",
        "Message",
        "Active",
    ),
    whole_numbers=("Offset Days",),
)
TASKS = SheetSchema(
    "Tasks",
    (
        "Task ID",
        "Session ID",
        "Client",
        "Action",
        "Task",
        "Due Date",
        "Assigned To",
        "Trigger",
        "Created",
        "Late",
        "Done",
    ),
    owned=True,
    append_only=True,
    dates=("Due Date", "Created"),
)
OUTBOX = SheetSchema(
    "Outbox",
    ("Message ID", "Session ID", "Client", "Channel", "To", "Subject", "Body", "Created", "Late", "Sent At", "Error"),
    owned=True,
    append_only=True,
    dates=("Created",),
    timestamps=("Sent At",),
)
PROBLEMS = SheetSchema("Problems", ("Severity", "Where", "Problem", "How to fix"), owned=True, rewritten=True)
DASHBOARD = SheetSchema("Dashboard", (), owned=True, rewritten=True)
# What triggers have fired (one row per session, trigger and basis date), so each fires once even when its
# Tasks or Outbox row is deleted. Hidden; the template carries it, and a workbook without it gets it when a
# trigger first fires. Read in full on every run (a row per firing: small beside Sessions).
FIRED = SheetSchema(
    "_sheetflow_fired",
    ("Session ID", "Trigger", "Basis Date", "Fired At", "Generated"),
    owned=True,
    on_demand=True,
    hidden=True,
    dates=("Basis Date",),
    timestamps=("Fired At",),
)

ALL_SHEETS = (SETTINGS, HOLIDAYS, LISTS, STATUSES, SESSIONS, NOTES, TRIGGERS, TASKS, OUTBOX, PROBLEMS, DASHBOARD, FIRED)
REQUIRED_SHEETS = (SETTINGS, STATUSES, SESSIONS)
OWNED_SHEETS = tuple(schema for schema in ALL_SHEETS if schema.owned)

# Column widths in the template, in characters, by column name on whichever sheet; a date column is DATE_WIDTH wide,
# a timestamp column TIMESTAMP_WIDTH, and a column not named here a little wider than its header. Headers wrap onto
# two lines, so each width fits the longer line of its header in bold with the table's filter button beside it,
# and the usual content (the longest status, a trigger's name); long texts wrap at their width.
COLUMN_WIDTHS: dict[str, float] = {
    "Session ID": 11,
    "Client": 22,
    "Email": 26,
    "Phone": 15,
    "Session Type": 14,
    "Status": 28,
    "Manual Due": 11,
    "Assigned To": 13,
    "Updated By": 13,
    "Flag": 10,
    "Days Overdue": 10,
    "Change To": 28,
    "Changed By": 13,
    "Change Note": 30,
    "Reason": 24,
    "Hold Reason": 24,
    "Description": 28,
    "Sort Order": 10,
    "Typical Duration": 11,
    "Initial": 10,
    "Final": 8,
    "Stage": 12,
    "Default User": 13,
    "Inactive": 11,
    "Setting": 26,
    "Value": 24,
    "User": 13,
    "Name": 30,
    "Trigger": 30,
    "Date Basis": 16,
    "Offset Days": 9,
    "Action": 13,
    "Assign To": 13,
    "Subject": 40,
    "Message": 50,
    "Active": 9,
    "Logged At": 17,
    "From Status": 28,
    "To Status": 28,
    "Source": 9,
    "Note": 40,
    "Task ID": 9,
    "Task": 50,
    "Late": 7,
    "Done": 7,
    "Message ID": 11,
    "Channel": 10,
    "To": 26,
    "Body": 50,
    "Sent At": 17,
    "Error": 40,
    "Severity": 11,
    "Where": 16,
    "Problem": 50,
    "How to fix": 50,
}
DATE_WIDTH = 12
TIMESTAMP_WIDTH = 17


def column_width(schema: SheetSchema, column: str) -> float:
    """A column's width in the template: a date or timestamp column's, the one named above, or its header's and a
    little."""
    if column in schema.dates:
        return DATE_WIDTH
    if column in schema.timestamps:
        return TIMESTAMP_WIDTH
    return COLUMN_WIDTHS.get(column, max(10, len(column) + 3))


# Settings rows, with the defaults used when a row is missing or blank.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SETTING_DEFAULTS: dict[str, object] = {
    "Studio": "",
    **{day: ("Yes" if i < 5 else "No") for i, day in enumerate(WEEKDAYS)},
    "Statuses by type": "No",
    "Current user": "",
    "Due soon (business days)": 2,
    "Holiday country": "",
    "Holiday region": "",
    "Date order": "DMY",
    # Sending the Outbox; the password is never kept in the workbook (environment or system keyring only).
    "SMTP host": "",
    "SMTP port": "",  # blank: 465 for ssl, 587 for starttls, 25 for none
    "SMTP sender": "",
    "SMTP security": "starttls",
    "SMTP user": "",
    # The studio's calendar (`sheetflow calendar`): the zone of its times (IANA name; blank: the computer's), and
    # the .ics file every refresh keeps current beside the workbook (blank: none).
    "Time zone": "",
    "Calendar file": "",
    # Written by the nightly run (`sheetflow schedule`): when it last refreshed, and any run it missed and why.
    "Last refresh": "",
}
LAST_REFRESH_SETTING = "Last refresh"
DATE_ORDERS = ("DMY", "MDY", "YMD")
SMTP_SECURITY = ("none", "starttls", "ssl")

# Settings rows `sheetflow init` writes when it adopts a studio's own workbook: the sheet that holds the sessions
# (when it is not called Sessions), and one row per Sessions column that goes by the studio's own header. Every
# command and button reads them; blank or missing, the Sessions sheet and its own headers are used.
SESSIONS_SHEET_SETTING = "Sessions sheet"
COLUMN_SETTING_PREFIX = "Column for "
MAPPING_SETTINGS = (SESSIONS_SHEET_SETTING, *(COLUMN_SETTING_PREFIX + column for column in SESSIONS.columns))

# Headers studios give sheetflow's Sessions columns. `sheetflow init` maps the first one a sheet has onto the
# column, when the sheet has no header of that column's own name and the header is not already taken.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "Client": ("Client Name", "Customer", "Customer Name"),
    "Session Date": ("Shoot Date", "Date of Session", "Session Date/Time"),
    "Email": ("E-mail", "Email Address", "E-mail Address"),
    "Phone": ("Phone Number", "Mobile", "Telephone", "Cell"),
    "Session Type": ("Type", "Package", "Session Package"),
}


@dataclass(frozen=True)
class EntryPoint:
    """One of sheetflow's Excel entry points (a function in sheetflow.excel) and each way a workbook offers it:
    declared once, so the template, the VBA project, the Lite bundle and the status cell agree."""

    name: str  # the function in sheetflow.excel
    title: str  # its button's caption, and the first words of the status text a click leaves
    cell: str = ""  # the Sessions cell its buttons cover ("": no button on the sheet)
    lite_shape: str = ""  # the named shape xlwings Lite binds its script to ("": no Lite sheet button)
    vba_sub: str = ""  # the .xlsm's Sub its form button runs ("": no form button)
    lite_doc: str = ""  # its Lite script's docstring ("": not a script of the Lite bundle)


# xlwings Lite binds a script to a named shape whose hyperlink targets its cell; the .xlsm's form buttons sit on
# the same cells and call the same entry points; they start right of the Sessions headers' last one (Hold Reason,
# V1), so none covers a header. Order: the status texts' titles (and Lite's scripts) follow it.
ENTRY_POINTS = (
    EntryPoint(
        "apply_changes",
        "Apply changes",
        "W1",
        "btnApplyChanges",
        "ApplyChanges",
        "Apply every session row whose Change To is filled in.",
    ),
    EntryPoint("refresh", "Refresh", "X1", "btnRefresh", "RefreshDates", "Recompute due dates, Flag and Days Overdue."),
    EntryPoint(
        "validate",
        "Validate",
        "Y1",
        "btnValidate",
        "ValidateWorkbook",
        "Check the statuses and sessions; the Problems sheet lists what was found.",
    ),
    EntryPoint("dashboard", "Dashboard", lite_doc="Rebuild the Dashboard: the board and the time in status."),
    EntryPoint("change_status", "Change status", "Z1", vba_sub="ChangeStatus"),
    EntryPoint("main", "Run main"),
    EntryPoint("renumber_statuses", "Renumber statuses"),
    EntryPoint(
        "hide_inactive_statuses",
        "Hide inactive statuses",
        "AA1",
        "btnHideInactive",
        "HideInactive",
        "Hide the inactive statuses on the Statuses sheet (Show all statuses brings them back).",
    ),
    EntryPoint(
        "show_inactive_statuses",
        "Show all statuses",
        "AB1",
        "btnShowInactive",
        "ShowInactive",
        "Show the inactive statuses on the Statuses sheet again.",
    ),
)
# Lite's sheet buttons as (entry point, shape name, caption, cell): a view of the table above.
SHEET_BUTTONS = tuple(
    (entry.name, entry.lite_shape, entry.title, entry.cell) for entry in ENTRY_POINTS if entry.lite_shape
)

# Values sheetflow writes.
FLAG_OVERDUE = "Overdue"
FLAG_DUE_SOON = "Due soon"
FLAG_ON_HOLD = "On hold"  # a held session: its clock is stopped, never overdue
YES, NO = "Yes", "No"
NEXT_WORD = "next"
# Change To words besides `next`: keep the session in its status and stop its clock, or start it again.
HOLD_WORD, RESUME_WORD = "hold", "resume"
SOURCES = ("button", "batch", "cli")
