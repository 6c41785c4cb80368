"""Echoes: what a reply copied from its own turn's injected context, and degenerate replies.

A small model often repeats the notes put into its prompt (recalled memories and
messages, the standing block, document chunks, the system prompt), and sometimes
loops on one line or leaks template markers such as `<recalled>`. Indexing such a
reply for recall feeds the copy back into later prompts as if the assistant had said
it, and a copy of a note outlives the note (the echo loop behind mem0 #4573).

So a reply is compared with the context its own turn recorded, word by word: a run of
`ECHO_MIN_WORDS` consecutive words that also occurs in that context is a copy, not a
coincidence. Pure and deterministic: no model, no store.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from assistant.core.learning.context_block import NOTE_HEADERS
from assistant.core.reply_context import ReplyContext

# Five shared words in a row: "under the blue heron statue". Shorter runs ("the user
# is a") are common phrasing between any two English texts.
ECHO_MIN_WORDS = 5
# Erasing a removed document's or a forgotten memory's quotes errs towards erasing:
# only replies that were given that text are rewritten, and the user asked it gone.
ERASE_MIN_WORDS = 3
# What is left of a reply once its echoes are cut must say something of its own.
MIN_KEPT_WORDS = 4
# One line (or sentence) said this many times is a loop, not an answer.
REPEAT_LIMIT = 5
# A long reply whose word 4-grams are mostly repeats loops without punctuation.
LOOP_MIN_WORDS = 40
LOOP_DISTINCT_SHARE = 0.35
# What stands in, on disk, for an erased quote.
ERASED = "[removed]"

_WORD = re.compile(r"\w+")
_UNIT_END = re.compile(r"\n|(?<=[.!?])\s+")
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
# Prompt scaffolding a reply never has a reason to contain: our data fences (also in
# their defanged look-alike brackets) and chat-template control tokens.
_MARKER = re.compile(
    r"[<\u2039]/?(?:recalled|updates)[>\u203a]"
    r"|<\|[A-Za-z_]{1,30}\|>"
    r"|<(?:start|end)_of_turn>"
    r"|\[/?INST\]"
)
_CLOSING_TAGS = ("</recalled>", "</updates>")

Span = tuple[int, int]


def _words(text: str) -> list[tuple[str, int, int]]:
    """Case-folded words with their character offsets."""
    return [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]


def echo_spans(reply: str, sources: Iterable[str], min_words: int = ECHO_MIN_WORDS) -> list[Span]:
    """Character spans of `reply` that repeat `min_words`+ consecutive words of a source.

    Words are compared case-folded and without punctuation, so a quote survives the
    defanged brackets and collapsed whitespace of the prompt. Overlapping and touching
    matches merge into one span, from its first word's start to its last word's end.
    """
    said = _words(reply)
    if len(said) < min_words:
        return []
    grams: set[tuple[str, ...]] = set()
    for source in sources:
        words = [w for w, _, _ in _words(source)]
        grams.update(tuple(words[i : i + min_words]) for i in range(len(words) - min_words + 1))
    if not grams:
        return []
    tokens = [w for w, _, _ in said]
    covered = [False] * len(said)
    for i in range(len(tokens) - min_words + 1):
        if tuple(tokens[i : i + min_words]) in grams:
            covered[i : i + min_words] = [True] * min_words
    spans: list[Span] = []
    for i, hit in enumerate(covered):
        if not hit:
            continue
        if spans and i > 0 and covered[i - 1]:
            spans[-1] = (spans[-1][0], said[i][2])
        else:
            spans.append((said[i][1], said[i][2]))
    return spans


def cut(text: str, spans: Sequence[Span], filler: str = "") -> str:
    """`text` with each span replaced by `filler` (spans sorted, not overlapping)."""
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces.append(text[last:start])
        pieces.append(filler)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _units(text: str) -> list[str]:
    """Lines and sentences outside code fences, as normalised words (empty ones dropped)."""
    prose = _FENCE.sub("\n", text)
    units = (" ".join(w for w, _, _ in _words(u)) for u in _UNIT_END.split(prose))
    return [u for u in units if u]


def degeneracy(text: str) -> str:
    """Why a reply is degenerate ("" when it is not): a template marker or a loop."""
    if _MARKER.search(text) or any(h in text for h in NOTE_HEADERS):
        return "template marker"
    counts = Counter(_units(text))
    if counts and max(counts.values()) >= REPEAT_LIMIT:
        return "repeated line"
    words = [w for w, _, _ in _words(_FENCE.sub(" ", text))]
    if len(words) >= LOOP_MIN_WORDS:
        grams = [tuple(words[i : i + 4]) for i in range(len(words) - 3)]
        if len(set(grams)) < LOOP_DISTINCT_SHARE * len(grams):
            return "repeated words"
    return ""


def is_degenerate(text: str) -> bool:
    """Whether a reply loops or leaks prompt scaffolding (it is then never recalled)."""
    return bool(degeneracy(text))


def injected_texts(context: str) -> list[str]:
    """The texts a turn injected into its prompt, from the reply's stored context JSON.

    The recalled items, the system text (system prompt and standing block) and the
    notes that preceded the user's words in the final user turn. The user's own words
    are left out: a reply may repeat the question.
    """
    record = ReplyContext.parse(context)
    if record is None:
        return []
    data = record.data
    texts: list[str] = []
    for value in data.values():
        if isinstance(value, list):
            texts += [str(e["text"]) for e in value if isinstance(e, dict) and e.get("text")]
    prompt = data.get("prompt")
    if isinstance(prompt, dict):
        texts.append(str(prompt.get("system") or ""))
        asked = str(prompt.get("user") or "")
        end = max(asked.rfind(tag) + len(tag) if tag in asked else 0 for tag in _CLOSING_TAGS)
        texts.append(asked[:end])
    return [t for t in texts if t]


def recallable(reply: str, injected: Sequence[str]) -> str:
    """The part of a reply worth recalling: "" for a degenerate reply, else the reply
    without the spans it copied from `injected` ("" if too little of its own is left).

    A reply that copied nothing comes back unchanged.
    """
    if is_degenerate(reply):
        return ""
    spans = echo_spans(reply, injected)
    if not spans:
        return reply
    kept = " ".join(cut(reply, spans, " ").split())
    return kept if len(_words(kept)) >= MIN_KEPT_WORDS else ""


def erase_quotes(text: str, erased: Sequence[str]) -> str:
    """`text` with every quote of the `erased` texts replaced by `ERASED` (for disk)."""
    spans = echo_spans(text, erased, ERASE_MIN_WORDS)
    if not spans:
        return text
    return cut(text, spans, ERASED)
