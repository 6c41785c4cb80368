"""The command line: a thin shell over the Assistant service.

Errors become a message and a hint on stderr with a non-zero exit, never a traceback;
the details go to the log file in the data dir. Heavy modules are imported inside the
commands, so `assistant --help` stays fast.
"""

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from assistant.cli.chat import _chat, _turn_json, read_prompt
from assistant.cli.conversations import _conversations, _forget
from assistant.cli.docs import docs_command
from assistant.cli.info import _doctor, _mcp, _paths, _tui, _version
from assistant.cli.learning import _correct, _feedback, _import, _learning, _recall
from assistant.cli.memory import _memory, _rules
from assistant.cli.parser import _parser
from assistant.cli.shell import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE
from assistant.cli.train import _export, adapters_command, train_command
from assistant.core.errors import AssistantError
from assistant.llm import MODEL_PROCESS_ARG
from assistant.system.logs import forward_notices

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "_parser",
    "_turn_json",
    "main",
    "read_prompt",
]

log = logging.getLogger("assistant")
_OS_HINT = "check that the data dir (`assistant paths`) is writable and its disk is not full"


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
