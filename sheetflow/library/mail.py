"""Email over SMTP: messages built from Outbox rows, and a sending loop that says of each message whether the
server took it, refused it (with its reply), or had the whole message when the connection broke (unconfirmed)."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.errors import MessageError
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr

USUAL_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
TIMEOUT = 30.0  # seconds for connecting and for each reply: a dead server must not hang a scheduled run
SETTINGS_FIX = "check SMTP host, SMTP port and SMTP security on the Settings sheet"
MESSAGE_FIX = "check this row's To, Subject and Body, and SMTP sender on the Settings sheet"

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_ADDRESS = re.compile(rf"{_LOCAL}@{_DOMAIN}")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send; the password lives only here, in memory, never in the workbook."""

    host: str
    port: int
    security: str  # none, starttls or ssl
    sender: str  # "hello@studio.com" or "Studio <hello@studio.com>"
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = TIMEOUT

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        """This computer's own server: a password sent to it in clear never crosses the network."""
        return self.host.casefold() in _LOOPBACK


@dataclass(frozen=True)
class Email:
    """One message to send; `key` is whatever the caller knows it by (the Outbox row)."""

    key: int
    message_id: str  # the Message-ID header, "<…@…>"
    to: tuple[str, ...]
    subject: str
    body: str


@dataclass
class Delivery:
    """What became of one message. `unconfirmed`: the server had the whole message, but its answer never came,
    so it may have been delivered — it must not be sent again without asking."""

    email: Email
    sent_at: dt.datetime | None = None
    error: str = ""  # what went wrong, with the server's reply when there was one
    fix: str = ""
    unconfirmed: bool = False


class AddressError(ValueError):
    """A To cell that is not one or more email addresses."""


def recipients(text: str) -> tuple[str, ...]:
    """The addresses in a To cell: one, or several separated by commas or semicolons, each bare or as
    `Name <address>`."""
    found = []
    for piece in re.split(r"[,;]", text):
        piece = piece.strip()
        if not piece:
            continue
        angle = re.fullmatch(r"[^<>]*<([^<>]*)>", piece)
        address = (angle[1] if angle else piece).strip()
        if not _ADDRESS.fullmatch(address) or len(address) > 254:
            raise AddressError(f'"{piece}" is not an email address')
        found.append(address)
    if not found:
        raise AddressError("there is no address")
    return tuple(found)


_SENDER = re.compile(r"(?P<name>[^<>]*)<(?P<angle>[^<>]*)>|(?P<bare>[^<>\s()]+)(?:\s*\((?P<comment>[^()<>]*)\))?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_line_break(text: str) -> bool:
    """A line break inside a cell (Alt+Enter), which no header line and no address may hold."""
    return len(text.strip().splitlines()) > 1


def one_line(text: str) -> str:
    """Text as one header line: line breaks, tabs and other control characters become single spaces, so what a
    cell holds can never start a header of its own."""
    return " ".join(_CONTROL.sub(" ", text).split())


def sender_parts(sender: str) -> tuple[str, str]:
    """The display name and address of an SMTP sender setting ("hello@studio.com", "Studio <hello@studio.com>");
    ("", "") unless it is exactly one of those, so nothing typed around the address is silently dropped."""
    found = _SENDER.fullmatch(one_line(sender))
    if not found:
        return "", ""
    if found["angle"] is None:
        name, address = (found["comment"] or "").strip(), found["bare"]
    else:
        name, address = found["name"].strip(), found["angle"].strip()
        if len(name) > 1 and name[0] == name[-1] == '"':
            name = name[1:-1].replace('\\"', '"').strip()
    return (name, address) if _ADDRESS.fullmatch(address) else ("", "")


def sender_address(sender: str) -> str:
    """The address in an SMTP sender setting; "" if it has none (see sender_parts)."""
    return sender_parts(sender)[1]


def studio_domain(studio: str) -> str:
    """The studio's name as a domain label ("Lumière & Co" -> "lumiere-co"), for Message-IDs."""
    text = unicodedata.normalize("NFKD", studio).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:63].strip("-") or "studio"


def message_id_header(message_id: str, studio: str) -> str:
    """`<{message id}@sheetflow.{studio}>`: the same Outbox row always gives the same header, so a message sent
    again is recognisable as the same one. Characters a Message-ID can't hold are written =XX (so distinct IDs
    stay distinct)."""
    local = re.sub(r"[^A-Za-z0-9_-]", lambda m: "".join(f"={b:02X}" for b in m[0].encode()), message_id)
    return f"<{local}@sheetflow.{studio_domain(studio)}>"


