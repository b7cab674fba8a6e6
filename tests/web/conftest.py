"""Fixtures for the web inbox: a real store, a config naming one person per role, the Flask
app over them, and the sign-in emails written as real .eml files by the outbox."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from alerts import outbox
from alerts.smtp import FileTransport
from monitor.config import Config
from monitor.store import Store
from monitor.web import create_app
from tests.alerts.helpers import add_item, decide
from tests.conftest import FakeClock, make_config

PEOPLE = {
    "md": "md@example.org",
    "deputy": "deputy@example.org",
    "staff": "staff@example.org",
    "operator": "ops@example.org",
}
SECRET_COMMENT = "Saw Tom Baker leaving your counselling rooms, tell him I know"


def people_config(tmp_path: Path, base_url: str = "http://localhost", extra: str = "") -> Config:
    people = "".join(
        f"[[people]]\nname = '{role.title()} Person'\nemail = '{address}'\nrole = '{role}'\n"
        for role, address in PEOPLE.items()
    )
    return make_config(
        tmp_path,
        f"{people}[web]\nbase_url = '{base_url}'\nsecret_key = {{ env = 'WEB_KEY' }}\n{extra}",
        environ={"WEB_KEY": "k" * 40},
    )


@dataclass
class Mail:
    """The outbox's .eml files: where sign-in links and alerts arrive."""

    folder: Path

    def messages(self) -> list[email.message.EmailMessage]:
        out = []
        for path in sorted(self.folder.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(msg, email.message.EmailMessage)
            out.append(msg)
        return out

    def signin_links(self, to: str) -> list[str]:
        links = []
        for msg in self.messages():
            if msg["To"] == to and "sign-in link" in str(msg["Subject"]):
                links += re.findall(r"(https?://\S+/s/[\w-]+)", msg.get_content())
        return links


@dataclass
class Site:
    config: Config
    store: Store
    clock: FakeClock
    app: Flask
    mail: Mail
    tmp_path: Path

    def urgent_alert(
        self, n: int = 1, text: str = SECRET_COMMENT, label: str = "confidentiality_risk"
    ) -> int:
        item = add_item(self.store, f"c{n}", text, now=self.clock.now, post_id=f"p{n}")
        decide(self.store, self.config, item, [label], self.clock.now)
        outbox.deliver_due(self.store, self.config, self.clock.now, transport=FileTransport(self.mail.folder))
        return n


def build(tmp_path: Path, store: Store, clock: FakeClock, config: Config | None = None) -> Site:
    config = config or people_config(tmp_path)
    mail = Mail(tmp_path / "outbox")

    def send_now(alert_id: int) -> None:  # synchronous in tests: the email is there on return
        outbox.deliver_one(store, config, clock(), alert_id, FileTransport(mail.folder))

    app = create_app(config, store, clock=clock, send_now=send_now)
    app.testing = True
    return Site(config, store, clock, app, mail, tmp_path)


@pytest.fixture
def site(tmp_path: Path, sqlite_store: Store, clock: FakeClock) -> Site:
    return build(tmp_path, sqlite_store, clock)


@pytest.fixture
def client(site: Site) -> Iterator[FlaskClient]:
    with site.app.test_client() as c:
        yield c


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def sign_in(client: FlaskClient, site: Site, role: str) -> None:
    address = PEOPLE[role]
    before = len(site.mail.signin_links(address))
    response = client.post("/signin", data={"email": address, "csrf_token": csrf(client, "/signin")})
    assert response.status_code == 302
    links = site.mail.signin_links(address)
    assert len(links) == before + 1
    path = links[-1].split("localhost", 1)[1]
    token = csrf(client, path)
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def form(client: FlaskClient, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf(client, page or path)})
