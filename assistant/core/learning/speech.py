"""Natural self-disclosures: a user's sentence about themself, rewritten as a memory.

People rarely say "my X is Y"; they say "We adopted another puppy called Pixie" or
"Work's been tough, so my outdoor activities have taken a backseat". This module turns
each such sentence into a self-contained third-person candidate ("The user adopted
another puppy called Pixie on 7 May 2023."), and its gate drops what a careful
listener would not keep:
- questions, greetings, thanks and farewells;
- sentences about the other party ("your painting looks great");
- hypotheticals and commands;
- fragments that need their context to mean anything ("I love this genre", "I have one").
Whether a surviving sentence is worth remembering at all is the salience scorer's call.
"""

import re
from datetime import datetime

from assistant.core.learning.dates import resolve_dates
from assistant.core.learning.extract import slot, unquoted
from assistant.core.learning.wording import (
    is_past,
    is_past_ed,
    names_someone_else,
    pronouns_after_first,
    spelled_out,
    third_person_natural,
    wordset,
)

MIN_WORDS = 3
MAX_WORDS = 48
MIN_ANCHORS = 2
NATURAL_PREFIX = "said:"


_CAPTION = re.compile(r"\[shares? [^\]]*\]", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+|\s+[-\u2013\u2014]+\s+|;\s+|(?<=[.!?])(?=[A-Z])")
_DASH = re.compile(r"\s+[-\u2013\u2014]+\s+")
_PAST = re.compile(r"\b(?:was|were|had)\b", re.I)
_LEADING = re.compile(
    r"^(?:(?:yeah|yep|yes|yup|no|nope|oh|ooh|wow|whoa|haha|hah|ha|lol|omg|hey|hi|hello|"
    r"ok|okay|well|so|and|but|plus|also|anyway|anyways|honestly|actually|totally|"
    r"sure|right|aw+|ah|um|uh|hmm|btw|by the way|thanks|thank you|cool|nice|great|"
    r"awesome|exactly|true|indeed|definitely|absolutely|agreed|same|good|glad|sweet|"
    # "I mean, it was great" ("I mean it" is meant).
    r"man|dude|guys|oh man|oh wow|you know|i mean(?=\s*[,.!:])|guess what|to be honest|"
    r"tbh)\b[\s,!.:]*)+",
    re.I,
)
_PREAMBLE = re.compile(
    r"^(?:(?:i )?(?:just )?(?:wanted|want|had|have) to (?:let you know|tell you|share|say|"
    r"update you|fill you in)(?: on| about| that)?|"
    r"since (?:we|i) (?:last )?(?:spoke|talked|chatted|chat)(?: last)?|"
    r"since (?:our|my) last (?:chat|talk|conversation))[,:]?\s+",
    re.I,
)
# "From a distance I mean, since I'm allergic", "Work's been mad, you know, deadlines":
# fillers inside a sentence ("Do you know?", "I mean it" are not).
_FILLER = re.compile(
    r",\s*(?:i mean|you know)(?:[,?]|(?=[.!]*$))|\s+i mean,",
    re.I,
)
_VOCATIVE = re.compile(r"^[A-Z][a-z]+[,!]\s+")
# "I could help, Maria." names the person spoken to: the name is not part of the fact.
_TRAILING_VOCATIVE = re.compile(r",\s+[A-Z][a-z]+(?=[.!]*$)")
_QUESTION_START = re.compile(
    r"^(?:do|does|did|can|could|would|will|what|why|how|where|when|who|which|is|are|"
    r"should|shall|may|might|have you|has|any|anything|ever)\b(?!')"
    # "What I really want is…", "Ever since the move…", "When I was 10, I broke my arm"
    # (a clause before the statement) start statements, not questions.
    r"(?! (?:i|we) (?:really |most |truly )?(?:want|need|love|like|miss)\b| since\b|"
    r" (?:i|i'm|we|my|our)\b[^?]*,)",
    re.I,
)
_SOCIAL = re.compile(
    r"^(?:thanks|thank|bye|goodbye|good ?night|good morning|see (?:you|ya)|talk (?:to you )?"
    r"(?:soon|later)|take care|catch you|have a (?:good|great|nice|fun|wonderful)|"
    r"congrat\w*|cheers|welcome|no worries|no problem|sorry|nice to|good to|great to|"
    r"glad to|happy to hear|sounds|looks|that's|that is|that was|this is|it's|it is|"
    r"it was|what a|how|wishing|hope you|keep (?:it|up)|let me know|let's|lets|"
    r"here's|here is|here are|check|look|take a look|come|enjoy|try|"
    r"remember when|don't|do|please|imagine|"
    r"i have to go|i(?:'ve| have)? gotta go|i(?:'ve| have)? got to go|gotta go)\b",
    re.I,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if i were|if i was|if i had|what if|suppose|imagine|pretend|hypothetically|"
    r"let's say|in a story|i wish|i would have|i'd have|i could have|maybe someday)\b",
    re.I,
)
_FIRST = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself|we|we're|we've|our|us)\b", re.I
)
_SECOND = re.compile(r"\b(?:you|your|yours|yourself|you're|you've|you'd|you'll|ya|u)\b", re.I)
# A named time ("this October", "this morning", "these days") is resolved by the dates,
# not by the conversation.
_NAMED_TIME = (
    "weekend|week|month|year|summer|winter|spring|fall|autumn|semester|term|days|"
    "morning|afternoon|evening|night|monday|tuesday|wednesday|thursday|friday|saturday|"
    "sunday|january|february|march|april|may|june|july|august|september|october|"
    "november|december"
)
# A sentence that ends on a word pointing back at the conversation ("I have one",
# "I love this genre", "I told him") means nothing once it is lifted out of it.
_POINTERS = "it|this|that|these|those|one|ones|him|her|them|there|here"
# "I just submitted a few more": more of what the conversation was about.
_MORE = "(?:a few|a couple|some|several|many|lots|a lot|plenty) more"
_DANGLING = re.compile(
    rf"\b(?:{_POINTERS}|something|someone|{_MORE}|(?:one|two|three) more|"
    r"(?:this|that|these|those|such) "
    rf"(?!(?:{_NAMED_TIME})\b)\w+|"
    r"(?:it|this|that)(?:'s| is| was)|"
    # "I'm a huge fan": of what, the conversation said ("a Liverpool fan" names it).
    r"(?:a|huge|big|massive|great|total|real|biggest) fans?)\W*$|"
    # …also a bare one before a time: "I told him yesterday", "I bought one last week"
    # (not "a class that starts next month").
    rf"\b(?:{_POINTERS}|{_MORE})"
    r"\s+(?:yesterday|today|tonight|lately|recently|again|anymore|(?:in|for) (?:a while|"
    rf"ages|years|months)|(?:last|this|next) (?:{_NAMED_TIME}))\W*$",
    re.I,
)
# Where a clause ends: a pronoun after one may point back at what the earlier clause
# names ("My commute is an hour each way and I hate every minute of it").
_CLAUSE_END = re.compile(
    r"[,;]|\b(?:and|but|so|because|since|though|although|that|who|which|after|until)\b",
    re.I,
)
# A reaction to what was just said or shown ("I love how uncomplicated it is", "I love
# that you chose pottery", "…, it looks so cozy") is about the moment, not the user.
_REACTION = re.compile(
    r"\b(?:i|we|the user)(?: really| just| totally| so| also)? "
    r"(?:love|like|enjoy|hate|adore|appreciate)s? (?:that|how|when|the way|"
    # "I love the color and texture", "I like the idea": of what was just shown or said
    # (not "the smell of rain").
    r"the (?:idea|colou?rs?|texture|acting|structure|look|looks|sound|vibes?|design|concept|"
    r"plot|story|ending|style|details?|shape|smell|taste|feel|message|lyrics|view|energy|"
    r"atmosphere|theme)\b(?! of))\b|"
    r",\s*(?:it|this|that|they) (?:looks|sounds|seems)\b|"
    # "I bet the nerves were quite a rush": a guess at the other party's experience.
    r"^i bet\b",
    re.I,
)
# "Gonna continue my edu", "Gives me a visual of my progress", "[Thanks] for being a
# part of this with me": the subject was left out, so who did what is guesswork.
_NO_SUBJECT = re.compile(
    r"^(?:gonna|gotta|wanna|gives|keeps|makes|helps|reminds|means|hope|hoping|"
    r"for (?:\w+ing|always)\b)\b",
    re.I,
)
# Talk about the conversation itself ("A lot's happened since we last chatted", "I
# couldn't agree more") and pep talk without a fact in it ("I won't give up", "We can
# make a difference"): a listener keeps what happened, not the encouragement.
_ABOUT_THE_TALK = re.compile(
    r"\b(?:(?:a lot|much|lots|so much)(?:'s| has)? (?:been )?(?:happened|going on)|"
    r"agree|since (?:we|i) (?:last )?(?:spoke|talked|chatted|chat)|"
    r"(?:we|i) (?:haven't|hadn't|have not) (?:talked|spoken|chatted))\b",
    re.I,
)
_PEP_TALK = re.compile(
    r"\b(?:give up|keep (?:on )?going|make (?:a|an) (?:\w+ )?"
    r"(?:difference|impact)|keep (?:on )?believing|quit on|stay(?:ing)? (?:positive|determined|"
    r"focused|strong)|make it work|worth it|hold (?:me|us) back|keep (?:on )?pushing|"
    # "All my hard work is paying off", "I'm gonna keep trying new things"
    r"hard work|keep (?:on )?trying|keep (?:on )?(?:working |plugging |going )?at it)\b",
    re.I,
)
# "I'm truly grateful for all the support", "I'm so lucky to have such great friends":
# thanks in other words, said to the moment, not a fact a listener files away.
_GRATITUDE = re.compile(
    r"^(?:i|we)(?:'m| am|'re| are| feel| felt| was| were)? "
    r"(?:(?:so|really|truly|very|super|incredibly|extremely|just|also|always|forever|"
    r"beyond|deeply|eternally) )*"
    r"(?:grateful|thankful|(?:lucky|blessed|fortunate) (?:to have|for))\b",
    re.I,
)
# What people give thanks for without naming a fact: "…for all the support I've got
# from friends and mentors" ("…grateful for my new job at Google" names one, and stays).
_THANKED_FOR = wordset(
    "support supportive help love kindness encouragement friends friend family mentors "
    "mentor community people everyone folks loved ones system chance opportunity "
    "opportunities experiences blessings around truly got gotten received"
)


