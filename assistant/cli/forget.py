"""The destructive and portable commands: forget, delete a conversation, memory export.

Every delete here is for real (assistant/store/erase.py). Each asks on a TTY and takes
`--yes`; without a TTY and without `--yes` it refuses. After a delete, the exports the
user already wrote that still hold the deleted text are named, and deleted only when
asked (`--include-exports`): they are the user's copies, not ours to remove silently.
"""

import argparse
import json
import sys
from pathlib import Path

from assistant.compose import Environment
from assistant.core.errors import InputError, NotFoundError
from assistant.core.ports.copies import Leftovers
from assistant.core.service import ALL_MEMORY_STATUSES, Assistant


def confirm(question: str) -> bool:
    """Ask on a TTY; refuse (rather than guess) when there is nobody to ask."""
    if not sys.stdin.isatty():
        raise InputError("refusing to delete without confirmation", "pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _memories(n: int) -> str:
    return "1 memory" if n == 1 else f"{n} memories"


def _show_leftovers(assistant: Assistant, held: Leftovers, include: bool) -> None:
    """Name the user's copies that still hold the deleted text (deleting the exports
    only when asked: they are the user's, not ours to remove silently)."""
    if held.exports and include:
        for path in assistant.remove_exports(held.exports):
            print(f"deleted export {path}")
    elif held.exports:
        for line in held.export_lines():
            print(line, file=sys.stderr)
        print("hint: delete them, or run again with --include-exports", file=sys.stderr)
    if held.adapters:
        for line in held.adapter_lines():
            print(line, file=sys.stderr)
        print("hint: assistant adapters remove NAME", file=sys.stderr)


def forget_memories(assistant: Assistant, args: argparse.Namespace) -> int:
    """`memory forget ID | --query TEXT`."""
    if (args.id is None) == (args.query is None):
        raise InputError("pass a memory id or --query TEXT", "see `assistant memory list`")
    if args.id:
        targets = [assistant.memory_store.get_memory(args.id)]
    else:
        needle = args.query.casefold()
        if not needle.strip():  # "" is in every text: it would select every memory
            raise InputError(
                "--query needs some text to look for", "`assistant forget --all` forgets everything"
            )
        targets = [
            m for m in assistant.memories(ALL_MEMORY_STATUSES) if needle in m.text.casefold()
        ]
        if not targets:
            raise NotFoundError(
                f"no memory contains {args.query!r}", "see `assistant memory list --all`"
            )
    if not args.yes:
        for m in targets:
            print(f"  {m.id}  {m.text}")
        if not confirm(f"Forget {_memories(len(targets))}?"):
            print("nothing forgotten", file=sys.stderr)
            return 1
    erased = assistant.erase_memories([m.id for m in targets])
    for m in targets:
        print(f"forgot {m.id}: {m.text}")
    _show_leftovers(assistant, erased.leftovers, args.include_exports)
    return 0


def delete_conversation(assistant: Assistant, args: argparse.Namespace) -> int:
    """`conversations delete ID` and `forget --conversation ID`.

    Unlike the peers, deleting a chat offers to delete what was learned from it too:
    on a TTY the question is asked; `--with-memories` or `--keep-memories` answer it.
    """
    conversation = assistant.conversation(args.id)
    learned = assistant.learned_from(args.id)
    with_memories = bool(args.with_memories)
    if not args.yes:
        if not confirm(f"Delete conversation “{conversation.title}”?"):
            print("not deleted", file=sys.stderr)
            return 1
        if learned and not args.with_memories and not args.keep_memories:
            for m in learned:
                print(f"  {m.id}  {m.text}")
            with_memories = confirm(f"Also forget the {_memories(len(learned))} learned from it?")
    erased = assistant.erase_conversation(args.id, with_memories=with_memories)
    forgotten = erased.memories
    print(f"deleted conversation {args.id}: {conversation.title}")
    for m in forgotten:
        print(f"forgot {m.id}: {m.text}")
    kept = [m for m in learned if m not in forgotten]
    if kept:
        print(
            f"kept {_memories(len(kept))} learned from it"
            " (pass --with-memories to forget them too)",
            file=sys.stderr,
        )
    _show_leftovers(assistant, erased.leftovers, args.include_exports)
    return 0


def forget_all(assistant: Assistant, env: Environment, args: argparse.Namespace) -> int:
    """`forget --all`: every conversation, memory, event, signal, and the log."""
    if not args.yes and not confirm(
        "Erase every conversation and everything learned? This cannot be undone."
    ):
        print("nothing erased", file=sys.stderr)
        return 1
    assistant.forget_everything()
    # The log may quote an error about a message; it goes too (it is recreated).
    env.paths.log_file.unlink(missing_ok=True)
    print("erased every conversation, memory, event and signal")
    _show_leftovers(assistant, assistant.every_copy(), args.include_exports)
    return 0


def export_memories(assistant: Assistant, env: Environment, args: argparse.Namespace) -> int:
    """`memory export FILE`: every memory with provenance, as JSON."""
    path = Path(args.file)
    count = assistant.export_memories(path)
    if args.json:
        print(json.dumps({"path": str(path.resolve()), "memories": count}))
    else:
        print(f"exported {_memories(count)} to {path}")
    return 0


def import_memories(assistant: Assistant, args: argparse.Namespace) -> int:
    """`memory import FILE`: lossless and idempotent."""
    result = assistant.import_memories(Path(args.file))
    if args.json:
        print(json.dumps({"added": result.added, "present": result.present}))
    else:
        print(f"imported {result.added}; {result.present} were already there")
    return 0
