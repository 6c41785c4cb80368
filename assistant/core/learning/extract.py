"""Deterministic extraction: explicit statements the user makes about themself.

Rules, not a model, because they are instant, never fail to parse, and never invent a
memory: they fire only on explicit first-person phrasings ("I prefer…", "my X is Y",
"I moved to…", "call me…", "from now on…"). Questions, hypotheticals, quoted text and
other people's preferences produce nothing. Each candidate is rewritten in the third
person ("The user is vegetarian") and carries a `key`, the slot it fills, so that a
later statement about the same slot supersedes it instead of contradicting it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.core.learning.wording import third_person
from assistant.core.records import MemoryKind
from assistant.core.reply_units import UNIT_WORDS, unit_system

RULE_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Candidate:
    """A memory the user's words support, before dedup and storage."""

    kind: MemoryKind
    text: str
    key: str
    negates: bool = False
    # The embedding of `text` when the extractor already computed it (no second pass).
    vector: tuple[float, ...] = field(default=(), compare=False, repr=False)


_QUOTED = re.compile(r"\"([^\"]*)\"|“([^”]*)”|(?<!\w)'([^']{3,})'(?!\w)|`[^`]*`")
_SPEAKER = re.compile(
    r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine|myself|we|we're|we've|our|us|"
    r"you|your|yours|yourself|you're|you've|you'd|you'll)\b",
    re.I,
)
TITLE_WORDS = 8
_NOT_TITLES = frozenset(("that", "this", "these", "those", "them", "the", "and", "yes", "okay"))
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CLAUSE = re.compile(
    r",?\s+(?:and|but|also)\s+(?=(?:i|i'm|i've|my)\b)|,\s+(?=(?:i|i'm|my)\s)", re.I
)
_FILLER = re.compile(
    r"^(?:(?:well|oh|ok|okay|so|also|btw|by the way|actually|hey|hi|hello|yes|yeah|"
    r"no|fyi|just so you know|for the record|note that)[,!.]?\s+)+",
    re.I,
)
_QUESTION_START = re.compile(
    r"^(?:do|does|did|can|could|would|will|what|why|how|where|when|who|which|is|are|"
    r"should|shall|may|might|have you|has)\b",
    re.I,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if i were|if i was|what if|suppose|imagine|pretend|hypothetically|"
    r"let's say|in a story|wish)\b|\bi(?:'d| would) (?:like|love|want)\b",
    re.I,
)
_TRANSIENT = re.compile(
    r"^(?:not sure|sure|sorry|tired|hungry|thirsty|bored|fine|good|great|ok|okay|here|"
    r"back|done|ready|confused|curious|wondering|glad|happy to|afraid|just|about to|"
    r"going|looking|trying|thinking|asking|working on|not|so|very|really|still|"
    # "I'm totally hooked", "I'm on fire", "I'm gonna be great": a state of the moment.
    r"totally|super|pretty|kinda|sorta|quite|absolutely|definitely|gonna|gotta|on|in|all|"
    r"\w+ing)\b",  # whole words: "so" is not "sober", "here" not "hereditary"
    re.I,
)
_DIETS = (
    r"vegetarian|vegan|pescatarian|keto|omnivore|carnivore|gluten[- ]free|lactose[- ]intolerant"
)
_JOBS = re.compile(
    r"\b(?:engineer|developer|programmer|teacher|doctor|nurse|student|designer|"
    r"manager|writer|lawyer|scientist|researcher|artist|chef|accountant|consultant|"
    r"retired|freelancer|analyst|architect)\b",
    re.I,
)
_STOPWORDS = {"a", "an", "the", "to", "of", "my", "some", "really", "very", "much", "it"}
_VERB_3RD = {
    "prefer": "prefers",
    "like": "likes",
    "love": "loves",
    "enjoy": "enjoys",
    "hate": "hates",
    "dislike": "dislikes",
    "adore": "adores",
    "rather": "would rather",
    "can't stand": "can't stand",
    "cannot stand": "cannot stand",
    "don't like": "doesn't like",
    "do not like": "does not like",
}


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip(" ,;:-")
    text = text.rstrip(".!")
    return text[:1].upper() + text[1:] + "." if text else ""


def slot(text: str, words: int = 4) -> str:
    """A normalised short form of `text`, used inside keys."""
    tokens = [w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in _STOPWORDS]
    return " ".join(tokens[:words])


