"""The weekly digest: what happened, what is still open, and what is broken.

    gather(store, config, window, now) ──Digest──▶ charts.build ──▶ templates ──▶ EmailMessage

`gather` only reads (monitor/store/digest.py holds the queries) and returns a frozen
`Digest` with every figure the page shows, so tests assert figures, not HTML. Rendering
(`render_html`, `render_text`, `build_email`) lives in alerts/digest_render.py.
`send_weekly` is what the daemon's scheduler calls.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alerts.digest_text import Theme, quote, themes
from monitor import health as health_mod
from monitor import pricing
from monitor.config import Config
from monitor.errors import InputError
from monitor.store import Store, feedback
from monitor.store import digest as q
from monitor.store.accounts import Usage
from monitor.types import LABELS

log = logging.getLogger(__name__)

SEVERITIES = ("urgent", "high", "low")
HOSTILE = ("threat", "harassment", "hate")
WAITING_DAYS = 14  # questions this recent with no reply from us are listed
TREND_WEEKS = 8
STALE_HOURS = 24  # an account with no successful poll for this long is flagged, failing or not

# ------------------------------------------------------------------ the window


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval `[start, end)` and how to name it."""

    start: datetime
    end: datetime
    label: str  # "2026-W47", or "7 days to 23 Nov 09:00"
    title: str  # "17–23 November 2026"
    iso_week: str | None = None  # "2026-W47" when it is exactly one ISO week

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def _title(first: date, last: date) -> str:
    if first.year != last.year:
        return f"{first:%-d %B %Y} – {last:%-d %B %Y}"
    if first.month != last.month:
        return f"{first:%-d %B} – {last:%-d %B %Y}"
    return f"{first:%-d}–{last:%-d %B %Y}"


def iso_week(text: str, tz: ZoneInfo) -> Window:
    """`2026-W47` (Monday 00:00 to Monday 00:00 in `tz`)."""
    match = re.fullmatch(r"\s*(\d{4})-?W(\d{1,2})\s*", text, re.IGNORECASE)
    if not match:
        raise InputError(f"{text!r} is not an ISO week (expected YYYY-Www, e.g. 2026-W47)")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InputError(f"{text!r}: {year} has no week {week}") from None
    start = datetime.combine(monday, time(0), tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tz)
    label = f"{year}-W{week:02d}"
    return Window(
        start.astimezone(UTC),
        end.astimezone(UTC),
        label,
        _title(monday, monday + timedelta(days=6)),
        label,
    )


def last_complete_week(tz: ZoneInfo, now: datetime) -> Window:
    """The ISO week before the one `now` falls in (in `tz`)."""
    year, week, _ = (now.astimezone(tz).date() - timedelta(days=7)).isocalendar()
    return iso_week(f"{year}-W{week:02d}", tz)


def since(start: datetime, now: datetime, tz: ZoneInfo) -> Window:
    if start >= now:
        raise InputError("--since must be in the past")
    first, last = start.astimezone(tz), now.astimezone(tz)
    days = (now - start).total_seconds() / 86400
    span = f"{days:.0f} days" if days >= 1 else f"{(now - start).total_seconds() / 3600:.0f} hours"
    return Window(
        start.astimezone(UTC),
        now.astimezone(UTC),
        f"{span} to {last:%-d %b %H:%M}",
        _title(first.date(), last.date()),
    )


# ------------------------------------------------------------------ what the digest holds


@dataclass(frozen=True)
class Figures:
    """The headline numbers for one window."""

    items: Mapping[str, int]  # comments, replies, mentions, reviews by others, by platform
    flagged: Mapping[str, int]  # items per label, every label present, in LABELS order
    flagged_items: int  # distinct items with any label
    alerts: Mapping[str, int]  # alert emails sent, by severity (urgent, high, low)
    responded: int  # of those alerts, how many were acknowledged or resolved
    median_ack: timedelta | None  # median time from sending to acknowledgement
    false_alarms: Mapping[str, int] = field(default_factory=dict)  # marked in the window, by label

    @property
    def items_total(self) -> int:
        return sum(self.items.values())

    @property
    def alerts_total(self) -> int:
        return sum(self.alerts.values())


@dataclass(frozen=True)
class DayVolume:
    day: date  # local date
    counts: Mapping[str, int]  # by platform


@dataclass(frozen=True)
class TrendPoint:
    label: str  # "W47"
    items: int
    complaints: int  # negative publicity
    hostile: int  # harassment, hate, threats


@dataclass(frozen=True)
class OpenAlert:
    id: int
    severity: str
    category: str
    account: str | None
    state: str  # pending | sent | failed
    created_at: datetime
    age: timedelta


