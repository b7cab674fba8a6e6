"""The world the promise suite drives: a real store, a real mail server, a simulated platform.

Shared by the Hypothesis state machine (`test_machine.py`), the scenario tests and
`bench/promises.py`. Everything real that a user meets is real here: the database (SQLite
file or a PostgreSQL schema), SMTP (aiosmtpd on 127.0.0.1, stopped and started again on
the same port) or the outbox directory, the daemon's own job functions, the CLI's erasure.
Only the platform and the clock are simulated.
"""

from __future__ import annotations

import base64
import collections
import email
import email.policy
import json
import logging
import re
import secrets
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa

from alerts import digest as digest_mod
from alerts import mask as masking
from alerts import route, view
from monitor import config as config_mod
from monitor import erasure, health, inbox, pipeline
from monitor.service import Service, Timings
from monitor.store import Store, open_store
from monitor.store import alerts as store_alerts
from monitor.store.schema import AlertItemRow, AlertRow, Base, FindingRow, ItemRow, SetAsideRow
from monitor.types import LABELS, Classification, Finding, TextInput
from monitor.web import create_app
from tests.conftest import FakeClock
from tests.promises.platform import PLATFORMS, Comment, Platform

ACCOUNT = "fake-main"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------ a classifier that quotes, as the real one does


class QuotingClassifier:
    """Deterministic labels from keywords; reasons quote the comment, like the default classifier's."""

    name = "quoting"
    KEYWORDS: ClassVar[dict[str, str]] = {
        "risk_to_life": "end it all",
        "threat": "hurt you",
        "confidentiality_risk": "saw tom",
        "harassment": "idiot",
        "negative_publicity": "waiting list",
        "engagement": "how do i book",
        "spam": "crypto",
    }

    def __init__(self, **_: Any) -> None:
        pass

    def classify(self, inputs: Sequence[TextInput]) -> list[Classification]:
        out = []
        for item in inputs:
            lower = item.text.lower()
            labels = tuple(label for label in LABELS if self.KEYWORDS.get(label, "\0") in lower)
            reasons = {}
            for label in labels:
                at = lower.index(self.KEYWORDS[label])
                reasons[label] = (f'{label.replace("_", " ")} cue: "{item.text[at : at + 70]}"',)
            scores = {label: (0.9 if label in labels else 0.05) for label in (*LABELS, "offensive")}
            out.append(Classification(labels, scores, reasons))
        return out


# ------------------------------------------------------------------ what users type

HOSTILE_STRINGS = (
    "\ud800lone",  # a lone surrogate
    "nul\x00byte",
    "bell\x07\x1b[31mred",
    "\u202eevil\u202c",  # a bidi override
    "zero\u200bwidth",
    "x" * 5000,
    "",
    "javascript:alert(1)",
    "line\r\nbreak: injected",
    "ⓢⓐⓜ",  # homoglyph-ish
    "ÉLODIE Ünal",  # non-ASCII capitals (SQL's lower() only folds ASCII)
)
TEXTS = {
    "plain": "lovely session last night, thanks all",
    "risk": "I can't go on, I want to end it all tonight",
    "threat": "I will hurt you when you lock up",
    "complaint": "the waiting list is a disgrace, nine months",
    "question": "how do i book a first appointment?",
    "insult": "the receptionist is an idiot",
    "spam": "earn thousands with crypto DM me",
}


def confidential_text() -> tuple[str, str, str]:
    """A comment that names someone in therapy: (text, surname, phone); both unique per comment."""
    surname = "Q" + "".join(secrets.choice("aeiouvwxyzrtl") for _ in range(7))
    phone = f"07700 9{secrets.randbelow(100000):05d}"
    return f"Saw Tom {surname} at the thursday anxiety group, ring him on {phone}", surname, phone


@dataclass
class Author:
    handle: str  # as the platform sends it
    name: str | None
    permalink: str | None
    forgotten: bool = False

    @property
    def stored_handle(self) -> str | None:
        """The handle as the MD sees it in an alert (cleaned), i.e. what `monitor forget` is given."""
        from monitor.clean import clean_line

        return clean_line(self.handle)


@dataclass
class Secret:
    """What must never appear in an email: the masked parts of a confidential comment."""

    comment_id: str
    words: tuple[str, ...]


# ------------------------------------------------------------------ the world


