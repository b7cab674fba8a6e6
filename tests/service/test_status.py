"""`monitor status` after the daemon: next poll and not-before shown; an overdue poll is a problem."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor import health
from monitor.store import Store, schedule
from monitor.store.schema import AccountRow
from tests.conftest import FakeClock
from tests.service.helpers import record, replay_config, service


def test_status_shows_the_schedule_and_flags_a_stopped_daemon(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock
) -> None:
    config = replay_config(tmp_path, [record(1, "hello")])
    svc = service(config, sqlite_store, clock)
    svc.add_jobs()
    svc.scheduler.start(paused=True)
    try:
        svc.poll_job("fb")
    finally:
        svc.scheduler.shutdown(wait=False)
    with sqlite_store.transaction() as s:  # a real-time job time: pin it to the fake clock
        schedule.daemon_started(s, clock.now, pid=4321, host="vps", poll_seconds=600)
        schedule.set_next_poll(s, "fb", clock.now + timedelta(minutes=10))
        row = s.get(AccountRow, "fb")
        assert row is not None
        row.not_before = clock.now + timedelta(minutes=20)

    report = health.collect(config, sqlite_store, clock.now)
    text = health.render_text(report, config)
    assert "next poll in 10 min" in text and "waiting until in 20 min" in text
    assert report.problems == ()

    assert "Daemon: running (pid 4321 on vps" in text

    later = clock.now + timedelta(minutes=21)  # no heartbeat for two poll intervals: the daemon died
    report = health.collect(config, sqlite_store, later)
    assert any("the daemon is not running: its last heartbeat" in p for p in report.problems)
    assert "next poll: none (no daemon running)" in health.render_text(report, config)
