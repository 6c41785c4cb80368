"""The Documents screen: what is indexed, how big, when last synced; chunks; removal.

Indexed folders (and files added on their own) sit in the top table with their file
and chunk counts and last sync. The highlighted root's files fill the table below,
and the highlighted file's chunks, each under the citation the model uses for it,
show at the bottom: a cited `[path#heading]` can be found there. Removing erases a
file's chunks from disk (after a confirmation). Core calls run in thread workers,
one at a time, and post past-tense messages back.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message as UIMessage
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Label, Static

from assistant.core.documents.index import Removal, RootSummary, citation, citations_in
from assistant.core.documents.records import DocFile, IndexReport
from assistant.core.service import Assistant
from assistant.tui.events import ActionFailed, post_core_result
from assistant.tui.text import short_time

CHUNK_CHARS = 600
# One document call at a time, app-wide: the sync on start and the screen's actions
# must not interleave (a listing would read half a removal).
DOCUMENTS_LOCK = threading.Lock()


class DocumentsSynced(UIMessage):
    """A sync (on start, or asked for) finished."""

    def __init__(self, report: IndexReport) -> None:
        super().__init__()
        self.report = report


def sync_summary(report: IndexReport) -> str:
    """One line for a notification ("" when nothing changed and nothing was skipped)."""
    parts = [
        f"{count} {what}"
        for count, what in (
            (report.added, "added"),
            (report.updated, "updated"),
            (report.removed, "removed"),
            (len(report.skipped), "skipped"),
        )
        if count
    ]
    return ", ".join(parts)


def sync_documents(assistant: Assistant, post: Callable[[UIMessage], object]) -> None:
    """Sync the index (call it in a worker thread); posts DocumentsSynced or ActionFailed."""
    index = assistant.documents()
    post_core_result(post, DOCUMENTS_LOCK, lambda: DocumentsSynced(index.sync()), "document sync")


@dataclass(frozen=True)
class Listing:
    """Roots and files as the tables show them."""

    roots: list[RootSummary]
    files: list[DocFile]


class DocumentsLoaded(UIMessage):
    def __init__(self, listing: Listing) -> None:
        super().__init__()
        self.listing = listing


class ChunksLoaded(UIMessage):
    def __init__(self, path: str, chunks: list[tuple[str, str]]) -> None:
        super().__init__()
        self.path = path
        self.chunks = chunks


class CitationFound(UIMessage):
    def __init__(self, path: str | None) -> None:
        super().__init__()
        self.path = path


class DocumentRemoved(UIMessage):
    def __init__(self, removal: Removal) -> None:
        super().__init__()
        self.removal = removal


class RemoveDocumentPrompt(ModalScreen[bool]):
    """Confirm a removal; Cancel has the focus, so a stray Enter removes nothing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, path: str, files: int, chunks: int) -> None:
        super().__init__()
        self.path = path
        self.counts = (files, chunks)

    def compose(self) -> ComposeResult:
        files, chunks = self.counts
        with Vertical(id="remove-prompt", classes="dialog compact"):
            yield Label("Remove from the index?", classes="dialog-title")
            yield Static(
                f"{self.path}\n{files} file(s), {chunks} chunk(s) will be erased from disk."
                " The files themselves stay.",
                markup=False,
            )
            with Horizontal(id="remove-buttons"):
                yield Button("Remove", id="remove", variant="error")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "remove")

    def action_cancel(self) -> None:
        self.dismiss(False)


