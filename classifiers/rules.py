"""Cue tables for threat, harassment, hate, complaints, engagement and spam.

All patterns are written for the normalised ``match`` view (see ``normalise.py``). The
default classifier combines these cues with the learned scores; this module only finds
and weighs evidence.
"""

from __future__ import annotations

import re

from classifiers.lexicon import cues, words

_YOU = words("you", "u", "ya", "yous", "youse", "her", "him", "them", "she", "he", "they",
             "your counsellor", "your staff", "the lot of (?:you|yous|them)")  # fmt: skip

THREAT = cues([
    (r"i know where (?:you|u|she|he|they|your \w+|her|his)[^.!?]{0,20}(?:live|lives|work|works|"
     r"stay|stays|park|parks)", 0.95, "threat cue"),
    (r"(?:i'?ve|ive|i have) got (?:her|his|your|their) (?:home )?address", 0.9, "threat cue"),
    (r"(?:post|stick|share|put|publish|leak)(?:ing)? [^.!?]{0,30}(?:home )?address", 0.9,
     "doxxing threat"),
    (r"(?:what time|when) (?:she|he|they) (?:locks? up|finish(?:es)?|leaves?|gets? home)", 0.85,
     "stalking detail"),
    (r"(?:which|what) (?:car|one)'?s (?:hers|his)|(?:her|his) (?:car|reg)\b", 0.6,
     "stalking detail"),
    (r"(?:watch|mind) (?:your|her|his|their) back", 0.9, "threat cue"),
    (r"(?:getting|get|pay|paying) (?:her|him|you|them) a (?:little )?visit", 0.85, "threat cue"),
    (r"a visit (?:she|he|you|they) won'?t forget", 0.95, "threat cue"),
    (r"(?:see|you'?ll see) what happens", 0.7, "threat cue"),
    (r"(?:you'?ve|youve|you have|you've) been warned|dont test me|don'?t test me|last warning",
     0.75, "threat cue"),
    (r"(?:wait|waiting) (?:outside|for (?:her|him|you))[^.!?]{0,40}(?:till|until|finishes|face to face)",
     0.85, "confrontation threat"),
    (r"(?:face to face|in person)[^.!?]{0,30}(?:then|next time)", 0.5, "confrontation threat"),
    (r"when i (?:catch|find|see) (?:you|u|her|him|them)", 0.8, "threat cue"),
    (rf"(?:i'?ll|ill|i will|i'?m going to|im gonna|i'?m gonna|gonna) (?:kill|hurt|stab|batter|smash|"
     rf"slap|punch|deck|knock|sort|deal with|get|find|end|burn|shoot|bottle|glass) {_YOU}", 0.95,
     "threat of violence"),
    (r"(?:needs|deserves|wants|could do with|asking for) a (?:good )?(?:slap|kicking|beating|"
     r"punch|smack|hiding)", 0.85, "threat of violence"),
    (r"(?:i'?ll|ill|i will)[^.!?]{0,20}(?:be the one to give it|give (?:her|him|you) (?:a|one))",
     0.85, "threat of violence"),
    (r"(?:someone|somebody|people) (?:should|needs to|ought to) (?:torch|burn|bomb|shoot|stab|"
     r"kill|hurt|smash|batter|attack)", 0.95, "incitement to violence"),
    (r"(?:torch|burn down|burn|bomb|petrol bomb|smash up|firebomb) (?:that|the|your|this) "
     r"(?:place|hub|building|office|rooms|windows)", 0.9, "threat to property"),
    (r"(?:smash|put|kick|brick|torch) (?:in )?(?:your|ur|the|them|their|her|his) (?:\w+ )?"
     r"(?:windows?|doors?|car|tyres)", 0.9, "threat to property"),
    (r"(?:with a|a) (?:brick|bat|knife|hammer|petrol)[^.!?]{0,30}(?:window|door|car|you|them|"
     r"her|him)", 0.9, "threat to property"),
    (r"(?:hope|wish) (?:you|u|she|he|they) (?:die|dies|get hurt|gets hurt|rot|burn)", 0.85,
     "wishes harm"),
    (r"(?:kill|shoot|stab|hang) (?:the lot of )?(?:you|u|yous|them all|her|him)(?! know| to )", 0.8,
     "violent language"),
    # implied threats: ultimatums, stalking details, doxxing, confrontation
    (r"(?:someone|somebody|people|you|they|she|he|your \w+)(?:'ll| will| is going to| are going to|"
     r"'s going to|'re going to| gonna) (?:get hurt|pay(?= *(?:[.!]|$| for (?:it|this|that)))|regret "
     r"(?:it|this)|be sorry)", 0.85,
     "implied threat"),
    (r"(?:you'?ll|you will|they'?ll|she'?ll|he'?ll) (?:regret|pay for) (?:it|this|that)", 0.7,
     "implied threat"),
    (r"(?:i'?m|im|i am) coming (?:down|round|over|up)(?: (?:there|to \w+|\w+ (?:road|street|lane)))?"
     r"(?: myself)?", 0.45, "coming to confront"),
    (r"tick ?tock|(?:would|it'?d|be) (?:be )?a (?:real )?shame if", 0.6, "implied threat"),
    (r"accidents (?:happen|can happen)", 0.4, "implied threat"),
    (r"(?:found|got|have|know|tracked down) (?:the |his |her |their |your |where )?(?:home )?"
     r"address(?:es)?", 0.6, "doxxing threat"),
    (r"(?:posting|post|sharing|share|leaking|leak|publishing|publish) (?:it|them|that|the lot|"
     r"(?:his|her|their) (?:address|details|number|photo)) (?:tomorrow|tonight|today|online|"
     r"everywhere|unless|if)", 0.7, "doxxing threat"),
    (r"i know (?:your \w+ |(?:he|she|they) )?(?:drives?|leaves?|parks?|lives?|walks?|finish(?:es)?|"
     r"gets? (?:home|the bus)|picks? up|takes? (?:her|his|their) kids)", 0.85, "stalking detail"),
    (r"(?:leaves|finishes|locks up|gets home|parks) (?:at|around|about|every) (?:\d|monday|tuesday|"
     r"wednesday|thursday|friday|saturday|sunday|night)", 0.5, "stalking detail"),
    (r"(?:i'?ll|ill|i will|we'?ll|we will) be (?:at|outside|waiting (?:at|outside|for)) (?:your|the|"
     r"her|his)", 0.4, "confrontation threat"),
    (r"see how (?:brave|tough|hard|smart|clever|big|cocky|mouthy) (?:you|your \w+|they|she|he)",
     0.8, "confrontation threat"),
    (r"watch yourself|watch your step|sleep with one eye open|(?:you'?re|your|ur) (?:card is|days "
     r"are) numbered|coming for (?:you|u|yous|her|him|them)", 0.85, "threat cue"),
    (r"(?:get|getting|got) what'?s coming|(?:i'?ll|ill|i will|i'?m going to|gonna) make (?:you|u|"
     r"her|him|them|yous|sure you) (?:pay|suffer|regret|sorry)|won'?t see (?:it|me) coming|"
     r"teach (?:you|her|him|them|that \w+) a lesson|(?:put|putting) (?:you|her|him|them) in "
     r"(?:the ground|hospital|a box)|break (?:your|her|his|their) (?:legs|neck|jaw|face|nose)|"
     r"make (?:your|her|his|their) life (?:hell|a misery)|(?:i'?ll|ill|i will) (?:ruin|end|destroy) "
     r"(?:you|u|her|him|them)|i'?ve got (?:people|mates|lads)|my (?:lads|boys|mates) will", 0.85,
     "threat of harm"),
    (r"(?:be careful|careful) (?:walking|going|driving) home|wouldn'?t want anything to happen to|"
     r"(?:hope|wish) (?:your|the) (?:building|place|office|hub|house|car) (?:burns|gets|goes up)|"
     r"i know (?:which|what) (?:car|school|house|gym|pub|bus)|i know (?:your|her|his) kids|"
     r"(?:see|seeing) you (?:soon|around) ?(?:😉|😈|👀|🔪)|(?:i'?ll|ill|i will) be (?:seeing|"
     r"watching|waiting for) (?:you|her|him|them)", 0.75, "implied threat"),
    (r"(?:had )?better watch (?:out|it|themselves|herself|himself|yourselves)|(?:can'?t|cannot|won'?t) "
     r"be (?:held )?responsible for what (?:i do|happens)|(?:things|it)(?:'ll| will| is going to) "
     r"(?:get|turn) (?:ugly|nasty|messy|physical)|(?:find|found|finding) (?:out )?where (?:you|u|she|"
     r"he|they|your \w+) (?:live|lives|work|works|stay|park)|(?:knows?|know) where (?:she|he|you|"
     r"they) (?:lives|live)|(?:been|i'?ve been|i am|i'?m) watching (?:you|her|him|them|your)|"
     r"followed (?:her|him|them|you) (?:home|to|back)|(?:her|his|your|their) kids go to|"
     r"hunt (?:you|u|her|him|them) down|(?:you'?re|youre|ur|you are) (?:dead|dead meat|a dead "
     r"(?:man|woman))(?! funny| right| on| good)|go(?:ing)? round (?:there )?(?:and|to) (?:sort|"
     r"smash|batter|deal with|have a word)|uwazaj na siebie|znajde (?:cie|was|ja|go)|gwylia dy hun",
     0.8, "threat cue"),
    (r"🔪|💣|🔫|(?:bomb|shoot|stab|torch) (?:the place|the lot|your \w+|this place)", 0.6,
     "violent imagery"),
    # Welsh / Polish
    (r"(?:gwn i|dw i'?n gwybod|dwi'?n gwybod|rwy'?n gwybod) (?:lle|ble) (?:ti'?n|wyt ti'?n|rwyt ti'?n) byw", 0.95,
     "Welsh threat cue"),
    (r"(?:lladd|ladd) (?:di|ti|chi)", 0.9, "Welsh threat of violence"),
    (r"wiem gdzie (?:mieszkasz|mieszka|pracujesz)", 0.95, "Polish threat cue"),
    (r"(?:zabije|zajebie|dopadne) (?:cie|was|ja|go)", 0.95, "Polish threat of violence"),
    (r"pozalujesz", 0.7, "Polish threat cue"),
])  # fmt: skip

