"""The sequences that broke the promises, one test each (issue: "never silent").

Each runs through the same World as the state machine (real database, real SMTP server or
outbox directory, the daemon's own jobs), as a fixed sequence a person would recognise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from classifiers import base as classifier_base
from connectors import base as connector_base
from monitor import health
from monitor.store import alerts as store_alerts
from tests.promises.world import World, text_of


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connector_base.BUILTIN, "fake", "tests.promises.platform:FakeConnector")
    monkeypatch.setitem(classifier_base.BUILTIN, "quoting", "tests.promises.world:QuotingClassifier")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")  # skips with a reason when no server is reachable
    return str(request.param)


def _started(database: str, transport: str) -> Iterator[World]:
    world = World(database, transport)
    world.start()
    yield world
    world.close()


@pytest.fixture
def smtp_world(database: str) -> Iterator[World]:
    yield from _started(database, "smtp")


@pytest.fixture
def file_world(database: str) -> Iterator[World]:
    yield from _started(database, "file")


def status(world: World) -> tuple[int, str]:
    """What `monitor status` prints and its exit code, at the world's (fake) time."""
    report = health.collect(world.config, world.store, world.clock.now)
    return (1 if report.problems else 0), health.render_text(report, world.config)


def test_1_after_an_erasure_the_next_scan_works_and_a_new_crisis_is_alerted(smtp_world: World) -> None:
    w = smtp_world
    harriet, other = w.author("harriet", "Harriet", None), w.author("lee", "Lee", None)
    w.post(harriet, "threat", 5)
    w.poll()
    w.forget(harriet)
    w.rescan(30)  # fetches Harriet's comment again: it was where every later scan failed
    crisis = w.post(other, "risk", 0)
    assert w.poll()
    stored = w.stored_ids()
    assert crisis in stored and w.alerts_of(stored[crisis].id), "the new risk comment is alerted"
    assert not any(c in stored for c in w.of_author(harriet)), "the erased comment is not stored again"
    code, output = status(w)
    assert code == 0, output


def test_2_an_erasure_keeps_everyone_elses_alert_and_its_outbox_copy(file_world: World) -> None:
    """Without SMTP the .eml file is the MD's only copy: only the erased person's words leave it."""
    w = file_world
    young, bystander = (
        w.author("young.person", "Young Person", None),
        w.author("bystander", "By Stander", None),
    )
    risk = w.post(young, "risk", 3)
    aside = w.post(bystander, "insult", 2)  # the same thread: grouped into the same alert
    w.poll()
    [copy] = w.outbox_files()
    before = copy.read_bytes()
    w.forget(w.authors[1])
    [after] = w.outbox_files()
    assert after.name == copy.name
    text = text_of(_parse(after.read_bytes()))
    assert w.markers[risk] in text, "the young person's risk comment is still in the MD's copy"
    assert w.markers[aside] not in text and "bystander" not in text.lower()
    assert _parse(after.read_bytes())["Message-ID"] == _parse(before)["Message-ID"]


@pytest.mark.parametrize("field", ["author", "name", "permalink", "text"])
@pytest.mark.parametrize(
    "poison", ["lone \ud800 surrogate", "nul \x00 byte", "\x1b[31m\u202e" * 50 + "x" * 3000]
)
def test_3_one_poisoned_field_never_stops_an_account(smtp_world: World, field: str, poison: str) -> None:
    w = smtp_world
    kwargs = {"handle": "pat", "name": "Pat", "permalink": "https://fake.example/1"}
    kwargs[{"author": "handle"}.get(field, field)] = poison if field != "text" else kwargs.get(field, "")
    author = w.author(kwargs["handle"], kwargs["name"], kwargs["permalink"])
    first = w.post(author, "risk", 10, hostile=poison if field == "text" else None)
    assert w.poll()
    behind = w.post(w.author("sam", "Sam", None), "threat", 0)
    assert w.poll()
    stored = w.stored_ids()
    assert first in stored and behind in stored, "nothing is lost, nothing blocks what comes behind"
    assert w.alerts_of(stored[first].id) and w.alerts_of(stored[behind].id)
    assert not w.errors and not w.problems()


def test_3_an_item_the_database_refuses_is_set_aside_reported_and_retried(smtp_world: World) -> None:
    w = smtp_world
    author = w.author("pat", "Pat", None)
    refused = w.post(author, "risk", 5)
    w.poisoned = w.markers[refused]
    behind = w.post(author, "threat", 0)
    w.poll()
    assert behind in w.stored_ids() and refused not in w.stored_ids()
    code, output = status(w)
    assert code == 1 and "set aside" in output
    w.service.deliver_job()
    assert any("could not be stored and were set aside" in text_of(_parse(m)) for m in w.received)
    w.poisoned = None  # the cause fixed (e.g. an upgrade)
    w.poll()
    assert refused in w.stored_ids() and not w.set_aside(), "retried, stored, no longer set aside"
    assert w.alerts_of(w.stored_ids()[refused].id)


def test_5_status_notices_an_urgent_alert_the_mail_server_has_not_taken(smtp_world: World) -> None:
    w = smtp_world
    w.set_mail(False)
    w.post(w.author("kim", "Kim", None), "risk", 0)
    w.poll()
    w.advance(4)
    assert status(w)[0] == 0, "within five minutes: still trying"
    w.advance(2)
    code, output = status(w)
    assert code == 1 and "urgent alert has not been accepted by the mail server" in output


