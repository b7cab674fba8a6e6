"""`monitor web` (the web inbox) and `monitor feedback export` (false alarms as training data)."""

from __future__ import annotations

import dataclasses
import json
import secrets
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import click

from monitor.cli import Obj, opened, parse_since
from monitor.config import Secret


@click.command()
@click.option("--bind", metavar="HOST:PORT", help="Where to listen (default: [web] bind, 127.0.0.1:8080).")
@click.option(
    "--demo", is_flag=True, help="Serve the bundled demo data; prints a sign-in link for the demo MD."
)
@click.pass_obj
def web(obj: Obj, bind: str | None, demo: bool) -> None:
    """Serve the web inbox: alerts, draft checks, connections, digests, erasure requests.

    Listens on loopback by default: put it behind a reverse proxy that adds HTTPS (README
    "Acting on alerts"). Stops on Ctrl-C or SIGTERM.
    """
    from monitor.web import create_app, server

    config = obj.config(demo)
    if demo and config.web.secret_key is None:  # a demo's sessions end with it: no warning needed
        key = Secret(secrets.token_hex(32), "made for this demo run")
        config = dataclasses.replace(config, web=dataclasses.replace(config.web, secret_key=key))
    if bind:
        server.split_bind(bind)
        config = dataclasses.replace(config, web=dataclasses.replace(config.web, bind=bind))
    with opened(config) as store:
        base_url = f"http://{config.web.bind}" if demo else None
        if demo:
            _demo_data(config, store)
        app = create_app(config, store, base_url=base_url)
        running = server.create(app, config.web.bind)
        click.echo(f"Web inbox on http://{running.effective_host}:{running.effective_port} (Ctrl-C to stop)")
        if demo:
            click.echo(f"Sign in as the demo MD: {_demo_link(config, store, base_url or '')}")
        elif not config.web.base_url:
            click.echo(
                "note: [web] base_url is not set, so alert emails carry no buttons and sign-in links point here"
            )

        def stop(_signum: int, _frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            running.run()
        except KeyboardInterrupt:
            pass
        finally:
            running.close()
    click.echo("Web inbox stopped.")


def _demo_data(config: Any, store: Any) -> None:
    from monitor import pipeline
    from monitor.store import digest as q

    with store.transaction() as session:
        if q.has_items(session):
            return
    click.echo("Loading the demo data (60 days of invented comments)…")
    ctx = pipeline.build_context(config, store)
    pipeline.scan(ctx, since=datetime.now(UTC) - timedelta(days=60), deliver=True, one_shot=True)


def _demo_link(config: Any, store: Any, base_url: str) -> str:
    from monitor.store import web as store_web
    from monitor.web import SIGNIN_TTL

    md = next(p for p in config.people if p.role == "md")
    with store.transaction() as session:
        token = store_web.mint_signin(session, md.email, datetime.now(UTC), SIGNIN_TTL)
    return f"{base_url}/s/{token}"


@click.group("feedback")
def feedback_group() -> None:
    """What the MD marked as false alarms, for adapting the classifiers to your own pages."""


@feedback_group.command("export")
@click.option(
    "--since", "since_text", metavar="DURATION|DATE", help="Only false alarms marked since (30d, 2026-11-01)."
)
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (default: stdout).",
)
@click.option("--demo", is_flag=True, help="Use the bundled demo configuration and state.")
@click.pass_obj
def export(obj: Obj, since_text: str | None, output: Path | None, demo: bool) -> None:
    """Write false alarms as labelled JSONL (the shape of classifiers/data/written_*.jsonl).

    Each line is one stored text with the labels it should have had: the labels it was
    flagged with, minus those marked wrong. Texts erased or purged since are left out.
    `python scripts/train_classifiers.py --extra FILE` trains on them.
    """
    from monitor.store import feedback
    from monitor.types import LABELS

    config = obj.config(demo)
    since = parse_since(since_text) if since_text else None
    with opened(config) as store, store.transaction() as session:
        rows = feedback.corrected(session, since)
    lines = []
    for r in rows:
        right = [label for label in LABELS if label in r.flagged and label not in r.wrong]
        note = f"false alarm: {', '.join(r.wrong)} ({', '.join(r.reasons)})" + (
            f"; {'; '.join(r.notes)}" if r.notes else ""
        )
        record = {
            "id": f"feedback-{r.item_id}",
            "platform": r.platform,
            "kind": r.kind,
            "author_is_org": r.author_is_org,
            "text": r.text,
            "labels": right,
            "family": "feedback",
            "note": note,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    text = "".join(line + "\n" for line in lines)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    if not lines:
        # On stderr, so that stdout stays valid (empty) JSONL.
        click.echo(
            "No false alarms marked"
            + (" in that period" if since else " yet")
            + ": mark them on an alert's page in the web inbox (`monitor web`).",
            err=True,
        )
    elif output is not None:
        click.echo(f"Wrote {len(lines)} labelled text(s) to {output}", err=True)
