"""Cue tables read from data files, searched together, and the one helper that quotes evidence.

Each label module keeps its cues in ``classifiers/labels/<label>.cues``, a text file a person
can read and edit::

    # a comment
    @ threat                      <- a table: the label module asks for its hits by this name
    == 0.95 threat of violence    <- a family: weight, then what the reason calls it
    i'?ll (?:kill|hurt) (?:you|u)  <- one alternative per line: a regular expression over the
    (?:watch|mind) your back         normalised ``match`` view (lower case, accents removed,
                                     leetspeak undone), matched at word edges

A family's lines become one pattern ``(?<![a-z0-9])(?:line|line|…)(?![a-z0-9])``; a table's
families together make its *gate*, one pattern that a text must match before its families are
tried. :class:`Searcher` finds the hits of every table of every label in one call per text;
with Hyperscan installed, one scan (:mod:`classifiers.prefilter`) first rules out the tables
that cannot match, so most texts never reach ``re`` at all (same results either way).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from classifiers.prefilter import Prefilter

log = logging.getLogger(__name__)

__all__ = ["Cue", "Hit", "Searcher", "Table", "load_cues", "quote"]

_EDGE_L, _EDGE_R = "(?<![a-z0-9])", "(?![a-z0-9])"


@dataclass(frozen=True)
class Cue:
    """One family of a table: its pattern, weight in [0, 1] and description."""

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

    @property
    def what(self) -> str:
        return self.cue.what

    def reason(self) -> str:
        return f"{self.cue.what}: {quote(self.text)}"


@dataclass(frozen=True)
class Table:
    name: str  # "<label>.<table>", e.g. "threat.threat"
    cues: tuple[Cue, ...]
    gate: re.Pattern[str]

    def find(self, text: str) -> tuple[Hit, ...]:
        if self.gate.search(text) is None:
            return ()
        return tuple(
            Hit(cue, m.start(), m.end(), m.group()) for cue in self.cues for m in cue.pattern.finditer(text)
        )


def quote(text: str, limit: int = 60) -> str:
    """Evidence as it appears in a reason: straight double quotes, white space squeezed.

    The alert layer masks quoted evidence in confidentiality alerts by this convention, so
    every quoted piece of evidence in a reason goes through here.
    """
    text = " ".join(text.replace('"', "'").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def parse_cues(label: str, source: str) -> dict[str, Table]:
    """The tables in the text of a ``.cues`` file (see the module doc for the format)."""
    tables: dict[str, list[tuple[float, str, list[str]]]] = {}
    current: list[tuple[float, str, list[str]]] | None = None
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@ "):
            current = tables.setdefault(line[2:].strip(), [])
        elif line.startswith("== "):
            weight, _, what = line[3:].partition(" ")
            if current is None:
                raise ValueError(f"{label}.cues line {number}: a family before any '@ table' line")
            current.append((float(weight), what.strip(), []))
        else:
            if current is None or not current:
                raise ValueError(f"{label}.cues line {number}: a cue before any '== weight what' line")
            current[-1][2].append(raw.strip())
    out: dict[str, Table] = {}
    for name, families in tables.items():
        alternations = [(weight, what, "|".join(lines)) for weight, what, lines in families if lines]
        cues = tuple(Cue(re.compile(f"{_EDGE_L}(?:{rx}){_EDGE_R}"), w, what) for w, what, rx in alternations)
        # every cue starts at a word edge, so the gate tries its alternatives only there
        gate = re.compile(_EDGE_L + "(?:" + "|".join(f"(?:{rx})" for _, _, rx in alternations) + ")")
        out[name] = Table(f"{label}.{name}", cues, gate)
    return out


def load_cues(label: str) -> dict[str, Table]:
    """The tables of ``classifiers/labels/<label>.cues``."""
    text = resources.files("classifiers").joinpath(f"labels/{label}.cues").read_text(encoding="utf-8")
    return parse_cues(label, text)


class Searcher:
    """Finds the hits of every table in one call per text, behind one optional prefilter."""

    def __init__(self, tables: Iterable[Table], *, prefilter: bool = True) -> None:
        self.tables: tuple[Table, ...] = tuple(tables)
        self.prefilter: Prefilter | None = None
        if prefilter:
            self.use_prefilter(True)

    def use_prefilter(self, enabled: bool) -> bool:
        """Turn the Hyperscan prefilter on or off; returns whether it is on."""
        self.prefilter = None
        if enabled:
            try:
                self.prefilter = Prefilter([t.gate.pattern for t in self.tables])
            except ImportError:
                log.debug("hyperscan is not installed; cue tables use their re gates")
            except Exception as exc:  # a broken wheel must not stop classification
                log.warning("Hyperscan prefilter unavailable (%s); cue tables use their re gates", exc)
        return self.prefilter is not None

    def search(self, text: str) -> Mapping[str, tuple[Hit, ...]]:
        """Table name -> its hits in ``text`` (tables without a hit are left out)."""
        pf = self.prefilter
        maybe: Sequence[int] | set[int] = range(len(self.tables))
        if pf is not None:
            candidates = pf.candidates(text)
            maybe = [i for i in range(len(self.tables)) if i not in pf.covered or i in candidates]
        out: dict[str, tuple[Hit, ...]] = {}
        for i in maybe:
            table = self.tables[i]
            hits = table.find(text)
            if hits:
                out[table.name] = hits
        return out
