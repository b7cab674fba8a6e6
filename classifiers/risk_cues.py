"""Compositional cue families for risk to life (used by :mod:`classifiers.risk`).

Each :class:`Family` groups cues of one kind of evidence: hopelessness, feeling a burden,
farewell, means, preparation, self-harm, immediate danger, a third party who cannot be
reached, distress, a time marker ("tonight"), a child or vulnerable adult, harm to them.
A strong cue (weight >= 0.85) flags on its own; weaker cues flag only when cues from two
different families co-occur (see ``risk.assess``). Welsh, Polish, Spanish and romanised
Urdu/Punjabi cues sit in the same families.

Patterns are written for the folded ``match`` view (lower case, accents removed).
"""

from __future__ import annotations

from dataclasses import dataclass

from classifiers.lexicon import Hit, Table, cues, find, words

__all__ = ["FAMILIES", "MINOR", "NOW", "Family"]


@dataclass(frozen=True)
class Family:
    name: str
    table: Table

    def find(self, text: str) -> list[Hit]:
        return find(self.table, text)


_NOT = r"(?:don'?t|dont|do not|can'?t|cant|cannot|couldn'?t)"
_WITHOUT_ME = r"(?:better|happier|easier) (?:off )?without me"

HOPELESS = Family("hopelessness", cues([
    (rf"{_NOT} see (?:the|any) point (?:of|in) (?:anything|any of (?:it|this)|life|living|"
     r"going on|carrying on|trying|it all|me|being here|waking up)", 0.8, "hopelessness"),
    (rf"{_NOT} see (?:the|any) point(?: any ?more)?", 0.6, "hopelessness"),
    (r"what'?s the point (?:of|in) (?:anything|living|me|being here|going on|carrying on|"
     r"trying any ?more|it all|any of it|waking up)", 0.7, "hopelessness"),
    (r"no point (?:in )?(?:anything|living|trying any ?more|going on|carrying on|me being here|"
     r"waking up)", 0.75, "hopelessness"),
    (r"nothing (?:left )?(?:to live for|worth living for)", 0.9, "nothing to live for"),
    (r"(?:tired|sick|exhausted) of (?:living|being alive|being here|existing|life|it all|"
     r"fighting|waking up|pretending)", 0.7, "tired of living"),
    (r"(?:can'?t|cant|cannot) (?:keep|carry on|go on|keep going)(?: doing this| like this| "
     r"living like this| any ?more)", 0.45, "cannot go on"),
    (r"(?:there'?s|there is|i see|i can'?t see|i cant see) no (?:other )?way out", 0.65,
     "no way out"),
    (r"(?:wish|wished) i(?:'?d)? (?:was|were|wasn'?t|was not|could|had never|never|didn'?t|did not) "
     r"(?:\w+ ){0,2}(?:dead|gone|here|disappear|been born|woke up|wake up|exist|alive)", 0.85,
     "wishes to be gone"),
    (r"(?:sleep|go to sleep|close my eyes) and (?:not|never) wake up", 0.9, "wishes not to wake"),
    (r"(?:easier|better) (?:for (?:everyone|everybody|all of us|both of us|them|my \w+) )?if "
     r"(?:i|we) (?:just )?(?:wasn'?t|weren'?t|was not|were not|didn'?t|did not|never|was gone|"
     r"were gone|disappeared|died)", 0.85, "thinks it would be easier to be gone"),
    (r"(?:give|giving|(?:i'?ve|ive|i have) given) up on (?:life|everything|myself|living)", 0.75,
     "giving up on life"),
    (r"done with (?:life|living|everything|it all)", 0.8, "done with life"),
    (r"had enough of (?:life|everything|living|it all|being alive)", 0.7, "had enough of life"),
    (r"(?:life|everything|living|existing) (?:is|feels|seems) (?:so )?(?:pointless|meaningless|"
     r"hopeless|not worth it)", 0.7, "hopelessness"),
    (r"(?:can'?t|cant|cannot|don'?t|dont) see a (?:way|future|way forward)", 0.55, "hopelessness"),
    (r"(?:feel|feeling|i'?m|im|so) hopeless", 0.45, "hopelessness"),
    (r"(?:hang|hanging|hold|holding) on for", 0.3, "holding on"),
    (r"(?:won'?t|will not|wont|not going to) be (?:here|around)(?: much longer| for long| by| "
     r"when| to see| any ?more|$)", 0.75, "not expecting to be here"),
    (r"(?:there'?ll|there will|there'?d|there would|won'?t|wont) (?:not )?be (?:anyone|anybody|"
     r"no ?one|nobody|anything left of me) (?:here|around|left)", 0.6,
     "not expecting to be here"),
    (r"(?:fight|fighting) (?:any ?more|this any ?more)", 0.45, "cannot keep fighting"),
    (r"(?:can'?t|cant|cannot|couldn'?t) (?:take|do|handle|face|bear|stand|cope with|get through) "
     r"(?:it|this|any of (?:it|this)|another (?:day|night|week)|tomorrow|the pain|life)"
     r"(?: any ?more| much longer)?", 0.45, "cannot go on"),
    (r"(?:don'?t|do not|dont) know how (?:much )?(?:longer|long) i can (?:go on|keep|do|take|"
     r"carry|hold)", 0.65, "cannot go on"),
    (r"(?:want|need|just want) (?:the |this |all the )?(?:pain|it|everything|this|my head) to "
     r"(?:stop|end|go away)(?: for good| forever)?", 0.55, "wants the pain to stop"),
    (r"(?:not|isn'?t|is not|no longer) worth (?:it|living|being alive|the (?:pain|effort)|"
     r"fighting for)(?: any ?more)?", 0.4, "life not worth living"),
    (r"hate (?:my life|being alive|waking up|myself so much)", 0.45, "hates life"),
    (r"(?:want|wanna|going|need) to (?:just )?disappear(?: forever| for good)?", 0.55,
     "wants to disappear"),
    (r"(?:made|make) (?:up )?my (?:mind|decision)|(?:i'?ve|i have|ive) (?:got |made )?a plan|"
     r"know what i (?:have|need|'?ve got) to do", 0.45, "has decided"),
    (r"(?:it'?ll|it will|this will|everything will) (?:all )?be over (?:soon|tonight|tomorrow)",
     0.7, "expects it to be over"),
    (r"(?:sleep|rest) forever|never wake up|not wake up again", 0.65, "wishes not to wake"),
    (r"(?:all|everything|it'?s|its) (?:just )?too much(?: for me)?(?: now| any ?more)", 0.35,
     "overwhelmed"),
    (r"(?:i'?m|im|i am) (?:so )?(?:done|finished)(?: now| with (?:this|it))?\W*$", 0.4,
     "says they are done"),
    (r"(?:i give up|giving up now|ready to give up|ready to go)", 0.45, "giving up"),
    (r"(?:scared|afraid|frightened|worried|terrified) (?:of|about) what i(?:'?ll| will| might| "
     r"could| may)? (?:do|end up doing)", 0.75, "afraid of what they might do"),
    (r"(?:can'?t|cant|cannot|don'?t|dont) see (?:it|things|anything|life) (?:ever )?(?:getting|"
     r"get|being) (?:better|easier)", 0.5, "hopelessness"),
    (r"nothing left (?:in me|to give|to lose|for me)", 0.5, "nothing left"),
    (r"(?:not the kind|the kind|a tired) (?:of tired )?(?:that )?(?:sleep|a nap|rest) (?:can'?t |won'?t |"
     r"doesn'?t |does not )?(?:fix|fixes|help|helps)", 0.6, "tired beyond sleep"),
    (r"(?:nobody|no one|noone) (?:will|'ll|is going to) (?:have to|need to) worry about me", 0.75,
     "not expecting to be here"),
    (r"(?:pain|it|this|everything|all of (?:it|this)|suffering)(?:'ll| will| is going to) (?:all )?be "
     r"over (?:soon|tonight|tomorrow|by)", 0.7, "expects it to be over"),
    (r"(?:don'?t|do not|dont) belong (?:here|anywhere|in this world)", 0.5, "does not belong"),
    (r"(?:world|life|everything|everyone) (?:would|will|'d|'ll) (?:keep|carry on|go on)[^.!?]{0,25}"
     r"without me", 0.75, "feels a burden"),
    (r"(?:not sure|doubt|don'?t think|dont think|might not|may not|wonder if) (?:i'?ll|i will|i'?d|"
     r"i would|i'?m going to|im gonna) (?:still |even )?(?:be (?:here|around|alive)|make it|last)",
     0.7, "not expecting to be here"),
    (r"(?:can'?t|cant|cannot|don'?t|dont) see myself (?:getting to|making it|being here|being "
     r"around|lasting|reaching|still being|surviving)", 0.75, "not expecting to be here"),
    (r"(?:thinking|thought|think|planning|planned) (?:about |of )?(?:how (?:i'?d|i would|i could|to)"
     r" do it|ways to do it|how i(?:'?d| would) go)", 0.85, "thinking about how"),
    (r"(?:end|ending) it(?: all)?(?! with| there| here| early| off| on a)", 0.6,
     "thinking of ending it"),
    (r"(?:hope|hoping|pray|praying) (?:that )?i (?:don'?t|dont|never|won'?t|wont) wake up", 0.85,
     "wishes not to wake"),
    (r"sleep (?:for (?:a )?(?:very |really )?long time|for ever|and not wake)", 0.6,
     "wishes not to wake"),
    (r"(?:can'?t|cant|cannot) (?:do|face|survive|get through|cope with) another (?:day|night|week|"
     r"month|winter|year|christmas)", 0.6, "cannot go on"),
    (r"(?:really|totally|completely|just) done(?: now)?\W*$", 0.45, "says they are done"),
    (r"(?:don'?t|dont|do not) care (?:any ?more|what happens(?: to me)?|if i (?:live|die|wake))", 0.5,
     "does not care what happens"),
    (r"(?:want|wanna|need) to (?:be with|join) (?:my )?(?:mum|dad|nan|gran|him|her|them|son|"
     r"daughter|husband|wife|baby) (?:again|now|up there)|(?:join|joining) (?:him|her|them) soon",
     0.6, "wants to join someone who died"),
    (r"(?:tonight|today)(?:'s| is) the (?:night|day)", 0.6, "a chosen time"),
    (r"(?:got|have|has) it (?:all )?(?:planned|worked out|sorted)(?: out)?", 0.55, "has a plan"),
    (r"(?:won'?t|will not|wont) be (?:a )?(?:problem|burden|bother|nuisance|worry) (?:to \w+ )?"
     r"(?:for )?(?:much longer|for long|any ?more|soon)", 0.8, "not expecting to be here"),
    (r"(?:none of (?:it|this)|it) (?:won'?t|will not|wont) matter (?:soon|any ?more|much longer)",
     0.55, "not expecting to be here"),
    (r"(?:going to|gonna|might|will) do something (?:stupid|silly|i(?:'ll)? regret|drastic)", 0.7,
     "afraid of what they might do"),
    (r"(?:thinking|think|thought) (?:about|of) (?:dying|death|being dead|not being here|not "
     r"existing|the (?:bridge|tracks|cliffs?|river|train|railway))", 0.75, "thoughts of dying"),
    (r"voices (?:are |keep )?(?:telling|told|tell) me to", 0.85, "command hallucinations"),
    (r"(?:can'?t|cant|cannot|not able to|unable to) keep myself safe|(?:not|don'?t feel) safe "
     r"(?:from myself|on my own|with myself)", 0.9, "cannot keep safe"),
    (r"urges? (?:are|is) (?:really |so )?(?:bad|strong|back)", 0.45, "urges"),
    # Welsh
    (r"(?:does )?dim pwynt (?:byw|i fi|mewn dim|bellach)", 0.75, "Welsh: no point living"),
    (r"wedi cael digon (?:ar fywyd|ar bopeth|ar fyw)", 0.75, "Welsh: had enough of life"),
    (r"(?:dim|does dim) ffordd allan", 0.6, "Welsh: no way out"),
    # Polish
    (r"nie widze (?:juz )?sensu(?: zycia| zyc| niczego| dalej)?", 0.75, "Polish: no point"),
    (r"nie mam po co zyc", 0.9, "Polish: nothing to live for"),
    (r"mam dosc (?:zycia|wszystkiego|tego zycia)", 0.7, "Polish: had enough of life"),
    # Spanish
    (r"no (?:puedo|aguanto) mas", 0.55, "Spanish: cannot go on"),
    # romanised Urdu / Punjabi
    (r"zindagi (?:se )?(?:tang|thak gaya|thak gayi|bekaar)", 0.6, "Urdu/Punjabi: tired of life"),
]))  # fmt: skip

