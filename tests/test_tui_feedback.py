"""Feedback in the TUI with Pilot: thumbs, reasons, rules, corrections, incognito, report.

The scripted backend writes the replies; the store is a real LanceDB in a tmp home and
the embedder is the real one, so what the keys record is what the core stores.
"""

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Sparkline, Static

from assistant.compose import Environment, load_environment
from assistant.core.records import MemoryStatus
from assistant.embedder import Embedder
from assistant.llm.fake import ScriptedBackend
from assistant.tui.app import AssistantApp
from assistant.tui.prompt import PromptArea
from assistant.tui.report import LearningReport, daily_series
from assistant.tui.screens import ReasonPrompt, RulePrompt
from assistant.tui.widgets import ReplyBubble, StatusBar, UserBubble
from tests.tui_helpers import notices, scripted_app, send, settle, type_text


def toasts(app: AssistantApp) -> str:
    """Every notification shown so far (still on screen), as one text."""
    return "\n".join(notices(app))


async def thumbs_down(pilot: Pilot[None], reason: str) -> None:
    await pilot.press("f6")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReasonPrompt)
    await type_text(pilot, reason)
    await pilot.press("enter")
    await settle(pilot)


async def three_downs(pilot: Pilot[None], reason: str = "too long") -> None:
    for question in ("one", "two", "three"):
        await send(pilot, question)
        await thumbs_down(pilot, reason)


def reply_ids(app: AssistantApp) -> list[str]:
    return [bubble.message_id for bubble in app.query(ReplyBubble)]


def rules(app: AssistantApp, status: MemoryStatus) -> list[str]:
    return [m.text for m in app.assistant.memories((status,), "rule")]


def corrections(app: AssistantApp) -> list[str]:
    return [m.text for m in app.assistant.memories(("active",), "correction")]