def test_5_status_notices_an_account_failing_three_polls(smtp_world: World) -> None:
    w = smtp_world
    assert w.poll()  # a good poll first
    w.platform.outage = "transient"
    for polls in (1, 2, 3):
        assert w.advance(10)  # the daemon's next poll (past its backoff), which fails
        code, output = status(w)
        assert (code == 1) == (polls >= 3), output
    assert "fake-main: failing: 3 polls in a row" in output


def test_5_status_notices_a_dead_daemon(smtp_world: World) -> None:
    w = smtp_world
    w.advance(10)
    assert status(w)[0] == 0
    w.clock.advance(minutes=21)  # no heartbeat for more than two poll intervals
    code, output = status(w)
    assert code == 1 and "the daemon is not running" in output and "next poll: none" in output


def test_6_masked_words_appear_in_no_part_of_the_email_nor_alerts_show(smtp_world: World) -> None:
    w = smtp_world
    w.post(w.author("jo", "Jo", None), "confidential", 0)
    w.poll()
    [secret] = w.secrets
    assert secret.words, "the detector masks the name and the phone number"
    [message] = w.received
    shown = "".join(w.shown())
    for word in secret.words:
        assert word not in text_of(_parse(message)) and word not in shown
    data = json.loads(w.shown()[-1])
    reasons = [r for c in data["comments"] for f in c["flags"] for r in f["reasons"]]
    assert reasons == ["confidentiality risk cue"], "the reason says what kind of evidence, not the words"


def test_7_a_grouped_alert_gives_each_category_its_guidance(smtp_world: World) -> None:
    w = smtp_world
    w.post(w.author("a", "A", None), "threat", 3)
    w.post(w.author("b", "B", None), "risk", 2)
    w.poll()
    [message] = w.received
    parsed = _parse(message)
    subject = str(parsed["Subject"])
    assert subject.startswith("[URGENT] Risk to life + Threat on"), subject
    plain = parsed.get_body(("plain",)).get_content()
    risk, threat = plain.index("1. POSSIBLE RISK TO LIFE (comment 1)"), plain.index("2. THREAT (comment 2)")
    assert risk < threat
    assert "call 999" in plain[threat:] and "Samaritans" in plain[risk:threat]


def _parse(data: bytes):  # type: ignore[no-untyped-def]
    from tests.promises.world import _parse as parse

    return parse(data)


def test_6_with_the_real_classifier_its_reasons_never_undo_the_mask(smtp_world: World) -> None:
    """The reported case: "health detail: \\"anxiety\\"" and the quoted phrase in "Why flagged"."""
    from classifiers.base import load
    from monitor.clean import clean_text
    from tests.promises.platform import Comment

    w = smtp_world
    w.service.ctx.classifier = load("default")
    text = "My neighbour Tom Quorvath goes to your thursday anxiety group, his number is 07700 900123"
    w.platform.comments["real-1"] = Comment("real-1", "nosy", "Nosy Parker", None, text, w.clock.now)
    w.poll()
    from alerts.mask import mask_with_parts

    parts = [p for p in mask_with_parts(clean_text(text))[1] if len(p) >= 4]
    assert parts, "the detector masks something in this comment"
    [message] = w.received
    everything = text_of(_parse(message)) + "".join(w.shown())
    for part in parts:
        assert part.lower() not in everything.lower(), (
            f"{part!r} was masked in the excerpt but shown elsewhere"
        )


def test_8_emails_and_alerts_show_give_the_item_number_monitor_hide_asks_for(smtp_world: World) -> None:
    w = smtp_world
    comment = w.post(w.author("pat", "Pat", None), "threat", 0)
    w.poll()
    item_id = w.stored_ids()[comment].id
    [message] = w.received
    assert f"Item number: {item_id}" in text_of(_parse(message))
    text, as_json = w.shown()[-2:]
    assert f"Item {item_id}:" in text
    assert json.loads(as_json)["comments"][0]["item_id"] == item_id


@pytest.mark.parametrize("channel", ["reply", "button"])
def test_the_md_acts_from_the_newest_email_after_an_erasure_and_escalation_stops(
    file_world: World, channel: str
) -> None:
    """An alert trimmed by an erasure (its outbox copy rewritten) then escalated to the deputy:
    the MD's reply to, or button in, the newest email still acknowledges it, and it never
    escalates again."""
    w = file_world
    ann, bo = w.author("ann", "Ann", None), w.author("bo", "Bo", None)
    w.post(ann, "threat", 3)
    w.post(bo, "risk", 2)
    w.poll()
    [alert_id] = w.open_alerts()
    w.forget(ann)
    assert w.alert_email(alert_id) is not None, "the rewritten outbox copy still carries its reply address"
    w.advance(61)  # not acknowledged within the hour: the deputy is sent it

    def escalations() -> int:
        with w.store.transaction() as s:
            row = store_alerts.get(s, alert_id)
            assert row is not None
            return int(row.escalations or 0)

    assert escalations() == 1
    assert w.act(alert_id, resolve=False, channel=channel) == channel
    with w.store.transaction() as s:
        row = store_alerts.get(s, alert_id)
        assert row is not None and row.acked_at is not None and row.state == "acknowledged"
    w.advance(180)
    assert escalations() == 1, "escalation stopped once the MD acknowledged"
