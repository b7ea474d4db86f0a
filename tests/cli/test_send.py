"""`sheetflow send`: the Outbox's Email rows go out through a real SMTP server on 127.0.0.1 (aiosmtpd), each at
most once, with Sent At or the server's reply recorded in the row (SPEC §6)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import json
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

import keyring
import keyring.backend
import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from helpers.workbooks import SETTINGS, cells, records, studio

from sheetflow.library import mail
from sheetflow.library import send as outbox
from sheetflow.library.mail import message_id_header, recipients, studio_domain

OUTBOX_HEADER = [
    "Message ID",
    "Session ID",
    "Client",
    "Channel",
    "To",
    "Subject",
    "Body",
    "Created",
    "Late",
    "Sent At",
    "Error",
]
CREATED = dt.datetime(2026, 11, 20, 9, 0)


def outbox_row(
    message_id: str,
    to: str,
    subject: str = "Your session",
    body: str = "See you soon.",
    channel: str = "Email",
    late: str = "No",
    sent_at: object = None,
    error: str | None = None,
) -> list:
    return [message_id, 1001, "Ann Lee", channel, to, subject, body, CREATED, late, sent_at, error]


# --- A real SMTP server ------------------------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    to: list[str]
    message: email.message.EmailMessage
    tls: bool


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it receives; it can refuse addresses, or hang up after the whole of
    the nth message arrived without answering it (the moment a client can't know whether it was taken)."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    hang_up_after: int | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, tls))
        if self.hang_up_after == len(self.received):
            server.transport.abort()
        return "250 2.0.0 Ok: queued"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


def body(received: Received) -> str:
    """The text as the client's mail program shows it (the wire's CRLF line ends as newlines)."""
    return received.message.get_content().replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def start_server():
    """Start an SMTP server on 127.0.0.1 (a free port); any keyword goes to aiosmtpd (TLS, authentication)."""
    started: list[Controller] = []

    def start(mailbox: Mailbox | None = None, **options) -> tuple[Mailbox, int]:
        mailbox = mailbox or Mailbox()
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return mailbox, port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def server(start_server) -> tuple[Mailbox, int]:
    return start_server()


class MemoryKeyring(keyring.backend.KeyringBackend):
    """The system keyring, in memory: tests never touch the real one."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch) -> MemoryKeyring:
    """Every test runs with an empty in-memory keyring and without the SHEETFLOW_SMTP_* variables of whoever runs
    the tests."""
    for name in ("HOST", "PORT", "SENDER", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"SHEETFLOW_SMTP_{name}", raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def smtp_settings(
    port: int,
    security: str = "none",
    user: str = "",
    host: str = "127.0.0.1",
    sender: str = "hello@teststudio.example",
    extra: list | None = None,
) -> list[list]:
    return [
        *SETTINGS,
        ["SMTP host", host],
        ["SMTP port", port],
        ["SMTP sender", sender],
        ["SMTP security", security],
        ["SMTP user", user],
        *(extra or []),
    ]


def book_with(tmp_path: Path, port: int, rows: list[list], header: list[str] = OUTBOX_HEADER, **settings) -> Path:
    return studio(
        tmp_path / "studio.xlsx",
        [],
        settings=smtp_settings(port, **settings),
        extra={"Outbox": [header, *rows]},
        tables=("Outbox",),
    )


def outbox_records(book: Path) -> list[dict]:
    return records(book, "Outbox")


# --- Sending -----------------------------------------------------------------------------------------------------


def test_sends_the_unsent_email_rows_once_and_records_sent_at(tmp_path, sheetflow, server):
    mailbox, port = server
    sent_before = dt.datetime(2026, 11, 18, 16, 30)
    book = book_with(
        tmp_path,
        port,
        [
            outbox_row(
                "M-1",
                "ann@example.com",
                "Your portrait session is on Friday",
                "Hi Ann,\n\nSee you on Friday at 10.\n.\n..a line that starts with dots\nMaya",
            ),
            outbox_row("M-2", "Bob Stone <bob@example.com>", "Votre séance", "Bonjour Bob, à bientôt — Café Studio"),
            outbox_row("M-3", "cy@example.com", sent_at=sent_before),
            outbox_row("M-4", "555-0104", channel="SMS"),
            outbox_row("M-5", "12 Main St", channel="Letter"),
            outbox_row("M-6", "di@example.com", "A week before your session", late="Yes"),
        ],
    )
    result = sheetflow("send", book)
    assert result.exit_code == 0, result.output
    assert "2 emails sent" in result.output
    assert "1 late held back (--include-late sends them)" in result.output
    assert "1 SMS and 1 Letter left for you to send" in result.output

    ann, bob = mailbox.received
    assert ann.to == ["ann@example.com"] and bob.to == ["bob@example.com"]
    assert ann.sender == "hello@teststudio.example"
    assert ann.message["Message-ID"] == "<M-1@sheetflow.test-studio>"
    assert ann.message["From"] == "Test Studio <hello@teststudio.example>"
    assert ann.message["To"] == "ann@example.com"
    assert ann.message["Subject"] == "Your portrait session is on Friday"
    assert ann.message["Date"].datetime.date() == dt.date(2026, 11, 25)  # --today dates the run
    assert ann.message.get_content_type() == "text/plain"
    assert body(ann) == "Hi Ann,\n\nSee you on Friday at 10.\n.\n..a line that starts with dots\nMaya\n"
    assert bob.message["Subject"] == "Votre séance"
    assert body(bob) == "Bonjour Bob, à bientôt — Café Studio\n"

    rows = {r["Message ID"]: r for r in outbox_records(book)}
    for sent in ("M-1", "M-2"):
        assert isinstance(rows[sent]["Sent At"], dt.datetime)  # openpyxl: a real date, with a date format
        assert rows[sent]["Sent At"].date() == dt.date(2026, 11, 25)
        assert rows[sent]["Error"] is None
    assert rows["M-3"]["Sent At"] == sent_before
    assert all(rows[m]["Sent At"] is None and rows[m]["Error"] is None for m in ("M-4", "M-5", "M-6"))
    calamine = cells(book, "Outbox")
    assert isinstance(calamine[1][9], dt.datetime) and calamine[1][10] == ""

    again = sheetflow("send", book)
    assert again.exit_code == 0 and "nothing to send" in again.output
    assert len(mailbox.received) == 2

    late = sheetflow("send", book, "--include-late")
    assert late.exit_code == 0 and "1 email sent" in late.output
    assert mailbox.message_ids()[2] == "<M-6@sheetflow.test-studio>"
    assert len(mailbox.received) == 3


def test_dry_run_lists_what_would_be_sent_and_changes_nothing(tmp_path, sheetflow, server):
    mailbox, port = server
    book = book_with(
        tmp_path,
        port,
        [
            outbox_row("M-1", "ann@example.com", "Reminder"),
            outbox_row("M-2", "nope"),
            outbox_row("M-3", "di@example.com", late="Yes"),
        ],
    )
    before = book.read_bytes()
    result = sheetflow("send", book, "--dry-run")
    assert result.exit_code == 1  # the row with a bad address would fail
    assert "Outbox row 2: would send to ann@example.com: Reminder" in result.output
    assert 'Outbox!K3: error: To: "nope" is not an email address' in result.output
    assert "dry run: 1 email would be sent; 1 could not be; 1 late held back" in result.output
    assert mailbox.received == [] and book.read_bytes() == before

    as_json = json.loads(sheetflow("send", book, "--dry-run", "--include-late", "--json").output)
    assert [(m["row"], m["status"]) for m in as_json["messages"]] == [
        (3, "not sent"),
        (2, "would send"),
        (4, "would send"),
    ]


def test_a_dry_run_works_before_smtp_is_set_up_and_says_so(tmp_path, sheetflow):
    book = studio(
        tmp_path / "studio.xlsx",
        [],
        settings=SETTINGS,  # no SMTP rows at all
        extra={"Outbox": [OUTBOX_HEADER, outbox_row("M-1", "ann@example.com", "Reminder")]},
        tables=("Outbox",),
    )
    before = book.read_bytes()
    result = sheetflow("send", book, "--dry-run")
    assert result.exit_code == 0, result.output  # as for any dry run: nothing that could not be sent
    assert "Outbox row 2: would send to ann@example.com: Reminder" in result.output
    assert "dry run: 1 email would be sent; sending is not set up yet (see below)" in result.output
    assert (
        'note: sending is not set up yet, so `sheetflow send` would stop here: Settings (no "SMTP host" row): '
        "SMTP host is blank, so there is nowhere to send from"
    ) in result.output
    assert book.read_bytes() == before
    as_json = json.loads(sheetflow("send", book, "--dry-run", "--json").output)
    assert [m["status"] for m in as_json["messages"]] == ["would send"]
    assert "SMTP host is blank" in as_json["smtp_not_set_up"]

    real = sheetflow("send", book)  # the real run still refuses, with the same words
    assert real.exit_code == 2 and "SMTP host is blank" in real.output
    assert book.read_bytes() == before


def test_a_dry_run_with_a_user_but_no_password_yet_still_lists(tmp_path, sheetflow, server):
    mailbox, port = server
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com"), outbox_row("M-2", "nope")], user="me")
    result = sheetflow("send", book, "--dry-run")
    assert result.exit_code == 1  # the bad address, as with SMTP set up
    assert "dry run: 1 email would be sent; 1 could not be; sending is not set up yet" in result.output
    assert "there is no password for me@127.0.0.1" in result.output and "keyring set sheetflow" in result.output
    assert mailbox.received == []


def test_rows_without_a_usable_address_or_id_get_an_error_and_the_rest_go(tmp_path, sheetflow, server):
    mailbox, port = server
    book = book_with(
        tmp_path,
        port,
        [
            outbox_row("M-1", ""),
            outbox_row("M-2", "ann at example dot com"),
            outbox_row("", "bob@example.com"),
            outbox_row("M-4", "cy@example.com; dee@example.com"),
            outbox_row("M-4", "ed@example.com"),
            outbox_row("M-6", "fay@example.com", late="maybe"),
        ],
    )
    result = sheetflow("send", book)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        "Outbox!K2: error: To is blank — type the client's email address in To, then run sheetflow send again "
        "(or delete the row)" in lines
    )
    assert any(
        line.startswith('Outbox!K3: error: To: "ann at example dot com" is not an email address') for line in lines
    )
    assert any(line.startswith("Outbox!K4: error: Message ID is blank") for line in lines)
    assert any(line.startswith('Outbox!K6: error: Message ID "M-4" is also used on row 5') for line in lines)
    assert any(line.startswith('Outbox!K7: error: Late: "maybe" is not Yes or No') for line in lines)
    assert [r.to for r in mailbox.received] == [["cy@example.com", "dee@example.com"]]
    rows = outbox_records(book)
    assert rows[0]["Error"].startswith("To is blank") and rows[0]["Sent At"] is None
    assert isinstance(rows[3]["Sent At"], dt.datetime) and rows[3]["Error"] is None