@dataclass(frozen=True)
class Incident:
    """An urgent alert of the week, in one line."""

    id: int
    created_at: datetime
    category: str
    account: str | None
    state: str
    response: timedelta | None  # time to acknowledge (or resolve)
    acked_by: str | None


@dataclass(frozen=True)
class Waiting:
    """A question or request with no reply from the organisation."""

    platform: str
    account: str
    created_at: datetime
    excerpt: str  # masked, or a note saying why it is not quoted
    permalink: str | None
    age: timedelta


@dataclass(frozen=True)
class Connector:
    name: str
    platform: str
    display_name: str
    enabled: bool
    status: str  # ok | failing | needs attention | silent | never polled | stale | disabled
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    needs_attention: str | None
    items: int  # items this window
    usual: float  # average items per window over the previous four
    reads: int  # billed reads this window
    cost: pricing.Cost | None  # estimated, for platforms that charge per read (X)
    month_cost: pricing.Cost | None  # this calendar month (UTC), as `monitor status` shows it

    @property
    def cost_usd(self) -> float | None:
        return self.cost.usd if self.cost is not None else None

    @property
    def month_cost_usd(self) -> float | None:
        return self.month_cost.usd if self.month_cost is not None else None


@dataclass(frozen=True)
class DataCare:
    purged_items: int  # text erased under retention in the window
    retention_runs: int
    requests: int  # erasure requests handled
    request_items: int
    request_alerts: int


@dataclass(frozen=True)
class Digest:
    organisation: str
    timezone: str
    window: Window
    previous: Window
    generated_at: datetime
    this: Figures
    last: Figures
    platforms: tuple[str, ...]  # platforms with items in either window, in a stable order
    daily: tuple[DayVolume, ...]
    trend: tuple[TrendPoint, ...]
    open_alerts: tuple[OpenAlert, ...]
    urgent: tuple[Incident, ...]
    waiting: tuple[Waiting, ...]
    waiting_since: datetime
    complaints: int  # negative-publicity items in the window
    themes: tuple[Theme, ...]
    connectors: tuple[Connector, ...]
    outbox_pending: int
    outbox_failed: tuple[q.Failure, ...]
    data_care: DataCare
    problems: tuple[str, ...]  # the red box: broken, failing or urgent and unacknowledged

    @property
    def empty(self) -> bool:
        """Nothing came in and nothing was sent in the window."""
        return self.this.items_total == 0 and self.this.alerts_total == 0 and not self.urgent


# ------------------------------------------------------------------ gathering


def _figures(
    stamps: Sequence[q.ItemStamp],
    flags: Sequence[q.FlagStamp],
    sent: Sequence[q.AlertStamp],
    false_alarms: Mapping[str, int],
) -> Figures:
    items = Counter(s.platform for s in stamps)
    by_label = {label: len({f.item_id for f in flags if f.label == label}) for label in LABELS}
    alerts = {s: sum(1 for a in sent if a.severity == s) for s in SEVERITIES}
    waits = [
        min(t for t in (a.acked_at, a.resolved_at) if t is not None) - a.sent_at
        for a in sent
        if a.sent_at is not None and (a.acked_at or a.resolved_at)
    ]
    median = timedelta(seconds=statistics.median(w.total_seconds() for w in waits)) if waits else None
    wrong = {label: false_alarms[label] for label in LABELS if false_alarms.get(label)}
    return Figures(dict(items), by_label, len({f.item_id for f in flags}), alerts, len(waits), median, wrong)


def _within(at: datetime, start: datetime, end: datetime) -> bool:
    return start <= at < end


