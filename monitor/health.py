"""Connector and delivery health: what `monitor status` and the digest show."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from monitor import pricing
from monitor.config import Config
from monitor.store import Store, accounts, intake, schedule
from monitor.store.schema import AlertRow

# When `monitor status` says something needs attention (and exits 1): the promises' thresholds.
URGENT_UNDELIVERED = timedelta(minutes=5)  # an urgent alert not accepted by the mail server
FAILING_POLLS = 3  # an account failing this many polls in a row
DAEMON_SILENT_POLLS = 2  # the daemon's heartbeat older than this many poll intervals
OUTBOX_SLOW = timedelta(hours=1)  # any email waiting this long


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
    daemon: str = ""  # "running (pid 123, …)", "stopped …", "" when no daemon has run on this database
    set_aside: int = 0  # items that could not be stored or routed

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
            "daemon": self.daemon,
            "set_aside": self.set_aside,
            "problems": list(self.problems),
        }


def collect(config: Config, store: Store, now: datetime) -> Health:
    month_start = now.date().replace(day=1).isoformat()
    problems: list[str] = []
    result = []
    with store.transaction() as session:
        beat = schedule.daemon(session)
        daemon_text, daemon_alive = _daemon(beat, now, problems)
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
                next_poll_at=(row.next_poll_at if row else None) if daemon_alive else None,
                needs_attention=row.needs_attention if row else None,
                month_reads=usage.reads,
                month_cost=pricing.cost(cfg.platform, usage.reads, usage.owned_reads),
            )
            result.append(h)
            if cfg.enabled:
                problems.extend(_account_problems(h, cfg.interval_minutes, now, daemon_alive))
        pending = (
            session.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.state == "pending")) or 0
        )
        failed = (
            session.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.state == "failed")) or 0
        )
        oldest = session.scalar(select(func.min(AlertRow.due_at)).where(AlertRow.state == "pending"))
        urgent_waiting = session.scalar(
            select(func.min(AlertRow.due_at)).where(
                AlertRow.state == "pending", AlertRow.kind == "alert", AlertRow.severity == "urgent"
            )
        )
        open_rows = session.execute(
            select(AlertRow.severity, func.count())
            .where(AlertRow.kind == "alert", AlertRow.state == "sent")
            .group_by(AlertRow.severity)
        ).all()
        open_by_severity = {str(severity): int(n) for severity, n in open_rows}
        aside = intake.count(session)
    if urgent_waiting is not None and now - urgent_waiting > URGENT_UNDELIVERED:
        problems.append(
            f"an urgent alert has not been accepted by the mail server since {urgent_waiting:%Y-%m-%d %H:%M} UTC "
            "(see `monitor alerts list --state pending` and the [smtp] settings)"
        )
    if failed:
        problems.append(
            f"{failed} email(s) could not be delivered; they are retried and go out when mail works "
            "again (see `monitor alerts list --state failed`)"
        )
    if oldest is not None and now - oldest > OUTBOX_SLOW:
        problems.append(f"outbox: {pending} email(s) waiting since {oldest:%Y-%m-%d %H:%M} UTC")
    if aside:
        problems.append(
            f"{aside} item(s) could not be stored or alerted and are set aside; they are retried at "
            "every poll (see `monitor status --json` and the operator notice)"
        )
    return Health(
        now, tuple(result), pending, failed, oldest, open_by_severity, tuple(problems), daemon_text, aside
    )


def _daemon(beat: schedule.Daemon | None, now: datetime, problems: list[str]) -> tuple[str, bool]:
    """What to say about the daemon, and whether it is alive (its heartbeat is recent)."""
    if beat is None:
        return "", False
    limit = timedelta(seconds=DAEMON_SILENT_POLLS * beat.poll_seconds)
    if beat.stopped_at is not None and beat.stopped_at >= beat.heartbeat_at:
        problems.append(
            f"the daemon is not running: it was stopped at {beat.stopped_at:%Y-%m-%d %H:%M} UTC "
            "(systemctl start monitor)"
        )
        return f"stopped at {beat.stopped_at:%Y-%m-%d %H:%M} UTC", False
    if now - beat.heartbeat_at > limit:
        problems.append(
            f"the daemon is not running: its last heartbeat was at {beat.heartbeat_at:%Y-%m-%d %H:%M} UTC, "
            f"more than {DAEMON_SILENT_POLLS} poll intervals ago (systemctl status monitor; journalctl -u monitor)"
        )
        return f"silent since {beat.heartbeat_at:%Y-%m-%d %H:%M} UTC (pid {beat.pid} on {beat.host})", False
    return f"running (pid {beat.pid} on {beat.host}, last heartbeat {_when(beat.heartbeat_at, now)})", True


def _account_problems(
    h: AccountHealth, interval_minutes: int, now: datetime, daemon_alive: bool
) -> list[str]:
    problems = []
    if h.needs_attention:
        problems.append(f"{h.name}: needs attention: {h.needs_attention}")
    stale_after = timedelta(minutes=max(3 * interval_minutes, 60))
    if h.last_success_at is None and h.last_error:
        problems.append(f"{h.name}: never polled successfully (last error: {h.last_error})")
    elif h.failures >= FAILING_POLLS and not h.needs_attention:
        since = f", none successful since {h.last_success_at:%Y-%m-%d %H:%M} UTC" if h.last_success_at else ""
        problems.append(f"{h.name}: failing: {h.failures} polls in a row{since} (last error: {h.last_error})")
    elif h.last_success_at is not None and now - h.last_success_at > stale_after and h.failures:
        problems.append(f"{h.name}: no successful poll since {h.last_success_at:%Y-%m-%d %H:%M} UTC")
    # Set only by a live daemon: a poll long overdue means the daemon is stuck.
    overdue = max(h.next_poll_at or now, h.not_before or now)
    if daemon_alive and h.next_poll_at is not None and now - overdue > stale_after:
        problems.append(
            f"{h.name}: a poll was due at {overdue:%Y-%m-%d %H:%M} UTC and has not run "
            "(is the daemon stuck? systemctl status monitor)"
        )
    return problems


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
        elif health.daemon and not health.daemon.startswith("running"):
            lines.append("    next poll: none (no daemon running)")
        if a.month_cost is not None:
            lines.append(f"    this month: {a.month_cost.basis} ({a.month_cost.source})")
    lines.append(f"Outbox: {health.outbox_pending} waiting, {health.outbox_failed} failed")
    if health.daemon:
        lines.append(f"Daemon: {health.daemon}")
    if health.set_aside:
        lines.append(f"Set aside: {health.set_aside} item(s) that could not be stored or alerted")
    urgent = health.open_by_severity.get("urgent", 0)
    lines.append(
        f"Open alerts (sent, not acknowledged): {health.open_alerts}"
        + (f", {urgent} urgent: `monitor alerts list`" if urgent else "")
    )
    if health.problems:
        lines.append("Needs attention:")
        lines += [f"  - {p}" for p in health.problems]
    elif health.open_alerts:
        # The service's health is fine; the open alerts are for people, not for the operator.
        lines.append("The service is working; the open alerts above are waiting for someone to act on them.")
    else:
        lines.append("The service is working: nothing needs attention.")
    return "\n".join(lines)