THREAT_JOKE = re.compile(
    r"😂|🤣|lol|lmao|haha|recipe|baked|bake|cake|biscuit|lemon drizzle|cinnamon|😅|😜|jk\b"
)

INSULT = cues([
    (words("idiot", "idiots", "moron", "morons", "thick", "stupid", "dumb", "bitch", "bitches",
           "cow", "witch", "slag", "slut", "whore", "cunt", "cunts", "twat", "twats", "prick",
           "dickhead", "wanker", "wankers", "bastard", "bastards", "scum", "scumbag", "scumbags",
           "clown", "clowns", "🤡", "loser", "losers", "pathetic", "snowflake", "snowflakes",
           "freak", "freaks", "nutter", "nutters", "psycho", "parasite", "parasites", "grifter",
           "grifters", "scrounger", "scroungers", "leech", "leeches", "waste of (?:oxygen|space)",
           "attention seeker", "useless", "incompetent", "disgusting (?:woman|man|people)",
           "fraud", "liar", "mugs", "cretin", "imbecile", "pig", "fat", "ugly",
           "patronising", "spineless", "coward", "vile", "retard\\w*", "mong", "spastic",
           "care in the community", "shut (?:ur mouth|your mouth)", "nobody asked",
           "sob story", "go cry", "make me sick", "makes me sick", "get a job",
           "dinosaur", "amateurs", "frauds", "fraudsters", "prat", "prats", "smug", "racket",
           "do-?gooders", "scammers?", "charlatans?", "quacks?", "cowboys", "crooks", "thieves",
           "hypocrites?", "liars", "jumped[- ]up", "jobsworths?", "halfwits?", "tossers?",
           "bellends?", "knobheads?", "arseholes?", "assholes?", "div", "creeps?", "weirdos?",
           "sad little", "little (?:prat|madam|man|hitler)", "(?:keep|get) your (?:beak|nose) out",
           "get a life", "bleeding hearts?", "virtue signall\\w*", "wet wipes?", "scroungers",
           "blubbing", "needs? (?:their|his|her) (?:own )?heads? (?:looking at|testing|read)",
           "should be ashamed", "sack(?:ed|ing)? (?:the lot|her|him|them)", "wants sacking",
           "clueless", "brain ?dead", "thick as \\w+", "get a real job", "nobody likes you",
           "laughing ?stock", "joke of a \\w+", "pillocks?", "gobshites?",
           "slappers?", "skanks?", "trolls?", "bloodsuckers?", "sad acts?", "nonces?", "paedos?",
           "predators?", "gutless", "spineless", "unhinged", "deranged", "lunatics?", "nutcases?",
           "headcases?", "hag", "old bag", "battleaxe", "two-?faced", "snakes?", "rats",
           "waste of (?:skin|air)", "dimwits?", "numbskulls?", "dopes?", "know-?it-?alls?",
           "pompous", "condescending", "arrogant", "lazy", "greedy", "cowards", "leeches",
           "shameless", "heartless", "useless lot", "do one", "jog on", "get lost", "piss off",
           "f(?:uck|ck|k) off", "fuck (?:you|u|yous|the lot)", "shut your (?:face|gob|trap)"),
     0.7, "insult"),
    (words("muppet", "numpty", "plonker", "wally", "nugget", "doughnut", "donut", "melt",
           "divvy", "dafty", "silly sod", "daft (?:cow|apeth|sod)", "shut (?:it|up)"), 0.55, "mild insult"),
    (r"(?:you|u|ur|you're|youre|your) (?:\w+ ){0,3}(?:idiot|moron|joke|disgrace|embarrassment|"
     r"clown|liar|fraud)", 0.85, "insult aimed at someone"),
    (r"the state of (?:ur|your|you|her|him|them)", 0.6, "mockery"),
    # Polish / Welsh abuse
    (words("spierdalaj", "wypierdalaj", "chuj\\w*", "debil\\w*", "idiota", "suka", "szmata",
           "pizda", "kurwa", "twp", "twpsyn", "ffwcin", "cachu"), 0.6, "insult (Polish/Welsh)"),
])  # fmt: skip

