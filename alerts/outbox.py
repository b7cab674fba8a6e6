"""Deliver queued emails: SMTP when configured, else `.eml` files in the outbox directory.

The transactional outbox: alert rows are written with their findings (`alerts.route`);
this sender delivers them later, one at a time, each in its own transactions:

    claim (count the attempt, set the next retry time)   commit
    send (SMTP or file)                                   no transaction held
    mark sent                                             commit

A sender killed after the server accepted a message but before "mark sent" sends it
again later with the same Message-ID (it is derived from the alert), so the copy is
recognisably the same email. A message that cannot be rendered is marked failed at once
(after trying a template-free fallback); one that cannot be sent is retried with
exponential backoff and jitter until `give_up_after_hours`, then marked failed, logged at
CRITICAL, reported to the operator and shown by `monitor status`. Nothing in the queue
ever blocks the messages behind it.
"""

from __future__ import annotations

import base64
import email
import email.policy
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path

from sqlalchemy.orm import Session

from alerts import notices, render, replies, view
from alerts.smtp import FileTransport, MessageRefused, SmtpTransport, Transport
from monitor.config import Config
from monitor.errors import DeliveryError
from monitor.store import Store
from monitor.store import alerts as store_alerts
from monitor.store import web as store_web
from monitor.store.schema import AlertRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    message: EmailMessage
    envelope: render.Envelope
    name: str  # e.g. "000042-0-urgent-threat": the .eml file name and the log label


def transport_for(config: Config) -> Transport:
    return SmtpTransport(config.smtp) if config.smtp is not None else FileTransport(config.outbox_dir)


