"""Routing with a fake clock: severity, grouping per thread, dedupe, quiet hours, follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts import outbox, route
from monitor.store import Store
from monitor.store import alerts as store_alerts
from monitor.store.schema import AlertItemRow, AlertRow
from tests.alerts.helpers import add_item, decide
from tests.conftest import FakeClock, make_config


def alerts_in(store: Store) -> list[AlertRow]:
    with store.transaction() as session:
        return sorted(store_alerts.listing(session, kinds=("alert",), limit=1000), key=lambda r: r.id)


def items_in(store: Store, alert_id: int) -> list[int]:
    with store.transaction() as session:
        return sorted(r.item_id for r in session.query(AlertItemRow).filter_by(alert_id=alert_id))


def test_urgent_is_due_at_once(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    item = add_item(store, "c1", now=clock.now)
    assert decide(store, config, item, ["threat", "harassment"], clock.now) == 1
    [alert] = alerts_in(store)
    assert (alert.severity, alert.category, alert.due_at) == ("urgent", "threat", clock.now)


def test_low_labels_go_to_the_digest_only(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    item = add_item(store, "c1", now=clock.now)
    assert decide(store, config, item, ["engagement", "spam"], clock.now) == 0
    assert alerts_in(store) == []


def test_severity_is_configurable_per_label(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path, '[alerts.severity]\nengagement = "high"\nthreat = "low"\n')
    assert config.alerts.severity["risk_to_life"] == "urgent"  # partial override keeps the defaults
    assert decide(store, config, add_item(store, "c1", now=clock.now), ["threat"], clock.now) == 0
    assert decide(store, config, add_item(store, "c2", now=clock.now), ["engagement"], clock.now) == 1
    assert alerts_in(store)[0].severity == "high"


def test_high_alerts_group_per_thread_within_the_window(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path)
    first = add_item(store, "c1", now=clock.now, post_id="p1")
    assert decide(store, config, first, ["harassment"], clock.now) == 1
    clock.advance(minutes=2)
    second = add_item(store, "c2", now=clock.now, post_id="p1")
    other_thread = add_item(store, "c3", now=clock.now, post_id="p2")
    assert decide(store, config, second, ["hate"], clock.now) == 0  # joins the first email
    assert decide(store, config, other_thread, ["harassment"], clock.now) == 1
    grouped, separate = alerts_in(store)
    assert items_in(store, grouped.id) == [first, second]
    assert grouped.due_at == datetime(2026, 11, 23, 9, 5, tzinfo=UTC)  # 5 minutes after the first
    assert items_in(store, separate.id) == [other_thread]


def test_urgent_on_a_waiting_thread_upgrades_it_and_sends_now(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path)
    decide(store, config, add_item(store, "c1", now=clock.now), ["negative_publicity"], clock.now)
    clock.advance(minutes=1)
    decide(store, config, add_item(store, "c2", now=clock.now), ["risk_to_life"], clock.now)
    [alert] = alerts_in(store)
    assert (alert.severity, alert.category, alert.due_at) == ("urgent", "risk_to_life", clock.now)


def test_the_same_item_never_alerts_twice(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    item = add_item(store, "c1", now=clock.now)
    assert decide(store, config, item, ["harassment"], clock.now) == 1
    assert outbox.deliver_due(store, config, clock.advance(minutes=10)) == 1
    clock.advance(hours=1)  # edited and re-classified: worse now, but still the same item
    assert decide(store, config, item, ["threat"], clock.now) == 0
    assert len(alerts_in(store)) == 1


def test_own_posts_only_alert_for_confidentiality(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    post = add_item(store, "own1", now=clock.now, author_is_org=True, post_id="own1")
    assert decide(store, config, post, ["negative_publicity", "harassment"], clock.now) == 0
    leak = add_item(store, "own2", now=clock.now, author_is_org=True, post_id="own2")
    assert decide(store, config, leak, ["confidentiality_risk", "engagement"], clock.now) == 1
    assert alerts_in(store)[0].category == "confidentiality_risk"


@pytest.mark.parametrize(
    ("local_hour", "held_until"),
    [
        (23, datetime(2026, 11, 24, 7, 0, tzinfo=UTC)),  # evening: held until morning
        (3, datetime(2026, 11, 23, 7, 0, tzinfo=UTC)),  # small hours: held until 07:00 the same day
        (12, None),  # daytime: the usual 5-minute window
    ],
    ids=["evening", "night", "day"],
)
def test_quiet_hours_hold_high_alerts_but_never_urgent_ones(
    store: Store, tmp_path: Path, local_hour: int, held_until: datetime | None
) -> None:
    config = make_config(tmp_path, 'quiet_hours = "22:00-07:00"\n')  # London is on GMT in November
    now = datetime(2026, 11, 23, local_hour, 0, tzinfo=UTC)
    decide(store, config, add_item(store, "c1", now=now, post_id="p1"), ["harassment"], now)
    decide(store, config, add_item(store, "c2", now=now, post_id="p2"), ["threat"], now)
    high, urgent = alerts_in(store)
    assert high.due_at == (held_until or now + timedelta(minutes=5))
    assert urgent.due_at == now


def test_quiet_hours_follow_local_summer_time() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/London")
    june_night = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)  # 23:30 BST
    assert route.quiet_until(june_night, "22:00-07:00", tz) == datetime(2026, 6, 11, 6, 0, tzinfo=UTC)
    assert route.quiet_until(datetime(2026, 6, 10, 20, 0, tzinfo=UTC), "22:00-07:00", tz) is None
    assert route.quiet_until(datetime(2026, 6, 10, 12, 30, tzinfo=UTC), "13:00-14:00", tz) == datetime(
        2026, 6, 10, 13, 0, tzinfo=UTC
    )


def test_a_thread_with_new_findings_gets_a_follow_up_in_the_same_email_thread(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path)
    decide(store, config, add_item(store, "c1", now=clock.now, post_id="p1"), ["harassment"], clock.now)
    assert outbox.deliver_due(store, config, clock.advance(minutes=5)) == 1
    clock.advance(hours=3)
    assert (
        decide(store, config, add_item(store, "c2", now=clock.now, post_id="p1"), ["harassment"], clock.now)
        == 1
    )
    assert outbox.deliver_due(store, config, clock.advance(minutes=5)) == 1
    first, follow_up = alerts_in(store)
    assert follow_up.in_reply_to == first.message_id
    from email import message_from_bytes, policy

    files = sorted((config.outbox_dir).glob("*.eml"))
    second = message_from_bytes(files[-1].read_bytes(), policy=policy.default)
    assert second["In-Reply-To"] == first.message_id
    assert first.message_id in second["References"]
    assert second["Message-ID"] != first.message_id
