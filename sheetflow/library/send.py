"""`sheetflow send`: the Outbox's unsent Email rows go out by SMTP, each at most once (SPEC §6).

Never twice: before anything is sent, each row about to go gets an attempt marker in its Error cell, saved
atomically; only the server's answer replaces it, by a Sent At or by the error. A run that dies in between leaves
the marker, and a marked row is not sent again unless asked (--retry-unconfirmed), with the same Message-ID so
the copy is recognisable as the same message.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.cells import CellValueError, is_blank, normalize, read_bool, read_text
from ..core.problems import Problem, Severity, WorkbookError
from ..core.schema import OUTBOX, SETTINGS
from ..core.settings import PASSWORD_FIX, Settings, read_settings, read_smtp_port, read_smtp_security
from ..core.studio import ChangeSet, Outcome
from ..core.tables import Row, Table
from ..workbook.file import WorkbookFile, exclusive
from .mail import (
    MESSAGE_FIX,
    USUAL_PORTS,
    Delivery,
    Email,
    SmtpServer,
    has_line_break,
    message_id_header,
    message_problem,
    one_line,
    recipients,
    send_all,
    sender_address,
)

ATTEMPT = "sending started"  # how an Error cell with an unconfirmed attempt begins
EMAIL_CHANNELS = {"email", "e-mail"}
NEEDED_COLUMNS = ("Message ID", "Channel", "To", "Subject", "Body")
ENV_PREFIX = "SHEETFLOW_SMTP_"
KEYRING_SERVICE = "sheetflow"

Clock = Callable[[], dt.datetime]


@dataclass
class SendOutcome(Outcome):
    """A send run: which rows went, which did not and why, and what was left alone."""

    dry_run: bool = False
    messages: list[dict[str, object]] = field(default_factory=list)  # one per Email row tried (or that would be)
    held_late: int = 0
    waiting: int = 0  # rows with an unconfirmed attempt from an earlier run, not sent again
    left_for_studio: dict[str, int] = field(default_factory=dict)  # channel -> unsent rows sheetflow doesn't send
    not_set_up: str = ""  # a dry run without working SMTP settings: what a real run would stop on

    def count(self, status: str) -> int:
        return sum(1 for m in self.messages if m["status"] == status)

    @property
    def summary(self) -> str:
        if self.dry_run:
            parts = [f"dry run: {_n(self.count('would send'), 'email')} would be sent"]
            if self.count("not sent"):
                parts.append(f"{self.count('not sent')} could not be")
            if self.not_set_up:
                parts.append("sending is not set up yet (see below)")
        elif not self.messages:
            parts = ["nothing to send"]
        else:
            parts = [f"{_n(self.count('sent'), 'email')} sent"]
            if self.count("not sent"):
                parts.append(f"{self.count('not sent')} not sent")
            if self.count("unconfirmed"):
                parts.append(f"{self.count('unconfirmed')} unconfirmed")
        if self.held_late:
            parts.append(f"{self.held_late} late held back (--include-late sends them)")
        if self.waiting:
            parts.append(f"{self.waiting} waiting for you to check an earlier attempt (--retry-unconfirmed)")
        if self.left_for_studio:
            left = " and ".join(f"{n} {channel}" for channel, n in self.left_for_studio.items())
            parts.append(f"{left} left for you to send")
        return "; ".join(parts)

    @property
    def details(self) -> dict[str, object]:
        """Extra keys for --json."""
        return {
            "dry_run": self.dry_run,
            "smtp_not_set_up": self.not_set_up,
            "messages": self.messages,
            "held_late": self.held_late,
            "waiting": self.waiting,
            "left_for_studio": self.left_for_studio,
        }


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


@dataclass
class _Plan:
    """What the Outbox holds, sorted: the emails to send now, and everything that stays behind."""

    emails: list[Email] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)  # row -> Error text for rows that can't be sent
    held_late: int = 0
    waiting: int = 0
    others: Counter[str] = field(default_factory=Counter)
    new_columns: list[str] = field(default_factory=list)  # Sent At, Error when the Outbox lacks them


def send(
    path: Path | str,
    today: dt.date | None = None,
    *,
    dry_run: bool = False,
    include_late: bool = False,
    retry_unconfirmed: bool = False,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    timeout: float | None = None,
) -> SendOutcome:
    """Send the unsent Email rows; record Sent At or the Error in each. `today` dates the run like --today."""
    path = Path(path)
    env = os.environ if env is None else env
    clock = clock or _clock(today)
    book = WorkbookFile(path)
    if dry_run:
        tables = book.read((SETTINGS.name, OUTBOX.name), whole=(OUTBOX.name,))
        return _dry_run(tables, env, include_late, retry_unconfirmed)
    if not path.exists():
        raise WorkbookError(f"{path} does not exist")
    with exclusive(path):
        tables = book.read((SETTINGS.name, OUTBOX.name), whole=(OUTBOX.name,))
        settings, settings_problems, outbox, plan = _read(tables, include_late, retry_unconfirmed)
        server = _server(settings, settings_problems, env, timeout) if plan.emails else None
        rows = {row.number: row for row in outbox.rows}
        started = clock()
        server = _check_messages(plan, rows, server, settings.studio, started)
        outcome = _outcome(plan)
        first = ChangeSet(new_columns={OUTBOX.name: plan.new_columns} if plan.new_columns else {})
        for number, text in plan.errors.items():
            _set_error(first, rows[number], text)
        for email in plan.emails:
            _set_error(first, rows[email.key], f"{ATTEMPT} {started:%Y-%m-%d %H:%M} — {_MARKER_HINT}")
        if first.cells or first.new_columns:
            _save(book, first)
        if server is None:
            return outcome
        deliveries = send_all(server, plan.emails, settings.studio, now=clock)
        second = ChangeSet()
        for delivery in deliveries:
            _record(second, rows[delivery.email.key], delivery, started, outcome)
        try:
            _save(book, second)
        except (OSError, WorkbookError) as exc:
            sent = [str(d.email.key) for d in deliveries if d.sent_at]
            unsent = [str(d.email.key) for d in deliveries if not d.sent_at and not d.unconfirmed]
            raise WorkbookError(
                f"{_n(len(sent), 'email')} went out, but the workbook could not be updated ({exc}): every row tried "
                f'still says "{ATTEMPT}" in Error, so none is sent again — type the Sent At of Outbox rows '
                f"{', '.join(sent) or '(none)'} yourself, and clear the Error of rows {', '.join(unsent) or '(none)'} "
                "to send those"
            ) from None
    return outcome


_MARKER_HINT = (
    "if this stays, the run stopped before the server's answer was recorded: check your Sent folder or "
    "ask the client whether it arrived, then type its Sent At, or clear this cell (or run sheetflow send "
    "--retry-unconfirmed) to send it again"
)


def _save(book: WorkbookFile, changes: ChangeSet) -> None:
    book.write(changes)


def _clock(today: dt.date | None) -> Clock:
    def now() -> dt.datetime:
        moment = dt.datetime.now().replace(microsecond=0)
        return dt.datetime.combine(today, moment.time()) if today else moment

    return now


def _dry_run(
    tables: Mapping[str, Table], env: Mapping[str, str], include_late: bool, retry_unconfirmed: bool
) -> SendOutcome:
    """What would be sent. SMTP settings that are missing or wrong don't stop it: the list still shows, and a note
    says what a real run would stop on and how to set it up."""
    settings, settings_problems, outbox, plan = _read(tables, include_late, retry_unconfirmed)
    server, not_set_up = None, ""
    if plan.emails:
        try:
            server = _server(settings, settings_problems, env)
        except WorkbookError as exc:
            not_set_up = str(exc)
    rows = {row.number: row for row in outbox.rows}
    sender = server.sender if server else _TRIAL_SENDER
    _check_messages(plan, rows, server, settings.studio, dt.datetime.now(), sender=sender)
    outcome = _outcome(plan)
    outcome.dry_run = True
    outcome.not_set_up = not_set_up
    for email in plan.emails:
        outcome.messages.append(_message(email, "would send"))
        outcome.notes.append(f"Outbox row {email.key}: would send to {', '.join(email.to)}: {email.subject}")
    if server is not None and plan.emails:
        outcome.notes.append(f"through {server.where} ({server.security}) as {server.sender}")
    if not_set_up:
        outcome.notes.append(f"note: sending is not set up yet, so `sheetflow send` would stop here: {not_set_up}")
    return outcome


_TRIAL_SENDER = "studio@example.com"  # the From a dry run builds its messages with while SMTP sender is not set


def _check_messages(
    plan: _Plan,
    rows: Mapping[int, Row],
    server: SmtpServer | None,
    studio: str,
    when: dt.datetime,
    sender: str = "",
) -> SmtpServer | None:
    """Build every message before any row is marked: one that can't be built is its row's error (the others still
    go), never a traceback with rows left "sending started". The server, or None when nothing is left to send.
    A dry run without a server passes the `sender` to build them with."""
    sender = server.sender if server is not None else sender
    if not sender:
        return None
    ready = []
    for email in plan.emails:
        problem = message_problem(email, sender, studio, when)
        if problem:
            _cannot_send(plan, rows[email.key], problem, MESSAGE_FIX)
        else:
            ready.append(email)
    plan.emails = ready
    return server if ready else None


def _outcome(plan: _Plan) -> SendOutcome:
    """The rows that can't be sent are reported (and counted) like the ones the server refuses."""
    return SendOutcome(
        command="send",
        changes=ChangeSet(),
        problems=list(plan.problems),
        held_late=plan.held_late,
        waiting=plan.waiting,
        left_for_studio=dict(plan.others),
        messages=[{"row": row, "status": "not sent", "error": text} for row, text in plan.errors.items()],
    )


