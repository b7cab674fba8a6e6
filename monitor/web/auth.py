"""Signing in by emailed one-time link, sessions and roles.

* `/signin` asks for an email address. Whatever is typed, the page says the same thing; only
  a configured person gets a link, through the outbox. Requests are limited per address and
  per client, in the store (so the limits survive restarts).
* The link (`/s/<token>`) works once, for 15 minutes. Opening it shows a "Sign in" button:
  the token is used on POST only, so a mail scanner that follows links does not burn it.
* A session is a signed cookie naming a server-side session; signing out deletes it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from alerts import outbox
from monitor.config import PersonConfig, normal_address
from monitor.store import web as store_web

log = logging.getLogger(__name__)
blueprint = Blueprint("auth", __name__)

PER_ADDRESS = 3  # sign-in emails per address per window
PER_CLIENT = 10  # sign-in requests per client per window
WINDOW = timedelta(minutes=15)
HOME = {
    "md": "inbox.alerts",
    "deputy": "inbox.alerts",
    "staff": "inbox.check",
    "operator": "inbox.connections",
}
# Where a person may be sent back to after signing in: our own pages, by number only.
_NEXT = re.compile(r"^/(alerts(/\d{1,12})?|check|connections|digests(/\d{1,12})?|erasure)$")

F = TypeVar("F", bound=Callable[..., Any])


def web() -> Any:
    from monitor.web import web_of

    return web_of(current_app)


@blueprint.before_app_request
def load_person() -> None:
    g.person = None
    sid = session.get("sid")
    if not isinstance(sid, str):
        return
    w = web()
    with w.store.transaction() as s:
        email = store_web.session_email(s, sid, w.clock())
    person = w.config.person(email) if email else None
    if person is None:  # expired, signed out, or no longer in the configuration
        session.pop("sid", None)
        return
    g.person = person


def person() -> PersonConfig | None:
    found = g.get("person")
    return found if isinstance(found, PersonConfig) else None


def require(*roles: str) -> Callable[[F], F]:
    """Only signed-in people with one of `roles` reach the view; others sign in or get 403."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            who = person()
            if who is None:
                if request.method == "GET" and _NEXT.match(request.path):
                    session["next"] = request.path
                return redirect(url_for("auth.signin"))
            if who.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


@blueprint.route("/")
def home() -> BaseResponse:
    who = person()
    return redirect(url_for(HOME[who.role] if who else "auth.signin"))


@blueprint.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    if request.method != "POST":  # GET and HEAD never act
        return render_template("signin.html", title="Sign in")
    w = web()
    address = normal_address(str(request.form.get("email", ""))[:300])
    client = f"client:{request.remote_addr or '-'}"
    now = w.clock()
    with w.store.transaction() as s:
        store_web.sweep(s, now)
        if store_web.attempts_since(s, client, now - WINDOW) >= PER_CLIENT:
            log.warning("sign-in: too many requests from one client")
            return render_template("signin.html", title="Sign in", too_many=True), 429
        store_web.record_attempt(s, client, now)
        if not address or "@" not in address:
            return render_template("signin.html", title="Sign in", invalid=True), 400
        who = w.config.person(address)
        queued: int | None = None
        if who is not None and store_web.attempts_since(s, f"email:{address}", now - WINDOW) < PER_ADDRESS:
            store_web.record_attempt(s, f"email:{address}", now)
            token = store_web.mint_signin(s, who.email, now, _ttl())
            queued = outbox.enqueue_message(
                s,
                kind="signin",
                key=f"signin:{store_web.digest(token)}",
                severity="high",
                category="signin",
                message=signin_email(
                    who, f"{w.base_url}/s/{token}", w.config.organisation, w.config.alerts.sender
                ),
                now=now,
            )
        elif who is not None:
            log.warning("sign-in: too many links asked for one address; none sent")
    if queued is not None:
        w.send_now(queued)
    return redirect(url_for("auth.sent"))


def _ttl() -> timedelta:
    from monitor.web import SIGNIN_TTL

    return SIGNIN_TTL


@blueprint.route("/signin/sent")
def sent() -> str:
    return render_template("signin_sent.html", title="Check your email")


def signin_email(who: PersonConfig, link: str, organisation: str, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"Your sign-in link for the {organisation} monitor"[:150]
    msg["From"] = sender
    msg["To"] = who.email
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Hello {who.name},\n\n"
        f"Open this link to sign in to the {organisation} social-media monitor:\n\n"
        f"{link}\n\n"
        "It works once, for 15 minutes. If you did not ask for it, ignore this email:\n"
        "nobody can sign in without the link.\n"
    )
    return msg


@blueprint.route("/s/<token>", methods=["GET", "POST"])
def link(token: str) -> Any:
    w = web()
    now = w.clock()
    with w.store.transaction() as s:
        found = (store_web.use_signin if request.method == "POST" else store_web.peek_signin)(
            s, token[:100], now
        )
        if found.state is not store_web.LinkState.OK or found.email is None:
            return render_template(
                "link_invalid.html", title="This link does not work", state=found.state.value
            ), 410
        if request.method != "POST":  # GET and HEAD (mail scanners) never act
            return render_template("link_confirm.html", title="Sign in", token=token)
        sid = store_web.open_session(s, found.email, now, current_app.permanent_session_lifetime)
    who = w.config.person(found.email)
    if who is None:
        abort(403)
    next_page = session.pop("next", None)
    session.clear()  # a new session after signing in (no fixation)
    session.permanent = True
    session["sid"] = sid
    log.info("sign-in: a %s signed in", who.role)
    if isinstance(next_page, str) and _NEXT.match(next_page):
        return redirect(next_page)
    return redirect(url_for(HOME[who.role]))


@blueprint.route("/signout", methods=["POST"])
def signout() -> BaseResponse:
    sid = session.get("sid")
    if isinstance(sid, str):
        w = web()
        with w.store.transaction() as s:
            store_web.close_session(s, sid)
    session.clear()
    return redirect(url_for("auth.signin"))
