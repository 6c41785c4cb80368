"""`assistant conversations …` and `assistant forget`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.cli.shell import setup

if TYPE_CHECKING:
    from assistant.compose import Environment
    from assistant.core.service import Assistant


def _conversations(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    env = setup(model)
    assistant = build_assistant(env)
    if args.action == "list":
        rows: list[dict[str, str | int]] = [
            {
                "id": c.id,
                "title": c.title,
                "created_at": c.created_at.isoformat(),
                "updated_at": c.updated_at.isoformat(),
                "messages": c.message_count,
            }
            for c in assistant.conversations(args.search)
        ]
        if args.json:
            print(json.dumps(rows))
        else:
            for row in rows:
                updated = str(row["updated_at"])[:16]
                print(f"{row['id']}  {updated}  {row['messages']:4}  {row['title']}")
        return 0
    if args.action == "show":
        messages = assistant.messages(args.id)
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "id": m.id,
                            "role": m.role,
                            "content": m.content,
                            "created_at": m.created_at.isoformat(),
                        }
                        for m in messages
                    ]
                )
            )
        else:
            for m in messages:
                print(f"[{m.role}] {m.content}\n")
        return 0
    if args.action == "export":
        return _export_conversation(assistant, env, args)
    from assistant.cli.forget import delete_conversation

    return delete_conversation(assistant, args)


def _export_conversation(assistant: Assistant, env: Environment, args: argparse.Namespace) -> int:
    """`conversations export ID`: to stdout, or atomically to --out FILE."""
    from assistant.core.formats.transcript import render
    from assistant.weights.ledger import save_transcript

    conversation = assistant.conversation(args.id)
    messages = assistant.messages(args.id)
    text = render(conversation, messages, args.fmt)
    if args.out is None:  # UTF-8 like the file, whatever the locale says
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
        return 0
    out = Path(args.out).expanduser()
    save_transcript(env.paths, out, text)
    print(f"exported {len(messages)} messages to {out}", file=sys.stderr)
    return 0


def _forget(args: argparse.Namespace, model: str | None) -> int:
    from assistant.cli import forget as cli_forget
    from assistant.compose import build_assistant

    env = setup(model)
    assistant = build_assistant(env)
    if args.all:
        return cli_forget.forget_all(assistant, env, args)
    return cli_forget.delete_conversation(assistant, args)
