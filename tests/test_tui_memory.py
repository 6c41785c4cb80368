"""The memory browser and conversation deletes in the TUI, with Pilot.

The scripted backend writes the replies; the store is a real LanceDB in a tmp home and
the embedder is the real one, so what the keys delete is really gone from disk.
"""

import threading

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, OptionList, Select, Static

from assistant.compose import Environment
from assistant.core import ALL_MEMORY_STATUSES
from assistant.core.records import MemoryStatus
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.tui.app import AssistantApp
from assistant.tui.memory_browser import MemoriesLoaded, MemoryBrowser, MemoryEditPrompt
from assistant.tui.screens import ConversationPicker, DeleteConversationPrompt, RulePrompt
from assistant.tui.widgets import UserBubble
from tests.erasure import traces
from tests.tui_helpers import (
    highlight,
    listed,
    open_browser,
    scripted_app,
    send,
    settle,
    type_text,
)

SECRET = "QX-4471-ZETA"


def stored(app: AssistantApp, status: MemoryStatus | None = None) -> list[str]:
    """Every stored memory's text (of one status, if given), sorted."""
    statuses = (status,) if status else ALL_MEMORY_STATUSES
    return sorted(m.text for m in app.assistant.memories(statuses))


def status_line(browser: MemoryBrowser) -> str:
    return str(browser.query_one("#memory-status-line", Label).render())


def details(browser: MemoryBrowser) -> str:
    return str(browser.query_one("#memory-provenance", Static).render())


