"""The promises as invariants over random sequences (Hypothesis stateful testing).

Rules drive what happens to a charity's account and its monitor: comments with realistic
and hostile fields, edits and deletions on the platform, the daemon's polls, manual
`scan --since` runs, erasure requests, the retention purge, the MD acknowledging and
resolving, the mail server going down and coming back, platform outages, the clock
jumping hours, a database that refuses one value, and restarts. After every step:

1. every stored finding that routing says must be emailed is in exactly one alert, and
   that alert is delivered, pending within its schedule, or failed and shown by status;
2. no text an alert masks appears in any subject, part or reason of any email, or in
   `alerts show` (text and JSON);
3. after an erasure request nothing stored or written holds that author's text or
   handle, and every other author's alerts are intact;
4. a failing account, an undelivered urgent alert, an email given up on or an item set
   aside makes `status` report a problem within its threshold;
5. no item prevents another from being stored and classified;
6. while mail works, an undelivered urgent alert is at most one retry (10 min) away, and
   no email is delivered twice; no job ever dies of an unexpected exception.

SQLite in every run; PostgreSQL where a server is reachable. `bench/promises.py` runs the
same machine with many more examples.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from classifiers import base as classifier_base
from connectors import base as connector_base
from tests.promises.world import HOSTILE_STRINGS, TEXTS, Author, World, text_of

KINDS = (*TEXTS, "confidential", "confidential")
URGENT_WITHIN = timedelta(minutes=5)
RETRY_CAP = timedelta(minutes=10)


class Promises(RuleBasedStateMachine):
    """Subclassed per database by `machine()`."""

    database = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.seen_urgent_since: dict[int, object] = {}
        self.escalations_when_acked: dict[int, int] = {}  # alert id -> its escalations at the MD's ack

    # ------------------------------------------------------------------ setting up

    @initialize(transport=st.sampled_from(["smtp", "file"]))
    def start(self, transport: str) -> None:
        self.world = World(self.database, transport)
        self.world.start()

    def teardown(self) -> None:
        if self.world is not None:
            self.world.close()

    @property
    def w(self) -> World:
        assert self.world is not None
        return self.world

    # ------------------------------------------------------------------ the platform's users

    @rule(
        data=st.data(),
        count=st.integers(1, 4),
        kinds=st.lists(st.sampled_from(KINDS), min_size=4, max_size=4),
        minutes_ago=st.integers(0, 30),
        hostile=st.one_of(st.none(), st.none(), st.sampled_from(HOSTILE_STRINGS)),
    )
    def comments_arrive(
        self, data: st.DataObject, count: int, kinds: list[str], minutes_ago: int, hostile: str | None
    ) -> None:
        for kind in kinds[:count]:
            active = [a for a in self.w.authors if not a.forgotten]
            if not active or data.draw(st.booleans(), label="new author"):
                author = self.w.author(
                    data.draw(
                        st.sampled_from(["sam", "@kim.j", "Jo Bloggs", *HOSTILE_STRINGS]), label="handle"
                    ),
                    data.draw(st.sampled_from(["Sam Example", None, *HOSTILE_STRINGS]), label="name"),
                    data.draw(
                        st.sampled_from(["https://fake.example/c/1", None, *HOSTILE_STRINGS]),
                        label="permalink",
                    ),
                )
            else:
                author = data.draw(st.sampled_from(active), label="author")
            # An erased person's *new* comments are new data: the machine retires erased authors.
            self.w.post(author, kind, minutes_ago, hostile)

    @precondition(lambda self: self.world is not None and self.world.comments)
    @rule(data=st.data(), kind=st.sampled_from(KINDS))
    def edit(self, data: st.DataObject, kind: str) -> None:
        self.w.edit(data.draw(st.sampled_from(self.w.comments)), kind)

    @precondition(lambda self: self.world is not None and self.world.comments)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self.w.delete(data.draw(st.sampled_from(self.w.comments)))

    @rule(kind=st.sampled_from([None, None, "transient", "auth"]))
    def platform_state(self, kind: str | None) -> None:
        self.w.platform.outage = kind

    @rule(kind=st.sampled_from(["transient", "auth"]), polls=st.integers(1, 5), recovers=st.booleans())
    def platform_down_for_a_while(self, kind: str, polls: int, recovers: bool) -> None:
        """An outage through several of the daemon's polls (each 10 minutes apart)."""
        self.w.platform.outage = kind
        for _ in range(polls):
            self.w.advance(10)
        if recovers:
            self.w.platform.outage = None

    # ------------------------------------------------------------------ the monitor

    @rule()
    def poll(self) -> None:
        reached = self.w.poll()
        if reached:
            self.check_nothing_blocked()

    @rule(days=st.sampled_from([1, 30]))
    def rescan(self, days: int) -> None:
        if self.w.platform.outage is None:
            self.w.rescan(days)
            self.check_nothing_blocked()

    @rule(minutes=st.sampled_from([1, 4, 6, 30, 61, 180, 400]))
    def time_passes(self, minutes: int) -> None:
        if self.w.advance(minutes):
            self.check_nothing_blocked()

    @rule()
    def deliver(self) -> None:
        self.w.service.deliver_job()

    @rule(up=st.booleans())
    def mail(self, up: bool) -> None:
        self.w.set_mail(up)

    @rule()
    def restart(self) -> None:
        self.w.restart()

    @rule()
    def retention_purge(self) -> None:
        self.w.service.retention_job()

    @rule()
    def weekly_digest(self) -> None:
        self.w.digest()

    @precondition(lambda self: self.world is not None and bool(self.world.open_alerts()))
    @rule(data=st.data(), resolve=st.booleans(), channel=st.sampled_from(["store", "reply", "button"]))
    def md_acts(self, data: st.DataObject, resolve: bool, channel: str) -> None:
        """The MD acts as the CLI does, by replying to the email, or with its button: each works,
        whatever came before (erasure, outages, restarts), and escalation stops."""
        open_ids = self.w.open_alerts()
        if not open_ids:
            return
        emailed = sorted(set(open_ids) & set(self.w.alert_emails())) if channel != "store" else []
        alert_id = data.draw(st.sampled_from(emailed or open_ids))
        if self.w.act(alert_id, resolve, channel) is None:
            return
        from monitor.store import alerts as store_alerts

        with self.w.store.transaction() as s:
            row = store_alerts.get(s, alert_id)
            assert row is not None and row.acked_at is not None, f"the MD's {channel} did not acknowledge"
            assert not resolve or row.state == "resolved", f"the MD's {channel} did not resolve"
            self.escalations_when_acked.setdefault(alert_id, row.escalations or 0)

    @precondition(lambda self: self.world is not None and self.world.mail_up and self.world.authors)
    @rule(data=st.data(), rescan=st.booleans())
    def erasure_request(self, data: st.DataObject, rescan: bool) -> None:
        # The request covers what the monitor holds: authors whose comments have all been fetched.
        candidates = [
            a
            for a in self.w.authors
            if not a.forgotten
            and a.stored_handle
            and self.w.of_author(a)
            and set(self.w.of_author(a)) <= self.w.platform.delivered
        ]
        if not candidates:
            return
        author = data.draw(st.sampled_from(candidates))
        others_before = self.alerted_items_of_others(author)
        self.w.forget(author)
        others_after = self.alerted_items_of_others(author)
        assert others_before <= others_after, "another person's alerted comment lost its alert"
        self.check_forgotten()
        if rescan and self.w.platform.outage is None:  # the platform sends the erased comments again
            self.w.rescan(30)
            self.check_nothing_blocked()

    @rule(data=st.data())
    def database_refuses(self, data: st.DataObject) -> None:
        """A value the database will not store (a driver's DataError), for the next comments."""
        if self.w.comments and self.w.poisoned is None:
            self.w.poisoned = self.w.markers[data.draw(st.sampled_from(self.w.comments))]
        else:
            self.w.poisoned = None

    # ------------------------------------------------------------------ the promises

    def alerted_items_of_others(self, author: Author) -> set[str]:
        mine = set(self.w.of_author(author))
        return {
            external_id
            for external_id, row in self.w.stored_ids().items()
            if external_id not in mine and self.w.alerts_of(row.id)
        }

    @invariant()
    def every_finding_is_alerted_and_every_alert_accounted_for(self) -> None:
        if self.world is None:
            return
        problems = self.w.problems()
        aside_items = {a.item_id for a in self.w.set_aside() if a.stage == "route"}
        now = self.w.clock.now
        for item_id, _severity in self.w.must_email():
            if item_id in aside_items:
                assert any("set aside" in p for p in problems), "an item set aside is not reported"
                continue
            alerts = self.w.alerts_of(item_id)
            assert len(alerts) == 1, f"item {item_id} must be in exactly one alert, is in {len(alerts)}"
            alert = alerts[0]
            if alert.state == "pending" and alert.due_at <= now:
                waited = now - alert.due_at
                if alert.severity == "urgent" and waited > URGENT_WITHIN:
                    assert any("urgent alert has not been accepted" in p for p in problems), problems
                if waited > timedelta(hours=1):
                    assert any("waiting since" in p or "urgent alert" in p for p in problems), problems
            if alert.state == "failed":
                assert any("could not be delivered" in p for p in problems), problems

    @invariant()
    def masked_text_appears_nowhere(self) -> None:
        if self.world is None or not self.w.secrets:
            return
        words = [w for s in self.w.secrets for w in s.words]
        texts = [text for _, text in _emails(self.w)] + self.w.shown()
        for text in texts:
            flat = " ".join(text.split())
            for word in words:
                assert word not in flat, f"masked text {word!r} appears in an email or `alerts show`"

    def check_forgotten(self) -> None:
        forgotten = [a for a in self.w.authors if a.forgotten]
        if not forgotten:
            return
        stored = self.w.stored_text()
        written = "\n".join(text for _, text in _emails(self.w, files_only=True))
        for marker in self.w.forgotten_markers:
            assert marker not in stored, "an erased comment is still stored"
            assert marker not in written, "an erased comment is still in the outbox directory"
        for author in forgotten:
            handle = author.stored_handle or ""
            if len(handle) >= 4:
                assert handle.casefold() not in stored.casefold(), "an erased handle is still stored"
                assert handle.casefold() not in written.casefold(), "an erased handle is still written"

    @invariant()
    def forgotten_stays_forgotten(self) -> None:
        if self.world is not None:
            self.check_forgotten()

    @invariant()
    def status_reports_what_is_wrong(self) -> None:
        if self.world is None:
            return
        from monitor.store import accounts

        problems = self.w.problems()
        with self.w.store.transaction() as s:
            for row in accounts.all_rows(s):
                if row.needs_attention:
                    assert any(p.startswith(f"{row.name}: needs attention") for p in problems), problems
                elif row.consecutive_failures >= 3:
                    expected = (f"{row.name}: failing", f"{row.name}: never polled")
                    assert any(p.startswith(expected) for p in problems), problems
        if self.w.set_aside():
            assert any("set aside" in p for p in problems), problems

    @invariant()
    def escalation_stops_once_acknowledged(self) -> None:
        if self.world is None or not self.escalations_when_acked:
            return
        from sqlalchemy import select

        from monitor.store.schema import AlertRow

        with self.w.store.transaction() as s:
            rows = s.execute(
                select(AlertRow.id, AlertRow.escalations).where(
                    AlertRow.id.in_(list(self.escalations_when_acked))
                )
            ).all()
        now = {alert_id: escalations for alert_id, escalations in rows}
        for alert_id, at_ack in self.escalations_when_acked.items():
            if alert_id in now:  # an alert only about an erased person may be gone
                assert (now[alert_id] or 0) == at_ack, (
                    f"alert {alert_id} escalated after the MD acknowledged it"
                )

    @invariant()
    def urgent_alerts_go_out_while_mail_works(self) -> None:
        if self.world is None or not self.w.mail_up:
            return
        from sqlalchemy import select

        from monitor.store.schema import AlertRow

        now = self.w.clock.now
        with self.w.store.transaction() as s:
            waiting = s.scalars(
                select(AlertRow).where(
                    AlertRow.severity == "urgent", AlertRow.state.in_(("pending", "failed"))
                )
            ).all()
        for alert in waiting:
            if alert.next_attempt_at is not None:
                assert alert.next_attempt_at <= now + RETRY_CAP, "an urgent alert waits beyond its retry cap"
            else:
                assert alert.state == "pending", "a failed urgent alert is no longer retried"

    @invariant()
    def every_category_is_named_and_guided(self) -> None:
        """An alert email names every category it covers and gives each its guidance, most severe first."""
        if self.world is None:
            return
        emails = {mid: text for mid, text in _emails(self.w)}
        for alert, sections, unchanged in self.w.sent_alerts():
            text = emails.get(alert.message_id or "")
            if text is None or not unchanged or not sections:
                continue
            subject = text.splitlines()[0]
            for section in sections:
                named = section.short_name if len(sections) > 1 else section.name
                assert named in subject, (
                    f"{section.name!r} missing from the subject {subject!r} of alert {alert.id} "
                    f"(sent {alert.sent_at}, escalations {alert.escalations}): {self.w.describe(alert.id)}"
                )
            if len(sections) > 1:
                for n, s in enumerate(sections, start=1):
                    assert f"{n}. {s.name}: " in text, f"concern {n} ({s.name}) is not listed"
                guided = [(n, s) for n, s in enumerate(sections, start=1) if s.covered_by is None]
                starts = [text.find(f"{n}. {s.name.upper()} (") for n, s in guided]
                assert all(i >= 0 for i in starts), "a category has no guidance block of its own"
                assert starts == sorted(starts), "guidance blocks are not most severe first"
                for s in sections:  # one set of advice per comment
                    others = [t for t in sections if t is not s and t.covered_by is None]
                    assert not any(set(s.comments) & set(t.comments) for t in others), "a comment got two"

    @invariant()
    def outbox_copies_of_other_peoples_alerts_survive(self) -> None:
        """Without SMTP the outbox is the MD's only copy: an erasure never removes someone else's."""
        if self.world is None or self.w.transport != "file":
            return
        names = {p.name.split("-")[0] for p in self.w.outbox_files()}
        for alert, _, _ in self.w.sent_alerts():
            covers_someone = bool(self.w.items_in(alert.id))
            if covers_someone:
                assert f"{alert.id:06d}" in names, f"alert {alert.id}'s only copy was removed"

    @invariant()
    def no_duplicates_and_no_crashes(self) -> None:
        if self.world is None:
            return
        ids = [str(m["Message-ID"]) for m in (_parse(d) for d in self.w.received)]
        assert len(ids) == len(set(ids)), "an email was delivered twice"
        assert not self.w.errors, self.w.errors

    def check_nothing_blocked(self) -> None:
        """After a poll that reached the platform: every comment it gave is stored and classified."""
        stored = self.w.stored_ids()
        aside = self.w.set_aside()
        erased = self.w.forgotten_markers
        for comment_id in self.w.platform.delivered:
            if self.w.markers[comment_id] in erased:
                assert comment_id not in stored, "an erased comment was stored again"
                continue
            if comment_id in stored:
                row = stored[comment_id]
                assert (
                    row.text is None
                    or row.classified_at is not None
                    or any(a.item_id == row.id for a in aside)
                ), f"comment {comment_id} was stored but never classified"
            else:
                poisoned = self.w.markers[comment_id] == self.w.poisoned
                assert poisoned and any(a.stage == "store" for a in aside), f"comment {comment_id} was lost"


