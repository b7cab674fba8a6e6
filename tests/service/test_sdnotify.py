"""sd_notify: datagrams to $NOTIFY_SOCKET (path or abstract '@name'), watchdog from $WATCHDOG_USEC."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.sdnotify import Notifier


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(5)
    yield sock, path
    sock.close()


def test_ready_status_watchdog_stopping_are_sent(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "3000000"})
    assert notifier.watchdog == timedelta(seconds=3)
    assert notifier.ready("watching 2 account(s)")
    assert sock.recv(4096) == b"READY=1\nSTATUS=watching 2 account(s)"
    assert notifier.ping()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert notifier.stopping()
    assert sock.recv(4096) == b"STOPPING=1"
    notifier.close()


def test_abstract_socket_with_at_sign() -> None:
    name = f"monitor-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(5)
    try:
        notifier = Notifier.from_environ({"NOTIFY_SOCKET": "@" + name})
        assert notifier.ready()
        assert sock.recv(4096) == b"READY=1"
        notifier.close()
    finally:
        sock.close()


def test_outside_systemd_everything_is_a_no_op() -> None:
    notifier = Notifier.from_environ({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.ping()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "junk"}, None),
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid())}, timedelta(seconds=1)),
    ],
    ids=["zero", "junk", "other-pid", "our-pid"],
)
def test_watchdog_only_when_meant_for_us(environ: dict[str, str], expected: timedelta | None) -> None:
    assert Notifier.from_environ({"NOTIFY_SOCKET": "/nonexistent", **environ}).watchdog == expected


def test_ping_without_watchdog_sends_nothing(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": path})
    assert not notifier.ping()
    notifier.status("x")
    assert sock.recv(4096) == b"STATUS=x"
    notifier.close()


def test_a_missing_socket_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    notifier = Notifier(str(tmp_path / "gone.sock"))
    assert not notifier.ready()
    assert "sd_notify" in caplog.text
    notifier.close()