def _gratitude(sentence: str) -> bool:
    """Whether a sentence thanks for support or people rather than telling a fact."""
    found = _GRATITUDE.match(sentence)
    if found is None:
        return False
    rest = (w.strip("'") for w in anchors(sentence[found.end() :]))
    return all(w in _THANKED_FOR or w in _GENERAL_WORDS or w in _FEELINGS for w in rest)


# "Even when times are hard, they always have my back": after a clause in front, a
# pronoun as the subject with no one named before it points back into the conversation
# ("When my parents visit, they cook" names them).
_FRONTED_POINTING = re.compile(
    r"^(?:even |and |but )?(?:when|whenever|if|while|though|although|because|since|"
    r"after|before|once)\b(?P<front>[^,]*),\s*(?:they|he|she)\b",
    re.I,
)


def _pointing_after_front(sentence: str) -> bool:
    """Whether a sentence's main subject is a pronoun that its front clause leaves unnamed."""
    found = _FRONTED_POINTING.match(sentence)
    return found is not None and not names_someone_else(sentence[: found.end("front")])


# Words that name a passing feeling: "I'm so excited", "I'm super thankful" say how the
# user felt in the moment, and nothing a listener would keep without what caused it.
_FEELINGS = wordset(
    "excited exciting happy thankful grateful stoked thrilled glad proud sad nervous lucky "
    "blessed pumped psyched touched honored honoured moved inspired relieved worried scared "
    "sorry bummed overwhelmed amazed impressed speechless jealous curious determined "
    "motivated positive hopeful ready fine okay bad tired feeling"
)
# What a feeling can be about without saying anything: "I'm hopeful about the future".
_VAGUE_CAUSES = wordset("future life today tonight lately right everything")
# "We can tackle life's challenges together", "We gotta push ourselves": what "we" (people,
# the two speakers, a team) can or should do is encouragement, not something that happened
# ("We'll move to Denver" is a plan, and stays).
_WE_EXHORT = re.compile(
    r"\bwe (?:can|could|should|need to|must|gotta|have to|got to)\b",
    re.I,
)
# The only first-person words are "us", "our", "ourselves" ("Pets are the best for lifting
# our spirits", "Taking care of ourselves is key"): a saying about people in general.
_GENERAL_FIRST = wordset("us our ourselves")
# "To have this outlet to share my stories": a purpose, with or without its subject.
_PURPOSE = re.compile(r"to \w+", re.I)
_SUBJECT_WORD = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|i'll|we|we're|we've)\b", re.I)
_SINGULAR_FIRST = wordset("i i'm im i've ive i'd i'll me my mine myself")
# A sentence whose subject points back into the conversation ("It was so powerful",
# "They've been there through everything", "Their support keeps me going", "Her stories
# still inspire me") says nothing on its own.
_POINTING_SUBJECT = re.compile(
    r"^(?:it|it's|it'll|it was|they|they're|they've|that|that's|this|these|those|he|"
    rf"he's|she|she's|both|such|their|his|her|its)\b(?! (?:{_NAMED_TIME})\b)",
    re.I,
)
# An object that names nothing, and the words that dress it up without naming it.
_INDEFINITE_WORDS = wordset("something anything everything things stuff")
_INDEFINITE = re.compile(r"\b(?:something|anything|everything|things|stuff)\b", re.I)
_GENERIC_TRAITS = wordset(
    "new exciting excited special big crazy cool fun different interesting important "
    "wild random little huge small fresh whole certain"
)
# Words that carry no fact of their own: light verbs, praise, general nouns and the
# function words _STOP leaves out. A sentence made only of them ("I'm working hard to make
# everything just right", "I try to do the right thing", "I've had quite the adventure")
# tells a listener nothing to keep; one specific word ("I'm still working on my business")
# is enough.
_GENERAL_WORDS = wordset(
    "try trying tried work working worked keep keeping kept want wanted need needed take "
    "took taking give gave find found finding see saw seen seeing help helped helping let "
    "start started stay staying put come came look looking bring brought hope hoping enjoy "
    "enjoyed appreciate appreciated seem seems believe remember doing "
    "hard tough fun cool special important new little big best better real whole right "
    "happy glad excited proud lucky grateful thankful stoked keen incredible wonderful "
    "fantastic "
    "life people everyone everything something anything moment moments memories memory "
    "plan plans journey adventure experience feeling feelings world others part idea ideas "
    "effort progress support encouragement times "
    "quite rather enough though although because while since until maybe probably perhaps "
    "actually literally basically seriously especially lately recently already anymore "
    "either whether without within through during before after around across toward "
    "towards upon onto"
)
_VAGUE_OBJECT = re.compile(
    r"\b(?:i|we)(?:'m| am| are|'re)? (?:\w+ly |really |also |so |just )?"
    r"(?:love|like|enjoy|hate|have|had|got|get|do|did|feel|felt|know|knew|think|mean|"
    r"agree|understand|see|saw|remember|appreciate|find|found|encourage|recommend|support)s? "
    r"(?:it|this|that|these|those|one|them|him|her|so|too)\b",
    re.I,
)
# "We want it to spread understanding", "I bought them last week": a pronoun as the
# object of what the user did points at something only the conversation names.
_VAGUE_PRONOUN = re.compile(
    r"\b(?:i|we)(?:'ve| have|'d| had|'m| am|'re| are)? (?:really |also |just |finally |"
    r"already |still )?"
    r"(?:want|wanted|need|needed|use|used|using|buy|bought|buying|try|tried|trying|read|"
    r"reading|watch|watched|watching|play|played|playing|miss|missed|keep|kept|keeping|take|"
    r"took|taking|give|gave|giving|wear|wore|wearing|show|showed|share|shared|sharing|sell|"
    r"sold|selling|fix|fixed|fixing|love|loved|hate|hated)s? (?:it|them|him|her|one)\b",
    re.I,
)
# "I'd recommend visiting some castles", "I recommend finding a series to read": advice
# to the listener on what to do, not a fact about the user ("I recommend Dune" stays).
_ADVICE = re.compile(
    r"^i(?:'d| would)? (?:really |highly |definitely |totally )?"
    r"(?:rec{1,2}om{1,2}end|suggest|advise) \w+ing\b",
    re.I,
)
# "Can't wait to experience it for myself", "I'd love to visit them one day": with nothing
# named before it, what "it" is the conversation said ("…visit Japan to see it" names it).
_TO_DO_IT = re.compile(r"\b(?:to \w+|\w+ing) (?:it|them|him|her)\b", re.I)
# "Moments like these remind me…", "We're lucky to have places like that", "I had a
# little doll like this": a comparison with what was just said or shown. ("Hiking and
# things like that" is a list's "and so on", and stays.)
_LIKE_THAT = re.compile(
    r"\b(?:(?:moments?|places?|times|days|people|nights|mornings)|(?:a|an) \w+(?: \w+)?) "
    r"like (?:this|that|these|those)\b",
    re.I,
)
# "We both have so much potential", "both of us": the two people talking, not the user's
# household, unless the sentence names the pair ("My wife and I both love jazz").
_BOTH_OF_US = re.compile(r"\bwe (?:\w+ )?both\b|\bboth of us\b", re.I)
_A_NAMED_PAIR = re.compile(r"\band (?:i|me)\b|\bmy \w+ and\b", re.I)
_STOP = wordset(
    "a an the and or but so to of in on at for with from by about as into than then "
    "i me my mine myself we us our you your he him his she her they them their it its "
    "this that these those there here there's there've there're "
    "what which who whom when where why how "
    "is am are was were be been being have has had do does did done will would can "
    "could should might must may shall not no yes just really very so too also "
    "all any some more most much many lot lots such own same other one ones "
    "get got getting go going went gone make made thing things stuff way ways "
    "like love feel felt think know mean sure well good great nice awesome amazing "
    "time day days always never ever still even now again back out up down off over "
    "i'm i've i'd i'll it's that's what's we're we've don't didn't can't won't "
    "been being super totally pretty kind sort bit"
)


