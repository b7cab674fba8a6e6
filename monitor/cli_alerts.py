"""`monitor alerts list|show|ack|resolve|retry`: acknowledge and resolve alerts, with an audit trail."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from typing import Any

import click

from monitor.cli import Obj, opened
from monitor.config import Config
from monitor.errors import InputError
from monitor.store import alerts as store_alerts
from monitor.store.schema import AlertRow
from monitor.types import AlertState

STATES = tuple(s.value for s in AlertState)  # pending, sent, failed, acknowledged, resolved, dismissed
DEMO = click.option("--demo", is_flag=True, help="Use the bundled demo configuration and state.")


def _actor(by: str | None) -> str:
    if by:
        return by.strip()[:200]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _local(value: datetime | None, config: Config) -> str:
    return f"{value.astimezone(config.tz):%Y-%m-%d %H:%M}" if value else "-"


def _summary(row: AlertRow, config: Config, items: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "severity": row.severity,
        "category": row.category,
        "account": row.account,
        "items": items,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "attempts": row.attempts,
        "escalations": row.escalations,
        "acked_by": row.acked_by,
        "acked_at": row.acked_at.isoformat() if row.acked_at else None,
        "resolved_by": row.resolved_by,
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "last_error": row.last_error,
    }


@click.group("alerts")
def alerts_group() -> None:
    """List, show, acknowledge and resolve alerts (every change is recorded: who, when, note)."""


@alerts_group.command("list")
@click.option(
    "--state", "states", multiple=True, type=click.Choice(STATES), help="Only this state (repeatable)."
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Include acknowledged, resolved and dismissed (false alarm) alerts.",
)
@click.option(
    "--kind", type=click.Choice(["alert", "operator", "digest", "any"]), default="alert", show_default=True
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@DEMO
@click.pass_obj
def list_alerts(
    obj: Obj, states: tuple[str, ...], show_all: bool, kind: str, limit: int, as_json: bool, demo: bool
) -> None:
    """Alerts, newest first (default: not yet acknowledged, or failed)."""
    config = obj.config(demo)
    chosen = states or (STATES if show_all else ("pending", "sent", "failed"))
    with opened(config) as store, store.transaction() as session:
        rows = store_alerts.listing(
            session, states=chosen, kinds=() if kind == "any" else (kind,), limit=limit
        )
        counts = store_alerts.item_counts(session, [r.id for r in rows])
        data = [_summary(r, config, counts.get(r.id, 0)) for r in rows]
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    if not data:
        click.echo("No alerts." if show_all or states else "No open alerts (use --all to see every alert).")
        return
    click.echo(
        f"{'id':>5}  {'state':<12} {'severity':<8} {'category':<22} {'account':<20} {'created':<16} items"
    )
    for row, d in zip(rows, data, strict=True):
        state = d["state"]
        colour = {"failed": "red", "pending": "yellow", "sent": "yellow"}.get(state)
        click.echo(
            f"{d['id']:>5}  {click.style(f'{state:<12}', fg=colour)} {d['severity']:<8} {d['category']:<22} "
            f"{(d['account'] or '-'):<20} {_local(row.created_at, config):<16} {d['items']}"
        )


@alerts_group.command("show")
@click.argument("alert_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@DEMO
@click.pass_obj
def show(obj: Obj, alert_id: int, as_json: bool, demo: bool) -> None:
    """One alert: what was said (masked as in the email), why, and its audit trail."""
    from alerts import view

    config = obj.config(demo)
    with opened(config) as store, store.transaction() as session:
        row = _get(session, alert_id)
        entries = store_alerts.items_of(session, alert_id)
        shown = view.from_rows(row, entries, config) if row.kind == "alert" else None
        summary = _summary(row, config, len(entries))
        events = [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "note": e.note}
            for e in store_alerts.events_of(session, alert_id)
        ]
        local_events = [
            (_local(e.at, config), e.actor, e.action, e.note)
            for e in store_alerts.events_of(session, alert_id)
        ]
        message = str((row.payload or {}).get("message", ""))
    if as_json:
        comments = [
            {"item_id": c.item_id, "excerpt": c.excerpt, "masked": c.masked, "author": c.author,
             "permalink": c.permalink, "when": c.when,
             "flags": [{"label": f.label, "score": f.score, "reasons": list(f.reasons)} for f in c.flags]}
            for c in (shown.comments if shown else ())
        ]  # fmt: skip
        click.echo(json.dumps({**summary, "comments": comments, "events": events}, indent=2))
        return
    click.echo(
        f"Alert #{alert_id}: {summary['severity']} {summary['category']} ({summary['kind']}), {summary['state']}"
    )
    click.echo(
        f"  account {summary['account'] or '-'}; attempts {summary['attempts']}; escalations {summary['escalations']}"
    )
    if summary["last_error"]:
        click.echo(click.style(f"  last error: {summary['last_error']}", fg="red"))
    if message:
        click.echo(f"  {message}")
    for c in shown.comments if shown else ():
        click.echo(
            f"\n  Item {c.item_id}: {c.kind} on {c.platform_name} ({c.account}), {c.when}, by {c.author or 'unknown'}"
        )
        for line in c.excerpt.splitlines() or [""]:
            click.echo(f"    > {line}")
        if c.masked:
            click.echo("    (masked: names, contact and health details)")
        click.echo(f"    {c.permalink or 'no link'}")
        for f in c.flags:
            click.echo(f"    - {f.name} {f.score:.2f}: {'; '.join(f.reasons)}")
    if shown and shown.more_comments:
        click.echo(f"\n  … and {shown.more_comments} more")
    click.echo("\n  Audit trail:")
    for at, actor, action, note in local_events:
        click.echo(f"    {at}  {action:<13} {actor}{': ' + note if note else ''}")


def _get(session: Any, alert_id: int) -> AlertRow:
    row = store_alerts.get(session, alert_id)
    if row is None:
        raise InputError(f"no alert #{alert_id} (see `monitor alerts list --all`)")
    return row


def _change(
    obj: Obj, alert_ids: tuple[int, ...], by: str | None, note: str | None, demo: bool, action: str
) -> None:
    config = obj.config(demo)
    actor = _actor(by)
    now = datetime.now(UTC)
    with opened(config) as store, store.transaction() as session:
        rows = [_get(session, i) for i in alert_ids]
        for row in rows:
            if action == "ack":
                if row.acked_at is not None or row.state == "resolved":
                    click.echo(
                        f"#{row.id} was already acknowledged by {row.acked_by} at {_local(row.acked_at, config)}"
                    )
                    continue
                store_alerts.acknowledge(session, row, now, actor, note)
                click.echo(f"#{row.id} acknowledged by {actor}; it will not be sent again.")
            elif action == "resolve":
                if row.state == "resolved":
                    click.echo(f"#{row.id} was already resolved by {row.resolved_by}")
                    continue
                store_alerts.resolve(session, row, now, actor, note)
                click.echo(f"#{row.id} resolved by {actor}.")
            else:
                if row.state != "failed":
                    raise InputError(f"alert #{row.id} is {row.state}, not failed: nothing to retry")
                store_alerts.retry_failed(session, row, now, actor, note)
                click.echo(f"#{row.id} queued again; it is sent on the next delivery run.")


_BY = click.option("--by", metavar="NAME", help="Who is doing this (default: your login name).")
_NOTE = click.option("--note", metavar="TEXT", help="What was done, for the audit trail.")


@alerts_group.command("ack")
@click.argument("alert_ids", type=int, nargs=-1, required=True)
@_BY
@_NOTE
@DEMO
@click.pass_obj
def ack(obj: Obj, alert_ids: tuple[int, ...], by: str | None, note: str | None, demo: bool) -> None:
    """Acknowledge alerts: you are dealing with them, so they are not escalated."""
    _change(obj, alert_ids, by, note, demo, "ack")


@alerts_group.command("resolve")
@click.argument("alert_ids", type=int, nargs=-1, required=True)
@_BY
@_NOTE
@DEMO
@click.pass_obj
def resolve(obj: Obj, alert_ids: tuple[int, ...], by: str | None, note: str | None, demo: bool) -> None:
    """Mark alerts resolved (acknowledging them too), with a note of what was done."""
    _change(obj, alert_ids, by, note, demo, "resolve")


@alerts_group.command("retry")
@click.argument("alert_ids", type=int, nargs=-1, required=True)
@_BY
@_NOTE
@DEMO
@click.pass_obj
def retry(obj: Obj, alert_ids: tuple[int, ...], by: str | None, note: str | None, demo: bool) -> None:
    """Queue failed emails again (after fixing the cause, e.g. the [smtp] settings)."""
    _change(obj, alert_ids, by, note, demo, "retry")
