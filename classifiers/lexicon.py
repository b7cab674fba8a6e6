"""Weighted cue patterns matched against the normalised ``match`` view of a text.

A :class:`Cue` is a regular expression written in the folded form that
:func:`classifiers.normalise.normalise` produces (lower case, accents removed, leetspeak
undone), a weight in [0, 1] and a short description used in the human-readable reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Cue", "Hit", "best", "cues", "find", "quote"]


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern[str]
    weight: float
    what: str


@dataclass(frozen=True)
class Hit:
    cue: Cue
    start: int
    end: int
    text: str

    @property
    def weight(self) -> float:
        return self.cue.weight

    def reason(self) -> str:
        return f"{self.cue.what}: {quote(self.text)}"


class Table(tuple[Cue, ...]):
    """A tuple of cues plus one combined pattern that rules a text out in a single pass."""

    gate: re.Pattern[str]


def cues(entries: Iterable[tuple[str, float, str]]) -> Table:
    """Compile ``(regex, weight, description)`` entries, bounded at word edges."""
    entries = list(entries)
    table = Table(
        Cue(re.compile(rf"(?<![a-z0-9])(?:{rx})(?![a-z0-9])"), weight, what) for rx, weight, what in entries
    )
    # Every cue starts at a word edge, so the gate only tries its alternatives there: the
    # look-behind fails at once inside words, which makes the gate several times faster.
    table.gate = re.compile("(?<![a-z0-9])(?:" + "|".join(f"(?:{rx})" for rx, _, _ in entries) + ")")
    return table


def find(table: Sequence[Cue], text: str) -> list[Hit]:
    """Every match of every cue; one combined search first rules most texts out."""
    hits: list[Hit] = []
    gate = getattr(table, "gate", None)
    if gate is not None and gate.search(text) is None:
        return hits
    for cue in table:
        for m in cue.pattern.finditer(text):
            hits.append(Hit(cue, m.start(), m.end(), m.group()))
    return hits


def best(hits: Sequence[Hit]) -> float:
    return max((h.weight for h in hits), default=0.0)


def quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def words(*alternatives: str) -> str:
    """A non-capturing alternation: ``words("a", "b c")`` -> ``(?:a|b c)``."""
    return "(?:" + "|".join(alternatives) + ")"
