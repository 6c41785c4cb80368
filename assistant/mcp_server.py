"""`assistant mcp`: the user's memory, served over MCP on stdio to other programs.

A thin shell over the Assistant, like the CLI: each tool is one Assistant call, so a
write takes the store's lock as the app's own writes do, and `forget` is the same
real erase as `assistant memory forget`. The chat model is never loaded; the
embedder loads in the background as the server starts. While it serves, the SDK
points fd 1 at stderr and speaks the protocol on a private copy, so nothing a
library prints can corrupt the stream.

The learning level decides what is used and stored: at `off` nothing new is
remembered, and corrections and rules (learned from feedback) are served only at
`feedback` and `full`, as a chat would use them. Queries are never stored.
"""

import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, Literal

from assistant import __version__
from assistant.compose import Environment
from assistant.core.errors import AssistantError
from assistant.core.records import FEEDBACK_LEVELS, Memory, MemoryKind
from assistant.core.service import Assistant

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

log = logging.getLogger(__name__)

NAME = "assistant-memory"
PROFILE_URI = "memory://profile"
MAX_K = 50
FEEDBACK_KINDS = ("correction", "rule")
INSTRUCTIONS = (
    "The user's own memory, learned locally from their chats with their assistant: "
    "search it before asking the user something they may have said before. Remember "
    "only what the user states about themself, never your own conclusions."
)


@contextmanager
def _reported(error: type[Exception]) -> Iterator[None]:
    """An AssistantError becomes the SDK's `error` (a tool's error result, or a resource's
    protocol error) with its message and hint, never a crash or a bare traceback."""
    try:
        yield
    except AssistantError as exc:
        raise error(f"{exc.message} (hint: {exc.hint})" if exc.hint else exc.message) from exc


def _memory(memory: Memory) -> dict[str, Any]:
    return {
        "id": memory.id,
        "kind": memory.kind,
        "text": memory.text,
        "status": memory.status,
        "created_at": memory.created_at.isoformat(),
        "source_ids": list(memory.source_ids),
    }


def _warm(assistant: Assistant) -> None:
    """Load the embedder ahead of the first call; a failure is reported by that call."""
    try:
        assistant.learning_loop()
    except AssistantError as exc:
        log.warning("the embedder did not load: %s", exc.message)


def build_server(env: Environment, assistant: Assistant) -> "MCPServer[None]":
    """The MCP server over `assistant`: four tools and the standing profile."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError, ToolError

    # One call at a time, as from the CLI: the SDK runs each tool in its own thread.
    calls = threading.Lock()

    def hidden() -> tuple[str, ...]:
        """Kinds learned from feedback are used in chats, so served, at feedback and full."""
        return () if assistant.level() in FEEDBACK_LEVELS else FEEDBACK_KINDS

    @asynccontextmanager
    async def lifespan(_server: "MCPServer[None]") -> AsyncIterator[None]:
        threading.Thread(target=_warm, args=(assistant,), name="embedder", daemon=True).start()
        yield None

    server: MCPServer[None] = MCPServer(
        NAME,
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",
    )

    @server.tool()
    def search_memory(query: str, k: int = 10) -> dict[str, Any]:
        """Hybrid search (meaning and words) over the user's memories, past messages and
        indexed documents; each hit has its id, kind, score and source message ids."""
        if not query.strip():
            raise ToolError("the query is empty: pass what to look for")
        if not 1 <= k <= MAX_K:
            raise ToolError(f"k must be between 1 and {MAX_K}, not {k}")
        with calls, _reported(ToolError):
            hits = assistant.recall(query, k)
        return {
            "query": query,
            "hits": [h.as_dict() for h in hits if h.memory_kind not in hidden()],
        }

    @server.tool()
    def remember(text: str, kind: Literal["fact", "preference"] = "fact") -> dict[str, Any]:
        """Remember something the user said about themself (a fact, or a preference for
        how they want answers). Refused when the user has turned learning off."""
        if assistant.level() == "off":
            raise ToolError(
                "learning is off, so nothing new is remembered (hint: the user can turn it "
                'on with learning = "memory" in the config file, or ASSISTANT_LEARNING=memory)'
            )
        with calls, _reported(ToolError):
            return _memory(assistant.remember(text, kind))

    @server.tool()
    def list_memories(kind: MemoryKind | None = None) -> list[dict[str, Any]]:
        """The user's active memories, oldest first, optionally of one kind."""
        with calls, _reported(ToolError):
            found = assistant.memories(("active",), kind)
        return [_memory(m) for m in found if m.kind not in hidden()]

    @server.tool()
    def forget(memory_id: str) -> dict[str, Any]:
        """Delete a memory for real: its text, history and embedding leave the disk."""
        from assistant.weights.ledger import exports_containing

        with calls, _reported(ToolError):
            memory = assistant.forget_memory(memory_id)
        exports = exports_containing(env.paths, [memory.text])
        # The user's own export files are theirs to delete; name them, as the CLI does.
        return {"forgotten": memory.id, "exports_still_containing": [str(p) for p in exports]}

    @server.resource(PROFILE_URI, name="profile", mime_type="text/markdown")
    def profile() -> str:
        """The standing profile: the preferences the assistant puts in every prompt."""
        from assistant.core.learning.context_block import preferences_block

        with calls, _reported(ResourceError):
            standing = assistant.learning_loop().preferences()
        block = preferences_block([m for m in standing if m.kind not in hidden()])
        return block or "Nothing is known about the user's preferences yet."

    return server


def serve(env: Environment) -> int:
    """Serve over stdin and stdout until the client closes stdin."""
    from assistant.compose import build_assistant

    build_server(env, build_assistant(env)).run("stdio")
    return 0
