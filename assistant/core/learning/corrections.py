"""Spotting when the user corrects the assistant's last answer, and wording the memory.

A correction is only ever *offered* to the user ("remember that the answer is X?"),
never stored on its own, so a miss costs little while a false offer after "no thanks"
or "not bad" is an annoyance on every such turn. The rules therefore fire only on an
explicit correction marker ("that's wrong", "you're wrong", "incorrect", "no, it's…",
"not X, Y", "the correct answer is…") followed by something that reads as the right
answer. Questions, the user's own mistakes, polite refusals and reactions ("no, it's
fine") produce nothing. Pure functions, no I/O.
"""

import re

from assistant.core.learning.extract import _QUESTION_START

QUESTION_CHARS = 200
ANSWER_CHARS = 120
RIGHT_CHARS = 300

# Phones type curly quotes; the patterns below are written for straight ones.
_STRAIGHT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# "Oh no" is dismay, not a "no", so it keeps its "oh" and matches no marker.
_FILLER = re.compile(r"^(?:well|hmm+|um+|uh+|erm|sorry|(?:oh|ah)(?![,!\s]*no\b))\b[,.!]*\s*", re.I)
# Markers that call the answer wrong by themselves; after one, any statement is the fix.
_STRONG = re.compile(
    r"^(?:(?:that|this|it)(?:'s|\s+is|\s+was)\s+(?:not\s+(?:right|correct|true|it)|"
    r"wrong|incorrect|false|inaccurate|mistaken|a mistake)"
    r"|(?:that|this|it)\s+(?:isn't|wasn't)\s+(?:right|correct|true)"
    r"|you(?:'re|\s+are|\s+were)\s+(?:wrong|mistaken|incorrect)"
    r"|you\s+got\s+(?:it|that)\s+wrong"
    r"|(?:wrong|incorrect)(?:\s+answer)?|not\s+(?:correct|true|right)|false)\b",
    re.I,
)
# Markers that may merely decline ("no thanks"); they need an explicit "it's X" after.
_WEAK = re.compile(r"^(?:no+|nope|nah|actually|not\s+quite|not\s+exactly)\b", re.I)
_PUNCTUATED = re.compile(r"^\s*[,:;.!\u2013\u2014-]+\s*")
_SPACED = re.compile(r"^\s+")
_ANSWER_LEAD = re.compile(
    r"^(?:(?:it|that)(?:'s|\s+is|\s+was|'d\s+be|\s+would\s+be)"
    r"|the\s+(?:(?:correct|right|real|actual|true)\s+)?answer\s+(?:is|was|would\s+be|should\s+be))"
    r"(?:\s+actually)?\s*[:,]?\s+",
    re.I,
)
# Unmarked corrections: only the explicit "the correct answer is X" family.
_CORRECT_ANSWER = re.compile(
    r"^the\s+(?:(?:correct|right|real|actual|true)\s+answer\s+(?:is|was|would\s+be|should\s+be)"
    r"|answer\s+(?:is|was)\s+actually)\s",
    re.I,
)
_CORRECT_THING = re.compile(
    r"^the\s+(?:correct|right|real|actual|true)\s+(?!answer\b)\w+(?:\s+\w+)?\s+(?:is|was|are)\s+\S",
    re.I,
)
_THE_X_IS = re.compile(r"^the\s+(?:\w+\s+){0,3}?\w+\s+(?:is|was|are|were)\s+(?P<value>.+)", re.I)
_NOT_X_Y = re.compile(
    r"^not\s+(?P<wrong>[^,;:.!?\u2013\u2014]{1,60}?)\s*(?:[,;:]|\s[\u2013\u2014-]\s|\s+but\s+)\s*"
    r"(?:(?:but|rather)\s+)?(?P<right>.+)$",
    re.I,
)
# "Not now, thanks", "not bad at all, thanks": idioms, not a rejected answer.
_NOT_IDIOM = re.compile(
    r"^(?:now|bad|sure|really|yet|today|tonight|quite|exactly|at all|much|me|that|this|so|"
    r"too|very|great|good|necessary|needed|important|interested|a problem|a big deal|"
    r"a fan|a chance|always|anymore|again|for me|in the mood|my|your|the point|what|how|"
    r"why|when|where|who|really sure|a lot|at the moment|right now|worried)\b",
    re.I,
)
# First words that make the "answer" a reaction, a request or about the user, not a fix.
_NOT_AN_ANSWER = re.compile(
    r"i|i'm|i've|i'd|i'll|me|my|mine|myself|we|we're|our|us|you|you're|your|yours|"
    r"thanks|thank|thx|ty|please|sorry|ok|okay|alright|fine|good|great|cool|nice|perfect|"
    r"sure|yes|yeah|yep|no|nope|nah|never|nevermind|whatever|lol|haha|hmm|well|anyway|"
    r"anyways|so|but|and|or|because|since|just|also|maybe|probably|perhaps|not|nothing|"
    r"all|too|very|really|quite|kind|sort|pretty|bit|wrong|incorrect|right|correct|true|"
    r"false|same|different|irrelevant|unclear|weird|strange|odd|funny|interesting|boring|"
    r"complicated|hard|difficult|easy|simple|obvious|late|early|fixed|solved|resolved|done|"
    r"finished|broken|over|enough|it|it's|that|that's|this|there|here|what|which|who|why|"
    r"how|when|where|actually|try|check|fix|redo|think|look|explain|tell|give|show|use|"
    r"read|recalculate|answer|let|let's|stop|wait|hold|listen|forget|ignore|remember|see|"
    r"go|do|don't|can|could|would|should|will|been|being|for|about|only|still|already|"
    r"better|worse|more|less|supposed|meant|gonna|fun|sad"
)
_NOT_AN_ANSWER_PHRASE = re.compile(r"^(?:a\s+(?:bit|little|lot|joke)|all\s+good)\b", re.I)
# "It's raining", "it's working now": a state, not a fact's value.
_ING = re.compile(r"^[a-z]{4,}ing$")
_SENTENCE_END = re.compile(
    r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bJr)(?<!\bSr)(?<!\b[A-Z])[.!?]+(?=\s|$)"
)
_QUOTES = {'"': '"', "'": "'", "`": "`"}
_INITIALISM = re.compile(r"(?:\b[A-Za-z]\.){2,}$")