TARGET = re.compile(
    r"(?<![a-z])(?:you|u|ur|your|yours|you're|youre|yous|youse|ya|she|her|he|him|his|they|"
    r"them|staff|counsellor|counsellors|therapist|therapists|receptionist|ceo|manager|"
    r"volunteers?|whoever runs|the lot of|lot of (?:you|yous|them)|(?:bunch|pack|shower) of|this page|this place|"
    r"people who|anyone who|the blonde one|woman|man|girl|lady|lassie|place|charity|"
    r"organisation|outfit|this lot|(?:bunch|pack|load|shower) of|the lad|the bloke|the woman|"
    r"the girl|the one on|on reception|whoever)(?![a-z])|@[\w.]+"
)

IDENTITY = words(
    "trans", "tranny", "trannies", "gay", "gays", "lesbian", "lesbians", "queer", "lgbt\\w*",
    "pride", "rainbow", "woke", "muslim", "muslims", "islam", "jew", "jews", "jewish",
    "immigrant", "immigrants", "migrant", "migrants", "refugee", "refugees", "asylum seekers?",
    "foreigner", "foreigners", "black", "blacks", "asian", "asians", "paki", "pakis", "polish",
    "poles", "romanian", "gypsy", "gypsies", "pikey", "women", "feminist", "feminists",
    "disabled", "autistic", "nigger", "niggers", "wog", "wogs",
)  # fmt: skip
# Wider net for letting the learned hate score count: groups HatEval-style hate targets.
HATE_GATE = re.compile(
    rf"(?<![a-z]){IDENTITY}(?![a-z])|(?<![a-z])(?:woman|girls?|bitch\w*|whores?|hoes?|sluts?|"
    r"cunts?|skanks?|feminazis?|illegals?|aliens?|border|borders|deport\w*|invasion|invaders?|"
    r"wall|islam\w*|sharia|arabs?|africans?|mexicans?|blacks?|hijab|burqa|rapefugees?|"
    r"men|females?)(?![a-z])"
)
HATE = cues([
    (rf"{IDENTITY}[^.!?]{{0,60}}(?:freaks?|nutters?|disgusting|vermin|scum|filth|🤮|send them "
     r"(?:home|back)|go home|get out|keep (?:them|those)[^.!?]{0,20}away|ban them|not welcome|"
     r"sick|perverts?|groomers?|can barely speak english|invasion|should be (?:shot|hanged))",
     0.9, "identity-based attack"),
    (rf"(?:freaks?|perverts?|groomers?|scum|vermin|filth)[^.!?]{{0,40}}{IDENTITY}", 0.85,
     "identity-based attack"),
    (r"(?:send|ship|deport) (?:them|em|the lot) (?:all )?(?:home|back)", 0.85,
     "identity-based attack"),
    (r"full of (?:foreigners|immigrants|migrants|muslims)", 0.85, "identity-based attack"),
    (r"(?:woke|trans|gay) (?:freaks?|nutters?|agenda|ideology)", 0.85, "identity-based attack"),
    # "go back to Poland", "a guest in this country", "you people always…", "(((funders)))"
    (r"go (?:back|home) to (?:where (?:you|they|u) (?:came|come) from|your own country|[a-z]+land|"
     r"poland|romania|pakistan|india|africa|jamaica|syria|albania|your country)|guests? in (?:this|our|"
     r"my) country|(?:not|never be) (?:really |truly )?(?:british|english|from here)|(?:you|your|these|"
     r"those) (?:people|lot|sort|kind) (?:always|never|all|are all)|\(\(\(|(?:invaders|invasion|"
     r"infestation|breed like)|red carpet for (?:the )?(?:illegals|migrants|refugees|invaders|them)",
     0.85, "identity-based attack"),
    # contempt emoji or a crude slogan next to an identity word
    (rf"{IDENTITY}[^.!?]{{0,30}}(?:🤢|🤮|🐒|🙈|(?<![a-z])(?:no thanks|ew+|yuck|gross|delusion\w*|"
     rf"mental illness|(?:should|need to) be (?:locked up|banned|sterili[sz]ed))(?![a-z]))|(?:🐒|🦍|🍌)[^.!?]{{0,40}}(?:worker|"
     rf"staff|counsellor|neighbour|family|him|her|them)",
     0.85, "identity-based attack"),
    # thieving, begging or dirt attributed to a group
    (r"(?:roma|romanians?|gypsies|gypsy|travell?ers|pikeys?|foreigners|migrants|asylum seekers?|"
     r"refugees)[^.!?]{0,60}(?:steal\w*|nick\w*|stripped|thieves|thieving|beg\w*|dirty|filthy|"
     r"scroung\w*|benefits?|rob\w*)",
     0.85, "identity-based attack"),
    (words("nigger", "niggers", "paki", "pakis", "tranny", "trannies", "wog", "wogs",
           "faggot", "faggots", "dyke", "kike", "chink", "spic", "raghead", "towelhead"),
     0.95, "slur"),
])  # fmt: skip