def _preference(m: re.Match[str]) -> Candidate | None:
    verb, obj = m.group(1).lower(), m.group(2)
    if re.match(r"^(?:to think|to ask|to know|it when)\b", obj, re.I) and verb == "like":
        return None
    verb = re.sub(r"\s+", " ", verb)
    text = _sentence(f"The user {_VERB_3RD.get(verb, verb + 's')} {third_person(obj)}")
    return Candidate("preference", text, f"likes:{slot(obj)}")


def _identity(m: re.Match[str]) -> Candidate | None:
    rest = m.group(1)
    if _TRANSIENT.match(rest):
        return None
    diet = re.match(rf"^(?:a |an )?(?:strict )?({_DIETS})\b", rest, re.I)
    if diet:
        return Candidate("fact", _sentence(f"The user is {third_person(rest)}"), "diet")
    place = re.match(r"^(?:from|originally from)\s+(.+)", rest, re.I)
    if place:
        return Candidate("fact", _sentence(f"The user is from {place.group(1)}"), "origin")
    lives = re.match(r"^(?:based|living|located|staying)\s+(?:in|at|near)\s+(.+)", rest, re.I)
    if lives:
        return Candidate("fact", _sentence(f"The user lives in {lives.group(1)}"), "location")
    allergy = re.match(r"^allergic to\s+(.+)", rest, re.I)
    if allergy:
        obj = allergy.group(1)
        return Candidate(
            "fact", _sentence(f"The user is allergic to {obj}"), f"allergy:{slot(obj)}"
        )
    if re.match(r"^\d+\s*(?:years? old|yo)\b", rest, re.I):
        return Candidate("fact", _sentence(f"The user is {rest}"), "age")
    if _JOBS.search(rest) and re.match(r"^(?:a|an|retired|the)\b", rest, re.I):
        return Candidate("fact", _sentence(f"The user is {third_person(rest)}"), "occupation")
    if re.match(r"^(?:a|an)\s", rest, re.I) or len(rest.split()) <= 3:
        return Candidate("fact", _sentence(f"The user is {third_person(rest)}"), f"is:{slot(rest)}")
    return None


_WHEN = re.compile(
    r"\s+(?:last|this|next)\s+(?:week|month|year|summer|winter|spring|autumn|fall)$|"
    r"\s+(?:yesterday|today|recently|a while ago|\w+ (?:days|weeks|months|years) ago)$",
    re.I,
)


def _moved(m: re.Match[str]) -> Candidate:
    place = _WHEN.sub("", m.group(1).strip(" .!"))
    return Candidate("fact", _sentence(f"The user lives in {place}"), "location")


def _works(m: re.Match[str]) -> Candidate:
    prep, what = m.group(1).lower(), m.group(2)
    key = "occupation" if prep == "as" else "employer"
    return Candidate("fact", _sentence(f"The user works {prep} {third_person(what)}"), key)


def _my(m: re.Match[str]) -> Candidate | None:
    subject, verb, value = m.group(1), m.group(2).lower(), m.group(3)
    subject_norm = slot(subject, 6)
    if re.search(r"\b(?:question|point|problem|guess|bad|pleasure)\b", subject_norm):
        return None
    kind: MemoryKind = "preference" if re.search(r"favou?rite", subject, re.I) else "fact"
    key = "name" if subject_norm == "name" else f"my:{subject_norm}"
    text = _sentence(f"The user's {subject} {verb} {third_person(value)}")
    return Candidate(kind, text, key)


def _call_me(m: re.Match[str]) -> Candidate:
    name = m.group(1).strip(" .!")
    return Candidate("preference", _sentence(f"The user wants to be called {name}"), "name")


def _standing(m: re.Match[str]) -> Candidate:
    instruction = m.group(1)
    text = _sentence(f"The user asked: from now on, {third_person(instruction)}")
    return Candidate("preference", text, f"instr:{slot(instruction, 6)}")


# "Never say never", "always a joy to see him", "never been to Paris", "never tried
# sushi": sayings and sentences that dropped their "I", not instructions. A standing
# instruction starts with a verb in its plain form ("never use emojis", "always answer
# in Spanish").
_IDIOMS = re.compile(
    r"^(?:say never|mind|give up|again|ever again|look back|stop (?:learning|dreaming)|"
    r"a (?:dull|boring) moment|too (?:late|old)|(?:a |been )?(?:joy|pleasure|fun))\b",
    re.I,
)
_NOT_A_VERB = re.compile(
    r"^(?:a|an|the|so|such|too|very|really|more|been|being|had|has|was|were|did|knew|"
    r"known|seen|thought|heard|felt|got|gotten|once|yet|enough|ever|in|on|at|up|down|"
    r"\w+(?<!e)ed)\b",
    re.I,
)


def _instruction(instruction: str) -> bool:
    return not (_IDIOMS.match(instruction) or _NOT_A_VERB.match(instruction))