BURDEN = Family("burden", cues([
    (rf"(?:everyone|everybody|they|people|my (?:family|kids|mum|dad|wife|husband|partner|"
     rf"children)|the world|you all|all of you|he|she) (?:would|will|'d|'ll|could|might) "
     rf"(?:\w+ )?(?:be|cope|manage|do|get on|live) (?:(?:so|much|a lot|far) )*{_WITHOUT_ME}",
     0.9, "feels a burden"),
    (rf"(?:be|cope|manage|do|get on|off) (?:(?:so|much|a lot|far) )*{_WITHOUT_ME}", 0.85,
     "feels a burden"),
    (r"(?:cope|manage|do|get on) (?:(?:so|much|a lot|far) )*better without me", 0.85,
     "feels a burden"),
    (r"(?:i'?m|im|i am|feel like|feel) (?:just |such )?(?:a|such a) (?:burden|drain|waste of "
     r"space)", 0.65, "feels a burden"),
    (r"(?:nobody|no one|noone|no-one) (?:would|will|'d) (?:even )?(?:notice|care|miss me)", 0.8,
     "nobody would notice"),
    (r"(?:nobody|no one|noone) (?:cares|would care) if i", 0.75, "nobody would notice"),
    (r"(?:deserve|deserves) (?:so much |much |far )?better than me|(?:better|happier) (?:mum|dad|"
     r"mother|father|wife|husband|partner|friend|daughter|son) than me", 0.6, "feels a burden"),
    (r"(?:everyone|they|people) (?:would|'d) be (?:happier|relieved)", 0.6, "feels a burden"),
    (r"(?:everyone|everybody|they|people|my family)(?:'s| is| are|'re| must be| gets?) (?:so )?"
     r"(?:sick|tired|fed up) of me", 0.55, "feels a burden"),
    (r"(?:wszystkim|wszyscy|kazdy) (?:\w+ )?(?:lepiej|bedzie lepiej|byloby lepiej) beze mnie", 0.9,
     "Polish: better off without me"),
    (r"(?:lepiej|bedzie lepiej|byloby lepiej) beze mnie", 0.85, "Polish: better off without me"),
    (r"(?:yn )?(?:well|gwell) (?:\w+ )?hebdda i", 0.85, "Welsh: better off without me"),
    (r"(?:estarian|estaria|estarán|estaran) mejor sin mi", 0.9, "Spanish: better off without me"),
]))  # fmt: skip