def test_a_refused_recipient_gets_the_servers_reply_and_the_others_are_sent(tmp_path, sheetflow, start_server):
    mailbox, port = start_server(Mailbox(refuse={"gone@example.com"}))
    book = book_with(
        tmp_path,
        port,
        [
            outbox_row("M-1", "ann@example.com"),
            outbox_row("M-2", "gone@example.com"),
            outbox_row("M-3", "bob@example.com"),
        ],
    )
    result = sheetflow("send", book)
    assert result.exit_code == 1
    assert (
        "Outbox!K3: error: the server refused gone@example.com: 550 5.1.1 <gone@example.com>: Recipient address "
        "rejected: User unknown in virtual mailbox table — check the client's email address in To"
    ) in result.output
    assert "2 emails sent; 1 not sent" in result.output
    assert [r.to for r in mailbox.received] == [["ann@example.com"], ["bob@example.com"]]
    rows = outbox_records(book)
    assert rows[1]["Sent At"] is None and "550 5.1.1" in rows[1]["Error"]
    assert rows[0]["Sent At"] and rows[2]["Sent At"]

    mailbox.refuse.clear()  # the address was right after all (the mailbox was restored): run again
    again = sheetflow("send", book)
    assert again.exit_code == 0 and "1 email sent" in again.output
    assert mailbox.message_ids() == [
        "<M-1@sheetflow.test-studio>",
        "<M-3@sheetflow.test-studio>",
        "<M-2@sheetflow.test-studio>",
    ]
    assert outbox_records(book)[1]["Error"] is None