COMPLAINT = cues([
    (words("waiting list", "waitlist", "on the list", "still waiting", "waited \\d+ (?:weeks|months)",
           "no reply", "no response", "nobody (?:called|rang|got back|replied)", "never (?:called|rang"
           "|replied)", "hasn'?t answered", "not answered", "no call", "no apology",
           "cancelled on me", "charged me", "invoice", "late cancellation fee", "refund",
           "rude", "unprofessional", "disgrace", "disgraceful", "shambles", "appalling",
           "boycott", "complaints?", "complain", "lost (?:all )?(?:faith|trust|confidence) in",
           "rescheduled (?:at the last minute|again)", "misconduct", "data breach", "data protection",
           "(?:don'?t|do not|never) (?:donate|give) (?:a penny|a pound|them|your money|a single)",
           "bullying", "exploitation", "exploit\\w*", "fake reviews?", "fakereviews", "fraud",
           "lottery money", "never actually ran", "wouldn'?t recommend", "would not recommend",
           "don'?t waste your (?:money|time)", "stay (?:well )?clear", "avoid", "1 star",
           "one star", "★☆☆☆☆", "not good enough", "gone (?:right )?downhill",
           "tells you everything", "what(?:'s| is| exactly is) the point", "make it make sense",
           "reached capacity", "discharges?", "deleted (?:it|my)", "accountability",
           "transparency", "free my foot", "not ok", "people get hurt", "broken since",
           "gossiping", "the point of you", "lines (?:her|his|their) pockets", "cash cow",
           "private practice", "think hard before", "trustees look the other way",
           "glancing at her phone", "a total inconvenience", "how is anyone", "some of us work",
           "just discharges", "is this true", "press office", "a complaint from"),
     0.7, "complaint cue"),
    (words("(?:moved|cancelled|canceled|rescheduled|changed|postponed) "
           "(?:it )?again", "(?:moved|cancelled|rescheduled) (?:at|with) (?:the )?last minute",
           "booked (?:annual leave|time off|a day off)", "should (?:you|they) (?:really )?be posting",
           "(?:really |very )?uncomfortable", "identifiable", "frauds?", "scam(?:mers)?",
           "(?:don'?t|do not|never) give (?:them|you|this lot) a (?:penny|pound|cent)",
           "wants? sacking", "should be sacked", "(?:be )?ashamed of (?:yourselves|themselves)",
           "unpaid labour", "pay (?:people|your staff|your volunteers|them properly)",
           "my arse", "out of order", "not on", "how dare", "unethical", "irresponsible",
           "inappropriate", "breach(?:ed|ing)?", "money grab\\w*", "rip[- ]?off", "overpriced",
           "over-?priced", "racket", "let (?:me|us|her|him) down", "letting people down",
           "lost (?:all )?(?:faith|trust)", "never (?:again|going back|coming back)",
           "warn(?:ing)? (?:others|everyone|people)", "(?:reported|reporting) (?:you|this|them) to",
           "charity commission", "ombudsman", "trading standards", "solicitor"),
     0.7, "complaint cue"),
    (r"(?:[1-2]|one|two) ?(?:/ ?5|stars?)", 0.6, "low rating"),
])  # fmt: skip
# Generic negative evaluation of a service (weighted by the learned complaint score).
EVALUATION = cues([
    (words("worst", "terrible", "awful", "horrible", "ridiculous", "unacceptable", "useless",
           "poor", "pathetic", "rubbish", "shocking", "disappointed", "disappointing",
           "frustrat\\w+", "annoyed", "angry", "furious", "fed up", "not happy", "unhappy",
           "still (?:waiting|no|not|haven'?t|hasn'?t)", "never (?:again|got|received|answered)",
           "no (?:one|body) (?:answers|helps|cares|called)", "hours? on hold", "on hold",
           "lost (?:my|our)", "delayed", "cancelled", "canceled", "late again", "again\\?+",
           "hung up", "unhelpful", "fail(?:ed|s|ing)?", "sucks?", "bad service", "joke",
           "waste of (?:time|money)", "lied", "lies", "ignored", "ignoring", "disgusted",
           "why (?:is|are|do|does|can'?t|won'?t|hasn'?t|haven'?t)"),
     0.8, "negative evaluation"),
])  # fmt: skip
ELSEWHERE = re.compile(
    r"(?<![a-z])(?:nhs|westminster|government|tories|labour|council|gp surgery|camhs|"
    r"the ?(?:bbc|drama|show|film|telly)|argyle|defending|ref)(?![a-z])"
)
JOKING = re.compile(r"😂|🤣|(?<![a-z])(?:lol|lmao|haha\w*)(?![a-z])")
COMPETENCE = cues([
    (words("useless", "incompetent", "clowns?", "🤡", "fraud", "liar", "grifter", "parasite",
           "amateurs?", "cowboys", "waste of (?:oxygen|space|money|time)", "psycho",
           "couldn'?t \\w+ (?:their|his|her) way out of", "shouldn'?t be (?:allowed|near)"),
     0.7, "attack on competence"),
])  # fmt: skip
# someone warning others about a fake page or a scam link: not a complaint about the charity
SCAM_WARNING = re.compile(
    r"(?<![a-z])(?:don'?t|do not|dont|never) (?:click|open|reply to)|heads up|"
    r"pretending to be|fake (?:page|account|profile|link)|impersonat\w+|phishing|"
    r"report (?:it|them|the (?:page|account))(?![a-z])"
)
PRAISE_COMPLAINT = re.compile(
    r"only complaint[^.!?]{0,80}(?:too (?:soon|short)|ended)|terrible news[^.!?]{0,40}"
    r"(?:cry|appreciation)|thank god for|in the best way"
)

