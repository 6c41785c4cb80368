"""An in-memory BM25 index over short texts (memories, messages), beside the vector cache.

LanceDB's full-text query costs about 7 ms on two cores, mostly fixed overhead. One
person's memories and messages are short texts that fit in some megabytes, so an
inverted index in a dict answers the same question in a millisecond or two at 10k rows.

Scoring every posting of every query term makes each turn linear in the number of
documents: a common word sits in a tenth of them. `top` is exact but visits few
postings, with the bound of MaxScore (Turtle and Flood, 1995). A term adds the same
score to every document with the same term count and length, so a frequent term keeps
its postings grouped by (count, length) and the groups are visited best first. A
document reached through one term gets its other terms by binary search in their
doc-sorted postings, and the search stops once the k-th best kept score reaches the
sum of the best scores still unvisited, which no unseen document can beat.
"""

import heapq
import math
import re
import threading
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

import snowballstemmer

K1, B = 1.2, 0.75
_WORD = re.compile(r"[a-z0-9]+")
KeepFn = Callable[[int], bool]
# A term's documents grouped by (count in the document, document length).
_Groups = dict[tuple[int, int], "array[int]"]
# Rarer terms are grouped at query time: cheaper than an array per group per term.
_STORE_GROUPS_FROM = 128
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
        # Per term, the documents holding it in ascending order and its count in each:
        # arrays, as a tuple in a list costs 64 bytes a posting and an array entry 4.
        self._docs: dict[str, array[int]] = {}
        self._counts: dict[str, array[int]] = {}
        # Per frequent term, its documents by (count, length), kept up to date in `add`.
        self._groups: dict[str, _Groups] = {}
        self._lengths = array("I")
        self._total_length = 0

    def add(self, texts: list[str]) -> None:
        """Append documents, numbered on from the last one."""
        for text in texts:
            doc = len(self._lengths)
            words = terms(text)
            length = len(words)
            self._lengths.append(length)
            self._total_length += length
            for word, count in Counter(words).items():
                docs = self._docs.get(word)
                if docs is None:
                    self._docs[word] = array("I", (doc,))
                    self._counts[word] = array("I", (count,))
                    continue
                docs.append(doc)
                self._counts[word].append(count)
                groups = self._groups.get(word)
                if groups is not None:
                    _append(groups, (count, length), doc)
                elif len(docs) >= _STORE_GROUPS_FROM:
                    self._groups[word] = self._group(word)

    def top(self, query: str, k: int, keep: KeepFn) -> list[tuple[int, float]]:
        """(document, score) of the best k documents `keep` accepts, best first."""
        n = len(self._lengths)
        words = [word for word in dict.fromkeys(terms(query)) if word in self._docs]
        if not n or k <= 0 or not words:
            return []
        average = self._total_length / n or 1.0
        query_terms = []
        for word in words:
            docs = self._docs[word]
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            ranked = [
                (_score(idf, count, length, average), count, group)
                for (count, length), group in (self._groups.get(word) or self._group(word)).items()
            ]
            ranked.sort(key=lambda item: -item[0])  # stable, so ties keep a fixed order
            query_terms.append(_QueryTerm(idf, docs, self._counts[word], ranked))
        best = _Best(k)
        _search(query_terms, self._lengths, average, keep, best)
        return best.ranked()

    def _group(self, word: str) -> _Groups:
        groups: _Groups = {}
        for doc, count in zip(self._docs[word], self._counts[word], strict=True):
            _append(groups, (count, self._lengths[doc]), doc)
        return groups


def _append(groups: _Groups, key: tuple[int, int], doc: int) -> None:
    group = groups.get(key)
    if group is None:
        groups[key] = array("I", (doc,))
    else:
        group.append(doc)


def _score(idf: float, count: int, length: int, average: float) -> float:
    # The one BM25 formula: group bounds and document scores must round alike.
    return idf * count * (K1 + 1) / (count + K1 * (1 - B + B * length / average))


class _QueryTerm:
    """One query term during `top`: its postings and its groups, best first."""

    __slots__ = ("counts", "docs", "idf", "next", "ranked")

    def __init__(
        self,
        idf: float,
        docs: "array[int]",
        counts: "array[int]",
        ranked: list[tuple[float, int, "array[int]"]],
    ) -> None:
        self.idf = idf
        self.docs = docs
        self.counts = counts
        self.ranked = ranked
        self.next = 0

    def bound(self) -> float:
        """The most this term adds to a document not reached yet."""
        return self.ranked[self.next][0] if self.next < len(self.ranked) else 0.0

    def count(self, doc: int) -> int:
        """How often the term occurs in `doc`."""
        i = bisect_left(self.docs, doc)
        return self.counts[i] if i < len(self.docs) and self.docs[i] == doc else 0


class _Best:
    """The k best (score, document) pairs seen so far, in a min-heap."""

    def __init__(self, k: int) -> None:
        self.k = k
        # (score, -doc): on equal scores the larger id is the first to go.
        self.heap: list[tuple[float, int]] = []

    def beats(self, bound: float) -> bool:
        """Whether no document scoring at most `bound` can still enter."""
        return len(self.heap) >= self.k and self.heap[0][0] >= bound

    def offer(self, score: float, doc: int) -> None:
        entry = (score, -doc)
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, entry)
        elif entry > self.heap[0]:
            heapq.heapreplace(self.heap, entry)

    def ranked(self) -> list[tuple[int, float]]:
        return [(-neg_doc, score) for score, neg_doc in sorted(self.heap, reverse=True)]


def _search(
    query_terms: list[_QueryTerm],
    lengths: "array[int]",
    average: float,
    keep: KeepFn,
    best: _Best,
) -> None:
    """Visit groups best first until the k-th kept score reaches what is left unvisited."""
    seen: set[int] = set()
    single = len(query_terms) == 1
    while True:
        bounds = [term.bound() for term in query_terms]
        # Summed in term order from 0.0, like a document's score: rounding is monotone,
        # so no unseen document's computed score can exceed this.
        bound = 0.0
        for value in bounds:
            bound += value
        if not bound or best.beats(bound):
            return
        current = query_terms[bounds.index(max(bounds))]
        group_score, group_count, group = current.ranked[current.next]
        for doc in group:
            if best.beats(bound):
                return
            if doc in seen:
                continue
            seen.add(doc)
            if not keep(doc):
                continue
            if single:
                best.offer(group_score, doc)
                continue
            score = 0.0
            for term in query_terms:
                count = group_count if term is current else term.count(doc)
                if count:
                    score += _score(term.idf, count, lengths[doc], average)
            best.offer(score, doc)
        current.next += 1