def gather(store: Store, config: Config, window: Window, now: datetime) -> Digest:
    """Every figure the digest shows, for `window`, compared with the window before it."""
    tz = config.tz
    start, end = window.start, window.end
    prev = Window(start - window.length, start, "previous", "")
    trend_start = end - timedelta(weeks=TREND_WEEKS, hours=1)  # an hour's slack for clock changes
    fetch_from = min(prev.start - 3 * window.length, trend_start)
    waiting_since = min(start, end - timedelta(days=WAITING_DAYS))
    with store.transaction() as s:
        stamps = q.item_stamps(s, fetch_from, end)
        flags = q.flag_stamps(s, fetch_from, end)
        sent_now, sent_before = q.alerts_sent(s, start, end), q.alerts_sent(s, prev.start, start)
        urgent = q.incidents(s, start, end, severity="urgent")
        still_open = q.open_alerts(s, now)
        waiting = q.unanswered(s, "engagement", waiting_since, end)
        complaints = q.labelled_texts(s, "negative_publicity", start, end, unless="spam")
        last_day = (end - timedelta(microseconds=1)).astimezone(UTC).date()
        reads = q.usage(s, start.astimezone(UTC).date().isoformat(), last_day.isoformat())
        failed = q.failures(s, now)
        erased = q.erasures(s, start, end)
        wrong_now = feedback.counts_by_label(s, start, end)
        wrong_before = feedback.counts_by_label(s, prev.start, start)
    health = health_mod.collect(config, store, now)

    def stamps_in(a: datetime, b: datetime) -> list[q.ItemStamp]:
        return [x for x in stamps if _within(x.created_at, a, b)]

    def flags_in(a: datetime, b: datetime) -> list[q.FlagStamp]:
        return [f for f in flags if _within(f.created_at, a, b)]

    this_items, prev_items = stamps_in(start, end), stamps_in(prev.start, start)
    this = _figures(this_items, flags_in(start, end), sent_now, wrong_now)
    last = _figures(prev_items, flags_in(prev.start, start), sent_before, wrong_before)
    seen = {x.platform for x in this_items} | {x.platform for x in prev_items}
    platforms = tuple(sorted(seen, key=lambda p: (-this.items.get(p, 0), p)))

    first_day = start.astimezone(tz).date()
    last_local = (end - timedelta(microseconds=1)).astimezone(tz).date()
    days = [first_day + timedelta(days=i) for i in range((last_local - first_day).days + 1)]
    per_day: dict[date, Counter[str]] = {d: Counter() for d in days}
    for x in this_items:
        per_day[x.created_at.astimezone(tz).date()][x.platform] += 1
    daily = tuple(DayVolume(d, dict(per_day[d])) for d in days)

    trend = []
    end_local = end.astimezone(tz)
    for weeks_back in range(TREND_WEEKS, 0, -1):  # local calendar weeks: right across clock changes
        a = datetime.combine(end_local.date() - timedelta(weeks=weeks_back), end_local.time(), tz)
        b = datetime.combine(end_local.date() - timedelta(weeks=weeks_back - 1), end_local.time(), tz)
        label = f"W{a.isocalendar().week}" if window.iso_week else f"{b - timedelta(days=1):%-d %b}"
        fl = flags_in(a, b)
        trend.append(
            TrendPoint(
                label,
                len(stamps_in(a, b)),
                len({f.item_id for f in fl if f.label == "negative_publicity"}),
                len({f.item_id for f in fl if f.label in HOSTILE}),
            )
        )

    connectors, problems = _connectors(config, health, stamps, window, reads, now)
    problems += list(health.problems)
    unacked_urgent = [a for a in still_open if a.severity == "urgent"]
    if unacked_urgent:
        oldest = now - unacked_urgent[0].created_at
        problems.insert(
            0,
            f"{len(unacked_urgent)} urgent alert{'s' if len(unacked_urgent) > 1 else ''} not yet "
            "acknowledged; the oldest has waited "
            f"{describe_age(oldest)}",
        )

    retention = [e for e in erased if e.reason == "retention"]
    requests = [e for e in erased if e.reason == "request"]
    return Digest(
        organisation=config.organisation,
        timezone=config.timezone,
        window=window,
        previous=prev,
        generated_at=now,
        this=this,
        last=last,
        platforms=platforms,
        daily=daily,
        trend=tuple(trend),
        open_alerts=tuple(
            OpenAlert(a.id, a.severity, a.category, a.account, a.state, a.created_at, now - a.created_at)
            for a in still_open
        ),
        urgent=tuple(
            Incident(
                a.id,
                a.posted_at or a.created_at,
                a.category,
                a.account,
                a.state,
                _response(a),
                a.acked_by,
            )
            for a in urgent
        ),
        waiting=tuple(
            Waiting(w.platform, w.account, w.created_at, quote(w), w.permalink, now - w.created_at)
            for w in waiting
        ),
        waiting_since=waiting_since,
        complaints=len(complaints),
        themes=themes(complaints),
        connectors=tuple(connectors),
        outbox_pending=health.outbox_pending,
        outbox_failed=tuple(failed),
        data_care=DataCare(
            purged_items=sum(e.items for e in retention),
            retention_runs=len(retention),
            requests=len(requests),
            request_items=sum(e.items for e in requests),
            request_alerts=sum(e.alerts for e in requests),
        ),
        problems=tuple(dict.fromkeys(problems)),
    )


def _response(a: q.AlertStamp) -> timedelta | None:
    done = [t for t in (a.acked_at, a.resolved_at) if t is not None]
    base = a.sent_at or a.created_at
    return min(done) - base if done else None


