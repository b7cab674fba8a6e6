"""Shared helpers for the alert tests: items and findings in a real store, SMTP servers."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alerts import route
from monitor.config import Config
from monitor.store import Store
from monitor.store import items as store_items
from monitor.store.schema import ItemRow
from monitor.types import Finding, Item, ItemKind


def add_item(
    store: Store,
    external_id: str,
    text: str = "some comment",
    *,
    now: datetime,
    post_id: str | None = "post-1",
    author_is_org: bool = False,
    platform: str = "facebook",
    account: str = "facebook-main",
    private: bool = False,
    permalink: str | None = None,
    author_name: str | None = "Sam Example",
) -> int:
    item = Item(
        platform=platform,
        external_id=external_id,
        account=account,
        kind=ItemKind.OWN_POST if author_is_org else ItemKind.COMMENT,
        text=text,
        created_at=now - timedelta(minutes=1),
        post_id=post_id,
        author_name=author_name,
        author_handle="sam.example",
        author_is_org=author_is_org,
        permalink=permalink or f"https://www.facebook.com/1/posts/{post_id}?comment_id={external_id}",
        private=private,
    )
    with store.transaction() as session:
        store_items.save_items(session, [item], now)
        row = session.query(ItemRow).filter_by(platform=platform, external_id=external_id).one()
        return row.id


def findings(*labels: str, score: float = 0.9) -> list[Finding]:
    return [Finding(label, score, (f"keyword for {label}",)) for label in labels]


def decide(store: Store, config: Config, item_id: int, labels: Sequence[str], now: datetime) -> int:
    """What the pipeline does: store the findings and decide, in one transaction."""
    found = findings(*labels)
    with store.transaction() as session:
        row = session.get(ItemRow, item_id)
        assert row is not None
        store_items.save_findings(session, row, found, "test", now)
        return route.decide(session, config, row, found, now)


# ------------------------------------------------------------------ a real SMTP server


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    reply: str = "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return self.reply


class Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user,
            self.password,
        )
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_context(cert_pem: Path, key_pem: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_pem, key_pem)
    return context


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself: nobody trusts it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem, key_pem = folder / "self.pem", folder / "self.key"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_pem, key_pem


def start_server(
    handler: Handler,
    *,
    implicit_tls: ssl.SSLContext | None = None,
    starttls: ssl.SSLContext | None = None,
    authenticator: Authenticator | None = None,
) -> Controller:
    kwargs: dict[str, Any] = {}
    if starttls is not None:
        kwargs["tls_context"] = starttls
    if authenticator is not None:
        kwargs["authenticator"] = authenticator
        kwargs["auth_require_tls"] = True
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), ssl_context=implicit_tls, ready_timeout=10, **kwargs
    )
    controller.start()
    return controller