def retry_delay(attempts: int, severity: str) -> timedelta:
    """Exponential backoff with jitter: 1, 2, 4 … minutes, capped (urgent: 10 min, else 60)."""
    cap = 600.0 if severity == "urgent" else 3600.0
    ceiling = min(cap, 60.0 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def deliver_due(store: Store, config: Config, now: datetime, *, transport: Transport | None = None) -> int:
    """Send every email that is due; return how many were delivered."""
    transport = transport or transport_for(config)
    sent, tried = 0, set[int]()
    for _ in range(3):  # later passes send what the first queued or released (notices, failed emails)
        with store.transaction() as session:
            due = [i for i in store_alerts.due_ids(session, now) if i not in tried]
        if not due:
            break
        for alert_id in due:
            tried.add(alert_id)
            try:
                outcome = deliver_one(store, config, now, alert_id, transport)
            except Exception:  # a bug with one message never blocks the ones behind it
                log.exception("alert %d: unexpected error while delivering; it will be retried", alert_id)
                continue
            if outcome is True:
                sent += 1
                if sent == 1:  # mail works: what was given up on goes now, whatever happened before
                    with store.transaction() as session:
                        released = store_alerts.release_failed(session, now)
                    if released:
                        log.warning(
                            "mail is being delivered again: retrying %d failed email(s) now", released
                        )
            elif isinstance(outcome, datetime):
                # The mail server is unavailable: hold the whole queue until the same time,
                # so that after an outage the alerts leave in the order they were raised.
                with store.transaction() as session:
                    store_alerts.defer_due(session, now, outcome)
                return sent
    return sent


def release_failed(store: Store, now: datetime) -> int:
    """Retry every failed email now (at daemon start: the cause may have been fixed)."""
    with store.transaction() as session:
        return store_alerts.release_failed(session, now)


def deliver_one(
    store: Store, config: Config, now: datetime, alert_id: int, transport: Transport
) -> bool | datetime:
    """Send one email: True when delivered; the retry time when the server is unavailable."""
    with store.transaction() as session:
        row = store_alerts.get(session, alert_id)
        if row is None:
            return False
        row = store_alerts.claim(session, alert_id, now, now + retry_delay(row.attempts + 1, row.severity))
        if row is None:
            return False
        try:
            prepared = prepare(session, config, row)
        except Exception as exc:  # a poison message: fail it, loudly, and move on
            log.exception("alert %d cannot be rendered", alert_id)
            _give_up(session, config, row, now, f"cannot be rendered: {exc.__class__.__name__}: {exc}", None)
            return False
        severity, kind, attempts, was_failed = row.severity, row.kind, row.attempts, row.state == "failed"
    try:
        transport.send(
            prepared.message,
            sender=prepared.envelope.sender,
            recipients=prepared.envelope.recipients,
            name=prepared.name,
        )
    except DeliveryError as exc:
        retry_at = now + retry_delay(attempts, severity)
        with store.transaction() as session:
            row = store_alerts.get(session, alert_id)
            if row is None:
                return False
            if was_failed:  # already reported: keep trying quietly at the slow pace
                store_alerts.mark_retry(session, alert_id, now, str(exc), retry_at)
                log.warning("%s %d (%s, failed) still not delivered: %s", kind, alert_id, severity, exc)
            elif isinstance(exc, MessageRefused) or _too_old(row, config, now):
                _give_up(session, config, row, now, str(exc), retry_at)
                return False  # the emails behind it are tried (and, if as old, given up on) too
            else:
                store_alerts.mark_retry(session, alert_id, now, str(exc), retry_at)
                log.error(
                    "%s %d (%s) not delivered via %s (attempt %d): %s; retrying at %s",
                    kind,
                    alert_id,
                    severity,
                    transport.description,
                    attempts,
                    exc,
                    retry_at.isoformat(timespec="seconds"),
                )
        return False if isinstance(exc, MessageRefused) else retry_at
    with store.transaction() as session:
        store_alerts.mark_sent(
            session, alert_id, now, prepared.envelope.message_id, prepared.envelope.in_reply_to
        )
    if was_failed:
        log.warning("%s %d (%s) delivered after it had been given up on", kind, alert_id, severity)
    else:
        log.info("%s %d (%s) delivered via %s", kind, alert_id, severity, transport.description)
    return True


def _too_old(row: AlertRow, config: Config, now: datetime) -> bool:
    starts = [row.created_at, row.last_escalated_at]
    requeued = (row.payload or {}).get("requeued_at")
    if isinstance(requeued, str):
        starts.append(datetime.fromisoformat(requeued))
    since = max(s for s in starts if s is not None)
    return now - since >= timedelta(hours=config.alerts.give_up_after_hours)


def _give_up(
    session: Session, config: Config, row: AlertRow, now: datetime, error: str, retry_at: datetime | None
) -> None:
    store_alerts.mark_failed(session, row.id, now, error, retry_at)
    log.critical(
        "%s %d (%s %s, %s) could not be delivered and is marked failed after %d attempt(s): %s. "
        "It is still retried, and goes out as soon as mail works again. "
        "See `monitor alerts show %d`; after fixing the cause, `monitor alerts retry %d` sends it now.",
        row.kind,
        row.id,
        row.severity,
        row.category,
        row.account or "-",
        row.attempts,
        error,
        row.id,
        row.id,
    )
    if row.kind != "operator":
        notices.queue(
            session,
            config,
            now,
            topic="failed",
            account=row.account,
            message=f"{row.kind.capitalize()} #{row.id} ({row.severity} {row.category}) could not be "
            f"delivered: {error}. It is still retried"
            + (" every few minutes and goes out as soon as mail works again." if retry_at else "."),
            key=f"operator:failed:{row.id}:{row.attempts}",
        )


# ------------------------------------------------------------------ building the message


def file_name(row: AlertRow, escalations: int | None = None) -> str:
    """The `.eml` name in the outbox directory: `000042-0-urgent-threat` (id, send number, what)."""
    return f"{row.id:06d}-{row.escalations if escalations is None else escalations}-{row.severity}-{row.category}"


def prepare(session: Session, config: Config, row: AlertRow, *, escalations: int | None = None) -> Prepared:
    """Build the email for `row` (as its `escalations`-th send; default: the current one)."""
    sender = config.alerts.sender
    date = max(d for d in (row.created_at, row.due_at, row.last_escalated_at) if d is not None)
    sends = row.escalations if escalations is None else escalations
    name = file_name(row, sends)
    if "eml_b64" in (row.payload or {}):
        return _prebuilt(config, row, name, date)
    env = render.Envelope(
        sender=sender,
        to=config.alerts.recipients,
        message_id=render.message_id(row.key, row.created_at, sends, sender),
        date=date,
    )
    if row.kind == "operator":
        env = replace(env, to=config.alerts.operator or config.alerts.recipients)
        return Prepared(render.render_notice(view.from_rows(row, [], config), config, env), env, name)
    references = _references(session, row, sender, sends)
    links = action_links(session, config, row.id, date)
    env = replace(
        env,
        cc=tuple(d for d in config.alerts.deputies if d not in env.to) if sends else (),
        references=references,
        in_reply_to=references[-1] if references else None,
        reply_to=links[1],
    )
    shown = view.from_rows(row, store_alerts.items_of(session, row.id), config, escalations=sends)
    try:
        message = render.render_alert(shown, config, env, links[0])
    except Exception as exc:
        log.error("alert %d: template failed (%s); sending the plain fallback", row.id, exc)
        message = render.fallback(shown, config, env, f"{exc.__class__.__name__}: {exc}", links[0])
    return Prepared(message, env, name)


def action_links(
    session: Session, config: Config, alert_id: int, now: datetime
) -> tuple[render.Links, str | None]:
    """The buttons and the tagged Reply-To of one send, with a new token (kept hashed) when
    the web inbox has a public address or replies are read; else no links and no Reply-To."""
    base = (config.web.base_url or "").rstrip("/")
    if not base and config.imap is None:
        return render.Links(), None
    token = store_web.mint_alert_token(session, alert_id, now)
    reply_to = replies.reply_address(config.imap.reply_to, alert_id, token) if config.imap else None
    links = render.Links(
        ack_url=f"{base}/a/{alert_id}/ack?t={token}" if base else None,
        resolve_url=f"{base}/a/{alert_id}/resolve?t={token}" if base else None,
        inbox_url=f"{base}/alerts/{alert_id}" if base else None,
        reply=reply_to is not None,
    )
    return links, reply_to


def _references(session: Session, row: AlertRow, sender: str, sends: int) -> tuple[str, ...]:
    """Earlier emails in this thread, oldest first: earlier alerts, then this alert's earlier sends."""
    ids = [
        earlier.message_id or render.message_id(earlier.key, earlier.created_at, earlier.escalations, sender)
        for earlier in (
            store_alerts.thread_alerts_before(session, row.thread_key, row.id) if row.thread_key else []
        )
        if earlier.sent_at is not None
    ]
    ids += [render.message_id(row.key, row.created_at, n, sender) for n in range(sends)]
    return tuple(dict.fromkeys(ids))


def _prebuilt(config: Config, row: AlertRow, name: str, date: datetime) -> Prepared:
    raw = base64.b64decode(str(row.payload["eml_b64"]))
    message = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return _addressed(config, row, message, name, date)


def _addressed(config: Config, row: AlertRow, message: EmailMessage, name: str, date: datetime) -> Prepared:
    sender = config.alerts.sender
    if not message["From"]:
        message["From"] = sender
    if not message["Message-ID"]:
        message["Message-ID"] = render.message_id(row.key, row.created_at, 0, sender)
    if not message["Date"]:
        message["Date"] = format_datetime(date)
    to = _addresses(message.get_all("To", []) + message.get_all("Cc", []))
    bcc = _addresses(message.get_all("Bcc", []))
    del message["Bcc"]
    if not to and not bcc:
        to = config.digest.recipients or config.alerts.recipients
        message["To"] = ", ".join(to)
    env = render.Envelope(sender=sender, to=(*to, *bcc), message_id=str(message["Message-ID"]), date=date)
    return Prepared(message, env, name)


def _addresses(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(addr for _, addr in getaddresses([str(v) for v in values]) if addr)


def enqueue_message(
    session: Session,
    *,
    kind: str,
    key: str,
    severity: str,
    category: str,
    message: EmailMessage,
    now: datetime,
    about: dict[str, str] | None = None,
) -> int | None:
    """Queue a prebuilt email (e.g. the digest) for the same sender; a repeated `key` is ignored.

    Runs in the caller's transaction. The message's own To/Cc/Bcc are its recipients
    (default: digest.recipients, else alerts.recipients); a missing Message-ID, From or
    Date is filled in when it is sent. Returns the new row's id (None for a repeated key).
    """
    if store_alerts.exists(session, key):
        return None
    row = store_alerts.add_alert(
        session,
        AlertRow(
            key=key,
            kind=kind,
            severity=severity,
            category=category,
            account=None,
            thread_key=None,
            state="pending",
            created_at=now,
            due_at=now,
            attempts=0,
            escalations=0,
            payload={**(about or {}), "eml_b64": base64.b64encode(bytes(message)).decode("ascii")},
        ),
    )
    return row.id


# ------------------------------------------------------------------ copies in the outbox directory


def copies(folder: Path, alert_id: int) -> list[Path]:
    """The `.eml` files written for one alert (one per send: the first and each escalation)."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{alert_id:06d}-*.eml"))


def remove_copies(folder: Path, alert_ids: Sequence[int]) -> int:
    removed = 0
    for alert_id in alert_ids:
        for path in copies(folder, alert_id):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def rewrite_prebuilt(store: Store, config: Config, alert_id: int, message: EmailMessage) -> int:
    """Rewrite the `.eml` copies of a prebuilt email (a digest) with `message`, addressed as before."""
    paths = copies(config.outbox_dir, alert_id)
    if not paths:
        return 0
    with store.transaction() as session:
        row = store_alerts.get(session, alert_id)
        if row is None:
            return 0
        date = max(d for d in (row.created_at, row.due_at, row.last_escalated_at) if d is not None)
        prepared = _addressed(config, row, message, file_name(row), date)
    FileTransport(config.outbox_dir).send(
        prepared.message, sender=prepared.envelope.sender, recipients=(), name=prepared.name
    )
    return 1


def rewrite_copies(store: Store, config: Config, alert_ids: Sequence[int]) -> int:
    """Write each alert's `.eml` copies again from what is stored now (after an erasure request).

    Each copy keeps its file name, Message-ID and date; only what it quotes changes.
    """
    rewritten = 0
    files = FileTransport(config.outbox_dir)
    for alert_id in alert_ids:
        paths = copies(config.outbox_dir, alert_id)
        if not paths:
            continue
        with store.transaction() as session:
            row = store_alerts.get(session, alert_id)
            if row is None or row.kind != "alert":
                continue
            prepared = []
            for path in paths:
                sends = path.name.split("-")[1]
                prepared.append(
                    prepare(session, config, row, escalations=int(sends) if sends.isdigit() else 0)
                )
        for copy in prepared:
            files.send(
                copy.message, sender=copy.envelope.sender, recipients=copy.envelope.recipients, name=copy.name
            )
            rewritten += 1
    return rewritten
