"""Generates big, realistic studio workbooks for the benchmarks, fast.

The small sheets (Settings, Statuses with a portrait and a wedding cycle, Lists, Holidays, Triggers…) come from
`sheetflow.authoring.template.build_workbook(sample=True)`, so they are exactly what `sheetflow new --sample` makes.
The Sessions and Notes sheets are then replaced by worksheet XML streamed straight into the zip, written the way
Excel writes it: every text cell a shared string (one `xl/sharedStrings.xml` for the whole book), real dates as
serial numbers with the template's date styles, `<row r=… spans=…>` rows with `r` on every cell, and the
dimension and the tables' ranges grown to the data. Writing 20M+ cells through xlsxwriter one call at a time
would take far longer than the benchmark itself.

    python benchmarks/generate.py OUT.xlsx N [--notes-per-session 5] [--pending 100] [--seed 1]
    python benchmarks/generate.py OUT.xlsx N --writer xlsxwriter      # the same studio, as another tool writes it
    python benchmarks/generate.py --check [--writer W]  # generate a small book, read it back, `sheetflow validate`

`--writer` (WRITERS below) says who wrote the file: `sheetflow-shaped` is the streamed book above; `xlsxwriter` is
the same studio written cell by cell by xlsxwriter through sheetflow's own template code (every text a shared
string, in the order written, so the small sheets' headers come after the 60,000-odd client strings; the columns a
first refresh fills left blank); `libreoffice` is the sheetflow-shaped book re-saved by
`soffice --headless --convert-to xlsx` with a private profile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path

from sheetflow.authoring.template import sample_studio
from sheetflow.core.calendar import BusinessCalendar
from sheetflow.core.schema import NOTES, SESSIONS

EXCEL_MAX_ROWS = 1_048_576  # rows on one sheet, header included
NOTES_HEADROOM = 1_000  # free rows kept below a capped Notes sheet, so apply/change can still append
TODAY = dt.date(2026, 3, 2)  # a Monday; the runner passes it as --today so every run sees the same "today"
LAST_REFRESH = TODAY - dt.timedelta(days=7)  # Flag / Days Overdue are stored as of a week ago: refresh has work
EPOCH = dt.date(1899, 12, 30)
FINAL_SHARE = 0.7  # most sessions of a studio with years of history are delivered
MANUAL_SHARE = 0.02
CHUNK_ROWS = 5_000
FORMAT_VERSION = 1  # bump when the generated content changes, so the runner regenerates cached files
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEETFLOW_SHAPED = "sheetflow-shaped"
WRITERS = (SHEETFLOW_SHAPED, "xlsxwriter", "libreoffice")
# What a first `sheetflow refresh` fills in on a book another tool wrote (Manual Due is kept where it is Yes, with
# its hand-typed Due Date): the xlsxwriter book leaves these cells out, as a studio's own export would.
FILLED_BY_REFRESH = ("Due Date", "Manual Due", "Flag", "Days Overdue")

FIRST_NAMES = (
    "Emma",
    "Liam",
    "Sofia",
    "Noah",
    "Olivia",
    "Ava",
    "Grace",
    "Chloe",
    "Hannah",
    "Mia",
    "Zoe",
    "Isabella",
    "Lucas",
    "Ethan",
    "Daniel",
    "James",
    "Ryan",
    "Amelia",
    "Harper",
    "Elena",
    "Mateo",
    "Aiko",
    "Priya",
    "Omar",
    "Fatima",
    "Jonas",
    "Ingrid",
    "Luca",
    "Chiara",
    "Kwame",
    "Nia",
    "Sven",
    "Freya",
    "Diego",
)
LAST_NAMES = (
    "Thompson",
    "Carter",
    "Alvarez",
    "Williams",
    "Brown",
    "Martin",
    "Walker",
    "Kim",
    "Rossi",
    "O'Connor",
    "Patel",
    "Nguyen",
    "Schmidt",
    "Dubois",
    "Kowalski",
    "Tanaka",
    "Okafor",
    "Silva",
    "Jensen",
    "Murphy",
    "Costa",
    "Haddad",
    "Novak",
    "Larsen",
    "Moreau",
    "Fischer",
    "Rahman",
    "Santos",
)
NOTE_TEXTS = (
    "",
    "",
    "",
    "Client called to confirm",
    "Deposit received",
    "Gallery approved by the client",
    "Rescheduled once (weather)",
    "Album proofs sent",
    "Waiting on payment",
    "Prints picked up",
    "Extra retouching requested",
    "Referral from a previous client",
)
SOURCES = ("batch", "button", "cli")


@dataclass
class Generated:
    """What the runner needs to know about a generated workbook; saved beside it as JSON."""

    path: str
    n_sessions: int
    notes_per_session: int
    pending: int
    seed: int
    today: str
    notes_rows: int
    notes_capped: bool
    pending_ids: list[int] = field(default_factory=list)
    change_id: int = 0  # an active session without a pending change: the `change` benchmark moves it on
    seconds: float = 0.0
    bytes: int = 0
    format_version: int = FORMAT_VERSION
    writer: str = SHEETFLOW_SHAPED
    writer_seconds: float = 0.0  # xlsxwriter / LibreOffice alone, after the sheetflow-shaped book was generated

    def same_parameters(self, other: Generated) -> bool:
        keys = ("n_sessions", "notes_per_session", "pending", "seed", "today", "format_version", "writer")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


class WriterUnavailable(RuntimeError):
    """The tool a writer needs (LibreOffice) is not installed here."""


def workbook_name(n: int, writer: str = SHEETFLOW_SHAPED) -> str:
    return f"studio-{n}.xlsx" if writer == SHEETFLOW_SHAPED else f"studio-{n}-{writer}.xlsx"


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def load_sidecar(path: Path) -> Generated | None:
    try:
        return Generated(**json.loads(sidecar(path).read_text()))
    except (OSError, ValueError, TypeError):
        return None


# --- the studio's vocabulary -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusInfo:
    description: str
    duration: int | None
    user: str
    final: bool


@dataclass
class Vocabulary:
    """The sample studio's cycles, users and calendar, read from sheetflow's own sample so they always agree."""

    cycles: dict[str, list[StatusInfo]]
    active: dict[str, list[int]]  # per type: indexes of statuses a session may be in and move on from
    users: list[str]
    calendar: BusinessCalendar

    @classmethod
    def from_sample(cls, today: dt.date) -> Vocabulary:
        studio = sample_studio(today)
        cycles: dict[str, list[StatusInfo]] = {}
        active: dict[str, list[int]] = {}
        for row in studio.statuses:
            info = StatusInfo(
                str(row["Description"]),
                row["Typical Duration"],  # type: ignore[arg-type]
                str(row["Default User"]),
                row["Final"] == "Yes",
            )
            cycle = cycles.setdefault(str(row["Session Type"]), [])
            if row["Inactive"] != "Yes" and not info.final:
                active.setdefault(str(row["Session Type"]), []).append(len(cycle))
            cycle.append(info)
        users = [str(r["User"]) for r in studio.lists if r.get("User")]
        holidays = frozenset(h["Date"] for h in studio.holidays)  # type: ignore[misc]
        return cls(cycles, active, users, BusinessCalendar(holidays=holidays))


class SharedStrings:
    """The workbook's shared-string table: the template's strings first (their indexes are used by the small
    sheets), then the studio's vocabulary, then three strings per session (client, email, phone) at indexes
    computable from the session's position, so Sessions and Notes never need a dict of a million names."""

    def __init__(self, template_sst: bytes, vocabulary: list[str]):
        text = template_sst.decode("utf-8")
        body = re.search(r"<sst\b[^>]*>(.*)</sst>", text, re.S)
        self.template_items = body[1] if body else ""
        self.template_count = int(re.search(r'\bcount="(\d+)"', text)[1]) if body else 0  # type: ignore[index]
        from xml.etree import ElementTree

        # the template is our own build (xlsxwriter), not user input: the stdlib parser is fine here
        root = ElementTree.fromstring(template_sst)
        existing = ["".join(t.text or "" for t in si.iter(f"{{{MAIN_NS}}}t")) for si in root]
        self.index = {s: i for i, s in reversed(list(enumerate(existing)))}
        self.extra: list[str] = []
        for s in vocabulary:
            if s not in self.index:
                self.index[s] = len(existing) + len(self.extra)
                self.extra.append(s)
        self.session_base = len(existing) + len(self.extra)
        self.references = self.template_count  # grows as the sheets use strings

    def __getitem__(self, s: str) -> int:
        return self.index[s]

    def client(self, i: int) -> int:
        return self.session_base + 3 * i

    def email(self, i: int) -> int:
        return self.session_base + 3 * i + 1

    def phone(self, i: int) -> int:
        return self.session_base + 3 * i + 2