def _first_sentence(text: str) -> str:
    m = _SENTENCE_END.search(text)
    return text[: m.end()] if m else text


def _is_question(sentence: str) -> bool:
    return "?" in sentence or bool(_QUESTION_START.match(sentence))


def _looks_like_value(text: str) -> bool:
    """Digits, a proper noun or a quoted term: what a fact's answer usually contains."""
    if re.search(r"\d|[\"`]|(?<!\w)'\w", text):
        return True
    return any(w[:1].isupper() and w not in ("I", "I'm") for w in text.split())


def _clean(answer: str) -> str:
    answer = answer.strip().rstrip(",;:").strip()
    stripped = answer.rstrip(".!").rstrip()
    if answer.endswith(".") and _INITIALISM.search(stripped + "."):
        stripped += "."  # "the U.S." keeps its last dot
    opener = stripped[:1]
    closer = _QUOTES.get(opener)
    inner = stripped[1:-1]
    if closer and len(stripped) > 2 and stripped.endswith(closer) and closer not in inner:
        stripped = inner.strip()
    return stripped


def _is_answer(answer: str) -> bool:
    words = answer.split()
    if not words:
        return False
    first = words[0].lower().strip("\"'`,.!")
    return not (
        _NOT_AN_ANSWER.fullmatch(first)
        or _NOT_AN_ANSWER_PHRASE.match(answer)
        or _ING.match(words[0])
        or _QUESTION_START.match(answer)
    )


