"""An in-memory BM25 index over short texts (memories, messages), beside the vector cache.

LanceDB's full-text query costs about 7 ms on two cores, mostly fixed overhead. One
person's memories and messages are short texts that fit in some megabytes, so an
inverted index in a dict answers the same question in a millisecond or two at 10k rows.
"""

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import lru_cache

import snowballstemmer

K1, B = 1.2, 0.75
_WORD = re.compile(r"[a-z0-9]+")
KeepFn = Callable[[int], bool]
_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()
# "user" is in nearly every memory ("The user …"), so it carries no signal.
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "user",
        "user's",
    ]
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball (Porter2) English stem, so "paint", "paints" and "painting" meet."""
    with _STEMMER_LOCK:  # the stemmer object keeps state while it works
        return str(_STEMMER.stemWord(word))


def terms(text: str) -> list[str]:
    """Lowercase, stemmed words without stopwords."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


class KeywordIndex:
    """BM25 over documents identified by their position in the cache."""

    def __init__(self) -> None:
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._lengths: list[int] = []

    def add(self, texts: list[str]) -> None:
        for text in texts:
            doc = len(self._lengths)
            words = terms(text)
            self._lengths.append(len(words))
            for word, count in Counter(words).items():
                self._postings[word].append((doc, count))

    def top(self, query: str, k: int, keep: KeepFn) -> list[tuple[int, float]]:
        """(document, score) of the best k documents `keep` accepts."""
        n = len(self._lengths)
        if not n:
            return []
        average = sum(self._lengths) / n or 1.0
        scores: dict[int, float] = defaultdict(float)
        for word in set(terms(query)):
            postings = self._postings.get(word)
            if not postings:
                continue
            idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            for doc, count in postings:
                norm = count + K1 * (1 - B + B * self._lengths[doc] / average)
                scores[doc] += idf * count * (K1 + 1) / norm
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        return [(doc, score) for doc, score in ranked if keep(doc)][:k]
