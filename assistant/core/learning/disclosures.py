"""The extractor: what a careful listener keeps from one user message.

Two passes over the user's own words:
1. The explicit rules (`extract.py`: "I'm vegetarian", "call me Sam", "from now on…")
   keep their slots, so a later statement still supersedes an earlier one. Their
   output goes through a junk gate first, since a pattern also fires on chit-chat
   ("I have one", "never heard of it", "always a joy to see him").
2. Every other sentence that the speech gate lets through (about the user, not a
   question, greeting or fragment) is rewritten in the third person with its dates
   resolved, embedded once, and kept when the salience scorer says it is memorable.
   The kept sentences of one message become one memory; its vector travels with the
   candidate, so storing it costs no second embedding.
"""

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from assistant.core.learning.extract import Candidate, clauses, rules_and_rest
from assistant.core.learning.salience import Salience, load_salience
from assistant.core.learning.speech import (
    addresses_the_other_party,
    anchors,
    feeling_only,
    gate,
    named_rewrite,
    natural_key,
    reacts_to_the_moment,
    sentences,
)
from assistant.core.learning.wording import pronouns_after_first, they_after_first, wordset
from assistant.core.ports.embedder import Embedder

# What a standing instruction can start with: a verb the assistant can follow.
_INSTRUCTION_VERBS = wordset(
    "use answer reply respond write give include cite add call say tell show explain keep "
    "be speak ask start end format mention put avoid remind talk address refer send make "
    "suggest recommend list check double-check translate summarize summarise offer provide "
    "return assume wrap print label sign greet apologize apologise correct number bold "
    "capitalize spell round convert stop swear curse lie guess interrupt repeat"
)
_RULE_DANGLING = re.compile(
    r"\b(?:it|this|that|these|those|one|ones|him|her|them|there|here|so|too|"
    r"(?:a|huge|big|massive|great|total|real|biggest) fans?|"
    r"(?:this|that|these|those|such) \w+)\W*$|^The user has to go\b|"
    # "The user is a huge fan of it, that's why…": what "it" is, the conversation said.
    r"\b(?:of|about|with|for|into) (?:it|this|that|them|him)\b|"
    # "The user loves their work": whose, the conversation said.
    r"\b(?:their|his)\b|"
    # "The user loves it and that'll keep their confidence up": loves what?
    r"^The user (?:\w+ )?(?:loves|likes|enjoys|hates|adores) (?:it|this|that|these|those|them|"
    r"him|her)\b",
    re.I,
)


def rule_is_junk(candidate: Candidate) -> bool:
    """A rule's match that would mean nothing, or the wrong thing, as a memory."""
    text = candidate.text
    if candidate.key.startswith("instr:"):
        instruction = re.sub(
            r"^The user asked(?: you to (?:never|always)|: from now on,)\s*", "", text
        )
        verb = instruction.split(" ", 1)[0].lower().strip(",.")
        return verb not in _INSTRUCTION_VERBS
    # A rule matches on its pattern alone, so the speech gate's reasons apply to it too:
    # "I'm thrilled for you" and "I love that you chose pottery" are about the other
    # party, "I'm so excited" is a passing feeling, "I love how uncomplicated it is" a
    # reaction to what was just said; "I am as well" has no content word at all.
    return (
        bool(_RULE_DANGLING.search(text.rstrip(".")))
        or not anchors(text)
        or addresses_the_other_party(text)
        or feeling_only(text)
        or reacts_to_the_moment(text)
    )


_SPEAKER = re.compile(r"i(?:'m|'ve|'d|'ll)?\b", re.I)


def readable(sentence: str) -> list[str]:
    """The parts of a sentence that can stand as a memory: the whole sentence when the
    speech gate lets it through, else those of its clauses that it lets through."""
    if gate(sentence) is None:
        return [sentence]
    parts = clauses(sentence)
    if len(parts) < 2:
        return []
    # Only a clause with the speaker as its subject: "…and my own journey" is a phrase.
    return [part for part in parts if _SPEAKER.match(part) and gate(part) is None]


class Extractor:
    """Explicit rules plus natural self-disclosures, behind one junk gate."""

    def __init__(self, embedder: Embedder, salience: Salience | None = None) -> None:
        self.embedder = embedder
        self.salience = salience if salience is not None else load_salience()

    def extract(self, text: str, when: datetime | None = None) -> list[Candidate]:
        """The memories one user message supports, rule slots first.

        A clause an explicit rule understood is left to the rule: its slot lets a later
        statement supersede it ("I moved to Berlin" replaces "I live in Lisbon"). The
        clauses it did not understand are read as natural speech.
        """
        ruled: dict[str, Candidate] = {}
        drafts: list[str] = []
        for sentence in sentences(text):
            found, rest = rules_and_rest(sentence)
            rules = [c for c in found if not rule_is_junk(c)]
            for candidate in rules:
                ruled.pop(candidate.key, None)  # a later statement about a slot wins
                # Read as the natural path's memories read: "…breaking up their studying".
                text = they_after_first(candidate.text)
                ruled[candidate.key] = replace(candidate, text=text)
            # What no rule understood is read as natural speech: the whole sentence, or,
            # when a rule filled a slot from one clause, the clauses it left.
            for part in rest if rules else [sentence]:
                drafts.extend(named_rewrite(clause, when) for clause in readable(part))
        return [*ruled.values(), *self._memorable(drafts)]

    def _memorable(self, drafts: Sequence[str]) -> list[Candidate]:
        """The memory of the drafts (the user named each time) the scorer keeps."""
        unique = list(dict.fromkeys(drafts))
        if not unique:
            return []
        # The scorer reads (and was trained on) `rewrite`'s text, whose vector the memory
        # keeps; "they" for a later subject is for the reader.
        vectors = self.embedder.embed([pronouns_after_first(d) for d in unique])
        kept = [(d, v) for d, v in zip(unique, vectors, strict=True) if self.salience.memorable(v)]
        if not kept:
            return []
        text, vector = join([they_after_first(d) for d, _ in kept], [v for _, v in kept])
        return [Candidate("fact", text, natural_key(text), vector=vector)]


def join(
    drafts: Sequence[str], vectors: Sequence[Sequence[float]]
) -> tuple[str, tuple[float, ...]]:
    """One memory from the memorable sentences of one message, and its vector.

    Sentences of one message belong together (one event, told in a few sentences), and
    one memory per message keeps a memory list readable. The vector is the normalised
    mean of the sentences' vectors, already computed for scoring: a second embedding
    pass would double the cost, and the mean represents each of the facts.
    """
    text = " ".join(drafts)
    total = [math.fsum(column) for column in zip(*vectors, strict=True)]
    norm = math.sqrt(math.fsum(x * x for x in total)) or 1.0
    return text, tuple(x / norm for x in total)
