"""Small helpers the label modules share."""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.cues import Hit

__all__ = ["distinct", "reasons_of"]


def distinct(hits: Sequence[Hit]) -> list[Hit]:
    """One hit per distinct matched text, the heaviest first."""
    seen: dict[str, Hit] = {}
    for h in sorted(hits, key=lambda h: -h.weight):
        seen.setdefault(h.text, h)
    return list(seen.values())


def reasons_of(hits: Sequence[Hit], limit: int = 3) -> list[str]:
    return [h.reason() for h in distinct(hits)[:limit]]
