"""Weighted cue patterns matched against the normalised ``match`` view of a text.

A :class:`Cue` is a regular expression written in the folded form that
:func:`classifiers.normalise.normalise` produces (lower case, accents removed, leetspeak
undone), a weight in [0, 1] and a short description used in the human-readable reason.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from classifiers.prefilter import Prefilter

log = logging.getLogger(__name__)

__all__ = ["Cue", "Hit", "best", "cues", "find", "quote", "use_prefilter"]


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
    ident: int  # its place in TABLES, and its id in the prefilter


TABLES: list[Table] = []  # every table made by cues(), in order
_prefilter: Prefilter | None = None
_prefilter_lock = threading.Lock()


def cues(entries: Iterable[tuple[str, float, str]]) -> Table:
    """Compile ``(regex, weight, description)`` entries, bounded at word edges."""
    entries = list(entries)
    table = Table(
        Cue(re.compile(rf"(?<![a-z0-9])(?:{rx})(?![a-z0-9])"), weight, what) for rx, weight, what in entries
    )
    # Every cue starts at a word edge, so the gate only tries its alternatives there: the
    # look-behind fails at once inside words, which makes the gate several times faster.
    table.gate = re.compile("(?<![a-z0-9])(?:" + "|".join(f"(?:{rx})" for rx, _, _ in entries) + ")")
    table.ident = len(TABLES)
    TABLES.append(table)
    return table


def use_prefilter(enabled: bool = True) -> bool:
    """Rule tables in or out with one Hyperscan scan (see :mod:`classifiers.prefilter`).

    Covers every table made so far; returns whether the prefilter is on. Without the
    ``hyperscan`` package, or if it fails, each table keeps its ``re`` gate (same results).
    """
    global _prefilter
    with _prefilter_lock:
        if not enabled:
            _prefilter = None
        elif _prefilter is None or len(_prefilter.patterns) != len(TABLES):
            try:
                _prefilter = Prefilter([t.gate.pattern for t in TABLES])
            except ImportError:
                log.debug("hyperscan is not installed; cue tables use their re gates")
            except Exception as exc:  # a broken wheel must not stop classification
                log.warning("Hyperscan prefilter unavailable (%s); cue tables use their re gates", exc)
        return _prefilter is not None


def find(table: Sequence[Cue], text: str) -> list[Hit]:
    """Every match of every cue; the prefilter, then one combined search, rule most texts out."""
    hits: list[Hit] = []
    if isinstance(table, Table):
        pf = _prefilter
        if pf is not None and table.ident in pf.covered and table.ident not in pf.candidates(text):
            return hits
        if table.gate.search(text) is None:
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
