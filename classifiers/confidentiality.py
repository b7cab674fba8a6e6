"""People and contact details: the evidence the confidentiality label and the excerpt masking need.

Found here, with spans into the ORIGINAL text:
  people     first names from a shipped gazetteer (+ capitalised surname), personal @handles
  contacts   UK phone numbers, emails, postcodes, NHS numbers (mod-11 checked)
The health, therapy and client-relationship cues that make a named person a risk are data
(``classifiers/labels/confidentiality_risk.cues``); the decision is in
:mod:`classifiers.labels.confidentiality_risk`. :func:`sensitive_spans` and :func:`mask` give
alert excerpts their placeholders ("[name]", "[phone]", "[health detail]", …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from classifiers.cues import Table, load_cues
from classifiers.normalise import Normalised
from monitor.types import Span

__all__ = [
    "People",
    "Person",
    "contact_reason",
    "contact_spans",
    "find_people",
    "first_names",
    "health_spans",
    "is_own_name",
    "mask",
    "name_words",
    "nhs_number_valid",
    "org_name_word",
    "sensitive_spans",
]

_PLACEHOLDER = {
    "name": "[name]", "handle": "[@user]", "phone": "[phone]", "email": "[email]",
    "postcode": "[postcode]", "nhs_number": "[NHS number]", "health": "[health detail]",
}  # fmt: skip


@lru_cache(maxsize=1)
def first_names() -> tuple[frozenset[str], frozenset[str]]:
    """(all names, names that are also ordinary words), from ``data/first_names.txt``."""
    text = resources.files("classifiers").joinpath("data/first_names.txt").read_text("utf-8")
    names: set[str] = set()
    ambiguous: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, flag = line.partition(" ")
        names.add(name)
        if flag.strip() == "*":
            ambiguous.add(name)
    ambiguous |= {
        "jack",
        "sue",
        "dawn",
        "ken",
        "lee",
        "jay",
        "kim",
        "jan",
        "eve",
        "holly",
        "heather",
        "ruby",
        "dean",
        "dev",
        "gill",
        "jo",
        "precious",
        "blessing",
        "jade",
        "carol",
        "will",
        "mark",
        "rob",
        "bill",
        "grace",
        "joy",
        "amber",
    }
    return frozenset(names), frozenset(ambiguous)


# ---- contact details (matched on the cased view: digits already NFKC-normalised) ----
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+44\s?\(?0?\)?\s?|0)7\d{3}\s?\d{3}\s?\d{3}"
    r"|(?:\+44\s?\(?0?\)?\s?|0)(?:1\d{2,4}|2\d|3\d{2})[\s-]?\d{3,4}[\s-]?\d{3,4})(?!\d)"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# upper case only: "b4 1st" is text speak, not a postcode
_POSTCODE = re.compile(r"(?<![\w])(?:[A-Z]{1,2}\d[A-Z\d]?) ?\d[A-Z]{2}(?![\w])")
_NHS = re.compile(r"(?<![\w])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w])")
_HANDLE = re.compile(r"(?<![\w.@])@([A-Za-z0-9_][\w.\-]*[\w])")
_ORG_HANDLE = re.compile(
    r"cic|therap|counsel|official|news|live|radio|media|bbc|ltd|team|support|hub|charity|"
    r"trust|council|nhs|mind|health|uk$|\.com|group|shop|store|brand",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![\w'@.])[A-Za-z][a-z]+(?:-[A-Z][a-z]+)?(?![\w@])")
_SURNAME = re.compile(r"\s+(Mc|Mac|O')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?![\w@])")
_NOT_SURNAME = frozenset(
    [
        "Park",
        "Street",
        "Road",
        "Lane",
        "Hall",
        "Hospital",
        "Station",
        "Square",
        "Bridge",
        "Court",
        "House",
        "Centre",
        "Center",
        "Library",
        "School",
        "College",
        "University",
        "Hub",
        "Therapies",
        "Counselling",
        "Group",
        "Church",
        "Way",
        "Avenue",
        "Is",
        "Was",
        "Has",
        "And",
        "The",
        "From",
        "At",
        "In",
        "On",
        "To",
        "For",
        "With",
        "Who",
        "Says",
        "Said",
        "Got",
    ]
)


def nhs_number_valid(digits: str) -> bool:
    """The NHS number mod-11 check digit (10 digits; spaces or dashes ignored)."""
    d = [int(c) for c in digits if c.isdigit()]
    if len(d) != 10 or len(set(d)) == 1:
        return False
    check = 11 - sum(w * x for w, x in zip(range(10, 1, -1), d[:9], strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == d[9]


def contact_spans(cased: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of contact details in the cased view, non-overlapping."""
    found: list[tuple[int, int, str]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b, _ in found)

    for m in _EMAIL.finditer(cased):
        found.append((m.start(), m.end(), "email"))
    for m in _PHONE.finditer(cased):
        if free(*m.span()) and not re.match(r"0800|0808|\+44\s?80", m.group()):
            found.append((m.start(), m.end(), "phone"))
    for m in _NHS.finditer(cased):
        if free(*m.span()) and nhs_number_valid(m.group()):
            found.append((m.start(), m.end(), "nhs_number"))
    for m in _POSTCODE.finditer(cased):
        if free(*m.span()) and any(c.isalpha() for c in m.group()[-3:]):
            found.append((m.start(), m.end(), "postcode"))
    return found


