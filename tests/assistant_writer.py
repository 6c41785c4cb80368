"""A child process that writes memories through the user's own path, `Assistant.remember`.

`python -m tests.assistant_writer HOME TAG COUNT` builds the app's Assistant (the real
embedder, the real store) and, for i in range(COUNT), remembers "TAG fact number i",
printing `added ID` only after the call returned: an acknowledgement. Every step also
goes through one of the read-then-write paths that another process's commits and purges
can race: every 3rd states the fact again (a duplicate: the memory is reinforced, an
update), every 4th changes TAG's favourite colour (the same slot: a supersede), and
every 5th adds a scratch memory and forgets it (a real erase, which purges the tables).
The concurrency and crash tests run it beside `assistant memory add` and `assistant chat`.
"""

import os
import sys

COLOURS = ("blue", "green", "amber", "violet", "crimson", "teal", "ochre", "silver")


def main(argv: list[str]) -> None:
    home, tag, count = argv[0], argv[1], int(argv[2])
    os.environ["ASSISTANT_HOME"] = home
    from assistant.compose import build_assistant, load_environment

    assistant = build_assistant(load_environment())
    print("ready", flush=True)
    for i in range(count):
        memory = assistant.remember(f"{tag} writer fact number {i} about its hobby")
        print(f"added {memory.id}", flush=True)
        if i % 3 == 2:
            again = assistant.remember(f"{tag} writer fact number {i} about its hobby")
            print(f"reinforced {again.id}", flush=True)
        if i % 4 == 3:
            colour = COLOURS[(i // 4) % len(COLOURS)]
            latest = assistant.remember(
                f"{tag.capitalize()} writer says the favourite colour right now is {colour}"
            )
            print(f"colour {latest.id}", flush=True)
        if i % 5 == 4:
            scratch = assistant.remember(f"{tag} scratch note {i} to forget at once")
            assistant.forget_memory(scratch.id)
            print(f"forgot {scratch.id}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
