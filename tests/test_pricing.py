"""The X read-cost estimate: priced by route, each post billed once per UTC day, the same figures
in `monitor status` and the digest; a `--since` re-scan pays nothing for posts already held."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import responses

from monitor import health, pipeline, pricing
from monitor.config import Config
from monitor.store import Store, accounts
from monitor.types import ReadRoute
from tests.conftest import FakeClock, KeywordClassifier, make_config
from tests.connectors.harness import NOW, Rec, RespMock, XHarness, t


def test_the_price_table_names_its_source_and_date() -> None:
    assert pricing.READ_PRICES_USD["x"] == {ReadRoute.OWNED: 0.001, ReadRoute.POST: 0.005}
    assert pricing.PRICES_AS_OF == "2026-12-07" and "pay-per-use" in pricing.PRICE_SOURCE
    cost = pricing.cost("x", reads=42, owned=12)
    assert cost is not None and (cost.owned, cost.posts, cost.usd) == (12, 30, 0.16)
    assert cost.basis == "12 owned reads × $0.001 + 30 post reads × $0.005 ≈ $0.16"
    assert pricing.cost("facebook", reads=10, owned=0) is None


@pytest.fixture
def harness() -> Iterator[XHarness]:
    h = XHarness()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        h.install(RespMock(rsps, h.base_url))
        yield h


@pytest.fixture
def config(tmp_path: Path) -> Config:
    body = (
        '[[accounts]]\nname = "x-main"\nplatform = "x"\naccount_id = "1354143047324299264"\n'
        'handle = "ElmfieldCIC"\nbearer_token = { env = "X" }\nbase_url = "https://x.test"\n'
    )
    return make_config(tmp_path, body, environ={"X": XHarness.secrets[0]})


def test_three_scans_then_a_rescan_cost_what_x_charges(
    harness: XHarness, config: Config, sqlite_store: Store
) -> None:
    clock = FakeClock(NOW)
    ctx = pipeline.Context(config, sqlite_store, KeywordClassifier(), clock)
    connector = harness.connector(harness.base_url)
    connector.clock = clock  # type: ignore[attr-defined]
    ctx.connectors["x-main"] = connector
    [cfg] = config.accounts
    with sqlite_store.transaction() as s:
        accounts.ensure(s, [pipeline.account_of(cfg)])
    recs = [Rec(f"m{n}", f"mention {n}", t(200 - n), post=f"p{n % 4}") for n in range(20)]
    recs += [Rec(f"r{n}", f"reply {n}", t(100 - n), post=f"p{n % 4}", reply_to="m0") for n in range(8)]
    harness.serve(recs)
    first = pipeline.poll(ctx, cfg)  # 20 mentions (owned), 4 own posts and 8 replies (post reads)
    clock.advance(minutes=10)
    idle = pipeline.poll(ctx, cfg)
    clock.advance(minutes=10)
    harness.serve([*recs, *(Rec(f"n{n}", f"new {n}", t(-15 - n), post="p1") for n in range(5))])
    incremental = pipeline.poll(ctx, cfg)
    assert (first.reads, idle.reads, incremental.reads) == (32, 0, 5)

    status = health.render_text(health.collect(config, sqlite_store, clock.now), config)
    line = "this month: 25 owned reads × $0.001 + 12 post reads × $0.005 ≈ $0.09"
    assert f"{line} (X pay-per-use prices as of 2026-12-07)" in status, status  # not 37 × $0.005 = $0.19

    clock.advance(days=1)  # another UTC day: a post read again would be charged again
    rescan = pipeline.poll(ctx, cfg, since=clock.now - timedelta(days=30))
    assert rescan.error is None and rescan.reads == 0, "the re-scan reads no post it holds"
    report = health.collect(config, sqlite_store, clock.now)
    cost = report.accounts[0].month_cost
    assert cost is not None and (cost.owned, cost.posts) == (25, 12)