@dataclass(frozen=True)
class Person:
    start: int  # in the cased view
    end: int
    kind: str  # "name" | "handle"
    initials: str


def _people(norm: Normalised) -> list[Person]:
    names, ambiguous = first_names()
    cased = norm.cased
    lower_writer = re.search(r"(?:^|[\s.!?])i(?:'m|'ve|m)?\s", cased) is not None
    out: list[Person] = []
    for m in _NAME.finditer(cased):
        word = m.group()
        low = word.lower()
        if low not in names:
            continue
        capital = word[0].isupper()
        before = cased[: m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:\n" or before.endswith(("-", "💬"))
        if low in ambiguous and (not capital or sentence_start):
            continue
        if not capital and not lower_writer:
            continue
        end = m.end()
        sur = _SURNAME.match(cased, end)
        if capital and sur and sur.group().strip() not in _NOT_SURNAME:
            end = sur.end()
        if cased[m.end() : m.end() + 12].split(" ")[-1:] and re.match(
            r"\s+(?:Park|Street|Road|Station|Hospital|Square|Bridge)\b", cased[m.end() :]
        ):
            continue
        initials = ".".join(p[0].upper() for p in cased[m.start() : end].split()) + "."
        out.append(Person(m.start(), end, "name", initials))
    for m in _HANDLE.finditer(cased):
        if not _ORG_HANDLE.search(m.group(1)):
            out.append(Person(m.start(), m.end(), "handle", "@" + m.group(1)[0] + "…"))
    # names the gazetteer misses after a title or a greeting: "Mrs Kowalski", "thank you Sandra"
    from classifiers.sensitive import name_ranges

    for s, e in name_ranges(cased, addressed_only=True):
        if all(e <= p.start or s >= p.end for p in out):
            initials = ".".join(w[0] for w in re.findall(r"[A-Z][a-z]+", cased[s:e])[-2:]) + "."
            out.append(Person(s, e, "name", initials))
    return out


def _span(norm: Normalised, start: int, end: int, kind: str, view: str) -> Span:
    s, e = norm.span_in_original(start, end, view=view)
    return Span(s, e, kind)


@dataclass(frozen=True)
class People:
    """The people and contact details found in one text (offsets in the ``cased`` view)."""

    persons: tuple[Person, ...] = ()
    contacts: tuple[tuple[int, int, str], ...] = ()

    def spans(self, norm: Normalised) -> list[Span]:
        return [_span(norm, p.start, p.end, p.kind, "cased") for p in self.persons] + [
            _span(norm, s, e, kind, "cased") for s, e, kind in self.contacts
        ]


def find_people(norm: Normalised, own_name: frozenset[str] = frozenset()) -> People:
    """The people and contact details in one text. ``own_name``: the words of the organisation's
    own name (:func:`name_words`); a "name" made only of them is the organisation ("Thank you
    One Step 💚"), not a person."""
    persons = [
        p for p in _people(norm) if not (own_name and is_own_name(norm.cased[p.start : p.end], own_name))
    ]
    return People(tuple(persons), tuple(contact_spans(norm.cased)))


def name_words(organisation: str | None) -> frozenset[str]:
    """The lower-cased words of an organisation's name ("One Step Counselling and Therapies C.I.C")."""
    return frozenset(w for w in re.findall(r"[^\W\d_]+", (organisation or "").lower()) if len(w) > 1)


def is_own_name(text: str, own_name: frozenset[str]) -> bool:
    """Whether ``text`` (a name found in a comment) is made only of the organisation's name words."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    return bool(words) and all(w in own_name for w in words)


_HEALTH: Table = load_cues("confidentiality_risk")["health"]


def sensitive_spans(norm: Normalised) -> tuple[Span, ...]:
    """Names, handles, contact details and health details in the original text, for masking:
    the people found here and every other name and health detail :mod:`classifiers.sensitive` finds."""
    from classifiers import sensitive

    spans = find_people(norm).spans(norm) + sensitive.name_spans(norm) + health_spans(norm)
    return tuple(sorted(set(spans), key=_key))


def health_spans(norm: Normalised) -> list[Span]:
    """The health cues of the confidentiality label and the conditions, medications and doses of
    ``data/health_terms.txt``."""
    from classifiers import sensitive

    cues = [_span(norm, h.start, h.end, "health", "match") for h in _HEALTH.find(norm.match)]
    return cues + sensitive.health_spans(norm)


_SALUTATION = re.compile(
    r"(?:^|[.!?]\s+)(?:hi|hiya|hello|hey|dear|thanks|thank you|morning|evening|good question|"
    r"great question|sorry|welcome)[\s,]+$",
    re.IGNORECASE,
)


def addressee(cased: str, start: int) -> bool:
    return _SALUTATION.search(cased[max(0, start - 30) : start]) is not None


def _key(span: Span) -> tuple[int, int, str]:
    return (span.start, span.end, span.kind)


def org_name_word(norm: Normalised, start: int, end: int) -> bool:
    """'Therapies'/'Counselling' capitalised after a capitalised word: part of an org name."""
    s, e = norm.span_in_original(start, end)
    word = norm.original[s:e]
    if not word[:1].isupper():
        return False
    prev = norm.original[:s].rstrip().split(" ")[-1:]
    return bool(prev and prev[0][:1].isupper())


def contact_reason(value: str, kind: str) -> str:
    digits = [c for c in value if c.isdigit()]
    if digits[:2] == ["4", "4"]:
        digits = ["0", *digits[2:]]
    if kind == "phone":
        shown = "".join(digits[:2]) + "*" * max(0, len(digits) - 2)
        return f"UK phone number: {shown[:5]} {shown[5:]}".rstrip()
    if kind == "email":
        return "email address: ***@" + value.rpartition("@")[2]
    if kind == "postcode":
        return "UK postcode: " + value.split()[0][:2].upper() + "** ***"
    return f"{kind.replace('_', ' ')} present"


def mask(text: str, spans: tuple[Span, ...] | list[Span]) -> str:
    """Replace each sensitive span by a placeholder ("[name]", "[phone]", …) for excerpts.

    Overlapping spans are merged (the earliest kind wins); out-of-range spans are clipped.
    """
    pieces: list[str] = []
    pos = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        start, end = max(span.start, pos), min(span.end, len(text))
        if end <= start:
            continue
        pieces.append(text[pos:start])
        pieces.append(_PLACEHOLDER.get(span.kind, f"[{span.kind}]"))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)