FAREWELL = Family("farewell", cues([
    (r"sorry (?:for|about) everything", 0.7, "farewell apology"),
    (r"goodbye (?:everyone|everybody|all|world|for good|forever)|this is goodbye", 0.8,
     "saying goodbye"),
    (r"bye (?:everyone|everybody|all|world|for good|forever)", 0.45, "saying goodbye"),
    (r"(?:said|made|making|saying) my goodbyes", 0.85, "saying goodbye"),
    (r"(?:look after|take care of) (?:my|the|him|her|them|mum|dad) ?(?:\w+ )?for me", 0.7,
     "asks others to look after someone"),
    (r"this (?:is|will be) (?:the|my) (?:last|final) (?:post|message|time|thing)", 0.85,
     "final message"),
    (r"(?:my|a) (?:last|final) (?:post|message|goodbye)", 0.75, "final message"),
    (r"(?:tell|let) (?:my|her|him|them|everyone) \w* ?(?:know )?(?:that )?i (?:love|loved)", 0.6,
     "farewell message"),
    (r"(?:you|u) (?:won'?t|will not|wont) (?:hear from|see) me again", 0.85, "final message"),
    (r"(?:by the time|when) (?:you|u|anyone|someone) (?:reads?|sees?) this", 0.85,
     "final message"),
    (r"(?:it'?s|its|it is) not (?:your|anyone'?s|anyones) fault", 0.45, "farewell reassurance"),
    (r"(?:want|wanted|need) (?:everyone|you all|you|all of you|my \w+) to know (?:that )?i (?:love|"
     r"loved|am grateful)|(?:it'?s|it has|it'?s) been a good run|(?:it was )?nice knowing (?:you|"
     r"everyone|y'?all)|made my peace|(?:said|say) (?:everything|all) i (?:needed|wanted|had) to say|"
     r"sorry i (?:couldn'?t|could not|didn'?t|wasn'?t) (?:get better|be better|be stronger|do better|"
     r"fight|be enough)|if anything (?:happens|should happen) to me", 0.6, "farewell message"),
    (r"(?:please )?(?:don'?t|do not) be (?:angry|mad|upset|cross) (?:with|at) me", 0.4,
     "farewell message"),
    (r"(?:thank you|thanks) for (?:everything|trying)", 0.3, "farewell thanks"),
    (r"(?:i )?love (?:you all|you guys|ye all)", 0.3, "farewell message"),
    (r"sorry\W*$", 0.25, "ends with an apology"),
    (r"(?:im |i'?m |i am |so )sorry", 0.25, "apology"),
    (r"przepraszam(?: za wszystko)?", 0.3, "Polish: apology"),
    (r"zegnaj\w*|to (?:moje )?pozegnanie", 0.8, "Polish: farewell"),
    (r"ffarwel (?:i bawb|pawb)", 0.8, "Welsh: farewell"),
    (r"adios a todos|lo siento por todo", 0.7, "Spanish: farewell"),
]))  # fmt: skip

