"""What the data says: the training examples that count today and the learning report."""

from assistant.core.base import ALL_MEMORY_STATUSES, AssistantBase
from assistant.core.errors import NotFoundError
from assistant.core.learning.dataset import Collected, collect, without_duplicates
from assistant.core.learning.loop import LearningLoop
from assistant.core.learning.report import (
    NEGATIVE_KINDS,
    Followup,
    degenerate_replies,
    report,
    topics,
)
from assistant.core.records import (
    Message,
    Signal,
)

# A later question this close to a corrected one asks the same thing (report only).
FOLLOWUP_SIMILARITY = 0.75
FOLLOWUP_CANDIDATES = 20


class Insight(AssistantBase):
    """The dataset and the learning report."""

    def dataset_examples(self, dedupe: bool = True) -> Collected:
        """Every training example that counts today (assistant/core/learning/dataset.py)."""

        def stored(message_id: str) -> Message | None:
            try:
                return self.store.get_message(message_id)
            except NotFoundError:
                return None

        found = collect(self.memory_store.signals(), stored)
        if dedupe and found.examples:
            embed = self.learning_loop().embedder.embed
            found.examples = without_duplicates(found.examples, embed, found)
        return found

    def learning_report(self) -> dict[str, object]:
        """Counts over time, the repeat-mistake rate, failing topics, and rules."""
        loop = self.learning_loop()
        memories = self.memory_store.list_memories(ALL_MEMORY_STATUSES)
        signals = self.memory_store.signals()
        asked: dict[str, str] = {}
        for signal in signals:
            if signal.question_id and signal.question_id not in asked:
                try:
                    asked[signal.question_id] = self.store.get_message(signal.question_id).content
                except NotFoundError:  # its conversation was deleted
                    continue
        negatives = [
            asked[s.question_id]
            for s in signals
            if s.kind in NEGATIVE_KINDS and s.question_id in asked
        ]
        vectors = loop.embedder.embed(negatives) if negatives else []
        active = {m.id for m in memories if m.status == "active"}
        corrections = [
            s
            for s in signals
            if s.kind == "correction" and s.memory_id in active and s.question_id in asked
        ]
        followups = self._followups(corrections, asked, loop)
        degenerate = degenerate_replies(self.store.model_replies())
        return report(
            self.level(),
            memories,
            signals,
            followups,
            topics(negatives, vectors),
            degenerate=degenerate,
        )

    def _followups(
        self, corrections: list[Signal], asked: dict[str, str], loop: LearningLoop
    ) -> list[Followup]:
        """Later questions close in meaning to a corrected one, with the replies they got."""
        if not corrections:
            return []
        found: list[Followup] = []
        vectors = loop.embedder.embed([asked[c.question_id] for c in corrections])
        for correction, vector in zip(corrections, vectors, strict=True):
            for hit in self.memory_store.nearest_messages(vector, FOLLOWUP_CANDIDATES):
                later = hit.item
                if (
                    later.role != "user"
                    or hit.score < FOLLOWUP_SIMILARITY
                    or later.id == correction.question_id
                    or later.created_at <= correction.at
                ):
                    continue
                history = self.store.list_messages(later.conversation_id)
                after = [m for m in history if m.created_at > later.created_at]
                if after and after[0].role == "assistant":
                    found.append(Followup(correction, after[0].content))
        return found
