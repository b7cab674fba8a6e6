"""Tokens, sessions, rate limits and replies read: what the web inbox and the reply reader keep.

Every secret is stored as a SHA-256 digest only: a copy of the database signs nobody in and
acknowledges nothing. Tokens come from `secrets`: 256 bits for sign-in links, 128 (hex) for
the per-alert tokens that ride in a Reply-To address and in the emails' buttons.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from monitor.store.schema import MailSeenRow, WebAttemptRow, WebSessionRow, WebTokenRow

SIGNIN = "signin"
ALERT = "alert"
ALERT_TOKEN_DAYS = 30  # a reply or a button works this long after the email was sent


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class LinkState(enum.StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class SignIn:
    """What a sign-in link turned out to be; `email` only when `state` is OK."""

    state: LinkState
    email: str | None = None


# ------------------------------------------------------------------ sign-in links


def mint_signin(session: Session, email: str, now: datetime, ttl: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        WebTokenRow(digest=digest(token), purpose=SIGNIN, email=email, created_at=now, expires_at=now + ttl)
    )
    return token


def peek_signin(session: Session, token: str, now: datetime) -> SignIn:
    """What the link is, without using it (the page that asks "sign in?" on GET)."""
    row = session.get(WebTokenRow, digest(token)) if token else None
    if row is None or row.purpose != SIGNIN:
        return SignIn(LinkState.UNKNOWN)
    if row.used_at is not None:
        return SignIn(LinkState.USED)
    if row.expires_at <= now:
        return SignIn(LinkState.EXPIRED)
    return SignIn(LinkState.OK, row.email)


def use_signin(session: Session, token: str, now: datetime) -> SignIn:
    """Use the link once: the row is marked used in the caller's transaction."""
    found = peek_signin(session, token, now)
    if found.state is LinkState.OK:
        row = session.get(WebTokenRow, digest(token))
        assert row is not None
        row.used_at = now
    return found


# ------------------------------------------------------------------ alert tokens (Reply-To and buttons)


def mint_alert_token(session: Session, alert_id: int, now: datetime) -> str:
    """A new token for one send of an alert; every send's token stays valid for ALERT_TOKEN_DAYS."""
    token = secrets.token_hex(16)  # lower-case hex: survives mail systems that fold address case
    session.add(
        WebTokenRow(
            digest=digest(token),
            purpose=ALERT,
            alert_id=alert_id,
            created_at=now,
            expires_at=now + timedelta(days=ALERT_TOKEN_DAYS),
        )
    )
    return token


def alert_token_valid(session: Session, alert_id: int, token: str, now: datetime) -> bool:
    if not token:
        return False
    row = session.get(WebTokenRow, digest(token.lower()))
    return row is not None and row.purpose == ALERT and row.alert_id == alert_id and row.expires_at > now


# ------------------------------------------------------------------ sessions


def open_session(session: Session, email: str, now: datetime, lifetime: timedelta) -> str:
    sid = secrets.token_urlsafe(32)
    session.add(WebSessionRow(digest=digest(sid), email=email, created_at=now, expires_at=now + lifetime))
    return sid


def session_email(session: Session, sid: str, now: datetime) -> str | None:
    row = session.get(WebSessionRow, digest(sid)) if sid else None
    if row is None or row.expires_at <= now:
        return None
    return row.email


def close_session(session: Session, sid: str) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.digest == digest(sid)))


def sweep(session: Session, now: datetime) -> None:
    """Forget expired links, sessions and day-old attempts (called now and then by the web app)."""
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
    session.execute(delete(WebTokenRow).where(WebTokenRow.expires_at <= now - timedelta(days=1)))
    session.execute(delete(WebAttemptRow).where(WebAttemptRow.at <= now - timedelta(days=1)))


# ------------------------------------------------------------------ rate limits


def attempts_since(session: Session, key: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(WebAttemptRow)
            .where(WebAttemptRow.key == digest(key)[:80], WebAttemptRow.at > since)
        )
        or 0
    )


def record_attempt(session: Session, key: str, now: datetime) -> None:
    session.add(WebAttemptRow(key=digest(key)[:80], at=now))


# ------------------------------------------------------------------ replies read


def mail_seen(session: Session, message_key: str) -> bool:
    return session.get(MailSeenRow, digest(message_key)) is not None


def record_mail(session: Session, message_key: str, now: datetime, outcome: str) -> None:
    if not mail_seen(session, message_key):
        session.add(MailSeenRow(digest=digest(message_key), at=now, outcome=outcome[:40]))
