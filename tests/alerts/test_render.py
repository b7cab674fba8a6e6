"""Rendering: safe subjects (Hypothesis), HTML escaping, masking, guidance, template checks."""

from __future__ import annotations

import dataclasses
import unicodedata
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import render
from alerts import view as alerts_view
from alerts.view import AlertView, safe_link, sample
from monitor.config import Config
from tests.conftest import make_config

CONFIG = Config(path=None, organisation="One Step Counselling and Therapies C.I.C")
ENV = render.Envelope(sender="monitor@example.org", to=("md@example.org",), message_id="<m.1.0@example.org>")


def with_text(view: AlertView, text: str, **changes: object) -> AlertView:
    comment = dataclasses.replace(view.comments[0], excerpt=text, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(view, comments=(comment,))


def parsed(msg: EmailMessage) -> EmailMessage:
    again = message_from_bytes(bytes(msg), policy=policy.default)
    assert isinstance(again, EmailMessage)
    return again


def parts(msg: EmailMessage) -> tuple[str, str]:
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=0, max_size=300))
def test_no_comment_text_can_inject_headers(text: str) -> None:
    view = with_text(sample("harassment", "high", CONFIG), text)
    msg = render.render_alert(view, CONFIG, ENV)
    subject = msg["Subject"]
    assert len(subject) <= render.SUBJECT_MAX
    assert not any(unicodedata.category(c)[0] in "CZ" and c != " " for c in subject)
    again = parsed(msg)
    assert again["Subject"] == subject
    assert sorted(k.lower() for k in again) == sorted(k.lower() for k in msg)
    assert again.get_all("Bcc") is None


@pytest.mark.parametrize(
    "text",
    [
        "hello\r\nBcc: attacker@example.com",
        "hi\nSubject: fake\n\nbody",
        "right-to-left \u202eevil\u202c and \u2028line\u2029para \x00\x1b[31m",
    ],
    ids=["crlf-bcc", "lf-subject", "bidi-and-controls"],
)
def test_subject_sanitising_known_attacks(text: str) -> None:
    msg = parsed(render.render_alert(with_text(sample("threat", "urgent", CONFIG), text), CONFIG, ENV))
    assert msg.get_all("Bcc") is None and len(msg.get_all("Subject") or []) == 1
    assert "\u202e" not in msg["Subject"] and "\x1b" not in msg["Subject"]


HOSTILE = """<script>alert(1)</script><img src=x onerror="alert(2)"> "double" 'single' & </blockquote>"""


def test_comment_text_is_escaped_in_html() -> None:
    view = with_text(sample("threat", "urgent", CONFIG), HOSTILE, author='<b onmouseover="x">Eve</b>')
    text, html = parts(parsed(render.render_alert(view, CONFIG, ENV)))
    assert "<script" not in html and "<img" not in html and 'onmouseover="' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        "onerror=&#34;alert(2)&#34;" in html
        and "&#39;single&#39;" in html
        and "&amp; &lt;/blockquote&gt;" in html
    )
    assert HOSTILE in text  # the plain part shows it as it was written


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.facebook.com/1/posts/2?comment_id=3", True),
        ("javascript:alert(1)", False),
        ('https://example.org/"><script>', False),
        ("data:text/html,hi", False),
        (None, False),
    ],
)
def test_only_plain_http_links_reach_the_email(url: str | None, kept: bool) -> None:
    assert (safe_link(url) is not None) is kept


def test_confidentiality_excerpts_are_masked_unless_configured(tmp_path: Path) -> None:
    view = sample("confidentiality_risk", "urgent", CONFIG)
    msg = render.render_alert(view, CONFIG, ENV)
    raw = bytes(msg).decode("utf-8", "replace")
    text, html = parts(parsed(msg))
    for secret in ("07700 900123", "Tom Baker"):
        assert secret not in text and secret not in html
    assert "[phone]" in text and "masked" in text
    assert "Saw" not in msg["Subject"] and "Tom" not in raw.split("\n\n")[0]  # nothing in the headers
    full = make_config(tmp_path, "include_full_text = true\n")
    text, _ = parts(render.render_alert(sample("confidentiality_risk", "urgent", full), full, ENV))
    assert "07700 900123" in text


def test_a_confidentiality_email_hides_every_name_and_health_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "My neighbour Gail Fretwell comes to this, she's caring for her husband since his Parkinson's "
        "got bad. Gail's on 0114 496 0123 if you can ring her. Hi Sandra, Mr Patel says she's on sertraline 50mg."
    )
    monkeypatch.setitem(alerts_view.SAMPLE_TEXT, "confidentiality_risk", text)
    plain, html = parts(render.render_alert(sample("confidentiality_risk", "urgent", CONFIG), CONFIG, ENV))
    for secret in ("Gail", "Fretwell", "Parkinson", "0123", "Sandra", "Patel", "sertraline", "50mg"):
        assert secret not in plain and secret not in html, secret
    assert "[name]" in plain and "[health detail]" in plain and "[phone]" in plain