async def test_thumbs_up_records_an_up_signal(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await pilot.press("f5")
        await settle(pilot)
        ups = app.assistant.memory_store.signals("up")
        assert [s.message_id for s in ups] == reply_ids(app)
        assert "👍 recorded" in toasts(app)


async def test_feedback_targets_the_selected_reply(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "one")
        await send(pilot, "two")
        first, _second = app.query(ReplyBubble)
        app.chat.scroll_to_widget(first, animate=False)  # a new turn scrolls it away
        await pilot.pause()
        await pilot.click(first)
        await pilot.press("f5")
        await settle(pilot)
        assert [s.message_id for s in app.assistant.memory_store.signals("up")] == [
            first.message_id
        ]


async def test_thumbs_down_records_the_reason(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await thumbs_down(pilot, "too long")
        downs = app.assistant.memory_store.signals("down")
        assert [(s.message_id, s.reason) for s in downs] == [(reply_ids(app)[0], "too long")]
        assert "👎 recorded" in toasts(app)
        assert not isinstance(app.screen, RulePrompt)  # one thumbs-down is no pattern


async def test_escape_cancels_a_thumbs_down(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReasonPrompt)
        assert app.assistant.memory_store.signals("down") == []


async def test_three_downs_propose_a_rule_and_keep_applies_it(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await three_downs(pilot)
        assert isinstance(app.screen, RulePrompt)
        assert "Learned: Keep answers short." in str(app.screen.query_one("#rule-text").render())
        assert rules(app, "proposed") == ["Keep answers short."]
        await pilot.press("k")
        await settle(pilot)
        assert not isinstance(app.screen, RulePrompt)
        assert rules(app, "active") == ["Keep answers short."]
        assert "Rule kept" in toasts(app)


async def test_a_proposed_rule_can_be_discarded(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await three_downs(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert rules(app, "active") == []
        assert rules(app, "discarded") == ["Keep answers short."]


async def test_a_proposed_rule_can_be_reworded(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await three_downs(pilot)
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen.query_one("#rule-edit", Input)
        assert app.screen.focused is editor and editor.value == "Keep answers short."
        editor.value = ""
        await type_text(pilot, "keep it short and direct")  # k, e and d type, not decide
        await pilot.press("enter")
        await settle(pilot)
        assert rules(app, "active") == ["keep it short and direct"]


async def test_escape_leaves_the_rule_proposed(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await three_downs(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, RulePrompt)
        assert rules(app, "proposed") == ["Keep answers short."]


async def test_correct_command_remembers_a_correction(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("Sydney.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "What is the capital of Australia?")
        await send(pilot, "/correct Canberra")
        assert [UserBubble, ReplyBubble] == [type(w) for w in app.chat.children]
        assert app.query_one("#prompt", PromptArea).value == ""
        (memory,) = corrections(app)
        assert "Canberra" in memory and "Sydney" in memory
        assert "Correction remembered" in toasts(app)


async def test_an_offered_correction_is_recorded_only_on_its_key(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("Sydney.", "Sorry, you are right.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "What is the capital of Australia?")
        await send(pilot, "No, actually it's Canberra")
        assert app.offer is not None and app.offer.right == "Canberra"
        assert "Looks like a correction: 'Canberra'" in toasts(app)
        assert corrections(app) == []  # never assumed
        await pilot.press("f7")
        await settle(pilot)
        (memory,) = corrections(app)
        assert "Canberra" in memory and "Sydney" in memory
        assert app.offer is None


async def test_an_offer_is_dropped_when_the_next_turn_starts(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    fake.enqueue("Sydney.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "What is the capital of Australia?")
        await send(pilot, "No, actually it's Canberra")
        assert app.offer is not None
        await send(pilot, "thanks")
        assert app.offer is None
        await pilot.press("f7")
        await settle(pilot)
        assert corrections(app) == []


async def test_incognito_stores_nothing(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert "incognito" in str(app.query_one(StatusBar).render())
        await send(pilot, "my secret is 1234")
        await send(pilot, "and another")
        assert [w.text for w in app.query(ReplyBubble)] == [
            "echo: my secret is 1234",
            "echo: and another",
        ]
        assert "incognito" in str(app.query_one(StatusBar).render())
        assert app.conversation_id is None
        assert app.assistant.conversations() == []
        assert app.assistant.memories() == []
        await pilot.press("f5")  # an unstored reply takes no feedback
        await settle(pilot)
        assert app.assistant.memory_store.signals() == []
        await pilot.press("f8")
        await pilot.pause()
        assert "incognito" not in str(app.query_one(StatusBar).render())
        await send(pilot, "stored again")
        assert len(app.assistant.conversations()) == 1


async def test_learning_report_shows_the_totals(
    env: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(env, fake, embedder)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await pilot.press("f5")
        await settle(pilot)
        fake.enqueue("Sure.\n" * 6)  # a loop: never recalled, counted in the report
        await send(pilot, "again")
        await thumbs_down(pilot, "too long")
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LearningReport)
        totals = str(screen.query_one("#report-totals", Static).render())
        assert "Feedback: 1 up, 1 down" in totals
        assert "Repeat mistakes: n/a" in totals
        assert "Degenerate replies (looped or leaked prompt markers; not recalled): 1" in totals
        assert screen.query_one("#spark-up", Sparkline).data == [0.0, 1.0]
        assert len(screen.query(Sparkline)) == 4
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LearningReport)


def test_daily_series_fills_quiet_days() -> None:
    by_day = [
        {"date": "2025-01-01", "memories": 2, "corrections": 0, "up": 1, "down": 0},
        {"date": "2025-01-04", "memories": 1, "corrections": 1, "up": 0, "down": 3},
    ]
    assert daily_series(by_day, "down") == [0.0, 0.0, 0.0, 0.0, 3.0]
    assert daily_series(by_day, "memories") == [0.0, 2.0, 0.0, 0.0, 1.0]
    assert daily_series([], "up") == []


@pytest.fixture
def memory_only(home: Path) -> Environment:
    return load_environment(learning="memory")


async def test_feedback_below_its_level_is_an_error_toast(
    memory_only: Environment, fake: ScriptedBackend, embedder: Embedder
) -> None:
    app = scripted_app(memory_only, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await pilot.press("f5")
        await settle(pilot)
        assert "feedback is not recorded at learning level `memory`" in toasts(app)
        assert "ASSISTANT_LEARNING=feedback" in toasts(app)


async def test_a_due_dataset_export_runs_after_a_turn_and_says_so(
    home: Path, fake: ScriptedBackend, embedder: Embedder, gguf_path: Path
) -> None:
    env = load_environment(model=str(gguf_path), learning="full", export_every_examples=1)
    fake.enqueue("Lisbon is lovely in May.", "You're welcome.")
    app = scripted_app(env, fake, embedder)
    async with app.run_test() as pilot:
        await settle(pilot)
        await send(pilot, "When should I visit Lisbon?")
        await pilot.press("f5")
        await settle(pilot)
        assert "Dataset exported" not in toasts(app)
        await send(pilot, "thanks")
        assert "Dataset exported: 1 example, 0 preference pairs" in toasts(app)
    [export] = (home / "data" / "exports").glob("dataset-*")
    assert "Lisbon is lovely in May." in (export / "sft.jsonl").read_text()
