"""What an alert email shows, as plain frozen data: built from the database rows, or a sample.

Rendering (`alerts.render`) only ever sees these views, so templates can be checked and
screenshotted without a database, and masking happens in exactly one place
(`comment_of`): confidentiality excerpts are masked here unless the configuration says
`include_full_text = true`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from alerts import mask as masking
from monitor.config import Config
from monitor.store.alerts import AlertItem
from monitor.store.schema import AlertRow
from monitor.types import LABELS

LABEL_NAMES: dict[str, str] = {
    "risk_to_life": "Possible risk to life",
    "threat": "Threat",
    "confidentiality_risk": "Confidentiality risk",
    "harassment": "Harassment",
    "hate": "Hate speech",
    "negative_publicity": "Complaint or negative publicity",
    "engagement": "Question or engagement",
    "spam": "Spam",
}
STAFF_BREACH_NAME = "Possible data breach in our own post"
# Short names for subject lines: an alert's subject names every category it covers, in full.
SHORT_NAMES: dict[str, str] = {
    "risk_to_life": "Risk to life",
    "threat": "Threat",
    "confidentiality_risk": "Confidentiality",
    "staff_breach": "Data breach in our post",
    "harassment": "Harassment",
    "hate": "Hate speech",
    "negative_publicity": "Complaint",
    "engagement": "Question",
    "spam": "Spam",
}
PLATFORM_NAMES: dict[str, str] = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X (Twitter)",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "youtube": "YouTube",
    "replay": "an imported export",
}
EXCERPT_CHARS = 1000  # what was said, for most categories
MASKED_CHARS = 400  # a masked confidentiality excerpt
FULL_TEXT_CHARS = 5000  # include_full_text = true
MAX_COMMENTS = 10  # a grouped alert shows this many; the rest are counted


@dataclass(frozen=True)
class Flag:
    label: str
    name: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Comment:
    item_id: int  # our number for the item (`monitor hide ITEM_ID`); 0 in samples
    platform: str
    platform_name: str
    account: str
    kind: str
    excerpt: str  # masked and shortened as the configuration requires
    masked: bool
    truncated: bool
    author: str | None  # "Jane Doe (@jane)"; None when unknown
    author_is_org: bool
    permalink: str | None  # http(s) only
    when: str  # local time, e.g. "Mon 23 Nov 2026, 09:04 GMT"
    deleted: bool
    erased: bool  # text erased under retention
    private: bool  # a direct message: never quote it publicly
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class Section:
    """One category an alert is about, with the comments whose guidance it gives (numbered as shown).

    Each comment gets the guidance of its most severe category only: a threat that is also
    harassment gets the threat's advice ("do not reply"), never the harassment's suggested
    reply as well. A category that is never a comment's most severe is still named, with
    `covered_by` saying whose guidance covers it.
    """

    category: str  # the label
    name: str  # "Possible risk to life", "Possible data breach in our own post"
    guidance: str  # the guidance template: the label, or "staff_breach"
    severity: str
    comments: tuple[int, ...]  # 1-based numbers of the shown comments this guidance is for
    more: int = 0  # comments beyond those shown
    also: tuple[int, ...] = ()  # comments that carry it too, guided by a more severe category
    covered_by: str | None = None  # the section whose guidance covers every comment of this one

    @property
    def short_name(self) -> str:
        return SHORT_NAMES.get(self.guidance, self.name)

    @property
    def about(self) -> str:
        """'comment 1', 'comments 1 and 3', 'comments 1, 2 and 4 (and 3 more)'."""
        return _numbers(self.comments or self.also) + (f" (and {self.more} more)" if self.more else "")


def _numbers(numbers: tuple[int, ...]) -> str:
    words = [str(n) for n in numbers]
    if len(words) > 1:
        return f"comments {', '.join(words[:-1])} and {words[-1]}"
    return f"comment {words[0]}" if words else "comments not shown"


@dataclass(frozen=True)
class AlertView:
    id: int
    key: str
    kind: str  # alert | operator
    severity: str
    category: str
    category_name: str
    guidance: str  # the guidance template's name: the category, or "staff_breach"
    account: str | None
    platform: str | None
    platform_name: str
    created: str  # local time
    created_at: datetime
    escalations: int
    escalate_after_minutes: int
    comments: tuple[Comment, ...]
    more_comments: int  # grouped comments not shown
    message: str = ""  # operator notices: what happened
    topic: str = ""  # operator notices: auth, failed, …
    sections: tuple[Section, ...] = ()  # every category that needs action, most severe first

    @property
    def author_is_org(self) -> bool:
        return any(c.author_is_org for c in self.comments)

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sections) or (self.category_name,)

    @property
    def short_names(self) -> tuple[str, ...]:
        return tuple(s.short_name for s in self.sections) or (
            SHORT_NAMES.get(self.guidance, self.category_name),
        )

    @property
    def other_labels(self) -> tuple[str, ...]:
        """Labels flagged in this alert that need no guidance of their own (e.g. a question)."""
        guided = {s.category for s in self.sections} | {self.category}
        seen = {f.label for c in self.comments for f in c.flags} - guided
        return tuple(LABEL_NAMES.get(label, label) for label in LABELS if label in seen)


def local_time(value: datetime, config: Config) -> str:
    local = value.astimezone(config.tz)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def safe_link(url: str | None) -> str | None:
    """Only http(s) links reach the email; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"[\s<>\"']", url.strip()):
        return None
    return url.strip()


