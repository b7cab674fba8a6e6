"""Domain types shared by every stage: frozen dataclasses at every seam.

    connectors ──Page(items, marks)──▶ storage ──Item──▶ classifiers ──Classification──▶
    decide ──Finding/Alert──▶ alerts

Nothing here talks to the network or the database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Labels, in the order reports show them. Definitions: docs/labels.md.
LABELS: tuple[str, ...] = (
    "risk_to_life",
    "threat",
    "confidentiality_risk",
    "harassment",
    "hate",
    "negative_publicity",
    "engagement",
    "spam",
)
# Extra score that every classifier reports (OffensEval sense); never a label by itself.
SCORE_ONLY: tuple[str, ...] = ("offensive",)

PLATFORMS: tuple[str, ...] = (
    "facebook",
    "instagram",
    "x",
    "bluesky",
    "mastodon",
    "youtube",
    "replay",
)


class ItemKind(enum.StrEnum):
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    REVIEW = "review"
    OWN_POST = "own_post"


class ReadRoute(enum.StrEnum):
    """How a billable read is priced (monitor/pricing.py): X charges "owned reads" (mentions of
    the account that owns the developer app) less than other post reads."""

    OWNED = "owned"
    POST = "post"


class Severity(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    LOW = "low"


class AlertState(enum.StrEnum):
    """Where an email in the outbox is: pending → sent → acknowledged → resolved;
    pending → failed (given up on, shown loudly); sent → dismissed (a false alarm)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"  # marked a false alarm: stops escalation like an acknowledgement


class AlertKind(enum.StrEnum):
    """What an outbox row is: an alert about comments, or one of the monitor's own emails."""

    ALERT = "alert"
    OPERATOR = "operator"  # notices to the operator (dead tokens, failures)
    DIGEST = "digest"
    CONFIRMATION = "confirmation"  # "done: alert #12 acknowledged", in the reply's thread
    SIGNIN = "signin"  # a one-time sign-in link for the web inbox


class Role(enum.StrEnum):
    """Who someone is to the web inbox and to replies (config `[[people]]`)."""

    MD = "md"  # everything, including erasure requests
    DEPUTY = "deputy"  # everything but erasure requests
    STAFF = "staff"  # draft checks only
    OPERATOR = "operator"  # connection health only


class FalseAlarmReason(enum.StrEnum):
    """Why a flag was wrong (the web inbox's "mark as false alarm")."""

    NOT_THIS = "not_this"
    BANTER = "banter"
    QUOTE = "quote"
    OTHER = "other"


FALSE_ALARM_REASONS: Mapping[FalseAlarmReason, str] = {
    FalseAlarmReason.NOT_THIS: "It is not what it was flagged as",
    FalseAlarmReason.BANTER: "A joke or banter, not meant that way",
    FalseAlarmReason.QUOTE: "Quoting or reporting what someone else said",
    FalseAlarmReason.OTHER: "Something else (say in the note)",
}


@dataclass(frozen=True)
class Account:
    """One official account we watch (one `[[accounts]]` table in the config)."""

    name: str  # the config's own short name, unique: "facebook-main"
    platform: str  # "facebook", "x", …  (or "replay")
    account_id: str  # the platform's id or handle for the account
    display_name: str = ""


@dataclass(frozen=True)
class Item:
    """A comment, reply, mention, review or own post, normalised.

    `raw` keeps the platform's payload beside the normalised fields (for debugging
    a connector); storage does not keep it unless configured to.
    """

    platform: str
    external_id: str
    account: str  # Account.name
    kind: ItemKind
    text: str
    created_at: datetime  # timezone-aware UTC
    post_id: str | None = None
    parent_id: str | None = None
    author_id: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    author_is_org: bool = False
    permalink: str | None = None
    updated_at: datetime | None = None  # set when the platform reports an edit
    deleted: bool = False  # the platform says it is gone (we mark, never lose)
    private: bool = False  # e.g. a Mastodon direct message: never quoted publicly
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Mark:
    """A high-water mark for one stream of one account: time and/or id, never a cursor."""

    time: datetime | None = None
    id: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RateLimit:
    """What the platform told us about our budget."""

    remaining: int | None = None
    limit: int | None = None
    reset_at: datetime | None = None  # when the budget refills (UTC)
    used_percent: float | None = None  # Facebook usage headers


@dataclass(frozen=True)
class Read:
    """One billable read: the resource read (a post id) and the route that prices it."""

    resource: str
    route: ReadRoute = ReadRoute.POST


@dataclass(frozen=True)
class Page:
    """One page of a fetch. `marks` are committed with this page's items, in one transaction.

    Connectors that page newest-first put the new marks on the last page only, so a
    crash half-way leaves the old mark in place and the next poll fetches again
    (the idempotent upsert absorbs the duplicates).
    """

    items: tuple[Item, ...]
    marks: Mapping[str, Mark] = field(default_factory=dict)
    rate_limit: RateLimit | None = None
    requests: int = 1  # HTTP requests this page cost (for benchmarks and status)
    reads: tuple[Read, ...] = ()  # billable reads (X charges per post read; the store dedupes per UTC day)
    warnings: tuple[str, ...] = ()  # e.g. "line 17: not valid JSON (skipped)"
    deleted: tuple[str, ...] = ()  # external ids the platform reports as deleted


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # "name", "phone", "health", "cue", …


@dataclass(frozen=True)
class Classification:
    """A classifier's verdict on one text: a score for every label and for `offensive`."""

    labels: tuple[str, ...]
    scores: Mapping[str, float]
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class TextInput:
    """What classifiers see: the text and a little context, nothing that identifies anyone."""

    text: str
    platform: str | None = None
    kind: str | None = None
    author_is_org: bool = False


@dataclass(frozen=True)
class Finding:
    label: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountResult:
    account: str
    items_fetched: int = 0
    items_new: int = 0
    items_updated: int = 0
    requests: int = 0
    reads: int = 0  # billed reads: a resource already read this UTC day is not counted again
    error: str | None = None
    warnings: tuple[str, ...] = ()  # e.g. malformed export lines that were skipped


@dataclass(frozen=True)
class RunReport:
    started_at: datetime
    finished_at: datetime
    accounts: tuple[AccountResult, ...]
    items_classified: int
    findings: Mapping[str, int]
    alerts_queued: int
    alerts_sent: int
    outbox: str | None
    dry_run: bool = False
    alerts_waiting: int = 0  # queued but not delivered yet (quiet hours, SMTP retrying)

    @property
    def items_fetched(self) -> int:
        return sum(a.items_fetched for a in self.accounts)

    @property
    def items_new(self) -> int:
        return sum(a.items_new for a in self.accounts)

    @property
    def failed_accounts(self) -> tuple[str, ...]:
        return tuple(a.account for a in self.accounts if a.error)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "items_fetched": self.items_fetched,
            "items_new": self.items_new,
            "items_classified": self.items_classified,
            "findings": dict(self.findings),
            "alerts_queued": self.alerts_queued,
            "alerts_sent": self.alerts_sent,
            "alerts_waiting": self.alerts_waiting,
            "outbox": self.outbox,
            "dry_run": self.dry_run,
            "accounts": [
                {
                    "account": a.account,
                    "items_fetched": a.items_fetched,
                    "items_new": a.items_new,
                    "items_updated": a.items_updated,
                    "requests": a.requests,
                    "reads": a.reads,
                    "error": a.error,
                    "warnings": list(a.warnings),
                }
                for a in self.accounts
            ],
        }