def _read(
    tables: Mapping[str, Table], include_late: bool, retry_unconfirmed: bool
) -> tuple[Settings, list[Problem], Table, _Plan]:
    settings_table = tables.get(SETTINGS.name)
    if settings_table is None or not settings_table.exists:
        raise WorkbookError(f'the workbook has no "{SETTINGS.name}" sheet — run `sheetflow init` on it to add it')
    settings, settings_problems = read_settings(settings_table)
    if settings.password_cells:
        raise WorkbookError(
            f"{SETTINGS.name}!{settings.password_cells[0]}: a password is kept in the workbook, where "
            f"anyone with a copy can read it; nothing was sent — {PASSWORD_FIX}"
        )
    outbox = tables[OUTBOX.name]
    if not outbox.exists or not outbox.header_row:
        outbox.rows = []
        return settings, settings_problems, outbox, _Plan()
    for column in NEEDED_COLUMNS:
        if not outbox.has(column):
            raise WorkbookError(
                f'the {OUTBOX.name} sheet has no "{column}" column — add a header cell named '
                f'"{column}" to its header row'
            )
    if outbox.duplicate_headers:
        raise WorkbookError(
            f"{OUTBOX.name}!{outbox.duplicate_headers[0]}: this column header is used twice on the "
            f"{OUTBOX.name} sheet — rename one of them"
        )
    outbox.rows = list(outbox.rows)
    missing = outbox.plan_missing(("Sent At", "Error"))  # before any Error cell is named: it may be a new column
    plan = _plan(outbox, settings.studio, include_late, retry_unconfirmed)
    plan.new_columns = missing
    return settings, settings_problems, outbox, plan


