"""Confidentiality risk: could this text reveal that an identifiable person is (or may be) a
client, or expose someone's health, therapy or contact details?

The core pattern is a person (name, @handle, relative, identifying description) together with a
client-relationship cue or a health or therapy detail. Staff replies that confirm someone's
sessions, referral, attendance or appointment, or that post someone's number, are a family of
their own; so is a writer disclosing their own medication, diagnosis or therapy. Staff named in
event posts and general talk about mental health are not flagged.
"""

from __future__ import annotations

import re

from classifiers import confidentiality as conf
from classifiers.cues import Hit, load_cues, quote
from classifiers.evidence import Evidence, Learned, Verdict, confirmed, learned
from classifiers.normalise import Normalised

LABEL = "confidentiality_risk"
URGENT = True
TABLES = load_cues(LABEL)
LEARNED_ALONE = 0.8  # calibrated learned confidentiality score that flags by itself and stands
WIDE_AT = 0.53  # the wide head's calibrated score that makes a candidate …
# … which stands where the encoder agrees a little (0.2 lost 7 of 8 held-out disclosures it met
# with round 3's heads; round 4's put two ordinary posts at 0.02-0.04, so 0.05; round 5's, reading
# three layers, put "Congrats to Aiden Wagner who scored his 1st BCHL goal" at 0.11 and lose no
# held-out disclosure at 0.15)
CANDIDATE_BARS = ((0.0, 0.0, 0.15),)
NO_SUBJECT_BAR = 0.3  # the encoder score a confident learned score needs where no one is mentioned
T = f"{LABEL}."
_REPLY_PREFIX = re.compile(r"(?:\s*\.?@[\w.\-]+)+")
_GREETED = re.compile(
    r"\W*(?i:hi|hiya|hello|hey|dear|morning|evening|replying to|thanks|thank you)\s+@?[A-Z][\w'-]+"
)