def _parse(data: bytes):  # type: ignore[no-untyped-def]
    from tests.promises.world import _parse as parse

    return parse(data)


def _emails(world: World, *, files_only: bool = False) -> Iterator[tuple[str, str]]:
    raw = [p.read_bytes() for p in world.outbox_files()]
    if not files_only:
        raw += world.received
    for data in raw:
        msg = _parse(data)
        yield str(msg["Message-ID"]), text_of(msg)


def machine(database: str) -> type[Promises]:
    return type(f"Promises_{database}", (Promises,), {"database": database})


EXAMPLES = int(os.environ.get("PROMISE_EXAMPLES", "12"))
STEPS = int(os.environ.get("PROMISE_STEPS", "30"))


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connector_base.BUILTIN, "fake", "tests.promises.platform:FakeConnector")
    monkeypatch.setitem(classifier_base.BUILTIN, "quoting", "tests.promises.world:QuotingClassifier")


def run(database: str, examples: int = EXAMPLES, steps: int = STEPS) -> None:
    run_state_machine_as_test(
        machine(database),
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize="PROMISE_SEED" not in os.environ,
        ),
    )


def test_promises_hold_on_sqlite(registered: None) -> None:
    run("sqlite")


@pytest.mark.postgres
def test_promises_hold_on_postgres(registered: None, postgres_url: str) -> None:
    run("postgres", examples=max(2, EXAMPLES // 3))
