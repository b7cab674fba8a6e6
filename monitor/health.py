"""Connector and delivery health: what `monitor status` and the digest show."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from monitor import pricing
from monitor.config import Config
from monitor.store import Store, accounts
from monitor.store.schema import AlertRow


@dataclass(frozen=True)
class AccountHealth:
    name: str
    platform: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    not_before: datetime | None
    next_poll_at: datetime | None
    needs_attention: str | None
    month_reads: int  # billed reads this month (UTC)
    month_cost: pricing.Cost | None  # for platforms that charge per read (X)

    @property
    def month_cost_usd(self) -> float | None:
        return self.month_cost.usd if self.month_cost is not None else None

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "month_cost"}
        cost = self.month_cost
        data["month_cost_usd"] = self.month_cost_usd
        data["month_cost_basis"] = f"{cost.basis} ({cost.source})" if cost else None
        return data


@dataclass(frozen=True)
class Health:
    at: datetime
    accounts: tuple[AccountHealth, ...]
    outbox_pending: int
    outbox_failed: int
    oldest_pending_at: datetime | None
    open_by_severity: dict[str, int]  # alerts sent and not acknowledged, per severity
    problems: tuple[str, ...] = field(default=())

    @property
    def open_alerts(self) -> int:
        return sum(self.open_by_severity.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "accounts": [a.as_dict() for a in self.accounts],
            "outbox_pending": self.outbox_pending,
            "outbox_failed": self.outbox_failed,
            "oldest_pending_at": self.oldest_pending_at,
            "open_alerts": self.open_alerts,
            "open_by_severity": self.open_by_severity,
            "problems": list(self.problems),
        }


def collect(config: Config, store: Store, now: datetime) -> Health:
    month_start = now.date().replace(day=1).isoformat()
    problems: list[str] = []
    by_name = {a.name: a for a in config.accounts}
    result = []
    with store.transaction() as session:
        rows = {r.name: r for r in accounts.all_rows(session)}
        for cfg in config.accounts:
            row = rows.get(cfg.name)
            usage = accounts.usage_since(session, cfg.name, month_start)
            h = AccountHealth(
                name=cfg.name,
                platform=cfg.platform,
                last_success_at=row.last_success_at if row else None,
                last_error=row.last_error if row else None,
                last_error_at=row.last_error_at if row else None,
                failures=row.consecutive_failures if row else 0,
                not_before=row.not_before if row else None,
                next_poll_at=row.next_poll_at if row else None,
                needs_attention=row.needs_attention if row else None,
                month_reads=usage.reads,
                month_cost=pricing.cost(cfg.platform, usage.reads, usage.owned_reads),
            )
            result.append(h)
            if not cfg.enabled:
                continue
            if h.needs_attention:
                problems.append(f"{h.name}: needs attention: {h.needs_attention}")
            stale_after = timedelta(minutes=max(3 * by_name[cfg.name].interval_minutes, 60))
            if h.last_success_at is None and h.last_error:
                problems.append(f"{h.name}: never polled successfully (last error: {h.last_error})")
            elif h.last_success_at is not None and now - h.last_success_at > stale_after and h.failures:
                problems.append(f"{h.name}: no successful poll since {h.last_success_at:%Y-%m-%d %H:%M} UTC")
            # Set only by the daemon: a poll long overdue means `monitor run` is not running.
            overdue = max(h.next_poll_at or now, h.not_before or now)
            if h.next_poll_at is not None and now - overdue > stale_after:
                problems.append(
                    f"{h.name}: a poll was due at {overdue:%Y-%m-%d %H:%M} UTC and has not run "
                    "(is the daemon running? systemctl status monitor)"
                )
        pending = (
            session.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.state == "pending")) or 0
        )
        failed = (
            session.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.state == "failed")) or 0
        )
        oldest = session.scalar(select(func.min(AlertRow.due_at)).where(AlertRow.state == "pending"))
        open_rows = session.execute(
            select(AlertRow.severity, func.count())
            .where(AlertRow.kind == "alert", AlertRow.state == "sent")
            .group_by(AlertRow.severity)
        ).all()
        open_by_severity = {str(severity): int(n) for severity, n in open_rows}
    if failed:
        problems.append(
            f"{failed} email(s) could not be delivered (see `monitor alerts list --state failed`)"
        )
    if oldest is not None and now - oldest > timedelta(hours=1):
        problems.append(f"outbox: {pending} email(s) waiting since {oldest:%Y-%m-%d %H:%M} UTC")
    return Health(now, tuple(result), pending, failed, oldest, open_by_severity, tuple(problems))


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    delta = now - value
    if delta < timedelta(0):
        minutes = int(-delta.total_seconds() // 60)
        return f"in {minutes} min" if minutes < 120 else f"at {value:%Y-%m-%d %H:%M} UTC"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{value:%Y-%m-%d %H:%M} UTC"


def render_text(health: Health, config: Config) -> str:
    now = health.at
    lines = ["Accounts:"]
    for a in health.accounts:
        state = "NEEDS ATTENTION" if a.needs_attention else ("failing" if a.failures else "ok")
        lines.append(f"  {a.name} ({a.platform}): {state}")
        lines.append(f"    last success {_when(a.last_success_at, now)}")
        if a.last_error:
            lines.append(
                f"    last error {_when(a.last_error_at, now)}: {a.last_error} ({a.failures} in a row)"
            )
        if a.not_before and a.not_before > now:
            lines.append(f"    waiting until {_when(a.not_before, now)} (rate limit or backoff)")
        if a.next_poll_at:
            lines.append(f"    next poll {_when(a.next_poll_at, now)}")
        if a.month_cost is not None:
            lines.append(f"    this month: {a.month_cost.basis} ({a.month_cost.source})")
    lines.append(f"Outbox: {health.outbox_pending} waiting, {health.outbox_failed} failed")
    urgent = health.open_by_severity.get("urgent", 0)
    lines.append(
        f"Open alerts (sent, not acknowledged): {health.open_alerts}"
        + (f", {urgent} urgent: `monitor alerts list`" if urgent else "")
    )
    if health.problems:
        lines.append("Needs attention:")
        lines += [f"  - {p}" for p in health.problems]
    else:
        lines.append("The service is working: nothing needs attention.")
    return "\n".join(lines)
