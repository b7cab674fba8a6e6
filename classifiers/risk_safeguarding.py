"""Safeguarding cues and the soft despair vocabulary for risk to life (see ``risk.assess``).

A child or vulnerable adult (:data:`CHILD`) within a short distance of a harm, neglect,
confinement or exploitation cue (:data:`HARM`) is a safeguarding concern; harm words alone
("beat him 3-0") stay weak. :data:`DESPAIR_TERMS` are single weak words summed over the
distinct ones found, a net for new wordings that the phrase families miss.
"""

from __future__ import annotations

from classifiers.lexicon import cues, words
from classifiers.risk_cues import Family

__all__ = ["CHILD", "DESPAIR", "DESPAIR_TERMS", "FIRST_PERSON", "HARM"]

# Safeguarding: a child or vulnerable adult (CHILD) near harm, neglect or confinement (HARM).
CHILD = Family("child", cues([
    (words("lad", "lass", "kid", "kids", "boy", "boys", "girl", "girls", "child", "children",
           "toddler", "baby", "little one", "wee one", "bairn", "(?:his|her|their|my|our) "
           "(?:son|daughter|stepson|stepdaughter)", "niece", "nephew", "grandson",
           "granddaughter", "pupil", "teenager", r"\d+ ?(?:yo|year old|yr old|years old)",
           r"(?:about|only|just) (?:[2-9]|1[0-5])\b", "elderly", "dementia", "disabled",
           "learning disabilit\\w+", "vulnerable", "frail", "old (?:lady|man|woman)",
           r"(?:my|his|her|our) (?:nan|nana|gran|granny|grandma|grandad|grandpa)",
           r"(?:elderly |old )?neighbour (?:in (?:her|his) (?:80s|90s)|(?:who'?s|is) (?:8|9)\d)",
           "dziecko", "dzieci", "plentyn", "plant", "nino", "nina"), 0.0,
     "child or vulnerable adult"),
]))  # fmt: skip
HARM = Family("harm", cues([
    (r"locks? (?:him|her|them|the \w+) (?:in|out|up)|locked (?:him|her|them) (?:in|out|up)|"
     r"(?:locked|shut) in (?:the |a |his |her )?(?:shed|cupboard|room|cellar|garage|loft)", 0.85,
     "confined"),
    (r"(?:in|into) the (?:shed|cupboard|cellar|coal shed)", 0.4, "confined"),
    (r"(?:hits|hit|hitting|beats|beat|beating|slaps|slapped|slapping|punches|punched|kicks|"
     r"kicked|belts|thrashes|hurts|hurting) (?:him|her|them)", 0.8, "being hit"),
    (r"(?:marks|bruises|bruising|burns|cuts|welts) (?:all )?(?:on|over) (?:his|her|their)", 0.75,
     "injuries"),
    (r"(?:no|never any|never enough|not enough) food|(?:always|constantly) (?:hungry|starving)|"
     r"(?:hasn'?t|not|never) (?:had anything|been fed) to eat|(?:nothing|never anything) to eat",
     0.75, "neglect"),
    (r"(?:touch|touching|touches|touched) (?:him|her|them)(?! up)", 0.7, "possible sexual abuse"),
    (r"(?:won'?t|doesn'?t|never|wont) lets? (?:him|her|them) (?:out|eat|leave|go out|see)", 0.7,
     "confined"),
    (r"(?:messages|messaging|texts|texting|snapchats?|dms) (?:from|to|with) (?:an? )?(?:older|"
     r"grown|adult|much older|\d\d ?(?:yo|year old)) ?(?:man|men|bloke|woman|guy)", 0.85,
     "contact from an adult"),
    (r"(?:sends?|sending|asked|asking|asks) (?:him|her|them) (?:for )?(?:pictures|pics|photos|"
     r"nudes)", 0.85, "contact from an adult"),
    (r"(?:screaming|crying) (?:for hours|every night|all night)", 0.5, "distress heard"),
    (r"left (?:alone|on (?:his|her|their) own)", 0.6, "left alone"),
    (r"(?:no|without) (?:heating|electric)", 0.4, "neglect"),
    (r"(?:scared|terrified|frightened) (?:to go|of going) home", 0.8, "afraid to go home"),
    (r"(?:smacks|smacking|grabs|drags|throws|shoves|pushes|shakes|shaking|burns|burnt) (?:him|her|"
     r"them)", 0.7, "being hurt"),
    (r"(?:scared|terrified|frightened) of (?:his|her|their) (?:dad|mum|stepdad|step dad|mum'?s "
     r"boyfriend|father|mother|carer)", 0.75, "afraid of a carer"),
    (r"(?:older|grown|adult) (?:man|men|boyfriend|bloke)|(?:met|meeting) (?:a man|someone|"
     r"people) (?:online|off the internet|from (?:snap|insta|tiktok))|county lines|"
     r"running drugs|inappropriate(?:ly)? (?:touch|messages|photos|pictures)", 0.6,
     "possible exploitation"),
    (r"(?:taking|takes|took|using|uses|spending) (?:all )?(?:her|his|their) (?:money|pension|"
     r"bank card|card|benefits)", 0.7, "possible financial abuse"),
    (r"(?:not|never|hasn'?t been|isn'?t) (?:been )?(?:fed|washed|changed|given (?:her|his) "
     r"(?:meds|medication|tablets))|(?:left|sitting|lying) in (?:soiled|dirty|wet)", 0.75,
     "neglect"),
    (r"(?:comes?|came|goes|sent) to school (?:hungry|dirty|with bruises|in the same)", 0.75,
     "neglect"),
    (r"(?:shouting|screaming) at (?:him|her|them)[^.!?]{0,40}(?:every|all|always)", 0.45,
     "shouted at"),
    (r"bije (?:go|ja|je)|siniaki|cleisiau|taro (?:e|hi)", 0.8, "being hit"),
]))  # fmt: skip

