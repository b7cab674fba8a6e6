"""What an alert excerpt must hide beyond the people and contacts the confidentiality label uses.

The confidentiality label reasons with first names from a gazetteer, @handles and contact
details (:mod:`classifiers.confidentiality`). An excerpt of a comment that carries a
confidentiality finding must hide *every* person's name and health detail, so masking also
finds, with spans into the ORIGINAL text:

  names    a title and a name ("Mr Patel", "Dr Okonkwo"); a greeted name ("Hi Sandra,");
           two or three capitalised words in a row that are a first name and a surname or two
           words that are not ordinary words ("Gail Fretwell", "Bartholomew Quigley"), unless
           they are a place, an organisation, a day or a month ("Mill Lane", "Harbour Lights
           Counselling", "Boxing Day"); and every later mention of a word of a name found
           ("Gail's on …")
  health   conditions, diagnoses, medication names and doses (``data/health_terms.txt``, a
           readable list; "100mg", "2.5 ml")

Names are found on the cased view; ordinary words are those of ``data/common_words.txt``
(``scripts/common_words.py``). Masking errs towards hiding: a capitalised organisation name
the lists do not know may be masked as a name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from classifiers.normalise import Normalised
from monitor.types import Span

__all__ = ["health_spans", "name_ranges", "name_spans"]

_WORD = r"(?:Mc|Mac|O['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_CAPS = re.compile(rf"(?<![\w'’@#.-]){_WORD}(?:['’]s)?(?![\w@-])")
_TITLE = re.compile(
    r"(?<![\w])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Doctor|Prof|Professor|Nurse|Sister|Rev|Reverend|Father|"
    r"Auntie|Aunty|Uncle|Nan|Nanna|Nana|Grandma|Grandad|Cllr|Councillor|Sir|Dame)\.?\s+"
    rf"({_WORD}(?:\s+{_WORD})?)"
)
_GREETING = re.compile(
    r"(?:^|(?<=[\s.,!?(]))(?i:hi|hiya|hello|hey|dear|thanks|thank you|cheers|morning|evening|"
    r"congrats|congratulations|well done|bye|love you|sorry|welcome|replying to)[\s,!]+"
    rf"({_WORD})"
)
_POSSESSIVE = re.compile(r"['’]s$")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# words that are never part of a person's name in a run of capitalised words
_PLACE_ORG = _set(
    """street st road rd lane ln avenue ave close drive way crescent terrace grove gardens square
    place park bridge hill green court house hall centre center hospital surgery clinic practice
    station school academy college university library church chapel mosque temple synagogue club
    hub group groups trust council foundation society association services service ltd limited cic
    cafe pub hotel bar estate market airport stadium arena theatre cinema museum gallery counselling
    counseling therapies therapy therapists team project network partnership alliance charity nhs
    camhs ward unit north south east west upper lower great little new old royal city county town
    village borough valley bay beach river lake island harbour lights tree room centre's mind
    samaritans childline police ambulance fire rescue court's primary secondary junior infant
    nursery care home homes community youth drop-in"""
)
_CALENDAR = _set(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december christmas easter eid diwali ramadan
    hanukkah halloween bonfire boxing day new year eve birthday anniversary mothers fathers
    valentine's valentines bank holiday"""
)
_NOT_NAMES = _set(
    """i the a an this that these those my our your his her their its we you he she they it happy
    merry good great big huge well free just please thanks thank dear hi hello hey morning evening
    afternoon night congratulations congrats welcome sorry love best all any anyone every everyone
    everybody some no not so very really and but or if when what why how where who which can could
    would should will shall must is are was were be been do does did have has had get got go going
    come coming see let lets there here today tomorrow tonight yesterday also still even only too
    mum dad nan mam mom god jesus lord facebook instagram twitter bluesky tiktok whatsapp youtube
    google zoom teams english british welsh scottish irish polish uk gb"""
)
_NOT_GREETED = _NOT_NAMES | _set("guys folks ladies friends both again once much")


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str], re.Pattern[str]]:
    """(ordinary words, first names, health pattern), from the package's data files."""
    from classifiers.confidentiality import first_names

    data = resources.files("classifiers").joinpath("data")
    common = frozenset(
        line.strip()
        for line in data.joinpath("common_words.txt").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    terms = [
        line.strip()
        for line in data.joinpath("health_terms.txt").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    alternation = "|".join(sorted(terms, key=len, reverse=True))
    health = re.compile(
        rf"(?<![a-z0-9])(?:(?:{alternation})(?:'s)?(?: (?:disorder|disease|syndrome|condition))?"
        r"|\d+(?:\.\d+)? ?(?:mg|mcg|micrograms?|milligrams?|ml)(?: (?:a|per) day| daily| twice a day)?)"
        r"(?![a-z0-9])"
    )
    return common, first_names()[0], health


def _key(word: str) -> str:
    return _POSSESSIVE.sub("", word).lower()


def _sentence_start(cased: str, start: int) -> bool:
    before = cased[:start].rstrip(" \t\"'“(")
    return not before or before[-1] in ".!?:\n" or not before[-1].isascii()


def name_spans(norm: Normalised) -> list[Span]:
    """People's names the gazetteer alone would miss, as spans of the original text."""
    return [Span(*norm.span_in_original(s, e, view="cased"), "name") for s, e in name_ranges(norm.cased)]


def name_ranges(cased: str, *, addressed_only: bool = False) -> list[tuple[int, int]]:
    """(start, end) of people's names in the cased view (see the module doc).

    ``addressed_only``: only names after a title or a greeting ("Mrs Kowalski", "thank you
    Sandra"), which the confidentiality label counts as people; a pair of capitalised words is
    too often a band, a car or an island ("Iron Maiden", "Range Rover", "Western Isles") to
    make a finding, though an excerpt still hides it.
    """
    common, names, _ = _lists()
    found: list[tuple[int, int]] = []
    for m in _TITLE.finditer(cased):
        found.append((m.start(), m.end()))
    for m in _GREETING.finditer(cased):
        if _key(m.group(1)) not in _NOT_GREETED and _key(m.group(1)) not in _CALENDAR:
            found.append(m.span(1))
    if addressed_only:
        return sorted(set(found))
    words = list(_CAPS.finditer(cased))
    capital_share = len(words) / max(1, len(re.findall(r"[A-Za-z]+", cased)))
    if capital_share < 0.5:  # a headline in Title Case is not a list of names
        runs: list[list[re.Match[str]]] = []
        for m in words:
            k = _key(m.group())
            if k in _NOT_NAMES or k in _CALENDAR or k in _PLACE_ORG:
                runs.append([])
                continue
            joined = runs and runs[-1] and cased[runs[-1][-1].end() : m.start()] in (" ", "  ")
            if joined and not _POSSESSIVE.search(runs[-1][-1].group()):
                runs[-1].append(m)
            else:
                runs.append([m])
        for run in runs:
            for i in range(len(run) - 1):
                pair = run[i : i + 3]
                first, second = _key(pair[0].group()), _key(pair[1].group())
                if any(_key(w.group()) in _PLACE_ORG for w in pair):
                    continue
                uncommon = first not in common and second not in common
                mid = not _sentence_start(cased, pair[0].start())
                if first in names or uncommon or (mid and (first not in common or second not in common)):
                    found.append((pair[0].start(), pair[-1].end()))
                    break
    # every later mention of a word of a name found ("Gail Fretwell … Gail's on 0114 …")
    parts = {_key(w) for s, e in found for w in re.findall(_WORD, cased[s:e])} - _NOT_NAMES
    for m in words:
        if _key(m.group()) in parts and _key(m.group()) not in common:
            found.append(m.span())
    return sorted(set(found))


def health_spans(norm: Normalised) -> list[Span]:
    """Conditions, diagnoses, medications and doses, as spans of the original text."""
    _, _, health = _lists()
    return [Span(*norm.span_in_original(*m.span()), "health") for m in health.finditer(norm.match)]
