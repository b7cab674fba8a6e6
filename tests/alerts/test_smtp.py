"""SMTP delivery against a real aiosmtpd server on 127.0.0.1: TLS verified, STARTTLS required."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from alerts.smtp import FileTransport, MessageRefused, SmtpTransport
from monitor.config import Secret, SmtpConfig
from monitor.errors import PermanentDeliveryError, TransientDeliveryError
from tests.alerts.helpers import Authenticator, Handler, free_port, server_context, start_server

PASSWORD = "s3cret-pa55word"


def message() -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "[URGENT] Threat on Facebook"
    msg["From"] = "monitor@example.org"
    msg["To"] = "md@example.org"
    msg["Message-ID"] = "<alert.abc.0@example.org>"
    msg.set_content("hello")
    return msg


def send(settings: SmtpConfig) -> None:
    SmtpTransport(settings).send(
        message(), sender="monitor@example.org", recipients=["md@example.org"], name="t"
    )


@pytest.fixture
def servers() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for controller in started:
        controller.stop()


def test_starttls_with_a_trusted_ca_delivers(
    handler: Handler, tls_files: dict[str, Path], servers: list[Any]
) -> None:
    server = start_server(handler, starttls=server_context(tls_files["cert"], tls_files["key"]))
    servers.append(server)
    send(SmtpConfig(host="127.0.0.1", port=server.port, ca_file=str(tls_files["ca"])))
    assert len(handler.received) == 1
    got = handler.received[0]
    assert got.rcpt_tos == ["md@example.org"]
    assert got.message["Message-ID"] == "<alert.abc.0@example.org>"


def test_implicit_tls_with_a_trusted_ca_delivers(
    handler: Handler, tls_files: dict[str, Path], servers: list[Any]
) -> None:
    server = start_server(handler, implicit_tls=server_context(tls_files["cert"], tls_files["key"]))
    servers.append(server)
    send(SmtpConfig(host="127.0.0.1", port=server.port, security="tls", ca_file=str(tls_files["ca"])))
    assert len(handler.received) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_self_signed_certificate_is_refused(
    handler: Handler, tls_files: dict[str, Path], servers: list[Any], security: str
) -> None:
    context = server_context(tls_files["self_cert"], tls_files["self_key"])
    server = start_server(
        handler, **({"starttls": context} if security == "starttls" else {"implicit_tls": context})
    )
    servers.append(server)
    with pytest.raises(PermanentDeliveryError, match="not trusted"):
        send(SmtpConfig(host="127.0.0.1", port=server.port, security=security))  # type: ignore[arg-type]
    assert handler.received == []


def test_a_certificate_from_an_unknown_ca_is_refused_without_ca_file(
    handler: Handler, tls_files: dict[str, Path], servers: list[Any]
) -> None:
    server = start_server(handler, starttls=server_context(tls_files["cert"], tls_files["key"]))
    servers.append(server)
    with pytest.raises(PermanentDeliveryError, match="not trusted"):
        send(SmtpConfig(host="127.0.0.1", port=server.port))
    assert handler.received == []


def test_no_starttls_is_refused_unless_allowed(handler: Handler, servers: list[Any]) -> None:
    server = start_server(handler)
    servers.append(server)
    with pytest.raises(PermanentDeliveryError, match="does not offer STARTTLS"):
        send(SmtpConfig(host="127.0.0.1", port=server.port))
    assert handler.received == []
    send(SmtpConfig(host="127.0.0.1", port=server.port, allow_insecure=True))
    assert len(handler.received) == 1


def test_login_after_starttls_and_password_never_logged(
    handler: Handler, tls_files: dict[str, Path], servers: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = start_server(
        handler,
        starttls=server_context(tls_files["cert"], tls_files["key"]),
        authenticator=Authenticator("monitor", PASSWORD),
    )
    servers.append(server)
    good = SmtpConfig(
        host="127.0.0.1",
        port=server.port,
        ca_file=str(tls_files["ca"]),
        username="monitor",
        password=Secret(PASSWORD, "env:SMTP_PASSWORD"),
    )
    send(good)
    assert len(handler.received) == 1
    bad = SmtpConfig(
        host="127.0.0.1",
        port=server.port,
        ca_file=str(tls_files["ca"]),
        username="monitor",
        password=Secret("wrong-" + PASSWORD, "env:SMTP_PASSWORD"),
    )
    with pytest.raises(PermanentDeliveryError, match="login as monitor refused") as info:
        send(bad)
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in caplog.text


def test_password_is_not_sent_unencrypted(handler: Handler, servers: list[Any]) -> None:
    server = start_server(handler)
    servers.append(server)
    settings = SmtpConfig(
        host="127.0.0.1",
        port=server.port,
        security="none",
        allow_insecure=False,
        username="u",
        password=Secret(PASSWORD, "env:X"),
    )
    with pytest.raises(PermanentDeliveryError, match="unencrypted"):
        send(settings)


def test_a_refused_message_is_permanent(servers: list[Any]) -> None:
    refusing = Handler(reply="554 5.7.1 message rejected as spam")
    server = start_server(refusing)
    servers.append(server)
    with pytest.raises(MessageRefused, match="554"):
        send(SmtpConfig(host="127.0.0.1", port=server.port, allow_insecure=True))


def test_a_temporary_refusal_is_transient(servers: list[Any]) -> None:
    busy = Handler(reply="451 4.3.0 try again later")
    server = start_server(busy)
    servers.append(server)
    with pytest.raises(TransientDeliveryError, match="451"):
        send(SmtpConfig(host="127.0.0.1", port=server.port, allow_insecure=True))


def test_nobody_listening_is_transient() -> None:
    with pytest.raises(TransientDeliveryError, match="cannot reach"):
        send(SmtpConfig(host="127.0.0.1", port=free_port(), timeout_seconds=5))


def test_file_transport_rewrites_the_same_file(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "outbox")
    for _ in range(2):
        transport.send(message(), sender="m@example.org", recipients=[], name="000001-0-urgent-threat")
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["000001-0-urgent-threat.eml"]