class DocumentsScreen(ModalScreen[None]):
    """Indexed folders and files, their chunks, sync and remove."""

    CSS_PATH = "documents.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("s", "sync", "Sync now"),
        Binding("d", "remove", "Remove"),
        Binding("delete", "remove", "Remove", show=False),
    ]

    def __init__(self, assistant: Assistant, reply: str = "") -> None:
        """`reply`: a reply's text; the screen opens at the first document it cites."""
        super().__init__()
        self.assistant = assistant
        self._cited = next(iter(citations_in(reply)), "")
        self.listing = Listing([], [])
        self.shown_files: list[DocFile] = []
        self.chunks: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="documents"):
            yield Label("Documents (esc closes)", classes="dialog-title")
            yield DataTable(id="doc-roots", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="doc-files", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="doc-chunks"):
                yield Static("", id="doc-chunk-text", markup=False)
            yield Label("Loading…", id="doc-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        roots = self.roots_table
        for label, key in (("Indexed", "path"), ("Files", "files"), ("Chunks", "chunks")):
            roots.add_column(label, key=key)
        roots.add_column("Last sync", key="synced")
        for label, key in (("File", "path"), ("Kind", "kind"), ("Chunks", "chunks")):
            self.files_table.add_column(label, key=key)
        self.files_table.add_column("Indexed", key="indexed")
        roots.focus()
        self.reload()

    @property
    def roots_table(self) -> DataTable[str]:
        return self.query_one("#doc-roots", DataTable)

    @property
    def files_table(self) -> DataTable[str]:
        return self.query_one("#doc-files", DataTable)

    def _say(self, line: str) -> None:
        self.query_one("#doc-status", Label).update(line)

    def _in_thread(self, call: Callable[[], UIMessage], group: str) -> None:
        def run() -> None:
            post_core_result(self.post_message, DOCUMENTS_LOCK, call, "documents call")

        self.run_worker(run, thread=True, group=group)

    # -- listing -------------------------------------------------------------

    def reload(self) -> None:
        """List roots and files again, in a worker."""
        index = self.assistant.documents()
        self._in_thread(lambda: DocumentsLoaded(Listing(index.roots(), index.files())), "docs")

    @on(DocumentsLoaded)
    def _listed(self, event: DocumentsLoaded) -> None:
        self.listing = event.listing
        table = self.roots_table
        keep = table.cursor_row
        table.clear()
        for root in self.listing.roots:
            synced = short_time(root.synced_at) if root.synced_at else "never"
            table.add_row(root.path, str(root.files), str(root.chunks), synced)
        if self.listing.roots:
            table.move_cursor(row=min(max(keep, 0), len(self.listing.roots) - 1))
        files = len(self.listing.files)
        chunks = sum(f.chunks for f in self.listing.files)
        self._say(f"{len(self.listing.roots)} indexed · {files} files · {chunks} chunks")
        self._show_files()
        if self._cited:
            cited, self._cited = self._cited, ""
            self.show_citation(cited)

    @property
    def highlighted_root(self) -> RootSummary | None:
        row = self.roots_table.cursor_row
        roots = self.listing.roots
        return roots[row] if roots and 0 <= row < len(roots) else None

    @property
    def highlighted_file(self) -> DocFile | None:
        row = self.files_table.cursor_row
        files = self.shown_files
        return files[row] if files and 0 <= row < len(files) else None

    def _show_files(self) -> None:
        root = self.highlighted_root
        self.shown_files = []
        if root is not None:
            prefix = root.path.rstrip("/") + "/"
            self.shown_files = [
                f for f in self.listing.files if f.path == root.path or f.path.startswith(prefix)
            ]
        table = self.files_table
        table.clear()
        for file in self.shown_files:
            shown = file.path.removeprefix(root.path.rstrip("/") + "/") if root else file.path
            table.add_row(shown, file.kind, str(file.chunks), short_time(file.indexed_at))
        self._show_chunks()

    @on(DataTable.RowHighlighted, "#doc-roots")
    def _root_highlighted(self) -> None:
        self._show_files()

    @on(DataTable.RowHighlighted, "#doc-files")
    def _file_highlighted(self) -> None:
        self._show_chunks()

    def _show_chunks(self) -> None:
        file = self.highlighted_file
        if file is None:
            self.query_one("#doc-chunk-text", Static).update("")
            return
        index = self.assistant.documents()

        def load() -> UIMessage:
            chunks = index.chunks(file.path)
            return ChunksLoaded(file.path, [(citation(file, c), c.text) for c in chunks])

        self._in_thread(load, "doc-chunks")

    @on(ChunksLoaded)
    def _chunks_loaded(self, event: ChunksLoaded) -> None:
        file = self.highlighted_file
        if file is None or file.path != event.path:
            return  # the cursor moved on meanwhile
        self.chunks = event.chunks
        parts = []
        for cited, text in event.chunks:
            body = text if len(text) <= CHUNK_CHARS else text[: CHUNK_CHARS - 1] + "…"
            parts.append(f"{cited}\n{body}")
        self.query_one("#doc-chunk-text", Static).update("\n\n".join(parts))

    def show_citation(self, cited: str) -> None:
        """Highlight the file a `[path#heading]` citation names (looked up in a worker)."""
        index = self.assistant.documents()

        def find() -> UIMessage:
            found = index.find(cited)
            return CitationFound(found[0].path if found else None)

        self._in_thread(find, "doc-find")

    @on(CitationFound)
    def _citation_found(self, event: CitationFound) -> None:
        if event.path is None:
            self.notify("That citation names no indexed document.", severity="warning")
            return
        file = next((f for f in self.listing.files if f.path == event.path), None)
        if file is None:
            return
        for row, root in enumerate(self.listing.roots):
            if file.path == root.path or file.path.startswith(root.path.rstrip("/") + "/"):
                self.roots_table.move_cursor(row=row)
                self._show_files()
                break
        paths = [f.path for f in self.shown_files]
        if file.path in paths:
            self.files_table.move_cursor(row=paths.index(file.path))
            self.files_table.focus()
            self._show_chunks()

    # -- actions -------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_sync(self) -> None:
        self._say("Syncing…")
        self.run_worker(
            lambda: sync_documents(self.assistant, self.post_message), thread=True, group="docs"
        )

    @on(DocumentsSynced)
    def _synced(self, event: DocumentsSynced) -> None:
        event.stop()
        self.notify(sync_summary(event.report) or "Nothing changed.", title="Documents synced")
        self.reload()

    def action_remove(self) -> None:
        if self.files_table.has_focus and self.highlighted_file is not None:
            file = self.highlighted_file
            path, files, chunks = file.path, 1, file.chunks
        elif self.highlighted_root is not None:
            root = self.highlighted_root
            path, files, chunks = root.path, root.files, root.chunks
        else:
            self.notify("Nothing is indexed.", severity="warning")
            return

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                self._say(f"Removing {path}…")
                index = self.assistant.documents()
                self._in_thread(lambda: DocumentRemoved(index.remove(path)), "docs")

        self.app.push_screen(RemoveDocumentPrompt(path, files, chunks), chosen)

    @on(DocumentRemoved)
    def _removed(self, event: DocumentRemoved) -> None:
        removal = event.removal
        self.notify(f"Removed {removal.files} file(s), {removal.chunks} chunk(s).")
        self.reload()

    @on(ActionFailed)
    def _failed(self, event: ActionFailed) -> None:
        event.stop()
        self.notify(f"{event.message_text}\n{event.hint}", severity="error", timeout=15)
        self._say(event.message_text)
