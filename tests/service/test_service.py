"""The daemon's jobs, called directly with a fake clock: no sleeps, no timings."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from connectors import base as connector_base
from monitor import pipeline
from monitor.errors import RateLimited, StorageError
from monitor.sdnotify import Notifier
from monitor.service import Service, Timings, jitter_seconds
from monitor.store import Store
from monitor.store.schema import AccountRow, AlertRow, ItemRow
from monitor.types import Account, Item, ItemKind, Mark, Page
from tests.conftest import FakeClock, KeywordClassifier
from tests.service.helpers import count, record, replay_config, service

JOB_IDS = {"poll:fb", "poll:ig", "deliver", "escalate", "heartbeat", "digest", "retention"}


@pytest.fixture
def started(tmp_path: Path, sqlite_store: Store, clock: FakeClock) -> Iterator[Service]:
    """A service whose scheduler is started paused: jobs exist, none runs by itself."""
    config = replay_config(tmp_path, [record(1, "I will hurt you")], accounts=("fb", "ig"))
    svc = service(config, sqlite_store, clock)
    svc.add_jobs()
    svc.scheduler.start(paused=True)
    yield svc
    svc.scheduler.shutdown(wait=False)


def test_jobs_have_fixed_ids_and_no_duplicates(started: Service) -> None:
    started.add_jobs()  # as after a restart or a second call: replaced, not added
    started.add_jobs()
    ids = [job.id for job in started.scheduler.get_jobs() if job.id != "digest-catch-up"]
    assert sorted(ids) == sorted(JOB_IDS)


def test_poll_jobs_coalesce_run_alone_and_tolerate_lateness(started: Service) -> None:
    job = started.scheduler.get_job("poll:fb")
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time == 600  # one interval (10 min), not APScheduler's 1 s
    assert job.trigger.interval == timedelta(minutes=10)
    assert job.trigger.jitter == jitter_seconds(timedelta(minutes=10)) == 60
    assert started.scheduler.get_job("digest").misfire_grace_time == 6 * 3600


def test_a_poll_stores_classifies_and_delivers_at_once(started: Service) -> None:
    started.poll_job("fb")
    assert count(started.store, ItemRow) == 1
    assert count(started.store, AlertRow, AlertRow.state == "sent") == 1
    with started.store.transaction() as s:
        row = s.get(AccountRow, "fb")
        assert row is not None and row.last_success_at == started.ctx.clock()
        assert row.next_poll_at == started.scheduler.get_job("poll:fb").next_run_time


@dataclass(frozen=True)
class ScriptSettings:
    pass


class ScriptedConnector:
    """Raises the next exception in `script`, or yields one page; records every call."""

    platform: ClassVar[str] = "scripted"
    Settings: ClassVar[type[ScriptSettings]] = ScriptSettings
    script: ClassVar[list[Exception | None]] = []
    calls: ClassVar[int] = 0
    gate: ClassVar[threading.Event | None] = None

    def __init__(self, account: Account, settings: ScriptSettings, session: requests.Session) -> None:
        self.account = account

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        type(self).calls += 1
        if self.gate is not None:
            self.gate.wait(30)
        step = self.script.pop(0) if self.script else None
        if step is not None:
            raise step
        from tests.service.helpers import T0

        n = type(self).calls
        yield Page(items=(Item("scripted", f"s{n}", self.account.name, ItemKind.COMMENT, "hi", T0),))

    def check(self) -> list[str]:
        return []

    def hide(self, external_id: str) -> None:
        raise NotImplementedError


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> type[ScriptedConnector]:
    monkeypatch.setitem(connector_base.BUILTIN, "scripted", f"{__name__}:ScriptedConnector")
    monkeypatch.setattr(ScriptedConnector, "script", [])
    monkeypatch.setattr(ScriptedConnector, "calls", 0)
    monkeypatch.setattr(ScriptedConnector, "gate", None)
    return ScriptedConnector


def scripted_service(
    tmp_path: Path, store: Store, clock: FakeClock, *, notifier: Notifier | None = None, **timings: Any
) -> Service:
    from tests.conftest import make_config

    config = make_config(tmp_path, '[[accounts]]\nname = "s"\nplatform = "scripted"\naccount_id = "s"\n')
    svc = service(config, store, clock, notifier=notifier, timings=Timings(**timings))
    svc.add_jobs()
    svc.scheduler.start(paused=True)
    return svc


def test_not_before_is_honoured_and_shown_as_next_poll(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock, scripted: type[ScriptedConnector]
) -> None:
    reset = clock.now + timedelta(minutes=47)
    scripted.script = [RateLimited("slow down", reset_at=reset)]
    svc = scripted_service(tmp_path, sqlite_store, clock)
    try:
        svc.poll_job("s")
        assert scripted.calls == 1
        assert svc.scheduler.get_job("poll:s").next_run_time == reset
        with sqlite_store.transaction() as s:
            row = s.get(AccountRow, "s")
            assert row is not None and (row.not_before, row.next_poll_at) == (reset, reset)

        clock.advance(minutes=20)  # fired early (e.g. by a restart): the platform is not asked
        svc.poll_job("s")
        assert scripted.calls == 1

        clock.advance(minutes=30)
        svc.poll_job("s")
        assert scripted.calls == 2
        assert count(sqlite_store, ItemRow) == 1
    finally:
        svc.scheduler.shutdown(wait=False)


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, Notifier]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.setblocking(False)
    notifier = Notifier(str(tmp_path / "notify"), timedelta(seconds=30))
    yield sock, notifier
    notifier.close()
    sock.close()


def received(sock: socket.socket) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096))
        except BlockingIOError:
            return out


def test_watchdog_pings_stop_while_a_job_is_wedged(
    tmp_path: Path,
    sqlite_store: Store,
    clock: FakeClock,
    scripted: type[ScriptedConnector],
    notify_socket: tuple[socket.socket, Notifier],
) -> None:
    sock, notifier = notify_socket
    svc = scripted_service(tmp_path, sqlite_store, clock, notifier=notifier)
    gate = scripted.gate = threading.Event()
    worker = threading.Thread(target=svc.poll_job, args=("s",))
    try:
        svc.heartbeat_job()
        assert received(sock) == [b"WATCHDOG=1"]
        worker.start()
        while scripted.calls == 0:  # the poll is now inside the platform call
            threading.Event().wait(0.01)
        svc.heartbeat_job()
        assert received(sock) == [b"WATCHDOG=1"], "a poll in progress is not a wedge"
        clock.advance(minutes=16)
        svc.heartbeat_job()
        svc.heartbeat_job()
        assert received(sock) == [], "wedged for 16 min: no pings, so systemd restarts us"
        assert "poll:s" in (svc.wedged(clock.now) or "")
    finally:
        gate.set()
        worker.join(30)
        svc.scheduler.shutdown(wait=False)
    svc.heartbeat_job()
    assert received(sock) == [b"WATCHDOG=1"], "pings resume once the job finishes"


def test_watchdog_pings_stop_when_no_job_finishes(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock, notify_socket: tuple[socket.socket, Notifier]
) -> None:
    sock, notifier = notify_socket
    config = replay_config(tmp_path, [])
    svc = service(config, sqlite_store, clock, notifier=notifier)
    svc.deliver_job()
    svc.heartbeat_job()
    clock.advance(minutes=11)  # the scheduler stopped dispatching: only the heartbeat runs
    svc.heartbeat_job()
    assert received(sock) == [b"WATCHDOG=1"]


class FlakyStore(Store):
    """A real store whose transactions fail while `down` is set (a database outage)."""

    down = False

    def transaction(self):  # type: ignore[no-untyped-def,override]
        if self.down:
            raise StorageError("database error: connection refused")
        return super().transaction()


def test_a_database_outage_is_survived_then_ends_the_process(tmp_path: Path, clock: FakeClock) -> None:
    config = replay_config(tmp_path, [record(1, "hello")])
    from monitor.store import open_store

    real = open_store(config.database_url)
    store = FlakyStore(real.engine)
    svc = service(config, store, clock)
    try:
        store.down = True
        svc.poll_job("fb")
        clock.advance(minutes=3)
        svc.deliver_job()
        assert svc.exit_code == 0, "a short outage is waited out"
        store.down = False
        svc.poll_job("fb")
        assert count(store, ItemRow) == 1 and svc.wedged(clock.now) is None

        store.down = True
        svc.poll_job("fb")
        clock.advance(minutes=6)
        svc.deliver_job()
        assert svc.exit_code == 1, "a long outage ends the process so systemd restarts it"
        assert "database" in svc.reason
    finally:
        real.close()


def test_shutdown_waits_for_a_running_job_then_gives_up(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock, scripted: type[ScriptedConnector]
) -> None:
    svc = scripted_service(tmp_path, sqlite_store, clock, stop_timeout=0.2)
    gate = scripted.gate = threading.Event()
    worker = threading.Thread(target=svc.poll_job, args=("s",))
    worker.start()
    while scripted.calls == 0:
        threading.Event().wait(0.01)
    assert svc.shutdown() is False  # the platform call hangs: we do not wait for ever
    gate.set()
    worker.join(30)
    assert svc.shutdown() is True


def test_poll_stops_between_pages_when_asked(tmp_path: Path, sqlite_store: Store, clock: FakeClock) -> None:
    lines = [record(n, f"comment {n}") for n in range(1, 8)]
    config = replay_config(tmp_path, lines)
    import dataclasses

    cfg = config.accounts[0]
    cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, page_size=2))
    ctx = pipeline.Context(config, sqlite_store, KeywordClassifier(), clock)
    with sqlite_store.transaction() as s:
        from monitor.store import accounts

        accounts.ensure(s, [pipeline.account_of(cfg)])
    ctx.stop.set()
    result = pipeline.poll(ctx, cfg)
    assert result.items_fetched == 2, "the first page is committed, the rest waits for the next start"


@pytest.mark.parametrize(
    ("local_now", "overdue"),
    [
        ("2026-11-23T07:59", False),  # Monday, before 08:00: the cron job will send it
        ("2026-11-23T08:00", True),
        ("2026-11-25T14:00", True),  # Wednesday: this week's digest time has passed
        ("2026-11-29T23:59", True),  # Sunday night
    ],
    ids=["monday-early", "monday-on-time", "wednesday", "sunday-night"],
)
def test_digest_catch_up_after_downtime(tmp_path: Path, local_now: str, overdue: bool) -> None:
    from zoneinfo import ZoneInfo

    from monitor.service import digest_overdue
    from tests.conftest import make_config

    config = make_config(tmp_path)  # default: Monday 08:00 Europe/London
    now = datetime.fromisoformat(local_now).replace(tzinfo=ZoneInfo("Europe/London"))
    assert digest_overdue(config, now) is overdue


def test_catch_up_job_is_added_when_the_digest_time_has_passed(started: Service) -> None:
    from monitor.service import digest_overdue

    assert (started.scheduler.get_job("digest-catch-up") is not None) is digest_overdue(
        started.config, started.ctx.clock()
    )


@pytest.mark.parametrize(
    ("accounts", "every", "step"),
    [
        (200, timedelta(minutes=5), timedelta(seconds=1.5)),  # 2 s apart would take 6 min 38 s
        (1000, timedelta(minutes=10), timedelta(seconds=0.6)),  # 2 s apart would take 33 min
        (3, timedelta(minutes=10), timedelta(seconds=2)),  # few accounts: still 2 s apart
    ],
    ids=["200-every-5-min", "1000-every-10-min", "3-accounts"],
)
def test_first_polls_are_spread_over_at_most_one_interval(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock, accounts: int, every: timedelta, step: timedelta
) -> None:
    names = tuple(f"acct{n:04d}" for n in range(accounts))
    config = replay_config(tmp_path, [record(1, "hello")], accounts=names)
    svc = service(config, sqlite_store, clock, timings=Timings(poll_every=every))
    svc.add_jobs()
    svc.scheduler.start(paused=True)
    try:
        first = [svc.scheduler.get_job(f"poll:{name}").next_run_time for name in names]
    finally:
        svc.scheduler.shutdown(wait=False)
    assert first[0] == clock.now and first == sorted(first)
    assert first[1] - first[0] == step
    assert first[-1] - first[0] < every, "every account is polled once within one interval"


def test_the_start_log_says_when_urgent_alerts_have_no_second_opinion(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    config = replay_config(tmp_path, [record(1, "hello")], accounts=("fb",))
    svc = service(config, sqlite_store, clock)
    svc.ctx.classifier.notices = ("the encoder is not installed: …",)  # type: ignore[attr-defined]
    with caplog.at_level("WARNING", logger="monitor.service"):
        svc.start()
    svc.scheduler.shutdown(wait=False)
    assert "monitor daemon started" in caplog.text
    assert "the encoder is not installed: …" in caplog.text
