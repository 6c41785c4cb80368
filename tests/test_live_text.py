"""LiveText: a streaming reply wrapped incrementally, row for row as if wrapped whole."""

import random

from rich.cells import cell_len
from textual.app import App, ComposeResult

from assistant.tui.live_text import GROW_ROWS, LiveText, wrap_rows
from tests.tui_helpers import settle

TEXT = (
    "The keeper climbed the stairs as the storm came in.\n\n"
    "Waves   broke on the rocks; a supercalifragilisticexpialidocious gust rattled "
    "the glass. 灯台守は嵐の中で灯りを守った。 Done.\n"
)


def rows_of(line: str, width: int) -> list[str]:
    starts = wrap_rows(line, width)
    return [line[a:b] for a, b in zip(starts, [*starts[1:], len(line)], strict=True)]


def test_rows_fit_the_width_and_lose_no_text() -> None:
    for width in (2, 5, 12, 40):  # a wide character needs 2 cells
        for line in TEXT.split("\n"):
            rows = rows_of(line, width)
            assert "".join(rows) == line
            assert all(cell_len(row.rstrip(" ")) <= width for row in rows)
    assert rows_of("灯台", 1) == ["灯", "台"]  # too narrow: one per row, none lost


def test_words_move_whole_and_long_words_fold() -> None:
    assert rows_of("hello world foo", 11) == ["hello world ", "foo"]
    assert rows_of("abcdefghijkl xy", 5) == ["abcde", "fghij", "kl xy"]
    assert rows_of("", 8) == [""]


class LiveApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LiveText()


def screen_rows(live: LiveText) -> list[str]:
    return [live.render_line(y).text.rstrip() for y in range(live.size.height)]


def held(rows: list[str]) -> list[str]:
    """`rows` as LiveText shows them: blank rows held below, up to a whole step."""
    return rows + [""] * (-len(rows) % GROW_ROWS)


async def test_appending_in_pieces_shows_what_wrapping_it_whole_shows() -> None:
    pieces = random.Random(7)
    app = LiveApp()
    async with app.run_test(size=(24, 40)) as pilot:
        live = app.query_one(LiveText)
        rest = TEXT
        while rest:
            cut = pieces.randint(1, 9)
            live.append(rest[:cut])
            rest = rest[cut:]
            if pieces.random() < 0.5:  # sometimes several appends land before a frame
                await settle(pilot)
        await settle(pilot)
        expected = [row.rstrip() for line in TEXT.split("\n") for row in rows_of(line, 24)]
        assert live.text == TEXT
        assert screen_rows(live) == held(expected)


async def test_a_resize_rewraps_and_clear_empties() -> None:
    app = LiveApp()
    async with app.run_test(size=(30, 20)) as pilot:
        live = app.query_one(LiveText)
        live.append("one two three four five six seven")
        await settle(pilot)
        assert screen_rows(live) == held(["one two three four five six", "seven"])
        await pilot.resize_terminal(14, 20)
        await settle(pilot)
        assert screen_rows(live) == held(["one two three", "four five six", "seven"])
        live.clear()
        await settle(pilot)
        assert screen_rows(live) == held([""])


async def test_the_height_grows_a_step_of_rows_at_a_time() -> None:
    app = LiveApp()
    async with app.run_test(size=(20, 40)) as pilot:
        live = app.query_one(LiveText)
        heights = []
        for n in range(2 * GROW_ROWS + 1):  # one full row per append
            live.append(f"row {n:<15}")
            await settle(pilot)
            heights.append(live.size.height)
        assert heights == [GROW_ROWS] * GROW_ROWS + [2 * GROW_ROWS] * GROW_ROWS + [3 * GROW_ROWS]
        rows = [f"row {n}" for n in range(2 * GROW_ROWS + 1)]
        assert screen_rows(live) == held(rows)


async def test_reserved_rows_hold_until_the_text_outgrows_them() -> None:
    app = LiveApp()
    async with app.run_test(size=(20, 40)) as pilot:
        live = app.query_one(LiveText)
        live.reserve(GROW_ROWS + 2)
        heights = []
        for n in range(GROW_ROWS + 3):  # one full row per append
            live.append(f"row {n:<15}")
            await settle(pilot)
            heights.append(live.size.height)
        # The reserve first, then whole steps of rows past it.
        assert heights == [GROW_ROWS + 2] * (GROW_ROWS + 2) + [2 * GROW_ROWS + 2]
        live.reserve(0)
        await settle(pilot)
        assert live.size.height == 2 * GROW_ROWS  # back to the text's own steps
