"""The weekly digest: every figure of a seeded week, on real SQLite and real PostgreSQL;
then the charts, the HTML and text, the email, the scheduled send and `monitor digest`.

The seeded week is ISO week 2026-W47 (Mon 16 – Sun 22 November, GMT = UTC in Europe/London);
the digest is built on Monday 23 November at 09:00 (the FakeClock's start).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from alerts import charts, digest, digest_render, digest_text
from alerts.digest import Window
from connectors import base as connector_base
from monitor import health
from monitor.cli import cli
from monitor.config import Config
from monitor.errors import InputError
from monitor.store import Store, accounts, items
from monitor.store import digest as store_digest
from monitor.store.schema import AlertItemRow, AlertRow, ErasureRow, ItemRow
from monitor.types import Account, Finding, Item, ItemKind
from tests.conftest import FakeClock, make_config

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PHONE = "07700 900123"
ACCOUNTS = """
[[accounts]]
name = "fb"
platform = "replay"
account_id = "page"
path = "fb.jsonl"
display_name = "One Step (Facebook)"

[[accounts]]
name = "ig"
platform = "replay"
account_id = "insta"
path = "ig.jsonl"

[[accounts]]
name = "xa"
platform = "x"
account_id = "OneStep"
path = "x.jsonl"

[[accounts]]
name = "yt"
platform = "replay"
account_id = "channel"
path = "yt.jsonl"
"""


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Seed:
    """One item to store, and the labels to give it."""

    account: str
    platform: str
    external_id: str
    created_at: datetime
    text: str = "hello"
    labels: tuple[str, ...] = ()
    kind: ItemKind = ItemKind.COMMENT
    org: bool = False
    parent_id: str | None = None
    post_id: str | None = "post-1"
    private: bool = False
    deleted: bool = False


SEEDS: tuple[Seed, ...] = (
    # ---- this week (W47): fb 6 items by others, x 4, ig nothing (it usually has 4 a week)
    Seed("fb", "facebook", "f1", at(16, 10), "How do I book a session for my daughter?", ("engagement",)),
    Seed("fb", "facebook", "f2", at(16, 10, 30), "Is there parking near the hub?", ("engagement",)),
    Seed("fb", "facebook", "f2r", at(16, 11), "Yes, on Abbey Lane.", org=True, parent_id="f2"),
    Seed(
        "fb",
        "facebook",
        "f3",
        at(17, 9),
        f"Fourteen weeks on the waiting list and nobody rang back. Call me on {PHONE}",
        ("negative_publicity",),
    ),
    Seed(
        "fb", "facebook", "f4", at(18, 12), "£40 a session is far too expensive <b>", ("negative_publicity",)
    ),
    Seed(
        "fb",
        "facebook",
        "f5",
        at(19, 8),
        "Saw Tom Ashworth leaving his counselling session, he looked awful",
        ("confidentiality_risk", "negative_publicity"),
    ),
    Seed("fb", "facebook", "f6", at(21, 23, 30), "you lot are idiots", ("harassment",), deleted=True),
    Seed("fb", "facebook", "own1", at(16, 9), "Our autumn programme", kind=ItemKind.OWN_POST, org=True),
    Seed(
        "xa", "x", "x1", at(17, 10), "@OneStep I will hurt you", ("threat",), ItemKind.MENTION, post_id="x1"
    ),
    Seed(
        "xa",
        "x",
        "x2",
        at(20, 9),
        "Can I volunteer with you?",
        ("engagement",),
        ItemKind.MENTION,
        post_id="c9",
    ),
    Seed("xa", "x", "x2r", at(20, 15), "We'd love that", org=True, parent_id="x0", post_id="c9"),
    Seed("xa", "x", "x3", at(22, 23, 59), "my appointment was cancelled AGAIN", ("negative_publicity",)),
    Seed("xa", "x", "x4", at(18, 7), "can you call me back?", ("engagement",), private=True, post_id=None),
    # just outside the week, on either side
    Seed("fb", "facebook", "late", at(23, 0, 0), "Monday already", ("negative_publicity",)),
    # ---- the week before (W46): fb 2, x 1, ig 4
    Seed("fb", "facebook", "p1", at(10, 9), "I waited months for a call", ("negative_publicity",)),
    Seed("fb", "facebook", "p2", at(11, 9), "great session", ("spam",)),
    Seed("xa", "x", "p3", at(12, 9), "hello", ("hate",)),
    *(
        Seed("ig", "instagram", f"i{w}{n}", at(16, 12 + n) - timedelta(weeks=w))
        for w in range(1, 5)
        for n in range(4)
    ),
)


def seed_items(store: Store) -> dict[str, int]:
    with store.transaction() as s:
        for seed in SEEDS:
            item = Item(
                seed.platform,
                seed.external_id,
                seed.account,
                seed.kind,
                seed.text,
                seed.created_at,
                post_id=seed.post_id,
                parent_id=seed.parent_id,
                author_is_org=seed.org,
                private=seed.private,
                deleted=seed.deleted,
                permalink=f"https://example.org/{seed.external_id}",
            )
            items.save_items(s, [item], seed.created_at)
        rows = {r.external_id: r for r in s.scalars(select(ItemRow))}
        for seed in SEEDS:
            found = [Finding(label, 0.9) for label in seed.labels]
            items.save_findings(s, rows[seed.external_id], found, "test", seed.created_at)
        return {key: row.id for key, row in rows.items()}


def add_alert(store: Store, ids: dict[str, int], key: str, **values: object) -> int:
    with store.transaction() as s:
        item = values.pop("item", None)
        values.setdefault("kind", "alert")
        row = AlertRow(key=key, attempts=0, escalations=0, payload={}, **values)
        row.due_at = row.created_at
        s.add(row)
        s.flush()
        if item is not None:
            s.add(AlertItemRow(alert_id=row.id, item_id=ids[str(item)]))
        return row.id


def seed(store: Store, config: Config) -> dict[str, int]:
    ids = seed_items(store)
    add_alert(  # acknowledged after 30 minutes
        store, ids, "a1", severity="urgent", category="threat", account="xa", state="acknowledged",
        created_at=at(17, 10, 1), sent_at=at(17, 10, 1), acked_at=at(17, 10, 31), acked_by="md", item="x1",
    )  # fmt: skip
    add_alert(  # sent, never acknowledged: open
        store, ids, "a2", severity="high", category="negative_publicity", account="fb", state="sent",
        created_at=at(17, 9, 5), sent_at=at(17, 9, 10), item="f3",
    )  # fmt: skip
    add_alert(  # resolved without an acknowledgement, after 2 hours
        store, ids, "a3", severity="high", category="harassment", account="fb", state="resolved",
        created_at=at(21, 23, 35), sent_at=at(21, 23, 40), resolved_at=at(22, 1, 40), item="f6",
    )  # fmt: skip
    add_alert(  # urgent and unacknowledged: the red box
        store, ids, "a4", severity="urgent", category="confidentiality_risk", account="fb", state="sent",
        created_at=at(19, 8, 5), sent_at=at(19, 8, 5), item="f5",
    )  # fmt: skip
    add_alert(  # the week before: acknowledged after an hour
        store, ids, "a5", severity="high", category="hate", account="xa", state="acknowledged",
        created_at=at(12, 9, 5), sent_at=at(12, 9, 5), acked_at=at(12, 10, 5), item="p3",
    )  # fmt: skip
    add_alert(  # an operator notice the outbox gave up on
        store, ids, "n1", kind="operator", severity="high", category="auth", account="yt", state="failed",
        created_at=at(20, 6), last_error="550 mailbox unavailable",
    )  # fmt: skip
    with store.transaction() as s:
        accounts.ensure(s, [Account(a.name, a.platform, a.account_id) for a in config.accounts])
        accounts.record_success(s, "fb", NOW - timedelta(minutes=10))
        accounts.record_success(s, "ig", NOW - timedelta(minutes=10))
        accounts.record_success(s, "xa", NOW - timedelta(days=2))
        for _ in range(3):
            accounts.record_failure(s, "xa", "rate limited", NOW - timedelta(hours=1))
        accounts.record_failure(s, "yt", "token expired", at(20, 6), needs_attention="token expired")
        accounts.add_usage(s, "xa", "2026-11-16", requests=4, reads=400, owned_reads=300)
        accounts.add_usage(s, "xa", "2026-11-22", requests=6, reads=600)
        accounts.add_usage(s, "xa", "2026-11-23", requests=1, reads=50)  # next week
        s.add(ErasureRow(at=at(22, 3), reason="retention", items=12, alerts=0))
        s.add(ErasureRow(at=at(18, 14), reason="request", items=2, alerts=1))
        s.add(ErasureRow(at=at(11, 3), reason="retention", items=99, alerts=0))  # the week before
    return ids


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    # "x" as a replay account here, whatever the real X connector needs.
    monkeypatch.setitem(connector_base.BUILTIN, "x", "connectors.replay:ReplayConnector")
    return make_config(tmp_path, ACCOUNTS)


@pytest.fixture
def week(store: Store, config: Config) -> digest.Digest:
    seed(store, config)
    return digest.gather(store, config, digest.last_complete_week(LONDON, NOW), NOW)


# ------------------------------------------------------------------ every figure


def test_window_is_last_complete_iso_week(week: digest.Digest) -> None:
    assert week.window == Window(at(16, 0), at(23, 0), "2026-W47", "16–22 November 2026", "2026-W47")
    assert (week.previous.start, week.previous.end) == (at(9, 0), at(16, 0))
    assert week.generated_at == NOW
    assert not week.empty


def test_headline_figures(week: digest.Digest) -> None:
    this, last = week.this, week.last
    assert dict(this.items) == {"facebook": 6, "x": 4}  # own posts and org replies not counted
    assert dict(last.items) == {"facebook": 2, "x": 1, "instagram": 4}
    assert (this.items_total, last.items_total) == (10, 7)
    assert week.platforms == ("facebook", "x", "instagram")
    assert dict(this.flagged) == {
        "risk_to_life": 0,
        "threat": 1,
        "confidentiality_risk": 1,
        "harassment": 1,
        "hate": 0,
        "negative_publicity": 4,
        "engagement": 4,
        "spam": 0,
    }
    assert this.flagged_items == 10  # every item others wrote this week has a label
    assert {k: v for k, v in last.flagged.items() if v} == {"hate": 1, "negative_publicity": 1, "spam": 1}
    assert last.flagged_items == 3
    assert dict(this.alerts) == {"urgent": 2, "high": 2, "low": 0}
    assert dict(last.alerts) == {"urgent": 0, "high": 1, "low": 0}
    assert this.responded == 2
    assert this.median_ack == timedelta(minutes=75)  # 30 min and 2 h
    assert last.median_ack == timedelta(hours=1)


def test_daily_volume_by_local_day(week: digest.Digest) -> None:
    assert [d.day.isoformat() for d in week.daily] == [f"2026-11-{n}" for n in range(16, 23)]
    assert [dict(d.counts) for d in week.daily] == [
        {"facebook": 2},
        {"facebook": 1, "x": 1},
        {"facebook": 1, "x": 1},
        {"facebook": 1},
        {"x": 1},
        {"facebook": 1},
        {"x": 1},
    ]


def test_trend_is_eight_weeks_of_complaints_and_hostility(week: digest.Digest) -> None:
    assert [p.label for p in week.trend] == [f"W{n}" for n in range(40, 48)]
    assert [(p.items, p.complaints, p.hostile) for p in week.trend[-5:]] == [
        (4, 0, 0),
        (4, 0, 0),
        (4, 0, 0),
        (7, 1, 1),  # W46: one complaint, one hate
        (10, 4, 2),  # W47: four complaints; a threat and harassment
    ]


def test_open_alerts_oldest_first_with_age(week: digest.Digest) -> None:
    assert [(a.id, a.severity, a.category, a.state) for a in week.open_alerts] == [
        (2, "high", "negative_publicity", "sent"),
        (4, "urgent", "confidentiality_risk", "sent"),
    ]
    assert [a.age for a in week.open_alerts] == [NOW - at(17, 9, 5), NOW - at(19, 8, 5)]


def test_urgent_incidents_dated_by_the_post(week: digest.Digest) -> None:
    assert [(i.id, i.created_at, i.category, i.state, i.response, i.acked_by) for i in week.urgent] == [
        (1, at(17, 10), "threat", "acknowledged", timedelta(minutes=30), "md"),
        (4, at(19, 8), "confidentiality_risk", "sent", None, None),
    ]


def test_waiting_for_a_reply(week: digest.Digest) -> None:
    # f2 has a direct reply; x2 an org reply in the same conversation; f1 and the DM x4 wait.
    assert week.waiting_since == at(9, 0)
    assert [(w.account, w.created_at, w.excerpt, w.age) for w in week.waiting] == [
        ("fb", at(16, 10), "How do I book a session for my daughter?", NOW - at(16, 10)),
        ("xa", at(18, 7), "(a private message: read it on the platform)", NOW - at(18, 7)),
    ]
    assert week.waiting[0].permalink == "https://example.org/f1"


def test_complaint_themes_counted_and_masked(week: digest.Digest) -> None:
    assert week.complaints == 4
    themes = {t.name: t for t in week.themes}
    assert {name: t.count for name, t in themes.items()} == {
        "Waiting times": 1,
        "Communication, no reply": 1,
        "Cost and fees": 1,
        "Cancellations": 1,
        "Other": 1,  # f5, which is never quoted: it may identify someone
    }
    assert themes["Waiting times"].example == (
        "Fourteen weeks on the waiting list and nobody rang back. Call me on [phone]"
    )
    assert themes["Other"].example is None
    assert PHONE not in repr(week)
    assert "Tom" not in repr(week)


def test_connector_health(week: digest.Digest) -> None:
    by_name = {c.name: c for c in week.connectors}
    assert {n: c.status for n, c in by_name.items()} == {
        "fb": "ok",
        "ig": "silent",
        "xa": "failing",
        "yt": "needs attention",
    }
    assert (by_name["fb"].items, by_name["ig"].items, by_name["ig"].usual) == (6, 0, 4.0)
    assert by_name["fb"].display_name == "One Step (Facebook)"
    # 300 owned reads at $0.001 and 700 post reads at $0.005; the month adds 50 post reads
    assert (by_name["xa"].reads, by_name["xa"].cost_usd, by_name["xa"].month_cost_usd) == (1000, 3.8, 4.05)
    assert by_name["xa"].failures == 3
    assert by_name["yt"].cost_usd is None
    assert [(f.kind, f.category, f.last_error) for f in week.outbox_failed] == [
        ("operator", "auth", "550 mailbox unavailable")
    ]


def test_problems_red_box(week: digest.Digest) -> None:
    assert week.problems == (
        "1 urgent alert not yet acknowledged; the oldest has waited 4 days",
        "ig: nothing came in this period, though it usually brings about 4; check the connection "
        "still works (a revoked permission can look like a quiet week)",
        "xa: failing: 3 polls in a row, none successful since 2026-11-21 09:00 UTC (last error: rate limited)",
        "yt: needs attention: token expired",
        "yt: never polled successfully (last error: token expired)",
        "1 email(s) could not be delivered; they are retried and go out when mail works again "
        "(see `monitor alerts list --state failed`)",
    )


def test_data_care(week: digest.Digest) -> None:
    assert week.data_care == digest.DataCare(
        purged_items=12, retention_runs=1, requests=1, request_items=2, request_alerts=1
    )


def test_empty_week_says_so(store: Store, config: Config) -> None:
    seed(store, config)
    empty = digest.gather(store, config, digest.iso_week("2026-W30", LONDON), NOW)
    assert empty.empty
    assert empty.this.items_total == 0 and empty.this.alerts_total == 0
    assert charts.build(empty) == ()
    html = digest_render.render_html(empty, config)
    assert "A quiet week: nothing came in" in html
    assert "<img" not in html
    assert "quiet week" in digest_render.subject(empty) or empty.problems


# ------------------------------------------------------------------ windows


@pytest.mark.parametrize(
    ("now", "label"),
    [
        (datetime(2026, 11, 23, 9, tzinfo=UTC), "2026-W47"),
        (datetime(2026, 11, 22, 23, 59, tzinfo=UTC), "2026-W46"),
        (datetime(2027, 1, 4, 8, tzinfo=UTC), "2026-W53"),
        (datetime(2026, 3, 29, 23, 30, tzinfo=UTC), "2026-W13"),  # 00:30 BST on Mon 30 March
    ],
    ids=["monday", "sunday-night", "year-end", "bst-midnight"],
)
def test_last_complete_week(now: datetime, label: str) -> None:
    assert digest.last_complete_week(LONDON, now).label == label


def test_week_across_the_clocks_going_back() -> None:
    w = digest.iso_week("2026-W43", LONDON)
    assert (w.start, w.end) == (datetime(2026, 10, 18, 23, tzinfo=UTC), datetime(2026, 10, 26, 0, tzinfo=UTC))
    assert w.length == timedelta(days=7, hours=1)


@pytest.mark.parametrize("text", ["2026-47", "W47", "2026-W54", "2025-W53", ""], ids=str)
def test_bad_weeks(text: str) -> None:
    with pytest.raises(InputError):
        digest.iso_week(text, LONDON)


# ------------------------------------------------------------------ rendering


def test_html_has_every_section_escaped_and_masked(week: digest.Digest, config: Config) -> None:
    html = digest_render.render_html(week, config)
    for heading in (
        "Needs attention now",
        "The week in numbers",
        "Still open",
        "Urgent incidents this week",
        "Waiting for a reply",
        "Complaints: recurring themes",
        "Connections",
        "Data care",
    ):
        assert heading in html
    assert html.index("Needs attention now") < html.index("The week in numbers") < html.index("Still open")
    assert PHONE not in html and "Tom Ashworth" not in html
    assert "&lt;b&gt;" in html and "expensive <b>" not in html
    assert html.count('src="data:image/png;base64,') == 3
    assert all(f'alt="{c.alt}"' in html for c in charts.build(week))
    assert "1h 15" not in html and "75 min" in html


def test_text_twin(week: digest.Digest, config: Config, store: Store) -> None:
    text = digest_render.render_text(week, config)
    assert "NEEDS ATTENTION NOW" in text
    assert re.search(r"Comments and mentions\s+10\s+7\s+\+3", text)
    assert re.search(r"Alerts sent\s+4\s+1\s+\+3", text)
    assert "#4 Urgent: Confidentiality risk on fb" in text
    assert "read cost this week: 300 owned reads × $0.001 + 700 post reads × $0.005 ≈ $3.80" in text
    month = (
        "300 owned reads × $0.001 + 750 post reads × $0.005 ≈ $4.05 (X pay-per-use prices as of 2026-12-07)"
    )
    assert f"this month: {month}" in text
    status = health.render_text(health.collect(config, store, NOW), config)
    assert f"this month: {month}" in status, "`monitor status` and the digest say the same"
    assert "Text erased under the 90-day retention policy: 12 items." in text
    assert PHONE not in text


def test_charts_are_small_pngs(week: digest.Digest) -> None:
    drawn = charts.build(week)
    assert [c.name for c in drawn] == ["volume", "flagged", "trend"]
    for chart in drawn:
        assert chart.png.startswith(b"\x89PNG")
        width, height = int.from_bytes(chart.png[16:20], "big"), int.from_bytes(chart.png[20:24], "big")
        assert (width, height) == (600, 260)
        assert len(chart.png) < 60_000
    assert "Mon 16 2" in drawn[0].alt and "Sun 22 1" in drawn[0].alt


def test_email_is_text_and_html_with_inline_charts(week: digest.Digest, config: Config) -> None:
    msg = digest_render.build_email(week, config)
    assert msg["To"] == "md@example.org" and msg["From"] == "monitor@example.org"
    assert msg["Subject"] == "Weekly digest, 16–22 November 2026: 6 things need attention"
    parsed = message_from_bytes(bytes(msg), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/alternative"
    plain, related = parsed.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, *images = related.iter_parts()
    assert html.get_content_type() == "text/html"
    body = html.get_content()
    assert [i.get_content_type() for i in images] == ["image/png"] * 3
    for image in images:
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in body
    assert "data:image" not in body
    assert PHONE not in bytes(msg).decode("ascii", "replace")


def test_digest_recipients_override(
    tmp_path: Path, week: digest.Digest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(connector_base.BUILTIN, "x", "connectors.replay:ReplayConnector")
    cfg = make_config(tmp_path, '[digest]\nrecipients = ["board@example.org", "md@example.org"]\n')
    assert digest_render.build_email(week, cfg)["To"] == "board@example.org, md@example.org"


# ------------------------------------------------------------------ the scheduled send and the CLI


def test_send_weekly_is_idempotent_per_week(store: Store, config: Config, clock: FakeClock) -> None:
    seed(store, config)
    assert digest.send_weekly(store, config, clock()) is True
    assert digest.send_weekly(store, config, clock.advance(hours=3)) is False
    with store.transaction() as s:
        row = s.scalars(select(AlertRow).where(AlertRow.kind == "digest")).one()
        assert (row.key, row.severity, row.category, row.state) == (
            "digest:2026-W47",
            "low",
            "digest",
            "pending",
        )
        raw = base64.b64decode(row.payload["eml_b64"])
    assert b"Weekly digest, 16" in raw
    assert digest.send_weekly(store, config, clock.advance(days=7)) is True  # next week: W48
    with store.transaction() as s:
        assert store_digest.queued(s, "digest:2026-W48")


def cli_config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(
        '[monitor]\nstate_dir = "state"\n[alerts]\nrecipients = ["md@example.org"]\n'
        'sender = "monitor@example.org"\n'
        '[[accounts]]\nname = "fb"\nplatform = "replay"\naccount_id = "p"\npath = "fb.jsonl"\n'
    )
    return path


def test_cli_output_send_and_text(tmp_path: Path) -> None:
    path = cli_config(tmp_path)
    out = tmp_path / "digest.html"
    runner = CliRunner()
    result = runner.invoke(cli, ["-c", str(path), "digest", "--week", "2026-W47", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and out.read_text().startswith("<!doctype html>")
    assert "A quiet week" in out.read_text()
    result = runner.invoke(cli, ["-c", str(path), "digest", "--since", "7d"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Our organisation\nDigest: ")
    result = runner.invoke(cli, ["-c", str(path), "digest", "--send"])
    assert result.exit_code == 0, result.output
    assert "written to the outbox" in result.output
    eml = list((tmp_path / "state" / "outbox").glob("*.eml"))
    assert len(eml) == 1 and b"multipart/alternative" in eml[0].read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W99"], "2026 has no week 99"),
        (["--week", "2026-W47", "--since", "7d"], "not both"),
        (["--send", "--output", "x.html"], "not both"),
    ],
    ids=["bad-week", "week-and-since", "send-and-output"],
)
def test_cli_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["-c", str(cli_config(tmp_path)), "digest", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_demo_says_when_the_database_is_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    result = CliRunner().invoke(cli, ["digest", "--demo"])
    assert result.exit_code == 1
    assert "run `monitor scan --since 60d --demo` first" in result.output


# ------------------------------------------------------------------ themes and excerpts


def _complaint(text: str | None, **flags: bool) -> store_digest.ItemText:
    return store_digest.ItemText(
        1, "facebook", "fb", "comment", NOW, text,
        flags.get("private", False), None, flags.get("sensitive", False), flags.get("deleted", False),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I've been on the waiting list for 4 months", {"Waiting times"}),
        ("£35 a session?? can't afford that", {"Cost and fees"}),
        ("my session was cancelled by text an hour before", {"Cancellations"}),
        ("the woman on reception was so rude", {"Staff attitude"}),
        ("emailed twice and never heard back", {"Communication, no reply"}),
        ("the online referral form keeps crashing", {"Booking and admin"}),
        ("no lift and the room is up two flights of stairs", {"Accessibility"}),
        ("absolute joke of an organisation", {"Other"}),
    ],
    ids=["waiting", "cost", "cancel", "attitude", "no-reply", "booking", "access", "other"],
)
def test_theme_table(text: str, expected: set[str]) -> None:
    assert {t.name for t in digest_text.themes([_complaint(text)])} == expected


def test_theme_examples_are_masked_cut_and_never_private() -> None:
    long = "Waited 16 weeks, ring Jo on 07700 900456 " + "and nothing happened " * 10
    found = digest_text.themes(
        [
            _complaint("waited weeks, a private message", private=True),
            _complaint(long),
            _complaint("waited weeks, deleted", deleted=True),
        ]
    )
    assert [(t.name, t.count) for t in found] == [("Waiting times", 3)]
    example = found[0].example or ""
    assert len(example) <= digest_text.EXCERPT and example.endswith("…")
    assert "07700" not in example and example.startswith("Waited 16 weeks, ring")


def test_own_templates_override_the_built_in_ones(tmp_path: Path, week: digest.Digest) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "digest.txt.j2").write_text("{{ d.this.items_total }} items; {{ summary }}\n")
    cfg = make_config(tmp_path, f'templates_dir = "{mine}"\n')  # still inside make_config's [alerts]
    assert cfg.alerts.templates_dir == str(mine)
    assert digest_render.render_text(week, cfg).startswith("10 items; 10 comments and mentions came in")


def test_false_alarms_count_by_label(store: Store, config: Config) -> None:
    from monitor.store.schema import FalseAlarmRow

    ids = seed(store, config)
    with store.transaction() as s:
        s.add(
            FalseAlarmRow(
                alert_id=3, item_id=ids["f6"], label="harassment", reason="banter", actor="md", at=at(22, 2)
            )
        )
        s.add(
            FalseAlarmRow(
                alert_id=5, item_id=ids["p3"], label="hate", reason="quote", actor="md", at=at(12, 11)
            )
        )
    built = digest.gather(store, config, digest.last_complete_week(LONDON, NOW), NOW)
    assert (dict(built.this.false_alarms), dict(built.last.false_alarms)) == ({"harassment": 1}, {"hate": 1})
    text = digest_render.render_text(built, config)
    assert "Marked as false alarms, by category" in text
    section = text.split("Marked as false alarms, by category")[1].split("Alerts sent")[0]
    assert re.search(r"Harassment\s+1\s+0", section) and re.search(r"Hate[^\n]*\s0\s+1", section), section
    assert "Marked as false alarms" in digest_render.render_html(built, config)