def test_partly_refused_recipients_send_to_the_rest_and_say_who_was_refused(tmp_path, sheetflow, start_server):
    mailbox, port = start_server(Mailbox(refuse={"old@example.com"}))
    book = book_with(tmp_path, port, [outbox_row("M-1", "grace@example.com, old@example.com")])
    result = sheetflow("send", book)
    assert result.exit_code == 1
    assert mailbox.received[0].to == ["grace@example.com"]
    (row,) = outbox_records(book)
    assert isinstance(row["Sent At"], dt.datetime)  # sent: never sent again
    assert row["Error"].startswith("sent, but the server refused old@example.com: 550")
    assert sheetflow("send", book).exit_code == 0 and len(mailbox.received) == 1


def hang_up_after_greeting() -> tuple[int, threading.Thread]:
    """A server that greets, then closes the connection (an overloaded or misconfigured relay)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(10)

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"220 relay.example ESMTP\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_a_server_that_hangs_up_leaves_every_row_unsent_with_the_error(tmp_path, sheetflow, server, monkeypatch):
    mailbox, good_port = server
    bad_port, thread = hang_up_after_greeting()
    book = book_with(tmp_path, bad_port, [outbox_row("M-1", "ann@example.com"), outbox_row("M-2", "bob@example.com")])
    result = sheetflow("send", book)
    thread.join(5)
    assert result.exit_code == 1
    # "Connection unexpectedly closed", with the reset the operating system saw, when there was one
    assert (
        f"Outbox!K2: error: could not connect to 127.0.0.1:{bad_port} (Connection unexpectedly closed" in result.output
    )
    assert all(r["Sent At"] is None and r["Error"].startswith("could not connect") for r in outbox_records(book))

    monkeypatch.setenv("SHEETFLOW_SMTP_PORT", str(good_port))  # the environment overrides the workbook
    again = sheetflow("send", book)
    assert again.exit_code == 0 and "2 emails sent" in again.output
    assert [r.to for r in mailbox.received] == [["ann@example.com"], ["bob@example.com"]]
    assert all(r["Sent At"] and r["Error"] is None for r in outbox_records(book))


def test_a_connection_lost_after_the_data_is_not_resent_without_asking(tmp_path, sheetflow, start_server):
    mailbox, port = start_server(Mailbox(hang_up_after=2))
    book = book_with(
        tmp_path,
        port,
        [
            outbox_row("M-1", "ann@example.com"),
            outbox_row("M-2", "bob@example.com"),
            outbox_row("M-3", "cy@example.com"),
        ],
    )
    result = sheetflow("send", book)
    assert result.exit_code == 1
    assert "1 email sent; 1 not sent; 1 unconfirmed" in result.output
    ann, bob, cy = outbox_records(book)
    assert isinstance(ann["Sent At"], dt.datetime) and ann["Error"] is None  # kept: nothing lost
    assert bob["Sent At"] is None and bob["Error"].startswith("sending started 2026-11-25 ")
    assert "after the whole message was sent, before the server confirmed it" in bob["Error"]
    assert cy["Sent At"] is None
    assert cy["Error"] == (
        f"not sent: the connection to 127.0.0.1:{port} broke before this message — run sheetflow send again"
    )
    assert mailbox.message_ids() == ["<M-1@sheetflow.test-studio>", "<M-2@sheetflow.test-studio>"]

    mailbox.hang_up_after = None
    again = sheetflow("send", book)
    assert again.exit_code == 0  # what waits for the studio's check is a warning
    assert "Outbox!K3: warning: an earlier run was sending this message to bob@example.com" in again.output
    assert "1 email sent; 1 waiting for you to check an earlier attempt (--retry-unconfirmed)" in again.output
    assert mailbox.message_ids()[2:] == ["<M-3@sheetflow.test-studio>"]

    retry = sheetflow("send", book, "--retry-unconfirmed")
    assert retry.exit_code == 0 and "1 email sent" in retry.output
    assert mailbox.message_ids()[3:] == ["<M-2@sheetflow.test-studio>"]  # the same Message-ID: recognisably a copy
    assert all(r["Sent At"] and r["Error"] is None for r in outbox_records(book))


class Died(BaseException):
    """The process is killed: nothing after this point runs."""


def test_a_run_that_dies_after_sending_never_sends_twice(tmp_path, sheetflow, server, monkeypatch):
    mailbox, port = server
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com"), outbox_row("M-2", "bob@example.com")])
    saves = []
    real_save = outbox._save

    def save_then_die(book_file, changes):
        saves.append(changes)
        if len(saves) == 2:  # the messages went out; the run dies before recording it
            raise Died()
        real_save(book_file, changes)

    monkeypatch.setattr(outbox, "_save", save_then_die)
    with pytest.raises(Died):
        outbox.send(book, dt.date(2026, 11, 25), env={})
    monkeypatch.undo()
    assert len(mailbox.received) == 2
    for row in outbox_records(book):  # write #1 reached the disk before anything was sent
        assert row["Sent At"] is None
        assert row["Error"].startswith("sending started 2026-11-25 ")
        assert "check your Sent folder or ask the client" in row["Error"]

    result = sheetflow("send", book)
    assert result.exit_code == 0 and len(mailbox.received) == 2
    assert "2 waiting for you to check an earlier attempt (--retry-unconfirmed)" in result.output

    retry = sheetflow("send", book, "--retry-unconfirmed")
    assert retry.exit_code == 0 and "2 emails sent" in retry.output
    assert mailbox.message_ids() == ["<M-1@sheetflow.test-studio>", "<M-2@sheetflow.test-studio>"] * 2
    assert all(r["Sent At"] and r["Error"] is None for r in outbox_records(book))


def test_a_second_save_that_fails_says_which_rows_went_out(tmp_path, sheetflow, start_server, monkeypatch):
    mailbox, port = start_server(Mailbox(refuse={"gone@example.com"}))
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com"), outbox_row("M-2", "gone@example.com")])
    real_save, saves = outbox._save, []

    def save(book_file, changes):
        saves.append(changes)
        if len(saves) == 2:
            raise PermissionError(13, "Permission denied", str(book_file.path))
        real_save(book_file, changes)

    monkeypatch.setattr(outbox, "_save", save)
    result = sheetflow("send", book)
    assert result.exit_code == 2
    assert "1 email went out, but the workbook could not be updated" in result.output
    assert "type the Sent At of Outbox rows 2 yourself, and clear the Error of rows 3 to send those" in result.output
    monkeypatch.undo()
    assert sheetflow("send", book).exit_code == 0 and len(mailbox.received) == 1  # nothing went twice


def test_ctrl_c_while_waiting_for_the_server_settles_every_row(tmp_path, sheetflow, server, monkeypatch):
    """Ctrl+C just after the second message's data went out: that one is unconfirmed, the first is recorded as sent,
    the third as not sent — and the workbook says so, instead of a traceback."""
    mailbox, port = server
    book = book_with(
        tmp_path,
        port,
        [
            outbox_row("M-1", "ann@example.com"),
            outbox_row("M-2", "bob@example.com"),
            outbox_row("M-3", "cy@example.com"),
        ],
    )
    real_stuffed, real_reply = mail._dot_stuffed, smtplib.SMTP.getreply
    messages = []

    def stuffed(payload: bytes) -> bytes:
        messages.append(payload)
        return real_stuffed(payload)

    def reply(smtp):
        if len(messages) == 2 and not hasattr(reply, "fired"):
            reply.fired = True
            raise KeyboardInterrupt
        return real_reply(smtp)

    monkeypatch.setattr(mail, "_dot_stuffed", stuffed)
    monkeypatch.setattr(smtplib.SMTP, "getreply", reply)
    result = sheetflow("send", book)
    assert result.exit_code == 1
    assert "1 email sent; 1 not sent; 1 unconfirmed" in result.output
    ann, bob, cy = outbox_records(book)
    assert ann["Sent At"] and ann["Error"] is None
    assert bob["Error"].startswith("sending started 2026-11-25 ")
    assert "stopped with Ctrl+C after the whole message was sent" in bob["Error"]
    assert cy["Error"] == "not sent: stopped with Ctrl+C before this message — run sheetflow send again"


def test_a_cleared_marker_sends_the_row_again(tmp_path, sheetflow, server):
    """The marker tells the studio owner to clear the cell to send again: that works as it says."""
    mailbox, port = server
    marker = "sending started 2026-11-24 09:00 — if this stays, …"
    book = book_with(
        tmp_path,
        port,
        [outbox_row("M-1", "ann@example.com", error=marker), outbox_row("M-2", "bob@example.com", error="")],
    )  # its marker was cleared
    assert sheetflow("send", book).exit_code == 0
    assert [r.to for r in mailbox.received] == [["bob@example.com"]]


def test_missing_sent_at_and_error_columns_are_added(tmp_path, sheetflow, server):
    mailbox, port = server
    header = OUTBOX_HEADER[:9]
    book = book_with(
        tmp_path, port, [outbox_row("M-1", "ann@example.com")[:9], outbox_row("M-2", "")[:9]], header=header
    )
    result = sheetflow("send", book)
    assert result.exit_code == 1 and "Outbox!K3: error: To is blank" in result.output
    ann, blank = outbox_records(book)
    assert isinstance(ann["Sent At"], dt.datetime) and ann["Error"] is None
    assert blank["Sent At"] is None and blank["Error"].startswith("To is blank")
    assert cells(book, "Outbox")[0][9:11] == ["Sent At", "Error"]
    table = openpyxl.load_workbook(book)["Outbox"].tables["OutboxTable"]
    assert table.ref == "A1:K3"


# --- Settings, passwords, locks ----------------------------------------------------------------------------------

# A login without TLS is what sheetflow refuses for any host but this computer; aiosmtpd warns about it too.
PLAIN_LOGIN_ON_LOOPBACK = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def auth_options(user: str, password: str) -> dict:
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data == (user.encode(), password.encode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    return {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}


@PLAIN_LOGIN_ON_LOOPBACK
def test_the_password_comes_from_the_environment(tmp_path, sheetflow, start_server, monkeypatch):
    mailbox, port = start_server(**auth_options("maya@teststudio.example", "s3cret"))
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], user="maya@teststudio.example")
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "wrong")
    refused = sheetflow("send", book)
    assert refused.exit_code == 1
    assert (
        "the server refused the login of maya@teststudio.example (535 5.7.8 Authentication credentials invalid)"
        in refused.output
    )
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "s3cret")
    result = sheetflow("send", book)
    assert result.exit_code == 0 and len(mailbox.received) == 1


@PLAIN_LOGIN_ON_LOOPBACK
def test_the_password_comes_from_the_keyring(tmp_path, sheetflow, start_server, memory_keyring):
    mailbox, port = start_server(**auth_options("maya@teststudio.example", "s3cret"))
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], user="maya@teststudio.example")
    missing = sheetflow("send", book)
    assert missing.exit_code == 2
    assert (
        "there is no password for maya@teststudio.example@127.0.0.1 — store it once with `keyring set sheetflow "
        "maya@teststudio.example@127.0.0.1`, or set SHEETFLOW_SMTP_PASSWORD"
    ) in missing.output
    assert outbox_records(book)[0]["Error"] is None  # bad settings: nothing written

    keyring.set_password("sheetflow", "maya@teststudio.example@127.0.0.1", "s3cret")
    result = sheetflow("send", book)
    assert result.exit_code == 0 and len(mailbox.received) == 1


def test_a_password_in_the_workbook_is_refused(tmp_path, sheetflow, server):
    mailbox, port = server
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], extra=[["SMTP Password", "hunter2"]])
    before = book.read_bytes()
    result = sheetflow("send", book)
    assert result.exit_code == 2
    assert "Settings!B19: a password is kept in the workbook" in result.output
    assert "delete the value" in result.output and "keyring set sheetflow USER@HOST" in result.output
    assert "SHEETFLOW_SMTP_PASSWORD" in result.output
    assert mailbox.received == [] and book.read_bytes() == before

    validate = sheetflow("validate", book)  # every run points at it, as a warning
    assert 'Settings!B19: warning: Setting "SMTP Password" holds a password' in validate.output

    blank = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], extra=[["SMTP password", ""]])
    assert sheetflow("send", blank).exit_code == 0  # an empty row is harmless


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"host": ""}, "Settings!B14: SMTP host is blank, so there is nowhere to send from"),
        ({"sender": ""}, "Settings!B16: SMTP sender is blank"),
        ({"sender": "the studio"}, 'Settings!B16: SMTP sender "the studio" is not an email address'),
        ({"security": "tls"}, 'Settings!B17: error: SMTP security "tls" is not none, starttls or ssl — type starttls'),
        (
            {"user": "maya", "host": "smtp.example.com", "security": "none"},
            "SMTP security is none, so the password for smtp.example.com would cross the network unencrypted",
        ),
    ],
)
def test_bad_settings_stop_before_anything_is_written(tmp_path, sheetflow, server, settings, message, monkeypatch):
    mailbox, port = server
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "s3cret")
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], **settings)
    before = book.read_bytes()
    result = sheetflow("send", book)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert book.read_bytes() == before and mailbox.received == []


def test_the_environment_overrides_the_workbook(tmp_path, sheetflow, server, monkeypatch):
    mailbox, port = server
    book = book_with(
        tmp_path,
        1,
        [outbox_row("M-1", "ann@example.com")],
        host="smtp.invalid",
        security="ssl",
        sender="old@teststudio.example",
    )
    for name, value in (
        ("HOST", "127.0.0.1"),
        ("PORT", str(port)),
        ("SECURITY", "none"),
        ("SENDER", "Front Desk <desk@teststudio.example>"),
    ):
        monkeypatch.setenv(f"SHEETFLOW_SMTP_{name}", value)
    assert sheetflow("send", book).exit_code == 0
    assert mailbox.received[0].message["From"] == "Front Desk <desk@teststudio.example>"
    assert mailbox.received[0].sender == "desk@teststudio.example"


def test_nothing_to_send_needs_no_settings(tmp_path, sheetflow):
    book = book_with(tmp_path, 1, [outbox_row("M-1", "555-0101", channel="SMS")], host="", sender="")
    result = sheetflow("send", book)
    assert result.exit_code == 0 and "nothing to send; 1 SMS left for you to send" in result.output


def test_a_workbook_open_in_excel_is_not_touched(tmp_path, sheetflow, server):
    mailbox, port = server
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")])
    (tmp_path / "~$studio.xlsx").write_bytes(b"owner")
    before = book.read_bytes()
    result = sheetflow("send", book)
    assert result.exit_code == 3 and "open in Excel" in result.output
    assert book.read_bytes() == before and mailbox.received == []


def test_an_unreadable_file_is_exit_2(tmp_path, sheetflow):
    junk = tmp_path / "studio.xlsx"
    junk.write_text("not a workbook")
    assert sheetflow("send", junk).exit_code == 2


# --- TLS (a self-signed certificate, trusted through SSL_CERT_FILE as a studio's IT person would) ---------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def test_starttls_with_a_login(tmp_path, sheetflow, start_server, certificate, monkeypatch):
    options = {**auth_options("maya", "s3cret"), "auth_require_tls": True}
    mailbox, port = start_server(tls_context=server_context(certificate), require_starttls=True, **options)
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], security="starttls", user="maya")
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "s3cret")

    untrusted = sheetflow("send", book)  # the certificate is not trusted yet: nothing goes out, the row says why
    assert untrusted.exit_code == 1
    assert f"the certificate of 127.0.0.1:{port} could not be verified (self-signed certificate)" in untrusted.output
    assert mailbox.received == []

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    result = sheetflow("send", book)
    assert result.exit_code == 0, result.output
    assert mailbox.received[0].tls and mailbox.received[0].to == ["ann@example.com"]


def test_ssl_from_the_first_byte(tmp_path, sheetflow, start_server, certificate, monkeypatch):
    mailbox, port = start_server(ssl_context=server_context(certificate))
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], security="SSL/TLS")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    assert sheetflow("send", book).exit_code == 0
    assert mailbox.received[0].tls


def test_starttls_refused_by_a_plain_server_is_an_error_not_a_plain_send(tmp_path, sheetflow, server):
    mailbox, port = server
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], security="starttls")
    result = sheetflow("send", book)
    assert result.exit_code == 1 and "does not offer STARTTLS" in result.output
    assert mailbox.received == []


# --- Message-IDs and addresses -----------------------------------------------------------------------------------


def test_message_ids_are_stable_valid_and_distinct():
    assert message_id_header("M-1001", "Test Studio") == "<M-1001@sheetflow.test-studio>"
    assert studio_domain("Lumière & Co. Photography") == "lumiere-co-photography"
    assert studio_domain("写真館") == "studio"
    odd = message_id_header("1001/Reminder 1", "x")
    assert odd == "<1001=2FReminder=201@sheetflow.x>"
    assert message_id_header("1001 Reminder", "x") != message_id_header("1001-Reminder", "x")
    assert email.message_from_string(f"Message-ID: {odd}\n\n", policy=email.policy.default)["Message-ID"] == odd


def test_recipients():
    assert recipients("ann@example.com") == ("ann@example.com",)
    assert recipients(" Grace <grace@example.com>; ethan@example.co.uk ,") == (
        "grace@example.com",
        "ethan@example.co.uk",
    )
    for bad in ("ann", "ann@example", "ann@@example.com", "ann@example.com\nBcc: x@y.com", "a b@example.com"):
        with pytest.raises(ValueError):
            recipients(bad)


# --- Every message is checked before any row is marked (issue 12) ----------------------------------------------


def settings_with(port: int, studio_name: str = "Test Studio", **smtp) -> list[list]:
    """The SMTP settings of smtp_settings, with the Studio cell holding `studio_name`."""
    return [["Studio", studio_name] if row[0] == "Studio" else row for row in smtp_settings(port, **smtp)]


def book_settings(tmp_path: Path, settings: list[list], rows: list[list]) -> Path:
    return studio(
        tmp_path / "studio.xlsx", [], settings=settings, extra={"Outbox": [OUTBOX_HEADER, *rows]}, tables=("Outbox",)
    )


def assert_nothing_stuck(book: Path, mailbox: Mailbox) -> None:
    """No row says "sending started" unless the server really had its whole message."""
    had = set(mailbox.message_ids())
    for row in outbox_records(book):
        if (row["Error"] or "").startswith(outbox.ATTEMPT):
            assert message_id_header(row["Message ID"], "Test Studio") in had, row


@pytest.mark.parametrize(
    ("studio_name", "sender", "shown"),
    [
        ("Test\nStudio", "hello@teststudio.example", "Test Studio <hello@teststudio.example>"),  # Alt+Enter
        ("Test\r\n  Studio", "hello@teststudio.example", "Test Studio <hello@teststudio.example>"),
        ("Test Studio", "Front\nDesk <desk@teststudio.example>", "Front Desk <desk@teststudio.example>"),
    ],
)
def test_a_line_break_in_the_studio_or_sender_name_is_joined_and_every_row_is_sent(
    tmp_path, sheetflow, server, studio_name, sender, shown
):
    mailbox, port = server
    book = book_settings(
        tmp_path,
        settings_with(port, studio_name, sender=sender),
        [outbox_row("M-1", "ann@example.com"), outbox_row("M-2", "bob@example.com")],
    )
    result = sheetflow("send", book)
    assert result.exit_code == 0, result.output
    assert "2 emails sent" in result.output
    ann, bob = mailbox.received
    assert ann.message["From"] == bob.message["From"] == shown
    headers = [
        "Message-ID",
        "Date",
        "From",
        "To",
        "Subject",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
    ]
    assert sorted(ann.message.keys()) == sorted(headers)  # one From, and nothing the name's second line started
    assert ann.message["Message-ID"] == "<M-1@sheetflow.test-studio>"
    assert all(isinstance(r["Sent At"], dt.datetime) and r["Error"] is None for r in outbox_records(book))

    again = sheetflow("send", book)
    assert again.exit_code == 0 and "nothing to send" in again.output and "waiting" not in again.output
    assert len(mailbox.received) == 2


def test_a_line_break_in_an_address_is_that_rows_problem_and_a_subject_is_joined(tmp_path, sheetflow, server):
    mailbox, port = server
    book = book_settings(
        tmp_path,
        settings_with(port, "Test\nStudio"),
        [
            outbox_row("M-1", "ann@example.com"),
            outbox_row("M-2", "bob@example.com\nBcc: eve@example.com"),
            outbox_row("M-3", "cy@example.com", subject="Your session\r\nBcc: eve@example.com"),
            outbox_row("M-4", "dee@example.com\r\n"),  # a line break at the end of the cell is only its edge
            outbox_row("M-5", "555-0105", channel="Text\nmessage"),
        ],
    )
    dry = sheetflow("send", book, "--dry-run")
    assert dry.exit_code == 1 and "dry run: 3 emails would be sent; 1 could not be" in dry.output

    result = sheetflow("send", book)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        "Outbox!K3: error: To (Outbox!E3) has a line break in it, and an address must be one line — type the "
        "client's email address on one line, like name@example.com (several separated by commas)"
    ) in lines
    assert "3 emails sent; 1 not sent; 1 Text message left for you to send" in result.output
    assert not any(line.startswith("Bcc") for line in lines)  # every problem stays on its own line

    assert [r.to for r in mailbox.received] == [["ann@example.com"], ["cy@example.com"], ["dee@example.com"]]
    assert all(r.message["Bcc"] is None for r in mailbox.received)
    assert mailbox.received[1].message["Subject"] == "Your session Bcc: eve@example.com"  # one header, no Bcc
    ann, bob, cy, dee, _ = outbox_records(book)
    assert ann["Sent At"] and cy["Sent At"] and dee["Sent At"] and ann["Error"] is None
    assert bob["Sent At"] is None and bob["Error"].startswith("To (Outbox!E3) has a line break in it")
    assert_nothing_stuck(book, mailbox)

    again = sheetflow("send", book)  # not yet fixed: the same problem, never "waiting for you to check"
    assert again.exit_code == 1 and "0 emails sent; 1 not sent" in again.output and "waiting" not in again.output
    assert len(mailbox.received) == 3


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "host",
            "127.0.0.1\nsmtp.example.com",
            'Settings!B14: SMTP host "127.0.0.1 smtp.example.com" has a space or '
            "a line break in it — type only the server's name",
        ),
        (
            "sender",
            "hello@teststudio.example\nBcc: eve@example.com",
            'Settings!B16: SMTP sender "hello@teststudio.example Bcc: eve@example.com" is not an email address',
        ),
        ("user", "maya\nBcc: eve", "Settings!B18: SMTP user has a line break or a hidden character in it — type the"),
    ],
)
def test_a_line_break_in_an_smtp_setting_stops_before_any_row_is_marked(
    tmp_path, sheetflow, server, monkeypatch, setting, value, message
):
    mailbox, port = server
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "s3cret")
    book = book_settings(tmp_path, settings_with(port, **{setting: value}), [outbox_row("M-1", "ann@example.com")])
    before = book.read_bytes()
    result = sheetflow("send", book)
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert book.read_bytes() == before and mailbox.received == []


@dataclass
class ClosingMailbox(Mailbox):
    """A server that answers its nth recipient with 421 and then closes the connection (a relay shutting down,
    or one that has had enough of this client)."""

    close_at: int = 0
    recipients_seen: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.recipients_seen += 1
        if self.recipients_seen == self.close_at:
            asyncio.get_running_loop().call_soon(server.transport.close)  # once the reply below has gone out
            return "421 4.3.2 Service shutting down, closing transmission channel"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.mark.parametrize(
    "make",
    [lambda: ClosingMailbox(close_at=2), lambda: Mailbox(hang_up_after=2)],
    ids=["421 and closed at the second recipient", "hung up after the second message"],
)
def test_a_server_closing_mid_run_leaves_the_truth_in_every_row(tmp_path, sheetflow, start_server, make):
    mailbox, port = start_server(make())
    book = book_settings(
        tmp_path,
        settings_with(port, "Test\nStudio"),
        [
            outbox_row("M-1", "ann@example.com"),
            outbox_row("M-2", "bob@example.com"),
            outbox_row("M-3", "cy@example.com"),
        ],
    )
    result = sheetflow("send", book)
    assert result.exit_code == 1
    ann, bob, cy = outbox_records(book)
    assert isinstance(ann["Sent At"], dt.datetime) and ann["Error"] is None
    assert cy["Sent At"] is None and cy["Error"].startswith("not sent: ") and "before this message" in cy["Error"]
    if isinstance(mailbox, ClosingMailbox):  # bob's message never reached the server: plainly not sent
        assert "1 email sent; 2 not sent" in result.output
        assert bob["Error"] == (
            "not sent: the server closed the connection (421 4.3.2 Service shutting down, "
            "closing transmission channel) — run sheetflow send again"
        )
        assert cy["Error"] == (
            "not sent: the server closed the connection before this message — run sheetflow send again"
        )
    else:  # bob's whole message reached the server: the only row that keeps "sending started"
        assert "1 email sent; 1 not sent; 1 unconfirmed" in result.output
        assert bob["Error"].startswith(outbox.ATTEMPT)
    assert_nothing_stuck(book, mailbox)

    mailbox.hang_up_after = None
    again = sheetflow("send", book)
    assert again.exit_code == 0
    closed = isinstance(mailbox, ClosingMailbox)  # then every row goes; else bob's waits for the studio's check
    sent = [r["Message ID"] for r in outbox_records(book) if r["Sent At"]]
    assert sent == (["M-1", "M-2", "M-3"] if closed else ["M-1", "M-3"])
    assert ("1 waiting for you to check an earlier attempt" in again.output) != closed
    assert_nothing_stuck(book, mailbox)


@PLAIN_LOGIN_ON_LOOPBACK
def test_a_password_the_login_cant_carry_stops_before_any_row_is_marked(tmp_path, sheetflow, start_server, monkeypatch):
    """smtplib's login carries only plain characters: a password with an accent used to raise a traceback after
    every row had been marked "sending started"."""
    mailbox, port = start_server(**auth_options("maya@teststudio.example", "pässwort"))
    book = book_with(tmp_path, port, [outbox_row("M-1", "ann@example.com")], user="maya@teststudio.example")
    monkeypatch.setenv("SHEETFLOW_SMTP_PASSWORD", "pässwort")
    before = book.read_bytes()
    result = sheetflow("send", book)
    assert result.exit_code == 2
    assert (
        "the password for 127.0.0.1 holds a character such as an accent that the mail login can't carry — use "
        "plain letters, digits and signs there"
    ) in result.output
    assert book.read_bytes() == before and mailbox.received == []


def test_sender_settings_are_one_name_and_one_address():
    """What From and MAIL FROM are built from: exactly an address, or a name and an address; nothing dropped."""
    assert mail.sender_parts("hello@teststudio.example") == ("", "hello@teststudio.example")
    assert mail.sender_parts("Smith, John <john@teststudio.example>") == ("Smith, John", "john@teststudio.example")
    assert mail.sender_parts('"Front Desk" <desk@teststudio.example>') == ("Front Desk", "desk@teststudio.example")
    assert mail.sender_parts("Front\nDesk <desk@teststudio.example>") == ("Front Desk", "desk@teststudio.example")
    for bad in ("hello@teststudio.example\nBcc: eve@example.com", "x <a@example.com> y", "the studio"):
        assert mail.sender_parts(bad) == ("", "")
