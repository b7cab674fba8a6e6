"""`monitor run` (the daemon) and `monitor forget` (an erasure request)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

import click

from monitor.cli import Obj, opened


@click.command()
@click.option("--demo", is_flag=True, help="Run on the bundled demo data and configuration.")
@click.pass_obj
def run(obj: Obj, demo: bool) -> None:
    """Run the daemon: poll every account on its schedule, deliver, escalate, digest, purge.

    Stops cleanly on SIGTERM or Ctrl-C. Exits non-zero when it cannot keep working
    (for example the database stays unreachable), so systemd restarts it.
    """
    from monitor import service

    config = obj.config(demo)
    if not any(a.enabled for a in config.accounts):
        click.echo("warning: no enabled accounts: only delivery and housekeeping will run", err=True)
    code = service.serve(config, os.environ)
    sys.exit(code)


@click.command()
@click.option("--author", "handle", required=True, metavar="HANDLE", help="The person's handle, e.g. @sam.")
@click.option("--platform", metavar="PLATFORM", help="Only items from this platform (default: all).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--demo", is_flag=True, help="Use the bundled demo configuration.")
@click.pass_obj
def forget(obj: Obj, handle: str, platform: str | None, yes: bool, demo: bool) -> None:
    """Erase everything stored about one author: items, findings, queued emails, .eml copies.

    For a UK GDPR erasure request. The log keeps only the count, never the handle.
    """
    from monitor import erasure
    from monitor.store import retention

    if not handle.strip().lstrip("@"):
        raise click.BadParameter("give the person's handle", param_hint="--author")
    config = obj.config(demo)
    where = f" on {platform}" if platform else ""
    with opened(config) as store:
        with store.transaction() as session:
            count = retention.count_author(session, handle, platform)
        if count and not yes:
            click.confirm(
                f"Erase {count} stored item(s) by {handle}{where}, with their findings, and take their "
                "comments out of alerts and the outbox?",
                abort=True,
            )
        done = erasure.forget(store, config, handle, datetime.now(UTC), platform=platform)
    if not done.items:
        click.echo(f"Nothing stored by {handle}{where}. The request is logged (count only).")
        return
    click.echo(f"Erased {done.items} item(s) by {handle}{where}.")
    click.echo(
        f"  Alerts: {done.alerts_trimmed} kept for the other people in them, without this person's comments; "
        f"{done.alerts_kept} kept as a record without text; {done.alerts_deleted} queued email(s) deleted."
    )
    click.echo(
        f"  Outbox: {done.files_removed} .eml file(s) removed, {done.files_rewritten} rewritten; "
        f"{done.digests_rebuilt} digest(s) built again."
    )
    click.echo(
        "  If the same comments are fetched again they are not stored again.\n"
        "Copies outside the monitor (emails already delivered, the platform itself) are not touched: "
        "delete those by hand if the request covers them."
    )
