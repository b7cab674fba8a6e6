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

__all__ = ["Evidence", "Learned", "Verdict", "confirmed", "learned"]


# Two stages for the urgent labels (docs/classifiers.md, "First stage and second opinion"):
# the first stage is permissive, so that every plausible crisis, threat or leak becomes a
# candidate: rule cues, a calibrated learned score that is confident on its own, and a *wide*
# learned head (trained against ordinary posts at a lower weight) that nominates candidates. A
# flag that rests on strong evidence stands; one that rests on weak evidence (a single weak cue,
# or a learned score short of confident) stands only where the sentence encoder's calibrated
# score reaches the bar the verdict names. Without the encoder every candidate stands, and the
# reason says that it had no second opinion.
@dataclass(frozen=True)
class Verdict:
    """A label's score in [0, 1], the reasons behind it, and what an urgent flag rests on.

    ``strong`` verdicts (an explicit cue such as "I want to kill myself", a valid NHS number, a
    calibrated learned score that is confident alone) stand without the encoder; any other
    urgent flag stands only where the encoder's calibrated score reaches ``bar`` (None: the
    head's confirmation bar, which keeps 97% of the written positives).
    """

    score: float
    reasons: tuple[str, ...] = ()
    strong: bool = False
    bar: float | None = None

    @property
    def wants_encoder(self) -> bool:
        """Whether the encoder's opinion could change this verdict."""
        return self.flagged and not self.strong

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
    # whether a second opinion can be had at all (the encoder is installed and on): candidates that
    # exist only to be confirmed by it (the threat wide head's lower band) are not made without it
    second_opinion: bool = False
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
    """An urgent verdict after the encoder's second opinion.

    A flag that is not ``strong`` stands where the encoder's score reaches the verdict's bar,
    and the reason says so; one it does not confirm drops just below the line. Where no encoder
    has spoken (not installed, turned off, or it failed) the first stage's flag stands, and the
    reason says it had no second opinion.
    """
    if not verdict.flagged or verdict.strong:
        return verdict
    if ev.encoder is None or label not in ev.encoder:
        return replace(
            verdict, reasons=(*verdict.reasons, "no second opinion (sentence encoder not installed)")
        )
    enc = ev.encoder[label]
    ok = enc.confirms if verdict.bar is None else enc.score >= verdict.bar
    bar = "" if verdict.bar is None else f", needs {verdict.bar:g}"
    if ok:
        return replace(verdict, reasons=(*verdict.reasons, f"confirmed by encoder {enc.score:.2f}{bar}"))
    return Verdict(
        min(verdict.score, 0.45), (*verdict.reasons, f"not confirmed by encoder ({enc.score:.2f}{bar})")
    )


@dataclass(frozen=True)
class Learned:
    """What an urgent label's learned heads say about one text.

    ``confident``: the calibrated head reaches the label's bar for flagging alone; ``candidate``:
    the wide head nominates it, and a flag resting on it needs the encoder's score ``bar``.
    """

    confident: bool = False
    candidate: bool = False
    bar: float | None = None
    reason: str = ""

    def needs_encoder(self, ev: Evidence, bar: float) -> Learned:
        """Not confident enough to stand alone here: a candidate the encoder must confirm at ``bar``
        (no candidate at all where no encoder speaks)."""
        return replace(self, confident=False, candidate=ev.second_opinion, bar=bar)


def learned(
    ev: Evidence,
    head: str,
    *,
    alone: float,
    wide_at: float,
    bars: tuple[tuple[float, float, float], ...],
) -> Learned:
    """The learned voice for an urgent label: ``head`` (calibrated, confident from ``alone``)
    and ``head + "_wide"`` (a candidate from ``wide_at``). ``bars``: (calibrated score from,
    wide score from, encoder bar); the first row that both scores reach gives a candidate its bar."""
    cal, wide = ev.ml(head), ev.ml(head + "_wide")
    name = _NAMES.get(head, head)
    if cal >= alone:
        return Learned(confident=True, reason=f"learned {name} score {cal:.2f} (calibrated)")
    if wide < wide_at:
        return Learned()
    bar = next(b for at, wide_from, b in bars if cal >= at and wide >= wide_from)
    return Learned(
        candidate=True,
        bar=bar,
        reason=f"learned {name} score {cal:.2f} (calibrated), a candidate for the permissive head ({wide:.2f})",
    )


_NAMES = {"confidential": "confidentiality", "risk": "risk", "threat": "threat"}
