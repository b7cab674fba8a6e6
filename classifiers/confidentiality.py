"""Confidentiality: could this text reveal that an identifiable person is (or may be) a client,
or expose someone's health, therapy or contact details?

Evidence gathered (each with spans into the ORIGINAL text, for masking):
  people     first names from a shipped gazetteer (+ capitalised surname), personal @handles,
             relatives ("my son", "your brother")
  health     diagnoses and conditions; therapy vocabulary (CBT, counselling, "DBT group")
  client     relationship cues: "my counsellor", "saw X coming out of your rooms",
             "in one of your groups", org posts "one of our clients", "your next session"
  contacts   UK phone numbers, emails, postcodes, NHS numbers (mod-11 checked)
and combined into a score: a person AND (client cue OR health/therapy) is the core pattern.
Staff named in public announcements and general talk about mental health are not flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from classifiers.lexicon import Hit, cues, find, quote, words
from classifiers.normalise import Normalised
from monitor.types import Span

__all__ = ["ConfResult", "assess", "contact_spans", "context_cues", "first_names", "mask", "nhs_number_valid"]

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
_POSTCODE = re.compile(r"(?<![\w])(?:[A-Z]{1,2}\d[A-Z\d]?) ?\d[A-Z]{2}(?![\w])", re.IGNORECASE)
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


# ---- vocabulary (match view) ----
HEALTH = cues([
    (words("bipolar", "bpd", "borderline", "ocd", "ptsd", "c-?ptsd", "psychosis", "psychotic",
           "schizophreni\\w+", "anorexi\\w*", "bulimi\\w*", "eating disorder", "binge eating",
           "depression", "depressed", "anxiety", "panic attacks?", "agoraphobia", "self[- ]harm",
           "overdose\\w*", "suicide attempt", "an attempt", "addiction", "addicted",
           "alcoholi\\w+", "alcohol", "the drink", "drink problem", "drinking problem",
           "gambling", "miscarriage", "stillbirth", "trauma", "traumatic", "abuse", "dementia",
           "adhd", "autis\\w+", "postnatal", "post-natal", "sectioned", "relapse\\w*", "sober",
           "hiv", "cancer", "psychiatric", "antidepressants?", "hearing voices", "grief",
           "bereavement", "bereaved", "divorce", "domestic abuse", "anger management",
           "insomnia", "phobia", "(?:nervous )?breakdown", "drinking", "stabbing", "assault", "rape", "infertility", "ivf"),
     0.8, "health detail"),
])  # fmt: skip
THERAPY = cues([
    (words("counselling", "counseling", "therapy", "psychotherapy", "cbt", "dbt", "emdr", "erp",
           "sessions?", "drop-?in", "support group", "waiting room", "pathway",
           "(?:recovery|perpetrator|gambling|anger management|bereavement|grief|anxiety|men'?s|"
           "women'?s|dbt|cbt|carers'?|parenting|drinking) (?:group|course|programme|program|circle|class)",
           "assessment", "referred", "referral", "discharged"),
     0.6, "therapy context"),
])  # fmt: skip
_PERSON_SUBJ = r"(?:[a-z]+(?: [a-z]+)?|he|she|they|him|her|@[\w.\-]+)"
CLIENT = cues([
    (r"(?:my|his|her|their|your) (?:counsellor|counselor|therapist|psychologist|key worker)",
     0.85, "client relationship"),
    (r"(?:counsellor|therapist) (?:at|from) (?:your|the|harbour|this)", 0.7, "client relationship"),
    (r"'s (?:counsellor|counselor|therapist)", 0.85, "client relationship"),
    (r"(?:saw|seen|spotted|clocked|noticed)[^.!?]{0,50}(?:going in(?:to)?|coming out of|leaving|"
     r"walking into|in the waiting room|at your|in your|at the (?:counselling|therapy))", 0.85,
     "seen at the service"),
    (r"(?:goes|go|going|attends|went|comes|coming|came) (?:to|for) (?:your|the|his|her|their) [^.!?]{0,40}"
     r"(?:counselling|therapy|course|group|programme|sessions?)", 0.85, "attends the service"),
    (r"(?:(?:in|on|doing) (?:one of your|your)|(?:she'?s|he'?s|they'?re|i'?m|im|is|was|been) "
     r"(?:in|on|doing) the) [^.!?]{0,30}(?:groups?|course|programme|"
     r"pathway|waiting list)", 0.75, "attends the service"),
    (r"(?:sessions?|appointment) with (?!a |an |the |our |us |you |your |my |me )[a-z]+", 0.8,
     "sessions with a named counsellor"),
    (r"(?:saw|seen|spotted|clocked|noticed)[^.!?]{0,60}(?:going|walking|coming|heading|popping) "
     r"(?:in|into|out|inside)", 0.75, "seen at the service"),
    (r"for (?:her|his|their) (?:counselling|therapy|session|appointment|group)", 0.8,
     "third party attends"),
    (r"(?:(?:that'?s|that has|has|it'?s) got to be|is that|must be|bet (?:it'?s|that'?s)|"
     r"sounds (?:just )?like|that'?s def(?:initely|o)?|surely that'?s) [a-z]+ (?:from|at|off|down|"
     r"who|with|on)", 0.75, "guesses who the person is"),
    (r"(?:you should|you need to|u should|u need to|have you tried|maybe try) (?:try|go to|get|book|"
     r"see|do|join|speak to|look at) [^.!?]{0,30}(?:counselling|therapy|group|course|someone|"
     r"support)", 0.7, "suggests a named person needs help"),
    (r"(?:started|been) (?:going somewhere|seeing someone|having counselling|going to (?:counselling|"
     r"therapy|a group|the group|sessions))", 0.55, "someone has started going"),
    (r"(?:thank you|thanks|thank|shoutout|shout out)[^.!?]{0,30}(?:for|through) (?:all )?"
     r"(?:the|my|our) (?:sessions|support|counselling|therapy)", 0.75, "thanks a counsellor"),
    (r"(?:got|helped|helping|helps|seeing|saw) me (?:through|with|doing)", 0.6, "client relationship"),
    (r"(?:finished|finishing|completed|completing) (?:with [a-z]+|our|my|the|his|her)", 0.6,
     "completed treatment"),
    (r"(?:from|at|in|off) (?:the |your |ur )?(?:monday|tuesday|wednesday|thursday|friday|saturday|"
     r"sunday|weekly|evening|morning|anxiety|bereavement|addiction|recovery|men'?s|women'?s|youth|"
     r"parents?'?|carers?'?|mums?'?|dads?'?|grief|trauma|support) (?:\w+ )?group", 0.6,
     "attends a named group"),
])  # fmt: skip
# Someone described so that people who know them can tell who it is ("the new vicar", "that
# tall lad with the red hair", "the woman who works at the co-op"): with a client cue, as
# identifying as a name. Staff who run a group are not clients.
DESCRIBED = cues([
    (r"(?:the|that|this) (?:[a-z'-]+ ){0,3}(?:man|woman|lad|guy|bloke|girl|lady|fella|boy|vicar|"
     r"priest|teacher|nurse|doctor|receptionist|postman|postwoman|cashier|barman|barmaid|landlord|"
     r"landlady|caretaker|dinner lady|lollipop lady|headteacher|councillor|copper|"
     r"bus driver|taxi driver)(?: (?:with|from|at|who|in|on|off|next door|down the road))"
     r"(?! (?:runs|leads|facilitates|hosts|ran|led) (?:the |your |our )?(?:\w+ )?(?:group|sessions?))",
     0.6, "identifying description"),
    (r"(?:the|that|this) new (?:vicar|priest|teacher|headteacher|nurse|doctor|gp|receptionist|"
     r"manager|councillor|neighbour|postman|postwoman)", 0.6, "identifying description"),
])  # fmt: skip
ORG_CLIENT = cues([
    (r"(?:one of|some of) our (?:\w+ )?(?:clients|service users|young people|members)", 0.9,
     "organisation describes a client"),
    (r"(?:our|a) (?:\w+ )?client(?:'s)?", 0.85, "organisation describes a client"),
    (r"client (?:story|stories|spotlight|journey)", 0.95, "client story"),
    (r"(?:came|come|referred) to us (?:after|in|with|when|for|because)", 0.85,
     "organisation describes a client"),
    (r"your (?:next |last |first )?(?:session|appointment|counselling|therapy|cbt|dbt|place on)",
     0.85, "staff confirms someone's sessions"),
    (r"(?:missed|attended|cancelled) (?:\w+ ){0,3}(?:sessions?|appointments?)", 0.85,
     "staff discusses someone's attendance"),
    (r"(?:completing|completed|finished|finishing|graduat\w+ from) our", 0.85,
     "staff confirms someone's treatment"),
    (r"(?:one|some|two|three|a few) of our [^.!?]{0,30}(?:regulars|attendees|members|participants|"
     r"group|circle|mums|dads|carers|clients)", 0.85, "organisation describes a client"),
    (r"(?:told|tells|shared with|messaged|emailed) us (?:this week|today|yesterday|recently|"
     r"(?:that |how )?(?:she|he))", 0.7, "organisation retells someone's story"),
    (r"(?:a|an|our) (?:retired|young|local|former|single|\d+[- ]year[- ]old) [a-z]+ (?:from|in|who)|"
     r"\d{2}[- ]year[- ]old (?:mum|dad|man|woman|lad|girl|nurse|teacher|veteran|carer) (?:from|in|who)",
     0.6, "identifying description"),
    (r"(?:–|—|-) ?[a-z]\.?,? (?:\d{2}|aged \d{2})(?![\d])", 0.85, "client quote with initial and age"),
    (r"see you (?:at|in|on|next) (?:\w+ )?(?:group|circle|session|appointment|course|class)|missed you "
     r"(?:at|in) (?:\w+ )?(?:group|circle|session)|how (?:did|was) (?:your|you) (?:first |last )?"
     r"(?:session|group|appointment|assessment)", 0.85, "staff confirms someone attends"),
])  # fmt: skip
RELATIVE = cues([
    (r"(?:my|your|his|her|their|our) (?:son|daughter|husband|wife|partner|ex|brother|sister|"
     r"cousin|neighbour|flatmate|friend|mate|mum|dad|mother|father|gran|nan|uncle|aunt|auntie|"
     r"boyfriend|girlfriend|colleague|boss|niece|nephew|stepson|stepdaughter)", 0.5, "relative"),
])  # fmt: skip
_FIRST_PERSON = re.compile(r"(?<![a-z])(?:i|i'm|im|i've|ive|me|my)(?![a-z])")
_STAFF_CONTEXT = cues([
    (words("workshop", "talk", "event", "fundraiser", "ceilidh", "leaving do", "fun run",
           "open day", "meet the team", "meettheteam", "we'?re hiring", "volunteers who",
           "running a", "is running", "are running", "will be running", "leads our",
           "who leads", "joining our team", "welcome to the team", "say goodbye to",
           "hosted by", "led by", "run by", "facilitated by", "with our (?:counsellor|volunteer)s?",
           "will be (?:there|on hand|hosting|leading|around)", "programme", "recruiting",
           "taster", "drop in for", "come and (?:say hello|meet)", "#\\w+day"),
     1.0, "staff/event context"),
])  # fmt: skip
_THIRD_PARTY_CONTACT = re.compile(
    r"(?:his|her|their|my \w+'?s) (?:number|mobile|phone|email|address)|"
    r"(?:ring|call|text|email|phone|contact) (?:her|him|them)"
)
_HELPLINE = re.compile(r"samaritans|childline|shout|nhs 111|helpline|crisis line", re.IGNORECASE)


@dataclass(frozen=True)
class ConfResult:
    score: float
    reasons: tuple[str, ...]
    spans: tuple[Span, ...]
    self_disclosure: bool = False


@dataclass(frozen=True)
class _Person:
    start: int  # in the cased view
    end: int
    kind: str  # "name" | "handle"
    initials: str


def _people(norm: Normalised) -> list[_Person]:
    names, ambiguous = first_names()
    cased = norm.cased
    lower_writer = re.search(r"(?:^|[\s.!?])i(?:'m|'ve|m)?\s", cased) is not None
    out: list[_Person] = []
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
        out.append(_Person(m.start(), end, "name", initials))
    for m in _HANDLE.finditer(cased):
        if not _ORG_HANDLE.search(m.group(1)):
            out.append(_Person(m.start(), m.end(), "handle", "@" + m.group(1)[0] + "…"))
    return out


def _span(norm: Normalised, start: int, end: int, kind: str, view: str) -> Span:
    s, e = norm.span_in_original(start, end, view=view)
    return Span(s, e, kind)


def context_cues(norm: Normalised, *, author_is_org: bool = False) -> tuple[list[Hit], list[Hit], list[Hit]]:
    """The health, therapy and client-relationship cues that make a named person a risk."""
    text = norm.match
    health = find(HEALTH, text)
    therapy = [h for h in find(THERAPY, text) if not _org_name_word(norm, h.start, h.end)]
    client = find(ORG_CLIENT, text) + find(CLIENT, text) if author_is_org else find(CLIENT, text)
    return health, therapy, client


def assess(norm: Normalised, *, author_is_org: bool = False, spam_like: bool = False) -> ConfResult:
    """Score a text's confidentiality risk; spans cover names, handles, contacts, health."""
    text = norm.match
    people = _people(norm)
    contacts = [] if spam_like else contact_spans(norm.cased)
    health, therapy, client = context_cues(norm, author_is_org=author_is_org)
    relatives = find(RELATIVE, text)
    staff_ctx = bool(find(_STAFF_CONTEXT, text))
    first_person = bool(_FIRST_PERSON.search(text))
    # "Hi Jasmine," / "Good question Paul." in a staff reply: the addressee is masked, not a finding
    addressed = [p for p in people if _addressee(norm.cased, p.start)] if author_is_org else []
    people_found = [p for p in people if p not in addressed]
    named = bool(people_found)
    described = find(DESCRIBED, text) if client else []
    anyone = named or bool(relatives) or bool(described)

    score = 0.02
    why: list[str] = []
    if any(kind == "nhs_number" for _, _, kind in contacts):
        score = 0.95
        why.append("NHS number (passes the mod-11 check)")
    other_contacts = [c for c in contacts if c[2] != "nhs_number"]
    # an organisation's own post carries its own contact details unless it describes a client
    if other_contacts and not _HELPLINE.search(norm.cased) and not (author_is_org and not client):
        third = bool(_THIRD_PARTY_CONTACT.search(text)) or anyone
        context = bool(health or therapy or client)
        level = 0.9 if third and context else 0.75 if third or context else 0.3
        score = max(score, level)
        why.extend(_contact_reason(norm.cased[s:e], kind) for s, e, kind in other_contacts[:3])
    if client:
        if author_is_org:
            level = 0.9 if (named or health or therapy or len(client) > 1) else 0.75
        else:
            level = (
                0.9
                if anyone and (health or therapy or len(client) > 1)
                else (0.8 if anyone or len(_distinct_cues(client)) > 1 else 0.45 if health else 0.3)
            )
        score = max(score, level)
        why.append(client[0].reason())
    if anyone and health and therapy:
        score = max(score, 0.9)
    elif named and health:
        score = max(score, 0.8)
    elif named and therapy:
        only_handles = all(p.kind == "handle" for p in people)
        score = max(score, 0.4 if only_handles else 0.75 if author_is_org else 0.7)
    elif relatives and health and therapy:
        score = max(score, 0.8)
    if author_is_org and len([p for p in people_found if p.kind == "name"]) >= 2 and therapy:
        score = max(score, 0.85)
        why.append("organisation post names several people in a therapy context")
    if staff_ctx and ((author_is_org and not client) or (not health and score < 0.9)):
        score *= 0.35
    self_disclosure = first_person and not author_is_org and bool(health or therapy)
    if score >= 0.5:
        if people:
            kinds = sorted({p.kind for p in people})
            why.append(f"person identified ({', '.join(kinds)}: {', '.join(p.initials for p in people[:3])})")
        elif described:
            why.append(described[0].reason())
        if health:
            why.append(f"health detail: {quote(health[0].text)}")
        if therapy:
            why.append(f"therapy context: {quote(therapy[0].text)}")
        if self_disclosure:
            why.append("self-disclosure: the writer links themself to therapy or a condition")
        elif not author_is_org and anyone:
            why.append("third party: someone other than the writer is identifiable")
    spans = [_span(norm, p.start, p.end, p.kind, "cased") for p in people]
    spans += [_span(norm, s, e, kind, "cased") for s, e, kind in contacts]
    if score >= 0.5:
        spans += [_span(norm, h.start, h.end, "health", "match") for h in health]
    dedup = dict.fromkeys(why)
    return ConfResult(
        round(score, 4),
        tuple(dedup)[:6],
        tuple(sorted(set(spans), key=_key)),
        self_disclosure and score >= 0.5,
    )


_SALUTATION = re.compile(
    r"(?:^|[.!?]\s+)(?:hi|hiya|hello|hey|dear|thanks|thank you|morning|evening|good question|"
    r"great question|sorry|welcome)[\s,]+$",
    re.IGNORECASE,
)


def _addressee(cased: str, start: int) -> bool:
    return _SALUTATION.search(cased[max(0, start - 30) : start]) is not None


def _distinct_cues(hits: list[Hit]) -> set[str]:
    return {h.cue.what for h in hits}


def _key(span: Span) -> tuple[int, int, str]:
    return (span.start, span.end, span.kind)


def _org_name_word(norm: Normalised, start: int, end: int) -> bool:
    """'Therapies'/'Counselling' capitalised after a capitalised word: part of an org name."""
    s, e = norm.span_in_original(start, end)
    word = norm.original[s:e]
    if not word[:1].isupper():
        return False
    prev = norm.original[:s].rstrip().split(" ")[-1:]
    return bool(prev and prev[0][:1].isupper())


def _contact_reason(value: str, kind: str) -> str:
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
