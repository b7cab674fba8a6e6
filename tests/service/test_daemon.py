"""`monitor run` as a real process: sd_notify, SIGTERM, a second daemon, a PostgreSQL restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.errors import AlreadyRunning
from monitor.store import open_store
from monitor.store.schema import ItemRow
from tests.conftest import FakeClock
from tests.service.helpers import count, record, replay_config, service

MONITOR = [str(Path(sys.executable).parent / "monitor")]


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)  # a bound for a hung process, not a timing assertion
    yield sock, path
    sock.close()


def start(config_path: Path, environ: dict[str, str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(environ)
    return subprocess.Popen(
        [*MONITOR, "-c", str(config_path), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def messages_until(sock: socket.socket, wanted: bytes, limit: int = 200) -> list[bytes]:
    seen: list[bytes] = []
    while len(seen) < limit:
        seen.append(sock.recv(4096))
        if seen[-1].startswith(wanted):
            return seen
    raise AssertionError(f"never saw {wanted!r} in {seen[:10]!r}…")


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_daemon_lifecycle(
    tmp_path: Path, notify: tuple[socket.socket, str], database: str, request: pytest.FixtureRequest
) -> None:
    """READY=1, then regular WATCHDOG=1; a second daemon refuses; SIGTERM stops it cleanly."""
    sock, path = notify
    url = request.getfixturevalue("postgres_url") if database == "postgres" else None
    replay_config(tmp_path, [record(1, "I will hurt you"), record(2, "hello")], database=url)
    config_path = tmp_path / "monitor.toml"
    daemon = start(config_path, {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "300000"})
    try:
        first = messages_until(sock, b"READY=1")
        assert not any(m == b"WATCHDOG=1" for m in first), "no watchdog ping before READY=1"
        pings = [sock.recv(4096) for _ in range(5)]
        assert pings.count(b"WATCHDOG=1") == 5

        second = subprocess.run(
            [*MONITOR, "-c", str(config_path), "run"], capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert second.stderr.count("\n") == 1, f"one clear line, got: {second.stderr}"

        daemon.send_signal(signal.SIGTERM)
        messages_until(sock, b"STOPPING=1")
        _, err = daemon.communicate(timeout=10)  # "stops cleanly within 10 seconds"
        assert daemon.returncode == 0, err
        assert "received SIGTERM: stopping" in err and "monitor daemon stopped" in err
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()
    store = open_store(url or f"sqlite:///{tmp_path / 'state' / 'monitor.db'}")
    try:
        assert count(store, ItemRow) == 2, "the first poll ran and was committed"
        store.acquire_lock()  # released on exit
    finally:
        store.close()


def test_sigint_also_stops_cleanly(tmp_path: Path, notify: tuple[socket.socket, str]) -> None:
    sock, path = notify
    replay_config(tmp_path, [record(1, "hello")])
    daemon = start(tmp_path / "monitor.toml", {"NOTIFY_SOCKET": path})
    try:
        messages_until(sock, b"READY=1")
        daemon.send_signal(signal.SIGINT)
        _, err = daemon.communicate(timeout=10)
        assert daemon.returncode == 0, err
        assert "received SIGINT" in err
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()


@pytest.mark.postgres
def test_postgres_backends_killed_next_job_succeeds(
    tmp_path: Path, postgres_url: str, clock: FakeClock
) -> None:
    """pg_terminate_backend on every connection of the daemon (as a PostgreSQL restart does)."""
    app = f"monitor-test-{uuid.uuid4().hex[:8]}"
    url = f"{postgres_url}&application_name={app}"
    lines = [record(1, "hello")]
    config = replay_config(tmp_path, lines, database=url)
    store = open_store(url)
    store.acquire_lock()
    svc = service(config, store, clock)
    admin = sa.create_engine(postgres_url)
    try:
        svc.poll_job("fb")
        assert count(store, ItemRow) == 1
        with admin.begin() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :a"
                ),
                {"a": app},
            ).scalar()
        assert killed and killed >= 2  # the pooled connection and the lock's
        lines.append(record(2, "still watching"))
        (tmp_path / "export.jsonl").write_text("".join(f"{x}\n" for x in lines), encoding="utf-8")

        svc.poll_job("fb")
        assert count(store, ItemRow) == 2, "the next job reconnects (pool_pre_ping) and works"
        assert svc.wedged(clock.now) is None and svc.exit_code == 0

        svc.heartbeat_job()  # notices the lock went with its session, and takes it back
        other = open_store(postgres_url, migrate=False)
        try:
            with pytest.raises(AlreadyRunning):
                other.acquire_lock()
        finally:
            other.close()
    finally:
        admin.dispose()
        store.close()
