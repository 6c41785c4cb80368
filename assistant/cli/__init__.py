"""The command line: a thin shell over the Assistant service.

Errors become a message and a hint on stderr with a non-zero exit, never a traceback;
the details go to the log file in the data dir. Heavy modules are imported inside the
commands, so `assistant --help` stays fast.
"""

import argparse
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from assistant import __version__
from assistant.cli.docs import add_docs_commands, docs_command
from assistant.cli.train import adapters_command, add_train_commands, train_command
from assistant.core.errors import AssistantError, InputError
from assistant.core.records import LEARNING_LEVELS, MemoryStatus
from assistant.llm import MODEL_PROCESS_ARG
from assistant.system.logs import forward_notices

log = logging.getLogger("assistant")

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_OS_HINT = "check that the data dir (`assistant paths`) is writable and its disk is not full"


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


def _add_learning_commands(sub: Any) -> None:
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


def _add_memory_commands(sub: Any) -> None:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `assistant` script."""
    if list(sys.argv[1:] if argv is None else argv) == [MODEL_PROCESS_ARG]:
        from assistant.llm.process import main as serve_model

        serve_model()
        return 0
    parser = _parser()
    args = parser.parse_args(argv)
    logging.raiseExceptions = False  # a full disk must not turn each log line into a traceback
    # Until setup_logging opens the log file, records go nowhere: Python's last-resort
    # handler would print a traceback on stderr for an error before that point.
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    forward_notices(lambda text: print(f"warning: {text}", file=sys.stderr))
    try:
        return _dispatch(parser, args)
    except AssistantError as exc:
        _print_error(exc.message, exc.hint)
        log.info("user-facing error: %s", exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a read-only or full data dir, before or past the store's checks
        log.info("OS error", exc_info=True)
        where = f": {exc.filename}" if exc.filename else ""
        _print_error(f"{exc.strerror or exc}{where}", _OS_HINT)
        return EXIT_ERROR
    except Exception as exc:
        log.exception("unexpected error")
        if str(exc).startswith("lance error"):  # LanceDB's own IO failures (RuntimeError)
            first = str(exc).splitlines()[0][:300]
            _print_error(f"the store could not be read or written: {first}", _OS_HINT)
            return EXIT_ERROR
        from assistant.system.paths import resolve_paths

        _print_error(f"unexpected error: {exc}", f"details are in {resolve_paths().log_file}")
        return EXIT_ERROR


def _print_error(message: str, hint: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.version:
        return _version()
    model = getattr(args, "sub_model", None) or args.model
    commands: dict[str | None, Callable[[argparse.Namespace, str | None], int]] = {
        None: _tui,
        "chat": _chat,
        "paths": _paths,
        "doctor": _doctor,
        "conversations": _conversations,
        "import": _import,
        "recall": _recall,
        "memory": _memory,
        "feedback": _feedback,
        "correct": _correct,
        "rules": _rules,
        "learning": _learning,
        "forget": _forget,
        "train": train_command,
        "adapters": adapters_command,
        "export": _export,
        "docs": docs_command,
        "mcp": _mcp,
    }
    return commands[args.command](args, model)


def _setup(model: str | None) -> Any:
    from assistant.compose import load_environment
    from assistant.system.logs import setup_logging

    env = load_environment(model=model)
    setup_logging(env.paths)
    return env


def _version() -> int:
    from assistant.compose import describe_backend, load_environment
    from assistant.llm.build import describe_build, describe_offload

    print(f"assistant {__version__}")
    print(describe_build())
    try:
        settings = load_environment().settings
    except AssistantError as exc:  # the version must print even with a broken config
        print(f"config: {exc.message}")
        return 0
    print(describe_offload(settings.gpu_layers))
    print(describe_backend(settings))
    return 0


def _mcp(args: argparse.Namespace, model: str | None) -> int:
    from assistant.mcp_server import serve

    return serve(_setup(model))


def _tui(args: argparse.Namespace, model: str | None) -> int:
    from assistant.tui.app import run_tui

    return run_tui(_setup(model))


def _paths(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import load_environment

    paths = load_environment().paths.as_dict()
    if args.json:
        print(json.dumps(paths))
    else:
        for key, value in paths.items():
            print(f"{key:7} {value}")
    return 0


def read_prompt(prompt: str | None) -> str:
    """The prompt argument, or stdin when it is missing or `-`; must be UTF-8 text."""
    if prompt not in (None, "-"):
        return str(prompt)
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError("no prompt given", 'pass one (`assistant chat "hello"`) or pipe text in')
    raw = sys.stdin.buffer.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("stdin is not UTF-8 text", "pipe text, not binary data") from None


def _chat(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant
    from assistant.core.service import ReasoningDelta, ReplyDelta, TurnFinished, clean_input

    text = clean_input(read_prompt(args.prompt))
    env = _setup(model)
    assistant = build_assistant(env)
    if args.conversation:
        assistant.conversation(args.conversation)
    show_progress = sys.stderr.isatty() and not args.json
    level = assistant.level(args.learning)
    assistant.load(
        _progress_printer(not show_progress), embedder=level != "off" and not args.incognito
    )
    if show_progress:
        print("\r\033[K", end="", file=sys.stderr)

    def stop_on_sigint(_sig: int, _frame: FrameType | None) -> None:
        # First Ctrl+C stops the reply (which is still saved); a second one aborts.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        assistant.stop()

    previous = signal.signal(signal.SIGINT, stop_on_sigint)
    finished: TurnFinished | None = None
    try:
        turn = assistant.send(
            text, args.conversation, incognito=args.incognito, learning=args.learning
        )
        for event in turn:
            if isinstance(event, ReplyDelta) and not args.json:
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, ReasoningDelta) and show_progress:
                # Thinking is for the eyes only: dimmed, on the terminal, never on stdout.
                sys.stderr.write(f"\033[2m{event.text}\033[0m")
                sys.stderr.flush()
            elif isinstance(event, TurnFinished):
                finished = event
    finally:
        signal.signal(signal.SIGINT, previous)
    assert finished is not None
    after = assistant.after_turn(finished)  # the one-shot CLI waits for its own learning
    if after.exported is not None:
        print(f"exported a dataset to {after.exported.path}", file=sys.stderr)
    learned = after.learned
    if args.json:
        print(json.dumps(_turn_json(finished, learned)))
    else:
        print()
        for memory in learned:
            if memory.status == "active":
                print(f"(learned: {memory.text})", file=sys.stderr)
        if finished.offer is not None:
            print(
                "(this looks like a correction of the last answer; to record it: "
                f'assistant correct {finished.offer.reply_id} "{finished.offer.right}")',
                file=sys.stderr,
            )
    if finished.usage.stopped:
        print("(stopped)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _progress_printer(quiet: bool) -> Callable[[str], None]:
    def show(line: str) -> None:
        if not quiet:
            print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)

    return show


def _memory_json(memory: Any) -> dict[str, Any]:
    return {
        "id": memory.id,
        "kind": memory.kind,
        "text": memory.text,
        "status": memory.status,
        "key": memory.key,
        "created_at": memory.created_at.isoformat(),
        "updated_at": memory.updated_at.isoformat(),
        "last_used_at": memory.last_used_at.isoformat() if memory.last_used_at else None,
        "use_count": memory.use_count,
        "source_ids": list(memory.source_ids),
        "supersedes": memory.supersedes or None,
        "superseded_by": memory.superseded_by or None,
        "confidence": round(memory.confidence, 3),
    }


def _turn_json(turn: Any, learned: Sequence[Any]) -> dict[str, Any]:
    from assistant.core.service import reasoning_of

    return {
        "reply": turn.reply.content,
        "reasoning": reasoning_of(turn.reply),
        "conversation_id": turn.conversation.id,
        "message_ids": {
            "user": turn.user_message.id if turn.user_message else None,
            "assistant": turn.reply.id,
        },
        "usage": turn.usage.as_dict(),
        "context": turn.context.as_dict(),
        "learned": [
            {"id": m.id, "kind": m.kind, "text": m.text, "status": m.status} for m in learned
        ],
        "learning": turn.learning,
        "correction_offer": turn.offer.as_dict() if turn.offer else None,
    }


def _import(args: argparse.Namespace, model: str | None) -> int:
    from pathlib import Path

    from assistant.compose import build_assistant

    assistant = build_assistant(_setup(model))
    quiet = args.json or not sys.stderr.isatty()
    summary = assistant.import_history(Path(args.file), _progress_printer(quiet), learn=args.learn)
    if not quiet:
        print("\r\033[K", end="", file=sys.stderr)
    result = {
        "conversations": summary.conversations,
        "messages": summary.messages,
        "skipped": summary.skipped,
    }
    if args.learn:
        result["learned"] = summary.learned
    if args.json:
        print(json.dumps(result))
    else:
        learned = f"; learned {summary.learned} memories" if args.learn else ""
        print(
            f"imported {summary.messages} messages in {summary.conversations} conversations"
            f" ({summary.skipped} skipped){learned}"
        )
    return 0


def _recall(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    if args.k < 1:
        raise InputError("--k must be at least 1", "pass --k 10, for example")
    if (args.query is None) == (args.queries is None):
        raise InputError("pass a query or --queries FILE (one of them)", "assistant recall 'trip'")
    assistant = build_assistant(_setup(model))
    if args.queries:
        from pathlib import Path

        try:
            lines = Path(args.queries).read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"cannot read {args.queries}: {exc}", "pass a UTF-8 text file"
            ) from None
        for line in lines:
            if line.strip():
                hits = assistant.recall(line, args.k)
                print(json.dumps({"query": line, "hits": [h.as_dict() for h in hits]}), flush=True)
        return 0
    hits = assistant.recall(args.query, args.k)
    if args.json:
        print(json.dumps({"query": args.query, "hits": [h.as_dict() for h in hits]}))
    else:
        for h in hits:
            kind = h.memory_kind or h.kind
            print(f"{h.score:.4f}  {kind:10} {h.created_at.date()}  {h.text}")
    return 0


def _memory(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    env = _setup(model)
    assistant = build_assistant(env)
    if args.action in ("export", "import", "forget"):
        from assistant.cli import forget as cli_forget

        if args.action == "export":
            return cli_forget.export_memories(assistant, env, args)
        if args.action == "import":
            return cli_forget.import_memories(assistant, args)
        return cli_forget.forget_memories(assistant, env, args)
    if args.action == "edit":
        memory = assistant.edit_memory(args.id, args.text)
        print(
            json.dumps(_memory_json(memory)) if args.json else f"edited {memory.id}: {memory.text}"
        )
        return 0
    if args.action == "list":
        from assistant.core.service import ALL_MEMORY_STATUSES

        statuses: tuple[MemoryStatus, ...] = ALL_MEMORY_STATUSES if args.all else ("active",)
        memories = assistant.memories(statuses, args.kind)
        if args.json:
            print(json.dumps([_memory_json(m) for m in memories]))
        else:
            for m in memories:
                print(f"{m.id}  {m.kind:10} {m.status:10} {m.created_at.date()}  {m.text}")
        return 0
    if args.action == "add":
        memory = assistant.remember(args.text, args.kind)
        print(json.dumps(_memory_json(memory)) if args.json else f"remembered {memory.id}")
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


def _feedback(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    assistant = build_assistant(_setup(model))
    result = assistant.feedback(args.message_id, args.verdict, args.reason)
    if args.json:
        print(
            json.dumps(
                {
                    "signal_id": result.signal.id,
                    "proposed_rules": [_memory_json(m) for m in result.proposed],
                }
            )
        )
        return 0
    print(f"recorded: {args.verdict}")
    for rule in result.proposed:
        verb = "applied" if rule.status == "active" else "proposed"
        print(f"learned rule ({verb}): {rule.text}")
        if rule.status == "proposed":
            print(f"  keep it: assistant rules keep {rule.id}   discard: assistant rules discard")
    return 0


def _correct(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    assistant = build_assistant(_setup(model))
    result = assistant.correct(args.message_id, args.text)
    if args.json:
        print(
            json.dumps(
                {
                    "signal_id": result.signal.id,
                    "learned": [_memory_json(m) for m in result.changed],
                }
            )
        )
    else:
        print(f"remembered: {result.changed[0].text}")
    return 0


def _learning(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    assistant = build_assistant(_setup(model))
    data: dict[str, Any] = assistant.learning_report()
    if args.json:
        print(json.dumps(data))
        return 0
    totals = data["totals"]
    memories = ", ".join(f"{n} {kind}" for kind, n in totals["memories"].items())
    print(f"learning level: {data['level']}")
    print(f"memories: {memories}")
    print(
        f"feedback: {totals['feedback']['up']} up, {totals['feedback']['down']} down; "
        f"{totals['corrections']} corrections, {totals['regenerations']} regenerations"
    )
    if totals["degenerate_replies"]:
        print(f"degenerate replies (not recalled): {totals['degenerate_replies']}")
    repeat = data["repeat_mistakes"]
    rate = "n/a" if repeat["rate"] is None else f"{repeat['rate']:.0%}"
    print(
        f"repeat-mistake rate: {rate} "
        f"({repeat['against_correction']} of {repeat['similar_questions']} similar questions)"
    )
    if repeat["adoption"] is not None:
        print(
            f"corrections in answers: {repeat['adoption']:.0%} ({repeat['with_correction']} "
            f"of {repeat['similar_questions']} replies carried the corrected answer)"
        )
    for rule in data["rules"]:
        print(f"rule ({rule['status']}): {rule['text']}  [{rule['id']}]")
    for topic in data["topics"]:
        print(f"weak topic: {topic['label']} ({topic['negatives']} negative signals)")
    for day in data["by_day"]:
        print(
            f"{day['date']}: {day['memories']} memories, {day['corrections']} corrections, "
            f"{day['up']} up, {day['down']} down"
        )
    return 0


def _rules(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    assistant = build_assistant(_setup(model))
    if args.action == "list":
        rules = assistant.memories(("proposed", "active"), "rule")
        if args.json:
            print(json.dumps([_memory_json(m) for m in rules]))
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


def _doctor(args: argparse.Namespace, model: str | None) -> int:
    from assistant.doctor import run_checks

    results = run_checks(_setup(model))
    failed = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps([r.as_dict() for r in results]))
    else:
        for r in results:
            print(f"{'ok ' if r.ok else 'FAIL'} {r.name:9} {r.detail}")
            if not r.ok and r.hint:
                print(f"     hint: {r.hint}")
    return EXIT_ERROR if failed else 0


def _conversations(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    env = _setup(model)
    assistant = build_assistant(env)
    if args.action == "list":
        rows: list[dict[str, Any]] = [
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
                print(f"{row['id']}  {row['updated_at'][:16]}  {row['messages']:4}  {row['title']}")
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

    return delete_conversation(assistant, env, args)


def _export_conversation(assistant: Any, env: Any, args: argparse.Namespace) -> int:
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


def _export(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant
    from assistant.weights.dataset_export import export_dataset

    env = _setup(model)
    assistant = build_assistant(env)
    out = Path(args.out) if args.out else None
    quiet = args.json or not sys.stderr.isatty()
    result = export_dataset(env, assistant, out, _progress_printer(quiet))
    if not quiet:
        print("\r\033[K", end="", file=sys.stderr)
    if args.json:
        print(json.dumps({"path": str(result.path), "counts": result.counts}))
    else:
        print(f"exported {result.counts['sft']} SFT rows, {result.counts['dpo']} pairs")
        print(result.path)
    return 0


def _forget(args: argparse.Namespace, model: str | None) -> int:
    from assistant.cli import forget as cli_forget
    from assistant.compose import build_assistant

    env = _setup(model)
    assistant = build_assistant(env)
    if args.all:
        return cli_forget.forget_all(assistant, env, args)
    return cli_forget.delete_conversation(assistant, env, args)