def build_message(email: Email, sender: str, when: dt.datetime, studio: str = "") -> EmailMessage:
    """A plain-text message with Message-ID, Date, From, To and Subject; `when` is local time. Every header is one
    line: a display name typed over two lines (Alt+Enter in the Studio cell) is joined, never an error."""
    msg = EmailMessage()
    name, address = sender_parts(sender)
    display = one_line(name or studio)
    msg["Message-ID"] = email.message_id
    msg["Date"] = format_datetime(when.astimezone() if when.tzinfo is None else when)
    msg["From"] = formataddr((display, address)) if display else address
    msg["To"] = ", ".join(email.to)
    msg["Subject"] = one_line(email.subject)  # a line break in a header would be an injection
    body = email.body.replace("\r\n", "\n").replace("\r", "\n")
    plain = body.isascii() and all(len(line) <= 78 for line in body.split("\n"))
    msg.set_content(body, cte="7bit" if plain else "quoted-printable")  # 7-bit safe on any server
    return msg


def message_problem(email: Email, sender: str, studio: str, when: dt.datetime) -> str:
    """Why this message can't be put together ("" when it can): asked for every message before any Outbox row is
    marked, so a message that can't be built is that row's error, never a row left "sending started"."""
    try:
        build_message(email, sender, when, studio).as_bytes(policy=SMTP_POLICY)
    except UnicodeError as exc:
        where = getattr(exc, "object", "")
        start = getattr(exc, "start", 0)
        odd = f" (U+{ord(where[start]):04X})" if isinstance(where, str) and start < len(where) else ""
        return f"the message holds a broken character{odd} that can't be sent, often left by pasting text"
    except (ValueError, TypeError, LookupError, MessageError) as exc:
        return f"the message could not be put together ({_describe(exc)})"
    return ""


class _Stop(Exception):
    """The connection is gone: the messages after this one are not tried."""


Clock = Callable[[], dt.datetime]


def send_all(
    server: SmtpServer,
    emails: Sequence[Email],
    studio: str = "",
    now: Clock = lambda: dt.datetime.now().replace(microsecond=0),
) -> list[Delivery]:
    """Send each message over one connection; one refused does not stop the others. A lost connection stops the
    run (the rest are marked not sent), and Ctrl+C stops it the same way once the current message is settled."""
    deliveries = [Delivery(email) for email in emails]
    if not deliveries:
        return deliveries
    try:
        smtp = _connect(server)
    except _Failure as failure:
        for delivery in deliveries:
            delivery.error, delivery.fix = failure.error, failure.fix
        return deliveries
    except KeyboardInterrupt:
        for delivery in deliveries:
            delivery.error, delivery.fix = "not sent: stopped with Ctrl+C", "run sheetflow send again"
        return deliveries
    stopped = ""
    try:
        for delivery in deliveries:
            if stopped:
                delivery.error = f"not sent: {stopped} before this message"
                delivery.fix = "run sheetflow send again"
                continue
            try:
                _deliver(smtp, server, delivery, studio, now)
            except _Stop as stop:
                stopped = str(stop)
            except KeyboardInterrupt:  # between two steps of _deliver's bookkeeping: it has settled the message
                stopped = "stopped with Ctrl+C"
    finally:
        _close(smtp)
    return deliveries


class _Failure(Exception):
    def __init__(self, error: str, fix: str):
        super().__init__(error)
        self.error, self.fix = error, fix


def _connect(server: SmtpServer) -> smtplib.SMTP:
    smtp: smtplib.SMTP | None = None
    try:
        if server.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        smtp.ehlo()
        if server.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise _Failure(
                    f"the server {server.where} does not offer STARTTLS",
                    "set SMTP security to ssl (usually port 465), or ask your mail provider",
                )
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if server.user:
            smtp.login(server.user, server.password)
        return smtp
    except _Failure:
        _close(smtp)
        raise
    except smtplib.SMTPAuthenticationError as exc:
        _close(smtp)
        raise _Failure(
            f"the server refused the login of {server.user} ({_reply(exc.smtp_code, exc.smtp_error)})",
            f"check SMTP user and the password (keyring set sheetflow {server.user}@{server.host}); some "
            "providers want an app password",
        ) from None
    except smtplib.SMTPNotSupportedError:
        _close(smtp)
        raise _Failure(
            f"the server {server.where} does not accept a login",
            "leave SMTP user blank, or check SMTP security (logins usually need starttls or ssl)",
        ) from None
    except ssl.SSLCertVerificationError as exc:
        _close(smtp)
        raise _Failure(
            f"the certificate of {server.where} could not be verified ({exc.verify_message})",
            "check SMTP host: it must be the name the mail provider gives",
        ) from None
    except UnicodeError:  # smtplib carries only plain characters: a user, password or computer name with an accent
        _close(smtp)
        raise _Failure(
            f"could not log in to {server.where}: the SMTP user, the password or this computer's name "
            "holds a character such as an accent that the mail login can't carry",
            "use plain letters, digits and signs there (your mail provider's app password works)",
        ) from None
    except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timed out, TLS failed, hung up
        _close(smtp)
        raise _Failure(f"could not connect to {server.where} ({_describe(exc)})", SETTINGS_FIX) from None


