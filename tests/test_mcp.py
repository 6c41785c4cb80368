"""`assistant mcp` as a real subprocess, driven by the MCP SDK's own stdio client.

The server runs the real embedder and a real LanceDB in the test's home. The chat
model path points nowhere: these tools must never load it.
"""

import json
import os
import queue
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextResourceContents

from assistant.compose import build_assistant, load_environment
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from tests.cli_helpers import EXE
from tests.erasure import tables_with_old_versions, traces

pytestmark = pytest.mark.real


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The server's environment: an isolated home, and no chat model it could load."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return env | {
        "ASSISTANT_HOME": str(home),
        "ASSISTANT_MODEL": str(home / "no-such-model.gguf"),
        **extra,
    }


@asynccontextmanager
async def mcp_session(env: dict[str, str]) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=EXE, args=["mcp"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    """A tool's structured result; the call must succeed."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    return " ".join(getattr(c, "text", "") for c in result.content)


async def test_remember_search_forget_leaves_nothing_on_disk(home: Path) -> None:
    marker = f"zq{uuid.uuid4().hex[:12]}"
    async with mcp_session(server_env(home)) as session:
        tools = {t.name for t in (await session.list_tools()).tools}
        assert tools == {"search_memory", "remember", "list_memories", "forget"}

        remembered = await call(session, "remember", text=f"The user's locker code is {marker}")
        assert marker in remembered["text"] and remembered["status"] == "active"
        found = await call(session, "search_memory", query="what is my locker code", k=5)
        hit = next(h for h in found["hits"] if h["id"] == remembered["id"])
        assert marker in hit["text"] and "source_ids" in hit and hit["score"] > 0
        listed = (await call(session, "list_memories", kind="fact"))["result"]
        assert [m["id"] for m in listed] == [remembered["id"]]

        preference = await call(
            session, "remember", text="The user prefers answers in metric units", kind="preference"
        )
        profile = await session.read_resource("memory://profile")
        [contents] = profile.contents
        assert isinstance(contents, TextResourceContents)
        assert preference["text"] in contents.text

        assert traces([home], marker)  # the byte search sees it while it is remembered
        forgotten = await call(session, "forget", memory_id=remembered["id"])
        assert forgotten["forgotten"] == remembered["id"]
        # Erased by the time the call returns, while the server is still running.
        assert traces([home], marker) == []
        assert tables_with_old_versions(home / "data" / "store") == {}
        found = await call(session, "search_memory", query="what is my locker code", k=5)
        assert all(marker not in h["text"] for h in found["hits"])
        listed = (await call(session, "list_memories"))["result"]
        assert [m["id"] for m in listed] == [preference["id"]]
    assert traces([home], marker) == []


async def test_bad_arguments_are_errors_and_the_server_keeps_serving(home: Path) -> None:
    async with mcp_session(server_env(home)) as session:
        bad = [
            ("search_memory", {"query": "trip", "k": "lots"}, "k"),
            ("search_memory", {"query": "trip", "k": 0}, "between 1 and"),
            ("search_memory", {"query": "   ", "k": 3}, "empty"),
            ("search_memory", {}, "query"),
            ("remember", {"text": ""}, "empty"),
            ("remember", {"text": "x", "kind": "rule"}, "kind"),
            ("list_memories", {"kind": "secrets"}, "kind"),
            ("forget", {"memory_id": "no-such-id"}, "no memory with id"),
            ("forget", {"memory_id": "' OR 1=1 --"}, "no memory with id"),
            ("no_such_tool", {}, "no_such_tool"),
        ]
        for tool, arguments, fragment in bad:
            result = await session.call_tool(tool, arguments)
            assert fragment in error_text(result), (tool, arguments)
        assert (await call(session, "list_memories"))["result"] == []


async def test_the_server_and_the_app_share_the_store(home: Path, embedder: Embedder) -> None:
    """A memory written by the app while the server runs, and one written by the server,
    are both seen by both: neither process's write is lost."""
    async with mcp_session(server_env(home)) as session:
        from_server = await call(session, "remember", text="The user's cat is called Tofu")
        app = build_assistant(load_environment(), ScriptedBackend(), embedder)
        from_app = app.remember("The user's dog is called Miso")
        again = await call(session, "remember", text="The user plays the cello")
        seen_by_server = {m["id"] for m in (await call(session, "list_memories"))["result"]}
    assert seen_by_server == {from_server["id"], from_app.id, again["id"]}
    assert {m.id for m in app.memories()} == seen_by_server


def _lines(stream: Any, out: "queue.Queue[str]") -> None:
    for line in stream:
        out.put(line)
    out.put("")


def test_with_learning_off_nothing_is_remembered_and_stdout_is_only_protocol(
    home: Path, embedder: Embedder
) -> None:
    """Spoken to line by line without the SDK, so that any stray byte on stdout shows.
    At level off no chat uses rules or corrections, so the server serves none either."""
    app = build_assistant(load_environment(), ScriptedBackend(), embedder)
    fact = app.remember("The user lives in Porto")
    app.remember("Answer in one line", "rule")
    with subprocess.Popen(
        [EXE, "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=server_env(home, ASSISTANT_LEARNING="off"),
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        stdin = server.stdin
        replies: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(server.stdout, replies), daemon=True).start()

        def send(message: dict[str, Any]) -> None:
            stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
            stdin.flush()

        def request(n: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
            send({"id": n, "method": method, "params": params})
            reply = json.loads(replies.get(timeout=120))  # every stdout line is JSON-RPC
            assert reply["jsonrpc"] == "2.0" and reply["id"] == n
            return reply  # type: ignore[no-any-return]

        def tool(n: int, name: str, **arguments: Any) -> dict[str, Any]:
            return request(n, "tools/call", {"name": name, "arguments": arguments})["result"]  # type: ignore[no-any-return]

        try:
            hello = {"name": "raw-test", "version": "0"}
            request(
                1,
                "initialize",
                {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": hello},
            )
            send({"method": "notifications/initialized"})
            refused = tool(2, "remember", text="The user likes tea")
            assert refused["isError"] is True
            assert "learning is off" in refused["content"][0]["text"]
            listed = tool(3, "list_memories")["structuredContent"]["result"]
            assert [m["id"] for m in listed] == [fact.id]
            assert tool(4, "list_memories", kind="rule")["structuredContent"] == {"result": []}
            stdin.close()
            assert server.wait(timeout=60) == 0
            assert replies.get(timeout=10) == ""  # nothing more was written
        finally:
            if server.poll() is None:
                server.kill()
    assert traces([home], "likes tea") == []
