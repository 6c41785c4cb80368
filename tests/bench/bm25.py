"""A small Okapi BM25 ranker: the lexical baseline that retrieval benchmarks compare against.

Dependency-free on purpose, so a benchmark's baseline never shifts with a library upgrade.
"""

import math
import re
from collections import Counter
from collections.abc import Sequence

K1 = 1.5
B = 0.75
STOPWORD_TEXT = (
    "a an and are as at be but by did do does for from had has have he her his how i if in "
    "is it its me my of on or our she so that the their them they this to was we were what "
    "when where which who why will with you your"
)
STOPWORDS = frozenset(STOPWORD_TEXT.split())
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lowercase words, stopwords dropped."""
    return [w for w in WORD.findall(text.lower()) if w not in STOPWORDS]


class BM25:
    """Okapi BM25 (k1=1.5, b=0.75) over a fixed list of texts."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.docs = [Counter(tokenize(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg_length = sum(self.lengths) / len(self.docs) if self.docs else 0.0
        frequency: Counter[str] = Counter()
        for doc in self.docs:
            frequency.update(doc.keys())
        n = len(self.docs)
        # The +1 inside the log (Lucene's form) keeps IDF positive for very common words.
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}

    def score(self, query_terms: Sequence[str], index: int) -> float:
        """BM25 score of one document for already-tokenized query terms."""
        doc, length = self.docs[index], self.lengths[index]
        norm = K1 * (1 - B + B * length / self.avg_length) if self.avg_length else K1
        total = 0.0
        for term in query_terms:
            tf = doc.get(term, 0)
            if tf:
                total += self.idf[term] * tf * (K1 + 1) / (tf + norm)
        return total

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The k best (document index, score) pairs, best first; documents scoring 0 left out."""
        terms = tokenize(query)
        scored = [(i, self.score(terms, i)) for i in range(len(self.docs))]
        ranked = sorted((p for p in scored if p[1] > 0), key=lambda p: (-p[1], p[0]))
        return ranked[:k]
