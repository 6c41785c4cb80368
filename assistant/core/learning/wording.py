"""How a memory is worded: the user's first person as "the user", with verbs that agree,
chat spelling written out and pronouns after the first mention.

The speech path (`speech.rewrite`) and the rules' memories (`disclosures.Extractor`)
both read through it, so a memory in the list reads as a person would write it down:
"The user is going to continue their education", not "The user is gonna continue the
user's edu".
"""

import re


def wordset(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (long lists stay readable)."""
    return frozenset(words.split())


_SINGULAR = [
    (re.compile(r"\bI'm\b|\bI am\b", re.I), "the user is"),
    (re.compile(r"\bI've\b", re.I), "the user has"),
    (re.compile(r"\bI'll\b", re.I), "the user will"),
    (re.compile(r"\bI'd\b", re.I), "the user would"),
    (re.compile(r"\bI was\b", re.I), "the user was"),
    (re.compile(r"(?<!\band )\bI don't\b", re.I), "the user doesn't"),
    (re.compile(r"(?<!\band )\bI haven't\b", re.I), "the user hasn't"),
    (re.compile(r"\bmyself\b", re.I), "themself"),
    (re.compile(r"\bmine\b", re.I), "the user's"),
    (re.compile(r"\bmy\b", re.I), "the user's"),
    (re.compile(r"\bme\b", re.I), "the user"),
    (re.compile(r"\bI\b"), "the user"),
]
# In what the user tells about their life, "we" is the user and the people they live
# with; in an instruction ("when we talk about code") it is the user and the assistant,
# so the rules' wording (`third_person`) leaves it alone.
_HOUSEHOLD = "the user and their family"
# The forms of "we", each with the verb it carries: "we're" is "<who> are".
_WE = [
    (re.compile(r"\bwe're\b|\bwe are\b", re.I), " are"),
    (re.compile(r"\bwe've\b", re.I), " have"),
    (re.compile(r"\bwe'll\b", re.I), " will"),
    (re.compile(r"\bwe'd\b", re.I), " would"),
    (re.compile(r"\bwe\b", re.I), ""),
]
_PLURAL = [
    (re.compile(r"\bour\b", re.I), "their"),
    (re.compile(r"\bours\b", re.I), "theirs"),
    (re.compile(r"\bourselves\b", re.I), "themselves"),
    (re.compile(r"\bus\b"), "them"),
]
# An adverb between a subject and its verb ("I really go", "the user just feels").
_ADVERB = (
    r"((?:\w+ly |just |still |also |often |never |always |really |first |then |once |"
    r"sometimes |even |only |ever )?)"
)
# "I go" agrees as "the user goes"; in "my partner and I are" the subject is plural.
_SUBJECT = re.compile(rf"\bI {_ADVERB}([a-z]+(?:n't)?)\b(?!')")
_PAST_IRREGULAR = wordset(
    "got went had did made took saw met ran bought found gave won lost became came left "
    "wrote began felt knew thought told said heard kept brought taught caught spent sent "
    "built sat stood grew drew flew threw wore chose forgot sold held paid quit ate drank "
    "swam sang rode drove fell fed led slept woke broke spoke stole hung dug lit shot hid "
    "shook understood beat learnt burnt"
)
# A past tense with a prefix ("retook", "overslept", "misunderstood") is still past.
_PREFIXES = ("re", "over", "under", "mis", "out", "with", "fore", "up")
_NOT_PRESENT = _PAST_IRREGULAR | wordset(
    "was were can could will would should might must read put let set hit cut bit "
    "won't don't didn't can't couldn't wouldn't gotta gonna wanna used "
    "may shall also just really still always never often usually recently finally "
    "already actually even only totally definitely absolutely kinda sort kind "
    "been has does is"
)


# Words in -ed that are not a past tense: "I need" is present ("the user needs").
_NOT_PAST_ED = wordset(
    "need seed speed feed breed bleed weed deed heed greed indeed shed sled bed red wed "
    "bred embed exceed proceed succeed based related"
)


def is_past_ed(word: str) -> bool:
    """A regular past tense ("moved"), not a word that merely ends in -ed ("need")."""
    return word.endswith("ed") and word not in _NOT_PAST_ED


def is_past(verb: str) -> bool:
    """An irregular past tense, prefixed or not ("took", "retook")."""
    return verb in _PAST_IRREGULAR or any(
        verb.startswith(p) and verb[len(p) :] in _PAST_IRREGULAR for p in _PREFIXES
    )


_IRREGULAR = {"have": "has", "do": "does", "go": "goes", "am": "is"}


def _third(verb: str) -> str:
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


# Words for people: "my sister and I go" has a plural subject, "…infrastructure and I know"
# does not; and a later "I" reads "they" only where no one else could be meant.
_PERSON_NOUNS = (
    r"mom|mum|dad|mother|father|parents?|sisters?|brothers?|siblings?|sons?|daughters?|kids?|"
    r"child|children|bab(?:y|ies)|wife|husband|partners?|boyfriend|girlfriend|fianc[eé]e?|"
    r"friends?|buddy|buddies|bestie|colleagues?|coworkers?|co-workers?|boss|team|teammates?|"
    r"grand(?:ma|pa|mother|father|parents?)|aunts?|uncles?|cousins?|nieces?|nephews?|"
    r"students?|teachers?|mentors?|neighbou?rs?|doctors?"
)
_PEOPLE = _PERSON_NOUNS + r"|him|her|them|he|she|they"
_WITH_SOMEONE = re.compile(rf"\b(?:{_PEOPLE}) and $", re.I)
_WITH_A_NAME = re.compile(r"\b(?!I\b)[A-Z][a-z]+ and $")
# Once the user is named, a later subject reads "they": "The user was out walking when
# they came across…", not "…when the user came across…". The plural's verb drops the
# singular's -s: "the user feels" -> "they feel".
_PLURAL_VERB = {
    "is": "are",
    "was": "were",
    "has": "have",
    "does": "do",
    "isn't": "aren't",
    "wasn't": "weren't",
    "hasn't": "haven't",
    "doesn't": "don't",
}
# "I definitely don't" -> "the user definitely doesn't": the plural's negations, reversed.
_NEGATED = {plural: third for third, plural in _PLURAL_VERB.items() if plural.endswith("n't")}


def _has_s(verb: str) -> bool:
    """Whether a verb already has the third person's -s: "loves", not "miss" or "focus"."""
    return verb.endswith("s") and not verb.endswith(("ss", "us"))


def _agree(match: re.Match[str]) -> str:
    adverb, verb = match.group(1), match.group(2)
    before = match.string[: match.start()]
    # "My partner and I go" has a plural subject; "I ran, and I feel great" does not.
    plural = (
        _WITH_SOMEONE.search(before) is not None or _WITH_A_NAME.search(before) is not None
    ) and not re.search(r"\bI\b", before)
    if verb.endswith("n't"):
        return f"the user {adverb}{verb if plural else _NEGATED.get(verb, verb)}"
    if plural or verb in _NOT_PRESENT or is_past(verb) or is_past_ed(verb) or _has_s(verb):
        return f"the user {adverb}{verb}"
    return f"the user {adverb}{_third(verb)}"


# The start of a sentence up to its first "our", with no other first-person word before it.
_BEFORE_OUR = r"^((?:(?!\b(?:i|i'm|i've|me|my|we|we're|we've|us)\b).)*?)\bour"
_OUR_FIRST = re.compile(_BEFORE_OUR + r"\b", re.I)
# "Our son Leo turns seven": the user's child ("the user and their family's son" is no one's
# way of saying it). A pet or a house stays the household's.
_OUR_CHILD = re.compile(
    _BEFORE_OUR + " "
    r"((?:(?:little|baby|eldest|oldest|youngest|middle|two|three|new|newborn) )?"
    r"(?:sons?|daughters?|kids?|child|children|bab(?:y|ies)|twins|boys?|girls?|"
    r"grandkids?|grandchildren|grand(?:son|daughter)s?|little ones?)\b)",
    re.I,
)


_LATER_SUBJECT = re.compile(
    # Not the object of a preposition ("hard for the user to…", "proud of the user"); after
    # "feel like", "like" joins a clause ("feels like they can't stop writing").
    r"(?<!\bfor )(?<!\bto )(?<!\bwith )(?<!\bof )(?<!\bfrom )(?<!\bby )"
    r"(?:(?<!\blike )|(?<=\bfeel like )|(?<=\bfeels like )|(?<=\bfelt like ))\bthe user "
    rf"{_ADVERB}([a-z']+)\b(?!')"
)
# …but only where "they" can mean no one else: with another person in the sentence ("The
# user's sister visited and the user cooked"), "they" could be either, and "the user" stays.
_OTHER_PEOPLE = re.compile(
    r"\b(?:his|hers|he's|she's|they're|they've|theirs|we|"
    rf"we're|we've|us|our|ours|you|your|yours|you're|u|ya|{_PEOPLE}|group|gang|crew|club|"
    r"class|family|people|folks|guys|everyone|everybody|someone|somebody|anyone|community|"
    r"others)\b",
    re.I,
)
_NOT_A_NAME = wordset(
    "The I January February March April May June July August September October November "
    "December Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
)


def names_someone_else(sentence: str) -> bool:
    """Whether a sentence mentions anyone besides the user: a person word or a name."""
    if _OTHER_PEOPLE.search(sentence):
        return True
    # A capital after "in", "at", "near" is a place ("in Ohio"), not a person.
    words = re.findall(
        r"(?<!^)(?<!\bin )(?<!\bat )(?<!\bnear )(?<!\baround )\b[A-Z][\w'-]*", sentence.strip()
    )
    return any(w not in _NOT_A_NAME for w in words)


def _plural(verb: str) -> str:
    if verb in _PLURAL_VERB:
        return _PLURAL_VERB[verb]
    if verb in _NOT_PRESENT or is_past(verb) or is_past_ed(verb) or verb.endswith("ss"):
        return verb
    if len(verb) < 4:  # "was", "has" are above; "is" and "as" are not verbs in -s
        return verb
    if verb.endswith("ies") and len(verb) > 4:  # "tries" -> "try", "lies" -> "lie"
        return verb[:-3] + "y"
    if verb.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1] if verb.endswith("s") else verb


