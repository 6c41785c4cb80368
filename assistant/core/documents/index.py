"""The document index: add, sync, remove and list the user's files, and search them.

Built on the DocumentStore port and an embed function, so the same code runs in the
CLI, the TUI's background sync and the tests. The rules that make it cheap and safe:
- an unchanged file costs one stat (its mtime and size match the file row);
- a touched file whose bytes did not change costs one hash, no embedding;
- a file is committed whole or not at all (DocFile), so an interrupted add is resumed
  by running it again;
- anything removed or replaced is purged from the disk, not just hidden.
"""

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from assistant.core.documents.chunking import Chunk, Chunker
from assistant.core.documents.readers import Unreadable, kind_of, read_pieces, sha256_of
from assistant.core.documents.records import DocChunk, DocFile, DocRoot, IndexReport, Skip
from assistant.core.documents.walk import is_under, normalize, walk
from assistant.core.documents.writer import CHUNK_BATCH, BatchWriter, Embed
from assistant.core.errors import InputError, NotFoundError
from assistant.core.learning.recall import Hit, fuse, keyword_query
from assistant.core.ports.documents import DocumentStore
from assistant.core.ports.store import Scored
from assistant.core.records import new_id, utc_now

Progress = Callable[[str], None]
# Larger files are skipped with a report: embedding 100 MB of text on a CPU takes
# hours. Smaller ones are still read in blocks, never whole (readers.py).
MAX_FILE_BYTES = 32 * 1024 * 1024


def _quiet(_line: str) -> None:
    return None


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


@dataclass(frozen=True)
class RootSummary:
    """One indexed root as `docs list` shows it."""

    path: str
    files: int
    chunks: int
    added_at: datetime
    synced_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "files": self.files,
            "chunks": self.chunks,
            "added_at": self.added_at.isoformat(),
            "synced_at": self.synced_at.isoformat() if self.synced_at else None,
        }


@dataclass(frozen=True)
class Removal:
    """What `docs remove` deleted."""

    path: str
    files: int
    chunks: int


def cited_path(file: DocFile) -> str:
    """How citations name a file: its path from its root's folder (notes/cooking.md)."""
    try:
        return str(Path(file.path).relative_to(Path(file.root).parent))
    except ValueError:
        return file.path


def citation(file: DocFile, chunk: DocChunk) -> str:
    """`[notes/cooking.md#Sauces]`: the path from the root's folder, then the heading."""
    shown = cited_path(file)
    return f"[{shown}#{chunk.title}]" if chunk.title else f"[{shown}]"


CITATION = re.compile(r"\[([^\[\]\n#]+\.[^\[\]\n#]+)(?:#([^\[\]\n]*))?\]")


def citations_in(text: str) -> list[str]:
    """The `[path#heading]` citations a reply makes, in order."""
    return [m.group(0) for m in CITATION.finditer(text)]


