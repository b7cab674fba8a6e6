"""Database tables. Changes go through a migration in `monitor/migrations/versions/`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        from datetime import UTC

        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class AccountRow(Base):
    """One watched account and its health: what `monitor status` and the digest show."""

    __tablename__ = "accounts"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    platform: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[str] = mapped_column(String(200))
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None]  # rate limit or backoff: do not poll before this
    needs_attention: Mapped[str | None] = mapped_column(Text)  # e.g. an expired token
    next_poll_at: Mapped[datetime | None]


class MarkRow(Base):
    """High-water mark per account and stream: time and id, never a platform cursor."""

    __tablename__ = "marks"
    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    stream: Mapped[str] = mapped_column(String(50), primary_key=True)
    time: Mapped[datetime | None]
    mark_id: Mapped[str | None] = mapped_column(String(200))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class ItemRow(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_items_platform_external_id"),
        Index("ix_items_pending", "classified_at"),
        Index("ix_items_created", "created_at"),
        Index("ix_items_author", "platform", "author_handle"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(300))
    account: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    post_id: Mapped[str | None] = mapped_column(String(300))
    parent_id: Mapped[str | None] = mapped_column(String(300))
    author_id: Mapped[str | None] = mapped_column(String(300))
    author_handle: Mapped[str | None] = mapped_column(String(300))
    author_name: Mapped[str | None] = mapped_column(String(300))
    author_is_org: Mapped[bool] = mapped_column(Boolean, default=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str | None] = mapped_column(Text)  # None once erased under retention
    permalink: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]  # the platform says it is gone
    classified_at: Mapped[datetime | None]  # None: waiting for the classifier
    purged_at: Mapped[datetime | None]  # text and author erased under retention
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("item_id", "label", name="uq_findings_item_label"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    classifier: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class AlertRow(Base):
    """An email to send: an alert, an operator notice or a digest (the transactional outbox)."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_state_due", "state", "due_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # dedupe key
    kind: Mapped[str] = mapped_column(String(20), default="alert")  # alert | operator | digest
    severity: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))  # the main label, or the notice's topic
    account: Mapped[str | None] = mapped_column(String(100))
    thread_key: Mapped[str | None] = mapped_column(String(300), index=True)
    # pending → sent → acknowledged → resolved; pending → failed (gave up, shown loudly)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]  # not sent before (grouping window, quiet hours)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(300))
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    last_escalated_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]
    acked_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # notice/digest content


class AlertItemRow(Base):
    """Which items an alert covers. An item is in at most one alert: never alerted twice."""

    __tablename__ = "alert_items"
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, unique=True
    )


class AlertEventRow(Base):
    """Audit trail: who did what to an alert, when."""

    __tablename__ = "alert_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class UsageRow(Base):
    """Requests and billed reads per account per UTC day (X charges per post read)."""

    __tablename__ = "usage"
    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD (UTC)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    reads: Mapped[int] = mapped_column(Integer, default=0)  # billed: each resource once a day
    owned_reads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # of which owned


class BilledReadRow(Base):
    """Resources billed today and yesterday (UTC), so a second read the same day is not counted.

    Older days are deleted as new reads are recorded: only the counts in `usage` are kept.
    """

    __tablename__ = "billed_reads"
    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD (UTC)
    resource: Mapped[str] = mapped_column(String(300), primary_key=True)
    route: Mapped[str] = mapped_column(String(20))


class ErasedItemRow(Base):
    """Items erased on request, as a hash of (platform, external id): fetching the same comment
    again never stores it again. Holds no identifier in clear."""

    __tablename__ = "erased_items"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime]


class SetAsideRow(Base):
    """An item that could not be stored or routed: kept aside, retried, and reported (never blocks others).

    `payload` is the cleaned item as ASCII JSON (text included, so nothing is lost); retention and
    erasure requests treat it like stored text.
    """

    __tablename__ = "set_aside"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    stage: Mapped[str] = mapped_column(String(20))  # store | route
    account: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[int | None] = mapped_column(Integer)  # route: our item number
    author_handle: Mapped[str | None] = mapped_column(String(300))  # for erasure requests
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[str | None] = mapped_column(Text)


class DaemonRow(Base):
    """The daemon's heartbeat: `monitor status` tells a running daemon from a dead or stopped one."""

    __tablename__ = "daemon"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)  # "daemon"
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    poll_seconds: Mapped[int] = mapped_column(Integer)  # the shortest poll interval


class ErasureRow(Base):
    """Data care log: retention purges and erasure requests (no personal data kept here)."""

    __tablename__ = "erasures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(20))  # retention | request
    items: Mapped[int] = mapped_column(Integer, default=0)
    alerts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)


class WebTokenRow(Base):
    """A one-time sign-in link, or an alert's reply/button token: only a SHA-256 of it is kept."""

    __tablename__ = "web_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))  # signin | alert
    email: Mapped[str | None] = mapped_column(String(300))  # signin: who asked
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )  # alert: which alert it acts on
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]  # signin links work once


class WebSessionRow(Base):
    """A signed-in browser (the cookie holds the id; only its SHA-256 is kept): sign-out revokes it."""

    __tablename__ = "web_sessions"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WebAttemptRow(Base):
    """Sign-in requests, per address and per client (hashed), for rate limiting; kept a day."""

    __tablename__ = "web_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime]


class MailSeenRow(Base):
    """Replies already handled (a hash of the Message-ID): none is applied twice, across restarts."""

    __tablename__ = "mail_seen"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(40))  # acknowledged | resolved | ignored: <why>


class FalseAlarmRow(Base):
    """One label of one item that the MD marked as wrong: counted in the digest, exported for training."""

    __tablename__ = "false_alarms"
    __table_args__ = (UniqueConstraint("item_id", "label", name="uq_false_alarms_item_label"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))  # FalseAlarmReason
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(index=True)
