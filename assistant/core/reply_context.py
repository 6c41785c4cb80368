"""The context record a reply keeps: the one owner of its JSON.

A stored reply (and a feedback signal on it) keeps what the reply was given: the
recalled items by section, the prompt as the model saw it, the learning level, the
token limit and any reasoning shown apart. The turn writes it, feedback and the
shells read it, and two erasers (forgotten memories and conversations; removed
documents) scrub it. All of that is here, so that a new field holding user text is
written and scrubbed in one place and cannot outlive a delete by accident.
"""

import json
from collections.abc import Iterable, Mapping

PROMPT = "prompt"
REASONING = "reasoning"
DOCUMENTS = "documents"


class ReplyContext:
    """A reply's context record, read from (and written back to) its stored JSON."""

    def __init__(self, data: dict[str, object]) -> None:
        self.data = data

    @staticmethod
    def write(
        recalled: Mapping[str, object],
        system: str,
        user: str,
        level: str,
        max_tokens: int,
        *,
        reasoning: str = "",
    ) -> str:
        """The JSON of a new reply's context: the recalled sections, the system text and
        the final user turn exactly as the model saw them, the learning level and the
        reply's token limit (a reply that reached it was cut off).

        A reasoning model's thinking is kept here, under `reasoning`, apart from the
        reply's content (which history, learning and exports read): the user can still
        read it, and the store's schema stays as it was.
        """
        record: dict[str, object] = {
            **recalled,
            PROMPT: {"system": system, "user": user},
            "level": level,
            "max_tokens": max_tokens,
        }
        if reasoning:
            record[REASONING] = reasoning
        return json.dumps(record)

    @classmethod
    def parse(cls, text: str) -> "ReplyContext | None":
        """The record in `text`; None when it is not a JSON object (unreadable)."""
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            return None
        return cls(data) if isinstance(data, dict) else None

    @property
    def max_tokens(self) -> int:
        """The reply's token limit as recorded (0 when none was)."""
        value = self.data.get("max_tokens", 0)
        return int(value) if isinstance(value, int | float) else int(str(value or 0))

    @classmethod
    def reasoning(cls, text: str) -> str:
        """The thinking a reasoning model showed before the reply ("" for none)."""
        record = cls.parse(text)
        found = record.data.get(REASONING, "") if record is not None else ""
        return found if isinstance(found, str) else ""

    @classmethod
    def without_reasoning(cls, text: str) -> str:
        """The record as a signal keeps it: what the reply was given, not the thinking
        it showed (signals feed analysis and training)."""
        record = cls.parse(text)
        if record is None or REASONING not in record.data:
            return text
        del record.data[REASONING]
        return json.dumps(record.data)

    @classmethod
    def without_erased(
        cls,
        text: str,
        memory_ids: set[str],
        conversation_ids: set[str],
        texts: Iterable[str] = (),
    ) -> str:
        """The record without what quotes erased memories or conversations.

        Listed items go by id. The recorded prompt has no ids, so it goes whole when
        any listed item went or when it contains the text of an erased memory (an
        "updates" note can name a memory that is no longer listed).
        """
        if not text:
            return text
        record = cls.parse(text)
        if record is None:
            return ""  # unreadable: dropping it is the only safe rewrite
        kept: dict[str, object] = {}
        removed = False
        for section, value in record.data.items():
            if not isinstance(value, list):
                kept[section] = value
                continue
            entries = [
                e
                for e in value
                if isinstance(e, dict)
                and e.get("id") not in memory_ids
                and e.get("conversation_id") not in conversation_ids
            ]
            removed = removed or len(entries) != len(value)
            kept[section] = entries
        prompt = json.dumps(kept.get(PROMPT, ""), ensure_ascii=False)
        if removed or any(t and t in prompt for t in texts):
            kept.pop(PROMPT, None)
        if not any(isinstance(v, list) and v for v in kept.values()) and PROMPT not in kept:
            return ""
        return json.dumps(kept)

    @classmethod
    def without_documents(cls, text: str, paths: set[str]) -> str:
        """The record without its quotes of these files' chunks.

        Entries go by path; the prompt, which holds the same text, goes whole when any
        entry went (it has no ids to cut by).
        """
        record = cls.parse(text)
        if record is None:
            return ""  # unreadable: dropping it is the only safe rewrite
        quoted = record.data.get(DOCUMENTS)
        if not isinstance(quoted, list):
            return text
        kept = [e for e in quoted if not (isinstance(e, dict) and e.get("path") in paths)]
        if len(kept) == len(quoted):
            return text
        record.data[DOCUMENTS] = kept
        record.data.pop(PROMPT, None)
        return json.dumps(record.data)

    @classmethod
    def quoted_documents(cls, text: str, paths: set[str]) -> list[str]:
        """The texts of these files' chunks that the record shows (what its reply could
        have copied)."""
        record = cls.parse(text)
        quoted = record.data.get(DOCUMENTS) if record is not None else None
        if not isinstance(quoted, list):
            return []
        return [
            str(e["text"])
            for e in quoted
            if isinstance(e, dict) and e.get("path") in paths and e.get("text")
        ]