_MEDS = words("tablets", "pills", "meds", "medication", "paracetamol", "co-?codamol",
              "sleeping pills", "insulin", "antidepressants", "painkillers", "tabledi",
              "tabletki", "leki", "pastillas")  # fmt: skip
_HOARD = words("lined up", "laid out", "counted(?: out)?", "saved(?: up)?", "saving(?: up)?",
               "stockpil\\w+", "hoard\\w*", "all of them", "the whole (?:box|packet|lot|bottle)",
               "every (?:one|last)", "enough to", "on the side", "in a row", "collected",
               "i gyd", "wszystkie", "odkladam", "todas")  # fmt: skip
MEANS = Family("means", cues([
    (rf"{_MEDS}[^.!?]{{0,40}}{_HOARD}", 0.8, "medication gathered"),
    (rf"{_HOARD}[^.!?]{{0,25}}{_MEDS}", 0.8, "medication gathered"),
    (r"(?:lethal|fatal) dose|how (?:many|much) (?:\w+ )?(?:paracetamol|tablets|pills|insulin)"
     r"(?: \w+){0,3} (?:to|would|does it|it takes)|(?:looked|looking|googled|googling|searched|"
     r"searching) (?:up )?(?:how to|ways to|methods)", 0.85, "researching means"),
    (r"(?:took|taken|swallowed|had) (?:too many|loads of|a load of|a bunch of|all (?:my|the|of))"
     r" ?(?:\w+ )?(?:tablets|pills|meds|paracetamol)?", 0.7, "possible overdose"),
    (r"noose|ligature", 0.85, "means: ligature"),
    (r"(?:bought|got|found|have) (?:a |some )?rope", 0.6, "means: rope"),
    (r"(?:stand|standing|stood|sat|sitting|walk(?:ed|ing)? to|go(?:ing)? to|drove to|driving "
     r"to|looking (?:down )?(?:off|from|over)|on) (?:the )?(?:edge of )?(?:the )?(?:\w+ )?"
     r"(?:bridge|cliffs?|tracks|railway(?: line)?|roof|ledge|multi-?storey|motorway bridge)", 0.5,
     "at a dangerous place"),
    (r"jump(?:ing)? (?:off|from|in front of|under)", 0.55, "jumping"),
    (r"(?:drive|driving|drove|crash|crashing|steer|steering) (?:my car |the car )?(?:into|off) "
     r"(?:a |the )?(?:wall|tree|bridge|river|sea|lorry|oncoming|cliff|motorway)|walk(?:ing)? into "
     r"the (?:sea|river|traffic|water)", 0.8, "possible method"),
    (r"(?:car|engine) running in the garage|hosepipe (?:to|in) the (?:car|exhaust)", 0.9,
     "means: exhaust"),
    (r"(?:razor|razors|blade|blades)(?! runner)", 0.45, "means: blades"),
]))  # fmt: skip