def _plan(outbox: Table, studio: str, include_late: bool, retry_unconfirmed: bool) -> _Plan:
    """Sort the Outbox's unsent rows: the emails to send now, and what stays behind and why."""
    plan = _Plan()
    first_use = _first_uses(outbox)
    for row in outbox.rows:
        if row.is_blank(OUTBOX.columns) or not is_blank(row.get("Sent At")):
            continue
        channel = read_text(row.get("Channel"))
        if normalize(channel) not in EMAIL_CHANNELS:
            plan.others[one_line(channel) or "without a Channel"] += 1
            continue
        if _held_back(plan, row, include_late, retry_unconfirmed):
            continue
        email = _email(plan, row, studio, first_use)
        if email is not None:
            plan.emails.append(email)
    return plan


def _first_uses(outbox: Table) -> dict[str, int]:
    """Each Email row's Message ID (ignoring case) -> the first row that uses it: a later row would be a duplicate."""
    first_use: dict[str, int] = {}
    for row in outbox.rows:
        message_id = read_text(row.get("Message ID"))
        if message_id and normalize(row.get("Channel")) in EMAIL_CHANNELS:
            first_use.setdefault(message_id.casefold(), row.number)
    return first_use


def _held_back(plan: _Plan, row: Row, include_late: bool, retry_unconfirmed: bool) -> bool:
    """Whether the row stays behind, counted: an earlier attempt not confirmed, or Late (or a Late not yes or no)."""
    error = read_text(row.get("Error"))
    if error.casefold().startswith(ATTEMPT) and not retry_unconfirmed:
        plan.waiting += 1
        plan.problems.append(
            Problem(
                OUTBOX.name,
                _error_cell(row),
                "an earlier run was sending this message to "
                f"{one_line(read_text(row.get('To')))} "
                "and stopped before the server's answer was recorded, so it is not sent again",
                "check whether it arrived (your Sent folder, or ask the client); then type its Sent At, or run "
                "sheetflow send --retry-unconfirmed to send it again",
                Severity.WARNING,
            )
        )
        return True
    try:
        late = read_bool(row.get("Late"))
    except CellValueError as exc:
        _cannot_send(plan, row, f"Late: {exc.message}", exc.fix)
        return True
    if late and not include_late:
        plan.held_late += 1
        return True
    return False