def anchors(text: str) -> list[str]:
    """The content words that carry a sentence's meaning on its own."""
    words = re.findall(r"[a-z][a-z'-]+|\d+", text.lower())
    return [w for w in words if (w not in _STOP and w != "user" and len(w) > 2) or w.isdigit()]


def without_captions(text: str) -> str:
    """The message without "[shares a photo of…]": a caption describes a picture, not the user."""
    return _CAPTION.sub(" ", text)


# Chat drops the "I": "Just got back from a retreat", "Been busy with the kids", "Passed
# the bar exam!!", "Love gardening", "Hoping to adopt a second dog". The
# subject is put back, so the gate and the rewrite see who did it. Which words may open
# such a sentence is a closed set or a form (-ed, -ing), so a sentence that opens on a
# noun or a command keeps no "I".
_DROPPED_I = re.compile(
    r"^((?:just|finally|recently|also|still|already|actually|only|always) )?"
    r"([A-Za-z]+)\b(?!')(.*)$",
    re.I | re.S,
)
# -ed states that take "I'm" ("Excited for the weekend!" is "I'm excited…", "Engaged
# now!" is "I'm engaged now").
_STATE_ED = wordset(
    "excited tired stressed bored worried scared thrilled exhausted relieved amazed "
    "interested obsessed pleased blessed annoyed frustrated overwhelmed confused surprised "
    "impressed motivated inspired determined devastated engaged married retired divorced "
    "employed unemployed hooked addicted stuck supposed"
)
_AFTER_A_NAME = wordset("and is was has had said says told asked thinks")
_LIKING = wordset("love loved hate hated miss missed adore adored enjoy enjoyed prefer")
# -ing words that open a chat sentence as what the user is doing ("Learning Japanese
# right now"). A closed list: an -ing opener is as often a subject ("Writing isn't always
# easy", "Growing up, …") or a name ("Rowling").
_DOING = wordset(
    "hoping planning thinking trying heading working learning studying training moving "
    "flying leaving starting going getting taking registering signing applying saving "
    "packing preparing"
)
_NOT_AN_OBJECT = wordset(
    "is was are were has had can could will would must might may should makes brings "
    "the this that these those it it's your you how what when"
)
# "Trying new things takes guts": the -ing phrase is the subject of a verb of its own,
# a saying, not the user's news.
_GERUND_SUBJECT = re.compile(
    # The phrase may run on through a list ("Trying chocolate, raspberry and coconut has
    # been a blast"), but a verb after a subject of its own ("…, it is going well") is
    # that subject's.
    r"^\w+ing\b[^;]*?(?<!\bit )(?<!\bhe )(?<!\bshe )(?<!\bthey )(?<!\bi )(?<!\bwe )"
    r"(?<!\bthat )(?<!\bthis )(?<!\bthere )(?<!\bwhich )(?<!\bwho )"
    r"\b(?P<verb>takes|is|was|are|were|makes|made|can|could|will|would|gives|gave|helps|helped|keeps|kept|has|had|means|feels|felt|gets|got|brings|brought|"
    r"reminds|reminded|looks|sounds|seems|went|changed|puts|must|might|(?-i:may)|should|shall|"
    r"let|lets|opens|needs|teaches|shows|matters|costs|adds|isn't|wasn't|aren't|doesn't|"
    r"hasn't|won't|can't)\b|^\w+ing\b[^,;]*?\w's\b",
    re.I,
)
# …nor a verb whose own subject follows a comma: in "Training for the Berlin marathon,
# my knees are sore" the knees are, and the training is the user's news.
_OWN_SUBJECT = re.compile(
    r",\s+(?:and\s+)?(?:my|our|the|his|her|their|your|a|an)\s+(?:[\w'-]+\s+){1,3}$", re.I
)


