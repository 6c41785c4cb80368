"""Indexing throughput and sync cost of the documents knowledge base.

A folder of N short Markdown notes (headings and paragraphs of seeded random words,
about 1 KB each) is indexed into a fresh LanceDB with the real embedder, then synced:
- index: `docs add` of the folder, in MB/s and chunks/s; beside it, reading and
  chunking alone (no embedding, no store), and the bare embedder on a sample of the
  same chunk texts, to show where the time goes;
- sync, unchanged: every file costs one stat (median of repeats; files hashed = 0);
- sync, touched: every mtime changed but no content, so every file is hashed and
  none re-embedded: what a sync would cost without the stat shortcut;
- search: one query's document search (dense + BM25, fused) at this size.

Run: `.venv/bin/python -m tests.bench.bench_docs [--files 1000] [--repeats 5]`.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from assistant.core.documents.chunking import chunk_pieces
from assistant.core.documents.index import DocumentIndex
from assistant.core.documents.readers import read_pieces
from assistant.core.documents.records import DocChunk
from assistant.core.documents.writer import embed_text
from assistant.embedder import load_embedder
from assistant.store.documents import LanceDocumentStore
from assistant.store.lance_db import LanceDatabase
from tests.bench.report import write_result

EMBED_SAMPLE = 256
WORDS = [
    "garden",
    "kettle",
    "ferry",
    "invoice",
    "piano",
    "router",
    "boiler",
    "tomato",
    "bicycle",
    "folder",
    "backup",
    "recipe",
    "lantern",
    "harbour",
    "ticket",
    "meeting",
    "budget",
    "window",
    "sensor",
    "battery",
    "library",
    "winter",
    "summer",
    "morning",
    "evening",
    "station",
    "market",
    "doctor",
    "letter",
    "engine",
    "season",
]


def _paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def write_corpus(folder: Path, files: int, seed: int = 7) -> int:
    """N notes of one or two sections each; returns the total bytes."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    total = 0
    for i in range(files):
        parts = [f"# Note {i}: {rng.choice(WORDS)} and {rng.choice(WORDS)}\n"]
        for s in range(rng.randint(1, 2)):
            parts.append(f"\n## Section {s}\n")
            parts += [f"\n{_paragraph(rng, rng.randint(20, 50))}\n" for _ in range(2)]
        text = "".join(parts)
        (folder / f"note-{i:05}.md").write_text(text)
        total += len(text.encode())
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    embedder = load_embedder()
    embedder.embed(["warm up"])
    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes"
        size = write_corpus(notes, args.files)

        started = time.perf_counter()
        chunks = [
            DocChunk("", "", str(path), c.heading, c.start, c.end, c.text)
            for path in sorted(notes.iterdir())
            for c in chunk_pieces(read_pieces(path, "markdown"), markdown=True)
        ]
        chunk_s = time.perf_counter() - started
        sample = [embed_text(c) for c in chunks[:EMBED_SAMPLE]]
        started = time.perf_counter()
        embedder.embed(sample)
        embed_only = len(sample) / (time.perf_counter() - started)

        index = DocumentIndex(
            LanceDocumentStore(LanceDatabase(Path(tmp) / "store")), embedder.embed
        )
        added = index.add([notes])
        assert added.added == args.files and not added.skipped, added.as_dict()
        assert added.chunks == len(chunks)

        unchanged = []
        for _ in range(args.repeats):
            report = index.sync()
            assert report.unchanged == args.files and report.hashed == 0, report.as_dict()
            unchanged.append(report.seconds)

        touched = []
        for repeat in range(args.repeats):
            for path in notes.iterdir():
                os.utime(path, ns=(repeat + 1, repeat + 1))
            report = index.sync()
            assert report.hashed == args.files and report.chunks == 0, report.as_dict()
            touched.append(report.seconds)

        query = "when is the ferry ticket for the harbour"
        vector = embedder.embed([query])[0]
        index.search(vector, query, 3)
        search_ms = []
        for _ in range(20):
            begin = time.perf_counter()
            hits = index.search(vector, query, 3)
            search_ms.append((time.perf_counter() - begin) * 1000)
        assert hits

    mb = size / 1e6
    result = {
        "files": args.files,
        "bytes": size,
        "chunks": added.chunks,
        "index": {
            "seconds": round(added.seconds, 2),
            "mb_per_s": round(mb / added.seconds, 3),
            "chunks_per_s": round(added.chunks / added.seconds, 1),
            "read_and_chunk_only_mb_per_s": round(mb / chunk_s, 1),
            "embedder_only_chunks_per_s": round(embed_only, 1),
        },
        "sync_unchanged_s": {
            "median": round(statistics.median(unchanged), 3),
            "min": round(min(unchanged), 3),
            "per_file_ms": round(statistics.median(unchanged) / args.files * 1000, 3),
        },
        "sync_touched_hash_only_s": {"median": round(statistics.median(touched), 3)},
        "search_ms": {
            "p50": round(statistics.median(search_ms), 2),
            "max": round(max(search_ms), 2),
        },
        "embedder_threads": 1,
    }
    print(result)
    write_result("bench_docs", result)


if __name__ == "__main__":
    main()
