"""False alarms in the store (SQLite and PostgreSQL): dismiss, the digest's counts, and the
texts `monitor feedback export` may still write (never erased or purged ones)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alerts import escalate, outbox
from alerts.smtp import FileTransport
from monitor.store import Store, feedback, retention
from monitor.store import alerts as store_alerts
from tests.alerts.helpers import add_item, decide
from tests.conftest import FakeClock, make_config


def test_a_false_alarm_stops_escalation_and_is_kept_per_label(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path)
    first = add_item(store, "c1", "I could kill for a brew", now=clock.now, post_id="p1")
    second = add_item(store, "c2", "idiots, the lot of you", now=clock.now, post_id="p2")
    decide(store, config, first, ["threat", "harassment"], clock.now)
    decide(store, config, second, ["threat"], clock.now)
    outbox.deliver_due(store, config, clock.now, transport=FileTransport(tmp_path / "out"))
    with store.transaction() as session:
        row = store_alerts.get(session, 1)
        assert row is not None
        store_alerts.dismiss(
            session, row, clock.now, "Amara (web inbox)", "banter", "a regular", {first: ["threat"]}
        )
        store_alerts.dismiss(
            session, row, clock.now, "Amara (web inbox)", "banter", None, {first: ["threat"]}
        )
    with store.transaction() as session:
        row = store_alerts.get(session, 1)
        assert row is not None and (row.state, row.acked_by) == ("dismissed", "Amara (web inbox)")
        assert [(f.item_id, f.label) for f in store_alerts.false_alarms_of(session, 1)] == [(first, "threat")]
        assert store_alerts.events_of(session, 1)[-1].action == "false alarm"
        assert dict(feedback.counts_by_label(session, clock.now, clock.now + timedelta(seconds=1))) == {
            "threat": 1
        }
        assert (
            feedback.counts_by_label(session, clock.now + timedelta(seconds=1), clock.now + timedelta(days=1))
            == {}
        )
        [fixed] = feedback.corrected(session)
    assert (fixed.item_id, fixed.flagged, fixed.wrong, fixed.notes) == (
        first,
        ("threat", "harassment"),
        ("threat",),
        ("a regular",),
    )
    clock.advance(minutes=config.alerts.escalate_after_minutes)
    assert escalate.check(store, config, clock.now) == 1  # the other alert only
    with store.transaction() as session:
        assert [store_alerts.get(session, n).escalations for n in (1, 2)] == [0, 1]  # type: ignore[union-attr]


def test_erased_and_purged_texts_are_never_exported(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    kept = add_item(store, "c1", "I could kill for a brew", now=clock.now, post_id="p1")
    gone = add_item(store, "c2", "so angry I could scream", now=clock.now, post_id="p2")
    decide(store, config, kept, ["threat"], clock.now)
    decide(store, config, gone, ["threat"], clock.now)
    with store.transaction() as session:
        for alert_id, item in ((1, kept), (2, gone)):
            row = store_alerts.get(session, alert_id)
            assert row is not None
            store_alerts.dismiss(session, row, clock.now, "md", "banter", None, {item: ["threat"]})
    with store.transaction() as session:
        retention.forget(session, "sam.example", clock.now)  # both are by @sam.example in the helper
        assert feedback.corrected(session) == []
