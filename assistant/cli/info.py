"""version, paths, doctor, and the two other shells (the TUI, the MCP server)."""

import argparse
import json

from assistant import __version__
from assistant.cli.shell import EXIT_ERROR, setup
from assistant.core.errors import AssistantError


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

    return serve(setup(model))


def _tui(args: argparse.Namespace, model: str | None) -> int:
    from assistant.tui.app import run_tui

    return run_tui(setup(model))


def _paths(args: argparse.Namespace, model: str | None) -> int:
    from assistant.compose import load_environment

    paths = load_environment().paths.as_dict()
    if args.json:
        print(json.dumps(paths))
    else:
        for key, value in paths.items():
            print(f"{key:7} {value}")
    return 0


def _doctor(args: argparse.Namespace, model: str | None) -> int:
    from assistant.doctor import run_checks

    results = run_checks(setup(model))
    failed = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps([r.as_dict() for r in results]))
    else:
        for r in results:
            print(f"{'ok ' if r.ok else 'FAIL'} {r.name:9} {r.detail}")
            if not r.ok and r.hint:
                print(f"     hint: {r.hint}")
    return EXIT_ERROR if failed else 0