def client_name(rng_value: int, session_type: str, sid: int) -> str:
    first = FIRST_NAMES[rng_value % len(FIRST_NAMES)]
    last = LAST_NAMES[(rng_value // len(FIRST_NAMES)) % len(LAST_NAMES)]
    if session_type == "Wedding":
        partner = FIRST_NAMES[(rng_value // 7) % len(FIRST_NAMES)]
        return f"{first} & {partner} {last} {sid}"
    return f"{first} {last} {sid}"


def email_of(name: str) -> str:
    words = re.sub(r"[^a-z0-9 ]", "", name.lower()).split()
    return f"{words[0]}.{words[-2]}.{words[-1]}@example.com"


def serial(day: dt.date) -> int:
    return (day - EPOCH).days


# --- rows --------------------------------------------------------------------------------------------------------


@dataclass
class Styles:
    """cellXfs indexes of the template's formats, found by format code rather than assumed."""

    date: int
    timestamp: int
    whole: int
    text: int

    @classmethod
    def from_xml(cls, styles_xml: bytes) -> Styles:
        text = styles_xml.decode("utf-8")
        codes = {int(i): c for i, c in re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', text)}
        cell_xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", text, re.S)
        xfs = [int(x) for x in re.findall(r'<xf numFmtId="(\d+)"', cell_xfs[1])] if cell_xfs else []

        def find(want: Callable[[int], bool]) -> int:
            return next(i for i, fmt in enumerate(xfs) if want(fmt))

        return cls(
            date=find(lambda f: codes.get(f) == "yyyy-mm-dd"),
            timestamp=find(lambda f: codes.get(f) == "yyyy-mm-dd hh:mm"),
            whole=find(lambda f: f == 1),
            text=find(lambda f: codes.get(f) == "@"),
        )


@dataclass
class Plan:
    """Per-session facts the Notes sheet reuses (its rows are written after the Sessions sheet)."""

    types: bytearray  # 0 portrait, 1 wedding (by position in Vocabulary.cycles)
    status_pos: bytearray  # index of the current status in its cycle
    status_serial: list[int]


def _sessions_rows(
    n: int,
    pending: int,
    rng: random.Random,
    vocab: Vocabulary,
    sst: SharedStrings,
    st: Styles,
    today: dt.date,
    info: Generated,
    plan: Plan,
    names: list[str],
) -> Iterator[str]:
    """Sessions rows 2..n+1, columns in SPEC order; also fills plan, names and the pending/change ids."""
    cal = vocab.calendar
    type_names = list(vocab.cycles)
    add = lru_cache(maxsize=None)(cal.add_business_days)
    overdue_days = lru_cache(maxsize=None)(cal.days_overdue)
    soon_until = cal.add_business_days(LAST_REFRESH, 2)
    s_yes, s_no, s_next = sst["Yes"], sst["No"], sst["next"]
    s_overdue, s_soon = sst["Overdue"], sst["Due soon"]
    s_type = [sst[t] for t in type_names]
    s_status = {t: [sst[s.description] for s in cycle] for t, cycle in vocab.cycles.items()}
    s_users = [sst[u] for u in vocab.users]
    stride = max(n // max(pending, 1), 1)
    next_mark = stride // 2
    pending_left = pending
    history_days = max(3650, n // 40)  # ~40 sessions a day at most, over ten years or more
    refs = 0
    d, w, tx = st.date, st.whole, st.text
    for i in range(n):
        r = i + 2
        sid = i + 1
        t = 1 if rng.random() < 0.3 else 0
        tname = type_names[t]
        cycle = vocab.cycles[tname]
        final = rng.random() < FINAL_SHARE
        pos = len(cycle) - 1 if final else rng.choice(vocab.active[tname])
        status = cycle[pos]
        if final:
            status_day = today - dt.timedelta(days=8 + int(history_days * (n - i) / n) + rng.randrange(30))
        else:
            status_day = today - dt.timedelta(days=rng.randrange(35))
            while not cal.is_business_day(status_day):
                status_day -= dt.timedelta(days=1)
        if pos == 0:
            session_day = today + dt.timedelta(days=10 + rng.randrange(120))
        else:
            session_day = status_day - dt.timedelta(days=3 + rng.randrange(30))
        manual = not final and rng.random() < MANUAL_SHARE
        if manual:
            due = status_day + dt.timedelta(days=5 + rng.randrange(20))
        elif status.duration is not None:
            due = add(status_day, status.duration)
        else:
            due = None
        flag = days = None
        if due is not None and not status.final:
            if due < LAST_REFRESH:
                flag, days = s_overdue, overdue_days(due, LAST_REFRESH)
            elif due <= soon_until:
                flag = s_soon
        name = client_name(rng.getrandbits(24), tname, sid)
        names.append(name)
        plan.types.append(t)
        plan.status_pos.append(pos)
        plan.status_serial.append(serial(status_day))
        is_pending = False
        if not final and pending_left and i >= next_mark:
            is_pending, pending_left, next_mark = True, pending_left - 1, next_mark + stride
            info.pending_ids.append(sid)
        elif not final and not info.change_id and i >= n // 2 and not manual:
            info.change_id = sid
        cells = [
            f'<c r="A{r}"><v>{sid}</v></c>',
            f'<c r="B{r}" t="s"><v>{sst.client(i)}</v></c>',
            f'<c r="C{r}" t="s"><v>{sst.email(i)}</v></c>',
            f'<c r="D{r}" s="{tx}" t="s"><v>{sst.phone(i)}</v></c>',
            f'<c r="E{r}" t="s"><v>{s_type[t]}</v></c>',
            f'<c r="F{r}" s="{d}"><v>{serial(session_day)}</v></c>',
            f'<c r="G{r}" t="s"><v>{s_status[tname][pos]}</v></c>',
            f'<c r="H{r}" s="{d}"><v>{serial(status_day)}</v></c>',
        ]
        refs += 5
        if due is not None:
            cells.append(f'<c r="I{r}" s="{d}"><v>{serial(due)}</v></c>')
        cells.append(f'<c r="J{r}" t="s"><v>{s_yes if manual else s_no}</v></c>')
        cells.append(f'<c r="K{r}" t="s"><v>{sst[status.user]}</v></c>')
        cells.append(f'<c r="L{r}" t="s"><v>{s_users[rng.randrange(len(s_users))]}</v></c>')
        refs += 3
        if flag is not None:
            cells.append(f'<c r="M{r}" t="s"><v>{flag}</v></c>')
            refs += 1
        if days is not None:
            cells.append(f'<c r="N{r}" s="{w}"><v>{days}</v></c>')
        if is_pending:
            cells.append(f'<c r="O{r}" t="s"><v>{s_next}</v></c>')
            refs += 1
        yield f'<row r="{r}" spans="1:19">{"".join(cells)}</row>'
    sst.references += refs


def _notes_rows(
    rows: int, per_session: int, rng: random.Random, vocab: Vocabulary, sst: SharedStrings, st: Styles, plan: Plan
) -> Iterator[str]:
    """Notes rows 2..rows+1: each session's last `per_session` status changes, oldest first."""
    type_names = list(vocab.cycles)
    s_status = {t: [sst[s.description] for s in cycle] for t, cycle in vocab.cycles.items()}
    durations = {t: [s.duration for s in cycle] for t, cycle in vocab.cycles.items()}
    s_users = [sst[u] for u in vocab.users]
    s_sources = [sst[s] for s in SOURCES]
    s_notes = [sst[s] if s else None for s in NOTE_TEXTS]
    d, ts = st.date, st.timestamp
    refs = 0
    for j in range(rows):
        r = j + 2
        i, k = divmod(j, per_session)
        tname = type_names[plan.types[i]]
        cycle_len = len(s_status[tname])
        # the k-th of the session's last per_session changes ends in its current status
        to_pos = (plan.status_pos[i] - (per_session - 1 - k)) % cycle_len
        from_pos = (to_pos - 1) % cycle_len
        done = plan.status_serial[i] - 7 * (per_session - 1 - k)
        minute = 540 + rng.randrange(540)
        logged = done + minute / 1440
        duration = durations[tname][to_pos]
        cells = [
            f'<c r="A{r}" s="{ts}"><v>{logged!r}</v></c>',
            f'<c r="B{r}"><v>{i + 1}</v></c>',
            f'<c r="C{r}" t="s"><v>{sst.client(i)}</v></c>',
            f'<c r="D{r}" t="s"><v>{s_status[tname][from_pos]}</v></c>',
            f'<c r="E{r}" t="s"><v>{s_status[tname][to_pos]}</v></c>',
            f'<c r="F{r}" s="{d}"><v>{done}</v></c>',
        ]
        refs += 3
        if duration is not None:
            cells.append(f'<c r="G{r}" s="{d}"><v>{done + duration + 2 * (duration // 5)}</v></c>')
        cells.append(f'<c r="H{r}" t="s"><v>{s_users[rng.randrange(len(s_users))]}</v></c>')
        cells.append(f'<c r="I{r}" t="s"><v>{s_sources[rng.randrange(3)]}</v></c>')
        refs += 2
        note = s_notes[rng.randrange(len(s_notes))]
        if note is not None:
            cells.append(f'<c r="J{r}" t="s"><v>{note}</v></c>')
            refs += 1
        yield f'<row r="{r}" spans="1:10">{"".join(cells)}</row>'
    sst.references += refs


# --- the package -------------------------------------------------------------------------------------------------


def _split_sheet(xml: bytes, last_row: int, last_col: str) -> tuple[str, str, str]:
    """(head up to and including <sheetData>, the header row, tail from </sheetData>), dimension grown."""
    text = xml.decode("utf-8")
    text = re.sub(r'(<dimension ref=")[^"]*(")', rf"\g<1>A1:{last_col}{last_row}\g<2>", text, count=1)
    start = text.index("<sheetData>") + len("<sheetData>")
    end = text.index("</sheetData>")
    header = re.search(r'<row r="1"[^>]*>.*?</row>', text[start:end], re.S)
    assert header, "the template's sheet has no header row"
    return text[:start], header[0], text[end:]


def _grow_table(xml: bytes, last_row: int) -> bytes:
    def grow(m: re.Match[str]) -> str:
        return f"{m[1]}{re.sub(r'[0-9]+$', str(last_row), m[2])}{m[3]}"

    text = re.sub(r'(<(?:table|autoFilter)\b[^>]*?\bref=")([^"]+)(")', grow, xml.decode("utf-8"))
    return text.encode("utf-8")


def _attribute(tag: str, name: str) -> str | None:
    m = re.search(rf'(?<![\w:]){re.escape(name)}="([^"]*)"', tag)
    return m[1] if m else None


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part, from workbook.xml and its rels: the template's layout, xlsxwriter's and
    LibreOffice's (attributes in any order, targets relative to xl/ or absolute)."""
    wb = zf.read("xl/workbook.xml").decode()
    rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    targets = {_attribute(tag, "Id"): _attribute(tag, "Target") for tag in re.findall(r"<Relationship\b[^>]*>", rels)}
    parts = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", wb):
        name, rid = _attribute(tag, "name"), _attribute(tag, "r:id")
        target = targets.get(rid) if rid else None
        if name is not None and target:
            parts[name] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return parts


def _table_part(zf: zipfile.ZipFile, sheet_part: str) -> str:
    folder, name = sheet_part.rsplit("/", 1)
    rels = zf.read(f"{folder}/_rels/{name}.rels").decode()
    tables = [tag for tag in re.findall(r"<Relationship\b[^>]*>", rels) if re.search(r'Type="[^"]*/table"', tag)]
    return "xl/" + str(_attribute(tables[0], "Target")).replace("../", "")


def _write_streamed(
    zout: zipfile.ZipFile, name: str, head: str, rows: Iterator[str], tail: str, compresslevel: int
) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = compresslevel  # type: ignore[attr-defined]  # ZipInfo has no public setter before 3.13
    with zout.open(info, "w", force_zip64=True) as out:
        out.write(head.encode("utf-8"))
        batch: list[str] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK_ROWS:
                out.write("".join(batch).encode("utf-8"))
                batch.clear()
        out.write("".join(batch).encode("utf-8"))
        out.write(tail.encode("utf-8"))


def _sst_items(sst: SharedStrings, names: list[str]) -> Iterator[str]:
    yield sst.template_items
    for s in sst.extra:
        yield f"<si><t>{escape(s, quote=False)}</t></si>"
    for i, name in enumerate(names):
        sid = i + 1
        yield (
            f"<si><t>{escape(name, quote=False)}</t></si><si><t>{email_of(name)}</t></si><si><t>555-{sid:07d}</t></si>"
        )


def generate(
    path: Path | str,
    n_sessions: int,
    notes_per_session: int = 5,
    pending: int = 100,
    seed: int = 1,
    today: dt.date = TODAY,
    compresslevel: int = 6,
) -> Generated:
    """Write a studio workbook with n_sessions sessions and up to notes_per_session Notes rows per session.

    One sheet holds at most 1,048,576 rows, so the Notes sheet is capped at 1,047,575 data rows (room left for
    the rows apply and change append); `Generated.notes_capped` says when that happened.
    """
    started = time.perf_counter()
    path = Path(path)
    if not 1 <= n_sessions <= EXCEL_MAX_ROWS - 1:
        raise ValueError(f"n_sessions must be 1..{EXCEL_MAX_ROWS - 1}, Excel's last row")
    wanted_notes = n_sessions * notes_per_session
    notes_rows = min(wanted_notes, EXCEL_MAX_ROWS - 1 - NOTES_HEADROOM)
    info = Generated(
        path=str(path),
        n_sessions=n_sessions,
        notes_per_session=notes_per_session,
        pending=pending,
        seed=seed,
        today=today.isoformat(),
        notes_rows=notes_rows,
        notes_capped=notes_rows < wanted_notes,
    )
    from sheetflow.authoring.template import build_workbook

    buffer = io.BytesIO()
    build_workbook(buffer, sample=True, today=today)
    vocab = Vocabulary.from_sample(today)
    rng = random.Random(seed)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zin:
        parts = _sheet_parts(zin)
        sessions_part, notes_part = parts[SESSIONS.name], parts[NOTES.name]
        styles = Styles.from_xml(zin.read("xl/styles.xml"))
        words = [
            *vocab.cycles,
            *(s.description for c in vocab.cycles.values() for s in c),
            *vocab.users,
            "Yes",
            "No",
            "next",
            "Overdue",
            "Due soon",
            *SOURCES,
            *(t for t in NOTE_TEXTS if t),
        ]
        sst = SharedStrings(zin.read("xl/sharedStrings.xml"), words)
        plan = Plan(types=bytearray(), status_pos=bytearray(), status_serial=[])
        names: list[str] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zout:
            deferred = {sessions_part, notes_part, "xl/sharedStrings.xml"}
            tables = {_table_part(zin, sessions_part): n_sessions + 1, _table_part(zin, notes_part): notes_rows + 1}
            for item in zin.infolist():
                if item.filename in deferred:
                    continue
                data = zin.read(item)
                if item.filename in tables:
                    data = _grow_table(data, tables[item.filename])
                zout.writestr(item, data)
            head, header, tail = _split_sheet(zin.read(sessions_part), n_sessions + 1, "S")
            rows = _sessions_rows(n_sessions, pending, rng, vocab, sst, styles, today, info, plan, names)
            _write_streamed(zout, sessions_part, head + header, rows, tail, compresslevel)
            head, header, tail = _split_sheet(zin.read(notes_part), notes_rows + 1, "J")
            rows = _notes_rows(notes_rows, notes_per_session, rng, vocab, sst, styles, plan)
            _write_streamed(zout, notes_part, head + header, rows, tail, compresslevel)
            # The header rows of Sessions and Notes keep their template string references (counted in
            # template_count); each session adds three unique strings.
            unique = sst.session_base + 3 * n_sessions
            sst.references += 3 * n_sessions  # client, email, phone on Sessions
            sst_head = (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN_NS}" '
                f'count="{sst.references}" uniqueCount="{unique}">'
            )
            _write_streamed(zout, "xl/sharedStrings.xml", sst_head, _sst_items(sst, names), "</sst>", compresslevel)
        tmp.replace(path)
    info.seconds = round(time.perf_counter() - started, 2)
    info.bytes = path.stat().st_size
    sidecar(path).write_text(json.dumps(asdict(info), indent=1))
    return info


# --- other writers ------------------------------------------------------------------------------------------------


def _plain(value: object) -> object:
    """A calamine value as the studio's tool would hand it to xlsxwriter: whole numbers as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows_of(book: object, sheet: str, columns: tuple[str, ...], blank: tuple[str, ...] = ()) -> list[dict]:
    grid = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)  # type: ignore[attr-defined]
    header = [str(c) for c in grid[0]]
    assert tuple(header[: len(columns)]) == columns, header
    at = {c: header.index(c) for c in columns}
    manual = at.get("Manual Due")
    rows = []
    for values in grid[1:]:
        keep_due = manual is not None and values[manual] == "Yes"  # a hand-typed due date is the studio's own
        rows.append(
            {
                c: _plain(values[i])
                for c, i in at.items()
                if values[i] != "" and not (c in blank and not (keep_due and c in ("Due Date", "Manual Due")))
            }
        )
    return rows


def write_with_xlsxwriter(source: Path, path: Path) -> float:
    """The studio in `source` (a sheetflow-shaped book) written again by xlsxwriter, cell by cell, through the
    template's own code (same tables, formats, dropdowns, conditional formats, buttons and small sheets), with
    the columns a first refresh fills left out. Returns xlsxwriter's seconds."""
    from unittest import mock

    from python_calamine import CalamineWorkbook

    from sheetflow.authoring import template

    started = time.perf_counter()
    info = load_sidecar(source)
    assert info is not None, f"{source} has no sidecar"
    today = dt.date.fromisoformat(info.today)
    book = CalamineWorkbook.from_path(str(source))
    studio = template.sample_studio(today)
    studio.sessions = _rows_of(book, SESSIONS.name, SESSIONS.columns, FILLED_BY_REFRESH)
    studio.notes = _rows_of(book, NOTES.name, NOTES.columns)
    del book
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    # build_workbook(sample=True) writes sample_studio(today): hand it this studio instead
    with mock.patch.object(template, "sample_studio", lambda _today: studio):
        template.build_workbook(tmp, sample=True, today=today)
    tmp.replace(path)
    return time.perf_counter() - started


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def resave_with_libreoffice(source: Path, path: Path, timeout: float = 3600) -> float:
    """`source` opened and saved as .xlsx by LibreOffice (headless, a private profile under /tmp, so a desktop
    LibreOffice or another run is never disturbed). Returns LibreOffice's seconds."""
    soffice = soffice_path()
    if soffice is None:
        raise WriterUnavailable("LibreOffice (soffice) is not installed: the libreoffice writer is skipped")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(
        prefix="sheetflow-bench-lo-", dir="/tmp" if Path("/tmp").is_dir() else None
    ) as folder:
        profile, out = Path(folder) / "profile", Path(folder) / "out"
        command = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        produced = out / (source.stem + ".xlsx")
        if not produced.exists():
            raise RuntimeError(
                f"LibreOffice did not convert {source.name} (exit {done.returncode}): "
                f"{(done.stderr or done.stdout)[-500:]}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(produced, path)
    return time.perf_counter() - started


def generate_as(
    writer: str,
    path: Path | str,
    n_sessions: int,
    notes_per_session: int = 5,
    pending: int = 100,
    seed: int = 1,
    today: dt.date = TODAY,
    source: Path | None = None,
    timeout: float = 3600,
) -> Generated:
    """A book of the same studio as generate() makes, written by `writer` (WRITERS). The other writers start
    from the sheetflow-shaped book `source` (generated beside `path` when not given) and keep its sidecar's
    pending and change ids, which hold for the same studio."""
    path = Path(path)
    if writer == SHEETFLOW_SHAPED:
        return generate(path, n_sessions, notes_per_session, pending, seed, today)
    if writer not in WRITERS:
        raise ValueError(f"unknown writer {writer!r}: one of {', '.join(WRITERS)}")
    if writer == "libreoffice" and soffice_path() is None:
        raise WriterUnavailable("LibreOffice (soffice) is not installed: the libreoffice writer is skipped")
    started = time.perf_counter()
    made_source = source is None
    if source is None:
        source = path.with_name(f".{path.stem}-source.xlsx")
    base = load_sidecar(source)
    wanted = Generated(
        path=str(source),
        n_sessions=n_sessions,
        notes_per_session=notes_per_session,
        pending=pending,
        seed=seed,
        today=today.isoformat(),
        notes_rows=0,
        notes_capped=False,
    )
    if base is None or not source.exists() or not base.same_parameters(wanted):
        base = generate(source, n_sessions, notes_per_session, pending, seed, today)
    if writer == "xlsxwriter":
        seconds = write_with_xlsxwriter(source, path)
    else:
        seconds = resave_with_libreoffice(source, path, timeout)
    if made_source:
        source.unlink(missing_ok=True)
        sidecar(source).unlink(missing_ok=True)
    info = Generated(
        **{
            **asdict(base),
            "path": str(path),
            "writer": writer,
            "writer_seconds": round(seconds, 2),
            "seconds": round(time.perf_counter() - started, 2),
            "bytes": path.stat().st_size,
        }
    )
    sidecar(path).write_text(json.dumps(asdict(info), indent=1))
    return info


# --- self-check --------------------------------------------------------------------------------------------------


def check(n: int = 300, pending: int = 20, writer: str = SHEETFLOW_SHAPED) -> None:
    """Generate a small book and read it back with calamine and openpyxl; `sheetflow validate` must find no errors."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "check.xlsx"
        info = generate_as(writer, path, n, pending=pending)
        book = CalamineWorkbook.from_path(str(path))
        sessions = book.get_sheet_by_name("Sessions").to_python()
        notes = book.get_sheet_by_name("Notes").to_python()
        assert tuple(sessions[0]) == SESSIONS.columns, sessions[0]
        assert tuple(notes[0]) == NOTES.columns, notes[0]
        assert len(sessions) == n + 1 and len(notes) == info.notes_rows + 1, (len(sessions), len(notes))
        col = {c: i for i, c in enumerate(SESSIONS.columns)}
        assert [int(r[0]) for r in sessions[1:]] == list(range(1, n + 1))
        assert all(isinstance(r[col["Session Date"]], dt.date) for r in sessions[1:]), "dates must be real dates"
        assert sum(r[col["Change To"]] == "next" for r in sessions[1:]) == pending == len(info.pending_ids)
        clients = [r[col["Client"]] for r in sessions[1:]]
        assert len(set(clients)) == n and len({r[col["Email"]] for r in sessions[1:]}) == n
        assert notes[1][2] == clients[0] and isinstance(notes[1][0], dt.datetime), notes[1]
        if writer == "xlsxwriter":  # the columns a first refresh fills are blank (a hand-set due date excepted)
            for column in ("Flag", "Days Overdue"):
                assert all(r[col[column]] == "" for r in sessions[1:]), column
            assert all(r[col["Manual Due"]] in ("", "Yes") for r in sessions[1:])
        if writer != SHEETFLOW_SHAPED:  # every text a shared string, as both tools write them
            with zipfile.ZipFile(path) as zf:
                xml = zf.read(_sheet_parts(zf)["Sessions"])
            assert b't="inlineStr"' not in xml and b't="s"' in xml
        # openpyxl, read-only (streaming) and in full (tables, styles)
        ro = openpyxl.load_workbook(path, read_only=True)
        ro_rows = [r for r in ro["Sessions"].iter_rows(values_only=True) if any(v is not None for v in r)]
        assert len(ro_rows) == n + 1 and ro_rows[1][1] == clients[0], (len(ro_rows), ro_rows[1])
        assert ro["Notes"].max_row == info.notes_rows + 1, ro["Notes"].max_row
        ro.close()
        full = openpyxl.load_workbook(path)
        assert full["Sessions"].tables["SessionsTable"].ref == f"A1:S{n + 1}"
        assert full["Notes"].tables["NotesTable"].ref == f"A1:J{info.notes_rows + 1}"

        def code(cell: object) -> str:  # LibreOffice escapes the separators: yyyy\-mm\-dd
            return str(cell.number_format).replace("\\", "")  # type: ignore[attr-defined]

        assert code(full["Sessions"]["F2"]) == "yyyy-mm-dd" and full["Sessions"]["F2"].is_date
        assert code(full["Notes"]["A2"]) == "yyyy-mm-dd hh:mm"
        assert code(full["Sessions"]["D2"]) == "@"
        full.close()
        result = subprocess.run(
            [sys.executable, "-m", "sheetflow.cli", "validate", str(path), "--json", "--today", info.today],
            capture_output=True,
            text=True,
            check=False,
        )
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert result.returncode == 0 and report["errors"] == 0, (
            result.returncode,
            result.stdout[-2000:],
            result.stderr[-2000:],
        )
        print(
            f"check ({writer}): {n} sessions, {info.notes_rows} Notes rows, {pending} pending — calamine and "
            f"openpyxl read it back; sheetflow validate: {report['summary']} (exit {result.returncode})"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", type=Path, nargs="?")
    parser.add_argument("n", type=int, nargs="?")
    parser.add_argument("--notes-per-session", type=int, default=5)
    parser.add_argument("--pending", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compresslevel", type=int, default=6, help="zlib level for the big parts (Excel: ~6)")
    parser.add_argument("--check", action="store_true", help="generate a small book and verify it, then exit")
    parser.add_argument(
        "--writer",
        default=SHEETFLOW_SHAPED,
        help=f"who writes the book: {', '.join(WRITERS)} (comma-separated with --check)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="the sheetflow-shaped book another writer starts from (same "
        "parameters; generated beside PATH when not given)",
    )
    parser.add_argument("--today", type=dt.date.fromisoformat, default=TODAY, help="the studio's today")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds LibreOffice may take")
    args = parser.parse_args(argv)
    if args.check:
        for writer in args.writer.split(","):
            try:
                check(writer=writer)
            except WriterUnavailable as exc:
                print(f"check ({writer}): {exc}")
        return
    if args.path is None or args.n is None:
        parser.error("give PATH and N, or --check")
    if args.writer == SHEETFLOW_SHAPED:
        info = generate(
            args.path,
            args.n,
            args.notes_per_session,
            args.pending,
            args.seed,
            args.today,
            compresslevel=args.compresslevel,
        )
    else:
        try:
            info = generate_as(
                args.writer,
                args.path,
                args.n,
                args.notes_per_session,
                args.pending,
                args.seed,
                args.today,
                source=args.source,
                timeout=args.timeout,
            )
        except WriterUnavailable as exc:
            parser.exit(3, f"{exc}\n")
    print(
        f"{info.path}: {info.n_sessions:,} sessions, {info.notes_rows:,} Notes rows"
        f"{' (capped at the sheet size)' if info.notes_capped else ''}, {len(info.pending_ids)} pending, "
        f"written by {info.writer}{f' in {info.writer_seconds:.1f} s' if info.writer_seconds else ''}, "
        f"{info.bytes / 1e6:.1f} MB in {info.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