def test_the_first_screen_says_what_happened_and_the_next_three_actions() -> None:
    text, html = parts(render.render_alert(sample("threat", "urgent", CONFIG), CONFIG, ENV))
    head = text.split("WHAT WAS SAID")[0]
    assert head.startswith("URGENT: Threat on Facebook")
    assert "NEXT 10 MINUTES" in head and "1. " in head and "3. " in head and "4. " not in head
    assert "999" in head
    assert html.index("Next 10 minutes") < html.index("What was said")
    assert "monitor alerts ack 42" in text


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("england", ["Samaritans", "116 123", "NHS 111", "option 2", "999"]),
        ("scotland", ["116 123", "NHS 24", "Breathing Space", "999"]),
        ("wales", ["116 123", "NHS 111 Wales", "press 2", "999"]),
        ("northern_ireland", ["116 123", "Lifeline", "999"]),
    ],
)
def test_risk_to_life_signposting_by_region(tmp_path: Path, region: str, expected: list[str]) -> None:
    config = make_config(tmp_path, f'region = "{region}"\n')
    text, _ = parts(render.render_alert(sample("risk_to_life", "urgent", config), config, ENV))
    reply = text.split("SUGGESTED PUBLIC REPLY")[1].split("SUGGESTED PRIVATE MESSAGE")[0]
    for words in expected:
        assert words in " ".join(reply.split())


@pytest.mark.parametrize("category", ["risk_to_life", "threat", "confidentiality_risk", "staff_breach",
                                      "harassment", "hate", "negative_publicity"])  # fmt: skip
def test_guidance_never_confirms_a_client_and_cites_policy(category: str) -> None:
    text, _ = parts(render.render_alert(sample(category, "urgent", CONFIG), CONFIG, ENV))
    assert "Based on: Policy" in text
    reply = text.split("SUGGESTED PUBLIC REPLY")[1].split("Based on:")[0].lower()
    for confirming in ("our client", "is a client", "was a client", "your counsellor", "your sessions"):
        assert confirming not in reply


def test_a_staff_post_is_treated_as_a_possible_data_breach() -> None:
    text, _ = parts(render.render_alert(sample("staff_breach", "urgent", CONFIG), CONFIG, ENV))
    assert "possible personal data breach" in text
    assert "ICO within 72 hours" in text and "DPO" in text
    assert "None: do not reply in public" in text


def test_message_id_is_deterministic() -> None:
    view = sample("threat", "urgent", CONFIG)
    first = render.message_id("item:facebook:1", view.created_at, 0, "Monitor <monitor@onestep.example>")
    assert first == render.message_id("item:facebook:1", view.created_at, 0, "monitor@onestep.example")
    assert first.endswith("@onestep.example>") and first.startswith("<alert.")
    assert first != render.message_id("item:facebook:1", view.created_at, 1, "monitor@onestep.example")


def test_default_templates_pass_the_check() -> None:
    assert render.check_templates(CONFIG) == []


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("guidance/threat.md.j2", "{% block headline %}{% if %}{% endblock %}", "line 1"),
        ("guidance/threat.md.j2", "{% block headline %}x{% endblock %}", "missing block"),
        ("email/alert.html.j2", "{{ alert.no_such_field }}", "no_such_field"),
        ("guidance/threats.md.j2", "typo in the file name", "not a template the monitor uses"),
    ],
    ids=["syntax", "missing-block", "undefined", "unknown-file"],
)
def test_template_errors_are_caught_at_config_check(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    folder = tmp_path / "templates"
    (folder / name).parent.mkdir(parents=True)
    (folder / name).write_text(content, encoding="utf-8")
    config = make_config(tmp_path, f'templates_dir = "{folder}"\n')
    problems = render.check_templates(config)
    assert any(problem in p for p in problems), problems


def test_an_override_replaces_only_its_own_file(tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "guidance"
    folder.mkdir(parents=True)
    original = (
        Path(render.__file__).parent.parent / "config" / "templates" / "guidance" / "threat.md.j2"
    ).read_text()
    (folder / "threat.md.j2").write_text(original.replace("call 999", "call 999 and ring Jo on 07700 900000"))
    (folder.parent / "digest.txt.j2").write_text("{{ summary }}")  # the digest's own template
    config = make_config(tmp_path, f'templates_dir = "{tmp_path / "templates"}"\n')
    assert render.check_templates(config) == []
    text, _ = parts(render.render_alert(sample("threat", "urgent", config), config, ENV))
    assert "ring Jo" in text
    text, _ = parts(render.render_alert(sample("harassment", "high", config), config, ENV))
    assert "Hide the comment" in text


def test_grouped_alert_shows_the_comment_that_made_it_urgent_first() -> None:
    from datetime import UTC, datetime, timedelta

    from alerts.view import from_rows
    from monitor import config as config_mod
    from monitor.store.alerts import AlertItem
    from monitor.store.schema import AlertRow, FindingRow, ItemRow

    t0 = datetime(2026, 11, 20, 9, tzinfo=UTC)

    def entry(n: int, text: str, label: str | None, org: bool = False) -> AlertItem:
        item = ItemRow(
            id=n,
            platform="facebook",
            external_id=f"c{n}",
            account="fb",
            kind="comment",
            text=text,
            created_at=t0 + timedelta(minutes=n),
            author_is_org=org,
            private=False,
        )
        found = (FindingRow(item_id=n, label=label, score=0.9, reasons=["cue"]),) if label else ()
        return AlertItem(item, found)

    alert = AlertRow(
        id=1,
        key="k",
        kind="alert",
        severity="urgent",
        category="risk_to_life",
        account="fb",
        created_at=t0,
        due_at=t0,
        escalations=0,
        payload={},
    )
    entries = [
        entry(1, "14 weeks on your waiting list, disgraceful", "negative_publicity"),
        entry(2, "our event is on Monday", None, org=True),
        entry(3, "i cant keep going, everyone would be better off", "risk_to_life"),
    ]
    view = from_rows(alert, entries, config_mod.parse({}))
    assert view.comments[0].excerpt.startswith("i cant keep going")
    assert view.comments[1].excerpt.startswith("14 weeks")
    assert view.guidance == "risk_to_life"  # an unflagged own post in the thread is no staff breach
