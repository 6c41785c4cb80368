"""Where a reply ends, decided while it streams: at a loop, an echo of its own
instructions, or the user's brevity.

A small model loops ("I'm glad to have you." again and again, one digit until
`max_tokens`) and ignores "one or two sentences at most" in its system prompt. The
user sees both, and the second hides what the assistant learned. So the core watches
the reply as it streams and ends it itself:

- at the first sentence or line said a second time (the first copy stays), at a run
  of one letter or digit, or at a phrase repeated three times over;
- before a sentence that recites its own scaffolding (the system prompt, the headers
  of the notes): "I'm a helpful, concise personal assistant running locally on the
  user's machine" is a leak, never an answer;
- after as many sentences as a standing brevity preference allows ("one or two
  sentences at most" allows two; a plain "short answers" three), unless the message
  asks for detail.

Text that may be the start of a repeat is held back until it proves not to be, so a
terminal never shows a loop it has to take back. Pure and deterministic: no model.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

# A preference for short replies, as the extractor words it ("The user prefers short
# answers, one or two sentences at most.") or as the user did.
_BREVITY = re.compile(
    r"\b(?:short|shorter|brief|concise|succinct|terse)\b[^.]{0,30}?"
    r"\b(?:answers?|repl(?:y|ies)|responses?)\b"
    r"|\b(?:answers?|repl(?:y|ies)|responses?)\b[^.]{0,20}?"
    r"\b(?:short|brief|concise|succinct|terse)\b",
    re.IGNORECASE,
)
_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_SENTENCE_COUNT = re.compile(
    r"\b(\d|one|two|three|four|five|six)(?:\s+(?:or|to|-)\s+(\d|one|two|three|four|five|six))?"
    r"\s+sentences?\b",
    re.IGNORECASE,
)
BREVITY_SENTENCES = 3
# A message that asks for length overrides the standing preference for this reply.
_WANTS_DETAIL = re.compile(
    r"\b(?:in (?:more |full |great )?detail|detailed|step[- ]by[- ]step|elaborate"
    r"|long(?:er)? (?:answer|reply|explanation|version)|explain (?:fully|everything)"
    r"|full explanation|thorough(?:ly)?)\b",
    re.IGNORECASE,
)

_WORD = re.compile(r"\w+")
# A sentence ends at . ! or ? before whitespace; a line ends at a newline.
_UNIT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
# Ends that are not sentence ends: "1." starting a list item, "e.g.", "Dr.".
_NOT_AN_END = re.compile(
    r"(?:^|\s)(?:\d{1,3}|[A-Za-z]|e\.g|i\.e|etc|vs|Mr|Mrs|Ms|Dr|St|No|approx)\.[\"')\]]*$",
    re.IGNORECASE,
)
# Units shorter than this may repeat by design ("Yes." "Step 1:"); said twice in a row,
# a unit of AGAIN_MIN_WORDS ("Hello there! Hello there!") is already a loop.
REPEAT_MIN_WORDS = 3
AGAIN_MIN_WORDS = 2
# One letter or digit this many times in a row is a stuck decoder, not a word.
RUN_LIMIT = 12
# A phrase of up to PHRASE_MAX_WORDS words said over and over (three times at least,
# PHRASE_MIN_SPAN words in all) loops without punctuation.
PHRASE_MAX_WORDS = 15
PHRASE_MIN_SPAN = 12
_RUN = re.compile(rf"([^\W_])\1{{{RUN_LIMIT - 1},}}")
_TRAILING_RUN = re.compile(r"([^\W_])\1+$")
# This many words in a row from the scaffolding is a recitation, not a coincidence
# (echo.py counts five for notes; instructions are worded to be said only to the model).
ECHO_WORDS = 6
# A cut that would leave fewer words than this keeps the reply whole instead.
KEPT_MIN_WORDS = 3


def sentence_limit(preferences: Sequence[str], message: str = "") -> int | None:
    """How many sentences a reply may have under these standing preferences (None: any).

    The strictest brevity preference wins; a message asking for detail lifts it.
    """
    if _WANTS_DETAIL.search(message):
        return None
    limits = []
    for text in preferences:
        if not _BREVITY.search(text) and not _SENTENCE_COUNT.search(text):
            continue
        counted = _SENTENCE_COUNT.search(text)
        if counted:
            numbers = [g for g in counted.groups() if g]
            limits.append(max(_number(n) for n in numbers))
        else:
            limits.append(BREVITY_SENTENCES)
    return min(limits) if limits else None


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _COUNTS[word.lower()]


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int  # where the unit's text ends (its punctuation included)
    words: tuple[str, ...]
    sentence: bool  # ended by . ! or ?


def _units(text: str) -> tuple[list[_Unit], int]:
    """The complete sentences and lines of `text`, and where the unfinished one starts."""
    units: list[_Unit] = []
    start = 0
    for match in _UNIT_END.finditer(text):
        end = match.start()
        piece = text[start:end]
        if "\n" not in match.group() and _NOT_AN_END.search(piece):
            continue  # "1." or "e.g." inside a sentence: keep reading
        words = tuple(w.casefold() for w in _WORD.findall(piece))
        if words:
            stripped = piece.rstrip("\"')] ")
            units.append(_Unit(start, end, words, stripped.endswith((".", "!", "?"))))
        start = match.end()
    return units, start


def _phrase_loop(text: str) -> int | None:
    """Where a phrase said again and again (three times at least, PHRASE_MIN_SPAN words
    in all) starts its second copy, if the text ends in one."""
    words = list(_WORD.finditer(text))
    for size in range(1, PHRASE_MAX_WORDS + 1):
        copies = max(3, -(-PHRASE_MIN_SPAN // size))
        if copies * size > len(words):
            continue
        tail = [w.group().casefold() for w in words[-size * copies :]]
        if all(tail[i * size : (i + 1) * size] == tail[:size] for i in range(1, copies)):
            return words[-size * (copies - 1)].start()
    return None


def _starts(words: tuple[str, ...], tail: tuple[str, ...]) -> bool:
    """Whether `tail` (its last word perhaps cut short) is how `words` begins."""
    if len(tail) > len(words):
        return False
    *whole, last = tail
    return words[: len(whole)] == tuple(whole) and words[len(whole)].startswith(last)


class ReplyShape:
    """Feed a reply's text as it streams; shows what may be shown, and says when to end.

    `feed` returns the part of the text to show now; `done` turns true once the reply
    should end (the caller stops the model); `finish` returns what was held back when
    the stream ended on its own. `why` names the reason a reply was ended: "loop",
    "echo" or "brevity" ("" when the model ended it).
    """

    def __init__(self, sentences: int | None = None, scaffold: Sequence[str] = ()) -> None:
        self._limit = sentences
        # Every run of 2..ECHO_WORDS words of the scaffolding, by length.
        self._scaffold: dict[int, set[tuple[str, ...]]] = {
            n: set() for n in range(2, ECHO_WORDS + 1)
        }
        for source in scaffold:
            words = [w.casefold() for w in _WORD.findall(source)]
            for n, grams in self._scaffold.items():
                grams.update(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
        self._text = ""
        self._shown = 0
        self._end: int | None = None
        self.why = ""

    @property
    def done(self) -> bool:
        return self._end is not None

    def feed(self, piece: str) -> str:
        if self._end is not None:
            return ""
        self._text += piece
        self._decide()
        safe = self._end if self._end is not None else self._safe()
        return self._show(safe)

    def finish(self) -> str:
        """What is still held back, once the model has stopped."""
        return self._show(self._end if self._end is not None else len(self._text))

    def _show(self, upto: int) -> str:
        if upto <= self._shown:
            return ""
        shown, self._shown = self._text[self._shown : upto], upto
        return shown

    def _decide(self) -> None:
        text = self._text
        units, _ = _units(text)
        seen: set[tuple[str, ...]] = set()
        sentences = 0
        previous: tuple[str, ...] = ()
        for unit in units:
            again = len(unit.words) >= AGAIN_MIN_WORDS and unit.words == previous
            if again or (len(unit.words) >= REPEAT_MIN_WORDS and unit.words in seen):
                self._stop(unit.start, "loop")
                return
            seen.add(unit.words)
            previous = unit.words
            sentences += unit.sentence
            if self._limit is not None and sentences >= self._limit:
                self._stop(unit.end, "brevity")
                return
        run = _RUN.search(text)
        phrase = _phrase_loop(text)
        cuts = [i for i in (run.start() if run else None, phrase) if i is not None]
        if cuts:
            self._stop(min(cuts), "loop")
            return
        recited = self._recitation(units)
        if recited is not None:
            self._stop(recited, "echo")

    def _recitation(self, units: list[_Unit]) -> int | None:
        """Where the sentence that recites ECHO_WORDS words of the scaffolding starts,
        when enough of the reply comes before it to stand alone."""
        grams = self._scaffold[ECHO_WORDS]
        if not grams:
            return None
        words = list(_WORD.finditer(self._text))
        for i in range(len(words) - ECHO_WORDS + 1):
            if tuple(w.group().casefold() for w in words[i : i + ECHO_WORDS]) in grams:
                at = words[i].start()
                start = max((u.start for u in units if u.start <= at), default=0)
                kept = len(_WORD.findall(self._text[:start]))
                return start if kept >= KEPT_MIN_WORDS else None
        return None

    @property
    def text(self) -> str:
        """The reply as it ends: what is kept. It may end a word or two before what was
        shown, when an echo is found only after its first word went out (the TUI
        renders the kept text at the end; a terminal keeps what it printed)."""
        end = self._end if self._end is not None else len(self._text)
        return self._text[:end].strip()

    def _stop(self, at: int, why: str) -> None:
        # The reply ends before the whitespace at `at`.
        self._end = len(self._text[:at].rstrip())
        self.why = why

    def _safe(self) -> int:
        """How much may be shown: all but an unfinished unit that could be a repeat."""
        text = self._text
        units, tail_start = _units(text)
        safe = len(text)
        tail = tuple(w.casefold() for w in _WORD.findall(text[tail_start:]))
        earlier = [u.words for u in units if len(u.words) >= REPEAT_MIN_WORDS]
        if units and len(units[-1].words) >= AGAIN_MIN_WORDS:
            earlier.append(units[-1].words)
        if tail and any(_starts(words, tail) for words in earlier):
            safe = tail_start
        # The unfinished sentence ends in words of the scaffolding: it may be reciting.
        for n in range(min(len(tail), ECHO_WORDS - 1), 1, -1):
            if any(_starts(gram, tail[-n:]) for gram in self._scaffold[n]):
                safe = min(safe, tail_start)
                break
        trailing = _TRAILING_RUN.search(text)
        if trailing:
            safe = min(safe, trailing.start())
        return safe