def _deliver(smtp: smtplib.SMTP, server: SmtpServer, delivery: Delivery, studio: str, now: Clock) -> None:
    """One message, command by command, so that a failure before the end of the data (not sent) is told apart
    from one while waiting for the server's answer to it (unconfirmed)."""
    payload = _payload(server, delivery, studio, now)
    if payload is None:
        return
    data_sent = False
    try:
        refused = _open_data(smtp, server, delivery)
        if refused is None:
            return
        smtp.send(_dot_stuffed(payload))  # a failure here: the final "." never reached the server
        data_sent = True
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPException, KeyboardInterrupt) as exc:
        raise _broken(server, delivery, exc, data_sent) from None
    if code != 250:
        return _refused(
            smtp,
            delivery,
            "the server did not accept the message",
            code,
            reply,
            "see the server's reply; run sheetflow send again once it is sorted",
        )
    delivery.sent_at = now()
    if refused:
        delivery.error = f"sent, but the server refused {'; '.join(refused)}"
        delivery.fix = "check those addresses in To and send them the message yourself"


def _payload(server: SmtpServer, delivery: Delivery, studio: str, now: Clock) -> bytes | None:
    """The message as SMTP bytes, or None (the delivery says why) when it can't be put together."""
    try:
        return build_message(delivery.email, server.sender, now(), studio).as_bytes(policy=SMTP_POLICY)
    except (ValueError, TypeError, LookupError, MessageError) as exc:  # checked before the run: never expected here
        delivery.error = f"not sent: the message could not be put together ({_describe(exc)})"
        delivery.fix = MESSAGE_FIX
        return None


def _open_data(smtp: smtplib.SMTP, server: SmtpServer, delivery: Delivery) -> list[str] | None:
    """MAIL, RCPT and DATA: the recipients the server refused, or None when it refused the message (recorded)."""
    code, reply = smtp.mail(sender_address(server.sender))
    if code != 250:
        _refused(
            smtp,
            delivery,
            "the server refused the sender",
            code,
            reply,
            "check SMTP sender: it must be an address your mail account may send from",
        )
        return None
    refused = _add_recipients(smtp, delivery)
    if refused is None:
        return None
    code, reply = smtp.docmd("DATA")
    if code != 354:
        _refused(
            smtp,
            delivery,
            "the server refused the message",
            code,
            reply,
            "see the server's reply; run sheetflow send again once it is sorted",
        )
        return None
    return refused


def _add_recipients(smtp: smtplib.SMTP, delivery: Delivery) -> list[str] | None:
    """RCPT for each address: those refused, with the server's replies, or None when it took none (recorded)."""
    accepted, refused = [], []
    code, reply = 0, b""  # with no address at all, nothing was refused by a closing server
    for address in delivery.email.to:
        code, reply = smtp.rcpt(address)
        if code in (250, 251):
            accepted.append(address)
        else:
            refused.append(f"{address}: {_reply(code, reply)}")
            if code == 421:
                break
    if not accepted and code == 421:  # the server is closing: not the client's address, and no message after
        _refused(smtp, delivery, "not sent: the server closed the connection", code, reply, "run sheetflow send again")
        return None
    if not accepted:
        _refused(
            smtp,
            delivery,
            f"the server refused {'; '.join(refused)}",
            0,
            b"",
            "check the client's email address in To",
        )
        return None
    return refused


def _broken(server: SmtpServer, delivery: Delivery, exc: BaseException, data_sent: bool) -> _Stop:
    """Record a lost connection or Ctrl+C: unconfirmed once the whole message was sent, else not sent."""
    what = (
        "stopped with Ctrl+C"
        if isinstance(exc, KeyboardInterrupt)
        else f"the connection to {server.where} broke ({_describe(exc)})"
    )
    if data_sent:
        delivery.unconfirmed = True
        delivery.error = f"{what} after the whole message was sent, before the server confirmed it"
        delivery.fix = (
            "check whether it arrived (your Sent folder, or ask the client) before sending it again "
            "with sheetflow send --retry-unconfirmed"
        )
    else:
        delivery.error, delivery.fix = f"not sent: {what}", "run sheetflow send again"
    return _Stop(what.split(" (")[0])


def _refused(smtp: smtplib.SMTP, delivery: Delivery, what: str, code: int, reply: bytes, fix: str) -> None:
    delivery.error = f"{what} ({_reply(code, reply)})" if code else what
    delivery.fix = fix
    if code == 421:  # the server is closing the connection
        raise _Stop("the server closed the connection")
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        raise _Stop("the connection to the server broke") from None


def _dot_stuffed(payload: bytes) -> bytes:
    data = re.sub(rb"(?m)^\.", b"..", payload)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    text = " ".join(text.split())
    return f"{code} {text}".strip() if code else text


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
