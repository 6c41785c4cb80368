"""The pruned BM25 search returns what scoring every posting would."""

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable

import pytest

from assistant.store.keyword_index import K1, B, KeywordIndex, terms

VOCABULARY = [
    "coffee", "garden", "piano", "lisbon", "dog", "hiking", "pottery", "sister",
    "morning", "tea", "bread", "chess", "river", "python", "violin", "cat",
    "salsa", "novel", "marathon", "tomato", "winter", "camera", "museum", "kayak",
    "yoga", "jazz", "pasta", "bicycle", "orchid", "tennis", "poetry", "lantern",
]  # fmt: skip
FILLER = ["the", "user", "likes", "on", "weekends", "and", "every"]


def _corpus(rng: random.Random, size: int) -> list[str]:
    # Zipf-like: the first words are in a large share of documents, the last in few.
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    texts = []
    for _ in range(size):
        words = rng.choices(VOCABULARY, weights, k=rng.randint(1, 6))
        words += rng.choices(FILLER, k=rng.randint(0, 3))
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts


def _reference(texts: list[str], query: str) -> dict[int, float]:
    """Every document's BM25 score for `query`, by scoring every document."""
    docs = [Counter(terms(text)) for text in texts]
    n = len(docs)
    average = sum(sum(doc.values()) for doc in docs) / n or 1.0
    scores: dict[int, float] = {}
    for word in set(terms(query)):
        df = sum(1 for doc in docs if word in doc)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, doc in enumerate(docs):
            count = doc[word]
            if count:
                length = sum(doc.values())
                norm = count + K1 * (1 - B + B * length / average)
                scores[i] = scores.get(i, 0.0) + idf * count * (K1 + 1) / norm
    return scores


def _assert_exact(
    got: list[tuple[int, float]],
    scores: dict[int, float],
    k: int,
    keep: Callable[[int], bool],
) -> None:
    kept = sorted((score for doc, score in scores.items() if keep(doc)), reverse=True)[:k]
    assert len(got) == len(kept)
    assert [score for _, score in got] == pytest.approx(kept, abs=1e-9)
    assert len({doc for doc, _ in got}) == len(got)
    for doc, score in got:
        assert keep(doc)
        assert score == pytest.approx(scores[doc], abs=1e-9)
    if kept:
        # Documents that tie the k-th score are interchangeable; the others are not.
        cut = kept[-1] + 1e-9
        clear = {doc for doc, score in scores.items() if keep(doc) and score > cut}
        assert clear <= {doc for doc, _ in got}


def test_matches_exhaustive_bm25_on_a_random_corpus() -> None:
    rng = random.Random(20240611)
    texts = _corpus(rng, 3000)
    index = KeywordIndex()
    keeps: list[Callable[[int], bool]] = [
        lambda doc: True,
        lambda doc: doc % 3 != 0,
        lambda doc: doc % 50 == 7,
    ]
    # Added in batches, so frequent terms switch to stored groups part way through.
    checkpoints = [0, 100, 1000, 3000]
    for start, stop in itertools.pairwise(checkpoints):
        index.add(texts[start:stop])
        for _ in range(40):
            words = rng.choices([*VOCABULARY, "unknownword", "the"], k=rng.randint(1, 4))
            query = " ".join(words)
            scores = _reference(texts[:stop], query)
            for keep in keeps:
                for k in (1, 3, 10, 60):
                    _assert_exact(index.top(query, k, keep), scores, k, keep)


def test_empty_index() -> None:
    assert KeywordIndex().top("coffee", 5, lambda doc: True) == []
    index = KeywordIndex()
    index.add([])
    assert index.top("coffee", 5, lambda doc: True) == []


def test_query_without_known_terms() -> None:
    index = KeywordIndex()
    index.add(["coffee in the morning", "tea at night"])
    assert index.top("violin", 5, lambda doc: True) == []
    assert index.top("the and of", 5, lambda doc: True) == []
    assert index.top("", 5, lambda doc: True) == []


def test_k_larger_than_the_matches() -> None:
    texts = ["coffee in the morning", "tea at night", "coffee and tea", "a violin"]
    index = KeywordIndex()
    index.add(texts)
    got = index.top("coffee tea", 10, lambda doc: True)
    assert sorted(doc for doc, _ in got) == [0, 1, 2]
    assert got[0][0] == 2
    _assert_exact(got, _reference(texts, "coffee tea"), 10, lambda doc: True)


def test_keep_rejecting_everything_and_k_zero() -> None:
    index = KeywordIndex()
    index.add(["coffee"] * 300 + ["coffee tea"] * 5)
    assert index.top("coffee tea", 5, lambda doc: False) == []
    assert index.top("coffee", 0, lambda doc: True) == []


def test_ties_come_in_document_order() -> None:
    index = KeywordIndex()
    index.add(["garden tomato"] * 400 + ["garden"] * 400)
    got = index.top("garden", 5, lambda doc: doc % 2 == 1)
    assert [doc for doc, _ in got] == [401, 403, 405, 407, 409]
    assert index.top("garden", 5, lambda doc: doc % 2 == 1) == got


def test_a_common_term_is_not_scored_in_full() -> None:
    index = KeywordIndex()
    index.add([f"coffee {'tea' if i % 10 else 'tea tea'} {i}" for i in range(5000)])
    asked: list[int] = []

    def keep(doc: int) -> bool:
        asked.append(doc)
        return True

    got = index.top("tea", 10, keep)
    assert [doc for doc, _ in got] == list(range(0, 100, 10))
    assert len(asked) < 100  # of 5000 documents holding "tea"