def _gerund_subject(sentence: str) -> bool:
    """Whether a sentence's opening -ing phrase is the subject of a verb of its own."""
    found = _GERUND_SUBJECT.match(sentence)
    if found is None:
        return False
    return not (found.group("verb") and _OWN_SUBJECT.search(sentence[: found.start("verb")]))


# "Reflecting on what went wrong could help me get back on track": an -ing phrase as the
# subject of "could" weighs advice; it tells nothing that happened ("Working on my novel,
# I could use a break" has its own subject, "a trip that could take us to Peru" is a
# clause's).
_MIGHT_HELP = re.compile(
    r"^\w+ing\b.*?(?<!\bi)(?<!\bwe)(?<!\byou)(?<!\bhe)(?<!\bshe)(?<!\bthey)(?<!\bit)"
    r"(?<!\bthat)(?<!\bwhich)(?<!\bwho) (?:could|would|might|(?-i:may)|should)\b",
    re.I,
)


# "Gonna be a great night", "Gonna be fun": what the event will be like, not who.
_IT_WILL_BE = re.compile(
    r"gonna be (?:(?:a|an|such an?|the|one)\b.*\b(?:night|day|time|week|weekend|year|party|"
    r"trip|blast|ride|game|show|event|season|summer|one|evening|morning)\b|(?:so |really |"
    r"super |a lot of )?(?:fun|great|awesome|amazing|epic|wild|tough|hard|interesting|cool|"
    r"nice|good|lit|crazy|intense|emotional)\b)",
    re.I,
)