def decide(ev: Evidence) -> Verdict:
    org, text_view = ev.author_is_org, ev.view
    health = ev.of(T + "health")
    therapy = [h for h in ev.of(T + "therapy") if not conf.org_name_word(text_view, h.start, h.end)]
    client = ev.of(T + "org_client", T + "client") if org else ev.of(T + "client")
    # the @handles a reply opens with are who it answers (X adds them itself): without a client
    # cue they are not who a health word is about
    replied_to = _REPLY_PREFIX.match(text_view.cased)
    persons = [
        p
        for p in ev.people.persons
        if not (org and conf.addressee(text_view.cased, p.start))
        and not (p.kind == "handle" and replied_to and p.end <= replied_to.end() and not client)
    ]
    staff = ev.of(T + "staff_disclosure") if org else []
    own = ev.of(T + "self_disclosure") if not org else []
    if not (health or therapy):  # "I've been on your waiting list" alone is a complaint, not a disclosure
        own = [h for h in own if h.what != "own therapy here"]
    described = ev.of(T + "described") if client else []
    anyone = bool(persons or ev.has(T + "relative") or described)
    contacts = [] if ev.score("spam") >= 0.5 else list(ev.people.contacts)
    score, why = 0.02, []
    if any(kind == "nhs_number" for _, _, kind in contacts):
        score, why = 0.95, ["NHS number (passes the mod-11 check)"]
    other = [c for c in contacts if c[2] != "nhs_number"]
    # our own posts carry our own contact details: they count only beside a named person
    if other and not ev.has(T + "helpline") and not (org and not ((client or staff) and persons)):
        third = ev.has(T + "third_party_contact") or anyone
        context = bool(health or therapy or client or staff)
        score = max(score, 0.9 if third and context else 0.75 if third or context else 0.3)
        why += [conf.contact_reason(text_view.cased[s:e], kind) for s, e, kind in other[:3]]
    if client:
        if org and not (persons or health or ev.has(T + "org_client")):
            level = 0.45  # "your counsellor will be in touch": said to everyone, about no one
        elif org:
            level = 0.9 if (persons or health or therapy or len(client) > 1) else 0.75
        elif anyone and (health or therapy or len(client) > 1):
            level = 0.9
        elif anyone or len({h.what for h in client}) > 1:
            level = 0.8
        else:
            level = 0.45 if health else 0.3
        score = max(score, level)
        why.append(client[0].reason())
    if staff:  # a staff reply that confirms a referral, attendance, appointment or record
        # anyone named, incl. whoever the reply greets ("Hi Sandra, …") when the gazetteer misses them
        named = bool(ev.people.persons or ev.has(T + "relative") or _GREETED.match(text_view.cased))
        score = max(score, 0.9 if named else 0.45)  # "nothing changes about your sessions": said to all
        why.append("staff reply discloses: " + staff[0].reason())
    if own:  # the writer's own medication, diagnosis or therapy
        score = max(score, 0.75)
        why.append("self-disclosure: " + own[0].reason())
    elif not org and (health or therapy) and ev.has("common.first_person") and score >= 0.5:
        why.append("self-disclosure: the writer links themself to therapy or a condition")
    if anyone and health and therapy:
        score = max(score, 0.9)
    elif persons and health:
        score = max(score, 0.8)
    elif persons and therapy:
        only_handles = all(p.kind == "handle" for p in persons)
        # a staff member named beside a therapy word is an announcement unless a client cue says more
        score = max(score, 0.4 if only_handles or (org and not client) else 0.7)
    if org and therapy and sum(p.kind == "name" for p in persons) >= 2:
        score = max(score, 0.85)
        why.append("organisation post names several people in a therapy context")
    if ev.has(T + "staff_context") and ((org and not (client or staff)) or (not health and score < 0.9)):
        score *= 0.35  # "Sam is running the workshop on Tuesday"
    # on our own posts the learned score speaks only where someone is named or tagged, outside events
    allowed = ev.score("spam") < 0.5 and (
        not org or (bool(ev.people.persons) and not ev.has(T + "staff_context"))
    )
    say = (
        learned(ev, "confidential", alone=LEARNED_ALONE, wide_at=WIDE_AT, bars=CANDIDATE_BARS)
        if allowed
        else Learned()
    )
    subject = anyone or contacts or health or therapy or client or own or ev.has("common.first_person")
    if say.confident and not subject:
        # nobody it could be about ("Sharing with our ward's relatives group"): the encoder must agree
        say = say.needs_encoder(ev, NO_SUBJECT_BAR)
    rule_flag = score >= 0.5
    if score < 0.55 and (say.confident or say.candidate):
        score, why = 0.55, [*why, say.reason]
    if score < 0.5:
        return Verdict(score)
    if persons:
        why.append("person identified (" + ", ".join(p.initials for p in persons[:3]) + ")")
    elif described:
        why.append(described[0].reason())
    why += [f"health detail: {quote(health[0].text)}"] if health else []
    why += [f"therapy context: {quote(therapy[0].text)}"] if therapy else []
    strong = (score >= 0.9 and bool(client or staff or contacts)) or (bool(client) and bool(persons))
    strong = strong or say.confident
    bar = None if rule_flag else say.bar  # a weak cue: the confirmation bar; the wide head: its own
    return confirmed(ev, LABEL, Verdict(score, tuple(dict.fromkeys(why))[:6], strong, bar))


def context_cues(norm: Normalised, *, author_is_org: bool = False) -> tuple[list[Hit], list[Hit], list[Hit]]:
    """The health, therapy and client-relationship cues that make a named person a risk (for the
    transformers backend, which finds the people itself)."""
    find = {name: list(table.find(norm.match)) for name, table in TABLES.items()}
    therapy = [h for h in find["therapy"] if not conf.org_name_word(norm, h.start, h.end)]
    client = find["org_client"] + find["client"] if author_is_org else find["client"]
    return find["health"], therapy, client