class DocumentIndex:
    """The user's indexed documents over one store and embedder."""

    def __init__(
        self,
        store: DocumentStore,
        embed: Embed,
        max_bytes: int = MAX_FILE_BYTES,
        chunk_batch: int = CHUNK_BATCH,
        erased: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        # Called after text was erased: replies that quoted it were rewritten on disk.
        self.erased = erased
        self.embed = embed
        self.max_bytes = max_bytes
        self.chunk_batch = chunk_batch
        self._failed = False

    # -- add, sync, remove -------------------------------------------------------

    def add(self, paths: Sequence[str | Path], progress: Progress = _quiet) -> IndexReport:
        """Index files and folders (and remember them as roots for `sync`)."""
        started = time.perf_counter()
        wanted = [normalize(p) for p in paths]
        for path in wanted:
            if not os.path.lexists(path):
                raise InputError(f"no such file or folder: {path}", "check the path")
        roots = self.store.roots()
        covered = [r.path for r in roots if r.kind == "root"]
        now = utc_now()
        for path in wanted:
            if any(is_under(path, c) for c in covered):
                # Already inside a root: only lift exclusions at or under it.
                stale = [r.path for r in roots if r.kind == "exclude" and is_under(r.path, path)]
            else:
                # A new root absorbs the roots and exclusions inside it.
                stale = [r.path for r in roots if is_under(r.path, path)]
                covered = [c for c in covered if not is_under(c, path)]
                # Adding indexes the whole root: that is its first sync.
                self.store.save_root(DocRoot(path, "root", now, synced_at=now))
                covered.append(path)
            self.store.delete_roots(stale)
        report = IndexReport()
        self.store.drop_orphans()
        if self._index(wanted, report, progress, remove_missing=False):
            self._purge(progress)
        report.seconds = time.perf_counter() - started
        return report

    def sync(self, progress: Progress = _quiet) -> IndexReport:
        """Re-index changed files, drop deleted ones; unchanged files cost a stat."""
        started = time.perf_counter()
        report = IndexReport()
        self.store.drop_orphans()
        roots = [r for r in self.store.roots() if r.kind == "root"]
        erased = self._index([r.path for r in roots], report, progress, remove_missing=True)
        now = utc_now()
        for root in roots:
            self.store.save_root(replace(root, synced_at=now))
        if erased:
            self._purge(progress)
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, path: str | Path) -> Removal:
        """Forget a root, or a file or folder inside one, and erase its chunks from disk."""
        target = normalize(path)
        roots = self.store.roots()
        files = [f for f in self.store.files() if is_under(f.path, target)]
        gone_roots = [r.path for r in roots if is_under(r.path, target)]
        if not files and not any(r.kind == "root" for r in roots if r.path in gone_roots):
            raise NotFoundError(
                f"nothing indexed at {target}", "see what is indexed with `assistant docs list`"
            )
        self.store.delete_roots(gone_roots)
        if any(r.kind == "root" and is_under(target, r.path) and r.path != target for r in roots):
            # Inside a root that stays: keep it out of the next sync too.
            self.store.save_root(DocRoot(target, "exclude", utc_now()))
        self.store.delete_files([f.path for f in files])
        self._purge(_quiet)
        return Removal(target, len(files), sum(f.chunks for f in files))

    def _purge(self, progress: Progress) -> None:
        progress("Erasing old chunks from disk…")
        self.store.purge()
        self.erased()

    def _index(
        self, roots: Sequence[str], report: IndexReport, progress: Progress, remove_missing: bool
    ) -> bool:
        """Index what changed under `roots`; returns whether anything needs erasing."""
        excluded = {r.path for r in self.store.roots() if r.kind == "exclude"}
        known = {f.path: f for f in self.store.files()}
        seen: set[str] = set()
        replaced = False
        writer = BatchWriter(self.store, self.embed, self.chunk_batch)
        self._failed = False
        for root in roots:
            if not os.path.lexists(root):
                progress(f"{root} is gone")
                continue
            for path in walk(root, excluded, report.skipped):
                if path in seen:
                    continue
                seen.add(path)
                replaced |= self._file(
                    path, root, known.get(path), report, progress=progress, writer=writer
                )
        writer.flush()
        if self._failed:
            self.store.drop_orphans()  # chunks written before a file failed half way
        if remove_missing:
            gone = [p for p in known if p not in seen]
            if gone:
                self.store.delete_files(gone)
                report.removed += len(gone)
        return replaced or report.removed > 0

    def _file(
        self,
        path: str,
        root: str,
        known: DocFile | None,
        report: IndexReport,
        *,
        progress: Progress,
        writer: BatchWriter,
    ) -> bool:
        """Index one file if it changed; returns whether older chunks were replaced."""
        try:
            info = os.stat(path)
        except OSError as exc:
            report.skipped.append(Skip(path, f"unreadable: {exc.strerror or exc}"))
            return False
        if known and known.mtime_ns == info.st_mtime_ns and known.size == info.st_size:
            report.unchanged += 1
            return False
        kind = kind_of(Path(path))
        reason = ""
        if kind is None:
            reason = "not a document type this index reads"
        elif info.st_size > self.max_bytes:
            reason = f"too large ({_size(info.st_size)}; the limit is {_size(self.max_bytes)})"
        if reason or kind is None:
            report.skipped.append(Skip(path, reason))
            return self._drop(known, report)
        file_id = new_id()
        try:
            sha = sha256_of(Path(path))
            report.hashed += 1
            if known and known.sha256 == sha:
                writer.file(replace(known, mtime_ns=info.st_mtime_ns, size=info.st_size))
                report.unchanged += 1
                return False
            progress(f"Indexing {path}")
            count = self._write(
                path, root, kind, info=info, sha=sha, file_id=file_id, writer=writer
            )
        except (Unreadable, OSError) as exc:
            reason = str(exc) if isinstance(exc, Unreadable) else f"unreadable: {exc.strerror}"
            report.skipped.append(Skip(path, reason))
            writer.discard(file_id)
            self._failed = True
            return self._drop(known, report)
        report.chunks += count
        report.bytes += info.st_size
        if known:
            report.updated += 1
        else:
            report.added += 1
        return known is not None

    def _drop(self, known: DocFile | None, report: IndexReport) -> bool:
        """A file that was indexed and can no longer be read leaves the index."""
        if known is None:
            return False
        self.store.delete_files([known.path])
        report.removed += 1
        return True

    def _write(
        self,
        path: str,
        root: str,
        kind: str,
        *,
        info: os.stat_result,
        sha: str,
        file_id: str,
        writer: BatchWriter,
    ) -> int:
        count = 0
        for chunk in self._chunks(path, kind):
            writer.chunk(
                DocChunk(new_id(), file_id, path, chunk.heading, chunk.start, chunk.end, chunk.text)
            )
            count += 1
        size, mtime = info.st_size, info.st_mtime_ns
        writer.file(DocFile(path, root, file_id, kind, size, mtime, sha, count, utc_now()))
        return count

    def _chunks(self, path: str, kind: str) -> Iterator[Chunk]:
        chunker = Chunker(markdown=kind == "markdown")
        for piece in read_pieces(Path(path), kind):
            yield from chunker.feed(piece)
        yield from chunker.finish()

    # -- reading -----------------------------------------------------------------

    def roots(self) -> list[RootSummary]:
        """Indexed roots with their file and chunk counts and last sync."""
        files = self.store.files()
        found = []
        for root in sorted(self.store.roots(), key=lambda r: r.path):
            if root.kind != "root":
                continue
            mine = [f for f in files if is_under(f.path, root.path)]
            found.append(
                RootSummary(
                    root.path,
                    len(mine),
                    sum(f.chunks for f in mine),
                    root.added_at,
                    root.synced_at,
                )
            )
        return found

    def files(self, under: str | Path | None = None) -> list[DocFile]:
        """Indexed files (under a folder if given), by path."""
        files = self.store.files()
        if under is not None:
            folder = normalize(under)
            files = [f for f in files if is_under(f.path, folder)]
        return sorted(files, key=lambda f: f.path)

    def chunks(self, path: str | Path) -> list[DocChunk]:
        """A file's chunks in document order."""
        return self.store.chunks_of(normalize(path))

    def find(self, cited: str) -> tuple[DocFile, DocChunk] | None:
        """The file and chunk a `[path#heading]` citation names (for opening it).

        A heading the file does not have (a model may garble it) still finds the file,
        at its first chunk.
        """
        match = CITATION.fullmatch(cited.strip())
        if match is None:
            return None
        shown, title = match.group(1), match.group(2) or ""
        for file in self.store.files():
            if cited_path(file) == shown:
                chunks = self.store.chunks_of(file.path)
                if not chunks:
                    return None
                return file, next((c for c in chunks if c.title == title), chunks[0])
        return None

    def search(self, vector: Sequence[float], text: str, k: int) -> list[Hit]:
        """The best k chunks for a query: dense and keyword candidates, RRF-fused."""
        files = {f.file_id: f for f in self.store.files()}
        if not files:
            return []

        def hit(scored: Scored[DocChunk]) -> Scored[Hit]:
            chunk = scored.item
            file = files.get(chunk.file_id)
            cited = citation(file, chunk) if file else f"[{chunk.path}]"
            when = file.indexed_at if file else datetime.fromtimestamp(0, UTC)
            made = Hit(
                "document",
                chunk.id,
                chunk.text,
                0.0,
                when,
                path=chunk.path,
                heading=chunk.heading,
                citation=cited,
            )
            return Scored(made, scored.score)

        dense = [hit(s) for s in self.store.nearest_chunks(vector, 2 * k)]
        words = keyword_query(text)
        keyword = [hit(s) for s in self.store.keyword_chunks(words, 2 * k)] if words else []
        return fuse(dense, keyword)[:k]