# "Was super nervous before the talk": a feeling is the speaker's ("Was a great show" is not).
_FELT = re.compile(
    r" (?:(?:so|super|really|very|pretty|kinda|a bit|a little|totally) )?(\w+)",
    re.I,
)


def _with_subject(sentence: str, be: str = "I'm") -> str:
    """`sentence` with the "I" chat drops put back; `be` is the "I'm" it may need ("I
    was" where the sentence goes on about a past one)."""
    found = _DROPPED_I.match(sentence)
    if found is None or len(sentence.split()) < 2:
        return sentence
    adverb, word, rest = (found.group(1) or "").lower(), found.group(2), found.group(3)
    verb = word.lower()
    if verb == "been":
        return f"I've {adverb}been{rest}"
    if verb == "was" and (felt := _FELT.match(rest)) and felt.group(1).lower() in _FEELINGS:
        return f"I {adverb}was{rest}"  # "Was super nervous before the talk"
    if verb == "gonna" and _IT_WILL_BE.match(sentence):
        return sentence  # "Gonna be a great night!" is "it", not "I"
    if verb == "gonna" or (verb in _DOING and not _gerund_subject(sentence)):
        return f"{be} {adverb}{verb}{rest}"
    if verb in _STATE_ED:
        return f"{be} {adverb}{verb}{rest}"
    after = rest.split(maxsplit=1)[0].lower().strip(",.!") if rest.split() else ""
    if after in ("you", "u", "ya"):
        return sentence  # "Did you know…", "Love you guys" are said to someone
    past = is_past(verb) or (len(verb) > 4 and is_past_ed(verb))
    # "Jared and I went", "Ahmed is my brother": a name, not a past tense.
    if past and after not in _AFTER_A_NAME:
        return f"I {adverb}{verb}{rest}"
    # "Love gardening"; not "Love is magic", nor "Love the colours!", which is said of
    # a photo just shared.
    if verb in _LIKING and not adverb and after and after not in _NOT_AN_OBJECT:
        return f"I {verb}{rest}"
    return sentence