# Soft despair vocabulary: single words and short phrases, each weak, summed over distinct
# terms. Phrase cues miss new wordings; several despair words in one first-person text
# rarely occur without distress, and a missed crisis costs more than a false alarm.
DESPAIR_TERMS: dict[str, float] = {
    "hopeless": 0.5, "worthless": 0.5, "pointless": 0.5, "burden": 0.5, "trapped": 0.45,
    "no way out": 0.6, "give up": 0.4, "giving up": 0.4, "gave up": 0.3, "goodbye": 0.4,
    "end it": 0.6, "ending it": 0.6, "disappear": 0.45, "not be here": 0.6, "not being here": 0.6,
    "be gone": 0.45, "without me": 0.5, "can't go on": 0.6, "cant go on": 0.6, "anymore": 0.3,
    "any more": 0.3, "tonight": 0.3, "last time": 0.35, "forever": 0.3, "tired": 0.25,
    "exhausted": 0.25, "empty": 0.3, "numb": 0.35, "alone": 0.25, "lonely": 0.25,
    "nobody": 0.2, "no one": 0.2, "dark": 0.3, "pain": 0.25, "escape": 0.4, "sorry": 0.2,
    "pills": 0.4, "tablets": 0.35, "overdose": 0.5, "die": 0.45, "dying": 0.3, "dead": 0.35,
    "death": 0.3, "suffer": 0.3, "suffering": 0.3, "enough": 0.2, "can't": 0.1, "cant": 0.1,
    "nothing": 0.15, "point": 0.2, "failure": 0.3, "useless": 0.25, "hate myself": 0.5,
    "hate my life": 0.5, "no hope": 0.5, "no future": 0.45, "let go": 0.3, "peace": 0.2,
    "relief": 0.25, "sleep": 0.15, "wake up": 0.3, "struggling": 0.2, "breaking": 0.2,
    "broken": 0.25, "crying": 0.2, "scared": 0.15, "falling apart": 0.35, "drowning": 0.35,
    "too much": 0.25, "the end": 0.35, "final": 0.3, "last": 0.15, "letters": 0.25,
    "note": 0.2, "miss me": 0.45, "heavy": 0.2, "quiet": 0.15, "nothing left": 0.4, "better off": 0.45, "pretend": 0.2, "fake smile": 0.35,
    "mask": 0.15, "nie chce": 0.4, "nie moge": 0.3, "sensu": 0.4, "koniec": 0.4,
    "skonczyc": 0.5, "dim pwynt": 0.5, "blino": 0.3, "ar ben": 0.3, "no puedo": 0.3,
    "morir": 0.5, "marna": 0.4, "khatam": 0.4,
}  # fmt: skip
DESPAIR = cues([(words(*(t.replace("'", "'?") for t in DESPAIR_TERMS)), 0.0, "despair word")])
FIRST_PERSON = cues([(words("i", "i'm", "im", "i've", "ive", "i'd", "me", "my", "myself",
                            "she", "he", "her", "his", "mine"), 0.0, "person")])  # fmt: skip
