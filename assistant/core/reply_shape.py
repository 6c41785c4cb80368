"""Where a reply ends, decided while it streams: at a loop, an echo of its own
instructions, or the user's brevity.

A small model loops ("I'm glad to have you." again and again, one digit until
`max_tokens`) and ignores "one or two sentences at most" in its system prompt. The
user sees both, and the second hides what the assistant learned. So the core watches
the reply as it streams and ends it itself:

- at the first sentence or line said a second time (the first copy stays), or said
  again with a word or two swapped ("To make the tea, add a few drops of powder to the
  kettle." then "To brew the tea, add…"), at a run of one letter or digit, or at a
  phrase repeated three times over;
- before a sentence that recites its own scaffolding (the system prompt, the headers
  of the notes): "I'm a helpful, concise personal assistant running locally on the
  user's machine" is a leak, never an answer. When the recitation *is* the reply (it
  starts within its first words), a shape made with `may_retry` ends it with nothing
  kept and says so in `recited_from_start`, so the caller can ask once more; the last
  try keeps such a reply whole rather than answer with nothing;
- after as many sentences as a standing brevity preference allows ("one or two
  sentences at most" allows two; a plain "short answers" three), unless the message
  asks for detail.

Text that may be the start of a repeat is held back until it proves not to be, so a
terminal never shows a loop it has to take back. Code inside ``` fences is left alone.
Pure and deterministic: no model.
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
# A sentence count is about replies only when it limits them ("answer in one sentence",
# "two sentences at most"), not in "the user writes two sentences a day".
_LIMITS_REPLIES = re.compile(
    r"\b(?:at most|no more than|only|max(?:imum)?|answers? in|repl(?:y|ies) in|respond in|"
    r"keep (?:it|them|answers|replies) to)\b[^.]{0,24}\bsentences?\b"
    r"|\bsentences? (?:at most|max)\b",
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
# A unit of NEAR_MIN_WORDS words or more, said again from the same first word with one
# word in NEAR_SHARE changed (swapped, added or dropped), is the same sentence reworded
# by a looping model. Shorter units may differ by a word by design: "Add the flour to
# the bowl and mix." then "Add the sugar to the bowl and mix." are two recipe steps.
NEAR_MIN_WORDS = 10
NEAR_SHARE = 10
# One letter or digit this many times in a row is a stuck decoder, not a word.
RUN_LIMIT = 12
# A phrase of up to PHRASE_MAX_WORDS words said over and over (three times at least,
# PHRASE_MIN_SPAN words in all) loops without punctuation. A long phrase is a loop too:
# SmolLM2 ran "…and a side of spicy BBQ sauce, crispy on the outside and tender on the
# inside," (16 words) to the token limit when the limit was 15 (bench_answers).
PHRASE_MAX_WORDS = 30
PHRASE_MIN_SPAN = 12
_RUN = re.compile(rf"([^\W_])\1{{{RUN_LIMIT - 1},}}")
_TRAILING_RUN = re.compile(r"([^\W_])\1+$")
# This many words in a row from the scaffolding is a recitation, not a coincidence
# (echo.py counts five for notes; instructions are worded to be said only to the model).
ECHO_WORDS = 6
# A cut that would leave fewer words than this keeps the reply whole instead.
KEPT_MIN_WORDS = 3
# Inside a code fence nothing is a loop: code says `return None` or `}` again and again.
FENCE = "```"


def sentence_limit(preferences: Sequence[str], message: str = "") -> int | None:
    """How many sentences a reply may have under these standing preferences (None: any).

    The strictest brevity preference wins; a message asking for detail lifts it.
    """
    if _WANTS_DETAIL.search(message):
        return None
    limits = []
    for text in preferences:
        if not _BREVITY.search(text) and not _LIMITS_REPLIES.search(text):
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


def _units(text: str, start: int = 0) -> tuple[list[_Unit], int]:
    """The complete sentences and lines of `text` from `start` on, and where the
    unfinished one starts."""
    units: list[_Unit] = []
    for match in _UNIT_END.finditer(text, start):
        end = match.start()
        piece = text[start:end]
        if "\n" not in match.group() and _NOT_AN_END.search(piece):
            continue  # "1." or "e.g." inside a sentence: keep reading
        words = tuple(w.casefold() for w in _WORD.findall(piece))
        if len(words) > 1 and words[0].isdigit():
            words = words[1:]  # "3. Take a nap." and "4. Take a nap." say the same
        if words:
            stripped = piece.rstrip("\"')] ")
            units.append(_Unit(start, end, words, stripped.endswith((".", "!", "?"))))
        start = match.end()
    return units, start


def _phrase_loop(words: list[tuple[str, int]]) -> int | None:
    """Where a phrase said again and again (three times at least, PHRASE_MIN_SPAN words
    in all) starts its second copy, if the words end in one."""
    plain = [w for w, _ in words]
    for size in range(1, PHRASE_MAX_WORDS + 1):
        copies = max(3, -(-PHRASE_MIN_SPAN // size))
        if copies * size > len(plain):
            continue
        # The last copy first: it differs from the one before it in most replies.
        if plain[-size:] != plain[-2 * size : -size]:
            continue
        tail = plain[-size * copies :]
        if all(tail[i * size : (i + 1) * size] == tail[:size] for i in range(1, copies)):
            return words[-size * (copies - 1)][1]
    return None


def _edits(a: tuple[str, ...], b: tuple[str, ...], limit: int) -> int:
    """Word edits (swaps, insertions, deletions) from `a` to `b`, or limit + 1 if more."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
        if min(row) > limit:
            return limit + 1
    return min(row[-1], limit + 1)