def sentences(text: str) -> list[str]:
    """A message's sentences, without photo captions, quoted speech and leading
    interjections, with a dropped "I" put back."""
    text = unquoted(without_captions(text))
    out = []
    after_past, at = False, 0
    for found in [*_SENTENCE.finditer(text), None]:
        end = found.start() if found else len(text)
        raw, at = text[at:end], found.end() if found else end
        sentence = _FILLER.sub(",", " ".join(raw.split())).strip(" ,;:")
        for _ in range(3):
            sentence = _PREAMBLE.sub("", _LEADING.sub("", sentence))
            if _FIRST.search(sentence):
                sentence = _TRAILING_VOCATIVE.sub("", _VOCATIVE.sub("", sentence))
        if sentence:
            # After a dash, a piece with no subject goes on about what came before it, in
            # its tense: "It was hard work - getting sponsors, …" is what the user was
            # doing then, not news ("Been busy - moving house" stays "I'm moving house").
            out.append(_with_subject(sentence, "I was" if after_past else "I'm"))
        after_past = bool(found and _DASH.fullmatch(found.group()) and _PAST.search(raw))
    return out


def names_nothing(text: str) -> bool:
    """Whether what the user did or has is left unnamed: "I tackled something new", "I've
    been working on something exciting too", "Crazy things happened". A listener keeps
    what it was; "something" with an adjective is not it."""
    if _INDEFINITE.search(text) is None:
        return False
    named = [w for w in anchors(text) if w not in _INDEFINITE_WORDS and w not in _GENERIC_TRAITS]
    return len(named) < MIN_ANCHORS


