"""The argument parser: every command, flag and help text of the CLI contract."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from assistant.cli.docs import add_docs_commands
from assistant.cli.train import add_train_commands
from assistant.core.records import LEARNING_LEVELS

if TYPE_CHECKING:
    from assistant.cli.shell import Subcommands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="A local-first assistant on a local GGUF model. No command opens the TUI.",
    )
    parser.add_argument("--version", action="store_true", help="print version and llama.cpp build")
    parser.add_argument("--model", metavar="PATH", help="GGUF file, or a name from the catalog")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", help="one turn: print the reply to PROMPT (or stdin)")
    chat.add_argument("prompt", nargs="?", help="the message; `-` or nothing reads stdin")
    chat.add_argument("--conversation", metavar="ID", help="continue this conversation")
    chat.add_argument("--model", metavar="PATH", dest="sub_model", help="GGUF file or catalog name")
    chat.add_argument("--json", action="store_true", help="print one JSON document")
    chat.add_argument("--incognito", action="store_true", help="use no memories and store nothing")
    chat.add_argument(
        "--learning", choices=LEARNING_LEVELS, help="the learning level for this chat only"
    )

    paths = sub.add_parser("paths", help="show where config, data, cache and models live")
    paths.add_argument("--json", action="store_true")

    doctor = sub.add_parser("doctor", help="check model, store, embedder and GPU")
    doctor.add_argument("--json", action="store_true")
    doctor.add_argument("--model", metavar="PATH", dest="sub_model", help="check this GGUF")

    _add_learning_commands(sub)
    add_train_commands(sub)
    add_docs_commands(sub)

    export = sub.add_parser("export", help="write a fine-tuning dataset folder (level full)")
    export.add_argument("--out", metavar="DIR", help="where to put it (default: the data dir)")
    export.add_argument("--json", action="store_true")

    convs = sub.add_parser("conversations", help="list, show, export or delete conversations")
    conv_sub = convs.add_subparsers(dest="action", metavar="ACTION", required=True)
    conv_list = conv_sub.add_parser("list", help="conversations, newest first")
    conv_list.add_argument("--json", action="store_true")
    conv_list.add_argument("--search", default="", help="filter by title or message text")
    conv_show = conv_sub.add_parser("show", help="print a conversation's messages")
    conv_show.add_argument("id")
    conv_show.add_argument("--json", action="store_true")
    conv_export = conv_sub.add_parser("export", help="write a conversation as Markdown or JSON")
    conv_export.add_argument("id")
    conv_export.add_argument("--format", choices=["md", "json"], default="md", dest="fmt")
    conv_export.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    conv_delete = conv_sub.add_parser("delete", help="delete a conversation for real")
    conv_delete.add_argument("id")
    _add_delete_flags(conv_delete)

    sub.add_parser("mcp", help="serve your memory to MCP clients over stdio")

    forget = sub.add_parser("forget", help="erase a conversation, or everything, for real")
    target = forget.add_mutually_exclusive_group(required=True)
    target.add_argument("--conversation", metavar="ID", dest="id", help="one conversation")
    target.add_argument("--all", action="store_true", help="every conversation and memory")
    _add_delete_flags(forget)
    return parser


def _add_delete_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every delete takes: confirmation, learned memories, exports."""
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    learned = parser.add_mutually_exclusive_group()
    learned.add_argument(
        "--with-memories", action="store_true", help="also forget what was learned from it"
    )
    learned.add_argument(
        "--keep-memories", action="store_true", help="keep what was learned (do not ask)"
    )
    parser.add_argument(
        "--include-exports",
        action="store_true",
        help="also delete exports you wrote that still contain it",
    )


