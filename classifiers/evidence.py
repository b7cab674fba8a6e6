"""What a label module decides from: one frozen :class:`Evidence` per text, one :class:`Verdict` back.

The default classifier (:mod:`classifiers.default`) builds the evidence once per text (cue
hits of every table, calibrated learned scores, the people and contact details the
confidentiality extractor found, the item's context) and hands it to each label module in
dependency order; each module's verdict is added to ``decided`` before the next one runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from classifiers.confidentiality import People
from classifiers.cues import Hit
from classifiers.encoder import Opinion
from classifiers.normalise import Normalised

__all__ = ["NEAR", "Evidence", "Verdict", "confirmed", "learned_voice"]

# An urgent label that rests on anything short of a strong cue stands only where the encoder
# (when installed) confirms it: its calibrated score reaches the bar that keeps 97% of the
# written positives (classifiers/train_encoder.py). That second opinion keeps "I'm just excited
# to see Messi tomorrow" from waking the manager at night. A learned score that is not
# confident enough to flag alone flags where the encoder *agrees*: its calibrated score reaches
# the label module's ENCODER_AGREES (two independent models over different features).
NEAR = 0.4  # a score that sends an item to the encoder without flagging it


@dataclass(frozen=True)
class Verdict:
    """A label's score in [0, 1], the reasons behind it, and whether strong rule evidence carries it.

    ``strong`` verdicts (an explicit cue such as "I want to kill myself" or a valid NHS number)
    stand without the encoder's confirmation; ``ask`` marks a learned score that could flag if
    the encoder agreed.
    """

    score: float
    reasons: tuple[str, ...] = ()
    strong: bool = False
    ask: bool = False

    @property
    def wants_encoder(self) -> bool:
        """Whether the encoder's opinion could change this verdict."""
        return self.ask or (self.flagged and not self.strong)

    @property
    def flagged(self) -> bool:
        return self.score >= 0.5


NOTHING = Verdict(0.02)


@dataclass(frozen=True)
class Evidence:
    view: Normalised
    kind: str | None
    platform: str | None
    author_is_org: bool
    hits: Mapping[str, tuple[Hit, ...]]  # "<label>.<table>" -> hits (tables without hits absent)
    learned: Mapping[str, float]  # calibrated learned probabilities, by head
    people: People  # names, handles, relatives and contact details (classifiers.confidentiality)
    encoder: Mapping[str, Opinion] | None = None  # the second stage's opinion, where it ran
    decided: Mapping[str, Verdict] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The normalised ``match`` view every cue is written for."""
        return self.view.match

    @property
    def words(self) -> int:
        return len(self.view.match.split())

    def of(self, *tables: str) -> list[Hit]:
        """The hits of these tables ("threat.threat", "common.praise", …), in table order."""
        return [h for t in tables for h in self.hits.get(t, ())]

    def has(self, *tables: str) -> bool:
        return any(t in self.hits for t in tables)

    def family(self, table: str, *whats: str) -> list[Hit]:
        """The hits of ``table`` whose family is one of ``whats``."""
        return [h for h in self.hits.get(table, ()) if h.what in whats]

    def score(self, label: str) -> float:
        return self.decided[label].score if label in self.decided else 0.0

    def ml(self, head: str) -> float:
        return self.learned.get(head, 0.0)

    def with_verdict(self, label: str, verdict: Verdict) -> Evidence:
        return replace(self, decided={**self.decided, label: verdict})


def confirmed(ev: Evidence, label: str, verdict: Verdict) -> Verdict:
    """An urgent verdict after the encoder's second opinion (unchanged where it did not run).

    A flag that is not ``strong`` stands only where the encoder confirms it; the reason then
    says so, and a flag it does not confirm drops just below the line.
    """
    if ev.encoder is None or label not in ev.encoder or not verdict.flagged or verdict.strong:
        return verdict
    enc = ev.encoder[label]
    if enc.confirms:
        if any("encoder" in r for r in verdict.reasons):
            return verdict
        return replace(verdict, reasons=(*verdict.reasons, f"confirmed by encoder {enc.score:.2f}"))
    return Verdict(
        min(verdict.score, 0.45), (*verdict.reasons, f"not confirmed by encoder ({enc.score:.2f})")
    )


def learned_voice(
    ev: Evidence, label: str, head: str, alone: float, tiers: tuple[tuple[float, float], ...]
) -> tuple[str, str]:
    """How much a calibrated learned score counts for an urgent label, and the reason to give.

    ``"flag"``: confident on its own (``alone``), or where for one of the ``tiers``
    ``(learned, encoder)`` both calibrated scores reach their bars; ``"near"``: from ``candidate`` up, before the encoder has
    been asked (the item goes to it); ``""``: no say.
    """
    learned = ev.ml(head)
    if learned >= alone:
        return "flag", f"learned {_NAMES.get(head, head)} score {learned:.2f} (calibrated)"
    if learned < min(c for c, _ in tiers):
        return "", ""
    if ev.encoder is None or label not in ev.encoder:
        return "near", ""
    enc = ev.encoder[label]
    if any(learned >= c and enc.score >= a for c, a in tiers):
        name = _NAMES.get(head, head)
        return (
            "flag",
            f"learned {name} score {learned:.2f} (calibrated), confirmed by encoder {enc.score:.2f}",
        )
    return "", ""


_NAMES = {"confidential": "confidentiality", "risk": "risk", "threat": "threat"}