PREPARATION = Family("preparation", cues([
    (r"(?:left|leaving|unlocked|unlocking|leave) (?:the |my )?(?:front |back )?door (?:open|"
     r"unlocked|on the latch)", 0.45, "door left open"),
    (r"so (?:nobody|no one|noone|they|no-one) (?:has|have|will have|needs?|doesn'?t have|don'?t "
     r"have|won'?t have|won'?t need) to (?:break|kick|force|find|deal|sort|worry|clean)", 0.7,
     "putting affairs in order"),
    (r"(?:dropped|dropping|left|leaving|taken|took|taking|given|giving|gave|rehomed|rehoming) "
     r"(?:off )?(?:the |my |our )?(?:cat|cats|dog|dogs|pets?|rabbit|budgie|hamster)(?: off)? "
     r"(?:at|with|to|round)", 0.55, "leaving pets with others"),
    (r"(?:written|wrote|writing|made|making|updated|sorted) (?:my|a) will\b", 0.45,
     "putting affairs in order"),
    (r"(?:sorted|sorting|put) (?:out )?(?:my|all my) (?:affairs|bank|finances|passwords|"
     r"paperwork)", 0.45, "putting affairs in order"),
    (r"(?:given|giving|gave) away (?:all )?(?:my|of my)", 0.6, "giving possessions away"),
    (r"(?:left|leaving|written|wrote|writing) (?:a |my )?note", 0.45, "leaving a note"),
    (r"(?:deleted|deleting) (?:all )?(?:my|of my) (?:accounts|photos|posts)", 0.35,
     "deleting accounts"),
]))  # fmt: skip

