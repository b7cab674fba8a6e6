"""What the digest quotes: masked excerpts, and the recurring themes of complaints.

Quoted text is masked as in alert emails (alerts.mask: names, handles, contact and health
details become placeholders) and cut to EXCERPT characters. Private messages, items flagged
as a confidentiality risk, deleted items and erased text are never quoted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.store import digest as q

EXCERPT = 140

# Recurring complaint subjects: (name, pattern) applied to negative-publicity items. An item
# can touch several themes; one that matches none is counted under "Other".
THEMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        (
            "Waiting times",
            r"\bwait(?:ing|ed|s)?\b|waiting list|\bweeks?\b|\bmonths?\b|\bqueue|\bdelay|"
            r"still (?:no|not)|heard nothing|\bages\b",
        ),
        ("Cost and fees", r"£\s?\d|\bcost|\bprice|\bexpensive|\bfees?\b|\bcharg|\bafford|\bpay\b|\bpenny"),
        ("Cancellations", r"\bcancel|\bresched|\bmoved\b|called off|\bpostpon|no[- ]show"),
        (
            "Staff attitude",
            r"\brude\b|dismissive|unprofessional|attitude|judgement|judgment|patronis|condescend|"
            r"\bsmug\b|didn'?t listen|sighed|\bsacking\b|\bamateurs?\b",
        ),
        (
            "Communication, no reply",
            r"no (?:reply|response|answer)|never (?:heard|replied|called)|heard nothing|ignored|"
            r"\bignore|answer(?:ing)? the phone|(?:call|rang|ring)(?:ed|s)? back|put the phone down|"
            r"unanswered|\bchas(?:e|ing)|nobody (?:rang|called|replied|answered|got back)",
        ),
        (
            "Booking and admin",
            r"\bbook|\breferr|\bform\b|\bforms\b|paperwork|\bwebsite|\badmin|triage",
        ),
        (
            "Accessibility",
            r"\baccess|wheelchair|\bstairs|\blift\b|\bparking|\bdisab|\bdeaf|interpreter|"
            r"\bbus(?:es)?\b|thin walls|could hear",
        ),
    )
)


@dataclass(frozen=True)
class Theme:
    name: str
    count: int
    example: str | None  # masked, ≤ EXCERPT characters


def mask_text(text: str) -> str:
    """Sensitive spans (names, handles, contacts, health details) replaced, as in alerts."""
    from alerts.mask import mask  # lazy: the detector loads its name gazetteer on first use

    return mask(text)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(mask_text(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:-") + "…"


def quote(item: q.ItemText) -> str:
    if item.private:
        return "(a private message: read it on the platform)"
    if item.sensitive:
        return "(not quoted: it may identify someone)"
    if item.deleted:
        return "(deleted by its author)"
    if item.text is None:
        return "(text erased under the retention policy)"
    return excerpt(item.text)


def themes(items: Sequence[q.ItemText]) -> tuple[Theme, ...]:
    """Count items per theme, most common first ("Other" last), with one example each:
    the most recent quotable item not already quoted for a bigger theme."""
    found: list[tuple[str, list[q.ItemText]]] = [(name, []) for name in (*(n for n, _ in THEMES), "Other")]
    for item in items:
        text = item.text or ""
        hits = [bucket for (_, pattern), bucket in zip(THEMES, found, strict=False) if pattern.search(text)]
        for _, bucket in hits or [found[-1]]:
            bucket.append(item)
    order = {name: i for i, (name, _) in enumerate(found)}
    ranked = sorted(
        ((name, bucket) for name, bucket in found if bucket),
        key=lambda nb: (nb[0] == "Other", -len(nb[1]), order[nb[0]]),
    )
    result, used = [], set()
    for name, bucket in ranked:
        quotable = [i for i in bucket if i.text and not (i.private or i.sensitive or i.deleted)]
        fresh = [i for i in quotable if i.id not in used] or quotable
        example = None
        if fresh:
            used.add(fresh[-1].id)
            example = excerpt(fresh[-1].text or "")
        result.append(Theme(name, len(bucket), example))
    return tuple(result)
