"""import, recall, feedback, correct and the learning report."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.shell import memory_json, progress_printer, setup
from assistant.core.errors import InputError


def _import(args: argparse.Namespace, model: str | None) -> int:

    from assistant.compose import build_assistant

    assistant = build_assistant(setup(model))
    quiet = args.json or not sys.stderr.isatty()
    summary = assistant.import_history(Path(args.file), progress_printer(quiet), learn=args.learn)
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
    assistant = build_assistant(setup(model))
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


def _feedback(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    assistant = build_assistant(setup(model))
    result = assistant.feedback(args.message_id, args.verdict, args.reason)
    if args.json:
        print(
            json.dumps(
                {
                    "signal_id": result.signal.id,
                    "proposed_rules": [memory_json(m) for m in result.proposed],
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

    assistant = build_assistant(setup(model))
    result = assistant.correct(args.message_id, args.text)
    if args.json:
        print(
            json.dumps(
                {
                    "signal_id": result.signal.id,
                    "learned": [memory_json(m) for m in result.changed],
                }
            )
        )
    else:
        print(f"remembered: {result.changed[0].text}")
    return 0


def _learning(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import build_assistant

    assistant = build_assistant(setup(model))
    # The report is a JSON document (`--json` prints it as is); Any is its values.
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
