"""The pages: alerts, one alert, the email buttons' confirm pages, draft checks, connections,
digests and erasure requests. Each view reads or changes the database through the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from alerts import guidance as guidance_mod
from alerts import view as view_mod
from alerts.digest import describe_age
from monitor.store import alerts as store_alerts
from monitor.store import web as store_web
from monitor.store.schema import AlertRow
from monitor.types import FALSE_ALARM_REASONS, LABELS, FalseAlarmReason
from monitor.web.auth import person, require, web

log = logging.getLogger(__name__)
blueprint = Blueprint("inbox", __name__)

ACTORS = ("md", "deputy")  # who may see and act on alerts
NOTE_MAX = 2000
DONE_STATES = ("acknowledged", "resolved", "dismissed")
STATE_NAMES = {
    "pending": "queued",
    "sent": "waiting for someone",
    "failed": "could not be emailed",
    "acknowledged": "being dealt with",
    "resolved": "resolved",
    "dismissed": "false alarm",
}


@blueprint.app_template_filter("state")
def state_name(state: str) -> str:
    return STATE_NAMES.get(state, state)


@blueprint.app_template_filter("label")
def label_name(label: str) -> str:
    return view_mod.LABEL_NAMES.get(label, label.replace("_", " "))


@blueprint.app_template_filter("local")
def local(value: datetime | None) -> str:
    return view_mod.local_time(value, web().config) if value else "-"


def _note() -> str | None:
    note = " ".join(str(request.form.get("note", "")).split())[:NOTE_MAX]
    return note or None


def _actor(how: str) -> str:
    who = person()
    return f"{who.name} <{who.email}> ({how})" if who else f"someone with the alert email ({how})"


# ------------------------------------------------------------------ alerts


@dataclass(frozen=True)
class Row:
    id: int
    severity: str
    names: str
    account: str | None
    state: str
    waited: str
    created: str
    items: int


def _rows(rows: list[AlertRow], now: datetime) -> list[Row]:
    w = web()
    with w.store.transaction() as s:
        counts = store_alerts.item_counts(s, [r.id for r in rows])
    return [
        Row(
            r.id,
            r.severity,
            label_name(r.category),
            r.account,
            r.state,
            describe_age(now - r.created_at),
            view_mod.local_time(r.created_at, w.config),
            counts.get(r.id, 0),
        )
        for r in rows
    ]


@blueprint.route("/alerts")
@require(*ACTORS)
def alerts() -> str:
    w = web()
    now = w.clock()
    with w.store.transaction() as s:
        open_rows = store_alerts.open_alerts(s)
        done_rows = store_alerts.listing(s, states=DONE_STATES, limit=20)
    return render_template(
        "alerts.html", title="Alerts", open=_rows(open_rows, now), done=_rows(done_rows, now)
    )


def _alert_or_404(s: Any, alert_id: int) -> AlertRow:
    row = store_alerts.get(s, alert_id)
    if row is None or row.kind != "alert":
        abort(404)
    return row


@blueprint.route("/alerts/<int:alert_id>")
@require(*ACTORS)
def alert(alert_id: int) -> str:
    w = web()
    config = w.config
    with w.store.transaction() as s:
        row = _alert_or_404(s, alert_id)
        entries = store_alerts.items_of(s, alert_id)
        shown = view_mod.from_rows(row, entries, config)
        context = [view_mod.comment_of(e, config) for e in store_alerts.thread_context(s, alert_id)]
        events = store_alerts.events_of(s, alert_id)
        wrong = store_alerts.false_alarms_of(s, alert_id)
        state = row.state
        flagged = [label for label in LABELS if any(label == f.label for e in entries for f in e.findings)]
    blocks = guidance_mod.blocks_for(shown, config) if shown.comments else ()
    return render_template(
        "alert.html",
        title=f"Alert {alert_id}",
        alert=shown,
        state=state,
        blocks=blocks,
        context=context,
        events=events,
        wrong=wrong,
        flagged=flagged,
        reasons=FALSE_ALARM_REASONS,
        done=request.args.get("done") in ("acknowledged", "resolved", "dismissed"),
    )


@blueprint.route("/alerts/<int:alert_id>/act", methods=["POST"])
@require(*ACTORS)
def act(alert_id: int) -> BaseResponse:
    w = web()
    action = str(request.form.get("action", ""))
    now = w.clock()
    actor = _actor("web inbox")
    with w.store.transaction() as s:
        row = _alert_or_404(s, alert_id)
        if action == "acknowledge":
            if row.acked_at is None and row.state not in DONE_STATES:
                store_alerts.acknowledge(s, row, now, actor, _note())
            elif _note():
                store_alerts.add_event(s, row.id, now, actor, "noted", _note())
            done = "acknowledged"
        elif action == "resolve":
            if row.state != "resolved":
                store_alerts.resolve(s, row, now, actor, _note())
            done = "resolved"
        elif action == "dismiss":
            try:
                reason = FalseAlarmReason(str(request.form.get("reason", "")))
            except ValueError:
                abort(400)
            labels = [label for label in request.form.getlist("label") if label in LABELS]
            if not labels:
                abort(400)
            entries = store_alerts.items_of(s, alert_id)
            wrong = {
                e.item.id: [f.label for f in e.findings if f.label in labels]
                for e in entries
                if any(f.label in labels for f in e.findings)
            }
            store_alerts.dismiss(s, row, now, actor, reason.value, _note(), wrong)
            done = "dismissed"
        else:
            abort(400)
    log.info("alert %d: %s in the web inbox", alert_id, done)
    return redirect(url_for("inbox.alert", alert_id=alert_id, done=done))


# ------------------------------------------------------------------ the email's buttons


@blueprint.route("/a/<int:alert_id>/<any(ack, resolve):action>", methods=["GET", "POST"])
def button(alert_id: int, action: str) -> Any:
    """The confirm page behind an alert email's button: the token is the alert's own; GET only
    shows the page, POST acts (mail scanners follow links; they do not submit forms)."""
    w = web()
    token = str(request.values.get("t", ""))[:100]
    now = w.clock()
    with w.store.transaction() as s:
        row = store_alerts.get(s, alert_id)
        valid = (
            row is not None and row.kind == "alert" and store_web.alert_token_valid(s, alert_id, token, now)
        )
        if not valid or row is None:
            return render_template("link_invalid.html", title="This link does not work", state="button"), 410
        names = " + ".join(view_mod.from_rows(row, [], w.config).category_names)
        summary = {"id": row.id, "severity": row.severity, "names": names, "account": row.account,
                   "created": view_mod.local_time(row.created_at, w.config)}  # fmt: skip
        if request.method != "POST":  # GET and HEAD (mail scanners) never act
            return render_template(
                "confirm.html", title="Confirm", action=action, token=token, alert=summary, state=row.state
            )
        actor = _actor("email button")
        if action == "ack":
            if row.acked_at is None and row.state not in DONE_STATES:
                store_alerts.acknowledge(s, row, now, actor, _note())
        elif row.state != "resolved":
            store_alerts.resolve(s, row, now, actor, _note())
        state = row.state
    log.info("alert %d: %s from an email button", alert_id, state)
    return render_template("confirmed.html", title="Done", alert=summary, state=state, token=token)


# ------------------------------------------------------------------ check a draft


@dataclass(frozen=True)
class Piece:
    text: str
    kind: str | None  # None: not flagged


def pieces(text: str, spans: list[tuple[int, int, str]]) -> list[Piece]:
    """The draft cut into plain and highlighted pieces (overlapping spans merged)."""
    out: list[Piece] = []
    at = 0
    for start, end, kind in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if end <= start:
            continue
        if start > at:
            out.append(Piece(text[at:start], None))
        out.append(Piece(text[start:end], kind.replace("_", " ")))
        at = end
    if at < len(text):
        out.append(Piece(text[at:], None))
    return out


@blueprint.route("/check", methods=["GET", "POST"])
@require("md", "deputy", "staff")
def check() -> str:
    from classifiers.prepublish import check_post

    if request.method != "POST":  # GET and HEAD never act
        return render_template("check.html", title="Check a draft", draft="", verdict=None)
    draft = str(request.form.get("draft", ""))[:20000]
    platform = str(request.form.get("platform", "")) or None
    if platform not in (None, *view_mod.PLATFORM_NAMES):
        platform = None
    verdict = check_post(draft, platform=platform) if draft.strip() else None
    spans = [(sp.start, sp.end, sp.kind) for c in verdict.concerns for sp in c.spans] if verdict else []
    return render_template(
        "check.html", title="Check a draft", draft=draft, verdict=verdict, pieces=pieces(draft, spans)
    )


# ------------------------------------------------------------------ connections


@blueprint.route("/connections")
@require("md", "deputy", "operator")
def connections() -> str:
    from monitor import health

    w = web()
    now = w.clock()
    report = health.collect(w.config, w.store, now)
    return render_template("connections.html", title="Connections", health=report, now=now)


# ------------------------------------------------------------------ digests


@blueprint.route("/digests")
@require(*ACTORS)
def digests() -> str:
    from alerts.digest import window_of
    from monitor.store import digest as q

    w = web()
    with w.store.transaction() as s:
        sent = q.digests_since(s, datetime.min.replace(tzinfo=w.clock().tzinfo))
    listed = [(d, window_of(d.payload)) for d in reversed(sent)]
    return render_template("digests.html", title="Digests", digests=[(d, win) for d, win in listed if win])


@blueprint.route("/digests/<int:digest_id>")
@require(*ACTORS)
def digest(digest_id: int) -> str:
    from alerts import digest as digest_mod
    from alerts.digest_render import render_text

    w = web()
    with w.store.transaction() as s:
        row = store_alerts.get(s, digest_id)
        if row is None or row.kind != "digest":
            abort(404)
        window = digest_mod.window_of(dict(row.payload or {}))
    if window is None:
        abort(404)
    built = digest_mod.gather(w.store, w.config, window, w.clock())
    return render_template("digest.html", title=window.title or "Digest", text=render_text(built, w.config))


# ------------------------------------------------------------------ erasure requests


@blueprint.route("/erasure", methods=["GET", "POST"])
@require("md")
def erasure() -> str:
    from monitor import erasure as erasure_mod
    from monitor.types import PLATFORMS

    if request.method != "POST":  # GET and HEAD never act
        return render_template("erasure.html", title="Erasure request", platforms=PLATFORMS, done=None)
    handle = str(request.form.get("handle", "")).strip()[:300]
    platform = str(request.form.get("platform", "")) or None
    if not handle.lstrip("@") or platform not in (None, *PLATFORMS) or request.form.get("confirm") != "yes":
        return render_template(
            "erasure.html", title="Erasure request", platforms=PLATFORMS, done=None, invalid=True
        )
    w = web()
    done = erasure_mod.forget(w.store, w.config, handle, w.clock(), platform=platform)
    log.info("erasure request from the web inbox: %d item(s)", done.items)
    return render_template("erasure.html", title="Erasure request", platforms=PLATFORMS, done=done)