# Verbs whose object a person is, followed by what they do or feel: "get the user pumped",
# "made the user smile".
_PERSON_VERBS = wordset(
    "get gets got make makes made let lets have has had keep keeps kept help helps helped "
    "see saw watch watched want wanted leave left find found"
)


_FAMILY = re.compile(r"\bthe user and their family('s)?", re.I)
_AFTER_A_PREPOSITION = re.compile(r"\b(?:for|to|with|of|from|by|like|about|at|around)\s+$", re.I)


def _family_after_first(sentence: str) -> str:
    """Each later "the user and their family" (what "we" became) as "they", "them" or
    "their": "The user and their family love prepping the feast and talking about what
    they are thankful for". With anyone else in the sentence, "they" could be them."""
    found = list(_FAMILY.finditer(sentence))
    if len(found) < 2 or names_someone_else(_FAMILY.sub("", sentence).replace("family", "")):
        return sentence
    out, at = [sentence[: found[0].end()]], found[0].end()
    for match in found[1:]:
        before = sentence[at : match.start()]
        if match.group(1):
            word = "their"
        elif _AFTER_A_PREPOSITION.search(before):
            word = "them"
        else:
            word = "they"
        out += [before, word]
        at = match.end()
    return "".join([*out, sentence[at:]])


def they_after_first(named: str) -> str:
    """One memory sentence, written with "the user" each time, as a reader wants it: a
    later possessive as "their", a later object as "them" (`pronouns_after_first`), and a
    later subject as "they" where no one else in it could be meant ("The user remembers
    when they did their first play").

    Whether anyone else is meant is read before any pronoun is put in: a "them" written
    for the user ("Books guide the user, motivate them and help them discover who they
    are") is not someone else. A later "the user and their family" is a unit, made
    "they", "them" or "their" before the user alone is ("good for them and their dog",
    not "good for them and their family")."""
    sentence = pronouns_after_first(_family_after_first(named))
    first = re.search(r"\bthe user\b", sentence, re.I)
    if first is None or names_someone_else(named):
        return sentence
    head, tail = sentence[: first.end()], sentence[first.end() :]

    def plural(match: re.Match[str]) -> str:
        adverb, verb = match.group(1), match.group(2)
        before = tail[: match.start()].split()
        if before and before[-1].strip(",;").lower() in _PERSON_VERBS:
            return match.group(0)  # "…moves get the user pumped": the object, not a subject
        finite = (
            verb in _PLURAL_VERB
            or verb in _NOT_PRESENT
            or is_past(verb)
            or is_past_ed(verb)
            or verb.endswith(("s", "n't"))
        )
        return f"they {adverb}{_plural(verb)}" if finite else match.group(0)

    return head + _LATER_SUBJECT.sub(plural, tail)