def _never(m: re.Match[str]) -> Candidate | None:
    instruction = m.group(1)
    if not _instruction(instruction):
        return None
    text = _sentence(f"The user asked you to never {third_person(instruction)}")
    return Candidate("preference", text, f"instr:never {slot(instruction, 6)}")


def _always(m: re.Match[str]) -> Candidate | None:
    instruction = m.group(1)
    if not _instruction(instruction):
        return None
    text = _sentence(f"The user asked you to always {third_person(instruction)}")
    return Candidate("preference", text, f"instr:always {slot(instruction, 6)}")


def _no_longer(m: re.Match[str]) -> Candidate:
    rest = m.group(1)
    key = "location" if re.match(r"^live\b", rest, re.I) else f"no:{slot(rest)}"
    if re.match(rf"^(?:eat meat|am ({_DIETS}))\b", rest, re.I):
        key = "diet"
    text = _sentence(f"The user no longer {third_person(_verb_3rd(rest))}")
    return Candidate("fact", text, key, negates=True)


def _verb_3rd(clause: str) -> str:
    first, _, rest = clause.partition(" ")
    irregular = {"am": "is", "have": "has", "do": "does", "go": "goes"}
    lower = first.lower()
    if lower in irregular:
        verb = irregular[lower]
    elif lower.endswith(("s", "sh", "ch", "x", "o")):
        verb = first + "es"
    elif lower.endswith("y") and lower[-2:-1] not in "aeiou":
        verb = first[:-1] + "ies"
    else:
        verb = first + "s"
    return f"{verb} {rest}".strip()


def _have(m: re.Match[str]) -> Candidate | None:
    obj = m.group(1)
    if re.match(
        r"^(?:a |an |one |some )?(?:question|problem|idea|doubt|meeting|feeling|"
        r"minute|moment|suggestion|request|issue|quick)\b",
        obj,
        re.I,
    ):
        return None
    return Candidate("fact", _sentence(f"The user has {third_person(obj)}"), f"has:{slot(obj)}")


def _diet_verb(m: re.Match[str]) -> Candidate:
    verb = {"don't": "doesn't", "do not": "does not"}.get(m.group(1).lower(), m.group(1))
    obj = m.group(2)
    text = _sentence(f"The user {verb} eat {obj}")
    return Candidate("fact", text, f"eat:{slot(obj)}")


def _remember(m: re.Match[str]) -> Candidate | None:
    content = m.group(1).strip()
    for candidate in _match_clause(content):
        return candidate
    text = _sentence(third_person(content))
    return Candidate("fact", text, f"note:{slot(content, 6)}") if text else None


def _units(m: re.Match[str]) -> Candidate | None:
    """A unit system the replies should use: one slot, so a later choice replaces it.
    The first unit named decides: "I use miles, not kilometres" is imperial."""
    system = unit_system([m.group(1)])
    if system is None:
        return None
    return Candidate("preference", f"The user uses {system} units.", "units")


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], Candidate | None]]
_RULES: list[Rule] = [
    (
        re.compile(
            r"^(?:please\s+)?(?:I\s+(?:use|prefer|think in|work in|go by|measure in|"
            r"(?:'m|am) used to)|use|stick to|give (?:me )?(?:\w+\s+){0,2}in)\s+(?:the\s+)?"
            rf"(?=(?:{UNIT_WORDS})\b)(.+)",
            re.I,
        ),
        _units,
    ),
    (
        re.compile(r"^(?:please\s+)?(?:remember|note|keep in mind)(?:\s+that)?[:,]?\s+(.+)", re.I),
        _remember,
    ),
    (re.compile(r"^(?:please\s+)?call me\s+(.+)", re.I), _call_me),
    (
        re.compile(r"^(?:from now on|going forward|in future|in the future)[,:]?\s+(.+)", re.I),
        _standing,
    ),
    (re.compile(r"^(?:please\s+)?(?:don't|do not|never)\s+ever\s+(.+)", re.I), _never),
    (re.compile(r"^(?:please\s+)?never\s+(.+)", re.I), _never),
    (re.compile(r"^(?:please\s+)?always\s+(.+)", re.I), _always),
    (re.compile(r"^I\s+no longer\s+(.+)", re.I), _no_longer),
    (
        re.compile(
            r"^I(?:'ve| have)?\s+(?:just\s+|recently\s+|finally\s+)?"
            r"(?:moved|relocated)\s+(?:to|into)\s+(.+)",
            re.I,
        ),
        _moved,
    ),
    (re.compile(r"^I\s+(?:currently\s+)?live\s+(?:in|at|near)\s+(.+)", re.I), _moved),
    (re.compile(r"^I\s+(?:currently\s+)?work\s+(as|at|for|in)\s+(.+)", re.I), _works),
    (re.compile(r"^I\s+(don't|do not|never|can't|cannot)\s+eat\s+(.+)", re.I), _diet_verb),
    (re.compile(r"^I(?:'d| would)\s+(?:much\s+)?(prefer|rather)\s+(.+)", re.I), _preference),
    (
        re.compile(
            r"^I\s+(?:really\s+|much\s+|also\s+|generally\s+|usually\s+)?"
            r"(prefer|like|love|enjoy|hate|dislike|adore|can't\s+stand|cannot\s+stand|"
            r"don't\s+like|do\s+not\s+like)\s+(.+)",
            re.I,
        ),
        _preference,
    ),
    (re.compile(r"^I(?:'m|\s+am)\s+(.+)", re.I), _identity),
    (re.compile(r"^my\s+(.{1,40}?)\s+(is|are)\s+(.+)", re.I), _my),
    (re.compile(r"^I\s+(?:have|'ve got|have got)\s+(.+)", re.I), _have),
]