def says_nothing_specific(text: str) -> bool:
    """Whether every content word is general: effort, praise, plans and people in the
    abstract, with nothing that names what the user does, has or likes."""
    return all(word in _GENERAL_WORDS for word in anchors(text))


def feeling_only(text: str) -> bool:
    """Whether a sentence's only content is a passing feeling ("The user is so excited")."""
    words = anchors(text)
    return bool(words) and all(word in _FEELINGS or word in _VAGUE_CAUSES for word in words)


def addresses_the_other_party(text: str) -> bool:
    """Whether a sentence speaks to or about the person the user is talking with."""
    return _SECOND.search(text) is not None


def reacts_to_the_moment(text: str) -> bool:
    """Whether a sentence reacts to what was just said or shown rather than telling a fact."""
    return _REACTION.search(text) is not None


def _points_back(sentence: str, at: int) -> bool:
    """Whether a pronoun at `at` can point back inside its own sentence: an earlier
    clause names something ("I'm bisexual and my family's been great about it")."""
    ends = [m.start() for m in _CLAUSE_END.finditer(sentence, 0, at)]
    return bool(ends) and bool(anchors(sentence[: ends[-1]]))


def _named_before(sentence: str, at: int) -> bool:
    """Whether something a pronoun at `at` can stand for is named before it."""
    return _points_back(sentence, at) or len(anchors(sentence[:at])) >= MIN_ANCHORS