# Chat's lower-case "i" ("i adopted a puppy") is the same "I"; "i.e." is not.
_LOWER_I = re.compile(r"(?<![\w'/.-])i(?=(?:'m|'ve|'ll|'d)?(?![\w/-]|\.\w))")


def third_person(text: str) -> str:
    """The user's "I", "me" and "my" as "the user", with the verb made to agree ("I go"
    -> "the user goes"); "you" (the assistant) and "we" are left alone."""
    text = _SUBJECT.sub(_agree, _LOWER_I.sub("I", text))
    for pattern, replacement in _SINGULAR:
        text = pattern.sub(replacement, text)
    return text


# Someone the user just said they are with: "with my best friend", "my wife and I", "me
# and my sister". A "we" after it is the two of them, not the user's family.
_COMPANION = re.compile(
    rf"\b(?:with|and|&) my ((?:[a-z]+ )?(?:{_PERSON_NOUNS}))\b|"
    rf"\bmy ((?:[a-z]+ )?(?:{_PERSON_NOUNS})) (?:and|&) (?:i|me)\b",
    re.I,
)


def _we_as(text: str, who: str) -> str:
    """Each "we" in `text` as `who` ("the user and their family")."""
    for pattern, verb in _WE:
        text = pattern.sub(who + verb, text)
    return text