def _match_clause(clause: str) -> list[Candidate]:
    for pattern, build in _RULES:
        m = pattern.match(clause)
        if m:
            candidate = build(m)
            return [candidate] if candidate else []
    return []


def _title_or_nothing(match: re.Match[str]) -> str:
    inner = next((g for g in match.groups() if g is not None), None)
    if inner is None:
        return " "  # code
    inner = " ".join(inner.split())
    mark = ""
    if inner.endswith((".", ",")) and _title_case(inner[:-1]):
        # 'called "Finding Home."': American quotes hold the sentence's full stop.
        inner, mark = inner[:-1], inner[-1]
    speech = _SPEAKER.search(inner) or inner.endswith((".", "!", "?", ","))
    names = re.search(r"[A-Za-z]{3,}", inner) and inner.lower() not in _NOT_TITLES
    if names and len(inner.split()) <= TITLE_WORDS and not speech:
        return f'"{inner}"{mark}'
    # Speech that ended its sentence ('said "go home." Then…') leaves the full stop.
    if inner.endswith((".", "!", "?")) and re.match(r"\s+[A-Z]", match.string[match.end() :]):
        return inner[-1]
    return " "


def _title_case(text: str) -> bool:
    words = text.split()
    return bool(words) and all(w[:1].isupper() for i, w in enumerate(words) if i == 0 or len(w) > 3)


def unquoted(text: str) -> str:
    """`text` without quoted speech and code, which are someone else's words ("my dad
    always said "you can do it!""). A short quote that names something stays, as a
    title: in 'Just finished "A Dance with Dragons"' the title is the fact."""
    return re.sub(r"\s+(?=[.!?](?:\s|$))", "", _QUOTED.sub(_title_or_nothing, text))


def _clauses(text: str) -> list[str]:
    text = unquoted(text)
    out: list[str] = []
    for raw in _SENTENCE.split(text):
        stripped = raw.strip()
        if not stripped or stripped.startswith(">") or stripped.endswith("?"):
            continue
        sentence = _FILLER.sub("", stripped)
        if _QUESTION_START.match(sentence) or _HYPOTHETICAL.search(sentence):
            continue
        out.extend(c.strip(" ,.;!") for c in _CLAUSE.split(sentence) if c.strip(" ,.;!"))
    return out


def clauses(sentence: str) -> list[str]:
    """A sentence cut where a new clause starts with the speaker: "Thanks for the tip, I
    tried the recipe" has two parts, and only the second is about the speaker."""
    return [c.strip(" ,.;!") for c in _CLAUSE.split(sentence) if c.strip(" ,.;!")]


def rules_and_rest(text: str) -> tuple[list[Candidate], list[str]]:
    """The memories the rules find in `text`, and the clauses no rule understood.

    "I have no big events coming up, but I'm hoping to attend a book conference" fills
    one slot from its first clause; the second is still news, for a reader of natural
    speech to judge (`disclosures.Extractor`).
    """
    by_key: dict[str, Candidate] = {}
    rest = []
    for clause in _clauses(text):
        found = _match_clause(clause)
        if not found:
            rest.append(clause)
        for candidate in found:
            by_key.pop(candidate.key, None)  # a later statement about a slot wins
            by_key[candidate.key] = candidate
    return list(by_key.values()), rest


def extract_rules(text: str) -> list[Candidate]:
    """Memories stated explicitly in one user message, in order, without duplicates."""
    return rules_and_rest(text)[0]
