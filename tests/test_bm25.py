"""The BM25 baseline the retrieval benchmarks compare against."""

from tests.bench.bm25 import BM25, tokenize

DOCS = [
    "I adopted a dog last spring and walk it every morning.",
    "My sister moved to Lisbon for a new job.",
    "We went hiking in the Alps during the summer.",
    "The pottery class on Tuesday was relaxing.",
]


def test_exact_term_document_ranks_first() -> None:
    ranked = BM25(DOCS).top("where does she do pottery", k=3)
    assert ranked[0][0] == 3
    assert [i for i, _ in ranked] == [3]  # documents sharing no term are left out


def test_idf_down_weights_a_word_in_every_doc() -> None:
    docs = ["note apple", "note banana", "note cherry", "note apple apple"]
    index = BM25(docs)
    common = index.top("note", k=4)
    rare = index.top("banana", k=4)
    assert len(common) == 4
    assert rare[0][0] == 1
    assert rare[0][1] > 5 * max(score for _, score in common)


def test_tokenizer_lowercases_and_drops_stopwords() -> None:
    assert tokenize("The Dog AND the cat's toy, 2023!") == ["dog", "cat's", "toy", "2023"]


def test_empty_index_and_k_limit() -> None:
    assert BM25([]).top("anything", k=5) == []
    assert len(BM25(DOCS * 3).top("dog", k=2)) == 2