def options(picker: ConversationPicker) -> list[str]:
    listing = picker.query_one(OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def choose(pilot: Pilot[None], selector: str, label: str) -> None:
    """Pick a filter option with the keyboard: open the list, type to find, Enter."""
    select = pilot.app.screen.query_one(selector, Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    await type_text(pilot, label)
    await pilot.press("enter")
    await settle(pilot)
    assert select.value == label


async def search(pilot: Pilot[None], text: str) -> None:
    """Type a new search: / focuses the box (from the table), ctrl+u clears it."""
    field = pilot.app.screen.query_one("#memory-search", Input)
    if not field.has_focus:
        await pilot.press("slash")
    assert field.has_focus
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)
    await settle(pilot)
    assert field.value == text


async def test_f4_lists_every_memory_and_escape_closes(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        app.assistant.remember("Answer in metric units.", "preference")
        app.assistant.remember("Keep answers short.", "rule")
        assert "Memories" in {c.title for c in app.get_system_commands(app.screen)}
        browser = await open_browser(pilot)
        # newest first; rules and corrections share the one list
        assert listed(browser) == [
            "Keep answers short.",
            "Answer in metric units.",
            "The user is vegetarian.",
        ]
        table = browser.query_one(DataTable)
        kind, status, text, created, updated, uses = table.get_row_at(2)[1:]
        assert (kind, status, str(text), str(uses)) == ("fact", "active", listed(browser)[2], "0")
        assert len(created) == len(updated) == len("2024-05-03")
        assert status_line(browser) == "3 memories"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MemoryBrowser)


async def test_a_listing_paints_whole_columns_before_the_table_idles(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    """The table measures new rows only at its next Idle; a paint before it once kept
    rows cut to the header's widths ("The us"). The browser sizes the columns itself."""
    app = scripted_app(env, fake, embedder)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.assistant.remember("Be brief.", "rule")
        browser = await open_browser(pilot)  # its columns fit "Be brief." and "rule"
        app.assistant.remember("The user is learning the cello.", "preference")
        memories = app.assistant.memories(ALL_MEMORY_STATUSES)
        # A listing handled and painted at once, with no await: no Idle in between.
        browser._listed(MemoriesLoaded(browser._generation, memories))
        table = browser.query_one(DataTable)
        painted = [table.render_line(y).text for y in range(1, 3)]  # line 0: the header
        assert any("preference" in row and "learning the cello." in row for row in painted)


async def test_the_list_loads_in_a_worker(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        app.assistant.remember("The user plays the cello.")
        gate = threading.Event()
        listing = app.assistant.memories
        app.assistant.memories = lambda *a, **k: (gate.wait(10), listing(*a, **k))[1]  # type: ignore[method-assign]
        await pilot.press("f4")
        await pilot.pause()
        browser = app.screen
        assert isinstance(browser, MemoryBrowser)
        assert status_line(browser) == "Loading…"
        await pilot.press("f3")  # the screen answers keys while the list loads
        assert "by meaning" in str(browser.query_one("#memory-mode", Label).render())
        gate.set()
        await settle(pilot)
        assert listed(browser) == ["The user plays the cello."]


async def test_filter_by_kind_and_by_status(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I live in Berlin")
        await send(pilot, "I live in Paris")
        app.assistant.remember("Keep answers short.", "rule")
        app.assistant.remember("Answer in metric units.", "preference")
        browser = await open_browser(pilot)
        assert len(listed(browser)) == 4
        await choose(pilot, "#memory-kind", "rule")
        assert listed(browser) == ["Keep answers short."]
        await choose(pilot, "#memory-kind", "fact")
        assert listed(browser) == ["The user lives in Paris.", "The user lives in Berlin."]
        await choose(pilot, "#memory-status", "superseded")
        assert listed(browser) == ["The user lives in Berlin."]
        await choose(pilot, "#memory-kind", "preference")
        assert listed(browser) == []
        assert status_line(browser) == "0 memories"
        assert details(browser) == "No memories match."


async def test_full_text_search(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        await send(pilot, "I live in Berlin")
        await send(pilot, f"my locker code is {SECRET}")
        browser = await open_browser(pilot)
        await search(pilot, "berlin")
        assert listed(browser) == ["The user lives in Berlin."]
        await search(pilot, "lock")  # a part of a word finds it too
        assert listed(browser) == [f"The user's locker code is {SECRET}."]
        await search(pilot, "meat-free diet")  # by words, nothing shares one
        assert listed(browser) == []


async def test_semantic_search_says_searching_then_ranks_by_meaning(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        await send(pilot, "I live in Berlin")
        await send(pilot, f"my locker code is {SECRET}")
        browser = await open_browser(pilot)
        await pilot.press("f3")
        assert "by meaning" in str(browser.query_one("#memory-mode", Label).render())
        gate = threading.Event()
        searching = app.assistant.search_memories
        app.assistant.search_memories = lambda *a, **k: (gate.wait(10), searching(*a, **k))[1]  # type: ignore[method-assign]
        await pilot.press("slash")
        await type_text(pilot, "meat-free diet")
        await pilot.pause()
        assert status_line(browser) == "Searching…"
        gate.set()
        await settle(pilot)
        assert listed(browser)[0] == "The user is vegetarian."
        assert status_line(browser) == "3 memories"


async def test_provenance_shows_the_source_and_the_history(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I live in Berlin")
        await send(pilot, "I live in Paris")
        browser = await open_browser(pilot)
        await highlight(pilot, browser, "The user lives in Berlin.")
        shown = details(browser)
        assert "user · " in shown and "“I live in Berlin”" in shown
        assert "I live in Berlin" in shown.split("Learned from")[1]  # the conversation title
        history = shown.split("History")[1]
        assert "add — extracted from the user's message" in history
        assert "supersede — replaced by: The user lives in Paris." in history


async def test_open_source_jumps_to_its_conversation(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        taught = app.conversation_id
        await pilot.press("ctrl+n")
        await send(pilot, "hello there")
        assert app.conversation_id != taught
        browser = await open_browser(pilot)
        await highlight(pilot, browser, "The user is vegetarian.")
        await pilot.press("o")
        await settle(pilot)
        assert not isinstance(app.screen, MemoryBrowser)
        assert app.conversation_id == taught
        assert [b.text for b in app.query(UserBubble)] == ["I am vegetarian"]


async def test_edit_rewords_a_memory(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        browser = await open_browser(pilot)
        memory = await highlight(pilot, browser, "The user is vegetarian.")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, MemoryEditPrompt)
        field = app.screen.query_one(Input)
        assert field.value == "The user is vegetarian."
        await pilot.press("ctrl+u")  # clear the line
        await type_text(pilot, "The user is vegan.")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is browser
        assert stored(app) == ["The user is vegan."]
        assert listed(browser) == ["The user is vegan."]
        assert app.assistant.memories()[0].id == memory.id
        assert "Edited: The user is vegan." in status_line(browser)
        assert "edit" in details(browser).split("History")[1]


async def test_delete_is_real_and_undo_writes_it_back(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I am vegetarian")
        await send(pilot, "I live in Berlin")
        browser = await open_browser(pilot)
        memory = await highlight(pilot, browser, "The user is vegetarian.")
        history = app.assistant.memory_history(memory.id)
        await pilot.press("d")
        await settle(pilot)
        assert stored(app) == ["The user lives in Berlin."]
        assert listed(browser) == ["The user lives in Berlin."]
        assert "Deleted 1 memory — u to undo" in status_line(browser)
        await pilot.press("u")
        await settle(pilot)
        assert stored(app) == ["The user is vegetarian.", "The user lives in Berlin."]
        assert app.assistant.memory_history(memory.id) == history
        assert "Restored 1 memory" in status_line(browser)


async def test_marked_rows_go_together_and_undo_steps_back(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        for text in ("I am vegetarian", "I live in Berlin", f"my locker code is {SECRET}"):
            await send(pilot, text)
        app.assistant.remember("Answer in metric units.", "preference")
        browser = await open_browser(pilot)
        await highlight(pilot, browser, "The user lives in Berlin.")
        await pilot.press("space", "space")  # a mark moves the cursor down
        assert "2 marked" in status_line(browser)
        await pilot.press("d")
        await settle(pilot)
        assert stored(app) == ["Answer in metric units.", f"The user's locker code is {SECRET}."]
        assert "Deleted 2 memories — u to undo" in status_line(browser)
        await highlight(pilot, browser, "Answer in metric units.")
        await pilot.press("delete")  # no marks: the highlighted one
        await settle(pilot)
        assert stored(app) == [f"The user's locker code is {SECRET}."]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert stored(app) == ["Answer in metric units.", f"The user's locker code is {SECRET}."]
        assert "1 more to undo" in status_line(browser)
        await pilot.press("u")
        await settle(pilot)
        assert len(stored(app)) == 4
        assert listed(browser)[0] == "Answer in metric units."


async def test_restore_a_superseded_memory(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "I live in Berlin")
        await send(pilot, "I live in Paris")
        browser = await open_browser(pilot)
        await highlight(pilot, browser, "The user lives in Paris.")
        await pilot.press("r")  # hidden and inert on an active memory
        await settle(pilot)
        assert stored(app, "active") == ["The user lives in Paris."]
        await highlight(pilot, browser, "The user lives in Berlin.")
        await pilot.press("r")
        await settle(pilot)
        assert stored(app, "active") == ["The user lives in Berlin."]
        assert stored(app, "superseded") == ["The user lives in Paris."]
        assert "Restored: The user lives in Berlin." in status_line(browser)


async def propose_a_rule(pilot: Pilot[None]) -> None:
    """Three thumbs-down for one reason propose a rule; Esc leaves it proposed."""
    for question in ("one", "two", "three"):
        await send(pilot, question)
        await pilot.press("f6")
        await pilot.pause()
        await type_text(pilot, "too long")
        await pilot.press("enter")
        await settle(pilot)
    assert isinstance(pilot.app.screen, RulePrompt)
    await pilot.press("escape")
    await settle(pilot)


async def decide_rule(pilot: Pilot[None], key: str) -> AssistantApp:
    app = pilot.app
    assert isinstance(app, AssistantApp)
    await settle(pilot)
    await propose_a_rule(pilot)
    assert stored(app, "proposed") == ["Keep answers short."]
    browser = await open_browser(pilot)
    await choose(pilot, "#memory-kind", "rule")
    browser.query_one(DataTable).focus()
    await highlight(pilot, browser, "Keep answers short.")
    await pilot.press(key)
    await settle(pilot)
    return app


async def test_keep_a_proposed_rule(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await decide_rule(pilot, "k")
        assert stored(app, "active") == ["Keep answers short."]


async def test_discard_a_proposed_rule(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await decide_rule(pilot, "x")
        assert stored(app, "discarded") == ["Keep answers short."]


async def ask_to_delete_conversation(
    pilot: Pilot[None], query: str = ""
) -> DeleteConversationPrompt:
    """Open the picker, search, and press its delete key on the highlighted conversation."""
    await pilot.press("ctrl+o")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConversationPicker)
    await type_text(pilot, query)
    await pilot.press("f3")
    await settle(pilot)
    prompt = pilot.app.screen
    assert isinstance(prompt, DeleteConversationPrompt)
    return prompt


async def teach_two_things(app: AssistantApp, pilot: Pilot[None]) -> str:
    await settle(pilot)
    await send(pilot, "I am vegetarian")
    await send(pilot, "I live in Berlin")
    taught = app.conversation_id
    assert taught is not None
    await pilot.press("ctrl+n")
    await send(pilot, "hello")
    app.assistant.remember("Answer in metric units.", "preference")
    await app.show_conversation(taught)  # the open one: deleting it clears the chat
    return taught


async def test_delete_conversation_with_what_it_taught(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        taught = await teach_two_things(app, pilot)
        prompt = await ask_to_delete_conversation(pilot, "vegetarian")
        shown = str(prompt.query_one("#delete-learned", Static).render())
        assert "It taught 2 memories" in shown and "The user lives in Berlin." in shown
        await pilot.click("#delete-with-memories")
        await settle(pilot)
        assert stored(app) == ["Answer in metric units."]
        assert taught not in {c.id for c in app.assistant.conversations()}
        # it was the open conversation: the chat starts afresh
        assert app.conversation_id is None
        assert list(app.query(UserBubble)) == []
        picker = app.screen
        assert isinstance(picker, ConversationPicker)  # still open, and listed again
        assert options(picker) == ["No conversations found"]
        await pilot.press(*["backspace"] * len("vegetarian"))
        assert options(picker) == ["hello  (2 messages)"]


async def test_delete_conversation_only_keeps_what_it_taught(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        taught = await teach_two_things(app, pilot)
        await ask_to_delete_conversation(pilot, "vegetarian")
        await pilot.click("#delete-only")
        await settle(pilot)
        assert stored(app) == [
            "Answer in metric units.",
            "The user is vegetarian.",
            "The user lives in Berlin.",
        ]
        assert taught not in {c.id for c in app.assistant.conversations()}
        browser = await open_browser_from_picker(pilot)
        await highlight(pilot, browser, "The user is vegetarian.")
        assert "no stored message" in details(browser)


async def open_browser_from_picker(pilot: Pilot[None]) -> MemoryBrowser:
    await pilot.press("escape")
    await pilot.pause()
    return await open_browser(pilot)


async def test_a_conversation_that_taught_nothing_is_only_confirmed(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        prompt = await ask_to_delete_conversation(pilot)
        assert "Nothing was learned" in str(prompt.query_one("#delete-learned", Static).render())
        assert not prompt.query("#delete-with-memories")
        await pilot.press("escape")  # cancel: nothing happens
        await settle(pilot)
        assert len(app.assistant.conversations()) == 1
        await pilot.press("f3")
        await settle(pilot)
        await pilot.click("#delete-only")
        await settle(pilot)
        assert app.assistant.conversations() == []


async def test_secret_leaves_no_trace_after_tui_deletes(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    roots = [env.paths.config, env.paths.data, env.paths.cache]
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, f"my locker code is {SECRET}")
        await send(pilot, "I live in Berlin")
        await send(pilot, "thanks")
        [secret] = [m for m in app.assistant.memories() if SECRET in m.text]
        vector = app.assistant.snapshots([secret.id])[0].vector
        assert traces(roots, SECRET, [vector])  # the search can find it: it is there
        browser = await open_browser(pilot)
        await highlight(pilot, browser, secret.text)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        prompt = await ask_to_delete_conversation(pilot)
        assert "The user lives in Berlin." in str(prompt.query_one("#delete-learned").render())
        await pilot.click("#delete-with-memories")
        await settle(pilot)
        assert app.assistant.memories() == []
    assert traces(roots, SECRET, [vector]) == []
