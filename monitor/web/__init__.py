"""The web inbox: where the MD, the deputies, staff and the operator act (README "Acting on alerts").

`create_app` builds a Flask application over the same store and configuration as the daemon.
It is served by waitress (`monitor web`, or inside `monitor run` with `[web] enabled = true`),
on loopback by default, behind a reverse proxy that adds HTTPS.

Security, in one place:

* every page needs a session, except signing in and the confirm pages behind an alert
  email's buttons (those carry the alert's own token);
* nothing changes on GET: every action is a POST with a CSRF token (Flask-WTF);
* sessions are signed cookies (HttpOnly, SameSite=Lax, Secure behind HTTPS) naming a
  server-side session, so signing out ends it; a person removed from the configuration
  loses access at once;
* every response carries a strict Content-Security-Policy (no scripts at all, styles only
  from our one CSS file), `frame-ancestors 'none'`, `Referrer-Policy: no-referrer`,
  `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`;
* alerts are addressed by number only: no comment text is ever in a URL or a log line.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect

from alerts import outbox
from alerts.guidance import markdown_html
from monitor.config import Config
from monitor.store import Store

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SIGNIN_TTL = timedelta(minutes=15)


@dataclass
class Web:
    """What the views need, kept on the app (`app.extensions["monitor"]`)."""

    config: Config
    store: Store
    clock: Callable[[], datetime]
    send_now: Callable[[int], None]  # deliver one queued email (a sign-in link) without waiting
    base_url: str  # where links in emails point


def _background_sender(store: Store, config: Config, clock: Callable[[], datetime]) -> Callable[[int], None]:
    """Sign-in emails leave at once, in a thread: the page answers as fast whether or not an
    email was sent (so its timing tells nothing about which addresses are known)."""

    def send(alert_id: int) -> None:
        def run() -> None:
            try:
                outbox.deliver_one(store, config, clock(), alert_id, outbox.transport_for(config))
            except Exception:  # the daemon's delivery job retries it
                log.exception("email %d could not be sent now; the daemon retries it", alert_id)

        threading.Thread(target=run, name=f"send-{alert_id}", daemon=True).start()

    return send


def create_app(
    config: Config,
    store: Store,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    send_now: Callable[[int], None] | None = None,
    base_url: str | None = None,
) -> Flask:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from monitor.web import auth, views

    app = Flask(__name__)
    web = config.web
    public = (base_url or web.base_url or f"http://{web.bind}").rstrip("/")
    secure = web.secure_cookies if web.secure_cookies is not None else public.startswith("https://")
    app.config.update(
        SECRET_KEY=web.secret_key.reveal() if web.secret_key else secrets.token_hex(32),
        SESSION_COOKIE_NAME="__Host-monitor" if secure else "monitor",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=web.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        # The CSRF token is the check. Flask-WTF's extra Referer check over HTTPS cannot work with
        # Referrer-Policy: no-referrer (browsers send no Referer, and Origin: null), so it is off.
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=256 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    if web.secret_key is None:
        log.warning("[web] secret_key is not set: a new one is made at every start, so sessions end then")
    if web.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=web.trusted_proxies, x_proto=web.trusted_proxies, x_host=web.trusted_proxies
        )
    app.extensions["monitor"] = Web(
        config, store, clock, send_now or _background_sender(store, config, clock), public
    )
    CSRFProtect(app)
    app.jinja_env.filters["md"] = lambda text: markdown_html(str(text), inline_style=False)
    app.jinja_env.globals["organisation"] = config.organisation
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(views.blueprint)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if not response.headers.get("Cache-Control"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_failed(_: CSRFError) -> tuple[str, int]:
        return page(
            "error.html",
            400,
            title="This form has expired",
            message=(
                "The page was open too long, or your session ended. Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(403)
    def forbidden(_: Any) -> tuple[str, int]:
        return page(
            "error.html",
            403,
            title="Not for your role",
            message=("Your role does not include this page. Ask the Managing Director if you need it."),
        )

    @app.errorhandler(404)
    def missing(_: Any) -> tuple[str, int]:
        return page("error.html", 404, title="Not found", message="There is no such page or alert.")

    @app.errorhandler(405)
    def not_allowed(_: Any) -> tuple[str, int]:
        return page(
            "error.html", 405, title="Not allowed", message="That page does not take this kind of request."
        )

    @app.errorhandler(413)
    def too_large(_: Any) -> tuple[str, int]:
        return page("error.html", 413, title="Too long", message="That is too much text for one check.")

    return app


def page(template: str, status: int, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def web_of(app: Flask) -> Web:
    web = app.extensions["monitor"]
    assert isinstance(web, Web)
    return web
