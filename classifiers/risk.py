"""Risk to life: suicidal ideation (direct and indirect), self-harm, immediate danger and
safeguarding concerns about children or vulnerable adults, in English, Welsh and Polish.

Not flagged: figurative speech ("this queue is killing me", "to die for") and past recovery
stories ("therapy saved my life", "two years on from my attempt"). A missed crisis costs more
than a false alarm, so explicit cues win over the recovery/figurative dampers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifiers.lexicon import Cue, Hit, Table, cues, find, quote, words
from classifiers.risk_cues import FAMILIES, MINOR, NOW
from classifiers.risk_safeguarding import CHILD, DESPAIR, DESPAIR_TERMS, FIRST_PERSON, HARM

__all__ = ["RiskResult", "assess"]

_ME = words("myself", "my self", "meself", "me")
_PERSON = words(
    "child", "kid", "kids", "boy", "girl", "baby", "toddler", "son", "daughter", "grandson",
    "granddaughter", "niece", "nephew", "little one", "wee one", "teen", "teenager",
    "gran", "granny", "grandma", "grandad", "nan", "nana", "mum", "dad", "mother", "father",
    "neighbour", "brother", "sister", "friend", "mate", "flatmate", "partner", "husband",
    "wife", "he", "she", "they", "him", "her", r"\d+ ?(?:yo|year old|yr old)",
)  # fmt: skip
_VULNERABLE = words(
    "child", "kid", "kids", "boy", "girl", "baby", "toddler", "little one", "wee one",
    r"(?:my|our|her|his) (?:son|daughter)", "grandson", "granddaughter", "niece", "nephew",
    "gran", "granny", "grandma", "grandad", "nan", "nana", "elderly", "dementia",
    "disabled", "learning disability", "vulnerable adult", "care home", "pupil", "student",
    r"\d+ ?(?:yo|year old|yr old)",
)  # fmt: skip

# (pattern, weight, description). Weights: 0.9+ explicit, 0.7 strong indirect, 0.5 weaker.
SUICIDE = cues([
    (rf"(?:kill|end|top|off) {_ME}", 0.95, "suicidal ideation"),
    (r"(?:killing|ending|topping) (?:myself|my self|meself)", 0.9, "suicidal ideation"),
    (r"suicid(?:e|al)(?! prevention| awareness| helpline| line| crisis line)", 0.85,
     "suicide mentioned"),
    (r"(?:want|wants|wanted|wanting|wanna|going|gonna|ready|planning|plan|plans) (?:to )?"
     r"(?:die(?! out| off| of | laughing)|"
     r"end it(?: all)?|end my life)",
     0.95, "wish to die"),
    (r"(?:end|take) (?:it all|my (?:own )?life)", 0.95, "suicidal ideation"),
    (r"(?:kill|killing|hurt|hurting|harm|harming|end|ending) (?:herself|himself|themselves|"
     r"themself)", 0.9, "someone else may be suicidal"),
    (r"kms|unalive (?:myself|me)|unaliving|sewerslide|ctb", 0.85, "suicidal ideation (slang)"),
    (r"(?:end|ending) (?:things|everything)(?! with (?:him|her|them|my (?:ex|partner|boyfriend|"
     r"girlfriend)))", 0.75, "thinking of ending things"),
    (r"(?:want|wanna|wish i (?:was|were)) (?:to be )?dead|be better dead", 0.9, "wish to die"),
    (r"(?:talking|talks|talked|thinking|thought|thinks) (?:about|of) (?:suicide|ending it|"
     r"ending (?:his|her|my) life|killing)", 0.85, "suicidal thoughts"),
    (r"suicidal (?:thoughts|feelings|again)|(?:feeling|felt|feel) suicidal", 0.9,
     "suicidal thoughts"),
    (r"(?:don'?t|do not|dont) (?:want|wanna) (?:to )?(?:be here|be alive|live|exist|wake up|go on|"
     r"be around|carry on)"
     r"(?: any ?more)?", 0.9, "does not want to live"),
    (r"(?:want|wants|wanting|wanna) (?:to )?(?:not exist|disappear for good|stop existing)",
     0.9, "does not want to exist"),
    (r"(?:just )?want (?:it|everything) (?:all )?to (?:stop|end)", 0.85, "wants it all to end"),
    (r"(?:everyone|everybody|they|you all|the world|my family) (?:would|will|'d) be better off"
     r"(?: without me)?", 0.9, "burden thoughts"),
    (r"better off (?:dead|without me|gone)", 0.95, "burden thoughts"),
    (r"no (?:reason|point) (?:to|in) (?:live|living|going on|being here)", 0.9, "hopelessness"),
    (r"(?:can'?t|cannot|cant) (?:do|take|cope with|go on with) (?:this|it|life) any ?more", 0.85,
     "cannot go on"),
    (r"(?:can'?t|cannot|cant) go on", 0.8, "cannot go on"),
    (r"(?:nobody|no one|noone|no-one) would (?:notice|care|miss me)", 0.85,
     "nobody would notice"),
    (r"if i (?:just )?(?:disappeared|was gone|wasn'?t here|died)", 0.8, "thoughts of being gone"),
    (r"(?:won'?t|will not|wont) (?:be needing|need) (?:any of )?(?:it|them|this|my \w+)", 0.7,
     "giving things up"),
    (r"where i'?m going", 0.6, "farewell signal"),
    (r"giving away (?:all )?(?:my|of my) (?:stuff|things|belongings|possessions)", 0.75,
     "giving possessions away"),
    (r"(?:say|saying|said|messaging|texting) (?:goodbye|bye|goodbyes) to (?:everyone|all|you all|"
     r"all of (?:you|us)|us)", 0.8, "saying goodbye"),
    (r"writing (?:my|a) (?:letters|goodbye|suicide note|note|last)", 0.85, "farewell letters"),
    (r"(?:suicide|goodbye) note", 0.9, "farewell note"),
    (r"(?:written|wrote|writing|left) (?:\w+ )?(?:notes?|letters?) (?:for|to) (?:my|everyone|all|the)",
     0.85, "farewell letters"),
    (r"(?:going|heading|walking|driving) (?:down )?to the (?:bridge|cliffs?|tracks|railway|viaduct)",
     0.7, "possible method"),
    (r"nothing matters any ?more", 0.6, "hopelessness"),
    (r"(?:don'?t|dont|can'?t|cant) see the point (?:any ?more|in (?:anything|living|going on|"
     r"carrying on))", 0.75, "hopelessness"),
    (r"so (?:nobody|no one|noone) (?:has|will have) to (?:deal with|sort)", 0.65,
     "putting affairs in order"),
    (r"(?:giving|gave|rehoming|rehomed) (?:away )?my (?:cat|dog|pets?)", 0.55,
     "giving things away"),
    (r"note (?:on|saying|that said) .{0,40}(?:i'?m sorry|sorry|goodbye|love you)", 0.8,
     "farewell note"),
    (r"if i'?m not (?:online|here|around|on here)[^.!?]{0,30}(?:know why|you'?ll know)", 0.85,
     "farewell signal"),
    (r"(?:won'?t|will not) (?:be|make it) (?:here|around)(?: much longer| for long| tomorrow)?",
     0.75, "farewell signal"),
    (r"(?:don'?t|do not|dont) think i'?m going to make it", 0.75, "hopelessness"),
    (r"sorry to (?:everyone|everybody|all) (?:i'?ve|ive|i have) (?:let down|hurt)", 0.85,
     "farewell apology"),
    (r"(?:step|stepping|jump|jumping|throw|throwing) (?:myself )?(?:in front of|under) "
     r"(?:a |the )?(?:next )?(?:train|bus|lorry|car)", 0.95, "suicide method"),
    (r"(?:just )?(?:get|getting) it (?:all )?over with", 0.7, "suicidal ideation"),
    (r"(?:on|at|standing on) (?:the )?(?:edge of )?(?:the )?(?:\w+ )?(?:bridge|cliff|roof|ledge)"
     r"[^.!?]{0,40}(?:talk me|jump|end it|out of it)", 0.95, "immediate danger"),
    (r"talk me out of (?:it|this)", 0.9, "immediate danger"),
    (r"(?:saving|saved|stockpiling|hoarding|collecting) (?:up )?(?:my |all my )?"
     r"(?:tablets|pills|meds|medication|paracetamol)", 0.95, "stockpiling medication"),
    (r"(?:take|took|taking|swallow|swallowed) (?:all|a load of|the whole) (?:my |of my )?"
     r"(?:tablets|pills|meds|packet)", 0.95, "overdose"),
    (r"(?:overdose|overdosed|od'd|oded)(?! awareness)", 0.7, "overdose"),
    (r"(?:rope|noose|hang (?:myself|himself|herself))", 0.8, "suicide method"),
    (r"(?:got|has|had|with) (?:the |a |his |her )?(?:shotgun|gun|rifle|knife|blade|rope)"
     r" (?:out|on the|in (?:his|her) hand|to (?:his|her) head)", 0.9, "means at hand"),
])  # fmt: skip

SELF_HARM = cues([
    (r"self[- ]?harm(?:ing|ed)?", 0.8, "self-harm"),
    (rf"(?:cut|cutting|burn|burning|hurt|hurting|harm|harming|starve|starving) {_ME}",
     0.9, "self-harm"),
    (r"(?:started|back to|went back to|relapsed|still|night of|nights? in a row|again) "
     r"(?:\w+ ){0,3}(?:cutting|burning myself|self harming)", 0.95, "current self-harm"),
    (r"(?:cutting|burning) again", 0.95, "current self-harm"),
    (r"(?:third|second|another|every) night in a row (?:of )?cutting", 0.95, "current self-harm"),
])  # fmt: skip

THIRD_PARTY_DANGER = cues([
    (rf"{_PERSON}[^.!?]{{0,60}}(?:hasn'?t|has not|haven'?t) (?:come out|left|eaten|answered)"
     r"[^.!?]{0,30}(?:days|since)", 0.75, "person not seen for days"),
    (r"(?:switched|turned) (?:her|his|their) (?:location|phone) off", 0.8, "person unreachable"),
    (r"(?:missing|gone missing) (?:since|for) ", 0.6, "missing person"),
    (r"(?:are|is) (?:you|u|he|she|they) (?:ok|okay|safe)\s*\?", 0.6, "concern for someone's safety"),
    (r"(?:check on|checking on|get help for) (?:him|her|them|my \w+)", 0.55, "asks for a check"),
    (r"(?:posted|posting|saying|said) (?:some )?(?:really |very )?(?:dark|worrying|scary) "
     r"(?:stuff|things|posts)", 0.6, "worrying posts"),
    (r"(?:list|notes?) of ways to (?:do it|die|kill)", 0.95, "suicide planning"),
    (r"(?:wants|want|keeps saying she wants|keeps saying he wants) to (?:'|\")?not exist", 0.9,
     "does not want to exist"),
])  # fmt: skip

SAFEGUARDING = cues([
    (rf"{_VULNERABLE}[^.!?]{{0,80}}(?:left (?:on (?:his|her|their) own|alone|home alone)|"
     r"on (?:his|her|their) own (?:for|two|three|\d)|screaming for)", 0.9, "child left alone"),
    (rf"(?:left|leaving) (?:a |the |my |her |his )?{_VULNERABLE} (?:on (?:his|her|their) own|alone)",
     0.85, "child left alone"),
    (rf"{_VULNERABLE}[^.!?]{{0,120}}(?:bruises|bruising|marks on|burns on|being hit|hits (?:him|her)|"
     r"beat(?:s|en|ing)? (?:him|her)|abus(?:e|ed|ing)|neglect(?:ed)?|starv(?:ed|ing)|locked in)",
     0.85, "possible abuse or neglect"),
    (r"(?:bruises|bruising|marks) (?:on (?:her|his) (?:arms|legs|face|body))[^.!?]{0,60}"
     r"(?:explain|no one|nobody|won'?t say)", 0.85, "unexplained injuries"),
    (r"(?:carer|care worker|partner|boyfriend|stepdad)[^.!?]{0,50}(?:using (?:her|his) (?:bank )?card|"
     r"taking (?:her|his) money|hits? (?:her|him)|hurting (?:her|him))", 0.85,
     "possible abuse of a vulnerable adult"),
    (r"(?:grooming|groomed|touching (?:him|her|kids|children) inappropriately)", 0.9,
     "possible sexual abuse"),
    (r"(?:he|she|they|my (?:partner|husband|wife|boyfriend|girlfriend|ex)) "
     r"(?:hits|beats|chokes|strangles|threatens to kill) (?:me|us|the kids)", 0.9,
     "domestic abuse"),
    (r"(?:not|don'?t feel) safe at home", 0.8, "unsafe at home"),
])  # fmt: skip

# Welsh (Cymraeg) and Polish, written in folded form (accents removed: "ż" -> "z").
WELSH = cues([
    (r"(?:lladd|ladd) fy hun", 0.95, "Welsh: kill myself"),
    (r"(?:eisiau|isio|moyn) marw", 0.95, "Welsh: want to die"),
    (r"(?:ddim|dim) (?:eisiau|isio|moyn) byw", 0.95, "Welsh: don't want to live"),
    (r"hunanladdiad", 0.85, "Welsh: suicide"),
    (r"(?:niweidio|anafu|torri) fy hun", 0.9, "Welsh: self-harm"),
    (r"hunan[- ]?niweidio", 0.85, "Welsh: self-harm"),
    (r"methu (?:mynd ymlaen|cario mlaen|ymdopi)", 0.8, "Welsh: cannot go on"),
    (r"(?:gwell|well) (?:eu byd|fyddai pawb) hebdda i", 0.9, "Welsh: better off without me"),
    (r"(?:cam-?drin|camdriniaeth)", 0.8, "Welsh: abuse"),
    (r"(?:plentyn|babi)[^.!?]{0,60}(?:ar ei ben ei hun|ar ei phen ei hun|cleisiau)", 0.85,
     "Welsh: child left alone or injured"),
])  # fmt: skip

POLISH = cues([
    (r"(?:zabije|zabic|zabijam) sie", 0.95, "Polish: kill myself"),
    (r"(?:chce|chcialbym|chcialabym) umrzec", 0.95, "Polish: want to die"),
    (r"nie chce (?:juz )?zyc", 0.95, "Polish: don't want to live"),
    (r"samobojstw\w*|samobojcz\w*", 0.85, "Polish: suicide"),
    (r"(?:tne|cielam|ciac) sie|okaleczam sie|samookalecz\w*", 0.9, "Polish: self-harm"),
    (r"nie dam (?:juz )?rady(?: dluzej| zyc)?", 0.7, "Polish: cannot go on"),
    (r"(?:wszystkim|wszyscy) (?:bedzie|beda|byloby) lepiej beze mnie", 0.9,
     "Polish: better off without me"),
    (r"zegnajcie|to (?:moje )?pozegnanie", 0.8, "Polish: farewell"),
    (r"przemoc\w*|molest\w*", 0.8, "Polish: violence or abuse"),
    (r"(?:bije|bil|uderza) (?:mnie|dziecko|dzieci|corke|syna|ja|go)", 0.9,
     "Polish: someone is being beaten"),
    (r"dziecko[^.!?]{0,60}(?:samo|siniaki|bite)", 0.85, "Polish: child alone or injured"),
    (r"(?:zeby|by|chce|chcialbym|chcialabym) (?:to )?(?:wszystko )?(?:skonczyc|zakonczyc)"
     r"(?! prace| studia| szkole)", 0.85, "Polish: wants to end it all"),
    (r"skonczyc ze soba|odebrac sobie zycie|(?:powiesic|powiesze) sie|nie chce sie (?:juz )?obudzic",
     0.95, "Polish: suicidal ideation"),
])  # fmt: skip

OTHER_LANGUAGES = cues([
    (r"(?:quiero|quisiera) (?:morir(?:me)?|matarme|desaparecer)|no quiero (?:seguir )?vivir|"
     r"suicidarme|matarme|acabar con (?:todo|mi vida)|quitarme la vida", 0.9,
     "Spanish: suicidal ideation"),
    (r"suicidio", 0.8, "Spanish: suicide"),
    (r"khud ?kushi|khudkhushi", 0.85, "Urdu/Punjabi: suicide"),
    (r"(?:marna|mar jana|mar jaana|marr jana) (?:chahta|chahti|chaunda|chaundi|hai)|"
     r"(?:jeena|jina|jeene) (?:nahi|nai|nahin) (?:chahta|chahti|chaunda|chaundi)|"
     r"(?:khud ko|apne aap ko) (?:maar|khatam)", 0.9, "Urdu/Punjabi: wish to die"),
    (r"sab (?:khatam|khatm) kar (?:dun|doon|dena|deni|dunga|dungi)", 0.8,
     "Urdu/Punjabi: wants to end it all"),
    (r"(?:lladd|ladd) fy hunan|(?:ddim|dim) (?:eisiau|isio|moyn) bod (?:yma|yma ddim mwy)", 0.9,
     "Welsh: suicidal ideation"),
    (r"(?:meddwl am|isio|eisiau) (?:ladd|lladd|niweidio) fy hun|(?:dim|does gen i ddim) rheswm i "
     r"fyw|wedi blino ar (?:fyw|fywyd)|methu cario (?:ymlaen|mlaen)|(?:isio|eisiau|moyn) "
     r"(?:diflannu|cysgu am byth)", 0.85, "Welsh: suicidal ideation"),
    (r"sie (?:zabic|zabije|powiesic|otruc)|nie ma sensu zyc|koniec ze mna|odejsc z tego swiata|"
     r"nie wytrzymam (?:juz )?dluzej|mysli samobojcze|nie chce juz tu byc", 0.85,
     "Polish: suicidal ideation"),
    (r"vreau sa mor|sa ma sinucid|sinucidere|nu mai vreau sa traiesc", 0.9,
     "Romanian: suicidal ideation"),
    (r"quero morrer|me matar|nao quero (?:mais )?viver|suicidio", 0.9,
     "Portuguese: suicidal ideation"),
    (r"je veux mourir|me suicider|en finir avec (?:la vie|tout)|je ne veux plus vivre", 0.9,
     "French: suicidal ideation"),
    (r"ich will (?:nicht mehr leben|sterben)|mich umbringen|selbstmord", 0.9,
     "German: suicidal ideation"),
    (r"voglio morire|uccidermi|noriu mirti|nusizudyti", 0.9, "suicidal ideation (other language)"),
    (r"خودکشی|خود کشی|مرنا چاہت|مرنا چاہتی|جینا نہیں چاہت|انتحار|أريد أن أموت|اريد ان اموت|"
     r"ਖੁਦਕੁਸ਼ੀ|ਮਰਨਾ ਚਾਹੁੰਦ", 0.9, "Urdu/Arabic/Punjabi: suicidal ideation"),
])  # fmt: skip

# Dampers: figurative use and recovery / past-tense framing.
FIGURATIVE = cues([
    (r"(?:is|are|was|it'?s|its) (?:\w+ )?killing me", 1.0, "figurative"),
    (r"(?:death of me|to die for|i'?m dead|im dead|dead on my feet|dying (?:of|for|to)|"
     r"lose the will to live|want to jump off the \w+ (?:for|at)|die of (?:embarrassment|shame)|"
     r"kill (?:for|it)|killed it|killing it|dead good|(?:you'?re|youre|you are|u r|ur) killing me|killing myself (?:laughing|with laughter)|"
     r"(?:could|would|will|gonna|going to) kill (?:him|her|them) (?:for|if|when))", 1.0, "figurative"),
])  # fmt: skip
# Narrow on purpose: "used to", "these days", "now i'm" also open many crisis posts.
RECOVERY = cues([
    (r"(?:saved|changed) my life", 1.0, "recovery"),
    (r"(?:years?|months?) (?:ago|back)|last (?:year|spring|summer|march|april|may)|"
     r"back then|at the time|(?:in|on the road to) recovery|recovered|clean for|"
     r"sober for|(?:\d+|one|two|three|four|five|six|ten) (?:days|weeks|years|months) (?:sober|clean|free)|didn'?t think i'?d see|"
     r"it (?:does )?get(?:s)? (?:better|lighter|easier)|glad i'?m (?:still )?here|"
     r"(?:i'?m|im|i am) still here", 1.0, "recovery"),
    (r"(?:after|since|from) (?:my |an )?(?:attempt|overdose|a&e)", 1.0, "recovery"),
])  # fmt: skip
_JOKE = cues([(r"😂|🤣|😆|lol|lmao|haha\w*|😅|💀|⚽|🙄", 1.0, "joking tone")])

# (table, family): explicit cues from the original tables, one family each.
ALL_RISK: tuple[tuple[Table, str], ...] = (
    (SUICIDE, "ideation"), (SELF_HARM, "self-harm"), (THIRD_PARTY_DANGER, "third party"),
    (SAFEGUARDING, "safeguarding"), (WELSH, "ideation"), (POLISH, "ideation"),
    (OTHER_LANGUAGES, "ideation"),
)  # fmt: skip


@dataclass(frozen=True)
class RiskResult:
    score: float
    hits: tuple[Hit, ...]
    notes: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        seen: dict[str, None] = dict.fromkeys(self.notes)
        for hit in sorted(self.hits, key=lambda h: -h.weight):
            if hit.weight > 0:
                seen.setdefault(hit.reason(), None)
        return tuple(seen)[:5]


_STRONG = 0.85
_RELAPSE = re.compile(r"(?<![a-z])(?:again|back to|relapsed|relapse|started \w+ing)(?![a-z])")
_LEARNED_WEAK = 0.35  # learned score that counts only with another cue
_LEARNED_STRONG = 0.6  # learned score that flags on its own
_LEARNED_FAIR = 0.45  # … or in a text of at least _LEARNED_FAIR_WORDS words that is not thanks
_LEARNED_FAIR_WORDS = 6
_WORD = re.compile(r"[a-z']+")
_THANKS = re.compile(r"(?<![a-z])(?:thank|thanks|grateful|cheers|appreciate|brilliant|amazing)(?![a-z])")
_LEARNED_CUE = Cue(re.compile("$^"), 0.0, "learned risk score")
_SOFT_FLAG = 1.2  # summed despair-word weight at which a first-person text flags


def _despair(text: str) -> tuple[float, list[Hit]]:
    """Summed weight of distinct despair words, 0 without a first- or third-person word."""
    hits = find(DESPAIR, text)
    if not hits or not find(FIRST_PERSON, text):
        return 0.0, []
    seen = {h.text.replace("'", ""): h for h in hits}
    total = sum(DESPAIR_TERMS.get(k, DESPAIR_TERMS.get(k.replace("cant", "can't"), 0.2)) for k in seen)
    return total, list(seen.values())


_NEAR = 200  # characters between a child reference and a harm cue


def assess(match_text: str, *, learned: float | None = None) -> RiskResult:
    """Score risk to life in the ``match`` view of a text (0.02 when nothing is found).

    A strong cue flags on its own; weaker cues flag when two different families co-occur
    (hopelessness + burden, preparation + apology, a person not answering + a request to
    check on them, ...); a time marker ("tonight") or a writer who says they are a child
    lifts any cue; a child or vulnerable adult near a harm cue is a safeguarding concern.
    Figurative phrases cancel the cues they overlap; recovery framing damps a lone family
    but never a cue with a time marker or a combination. ``learned`` is the learned risk
    score (``models/risk.npz``): a confident score counts as one family, a middling one
    only in combination with a cue.
    """
    text = match_text
    # (hit, family, weight): the weight is the cue's unless the context weakens it
    tagged: list[tuple[Hit, str, float]] = [
        (h, fam, h.weight) for table, fam in ALL_RISK for h in find(table, text)
    ]
    for family in FAMILIES:
        tagged.extend((h, family.name, h.weight) for h in family.find(text))
    notes: list[str] = []
    harm = HARM.find(text)
    if harm:
        children = CHILD.find(text)
        near = [h for h in harm if any(abs(c.start - h.start) <= _NEAR for c in children)]
        if near:
            tagged.extend((h, "safeguarding", h.weight) for h in near)
            notes.append("safeguarding: a child or vulnerable adult and " + near[0].cue.what)
        else:
            # harm words without a child or vulnerable adult ("beat him 3-0") stay weak
            tagged.extend((h, "harm", 0.3) for h in harm if h.weight >= 0.7)
    if learned is not None and learned >= _LEARNED_WEAK:
        # Confident: flags alone. Fairly confident: alone only in a text long enough to say
        # something about the writer's life, and not a thank-you (short praise and gratitude
        # for past help score high by accident).
        confident = learned >= _LEARNED_STRONG or (
            learned >= _LEARNED_FAIR
            and len(_WORD.findall(text)) >= _LEARNED_FAIR_WORDS
            and not _THANKS.search(text)
        )
        weight = 0.55 if confident else 0.3
        tagged.append((Hit(_LEARNED_CUE, 0, 0, f"{learned:.2f}"), "learned", weight))
        if confident:
            notes.append(f"learned risk score {learned:.2f}")
    soft, soft_terms = _despair(text)
    # long texts collect despair words by chance: the bar rises with length
    bar = _SOFT_FLAG * max(1.0, len(text) / 300) ** 0.5
    if soft >= 0.8:
        tagged.append(
            (soft_terms[0], "despair", min(0.8, 0.55 + 0.15 * (soft - bar)) if soft >= bar else 0.3)
        )
        if soft >= bar:
            words_seen = ", ".join(dict.fromkeys(h.text for h in soft_terms))
            notes.append(f"several despair words together: {words_seen}")
    if not tagged:
        return RiskResult(0.02, ())
    fig = find(FIGURATIVE, text)
    if fig:
        # a cue that overlaps a figurative phrase does not count
        tagged = [t for t in tagged if not any(g.start <= t[0].start < g.end for g in fig)]
        if not tagged:
            return RiskResult(0.05, ())
    # one phrase is one piece of evidence: overlapping hits count once, at their best weight
    kept: list[tuple[Hit, str, float]] = []
    for t in sorted(tagged, key=lambda t: -t[2]):
        if not any(t[0].start < k[0].end and k[0].start < t[0].end for k in kept):
            kept.append(t)
    tagged = kept
    by_family: dict[str, float] = {}
    for _, fam, weight in tagged:
        by_family[fam] = max(by_family.get(fam, 0.0), weight)
    weights = sorted(by_family.values(), reverse=True)
    score = weights[0]
    if len({h.text for h, _, w in tagged if w >= 0.5}) > 1:
        score = min(0.99, score + 0.05)
    combined = len(weights) > 1 and weights[1] >= 0.2
    if combined:
        score = max(score, min(0.97, weights[0] + 0.6 * weights[1] + 0.1 * (len(weights) > 2)))
        if score >= 0.5 and weights[0] < _STRONG:
            notes.append(f"cues from {len(weights)} families together: {', '.join(by_family)}")
    # dampers and boosts look at rule evidence only: the learned score is one weak voice
    rule_weights = sorted((w for f, w in by_family.items() if f != "learned"), reverse=True)
    rule_combined = len(rule_weights) > 1 and rule_weights[1] >= 0.2
    rule_best = rule_weights[0] if rule_weights else 0.0
    now = NOW.find(text)
    minor = MINOR.find(text)
    if rule_best >= 0.3 and (now or minor):
        score = min(0.97, score + 0.25)
        notes.append(("time marker: " + quote(now[0].text)) if now else "writer says they are a child")
    recovery = bool(find(RECOVERY, text))
    joking = bool(find(_JOKE, text))
    relapse = _RELAPSE.search(text) is not None  # "back to cutting again after 6 months clean"
    if recovery and not now and not rule_combined and not relapse and score < 0.97:
        score *= 0.45  # "after my attempt last year, running my first 10k" is not a crisis
    if joking and not rule_combined and score < 0.9:
        score *= 0.6
    hits = tuple(h for h, _, w in tagged if w > 0)
    if score < 0.5:
        return RiskResult(round(max(score, 0.02), 4), hits)
    return RiskResult(round(score, 4), hits, tuple(notes))