def shorten(text: str, limit: int) -> tuple[str, bool]:
    text = re.sub(r"\n{3,}", "\n\n", text.strip())
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[limit // 2 : limit] else text[:limit]
    return cut.rstrip() + " …", True


_QUOTED = re.compile(r'"[^"]*"?|“[^”]*”?|‘[^’]*’?')


def masked_reason(reason: str) -> str:
    """A reason without the evidence it quotes: `health detail: "anxiety"` → `health detail`.

    Reasons quote the comment; in a masked comment that would undo the masking, so only
    the kind of evidence is shown (the classifier's own words, never the comment's).
    """
    head = re.split(r":|\s\(", reason, maxsplit=1)[0]
    head = " ".join(_QUOTED.sub(" ", head).split()).strip(" ;,-")
    return head or "evidence masked"


def comment_of(entry: AlertItem, config: Config) -> Comment:
    item = entry.item
    confidential = any(f.label == "confidentiality_risk" for f in entry.findings)
    masking_on = confidential and not config.alerts.include_full_text and item.text is not None
    flags = tuple(
        Flag(
            f.label,
            LABEL_NAMES.get(f.label, f.label),
            float(f.score),
            tuple(dict.fromkeys(masked_reason(r) for r in f.reasons or ()))
            if masking_on
            else tuple(f.reasons or ()),
        )
        for f in sorted(entry.findings, key=lambda f: LABELS.index(f.label) if f.label in LABELS else 99)
    )
    text = item.text
    masked = False
    if text is None:
        excerpt, truncated = "", False
    elif confidential and not config.alerts.include_full_text:
        excerpt, truncated = shorten(masking.mask(text, author_is_org=item.author_is_org), MASKED_CHARS)
        masked = True
    else:
        excerpt, truncated = shorten(text, FULL_TEXT_CHARS if confidential else EXCERPT_CHARS)
    author = None
    if item.author_name and item.author_handle:
        author = f"{item.author_name} (@{item.author_handle.lstrip('@')})"
    elif item.author_name or item.author_handle:
        author = item.author_name or f"@{(item.author_handle or '').lstrip('@')}"
    return Comment(
        item_id=item.id,
        platform=item.platform,
        platform_name=PLATFORM_NAMES.get(item.platform, item.platform),
        account=item.account,
        kind=item.kind.replace("_", " "),
        excerpt=excerpt,
        masked=masked,
        truncated=truncated,
        author=author,
        author_is_org=bool(item.author_is_org),
        permalink=safe_link(item.permalink),
        when=local_time(item.created_at, config),
        deleted=item.deleted_at is not None,
        erased=item.text is None,
        private=bool(item.private),
        flags=flags,
    )


def guidance_name(category: str, author_is_org: bool) -> str:
    return "staff_breach" if category == "confidentiality_risk" and author_is_org else category


def _first_the_reason(alert: AlertRow, entries: Sequence[AlertItem]) -> list[AlertItem]:
    """The comments that gave the alert its category first, then by label priority, then time."""

    def key(entry: AlertItem) -> tuple[bool, int, datetime]:
        labels = {f.label for f in entry.findings}
        rank = min((LABELS.index(label) for label in labels if label in LABELS), default=len(LABELS))
        return (alert.category not in labels, rank, entry.item.created_at)

    return sorted(entries, key=key)


RANK = {"urgent": 0, "high": 1, "low": 2}


def sections_of(alert: AlertRow, entries: Sequence[AlertItem], config: Config) -> tuple[Section, ...]:
    """Every category in the alert that calls for action, most severe first, with its comments.

    A category counts when routing would email it (not a low-severity label such as a
    question, and for our own posts only a possible confidentiality breach).
    """
    found: dict[str, tuple[str, str, list[int]]] = {}  # guidance name → (label, severity, numbers)
    for number, entry in enumerate(entries, start=1):
        for f in entry.findings:
            severity = str(config.alerts.severity.get(f.label, "low"))
            if f.label not in LABELS or severity == "low":
                continue
            if entry.item.author_is_org and f.label != "confidentiality_risk":
                continue
            name = guidance_name(f.label, bool(entry.item.author_is_org))
            found.setdefault(name, (f.label, severity, []))[2].append(number)
    if not found:  # nothing routable left (e.g. re-classified after an edit): the alert's own category
        name = guidance_name(alert.category, any(e.item.author_is_org for e in entries))
        found[name] = (alert.category, alert.severity, list(range(1, len(entries) + 1)))

    def rank(item: tuple[str, tuple[str, str, list[int]]]) -> tuple[int, int, bool]:
        name, (label, severity, _) = item
        return (RANK.get(severity, 3), LABELS.index(label) if label in LABELS else 99, name == "staff_breach")

    ordered = sorted(found.items(), key=rank)
    top: dict[int, str] = {}  # comment number → the name of its most severe category
    for name, (_, _, numbers) in ordered:
        for n in numbers:
            top.setdefault(n, name)
    sections = []
    for name, (label, severity, numbers) in ordered:
        own = [n for n in numbers if top[n] == name]
        others = [n for n in numbers if top[n] != name]
        covering = found_name(top[others[0]], found) if others and not own else None
        sections.append(
            Section(
                category=label,
                name=found_name(name, found),
                guidance=name,
                severity=severity,
                comments=tuple(n for n in own if n <= MAX_COMMENTS),
                more=sum(1 for n in own if n > MAX_COMMENTS),
                also=tuple(n for n in others if n <= MAX_COMMENTS),
                covered_by=covering,
            )
        )
    return tuple(sections)


def found_name(guidance: str, found: Mapping[str, tuple[str, str, list[int]]]) -> str:
    label = found[guidance][0]
    return (
        STAFF_BREACH_NAME if guidance == "staff_breach" else LABEL_NAMES.get(label, label.replace("_", " "))
    )


def from_rows(
    alert: AlertRow, entries: Sequence[AlertItem], config: Config, *, escalations: int | None = None
) -> AlertView:
    entries = _first_the_reason(alert, entries)
    comments = tuple(comment_of(e, config) for e in entries[:MAX_COMMENTS])
    sections = sections_of(alert, entries, config) if alert.kind == "alert" else ()
    platform = entries[0].item.platform if entries else None
    payload = alert.payload or {}
    main = sections[0] if sections else None
    return AlertView(
        id=alert.id,
        key=alert.key,
        kind=alert.kind,
        severity=alert.severity,
        category=alert.category,
        category_name=main.name
        if main
        else LABEL_NAMES.get(alert.category, alert.category.replace("_", " ")),
        guidance=main.guidance if main else guidance_name(alert.category, False),
        account=alert.account,
        platform=platform,
        platform_name=PLATFORM_NAMES.get(platform or "", platform or ""),
        created=local_time(alert.created_at, config),
        created_at=alert.created_at,
        escalations=(alert.escalations or 0) if escalations is None else escalations,
        escalate_after_minutes=config.alerts.escalate_after_minutes,
        comments=comments,
        more_comments=max(0, len(entries) - MAX_COMMENTS),
        message=str(payload.get("message", "")),
        topic=alert.category if alert.kind == "operator" else "",
        sections=sections,
    )


# ------------------------------------------------------------------ samples (check-config, bench)

SAMPLE_TEXT: dict[str, str] = {
    "risk_to_life": "I can't do this any more. Tonight I'm going to end it all, nobody would even notice.",
    "threat": "You lot ruined my life. I know where your Elm Street office is and I'll be waiting.",
    "confidentiality_risk": "Saw Tom Baker coming out of your counselling rooms on Tuesday, "
    "didn't know he had bipolar. His number is 07700 900123 if anyone wants to ask him.",
    "staff_breach": "Proud of one of our clients, Sarah from Elmfield, who finished her anxiety "
    "group with us this week. Call her on 07700 900456 to hear her story!",
    "harassment": "The receptionist there is a useless idiot and everyone should tell her so.",
    "hate": "People like that shouldn't be allowed in this country, never mind in counselling.",
    "negative_publicity": 'Waited 9 months on their waiting list and nobody called back. "Support" my foot.',
    "engagement": "How do I book a first appointment? Is there a waiting list?",
    "spam": "Earn £5,000 a week with crypto, DM me now!!!",
}


def sample(
    category: str, severity: str, config: Config, *, escalations: int = 0, count: int = 1
) -> AlertView:
    """A realistic alert for checking templates and for screenshots; no database needed."""
    staff = category == "staff_breach"
    label = "confidentiality_risk" if staff else category
    now = datetime(2026, 11, 23, 6, 52, tzinfo=UTC)
    text = SAMPLE_TEXT.get(category, SAMPLE_TEXT["harassment"])
    confidential = label == "confidentiality_risk" and not config.alerts.include_full_text
    flag = Flag(label, LABEL_NAMES.get(label, label), 0.91, ("sample reason: keyword match", "second reason"))
    excerpt = masking.mask(text, author_is_org=staff) if confidential else text
    comment = Comment(
        item_id=4242,
        platform="facebook",
        platform_name="Facebook",
        account="facebook-main",
        kind="own post" if staff else "comment",
        excerpt=excerpt,
        masked=confidential,
        truncated=False,
        author=None if staff else "Sam Example (@sam.example)",
        author_is_org=staff,
        permalink="https://www.facebook.com/123/posts/456?comment_id=789",
        when=local_time(now - timedelta(minutes=3), config),
        deleted=False,
        erased=False,
        private=False,
        flags=(flag, Flag("offensive", "offensive", 0.4, ())) if label == "threat" else (flag,),
    )
    return AlertView(
        id=42,
        key=f"item:facebook:sample-{category}",
        kind="alert",
        severity=severity,
        category=label,
        category_name=STAFF_BREACH_NAME if staff else LABEL_NAMES.get(label, label),
        guidance=category,
        account="facebook-main",
        platform="facebook",
        platform_name="Facebook",
        created=local_time(now, config),
        created_at=now,
        escalations=escalations,
        escalate_after_minutes=config.alerts.escalate_after_minutes,
        comments=(comment,) * count,
        more_comments=0,
        sections=(
            Section(
                category=label,
                name=STAFF_BREACH_NAME if staff else LABEL_NAMES.get(label, label),
                guidance=category,
                severity=severity,
                comments=tuple(range(1, count + 1)),
            ),
        ),
    )


def sample_grouped(config: Config, categories: Sequence[str] = ("risk_to_life", "threat")) -> AlertView:
    """An alert that groups comments of several categories (one comment each), most severe first."""
    views = [sample(c, str(config.alerts.severity.get(c, "high")), config) for c in categories]
    first = views[0]
    return replace(
        first,
        comments=tuple(v.comments[0] for v in views),
        sections=tuple(replace(v.sections[0], comments=(n,)) for n, v in enumerate(views, start=1)),
    )


def sample_notice(config: Config) -> AlertView:
    now = datetime(2026, 11, 23, 6, 52, tzinfo=UTC)
    return AlertView(
        id=7,
        key="operator:auth:facebook-main:sample",
        kind="operator",
        severity="high",
        category="auth",
        category_name="auth",
        guidance="",
        account="facebook-main",
        platform=None,
        platform_name="",
        created=local_time(now, config),
        created_at=now,
        escalations=0,
        escalate_after_minutes=config.alerts.escalate_after_minutes,
        comments=(),
        more_comments=0,
        message="Facebook says the Page access token has expired (error 190).",
        topic="auth",
    )
