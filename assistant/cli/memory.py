"""`assistant memory …` and `assistant rules …`: review and change what was learned."""

import argparse
import json

from assistant.cli.shell import memory_json, setup
from assistant.core.records import MemoryStatus


def _memory(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    env = setup(model)
    assistant = build_assistant(env)
    if args.action in ("export", "import", "forget"):
        from assistant.cli import forget as cli_forget

        if args.action == "export":
            return cli_forget.export_memories(assistant, env, args)
        if args.action == "import":
            return cli_forget.import_memories(assistant, args)
        return cli_forget.forget_memories(assistant, args)
    if args.action == "edit":
        memory = assistant.edit_memory(args.id, args.text)
        print(
            json.dumps(memory_json(memory)) if args.json else f"edited {memory.id}: {memory.text}"
        )
        return 0
    if args.action == "list":
        from assistant.core.service import ALL_MEMORY_STATUSES

        statuses: tuple[MemoryStatus, ...] = ALL_MEMORY_STATUSES if args.all else ("active",)
        memories = assistant.memories(statuses, args.kind)
        if args.json:
            print(json.dumps([memory_json(m) for m in memories]))
        else:
            for m in memories:
                print(f"{m.id}  {m.kind:10} {m.status:10} {m.created_at.date()}  {m.text}")
        return 0
    if args.action == "add":
        memory = assistant.remember(args.text, args.kind)
        print(json.dumps(memory_json(memory)) if args.json else f"remembered {memory.id}")
        return 0
    if args.action == "restore":
        memory = assistant.restore_memory(args.id)
        print(f"restored {memory.id}: {memory.text}")
        return 0
    if args.action == "history":
        events = assistant.memory_store.events(args.id)
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "action": e.action,
                            "at": e.at.isoformat(),
                            "reason": e.reason,
                            "source_ids": list(e.source_ids),
                            "detail": e.detail,
                        }
                        for e in events
                    ]
                )
            )
        else:
            for e in events:
                print(f"{e.at.isoformat()[:19]}  {e.action:10} {e.reason}")
        return 0
    raise AssertionError(f"unknown memory action {args.action}")


def _rules(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    assistant = build_assistant(setup(model))
    if args.action == "list":
        rules = assistant.memories(("proposed", "active"), "rule")
        if args.json:
            print(json.dumps([memory_json(m) for m in rules]))
        else:
            for m in rules:
                print(f"{m.id}  {m.status:9} {m.text}")
        return 0
    if args.action == "keep":
        rule = assistant.keep_rule(args.id, args.text)
        print(f"kept: {rule.text}")
        return 0
    rule = assistant.discard_rule(args.id)
    print(f"discarded: {rule.text}")
    return 0
