"""Offensive: a score only, never a label (any offensive language in the OffensEval sense)."""

from __future__ import annotations

from classifiers.cues import Table
from classifiers.evidence import Evidence, Verdict

LABEL = "offensive"
URGENT = False
TABLES: dict[str, Table] = {}  # reads the insult and target tables of harassment and common


def decide(ev: Evidence) -> Verdict:
    model = ev.ml("offensive")  # TweetEval/OLID blended with alt-profanity-check's model
    score = max(model, 0.6) if ev.has("harassment.insult") and targeted(ev) else model
    return Verdict(score, (f"offensive-language model score {model:.2f}",))


def targeted(ev: Evidence) -> bool:
    """Aimed at someone: a person or the organisation, or a named person in a comment."""
    named = any(p.kind in ("name", "handle") for p in ev.people.persons)
    return ev.has("common.target") or (named and not ev.author_is_org)