@dataclass
class World:
    database: str  # "sqlite" | "postgres"
    transport: str  # "smtp" | "file"
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="promises-")))
    clock: FakeClock = field(default_factory=lambda: FakeClock(START))
    platform: Platform = field(default_factory=Platform)
    authors: list[Author] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # ids, in posting order
    markers: dict[str, str] = field(default_factory=dict)  # comment id -> its unique marker word
    secrets: list[Secret] = field(default_factory=list)
    forgotten_markers: set[str] = field(default_factory=set)
    received: list[bytes] = field(default_factory=list)
    mail_up: bool = True
    poisoned: str | None = None  # a marker the database refuses (a simulated driver rejection)
    errors: list[str] = field(default_factory=list)  # unexpected exceptions logged by jobs
    acted: collections.Counter[str] = field(default_factory=collections.Counter)  # the MD's acts, by channel
    _schema: str | None = None
    _smtp: Any = None
    _port: int = 0
    store: Store = field(init=False)
    service: Service = field(init=False)
    config: config_mod.Config = field(init=False)

    # ---------------------------------------------------------- setting up and tearing down

    def start(self) -> None:
        PLATFORMS["fake-account"] = self.platform
        url = self._database_url()
        self._port = _free_port()
        smtp = (
            f'[smtp]\nhost = "127.0.0.1"\nport = {self._port}\nsecurity = "none"\nallow_insecure = true\n'
            "timeout_seconds = 5\n"
            if self.transport == "smtp"
            else ""
        )
        secret = self.root / "imap-password"
        secret.write_text("unused: the replies are applied directly\n")
        (self.root / "monitor.toml").write_text(
            f"""[monitor]
state_dir = "state"
database = "{url}"

[alerts]
recipients = ["md@example.org"]
deputies = ["deputy@example.org"]
operator = ["ops@example.org"]
sender = "monitor@example.org"
outbox_dir = "mail/outbox"
group_minutes = 5
escalate_after_minutes = 60
max_escalations = 2
give_up_after_hours = 6

[retention]
text_days = 3

[web]
base_url = "http://monitor.example.org"

[imap]
host = "127.0.0.1"
username = "monitor"
password = {{ file = "{secret}" }}
reply_to = "monitor@example.org"
security = "none"
allow_insecure = true

[classifier]
backend = "quoting"

{smtp}
[[accounts]]
name = "{ACCOUNT}"
platform = "fake"
account_id = "fake-account"
interval_minutes = 10
""",
            encoding="utf-8",
        )
        self.config = config_mod.load(self.root / "monitor.toml", environ={})
        if self.transport == "smtp":
            self._smtp_start()
        self._log = _Collector(self.errors)
        logging.getLogger("monitor").addHandler(self._log)
        logging.getLogger("alerts").addHandler(self._log)
        self._open()

    def _database_url(self) -> str:
        if self.database == "sqlite":
            return f"sqlite:///{self.root / 'monitor.db'}"
        from tests.conftest import POSTGRES_URL

        self._schema = f"p_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self._schema}"'))
        admin.dispose()
        sep = "&" if "?" in POSTGRES_URL else "?"
        return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{self._schema}"

    def _open(self) -> None:
        self.store = open_store(self.config.database_url)
        sa.event.listen(self.store.engine, "before_cursor_execute", self._poison)
        ctx = pipeline.Context(self.config, self.store, QuotingClassifier(), self.clock)
        self.service = Service(ctx, timings=Timings())
        with self.store.transaction() as session:
            from monitor.store import accounts

            accounts.ensure(session, [pipeline.account_of(a) for a in self.config.accounts])
        self.service.resume()
        # The web inbox over the same store: the MD's "I'm dealing with it" and "Resolved" buttons.
        self.web = create_app(self.config, self.store, clock=self.clock, send_now=lambda _id: None)

    def _poison(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        """The database refuses any statement carrying the poisoned marker (like a driver's DataError)."""
        if (
            self.poisoned
            and statement.lstrip().upper().startswith("INSERT INTO ITEMS")
            and self.poisoned in repr(params)
        ):
            raise sa.exc.DataError(statement, params, ValueError("simulated: the database refused a value"))

    def restart(self) -> None:
        self.store.close()
        self._open()

    def close(self) -> None:
        logging.getLogger("monitor").removeHandler(self._log)
        logging.getLogger("alerts").removeHandler(self._log)
        self.store.close()
        if self._smtp is not None:
            self._smtp.stop()
        if self._schema:
            from tests.conftest import POSTGRES_URL

            admin = sa.create_engine(POSTGRES_URL)
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{self._schema}" CASCADE'))
            admin.dispose()
        PLATFORMS.pop("fake-account", None)
        shutil.rmtree(self.root, ignore_errors=True)

    # ---------------------------------------------------------- mail

    def _smtp_start(self) -> None:
        from aiosmtpd.controller import Controller

        world = self

        class Inbox:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                world.received.append(bytes(envelope.original_content))
                return "250 OK"

        self._smtp = Controller(Inbox(), hostname="127.0.0.1", port=self._port, ready_timeout=10)
        self._smtp.start()

    def set_mail(self, up: bool) -> None:
        if up == self.mail_up:
            return
        mail = self.root / "mail"
        if self.transport == "smtp":
            if up:
                self._smtp_start()
            else:
                self._smtp.stop()
                self._smtp = None
        elif up:  # the outbox directory is back
            mail.unlink()
            (self.root / "mail.away").rename(mail)
        else:  # the outbox directory cannot be written: a file stands where its parent should be
            if mail.exists():
                mail.rename(self.root / "mail.away")
            else:
                (self.root / "mail.away").mkdir()
            mail.write_text("not a directory")
        self.mail_up = up

    def outbox_files(self) -> list[Path]:
        folders = [self.root / "mail" / "outbox", self.root / "mail.away" / "outbox"]
        return [p for folder in folders if folder.is_dir() for p in sorted(folder.glob("*.eml"))]

    def emails(self) -> list[EmailMessage]:
        raw = self.received + [p.read_bytes() for p in self.outbox_files()]
        return [_parse(data) for data in raw]

    # ---------------------------------------------------------- the platform's users

    def author(self, handle: str, name: str | None, permalink: str | None) -> Author:
        found = Author(f"{handle}_{uuid.uuid4().hex[:8]}", name, permalink)
        self.authors.append(found)
        return found

    def post(self, author: Author, kind: str, minutes_ago: int, hostile: str | None = None) -> str:
        comment_id = f"c{len(self.comments)}-{uuid.uuid4().hex[:6]}"
        marker = "mk" + uuid.uuid4().hex[:10]
        surname = phone = ""
        if kind == "confidential":
            text, surname, phone = confidential_text()
        else:
            text = TEXTS[kind]
        if hostile is not None:
            text = f"{hostile} {text} {hostile}"
        text = f"{text} ref {marker}"
        if kind == "confidential":
            from monitor.clean import clean_text

            parts = masking.mask_with_parts(clean_text(text))[1]
            self.secrets.append(
                Secret(comment_id, tuple(w for w in (surname, phone) if any(w in p for p in parts)))
            )
        self.platform.comments[comment_id] = Comment(
            id=comment_id,
            author=author.handle,
            name=author.name,
            permalink=author.permalink,
            text=text,
            created_at=self.clock.now - timedelta(minutes=minutes_ago),
        )
        self.comments.append(comment_id)
        self.markers[comment_id] = marker
        return comment_id

    def edit(self, comment_id: str, kind: str) -> None:
        c = self.platform.comments[comment_id]
        c.text = f"{TEXTS.get(kind, TEXTS['plain'])} (edited) ref {self.markers[comment_id]}"
        c.updated_at = self.clock.now

    def delete(self, comment_id: str) -> None:
        self.platform.comments[comment_id].deleted_at = self.clock.now

    def of_author(self, author: Author) -> list[str]:
        return [c for c in self.comments if self.platform.comments[c].author == author.handle]

    # ---------------------------------------------------------- what the daemon and the MD do

    def poll(self) -> bool:
        """The daemon's poll job; True when it reached the platform."""
        before = self.platform.requests
        self.service.poll_job(ACCOUNT)
        return self.platform.requests > before

    def rescan(self, days: int) -> None:
        """`monitor scan --since Nd`: everything on the platform again."""
        ctx = self.service.ctx
        pipeline.scan(ctx, since=self.clock.now - timedelta(days=days), one_shot=True)

    def advance(self, minutes: int) -> bool:
        """Time passes with the daemon running: its poll (every 10 min) and housekeeping jobs run.

        Returns whether a poll reached the platform.
        """
        self.clock.advance(minutes=minutes)
        self.service.heartbeat_job()
        reached = self.poll() if minutes >= 10 else False
        self.service.escalate_job()
        self.service.deliver_job()
        return reached

    def forget(self, author: Author) -> erasure.Erased:
        handle = author.stored_handle
        assert handle is not None
        done = erasure.forget(self.store, self.config, handle, self.clock.now)
        author.forgotten = True
        self.forgotten_markers |= {self.markers[c] for c in self.of_author(author)}
        return done

    def open_alerts(self) -> list[int]:
        with self.store.transaction() as s:
            return [r.id for r in store_alerts.listing(s, states=("pending", "sent"), limit=500)]

    def act(self, alert_id: int, resolve: bool, channel: str = "store") -> str | None:
        """The MD acknowledges or resolves an alert: in the store (as `monitor alerts` does), by
        replying to its newest email, or with that email's button (the confirm page, POST).
        Returns the channel used (the store when no email of the alert exists yet), or None."""
        self.acted[f"asked by {channel}"] += 1
        with self.store.transaction() as s:
            row = store_alerts.get(s, alert_id)
            if row is None or row.state in ("resolved", "dismissed") or (not resolve and row.acked_at):
                return None
        sent = self.alert_email(alert_id) if channel != "store" else None
        if sent is None:
            with self.store.transaction() as s:
                row = store_alerts.get(s, alert_id)
                assert row is not None
                if resolve:
                    store_alerts.resolve(s, row, self.clock.now, "md", "dealt with")
                else:
                    store_alerts.acknowledge(s, row, self.clock.now, "md", "on it")
            self.acted["store"] += 1
            return "store"
        if channel == "reply":
            outcome = inbox.apply(self.store, self.config, self.clock.now, self._reply(sent, resolve))
            assert outcome in ("acknowledge", "resolve"), f"the MD's reply to alert {alert_id}: {outcome}"
            self.acted["reply"] += 1
            return channel
        action = "resolve" if resolve else "ack"
        found = re.search(
            rf"http://monitor\.example\.org(/a/{alert_id}/{action}\?t=[0-9a-f]+)", text_of(sent)
        )
        assert found, f"alert {alert_id}'s email has no {action} button"
        with self.web.test_client() as browser:
            page = browser.get(found.group(1))
            assert page.status_code == 200, f"alert {alert_id}'s {action} button: {page.status_code}"
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
            assert token, "the confirm page has no form"
            done = browser.post(found.group(1), data={"csrf_token": token.group(1), "note": "on it"})
            assert done.status_code == 200, f"alert {alert_id}'s {action} confirm: {done.status_code}"
        self.acted["button"] += 1
        return channel

    def alert_email(self, alert_id: int) -> EmailMessage | None:
        """The newest email of an alert (to the MD or a deputy), by its reply address."""
        return self.alert_emails().get(alert_id)

    def alert_emails(self) -> dict[int, EmailMessage]:
        """Every alert's newest email, by alert id, from one pass over what was sent and written."""
        newest: dict[int, EmailMessage] = {}
        for message in self.emails():
            tagged = re.search(r"monitor\+a(\d+)-", str(message.get("Reply-To", "")))
            if tagged:
                newest[int(tagged.group(1))] = message
        return newest

    def _reply(self, sent: EmailMessage, resolve: bool) -> bytes:
        reply = EmailMessage()
        reply["From"] = "Amara <md@example.org>"
        reply["To"] = str(sent["Reply-To"])
        reply["Subject"] = f"Re: {sent['Subject']}"
        reply["Message-ID"] = f"<{uuid.uuid4().hex}@phone.example.org>"
        reply["In-Reply-To"] = str(sent["Message-ID"])
        reply.set_content(("Resolved, spoke to them." if resolve else "On it.") + "\n\n> (quoted alert)\n")
        return reply.as_bytes()

    def digest(self) -> None:
        digest_mod.send_weekly(self.store, self.config, self.clock.now)

    # ---------------------------------------------------------- looking at everything

    def problems(self) -> tuple[str, ...]:
        return health.collect(self.config, self.store, self.clock.now).problems

    def shown(self) -> list[str]:
        """`monitor alerts show ID --json` and the text view, for every alert."""
        from click.testing import CliRunner

        from monitor.cli import cli

        out = []
        with self.store.transaction() as s:
            ids = [r.id for r in store_alerts.listing(s, kinds=("alert",), limit=1000)]
        runner = CliRunner()
        for alert_id in ids[-3:]:  # the newest few: the CLI costs a process start's worth of work
            for extra in ([], ["--json"]):
                result = runner.invoke(
                    cli, ["-c", str(self.root / "monitor.toml"), "alerts", "show", str(alert_id), *extra]
                )
                out.append(result.output)
        return out

    def stored_text(self) -> str:
        """Every value in every table, as text (digests' queued emails decoded)."""
        chunks: list[str] = []
        with self.store.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    for value in row:
                        if isinstance(value, dict) and "eml_b64" in value:
                            chunks.append(_text_of(_parse(base64.b64decode(value["eml_b64"]))))
                        chunks.append(
                            json.dumps(value, default=str, ensure_ascii=False)
                            if not isinstance(value, str)
                            else value
                        )
        return "\n".join(chunks)

    def must_email(self) -> list[tuple[int, str]]:
        """Stored items whose findings routing says must be emailed: (item id, severity)."""
        out = []
        with self.store.transaction() as s:
            findings: dict[int, list[Finding]] = {}
            for f in s.scalars(sa.select(FindingRow)):
                findings.setdefault(f.item_id, []).append(Finding(f.label, f.score, ()))
            for item in s.scalars(sa.select(ItemRow).where(ItemRow.id.in_(list(findings)))):
                found = findings[item.id]
                if item.author_is_org:
                    found = [f for f in found if f.label == "confidentiality_risk"]
                verdict = route.severity_of(self.config, found)
                if verdict is not None:
                    out.append((item.id, verdict[0].value))
        return out

    def alerts_of(self, item_id: int) -> list[AlertRow]:
        with self.store.transaction() as s:
            return list(
                s.scalars(
                    sa.select(AlertRow)
                    .join(AlertItemRow, AlertItemRow.alert_id == AlertRow.id)
                    .where(AlertItemRow.item_id == item_id)
                )
            )

    def sent_alerts(self) -> list[tuple[AlertRow, tuple[view.Section, ...], bool]]:
        """Alerts delivered at least once: the row, its sections now, and whether its items are
        unchanged since it was sent (no edit re-classified them, no erasure trimmed it)."""
        from monitor.store import alerts as q

        out = []
        with self.store.transaction() as s:
            for row in q.listing(s, kinds=("alert",), limit=1000):
                if row.sent_at is None:
                    continue
                entries = q.items_of(s, row.id)
                trimmed = any(e.action in ("trimmed", "erased") for e in q.events_of(s, row.id))
                unchanged = not trimmed and all(
                    e.item.classified_at is not None
                    and e.item.classified_at <= row.sent_at
                    and (e.item.edited_at is None or e.item.edited_at < row.sent_at)
                    for e in entries
                )
                out.append((row, view.sections_of(row, entries, self.config), unchanged))
        return out

    def describe(self, alert_id: int) -> str:
        from monitor.store import alerts as q

        with self.store.transaction() as s:
            lines = [
                f"item {e.item.id} classified {e.item.classified_at} edited {e.item.edited_at} "
                f"labels {[f.label for f in e.findings]} at {[str(f.created_at) for f in e.findings]}"
                for e in q.items_of(s, alert_id)
            ]
            lines += [f"{e.at} {e.action} {e.note}" for e in q.events_of(s, alert_id)]
        return "; ".join(lines)

    def items_in(self, alert_id: int) -> list[int]:
        with self.store.transaction() as s:
            return list(s.scalars(sa.select(AlertItemRow.item_id).where(AlertItemRow.alert_id == alert_id)))

    def set_aside(self) -> list[SetAsideRow]:
        with self.store.transaction() as s:
            return list(s.scalars(sa.select(SetAsideRow)))

    def stored_ids(self) -> dict[str, ItemRow]:
        with self.store.transaction() as s:
            return {r.external_id: r for r in s.scalars(sa.select(ItemRow))}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, _class=EmailMessage, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _text_of(msg: EmailMessage) -> str:
    parts = [str(msg["Subject"] or "")]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def text_of(msg: EmailMessage) -> str:
    return _text_of(msg)


def emails_text(world: World) -> Iterator[tuple[str, str]]:
    for msg in world.emails():
        yield str(msg["Message-ID"]), _text_of(msg)


class _Collector(logging.Handler):
    """Unexpected exceptions that a job's isolation swallowed: a promise suite must see them."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and not re.search(r"simulated", record.getMessage() + str(record.exc_info[1])):
            self.errors.append(f"{record.name}: {record.getMessage()}: {record.exc_info[1]!r}")


def masked_view_sample(world: World) -> list[view.AlertView]:
    from monitor.store import alerts as q

    views = []
    with world.store.transaction() as s:
        for row in q.listing(s, kinds=("alert",), limit=1000):
            views.append(view.from_rows(row, q.items_of(s, row.id), world.config))
    return views