ENGAGE_QUESTION = cues([
    (r"(?:how|where|when|what time|who) (?:do|can|should|would) (?:i|we|you|they|my|a|schools?)"
     r"(?: \w+){0,3}", 0.75, "question for the organisation"),
    (r"(?:is|are|do|does|can|could|would|will) (?:there|you|the|it|your|babies|kids|children|that|"
     r"a|i|we|carers?|schools?|anyone)[^?]{0,80}\?", 0.7, "question for the organisation"),
    (r"(?:any chance|is there any way|possible to|able to)[^?]{0,80}\?", 0.75, "request"),
    (words("how (?:do|can) i book", "self refer", "self-refer", "sliding scale", "how much",
           "costs?", "prices?", "opening hours", "what time does", "step-?free", "wheelchair",
           "accessible", "evening (?:version|group|session)", "who (?:handles|do i (?:ask|tell|"
           "speak to|contact))", "who'?s best to speak to", "who do i even tell", "who (?:do|should) i (?:call|ring|contact|tell|ask|speak to)",
           "what do i do", "can someone (?:please )?(?:help|ring|call|check)", "please help",
           "can someone help", "get in touch", "dms? open", "email'?s in my bio", "swap counsellors?"),
     0.8, "question or request for the organisation"),
])  # fmt: skip
ENGAGE_ASK = cues([
    (r"(?:who'?s|who is|who would be) (?:the )?(?:best|right person|best person) to (?:contact|speak "
     r"to|ask|email|talk to)|what time (?:are|is|do|does|will)\b[^?]{0,60}\?|"
     r"(?:would|could|will) (?:you|tom|jo|[a-z]+) (?:fancy|like|be (?:up for|interested|able|free))"
     r"[^?]{0,80}\?|(?:is|are|would) (?:this|that|it|the \w+|[a-z]+ [a-z]+) (?:ok|okay|suitable|"
     r"right|good|safe) (?:if|for)\b|is (?:this|that) (?:actually|really|even) (?:you|your page|"
     r"real|legit)", 0.75, "question for the organisation"),
    (r"if you (?:need|want|are looking for) (?:someone|a hand|help|volunteers|a photographer|"
     r"anyone)|no charge|free of charge|happy to (?:help|volunteer|donate|photograph|run|lend|"
     r"give|come|sponsor)|(?:i'?d|i would|we'?d|we would) love to (?:come|visit|help|volunteer|"
     r"photograph|support|get involved|have)", 0.75, "offer or enquiry"),
])  # fmt: skip
ENGAGE_OFFER = cues([
    (words("(?:can|could|would|how (?:do|can)) (?:i|we|you|someone) (?:\\w+ )?volunteer",
           "volunteering (?:going|opportunit\\w+|roles?|going)", "any volunteering",
           "(?:like|love|want|keen) to (?:volunteer|help out|get involved)", "partnership\\w*",
           "sponsor (?:link|me|page)", "(?:do|run|organise|hold|doing|host) (?:a |an )?"
           "(?:\\w+ )?fundrais\\w+ (?:for|gig|event)", "donat\\w+",
           "fund (?:a few|some|free) places", "csr", "collaborat\\w+", "reporter", "journalist",
           "press enquiry", "radio", "podcast (?:guest|interview)", "piece on", "would love \\d+ mins",
           "speak to someone", "run (?:a|an|the) (?:workshop|talk|stall)", "the \\w+ 10k",
           "marathon for", "half marathon for", "charity gig", "fundraiser gig"),
     0.75, "offer or enquiry"),
])  # fmt: skip
ENGAGE_PRAISE = cues([
    (r"(?:thank you|thanks|thank u|ta|cheers)[^.!?]{0,25}(?:so much|for (?:the|all|everything|"
     r"your)|to (?:the|all|everyone))", 0.75, "thanks that invites a reply"),
    (r"(?:can'?t|cannot) thank [^.!?]{0,30}enough|shout ?out (?:to )?[a-z]+|five stars|5 stars|"
     r"⭐⭐⭐⭐⭐|great team|highly recommend|would recommend|kindest|lifesaver", 0.75,
     "praise that invites a thank-you"),
])  # fmt: skip