NOW = Family("time", cues([
    (words("tonight", "tonite", "2nite", "right now", "this evening", "before (?:the )?morning",
           "this weekend", "dzis(?: w nocy)?", "dzisiaj", "heno", "esta noche",
           "aaj raat"), 0.0, "now"),
]))  # fmt: skip

DISTRESS = Family("distress", cues([
    (r"(?:really |very |such a |so )?dark (?:place|time|thoughts)", 0.35, "in a dark place"),
    (r"(?:can'?t|cant|cannot|not) cop(?:e|ing)(?: any ?more)?", 0.3, "not coping"),
    (r"(?:at|reached|hit) (?:my|the) (?:lowest|breaking point|end of my tether|rock bottom)|"
     r"end of my tether|rock bottom", 0.45, "at breaking point"),
    (r"(?:not|haven'?t|hardly|barely|can'?t|cant) (?:slept|sleeping|sleep)", 0.2, "not sleeping"),
    (r"(?:so|completely|totally|all) (?:alone|lonely)|no one to (?:talk|turn) to|nobody to "
     r"(?:talk|turn) to", 0.3, "isolated"),
    (r"(?:falling|fell|fallen) apart|(?:numb|empty) inside", 0.3, "distress"),
    (r"(?:crying|cried) (?:all|every|myself)", 0.25, "distress"),
    (r"(?:don'?t|dont|do not) know (?:who|where) (?:to|else to) (?:tell|turn|go)", 0.25,
     "does not know where to turn"),
    (r"nie spie|do kogo (?:napisac|sie zwrocic)|jak (?:smiecia|smiec)", 0.25,
     "Polish: distress"),
]))  # fmt: skip

