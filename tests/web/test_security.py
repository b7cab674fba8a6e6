"""The web inbox's security promises, with Flask's test client over a real store and outbox."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from alerts import escalate
from monitor.store import Store
from monitor.store import alerts as store_alerts
from monitor.web import CSP
from tests.conftest import FakeClock
from tests.web.conftest import PEOPLE, SECRET_COMMENT, Site, build, csrf, form, people_config, sign_in

# Reachable without a session: signing in, and the confirm pages behind an alert email's
# buttons (they carry the alert's own token). Everything else needs a session.
PUBLIC = {"auth.signin", "auth.sent", "auth.link", "inbox.button", "static", "auth.home"}
PAGES = {  # every GET page that needs a session, and the roles that may open it
    "/alerts": {"md", "deputy"},
    "/alerts/1": {"md", "deputy"},
    "/check": {"md", "deputy", "staff"},
    "/connections": {"md", "deputy", "operator"},
    "/digests": {"md", "deputy"},
    "/erasure": {"md"},
}
POSTS = {  # every POST that needs a session, a valid form for it, and who may send it
    "/alerts/1/act": ({"action": "acknowledge"}, {"md", "deputy"}),
    "/check": ({"draft": "Our new group starts on Monday."}, {"md", "deputy", "staff"}),
    "/erasure": ({"handle": "@nobody", "confirm": "yes"}, {"md"}),
}


def rule_paths(site: Site) -> dict[str, set[str]]:
    return {rule.endpoint: set(rule.methods or ()) for rule in site.app.url_map.iter_rules()}


def test_every_route_is_listed_here(site: Site) -> None:
    """A new route must be added to PUBLIC, PAGES or POSTS (and so to these tests)."""
    endpoints = set(rule_paths(site))
    covered = PUBLIC | {"auth.signout", "inbox.digest", "inbox.alert", "inbox.act"}
    urls = site.app.url_map.bind("localhost")
    covered |= {urls.match(p, method="GET")[0] for p in PAGES}
    covered |= {urls.match(p, method="POST")[0] for p in POSTS}
    assert endpoints <= covered, endpoints - covered


@pytest.mark.parametrize("path", [*PAGES, "/digests/1"])
def test_pages_need_a_session(client: FlaskClient, site: Site, path: str) -> None:
    site.urgent_alert()
    response = client.get(path)
    assert (response.status_code, response.headers["Location"]) == (302, "/signin")


@pytest.mark.parametrize("path", [*POSTS, "/signout"])
def test_posts_need_a_session(client: FlaskClient, site: Site, path: str) -> None:
    site.urgent_alert()
    data, _ = POSTS.get(path, ({}, set()))
    response = form(client, path, data, page="/signin")
    assert response.status_code == 302 and response.headers["Location"] == "/signin"
    assert the_state(site) == "sent"


@pytest.mark.parametrize("path", [*POSTS, "/signout", "/signin", "/a/1/ack?t=x"])
def test_every_post_needs_the_csrf_token(client: FlaskClient, site: Site, path: str) -> None:
    site.urgent_alert()
    sign_in(client, site, "md")
    data, _ = POSTS.get(path, ({}, set()))
    response = client.post(path, data={**data, "email": PEOPLE["md"]})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    response = client.post(path, data={**data, "csrf_token": "forged"})
    assert response.status_code == 400
    assert the_state(site) == "sent"
    assert client.get("/alerts").status_code == 200  # still signed in: signout did not happen


@pytest.mark.parametrize("role", list(PEOPLE))
def test_each_role_reaches_its_pages_and_no_others(client: FlaskClient, site: Site, role: str) -> None:
    site.urgent_alert()
    sign_in(client, site, role)
    for path, roles in PAGES.items():
        assert client.get(path).status_code == (200 if role in roles else 403), path
    for path, (data, roles) in POSTS.items():
        response = form(client, path, data, page="/signin")
        assert response.status_code in ((200, 302) if role in roles else (403,)), path
    assert the_state(site) == ("acknowledged" if role in ("md", "deputy") else "sent")


def test_staff_and_operator_cannot_see_alerts_or_act_by_number(client: FlaskClient, site: Site) -> None:
    site.urgent_alert()
    for role in ("staff", "operator"):
        sign_in(client, site, role)
        for path in ("/alerts/1", "/alerts/2", "/digests/1"):
            page = client.get(path)
            assert page.status_code == 403 and SECRET_COMMENT not in page.get_data(as_text=True)
        response = form(client, "/alerts/1/act", {"action": "resolve"}, page="/signin")
        assert response.status_code == 403
        form(client, "/signout", {}, page="/signin")
    assert the_state(site) == "sent"


def test_operator_notices_and_digests_are_not_alert_pages(client: FlaskClient, site: Site) -> None:
    from alerts import notices

    with site.store.transaction() as session:
        notices.queue(
            session, site.config, site.clock.now, topic="auth", account="fb", message="token", key="n1"
        )
    sign_in(client, site, "md")
    assert client.get("/alerts/1").status_code == 404


def test_a_link_works_once_and_for_15_minutes(client: FlaskClient, site: Site) -> None:
    client.post("/signin", data={"email": PEOPLE["md"], "csrf_token": csrf(client, "/signin")})
    [link] = site.mail.signin_links(PEOPLE["md"])
    path = link.split("localhost", 1)[1]
    assert client.get(path).status_code == 200  # a mail scanner opening it burns nothing
    assert client.get(path).status_code == 200
    assert client.post(path, data={"csrf_token": csrf(client, path)}).status_code == 302
    replay = client.post(path, data={"csrf_token": csrf(client, "/signin")})
    assert replay.status_code == 410 and "already been used" in replay.get_data(as_text=True)

    client.post("/signin", data={"email": PEOPLE["deputy"], "csrf_token": csrf(client, "/signin")})
    [late] = site.mail.signin_links(PEOPLE["deputy"])
    site.clock.advance(minutes=15, seconds=1)
    expired = client.get(late.split("localhost", 1)[1])
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)
    made_up = client.get("/s/not-a-real-token")
    assert made_up.status_code == 410 and "not one the monitor made" in made_up.get_data(as_text=True)


def test_the_page_is_the_same_for_known_and_unknown_addresses(client: FlaskClient, site: Site) -> None:
    known = client.post("/signin", data={"email": PEOPLE["md"], "csrf_token": csrf(client, "/signin")})
    unknown = client.post("/signin", data={"email": "who@else.org", "csrf_token": csrf(client, "/signin")})
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert client.get("/signin/sent").get_data() == client.get("/signin/sent").get_data()
    assert [m["To"] for m in site.mail.messages()] == [PEOPLE["md"]]


def test_sign_in_requests_are_rate_limited_per_address_and_per_client(
    client: FlaskClient, site: Site
) -> None:
    for _ in range(5):
        client.post("/signin", data={"email": PEOPLE["md"], "csrf_token": csrf(client, "/signin")})
    assert len(site.mail.signin_links(PEOPLE["md"])) == 3
    for _ in range(6):  # 11 requests from this client within 15 minutes: the 11th is refused
        last = client.post("/signin", data={"email": "x@y.org", "csrf_token": csrf(client, "/signin")})
    assert last.status_code == 429 and "Too many" in last.get_data(as_text=True)
    # the limits live in the store: a new app (a restart) keeps them
    again = build(site.tmp_path, site.store, site.clock, site.config)
    with again.app.test_client() as fresh:
        response = fresh.post("/signin", data={"email": PEOPLE["md"], "csrf_token": csrf(fresh, "/signin")})
        assert response.status_code == 429
    site.clock.advance(minutes=16)
    client.post("/signin", data={"email": PEOPLE["md"], "csrf_token": csrf(client, "/signin")})
    assert len(site.mail.signin_links(PEOPLE["md"])) == 4


def test_no_open_redirects(client: FlaskClient, site: Site) -> None:
    site.urgent_alert()
    assert client.get("/alerts/1").headers["Location"] == "/signin"
    for path in ("//evil.example/alerts", "/signin?next=https://evil.example", "/\\evil.example"):
        response = client.get(path)
        assert response.status_code in (200, 302, 404)
        assert "evil" not in response.headers.get("Location", "")
    sign_in(client, site, "md")  # back where they were going: a local page, by number
    with site.app.test_client() as other:
        other.get("/alerts/1")
        sign_in(other, site, "md")
        assert other.get("/").headers["Location"] == "/alerts"


def test_after_sign_in_the_page_asked_for_opens(client: FlaskClient, site: Site) -> None:
    site.urgent_alert()
    client.get("/alerts/1")
    address = PEOPLE["md"]
    client.post("/signin", data={"email": address, "csrf_token": csrf(client, "/signin")})
    path = site.mail.signin_links(address)[-1].split("localhost", 1)[1]
    response = client.post(path, data={"csrf_token": csrf(client, path)})
    assert response.headers["Location"] == "/alerts/1"


def test_security_headers_on_every_response(client: FlaskClient, site: Site) -> None:
    site.urgent_alert()
    responses = [client.get(p) for p in ("/signin", "/alerts", "/nowhere", "/static/style.css", "/s/x")]
    sign_in(client, site, "md")
    responses += [client.get(p) for p in ("/alerts", "/alerts/1", "/check", "/erasure")]
    for response in responses:
        headers = response.headers
        assert headers["Content-Security-Policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "script-src" not in CSP  # no scripts at all
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
    for response in responses[-4:]:
        assert response.headers["Cache-Control"] == "no-store"
        page = response.get_data(as_text=True)
        assert "<script" not in page and " style=" not in page and "<style" not in page
    for response in responses:
        response.close()  # the style sheet is streamed from its file


def test_cookies_are_secure_behind_https(tmp_path: Path, sqlite_store: Store, clock: FakeClock) -> None:
    site = build(tmp_path, sqlite_store, clock, people_config(tmp_path, "https://monitor.example.org"))
    with site.app.test_client() as client:
        response = client.get("/signin", base_url="https://monitor.example.org")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-monitor=")
        assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        # a form POST behind HTTPS works without a Referer (Referrer-Policy: no-referrer)
        token = csrf(client, "https://monitor.example.org/signin")
        posted = client.post(
            "/signin",
            data={"email": PEOPLE["md"], "csrf_token": token},
            base_url="https://monitor.example.org",
        )
        assert (posted.status_code, posted.headers["Location"]) == (302, "/signin/sent")


def test_http_cookies_are_httponly_and_lax(client: FlaskClient) -> None:
    cookie = client.get("/signin").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_signing_out_ends_the_session_on_the_server(client: FlaskClient, site: Site) -> None:
    sign_in(client, site, "md")
    stolen = client.get_cookie("monitor")
    assert stolen is not None
    form(client, "/signout", {}, page="/alerts")
    with site.app.test_client() as thief:
        thief.set_cookie("monitor", stolen.value)
        assert thief.get("/alerts").headers["Location"] == "/signin"


def test_someone_removed_from_the_configuration_loses_access(client: FlaskClient, site: Site) -> None:
    sign_in(client, site, "deputy")
    cookie = client.get_cookie("monitor")
    assert cookie is not None
    fewer = site.config.__class__(
        **{**site.config.__dict__, "people": tuple(p for p in site.config.people if p.role != "deputy")}
    )
    after = build(site.tmp_path, site.store, site.clock, fewer)
    with after.app.test_client() as same_browser:
        same_browser.set_cookie("monitor", cookie.value)
        assert same_browser.get("/alerts").headers["Location"] == "/signin"


def test_email_buttons_act_on_post_only_with_the_alerts_own_token(client: FlaskClient, site: Site) -> None:
    site.urgent_alert(1)
    site.urgent_alert(2)
    mails = [m for m in site.mail.messages() if "Confidentiality" in str(m["Subject"])]
    html = mails[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    ack = re.search(r'href="(http://localhost/a/1/ack\?t=[0-9a-f]+)"', html)
    assert ack, html
    path = ack.group(1).split("localhost", 1)[1]
    token = path.split("t=")[1]

    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    assert the_state(site) == "sent"  # GET never acts: mail scanners follow links
    assert client.get(f"/a/2/ack?t={token}").status_code == 410  # alert 1's token on alert 2
    assert client.get("/a/1/ack?t=" + "0" * 32).status_code == 410
    assert client.get("/a/1/ack").status_code == 410
    page_token = csrf(client, path)
    response = client.post("/a/1/ack", data={"t": token, "csrf_token": page_token, "note": "on my way"})
    assert response.status_code == 200 and "is being dealt with" in response.get_data(as_text=True)
    assert the_state(site) == "acknowledged"
    with site.store.transaction() as session:
        last = store_alerts.events_of(session, 1)[-1]
    assert (last.action, last.actor, last.note) == (
        "acknowledged",
        "someone with the alert email (email button)",
        "on my way",
    )
    site.clock.advance(minutes=site.config.alerts.escalate_after_minutes)
    assert escalate.check(site.store, site.config, site.clock.now) == 1  # alert 2 only
    with site.store.transaction() as session:
        assert [store_alerts.get(session, n).escalations for n in (1, 2)] == [0, 1]  # type: ignore[union-attr]


def test_no_comment_text_in_urls_or_logs(
    client: FlaskClient, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    site.urgent_alert(1, text=SECRET_COMMENT)
    sign_in(client, site, "md")
    pages = [client.get(p) for p in ("/alerts", "/alerts/1")]
    assert "[name]" in pages[1].get_data(as_text=True)  # masked as in the email
    form(client, "/alerts/1/act", {"action": "resolve", "note": "hidden"}, page="/alerts/1")
    draft = "Proud of our client Sarah Jones, ring her on 07700 900456"
    checked = form(client, "/check", {"draft": draft})
    assert checked.status_code == 200
    for response in [*pages, checked]:
        urls = re.findall(r'(?:href|action|src)="([^"]*)"', response.get_data(as_text=True))
        urls += [response.headers.get("Location", "")]
        for url in urls:
            assert "Tom" not in url and "Sarah" not in url and "07700" not in url, url
    for secret in ("Tom Baker", "counselling rooms", "Sarah Jones", "07700 900456"):
        assert secret not in caplog.text


def the_state(site: Site, alert_id: int = 1) -> str:
    with site.store.transaction() as session:
        row = store_alerts.get(session, alert_id)
        return row.state if row else "missing"


def test_head_requests_never_act(client: FlaskClient, site: Site) -> None:
    """Link checkers and mail scanners also send HEAD: it must neither sign in nor acknowledge."""
    site.urgent_alert(1)
    html = next(m for m in site.mail.messages() if "Confidentiality" in str(m["Subject"]))
    body = html.get_body(("html",)).get_content()  # type: ignore[union-attr]
    button = re.search(r'href="http://localhost(/a/1/ack\?t=[0-9a-f]+)"', body)
    assert button
    assert client.head(button.group(1)).status_code == 200
    assert the_state(site) == "sent"
    address = PEOPLE["md"]
    client.post("/signin", data={"email": address, "csrf_token": csrf(client, "/signin")})
    link = site.mail.signin_links(address)[-1].split("localhost", 1)[1]
    assert client.head(link).status_code == 200
    assert client.get("/alerts").status_code == 302, "a HEAD on the link signed nobody in"
    assert client.head("/signin").status_code == 200
    token = csrf(client, link)
    assert client.post(link, data={"csrf_token": token}).status_code == 302, "the link still works once"