def gate(sentence: str) -> str | None:
    """Why a sentence cannot stand as a memory about the user, or None when it can."""
    words = sentence.split()
    if sentence.endswith("?"):
        return "question"
    if _QUESTION_START.match(sentence):
        return "question"
    if _SOCIAL.match(sentence) or _gratitude(sentence):
        return "social"
    if len(words) < MIN_WORDS:
        return "fragment"
    if len(words) > MAX_WORDS:
        return "run-on"
    if _HYPOTHETICAL.search(sentence) or _MIGHT_HELP.match(sentence):
        return "hypothetical"
    if _NO_SUBJECT.match(sentence) or (
        # "To have this outlet to share my stories": a purpose with no one doing it
        # ("To celebrate, I went to Paris" has its "I").
        _PURPOSE.match(sentence) and not _SUBJECT_WORD.search(sentence)
    ):
        return "no subject"
    firsts = {word.lower() for word in _FIRST.findall(sentence)}
    if not firsts:
        return "not about the user"
    if firsts <= _GENERAL_FIRST and not re.match(r"our\b", sentence, re.I):
        return "about people in general"
    if _WE_EXHORT.search(sentence) and not firsts & _SINGULAR_FIRST:
        return "about people in general"
    if _ADVICE.match(sentence):
        return "about the other party"
    if addresses_the_other_party(sentence) or (
        _BOTH_OF_US.search(sentence) and not _A_NAMED_PAIR.search(sentence)
    ):
        return "about the other party"
    if _POINTING_SUBJECT.match(sentence) or _pointing_after_front(sentence):
        return "needs its context"
    if _LIKE_THAT.search(sentence):
        return "needs its context"
    for pattern in (_DANGLING, _VAGUE_OBJECT):
        found = pattern.search(sentence)
        if found and not _points_back(sentence, found.start()):
            return "needs its context"
    # The object of a deed can point back within its own clause: "For my son's birthday
    # we're taking him to Disney", "I want to visit Japan to see it".
    for pattern in (_VAGUE_PRONOUN, _TO_DO_IT):
        found = pattern.search(sentence)
        if found and not _named_before(sentence, found.start()):
            return "needs its context"
    if reacts_to_the_moment(sentence):
        return "a reaction"
    if _ABOUT_THE_TALK.search(sentence):
        return "about the conversation"
    if _PEP_TALK.search(sentence):
        return "pep talk"
    if feeling_only(sentence):
        return "a passing feeling"
    if len(anchors(sentence)) < MIN_ANCHORS:
        return "needs its context"
    if names_nothing(sentence) or says_nothing_specific(sentence):
        return "names nothing"
    return None


def named_rewrite(sentence: str, when: datetime | None) -> str:
    """The memory text with the user named each time ("the user", "the user's"): third
    person, relative times resolved, chat spelling written out, one clean sentence.
    `wording.they_after_first` turns it into what a reader sees."""
    text = third_person_natural(spelled_out(resolve_dates(sentence, when)))
    text = re.sub(r"\s+([,.!])", r"\1", text).strip(" ,;:-")
    text = re.sub(r"[!.]+$", "", text).replace("!", ".")
    return text[:1].upper() + text[1:] + "." if text else ""


def rewrite(sentence: str, when: datetime | None) -> str:
    """The memory text as the salience scorer reads it: `named_rewrite` with a later
    possessive as "their" and a later object as "them"."""
    return pronouns_after_first(named_rewrite(sentence, when))


def natural_key(text: str) -> str:
    """A slot of its own for a natural memory: only near-duplicates or merges touch it."""
    return f"{NATURAL_PREFIX}{slot(text, 8)}"
