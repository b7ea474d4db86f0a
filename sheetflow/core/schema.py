"""The workbook's sheets and columns, declared once so nothing else spells them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SheetSchema:
    """A sheet sheetflow knows: its columns, which must exist, and who owns it."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...] = ()
    owned_by_sheetflow: bool = False  # created when missing
    added_when_missing: tuple[str, ...] = field(default=())  # columns sheetflow adds at the right end
    hidden: bool = False  # created as a hidden sheet: sheetflow's own records, not for people

    @property
    def key(self) -> str:
        return self.name.casefold()


SETTINGS = SheetSchema("Settings", ("Setting", "Value"), required=("Setting", "Value"))
HOLIDAYS = SheetSchema("Holidays", ("Date", "Name"))
LISTS = SheetSchema("Lists", ("Session Type", "Stage", "User"))
STATUSES = SheetSchema(
    "Statuses",
    ("Session Type", "Description", "Sort Order", "Typical Duration", "Initial", "Final", "Stage",
     "Default User", "Inactive"),
    required=("Description", "Sort Order"),
)

SESSION_WRITTEN = ("Status", "Status Date", "Due Date", "Manual Due", "Assigned To", "Updated By", "Flag",
                   "Days Overdue")
SESSION_INPUTS = ("Change To", "Date Completed", "New Due Date", "Changed By", "Change Note")
SESSIONS = SheetSchema(
    "Sessions",
    ("Session ID", "Client", "Email", "Phone", "Session Type", "Session Date", *SESSION_WRITTEN,
     *SESSION_INPUTS),
    required=("Session ID", "Status"),
    added_when_missing=(*SESSION_WRITTEN, *SESSION_INPUTS),
)
NOTES = SheetSchema(
    "Notes",
    ("Logged At", "Session ID", "Client", "From Status", "To Status", "Date Completed", "Due Date",
     "Updated By", "Source", "Note"),
    owned_by_sheetflow=True,
)
TRIGGERS = SheetSchema(
    "Triggers",
    ("Trigger", "Session Type", "Status", "Date Basis", "Offset Days", "Action", "Assign To", "Subject",
     "Message", "Active"),
)
TASKS = SheetSchema(
    "Tasks",
    ("Task ID", "Session ID", "Client", "Action", "Task", "Due Date", "Assigned To", "Trigger", "Created",
     "Late", "Done"),
    owned_by_sheetflow=True,
)
OUTBOX = SheetSchema(
    "Outbox",
    ("Message ID", "Session ID", "Client", "Channel", "To", "Subject", "Body", "Created", "Late", "Sent At",
     "Error"),
    owned_by_sheetflow=True,
)
PROBLEMS = SheetSchema("Problems", ("Severity", "Where", "Problem", "How to fix"), owned_by_sheetflow=True)
DASHBOARD = SheetSchema("Dashboard", (), owned_by_sheetflow=True)
# What triggers have fired (one row per session, trigger and basis date), so each fires once even when its
# Tasks or Outbox row is deleted. Hidden; the template carries it, and a workbook without it gets it when a
# trigger first fires. Read in full on every run (a row per firing: small beside Sessions).
FIRED = SheetSchema("_sheetflow_fired", ("Session ID", "Trigger", "Basis Date", "Fired At", "Generated"),
                    owned_by_sheetflow=True, hidden=True)

ALL_SHEETS = (SETTINGS, HOLIDAYS, LISTS, STATUSES, SESSIONS, NOTES, TRIGGERS, TASKS, OUTBOX, PROBLEMS,
              DASHBOARD, FIRED)
REQUIRED_SHEETS = (SETTINGS, STATUSES, SESSIONS)

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
}
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

# Buttons on the Sessions sheet: (entry point in sheetflow.excel, shape name, caption, the cell under it).
# xlwings Lite binds a script to a named shape whose hyperlink targets that cell; the .xlsm's form buttons
# sit on the same cells and call the same entry points.
SHEET_BUTTONS = (
    ("apply_changes", "btnApplyChanges", "Apply changes", "V1"),
    ("refresh", "btnRefresh", "Refresh", "W1"),
    ("validate", "btnValidate", "Validate", "X1"),
)

# Values sheetflow writes.
FLAG_OVERDUE = "Overdue"
FLAG_DUE_SOON = "Due soon"
YES, NO = "Yes", "No"
NEXT_WORD = "next"
SOURCES = ("button", "batch", "cli")