def _connectors(
    config: Config,
    health: health_mod.Health,
    stamps: Sequence[q.ItemStamp],
    window: Window,
    reads: Mapping[str, Usage],
    now: datetime,
) -> tuple[list[Connector], list[str]]:
    """One line per configured account, and the problems `monitor status` would not flag:
    never polled, not polled for a day, or silent (nothing this week where there usually is)."""
    by_name = {h.name: h for h in health.accounts}
    counts = Counter(x.account for x in stamps if _within(x.created_at, window.start, window.end))
    earlier = Counter(
        x.account for x in stamps if _within(x.created_at, window.start - 4 * window.length, window.start)
    )
    result, problems = [], []
    for cfg in config.accounts:
        h = by_name[cfg.name]
        usual = earlier[cfg.name] / 4
        status = "ok"
        if not cfg.enabled:
            status = "disabled"
        elif h.needs_attention:
            status = "needs attention"
        elif h.last_success_at is None:
            status = "never polled"
            if not h.last_error:
                problems.append(f"{cfg.name}: has never been polled (is the monitor service running?)")
        elif h.failures:
            status = "failing"
        elif now - h.last_success_at > timedelta(hours=STALE_HOURS):
            status = "stale"
            problems.append(
                f"{cfg.name}: no successful poll for {describe_age(now - h.last_success_at)} "
                "(is the monitor service running?)"
            )
        if status == "ok" and counts[cfg.name] == 0 and usual >= 3:
            status = "silent"
            problems.append(
                f"{cfg.name}: nothing came in this period, though it usually brings about "
                f"{usual:.0f}; check the connection still works (a revoked permission can look "
                "like a quiet week)"
            )
        used = reads.get(cfg.name) or Usage()
        result.append(
            Connector(
                name=cfg.name,
                platform=cfg.platform,
                display_name=cfg.display_name or cfg.name,
                enabled=cfg.enabled,
                status=status,
                last_success_at=h.last_success_at,
                last_error=h.last_error,
                failures=h.failures,
                needs_attention=h.needs_attention,
                items=counts[cfg.name],
                usual=usual,
                reads=used.reads,
                cost=pricing.cost(cfg.platform, used.reads, used.owned_reads),
                month_cost=h.month_cost,
            )
        )
    return result, problems


def describe_age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 90:
        return f"{max(minutes, 0)} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


# ------------------------------------------------------------------ the scheduled send


def digest_key(window: Window) -> str:
    return f"digest:{window.iso_week or window.start.isoformat()}"


def send_weekly(store: Store, config: Config, now: datetime) -> bool:
    """Queue the digest for the ISO week that just ended (in config.timezone).

    Idempotent per week: returns False when that week's digest is already queued or sent.
    """
    from alerts import outbox
    from alerts.digest_render import build_email

    window = last_complete_week(config.tz, now)
    key = digest_key(window)
    with store.transaction() as s:
        if q.queued(s, key):
            return False
    digest = gather(store, config, window, now)
    message = build_email(digest, config)
    with store.transaction() as s:
        if q.queued(s, key):
            return False
        outbox.enqueue_message(
            s,
            kind="digest",
            key=key,
            severity="low",
            category="digest",
            message=message,
            now=now,
            about=window_payload(window),
        )
        queued = q.queued(s, key)
    log.info("digest for %s queued: %s", window.label, queued)
    return queued


# ------------------------------------------------------------------ after an erasure request


def window_payload(window: Window) -> dict[str, str]:
    """What a queued digest remembers of its period, so it can be built again."""
    return {
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "window_label": window.label,
        "window_title": window.title,
        "window_iso_week": window.iso_week or "",
    }


def window_of(payload: dict[str, Any]) -> Window | None:
    try:
        return Window(
            datetime.fromisoformat(str(payload["window_start"])),
            datetime.fromisoformat(str(payload["window_end"])),
            str(payload["window_label"]),
            str(payload["window_title"]),
            str(payload.get("window_iso_week") or "") or None,
        )
    except (KeyError, ValueError):
        return None


def rebuild_since(store: Store, config: Config, since: datetime) -> int:
    """Build again every digest queued since `since` from what is stored now (erased text is gone).

    A digest not yet sent gets its queued email replaced; a digest already written to the
    outbox directory has its `.eml` copy rewritten (same name, Message-ID and date). One
    sent through SMTP is only in the recipients' mailboxes: nothing to rewrite here.
    """
    import base64

    from alerts import outbox
    from alerts.digest_render import build_email

    rebuilt = 0
    with store.transaction() as s:
        digests = q.digests_since(s, since)
    for sent in digests:
        window = window_of(sent.payload)
        if window is None:
            continue
        message = build_email(gather(store, config, window, sent.created_at), config)
        if sent.state == "pending":
            with store.transaction() as s:
                q.replace_copy(s, sent.id, base64.b64encode(bytes(message)).decode("ascii"))
            rebuilt += 1
        rebuilt += outbox.rewrite_prebuilt(store, config, sent.id, message)
    return rebuilt
