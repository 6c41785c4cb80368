"""`assistant docs`: index the user's own files, keep the index in sync, remove from it.

Progress goes to stderr (a rewritten line on a terminal, one line per file otherwise),
so `--json` keeps stdout to one document. Files that cannot be indexed are reported
as skips, with the reason, and never fail the command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.core.documents.records import IndexReport

if TYPE_CHECKING:
    from assistant.cli.shell import Subcommands
    from assistant.core.documents.index import DocumentIndex

SHOWN_SKIPS = 20


def add_docs_commands(sub: Subcommands) -> None:
    """Register `docs` and its actions on the top-level subparsers."""
    docs = sub.add_parser("docs", help="index your own documents for recall with citations")
    actions = docs.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="index files and folders (and keep them in sync)")
    add.add_argument("paths", nargs="+", metavar="PATH")
    add.add_argument("--json", action="store_true", help="print one JSON document")
    listing = actions.add_parser("list", help="indexed folders and files, with chunk counts")
    listing.add_argument("--files", action="store_true", help="list every indexed file")
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="an indexed file's chunks with their citations")
    show.add_argument("path", metavar="PATH")
    show.add_argument("--json", action="store_true")
    remove = actions.add_parser("remove", help="remove a file or folder and erase its chunks")
    remove.add_argument("path", metavar="PATH")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.add_argument("--json", action="store_true")
    sync = actions.add_parser("sync", help="re-index changed files, drop deleted ones")
    sync.add_argument("--json", action="store_true")


def docs_command(args: argparse.Namespace, model: str | None) -> int:
    """Run one `docs` action."""
    from assistant.compose import build_assistant, load_environment
    from assistant.system.logs import setup_logging

    env = load_environment(model=model)
    setup_logging(env.paths)
    index = build_assistant(env).documents()
    if args.action == "add":
        return _print_report(index.add(args.paths, _progress()), args.json)
    if args.action == "sync":
        return _print_report(index.sync(_progress()), args.json)
    if args.action == "list":
        return _list(index, args)
    if args.action == "show":
        return _show(index, args)
    return _remove(index, args)


def _progress() -> Callable[[str], None]:
    tty = sys.stderr.isatty()

    def show(line: str) -> None:
        if tty:
            print(f"\r\033[K{line[-200:]}", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    return show


def _print_report(report: IndexReport, as_json: bool) -> int:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    for skip in report.skipped[:SHOWN_SKIPS]:
        print(f"skipped {skip.path}: {skip.reason}", file=sys.stderr)
    if len(report.skipped) > SHOWN_SKIPS:
        print(f"… and {len(report.skipped) - SHOWN_SKIPS} more skipped", file=sys.stderr)
    if as_json:
        print(json.dumps(report.as_dict()))
        return 0
    print(
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed, {len(report.skipped)} skipped; "
        f"{report.chunks} chunks from {report.bytes / 1e6:.2f} MB in {report.seconds:.1f} s"
    )
    return 0


def _list(index: DocumentIndex, args: argparse.Namespace) -> int:
    if args.files:
        rows = [
            {
                "path": f.path,
                "kind": f.kind,
                "size": f.size,
                "chunks": f.chunks,
                "sha256": f.sha256,
                "indexed_at": f.indexed_at.isoformat(),
            }
            for f in index.files()
        ]
        if args.json:
            print(json.dumps(rows))
        else:
            for row in rows:
                print(f"{row['chunks']:5}  {row['kind']:8}  {row['path']}")
        return 0
    roots = [r.as_dict() for r in index.roots()]
    if args.json:
        print(json.dumps(roots))
        return 0
    if not roots:
        print("nothing indexed yet: `assistant docs add PATH`")
    for root in roots:
        synced = str(root["synced_at"])[:16] if root["synced_at"] else "never synced"
        print(f"{root['files']:5} files {root['chunks']:6} chunks  {synced:16}  {root['path']}")
    return 0


def _show(index: DocumentIndex, args: argparse.Namespace) -> int:
    from assistant.core.documents.index import citation
    from assistant.core.errors import NotFoundError

    files = {f.path: f for f in index.files(args.path)}
    file = files.get(next(iter(files), ""))
    if len(files) != 1 or file is None:
        raise NotFoundError(
            f"{args.path} is not one indexed file", "list them with `assistant docs list --files`"
        )
    chunks = index.chunks(file.path)
    rows = [
        {
            "citation": citation(file, c),
            "heading": c.heading,
            "start": c.start,
            "end": c.end,
            "text": c.text,
        }
        for c in chunks
    ]
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print(f"{row['citation']}  ({row['start']}-{row['end']})\n{row['text']}\n")
    return 0


def _remove(index: DocumentIndex, args: argparse.Namespace) -> int:
    from assistant.cli.forget import confirm

    if not args.yes and not confirm(f"remove {args.path} from the index and erase its chunks?"):
        print("nothing removed", file=sys.stderr)
        return 1
    removal = index.remove(args.path)
    if args.json:
        print(json.dumps({"path": removal.path, "files": removal.files, "chunks": removal.chunks}))
    else:
        print(f"removed {removal.files} files ({removal.chunks} chunks) under {removal.path}")
    return 0