def _add_learning_commands(sub: Subcommands) -> None:
    """import, recall and memory: the commands over what the assistant learned."""
    imp = sub.add_parser("import", help="import chat history (JSONL or ChatGPT conversations.json)")
    imp.add_argument("file", help="the file to import")
    imp.add_argument(
        "--learn",
        action="store_true",
        help="also learn memories from your own turns (never the assistant's)",
    )
    imp.add_argument("--json", action="store_true")

    recall = sub.add_parser("recall", help="ranked memories and past messages for a query")
    recall.add_argument("query", nargs="?", help="what to look for")
    recall.add_argument("--queries", metavar="FILE", help="one query per line; one JSON line each")
    recall.add_argument("--k", type=int, default=10, help="how many hits (default 10)")
    recall.add_argument("--json", action="store_true")

    _add_memory_commands(sub)
    feedback = sub.add_parser("feedback", help="thumbs up or down on a reply")
    feedback.add_argument("message_id", help="the reply's id (`--json` output of chat)")
    feedback.add_argument("verdict", choices=["up", "down"])
    feedback.add_argument("--reason", default="", help='why, e.g. "too long"')
    feedback.add_argument("--json", action="store_true")
    correct = sub.add_parser("correct", help="record the right answer to a reply's question")
    correct.add_argument("message_id", help="the reply's id")
    correct.add_argument("text", help="the right answer")
    correct.add_argument("--json", action="store_true")
    learning = sub.add_parser("learning", help="the learning report")
    learning.add_argument("--json", action="store_true")
    rules = sub.add_parser("rules", help="review rules learned from feedback")
    rules_sub = rules.add_subparsers(dest="action", required=True)
    rules_list = rules_sub.add_parser("list", help="proposed and kept rules")
    rules_list.add_argument("--json", action="store_true")
    rules_keep = rules_sub.add_parser("keep", help="apply a proposed rule")
    rules_keep.add_argument("id")
    rules_keep.add_argument("--text", help="reword the rule first")
    rules_discard = rules_sub.add_parser("discard", help="decline a proposed rule")
    rules_discard.add_argument("id")


def _add_memory_commands(sub: Subcommands) -> None:
    """memory list/add/edit/forget/restore/history/export/import."""
    memory = sub.add_parser("memory", help="review, add, restore and forget memories")
    mem_sub = memory.add_subparsers(dest="action", metavar="ACTION", required=True)
    mem_list = mem_sub.add_parser("list", help="active memories (--all adds superseded)")
    mem_list.add_argument("--all", action="store_true", help="include superseded memories")
    mem_list.add_argument("--kind", choices=["preference", "fact", "correction", "rule"])
    mem_list.add_argument("--json", action="store_true")
    mem_add = mem_sub.add_parser("add", help="remember a text")
    mem_add.add_argument("text")
    mem_add.add_argument("--kind", default="fact", choices=["preference", "fact", "rule"])
    mem_add.add_argument("--json", action="store_true")
    mem_forget = mem_sub.add_parser("forget", help="delete memories for real")
    mem_forget.add_argument("id", nargs="?", help="the memory id")
    mem_forget.add_argument("--query", help="forget memories matching this text")
    mem_forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    mem_forget.add_argument(
        "--include-exports", action="store_true", help="also delete exports that contain it"
    )
    mem_edit = mem_sub.add_parser("edit", help="reword a memory")
    mem_edit.add_argument("id")
    mem_edit.add_argument("text")
    mem_edit.add_argument("--json", action="store_true")
    mem_export = mem_sub.add_parser("export", help="write every memory with provenance as JSON")
    mem_export.add_argument("file")
    mem_export.add_argument("--json", action="store_true")
    mem_import = mem_sub.add_parser("import", help="read a memory export back (idempotent)")
    mem_import.add_argument("file")
    mem_import.add_argument("--json", action="store_true")
    mem_restore = mem_sub.add_parser("restore", help="make a superseded memory active again")
    mem_restore.add_argument("id")
    mem_history = mem_sub.add_parser("history", help="a memory's events")
    mem_history.add_argument("id")
    mem_history.add_argument("--json", action="store_true")