def _email(plan: _Plan, row: Row, studio: str, first_use: Mapping[str, int]) -> Email | None:
    """The row's message, or None when its Message ID or To keeps it from going (the row's Error says why)."""
    message_id = _message_id(plan, row, first_use)
    if not message_id:
        return None
    addresses = _addresses(plan, row)
    if addresses is None:
        return None
    subject = one_line(read_text(row.get("Subject")))  # a line break typed in it (Alt+Enter) is joined
    return Email(
        key=row.number,
        message_id=message_id_header(message_id, studio),
        to=addresses,
        subject=subject,
        body=_body(row.get("Body")),
    )


def _message_id(plan: _Plan, row: Row, first_use: Mapping[str, int]) -> str:
    """The row's Message ID, or "" when it is blank or an earlier row has it: it is what keeps a message single."""
    message_id = read_text(row.get("Message ID"))
    if not message_id:
        _cannot_send(
            plan,
            row,
            "Message ID is blank",
            f"type an ID no other Outbox row uses, such as M-{row.number}: it keeps the message from being sent twice",
        )
        return ""
    if first_use.get(message_id.casefold(), row.number) != row.number:
        _cannot_send(
            plan,
            row,
            f'Message ID "{message_id}" is also used on row {first_use[message_id.casefold()]}',
            "give each message its own Message ID",
        )
        return ""
    return message_id


def _addresses(plan: _Plan, row: Row) -> tuple[str, ...] | None:
    """The addresses in To, or None when it is blank, typed over two lines or not email addresses."""
    to = read_text(row.get("To"))
    if not to:
        _cannot_send(
            plan,
            row,
            "To is blank",
            "type the client's email address in To, then run sheetflow send again (or delete the row)",
        )
        return None
    if has_line_break(to):
        _cannot_send(
            plan,
            row,
            f"To ({OUTBOX.name}!{row.cell('To')}) has a line break in it, and an address must be one line",
            "type the client's email address on one line, like name@example.com (several separated by commas)",
        )
        return None
    try:
        return recipients(to)
    except ValueError as exc:
        _cannot_send(
            plan,
            row,
            f"To: {exc}",
            "type the client's email address, like name@example.com (several separated by commas)",
        )
        return None