SPAM = cues([
    (words("crypto", "bitcoin", "btc", "forex", "trading signals?", "invest\\w* (?:with|in)",
           "made £?\\$?[\\d,]+ in (?:one|a|\\d+) (?:week|day)s?", "10x your", "passive income",
           "whatsapp (?:only|me|her|him|\\+)", "message (?:her|him) on whatsapp",
           "followers", "likes and followers", "grow your (?:page|account)", "dm (?:us|me|@\\w+)",
           "link in (?:my )?bio", "check (?:out )?my page", "hot singles", "lonely tonight",
           "singles near", "ambassador", "collab\\??", "giveaway", "giving away £", "vouchers?",
           "claim (?:yours|now|before|your)", "selected (?:for|to receive)", "congratulations",
           "verify (?:your|my) (?:details|account|identity)", "kindly", "dear (?:user|customer)",
           "flagged for unusual activity", "avoid cancellation", "admin fee", "fast-?track",
           "official (?:fast-?track|support) team", "no prescription", "diazepam", "xanax",
           "zopiclone", "tramadol", "next day delivery", "discreet", "50% off", "today only",
           "limited spots", "cash app", "sugar daddy", "onlyfans", "she'?s legit", "he'?s legit",
           "legit 🙏"),
     0.6, "spam cue"),
    # recovery, hacker, spell-caster, loan and work-from-home scams
    (r"(?:recover|recovered|recovering|get back) (?:your |my |all my |their )?(?:lost |stolen )?"
     r"(?:funds|money|crypto|bitcoin|account|investment)|hacked (?:account|page)s?|(?:hacker|"
     r"recovery expert|spell ?caster|love spell|dr\\.? \\w+ (?:helped|brought)|brought (?:my|him|her) "
     r"(?:ex )?back)|(?:earn|make) (?:£|\\$)?\\d[\\d,]*(?:k)? (?:a|per|every) (?:day|week|month)|"
     r"(?:work|working) from home (?:opportunit\\w+|and earn)|(?:instant|quick|easy|guaranteed) "
     r"(?:loans?|cash|approval)|get paid to|click (?:here|the link|below)|(?:bit\\.ly|tinyurl|t\\.me|"
     r"wa\\.me|linktr\\.ee)/|cbd (?:oil|gummies)|weight loss (?:gumm|pill|secret)|essay writing",
     0.6, "scam or advert"),
    # investment and crypto promises
    (r"(?:turned|made|grew|turn|grow) [^.!?]{0,30}(?:into|to) (?:£|\$)[\d,.]+k?|\d+ ?% (?:weekly|daily|monthly|a week|a day|returns?|"
     r"profit)|guaranteed (?:returns?|profits?|income)|(?:fully|100%) guaranteed|presale|pre-sale|"
     r"to the moon|account manager|real deal|(?:message|dm|contact|text) (?:him|her|me|us) on "
     r"(?:telegram|whatsapp|signal)|telegram @|\$[a-z]{3,5}\b|returns? on (?:your )?investment",
     0.6, "investment or crypto promise"),
    # phishing and impersonation of the organisation
    (r"(?:confirm|verify|update|enter|provide|send|re-?enter)(?: us)? (?:your )?(?:full )?(?:name,? |"
     r"email,? |address,? )*(?:and )?(?:date of birth|dob|card details|bank details|card number|"
     r"password|login|log-?in details|sort code)|(?:log|sign) in with (?:your )?(?:email|bank|card)|"
     r"(?:bank|debit|credit) card details|holding deposit|(?:booking|appointment|account) "
     r"(?:system )?(?:is|are) moving|(?:moving|moved) (?:all )?(?:\w+ )?(?:appointments|bookings|"
     r"sessions) to (?:whatsapp|telegram|our new|a new)|download (?:it )?(?:from|our new|the new) "
     r"|keep your (?:place|slot|appointment|account|spot)|(?:will be|get) (?:released|disabled|"
     r"deleted|suspended|removed) (?:within|in|after|unless)|within 24 ?(?:h|hrs|hours)\b|"
     r"your (?:page|account) (?:will be|has been) (?:disabled|suspended|flagged|restricted)",
     0.6, "phishing or impersonation"),
    # romance and "get to know you" scams
    (r"(?:like|love|want) to (?:know|get to know) you (?:better|more)|(?:may|can|could) i (?:know|get to "
     r"know) you|(?:serving|deployed|stationed) (?:with|in) (?:the )?(?:us |u\.s\. |un )?(?:army|military|"
     r"navy|marines|peacekeeping)|sugar (?:baby|babe|mummy|mommy)|(?:hello|hi|hey) dear\b|"
     r"(?:kind|caring|sweet) (?:and (?:caring|kind|honest) )?(?:woman|lady|soul),? (?:may|can|i)",
     0.6, "romance scam"),
    # products, side hustles, views and other selling
    (r"\d+ ?% off|(?:keto|slimming|diet|detox) (?:gummies|pills|tea|drops)|lost \d+ ?(?:stone|kg|lbs?|"
     r"pounds) in|no diet|(?:uk )?outlet|side ?hustle|(?:work|earn|money) from (?:your|my|the) (?:phone|"
     r"sofa|couch|bed)|make (?:£|\$){2,}|quit (?:her|his|my|their) (?:job|9-?5)|be your own boss|"
     r"business opportunit\w+|(?:wellness|income|mlm) opportunit\w+|\d+k? (?:views|followers|likes|"
     r"subscribers)|money back|pump group|join (?:my|our|the) (?:group|channel) (?:now|today)|"
     r"psychic|tarot reading|\bspells?\b|copyright (?:infringement|violation|strike)|page admin|"
     r"community standards|(?:check|open) (?:ur|your) (?:dms?|inbox)|sent (?:u|you) a (?:dm|message)|"
     r"free webinar|(?:£|\$)[\d,]+k?(?:/| a | per )(?:month|week|day)",
     0.6, "selling or scam"),
    # giveaways and follower selling
    (r"tag \d+ (?:friends|mates|people)|(?:follow|like) (?:this|our) page(?:,| and)|lucky "
     r"(?:winners?|families|followers|people)|winners? (?:will be )?(?:dm'?d|announced|picked)|"
     r"(?:free|win an?) (?:iphone|ipad|ps5|macbook)|(?:finish|complete|claim) your (?:entry|prize)",
     0.6, "fake giveaway"),
    (r"followers (?:delivered|guaranteed|in 24)|(?:grow|boost) your (?:reach|following|audience|"
     r"engagement)|(?:real|active) followers|tap (?:our|my|the) bio|cheapest in the uk|"
     r"promote your (?:page|account)", 0.6, "selling followers or promotion"),
])  # fmt: skip
URL = re.compile(
    r"https?://\S+|www\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|xyz|co\.uk|org\.uk|"
    r"io|ly|biz|top|click|shop|store|online|site|live|help|link|app|me|uk|vip|club|win|fun|icu)"
    r"(?:/\S*)?(?![\w-])"
)
MONEY = re.compile(r"£\s?\d|\$\s?\d|\d+k (?:real )?followers|\d+ ?%")
