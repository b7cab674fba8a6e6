"""Platform faults through the daemon's poll job, against a fake Graph API on 127.0.0.1.

The poll job is called every fake minute for hours (harsher than the real 10-minute
schedule, as a crash-and-restart loop would be): the account's not-before must keep the
number of requests small, and a dead token must produce exactly one operator notice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from connectors.facebook import FacebookConnector
from monitor import pipeline
from monitor.service import Service
from monitor.store import Store
from monitor.store.schema import AccountRow, AlertRow
from tests.conftest import FakeClock, make_config
from tests.connectors.fakeserver import FakeServer, Request, running
from tests.service.helpers import service

JSON = {"content-type": "application/json"}
BODIES: dict[str, tuple[int, dict[str, str], str]] = {
    "ok": (200, JSON, '{"data": []}'),
    "5xx": (502, {"content-type": "text/html"}, "<html><body>502 Bad Gateway</body></html>"),
    "429": (429, {**JSON, "retry-after": "120"}, '{"error": {"message": "Too many calls", "code": 4}}'),
    "throttled": (
        400,
        {**JSON, "x-app-usage": '{"call_count": 100, "total_cputime": 12, "total_time": 15}'},
        '{"error": {"message": "(#4) Application request limit reached", "type": "OAuthException",'
        ' "is_transient": true, "code": 4, "fbtrace_id": "AbC"}}',
    ),
    "expired": (
        400,
        JSON,
        '{"error": {"message": "Error validating access token: Session has expired on Monday, '
        '23-Nov-26 08:00:00 PST.", "type": "OAuthException", "code": 190, "error_subcode": 463}}',
    ),
}


@dataclass
class Graph:
    server: FakeServer
    clock: FakeClock
    mode: str = "ok"
    release: threading.Event = field(default_factory=threading.Event)
    times: list[datetime] = field(default_factory=list)  # fake time of every request

    def reply(self, _: Request) -> tuple[int, dict[str, str], str]:
        self.times.append(self.clock.now)
        if self.mode == "stall":  # accept, then say nothing
            self.release.wait(10)
        return BODIES.get(self.mode, BODIES["ok"])


class QuickTimeouts(requests.Session):
    """A stalled socket costs half a second here, not the real 30 s read timeout."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["timeout"] = (0.5, 0.5)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def graph(clock: FakeClock) -> Iterator[Graph]:
    with running() as server:
        fake = Graph(server, clock)
        server.add_callback("GET", r".*", fake.reply)
        yield fake
        fake.release.set()


@pytest.fixture
def daemon(tmp_path: Path, sqlite_store: Store, clock: FakeClock, graph: Graph) -> Iterator[Service]:
    body = f"""[[accounts]]
name = "fb"
platform = "facebook"
account_id = "1234567890"
page_token = {{ env = "FB_TOKEN" }}
base_url = "{graph.server.base_url}"
"""
    config = make_config(tmp_path, body, environ={"FB_TOKEN": "EAAB-test-token"})
    svc = service(config, sqlite_store, clock)
    connector = FacebookConnector(
        pipeline.account_of(config.accounts[0]), config.accounts[0].settings, QuickTimeouts()
    )
    connector.clock = clock
    svc.ctx.connectors["fb"] = connector
    svc.add_jobs()
    svc.scheduler.start(paused=True)
    yield svc
    svc.scheduler.shutdown(wait=False)


def tick(svc: Service, clock: FakeClock, minutes: int) -> None:
    for _ in range(minutes):
        clock.advance(minutes=1)
        svc.poll_job("fb")


def account(svc: Service) -> AccountRow:
    with svc.store.transaction() as s:
        row = s.get(AccountRow, "fb")
        assert row is not None
        return row


@pytest.mark.parametrize(
    ("mode", "hours", "most"),
    [
        ("5xx", 6, 16),
        ("stall", 3, 12),
        ("throttled", 6, 8),
    ],
    ids=["5xx", "stalled-socket", "facebook-throttling-body"],
)
def test_faults_back_off_without_hammering(
    daemon: Service, graph: Graph, clock: FakeClock, mode: str, hours: int, most: int
) -> None:
    graph.mode = mode
    tick(daemon, clock, hours * 60)
    assert 2 <= len(graph.times) <= most, f"{len(graph.times)} requests in {hours} h of {mode}"
    gaps = [b - a for a, b in zip(graph.times, graph.times[1:])]
    assert max(gaps) <= timedelta(hours=1, minutes=1), "bounded: it keeps trying at least hourly"
    assert account(daemon).consecutive_failures == len(graph.times)

    graph.mode = "ok"
    tick(daemon, clock, 61)
    row = account(daemon)
    assert row.consecutive_failures == 0 and row.not_before is None, "recovers by itself"


def test_429_retry_after_is_honoured(daemon: Service, graph: Graph, clock: FakeClock) -> None:
    graph.mode = "429"
    tick(daemon, clock, 1)
    first = graph.times[0]
    assert account(daemon).not_before == first + timedelta(seconds=120)
    graph.mode = "ok"
    tick(daemon, clock, 5)
    assert graph.times[1] >= first + timedelta(seconds=120), "nothing sent before Retry-After"
    assert account(daemon).next_poll_at is not None


def test_a_dead_token_gives_one_operator_notice(daemon: Service, graph: Graph, clock: FakeClock) -> None:
    graph.mode = "expired"
    tick(daemon, clock, 24 * 60)
    with daemon.store.transaction() as s:
        notices = s.scalars(select(AlertRow).where(AlertRow.kind == "operator")).all()
    assert len(notices) == 1 and notices[0].category == "auth"
    assert len(graph.times) <= 16, f"{len(graph.times)} requests with a dead token in 24 h"
    row = account(daemon)
    assert row.needs_attention and "expired" in row.needs_attention
    assert "EAAB-test-token" not in (row.last_error or "")