def _body(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else read_text(value)


def _cannot_send(plan: _Plan, row: Row, what: str, fix: str) -> None:
    plan.problems.append(Problem(OUTBOX.name, _error_cell(row), what, fix))
    plan.errors[row.number] = f"{what} — {fix}"


def _error_cell(row: Row) -> str:
    return row.cell("Error")


def _set_error(changes: ChangeSet, row: Row, text: str | None) -> None:
    if read_text(row.get("Error")) != (text or ""):
        changes.set(OUTBOX.name, row.number, "Error", text)


def _record(changes: ChangeSet, row: Row, delivery: Delivery, started: dt.datetime, outcome: SendOutcome) -> None:
    """Write #2: Sent At, or the error; an unconfirmed send keeps its marker's first words."""
    if delivery.sent_at:
        changes.set(OUTBOX.name, row.number, "Sent At", delivery.sent_at)
    text = f"{delivery.error} — {delivery.fix}" if delivery.error else None
    if delivery.unconfirmed:
        text = f"{ATTEMPT} {started:%Y-%m-%d %H:%M} — {text}"
    changes.set(OUTBOX.name, row.number, "Error", text)
    status = "unconfirmed" if delivery.unconfirmed else "sent" if delivery.sent_at else "not sent"
    outcome.messages.append(_message(delivery.email, status, delivery))
    if delivery.error:
        outcome.problems.append(Problem(OUTBOX.name, _error_cell(row), delivery.error, delivery.fix))
    if delivery.sent_at:
        email = delivery.email
        outcome.notes.append(f"Outbox row {row.number}: sent to {', '.join(email.to)}: {email.subject}")


def _message(email: Email, status: str, delivery: Delivery | None = None) -> dict[str, object]:
    found: dict[str, object] = {
        "row": email.key,
        "status": status,
        "to": list(email.to),
        "subject": email.subject,
        "message_id": email.message_id,
    }
    if delivery is not None:
        found["sent_at"] = delivery.sent_at.isoformat(sep=" ") if delivery.sent_at else None
        found["error"] = f"{delivery.error} — {delivery.fix}" if delivery.error else ""
    return found


# --- Where to send from: Settings, overridden by the environment; the password never from the workbook ----------


def _server(
    settings: Settings, problems: list[Problem], env: Mapping[str, str], timeout: float | None = None
) -> SmtpServer:
    """The SMTP server to use, or WorkbookError (exit 2) naming the setting to fix."""
    source = _SmtpSource(settings, {p.cell: p for p in problems}, env)
    host = _host(source)
    sender = _sender(source)
    security = str(source.parsed("SMTP security", settings.smtp_security, read_smtp_security))
    port = source.parsed("SMTP port", settings.smtp_port, read_smtp_port) or USUAL_PORTS[security]
    user = _user(source)
    password = _password(env, user, host)
    server = SmtpServer(
        host=host,
        port=int(port),
        security=security,
        sender=sender,
        user=user,
        password=password,
        **({"timeout": timeout} if timeout else {}),
    )
    if user and security == "none" and not server.is_loopback:
        raise WorkbookError(
            f"SMTP security is none, so the password for {host} would cross the network unencrypted "
            "— set SMTP security to starttls or ssl, as your mail provider says"
        )
    return server


@dataclass(frozen=True)
class _SmtpSource:
    """Where each SMTP setting comes from: the environment when set, else the Settings sheet."""

    settings: Settings
    problems: Mapping[str, Problem]  # Settings cell -> the problem met reading it
    env: Mapping[str, str]

    def value(self, name: str, workbook: object) -> tuple[object, str]:
        """The environment's value when set, else the workbook's, with where it came from."""
        key = ENV_PREFIX + name.split()[-1].upper()
        if self.env.get(key, "").strip():
            return self.env[key].strip(), key
        cell = self.settings.cells.get(name)
        if cell in self.problems:
            raise WorkbookError(str(self.problems[cell]))
        return workbook, f"{SETTINGS.name}!{cell}" if cell else f'{SETTINGS.name} (no "{name}" row)'

    def parsed(self, name: str, workbook: object, reader: Callable[[object], object]) -> object:
        """The value as `reader` reads it; one it can't read is a WorkbookError naming where it came from."""
        raw, where = self.value(name, workbook)
        try:
            return reader(raw)
        except CellValueError as exc:
            raise WorkbookError(f"{where}: {exc.message} — {exc.fix}") from None


def _host(source: _SmtpSource) -> str:
    """The server's name: there must be one, and only a name (no space or line break)."""
    host, where = source.value("SMTP host", source.settings.smtp_host)
    if not host:
        raise WorkbookError(
            f"{where}: SMTP host is blank, so there is nowhere to send from — type your mail "
            "provider's SMTP server (such as smtp.gmail.com), or set SHEETFLOW_SMTP_HOST"
        )
    if any(c.isspace() or not c.isprintable() for c in str(host)):
        raise WorkbookError(
            f'{where}: SMTP host "{one_line(str(host))}" has a space or a line break in it — type '
            "only the server's name, such as smtp.gmail.com"
        )
    return str(host)


def _sender(source: _SmtpSource) -> str:
    """The From address, on one line: a display name typed over two lines (Alt+Enter) is layout, not a header."""
    sender, where = source.value("SMTP sender", source.settings.smtp_sender)
    if not sender:
        raise WorkbookError(
            f"{where}: SMTP sender is blank — type the address your emails come from (such as "
            "hello@yourstudio.com, or Your Studio <hello@yourstudio.com>), or set "
            "SHEETFLOW_SMTP_SENDER"
        )
    if not sender_address(str(sender)):
        raise WorkbookError(
            f'{where}: SMTP sender "{one_line(str(sender))}" is not an email address — type one like '
            "hello@yourstudio.com, or Your Studio <hello@yourstudio.com>"
        )
    return one_line(str(sender))


def _user(source: _SmtpSource) -> str:
    """The login's user name ("" for none), which must be one printable line."""
    user, where = source.value("SMTP user", source.settings.smtp_user)
    if not str(user).isprintable():
        raise WorkbookError(
            f"{where}: SMTP user has a line break or a hidden character in it — type the user name "
            "your mail provider gives (usually your email address) on one line"
        )
    return str(user)


def _password(env: Mapping[str, str], user: str, host: str) -> str:
    """The password, from the environment or else the system keyring, never the workbook; "" without a user."""
    password = env.get(ENV_PREFIX + "PASSWORD", "")
    if password and not user:
        raise WorkbookError(
            "SHEETFLOW_SMTP_PASSWORD is set but SMTP user is blank — type the user name your mail "
            "provider gives (usually your email address) in the SMTP user row on the Settings sheet"
        )
    if user and not password:
        password = _keyring_password(user, host)
    if user and not (user + password).isascii():  # the login (AUTH PLAIN, LOGIN) carries only plain characters
        which = "SMTP user" if not user.isascii() else "the password"
        raise WorkbookError(
            f"{which} for {host} holds a character such as an accent that the mail login can't carry "
            "— use plain letters, digits and signs there (your mail provider's app password works)"
        )
    return password


def _keyring_password(user: str, host: str) -> str:
    account = f"{user}@{host}"
    reason = ""
    try:
        import keyring

        password = keyring.get_password(KEYRING_SERVICE, account)
    except Exception as exc:  # no keyring on this computer, or it is locked: say so, and offer the alternative
        password, reason = None, f" (the system keyring could not be read: {exc})"
    if not password:
        raise WorkbookError(
            f"there is no password for {account}{reason} — store it once with "
            f"`keyring set {KEYRING_SERVICE} {account}`, or set SHEETFLOW_SMTP_PASSWORD"
        )
    return password
