"""`monitor digest`: the weekly digest on demand (the daemon sends it on schedule)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from monitor.cli import Obj, opened, parse_since


@click.command("digest")
@click.option(
    "--week", metavar="YYYY-Www", help="An ISO week in the configured time zone (default: last week)."
)
@click.option(
    "--since", "since_text", metavar="DURATION|DATE", help="Instead of a week: 7d, 30d, 2w or 2026-11-01."
)
@click.option("--send", is_flag=True, help="Email it to the digest recipients (via the outbox).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.html",
    help="Write the HTML (charts included) to a file.",
)
@click.option(
    "--demo", is_flag=True, help="Use the bundled demo (run `monitor scan --since 60d --demo` first)."
)
@click.pass_obj
def digest(
    obj: Obj, week: str | None, since_text: str | None, send: bool, output: Path | None, demo: bool
) -> None:
    """Build the digest; print it as text, write it as HTML, or send it."""
    from alerts import digest as digest_mod
    from alerts import digest_render, outbox
    from monitor.store import digest as store_digest

    if week and since_text:
        raise click.UsageError("give --week or --since, not both")
    if send and output:
        raise click.UsageError("give --send or --output, not both")
    config = obj.config(demo)
    now = datetime.now(UTC)
    if since_text:
        window = digest_mod.since(parse_since(since_text, now=now), now, config.tz)
    elif week:
        window = digest_mod.iso_week(week, config.tz)
    else:
        window = digest_mod.last_complete_week(config.tz, now)
    with opened(config) as store:
        with store.transaction() as session:
            empty = not store_digest.has_items(session)
        if empty and demo:
            raise click.ClickException(
                "the demo database is empty: run `monitor scan --since 60d --demo` first"
            )
        data = digest_mod.gather(store, config, window, now)
        if output:
            size = digest_render.write_html(data, config, output)
            click.echo(f"Wrote {output} ({size / 1024:.0f} KB): the digest for {window.title}")
            return
        if not send:
            click.echo(digest_render.render_text(data, config), nl=False)
            return
        message = digest_render.build_email(data, config)
        # On demand it is always sent; the scheduled one is deduplicated per ISO week.
        key = f"{digest_mod.digest_key(window)}:on-demand:{now.isoformat()}"
        with store.transaction() as session:
            outbox.enqueue_message(
                session, kind="digest", key=key, severity="low", category="digest", message=message, now=now
            )
        outbox.deliver_due(store, config, now)
        with store.transaction() as session:
            result = store_digest.outcome(session, key)
    to = message["To"]
    if result is None or result.state == "pending":
        error = f" (last error: {result.last_error})" if result and result.last_error else ""
        click.echo(f"Digest for {window.title} queued for {to}; the outbox will retry{error}")
    elif result.state == "failed":
        raise click.ClickException(f"the digest could not be sent to {to}: {result.last_error}")
    elif config.smtp is None:
        click.echo(f"Digest for {window.title} written to the outbox {config.outbox_dir} (for {to})")
    else:
        click.echo(f"Digest for {window.title} sent to {to} via {config.smtp.host}")
