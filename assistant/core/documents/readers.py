"""File types and text extraction, streamed: a 100 MB text file is read in blocks.

A reader yields pieces: text, or a `Heading` it found in the structure (HTML `<h2>`,
a PDF page). Markdown headings stay in the text; the chunker spots them there. A file
that is not what it claims (NUL bytes, not UTF-8, a broken PDF) raises `Unreadable`,
which the index reports as a skip, never a crash.
"""

import codecs
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

BLOCK_BYTES = 1 << 20
SNIFF_BYTES = 8192
MARKDOWN = frozenset({".md", ".markdown", ".mdx"})
PLAIN = frozenset({".txt", ".text", ".rst", ".org", ".adoc", ".tex", ".log", ".csv"})
HTML = frozenset({".html", ".htm", ".xhtml"})
PDF = frozenset({".pdf"})
SOURCE = frozenset(
    {
        ".py", ".pyi", ".js", ".jsx", ".ts", ".tsx", ".go", ".rs", ".c", ".h", ".cc",
        ".cpp", ".hpp", ".java", ".kt", ".swift", ".rb", ".php", ".cs", ".scala", ".lua",
        ".sh", ".bash", ".zsh", ".fish", ".sql", ".r", ".jl", ".hs", ".ml", ".ex", ".exs",
        ".clj", ".el", ".vim", ".css", ".scss", ".toml", ".yaml", ".yml", ".json", ".ini",
        ".cfg", ".xml", ".proto", ".tf", ".nix", ".zig", ".dart", ".m", ".mk",
    }
)  # fmt: skip
TEXT_NAMES = frozenset({"readme", "license", "makefile", "dockerfile", "changelog", "notes"})


class Unreadable(Exception):
    """The file cannot be turned into text; the message says why (for the report)."""


@dataclass(frozen=True)
class Heading:
    """A heading the reader found in the file's structure (level 1 is the outermost)."""

    level: int
    title: str


Piece = str | Heading


def kind_of(path: Path) -> str | None:
    """markdown, text, html, pdf or source by the file name; None for anything else."""
    suffix = path.suffix.lower()
    for kind, suffixes in (
        ("markdown", MARKDOWN),
        ("text", PLAIN),
        ("html", HTML),
        ("pdf", PDF),
        ("source", SOURCE),
    ):
        if suffix in suffixes:
            return kind
    return "text" if not suffix and path.name.lower() in TEXT_NAMES else None


def sha256_of(path: Path) -> str:
    """The file's sha256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def read_pieces(path: Path, kind: str) -> Iterator[Piece]:
    """The file's text as pieces, a block at a time (raises Unreadable)."""
    try:
        if kind == "pdf":
            yield from _pdf(path)
        elif kind == "html":
            yield from _html(_text_blocks(path))
        else:
            yield from _text_blocks(path)
    except OSError as exc:
        raise Unreadable(f"unreadable: {exc.strerror or exc}") from None


def _text_blocks(path: Path) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        first = True
        while block := handle.read(BLOCK_BYTES):
            if first and block.startswith(codecs.BOM_UTF8):
                block = block[len(codecs.BOM_UTF8) :]
            if first and b"\x00" in block[:SNIFF_BYTES]:
                raise Unreadable("binary file (NUL bytes)")
            first = False
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError:
                raise Unreadable("not UTF-8 text") from None
            if "\x00" in text:
                raise Unreadable("binary file (NUL bytes)")
            yield text
        try:
            yield decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise Unreadable("not UTF-8 text (truncated)") from None


class _HtmlText(HTMLParser):
    """Visible text of an HTML page, headings as Heading pieces, blocks as paragraphs."""

    BLOCKS = frozenset({"p", "div", "li", "br", "tr", "section", "article", "pre", "table"})
    HIDDEN = frozenset({"script", "style", "head", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[Piece] = []
        self._hidden = 0
        self._heading: tuple[int, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._heading = (int(tag[1]), [])
        elif tag in self.BLOCKS:
            self.out.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif self._heading is not None and tag == f"h{self._heading[0]}":
            level, words = self._heading
            self._heading = None
            title = " ".join("".join(words).split())
            if title:
                self.out += [Heading(level, title), f"{title}\n\n"]
        elif tag in self.BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._heading is not None:
            self._heading[1].append(data)
        else:
            self.out.append(data)


def _html(blocks: Iterator[str]) -> Iterator[Piece]:
    parser = _HtmlText()
    for block in blocks:
        parser.feed(block)
        yield from parser.out
        parser.out.clear()
    parser.close()
    yield from parser.out


def _pdf(path: Path) -> Iterator[Piece]:
    """Page by page, each page a heading ("page 3"), so a citation names the page."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs every malformed object it works around; the report says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise Unreadable("encrypted PDF")
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            yield Heading(1, f"page {number}")
            yield text.replace("\x00", "") + "\n\n"
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise Unreadable(f"broken PDF: {exc}") from None
