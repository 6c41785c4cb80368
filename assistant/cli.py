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
from types import FrameType
from typing import Any

from assistant import __version__
from assistant.errors import AssistantError, InputError

log = logging.getLogger("assistant")

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


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

    paths = sub.add_parser("paths", help="show where config, data, cache and models live")
    paths.add_argument("--json", action="store_true")

    doctor = sub.add_parser("doctor", help="check model, store, embedder and GPU")
    doctor.add_argument("--json", action="store_true")
    doctor.add_argument("--model", metavar="PATH", dest="sub_model", help="check this GGUF")

    convs = sub.add_parser("conversations", help="list or delete conversations")
    conv_sub = convs.add_subparsers(dest="action", metavar="ACTION", required=True)
    conv_list = conv_sub.add_parser("list", help="conversations, newest first")
    conv_list.add_argument("--json", action="store_true")
    conv_list.add_argument("--search", default="", help="filter by title or message text")
    conv_show = conv_sub.add_parser("show", help="print a conversation's messages")
    conv_show.add_argument("id")
    conv_show.add_argument("--json", action="store_true")
    conv_delete = conv_sub.add_parser("delete", help="delete a conversation")
    conv_delete.add_argument("id")
    conv_delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `assistant` script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except AssistantError as exc:
        _print_error(exc.message, exc.hint)
        log.info("user-facing error: %s", exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        log.exception("unexpected error")
        from assistant.paths import resolve_paths

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
    }
    return commands[args.command](args, model)


def _setup(model: str | None) -> Any:
    from assistant.compose import load_environment
    from assistant.logs import setup_logging

    env = load_environment(model=model)
    setup_logging(env.paths)
    return env


def _version() -> int:
    from assistant.llm.build import describe_build

    print(f"assistant {__version__}")
    print(describe_build())
    return 0


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
    from assistant.core import ReplyDelta, TurnFinished, clean_input

    text = clean_input(read_prompt(args.prompt))
    assistant = build_assistant(_setup(model))
    if args.conversation:
        assistant.conversation(args.conversation)
    show_progress = sys.stderr.isatty() and not args.json
    assistant.load(
        lambda line: print(f"\r{line}", end="", file=sys.stderr) if show_progress else None
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
        for event in assistant.send(text, args.conversation):
            if isinstance(event, ReplyDelta) and not args.json:
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, TurnFinished):
                finished = event
    finally:
        signal.signal(signal.SIGINT, previous)
    assert finished is not None
    if args.json:
        print(json.dumps(_turn_json(finished)))
    else:
        print()
    if finished.usage.stopped:
        print("(stopped)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _turn_json(turn: Any) -> dict[str, Any]:
    return {
        "reply": turn.reply.content,
        "conversation_id": turn.conversation.id,
        "message_ids": {
            "user": turn.user_message.id if turn.user_message else None,
            "assistant": turn.reply.id,
        },
        "usage": turn.usage.as_dict(),
        "context": {"preferences": [], "memories": [], "messages": [], "documents": []},
        "learned": [],
    }


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

    assistant = build_assistant(_setup(model))
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
    conversation = assistant.conversation(args.id)
    if not args.yes and not _confirm(f"Delete conversation “{conversation.title}”?"):
        print("not deleted", file=sys.stderr)
        return EXIT_ERROR
    assistant.delete_conversation(args.id)
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise InputError("refusing to delete without confirmation", "pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
