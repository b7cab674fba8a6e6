"""Acknowledge by replying: read the replies mailbox over IMAP and apply what the replies say.

`alerts.replies` decides what one message means; this module fetches the messages, checks
each reply's token in the store, acknowledges or resolves through the store (the audit trail
says "by email" and who), and queues a confirmation in the reply's own thread.

A message is handled once: its Message-ID (hashed) is recorded in the same transaction as
the change, and the message gets `\\Seen` and the keyword `$MonitorDone` in the mailbox. If
the mailbox forgets the keyword, the record still stops a second application (restarts too).

`watch` holds one IMAP connection for up to `imap.poll_seconds`, in IDLE when the server
offers it (a reply is applied within seconds), else it checks once; the daemon calls it again
as soon as it returns, so with or without IDLE a reply is applied within one poll.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alerts import outbox, replies
from monitor.config import Config, ImapConfig
from monitor.errors import MailboxError
from monitor.store import Store
from monitor.store import alerts as store_alerts
from monitor.store import web as store_web
from monitor.store.schema import AlertRow

log = logging.getLogger(__name__)

KEYWORD = b"$MonitorDone"
FETCH_BATCH = 50
IDLE_SLICE = 5.0  # seconds per IDLE wait, so a stop request is honoured quickly


@dataclass(frozen=True)
class Checked:
    applied: int = 0  # acknowledgements and resolutions
    ignored: int = 0  # forged, automatic, stale or repeated messages


def allowed_senders(config: Config) -> frozenset[str]:
    """The MD and the deputies: the only people whose replies act."""
    return frozenset(p.email for p in config.people if p.role in ("md", "deputy"))


def apply(store: Store, config: Config, now: datetime, raw: bytes) -> str:
    """Handle one message; return what happened (for the log and the tests)."""
    imap = config.imap
    assert imap is not None
    decision = replies.read(raw, reply_to=imap.reply_to, allowed=allowed_senders(config))
    with store.transaction() as session:
        if store_web.mail_seen(session, decision.key):
            return "already handled"
        if isinstance(decision, replies.Ignored):
            store_web.record_mail(session, decision.key, now, f"ignored: {decision.reason}")
            log.warning("a message in the replies mailbox was ignored: %s", decision.reason)
            return f"ignored: {decision.reason}"
        row = store_alerts.get(session, decision.alert_id)
        if (
            row is None
            or row.kind != "alert"
            or not store_web.alert_token_valid(session, decision.alert_id, decision.token, now)
        ):
            store_web.record_mail(session, decision.key, now, "ignored: bad token")
            log.warning("a reply for alert %d was ignored: its token is not valid", decision.alert_id)
            return "ignored: bad token"
        person = config.person(decision.sender)
        actor = f"{person.name if person else decision.sender} <{decision.sender}> (by email)"
        outcome = _act(session, row, decision, now, actor)
        message = replies.confirmation(
            decision,
            sender=config.alerts.sender,
            organisation=config.organisation,
            outcome=outcome,
            reply_to=replies.reply_address(imap.reply_to, decision.alert_id, decision.token),
        )
        outbox.enqueue_message(
            session,
            kind="confirmation",
            key=f"confirmation:{store_web.digest(decision.key)}",
            severity="high",
            category="reply",
            message=message,
            now=now,
            about={"alert_id": str(decision.alert_id)},
        )
        store_web.record_mail(session, decision.key, now, decision.action.value)
    log.info("alert %d: %s by email", decision.alert_id, decision.action.value)
    return decision.action.value


def _act(session: Session, row: AlertRow, reply: replies.Reply, now: datetime, actor: str) -> str:
    if reply.action is replies.Action.RESOLVE:
        if row.state == "resolved":
            return f"Alert #{row.id} was already resolved by {row.resolved_by}."
        store_alerts.resolve(session, row, now, actor, reply.note)
        return f"Alert #{row.id} is now resolved, by you, by email. Thank you."
    if row.acked_at is not None or row.state in ("resolved", "dismissed"):
        store_alerts.add_event(session, row.id, now, actor, "noted", reply.note)
        return (
            f"Alert #{row.id} was already acknowledged by {row.acked_by}; your note is added to its record."
        )
    store_alerts.acknowledge(session, row, now, actor, reply.note)
    return f"Alert #{row.id} is acknowledged, by you, by email: it will not be sent again to the deputies."


# ------------------------------------------------------------------ the mailbox


@contextmanager
def connect(settings: ImapConfig) -> Iterator[Any]:
    """A logged-in IMAP connection with the replies folder selected. Errors become MailboxError."""
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError

    context = ssl.create_default_context(cafile=settings.ca_file)
    try:
        client = IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.security == "tls",
            ssl_context=context,
            timeout=settings.timeout_seconds,
        )
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        raise MailboxError(
            f"cannot reach {settings.host}:{settings.port}: {exc.__class__.__name__}: {exc}"
        ) from exc
    try:
        try:
            if settings.security == "starttls":
                client.starttls(context)
            client.login(settings.username, settings.password.reveal())
            client.select_folder(settings.mailbox)
        except IMAPClientError as exc:
            # The server's words may echo what was sent: only the class and the user are named.
            raise MailboxError(
                f"{settings.host}: login as {settings.username} or opening {settings.mailbox!r} "
                f"failed ({exc.__class__.__name__}); check the [imap] settings"
            ) from None
        yield client
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        raise MailboxError(f"{settings.host}: {exc.__class__.__name__}: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):  # a broken connection needs no goodbye
            client.logout()


def check(store: Store, config: Config, clock: Callable[[], datetime], client: Any) -> Checked:
    """Apply every message not yet handled in the selected folder, then mark it handled."""
    applied = ignored = 0
    uids = client.search(["UNKEYWORD", KEYWORD.decode(), "NOT", "DELETED"])
    for start in range(0, len(uids), FETCH_BATCH):
        batch = uids[start : start + FETCH_BATCH]
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        for uid in batch:
            raw = fetched.get(uid, {}).get(b"BODY[]")
            if isinstance(raw, bytes):
                outcome = apply(store, config, clock(), raw)
                if outcome in ("acknowledge", "resolve"):
                    applied += 1
                else:
                    ignored += 1
            client.add_flags([uid], [b"\\Seen", KEYWORD])
    return Checked(applied, ignored)


def check_once(store: Store, config: Config, clock: Callable[[], datetime]) -> Checked:
    assert config.imap is not None
    with connect(config.imap) as client:
        return check(store, config, clock, client)


def watch(
    store: Store,
    config: Config,
    clock: Callable[[], datetime],
    stop: threading.Event,
    after: Callable[[Checked], None] = lambda _: None,
) -> Checked:
    """One poll period (`imap.poll_seconds`): check, then IDLE if the server offers it, else
    wait (disconnected). Returns early when `stop` is set."""
    assert config.imap is not None
    deadline = time.monotonic() + config.imap.poll_seconds
    with connect(config.imap) as client:
        total = _add(Checked(), check(store, config, clock, client), after)
        idle = b"IDLE" in client.capabilities()
        while idle and not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            client.idle()
            try:
                news = client.idle_check(timeout=min(IDLE_SLICE, left))
            except TimeoutError:
                news = []
            finally:
                client.idle_done()
            if news:
                total = _add(total, check(store, config, clock, client), after)
    if not idle:
        stop.wait(max(0.0, deadline - time.monotonic()))
    return total


def _add(total: Checked, done: Checked, after: Callable[[Checked], None]) -> Checked:
    if done.applied or done.ignored:
        after(done)
    return Checked(total.applied + done.applied, total.ignored + done.ignored)