def _near(earlier: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """Whether `words` says `earlier` again with a word in NEAR_SHARE changed."""
    if min(len(earlier), len(words)) < NEAR_MIN_WORDS or earlier[0] != words[0]:
        return False
    budget = min(len(earlier), len(words)) // NEAR_SHARE
    return _edits(earlier, words, budget) <= budget


def _near_start(earlier: tuple[str, ...], tail: tuple[str, ...]) -> bool:
    """Whether an unfinished `tail` may still turn out `_near` to `earlier`: the same
    first word, and no more swapped words so far than the budget allows."""
    if len(earlier) < NEAR_MIN_WORDS or len(tail) > len(earlier):
        return False
    whole, last = tail[:-1], tail[-1]
    first_differs = whole[0] != earlier[0] if whole else not earlier[0].startswith(last)
    if first_differs:
        return False
    swapped = sum(a != b for a, b in zip(whole, earlier, strict=False))
    swapped += not earlier[len(whole)].startswith(last)
    return swapped <= len(earlier) // NEAR_SHARE


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
    the stream ended on its own; `text` is the reply as kept. `why` names the reason a
    reply was ended: "loop", "echo" or "brevity" ("" when the model ended it).

    Each piece costs time in proportion to the piece, not to the reply so far: units
    and words are read once, from where the last piece left them.
    """

    def __init__(
        self, sentences: int | None = None, scaffold: Sequence[str] = (), *, may_retry: bool = False
    ) -> None:
        self._limit = sentences
        self._may_retry = may_retry
        self.recited_from_start = False
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
        self._units: list[_Unit] = []
        self._tail = 0  # where the unfinished unit starts
        self._seen: set[tuple[str, ...]] = set()
        self._long: list[tuple[str, ...]] = []  # units that a reworded copy may repeat
        self._previous: tuple[str, ...] = ()
        self._sentences = 0
        self._words: list[tuple[str, int]] = []  # casefolded, with their offsets
        self._echo_checked = 0  # words whose scaffolding run was looked for
        self._run_checked = 0

    @property
    def done(self) -> bool:
        return self._end is not None

    @property
    def text(self) -> str:
        """The reply as it ends: what is kept. It may end a word or two before what was
        shown, when an echo is found only after its first word went out (the TUI
        renders the kept text at the end; a terminal keeps what it printed)."""
        end = self._end if self._end is not None else len(self._text)
        return self._text[:end].strip()

    def feed(self, piece: str) -> str:
        if self._end is not None:
            return ""
        self._text += piece
        self._decide(self._read())
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

    def _read(self) -> list[_Unit]:
        """Take in the new units and words (the last word may have been cut short)."""
        new, self._tail = _units(self._text, self._tail)
        self._units.extend(new)
        start = self._words.pop()[1] if self._words else 0
        self._words.extend(
            (m.group().casefold(), m.start()) for m in _WORD.finditer(self._text, start)
        )
        self._echo_checked = min(self._echo_checked, max(0, len(self._words) - ECHO_WORDS))
        return new

    def _in_code(self, at: int) -> bool:
        """Whether `at` is inside a ``` fence: code repeats lines by design."""
        return self._text.count(FENCE, 0, at) % 2 == 1

    def _decide(self, new: list[_Unit]) -> None:
        for unit in new:
            if self._in_code(unit.start) or FENCE in self._text[unit.start : unit.end]:
                continue
            again = len(unit.words) >= AGAIN_MIN_WORDS and unit.words == self._previous
            if again or (len(unit.words) >= REPEAT_MIN_WORDS and unit.words in self._seen):
                self._stop(unit.start, "loop")
                return
            if any(_near(earlier, unit.words) for earlier in self._long):
                self._stop(unit.start, "loop")
                return
            if len(unit.words) >= NEAR_MIN_WORDS:
                self._long.append(unit.words)
            self._seen.add(unit.words)
            self._previous = unit.words
            self._sentences += unit.sentence
            if self._limit is not None and self._sentences >= self._limit:
                self._stop(unit.end, "brevity")
                return
        if self._in_code(len(self._text)):
            return
        # A run can only have grown at the end: look from just before the new text.
        runs = _RUN.finditer(self._text, max(0, self._run_checked - RUN_LIMIT))
        run = next((m.start() for m in runs if not self._in_code(m.start())), None)
        self._run_checked = len(self._text)
        phrase = _phrase_loop(self._words[-PHRASE_MAX_WORDS * 3 :])
        if phrase is not None and self._in_code(phrase):
            phrase = None
        cuts = [i for i in (run, phrase) if i is not None]
        if cuts:
            self._stop(min(cuts), "loop")
            return
        recited = self._recitation()
        if recited is not None:
            self._stop(recited, "echo")

    def _recitation(self) -> int | None:
        """Where the sentence that recites ECHO_WORDS words of the scaffolding starts,
        when enough of the reply comes before it to stand alone."""
        grams = self._scaffold[ECHO_WORDS]
        words = self._words
        last = len(words) - ECHO_WORDS  # the newest run's first word (its last may grow)
        if not grams:
            return None
        for i in range(self._echo_checked, last + 1):
            if tuple(w for w, _ in words[i : i + ECHO_WORDS]) in grams:
                at = words[i][1]
                if self._in_code(at):
                    continue
                start = (
                    self._tail
                    if at >= self._tail
                    else max((u.start for u in self._units if u.start <= at), default=0)
                )
                kept = len(_WORD.findall(self._text[:start]))
                if kept >= KEPT_MIN_WORDS:
                    return start
                if self._may_retry:
                    self.recited_from_start = True
                    return 0
                return None
        self._echo_checked = max(self._echo_checked, last)
        return None

    def _stop(self, at: int, why: str) -> None:
        # The reply ends before the whitespace at `at`.
        self._end = len(self._text[:at].rstrip())
        self.why = why

    def _safe(self) -> int:
        """How much may be shown: all but an unfinished unit that could be a repeat or a
        recitation, and a run of one character that could be stuck."""
        text, tail_start = self._text, self._tail
        safe = len(text)
        if self._in_code(safe):
            return safe
        count = 0
        while count < len(self._words) and self._words[-1 - count][1] >= tail_start:
            count += 1
        tail = tuple(w for w, _ in self._words[len(self._words) - count :])
        if not tail and text[tail_start:].strip():
            return tail_start  # a bullet or a number's dot: held until words follow
        if tail[:1] and tail[0].isdigit():
            if len(tail) == 1:
                return tail_start  # a list item's number: what follows may repeat
            tail = tail[1:]  # compared without it, as in _units
        first = tail[0] if tail else "\0"
        earlier = [w for w in self._seen if len(w) >= REPEAT_MIN_WORDS and w[0].startswith(first)]
        if len(self._previous) >= AGAIN_MIN_WORDS:
            earlier.append(self._previous)
        repeating = bool(tail) and (
            any(_starts(words, tail) for words in earlier)
            or any(_near_start(words, tail) for words in self._long)
        )
        if repeating:
            safe = tail_start
        # The unfinished sentence ends in words of the scaffolding: it may be reciting.
        for n in range(min(len(tail), ECHO_WORDS - 1), 1, -1):
            if any(_starts(gram, tail[-n:]) for gram in self._scaffold[n]):
                safe = min(safe, tail_start)
                break
        trailing = _TRAILING_RUN.search(text, max(0, len(text) - 2 * RUN_LIMIT))
        if trailing:
            safe = min(safe, trailing.start())
        return safe