def _not_this_but_that(sentence: str) -> str | None:
    """The right answer in "not Sydney, Canberra" / "not 42, it's 43"."""
    m = _NOT_X_Y.match(sentence)
    if not m or len(m["wrong"].split()) > 5 or _NOT_IDIOM.match(m["wrong"]):
        return None
    right = m["right"]
    lead = _ANSWER_LEAD.match(right)
    answer = _clean(right[lead.end() :] if lead else right)
    return answer if _is_answer(answer) else None


def _answer(sentence: str, *, any_statement: bool) -> str | None:
    """The right answer stated in `sentence`, which follows a correction marker.

    With `any_statement` (after an unambiguous marker such as "that's wrong:") any
    plain statement counts; otherwise it must be explicit: "it's X", "the answer is X",
    "the capital is Canberra" or "not X, Y".
    """
    sentence = sentence.strip()
    if not sentence or _is_question(sentence):
        return None
    if re.match(r"^not\s", sentence, re.I):
        return _not_this_but_that(sentence)
    lead = _ANSWER_LEAD.match(sentence)
    if lead:
        answer = _clean(sentence[lead.end() :])
        if re.match(r"^not\s", answer, re.I):
            return _not_this_but_that(answer)
        return answer if _is_answer(answer) else None
    answer = _clean(sentence)
    if not _is_answer(answer):
        return None
    if any_statement:
        return answer
    the_x_is = _THE_X_IS.match(answer)
    return answer if the_x_is and _looks_like_value(the_x_is["value"]) else None


def detect_correction(text: str) -> str | None:
    """The right answer if `text` corrects the assistant's last answer, else None."""
    rest = _FILLER.sub("", " ".join(text.translate(_STRAIGHT).split()), count=1)
    marked = strong = False
    while m := _STRONG.match(rest) or _WEAK.match(rest):
        after = rest[m.end() :]
        punctuated = _PUNCTUATED.match(after)
        sep = punctuated or _SPACED.match(after)
        if after and not sep:
            break  # "no?" is a question, not a marker
        marked = True
        strong = strong or (m.re is _STRONG and punctuated is not None)
        rest = after[sep.end() :] if sep else ""
    sentence = _first_sentence(rest)
    if marked:
        return _answer(sentence, any_statement=strong)
    if _is_question(sentence):
        return None
    if re.match(r"^not\s", sentence, re.I):
        return _not_this_but_that(sentence)
    if _CORRECT_ANSWER.match(sentence):
        return _answer(sentence, any_statement=True)
    if _CORRECT_THING.match(sentence) and _looks_like_value(sentence):
        return _clean(sentence)
    return None


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


_STORED = re.compile(
    r'Earlier, asked "(?P<question>.+)", you answered ".*"; '
    r"the user corrected it to: (?P<right>.+)",
    re.S,
)


def correction_prompt_text(text: str) -> str:
    """A correction as the model reads it: the question and its right answer, no story.

    The stored note tells what happened ("you answered X; the user corrected it to Y"),
    which a person reviewing memories needs. In the prompt, SmolLM2-135M narrated that
    story back ("The user corrected the sentence to: …") or copied the wrong answer
    instead of answering (bench_answers), so it reads only the question and the answer.
    A note the user edited into other words is kept as they wrote it.
    """
    match = _STORED.fullmatch(text)
    if match is None:
        return text
    return f'The answer to "{match["question"]}" is: {match["right"]}'


def correction_memory_text(question: str, wrong: str, right: str) -> str:
    """A self-contained, third-person note of a correction, for display and the prompt."""
    text = (
        f'Earlier, asked "{_one_line(question, QUESTION_CHARS)}", you answered '
        f'"{_one_line(wrong, ANSWER_CHARS)}"; the user corrected it to: '
        f"{_one_line(right, RIGHT_CHARS)}"
    )
    return text if text.endswith((".", "!", "?")) else text + "."