def third_person_natural(sentence: str) -> str:
    """`third_person`, and "we" as the user and their family. An "our" before any other
    first-person word says whose ("Our dog Max died" -> "The user and their family's dog
    Max died"); a later one is "their". After a companion is named, "we" is the user and
    that companion: "I run a bakery with my best friend, the user and their best friend
    open at six"."""
    lowered = sentence.lower()
    if "our" in lowered:
        sentence = _OUR_CHILD.sub(lambda m: f"{m.group(1)}the user's {m.group(2)}", sentence, 1)
        sentence = _OUR_FIRST.sub(rf"\1{_HOUSEHOLD}'s", sentence, count=1)
    if "we" in lowered:
        head, tail, companion = sentence, "", _COMPANION.search(sentence)
        if companion:
            head, tail = sentence[: companion.end()], sentence[companion.end() :]
            with_whom = (companion.group(1) or companion.group(2)).lower()
            tail = _we_as(tail, f"the user and their {with_whom}")
        sentence = _we_as(head, _HOUSEHOLD) + tail
    for pattern, replacement in _PLURAL:
        sentence = pattern.sub(replacement, sentence)
    return third_person(sentence)


# Chat spelling, written out as a memory should read it ("gonna continue my edu" ->
# "going to continue their education"): the memory list reads better, and so does the
# embedding a later question is matched against.
_CHAT_WORDS = {
    "gonna": "going to",
    "im": "I'm",
    "ive": "I've",
    "dont": "don't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "havent": "haven't",
    "wanna": "want to",
    "gotta": "got to",
    "kinda": "kind of",
    "sorta": "sort of",
    "dunno": "don't know",
    "lemme": "let me",
    "cuz": "because",
    "coz": "because",
    "'cause": "because",
    "tho": "though",
    "thru": "through",
    "fave": "favorite",
    "fav": "favorite",
    "faves": "favorites",
    "favs": "favorites",
    "pic": "picture",
    "pics": "pictures",
    "biz": "business",
    "peeps": "people",
    "ppl": "people",
    "edu": "education",
    "uni": "university",
    "vacay": "vacation",
    "convo": "conversation",
    "bday": "birthday",
    "hubby": "husband",
    "missus": "wife",
    # "Me, the missus and the kids": said of one's own spouse.
    "the hubby": "my husband",
    "the missus": "my wife",
    "kiddos": "kids",
    "kiddo": "kid",
    "bff": "best friend",
    "gf": "girlfriend",
    "bf": "boyfriend",
    "info": "information",
    "defo": "definitely",
    "totes": "totally",
    "w/": "with",
    "b/c": "because",
    "rn": "right now",
}
_CHAT_WORD = re.compile(
    r"(?<![\w'/-])("
    + "|".join(re.escape(w) for w in sorted(_CHAT_WORDS, key=len, reverse=True))
    + r")(?![\w'/-])",
    re.I,
)


def spelled_out(text: str) -> str:
    """`text` with chat spelling written out, keeping a capital where there was one."""

    def written(match: re.Match[str]) -> str:
        word = _CHAT_WORDS[match.group(1).lower()]
        return word[:1].upper() + word[1:] if match.group(1)[:1].isupper() else word

    return _CHAT_WORD.sub(written, text)


# Where "the user" is an object: after a preposition or a verb that takes a person.
_OBJECT_OF = re.compile(
    r"\b(?:to|for|with|at|about|from|by|around|without|help|helps|helped|make|makes|"
    r"made|let|lets|give|gives|gave|bring|brings|brought|tell|tells|told|show|shows|showed|"
    r"remind|reminds|reminded|keep|keeps|kept|guide|guides|guided|motivate|motivates|"
    r"inspire|inspires|inspired|teach|teaches|taught|take|takes|took|drive|drives|drove|"
    r"support|supports|supported|encourage|encourages|encouraged|get|gets|got|push|"
    r"pushes|pushed) the user\b(?!')"
    # …unless a verb follows, whose subject it is ("the help the user got", "the support
    # the user needed"): "help" and "support" are nouns as often as verbs.
    rf"(?!\s+(?:\w+ed|\w+s|{'|'.join(sorted(_NOT_PRESENT))})\b)",
    re.I,
)


def pronouns_after_first(text: str) -> str:
    """ "The user is proud of the user's work" reads "… of their work", and "Books guide
    the user" after the first mention reads "Books guide them": once the user is named,
    a later possessive is theirs and a later object is them."""
    first = re.search(r"\bthe user\b", text, re.I)
    if first is None:
        return text
    head, tail = text[: first.end()], text[first.end() :]
    tail = re.sub(r"\bthe user's\b", "their", tail)
    return head + _OBJECT_OF.sub(lambda m: m.group(0)[: -len("the user")] + "them", tail)
