"""LLM extraction: the loaded model proposes memories, constrained to a JSON schema.

Rules catch explicit phrasings; a capable model catches the rest ("we just adopted a
puppy called Miso"). The model's output is constrained by a JSON-schema grammar, so it
always parses; it is still validated strictly, and every proposal must be *grounded*:
its content words must appear in the user's message, which keeps a small model from
inventing memories. Off by default (`llm_extraction`): a weak base model adds little.
"""

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.learning.extract import Candidate, slot
from assistant.core.ports.chat import ChatMessage

log = logging.getLogger(__name__)

MAX_ITEMS = 5
SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "memories": {
            "type": "array",
            "maxItems": MAX_ITEMS,
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["preference", "fact"]},
                    "text": {"type": "string", "maxLength": 200},
                },
                "required": ["kind", "text"],
            },
        }
    },
    "required": ["memories"],
}
PROMPT = (
    "Extract durable facts and preferences the user states about themself in the message "
    'below. Write each as one short third-person sentence starting with "The user". '
    "Ignore questions, hypotheticals, quoted text and other people. If there is nothing "
    'to remember, return {{"memories": []}}. Reply with JSON only.\n\nMessage:\n{message}'
)
_WORD = re.compile(r"[a-z0-9]+")
_FILLER = frozenset(
    {"the", "user", "user's", "is", "a", "an", "of", "to", "and", "in", "on", "at"}
    | {"for", "with", "their", "has", "have"}
)


@dataclass
class ExtractionStats:
    """Counts of LLM extraction outcomes, so a failure is never mistaken for 'nothing'."""

    calls: int = 0
    parse_failures: int = 0
    ungrounded: int = 0


def extraction_messages(text: str) -> list[ChatMessage]:
    """The prompt for one user message (prompts are data: a golden test pins this)."""
    return [ChatMessage("user", PROMPT.format(message=text))]


def grounded(candidate_text: str, source: str) -> bool:
    """Most content words of the proposal must occur in the user's own message."""
    words = [w for w in _WORD.findall(candidate_text.lower()) if w not in _FILLER]
    if not words:
        return False
    present = set(_WORD.findall(source.lower()))
    return sum(w in present for w in words) / len(words) >= 0.6


def parse_proposals(raw: str, source: str, stats: ExtractionStats) -> list[Candidate]:
    """Strictly parse the model's JSON; log and count anything malformed or ungrounded."""
    try:
        data = json.loads(raw)
        items: Sequence[dict[str, str]] = data["memories"]
        if not isinstance(items, list):  # "" or {} would iterate as nothing learned
            raise TypeError(f"memories is {type(items).__name__}, not a list")
        proposals = [(str(i["kind"]), " ".join(str(i["text"]).split())) for i in items]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        stats.parse_failures += 1
        log.warning("LLM extraction output did not parse (%s): %.200r", exc, raw)
        return []
    out = []
    for kind, text in proposals:
        if kind not in ("preference", "fact") or not text.lower().startswith("the user"):
            stats.parse_failures += 1
            continue
        if not grounded(text, source):
            stats.ungrounded += 1
            continue
        sentence = text if text.endswith(".") else text + "."
        out.append(Candidate(kind, sentence, f"llm:{slot(sentence, 6)}"))  # type: ignore[arg-type]
    return out