SELF_HARM_MORE = Family("self-harm", cues([
    (r"(?:started|been|keep|kept|back to|gone back to|went back to) (?:\w+ )?(?:cutting|burning|"
     r"scratching|hitting) (?:myself|again|my (?:arms|legs|wrists))", 0.9, "current self-harm"),
    (r"(?:she'?s|he'?s|they'?re|she is|he is|they are|she has|he has) (?:\w+ )?(?:started |been )?"
     r"(?:cutting|self[- ]?harming|burning herself|burning himself)", 0.9, "someone self-harming"),
    (r"(?:fresh|new|deep) (?:cuts|scars|wounds)", 0.8, "recent self-harm"),
    (r"(?:punish|punishing) myself", 0.6, "self-punishment"),
    (r"(?:cut|cutting|burnt|burned|burning|scratch(?:ed|ing)?|hit(?:ting)?|bang(?:ed|ing)? my head|"
     r"hurt|hurting) (?:myself|my (?:arms?|legs?|wrists?|thighs?|skin|stomach))", 0.85,
     "self-harm"),
    (r"relapsed?|(?:sh|self ?harm) (?:again|free|urges)|urges? to (?:cut|sh|hurt myself)", 0.4,
     "self-harm relapse"),
    (r"(?:hacerme dano|cortarme)", 0.85, "Spanish: self-harm"),
]))  # fmt: skip

DANGER = Family("danger", cues([
    (r"(?:he'?s|she'?s|they'?re|he is|she is|they are) (?:\w+ )?(?:outside|at the door|banging on "
     r"the door|trying to get in|got a knife|got a gun)", 0.7, "immediate danger"),
    (r"(?:going to|gonna|will|threatened to|threatens to|said he'?d|said she'?d) kill (?:me|us|"
     r"the kids|himself|herself)", 0.85, "threat to life"),
    (r"(?:scared|afraid|terrified|fear(?:ing)?) for (?:my|our|her|his) (?:life|lives|safety)", 0.85,
     "fears for life"),
    (r"(?:locked|lock) myself in", 0.45, "hiding from danger"),
    (r"(?:he'?s|she'?s|they'?re|he is|she is) (?:\w+ )?(?:smashing|strangl\w+|chok\w+|"
     r"threatening|hitting|beating) (?:me|us|the|everything)|(?:he|she) (?:just )?(?:hit|punched|"
     r"strangled|choked|stabbed) me", 0.8, "immediate danger"),
    (r"(?:not breathing|unconscious|won'?t wake up|can'?t wake (?:him|her))", 0.8,
     "medical emergency"),
    (r"(?:hiding|hid) (?:from (?:him|her|them)|in the)", 0.45, "hiding from danger"),
    (r"(?:call|ring|phoned|called|rang) (?:the )?(?:police|999|an ambulance)", 0.25,
     "emergency services"),
]))  # fmt: skip

UNREACHABLE = Family("unreachable", cues([
    (r"(?:not|isn'?t|is not|hasn'?t been|stopped|won'?t|wont) (?:\w+ )?(?:answering|replying|"
     r"responding|picking up)", 0.45, "person not answering"),
    (r"(?:not|haven'?t|nobody has|no one has) (?:heard|seen) (?:from )?(?:her|him|them) "
     r"(?:since|for|in)", 0.45, "person not heard from"),
    (r"(?:gone missing|hasn'?t come home|not come home|didn'?t come home)", 0.55,
     "person missing"),
]))  # fmt: skip

CONCERN = Family("concern", cues([
    (r"(?:check|make sure|see if|find out if) (?:on )?(?:she'?s|he'?s|they'?re|she is|he is|they "
     r"are|her|him|them)(?: (?:ok|okay|alright|safe|still alive))?", 0.45,
     "asks someone to check on a person"),
    (r"(?:worried|scared|frightened|terrified) (?:sick )?(?:about|for) (?:her|him|them|my \w+)",
     0.3, "worried about someone"),
    (r"welfare check", 0.6, "asks for a welfare check"),
]))  # fmt: skip

MINOR = Family("minor", cues([
    (r"(?:i'?m|im|i am) (?:only |just )?(?:1[0-7]|thirteen|fourteen|fifteen|sixteen|seventeen)"
     r"(?: ?(?:yo|years? old))?(?![\d:.,]?\d)", 0.0, "writer is a child"),
    (r"(?:i'?m|im|i am) (?:at|in) (?:school|year [7-9]|year 1[0-1])", 0.0, "writer is a child"),
]))  # fmt: skip

FAMILIES: tuple[Family, ...] = (
    HOPELESS, BURDEN, FAREWELL, MEANS, PREPARATION, DISTRESS, SELF_HARM_MORE, DANGER,
    UNREACHABLE, CONCERN,
)  # fmt: skip
