"""Text helpers the whole TUI shares: dates, excerpts, plurals, and the notice that
names the user's copies a delete could not reach."""

from datetime import datetime

from textual.app import App
from textual.widget import Widget

from assistant.core.ports.copies import Leftovers


def short_date(moment: datetime | None) -> str:
    """A date in local time as the table shows it (2024-05-03); blank for none."""
    return moment.astimezone().strftime("%Y-%m-%d") if moment is not None else ""


def short_time(moment: datetime) -> str:
    """A date and minute in local time, for messages and events."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def excerpt(text: str, limit: int) -> str:
    """The text on one line, cut to `limit` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def plural(count: int, noun: str = "memory") -> str:
    """'1 memory', '2 memories'."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def notify_leftovers(widget: Widget | App[None], held: Leftovers) -> None:
    """Name the user's copies a delete could not reach, as the CLI does (nothing if none)."""
    if not held:
        return
    lines = [*held.export_lines(), *held.adapter_lines()]
    if held.exports:
        lines.append("Delete them, or `assistant forget … --include-exports`.")
    if held.adapters:
        lines.append("Remove one with `assistant adapters remove NAME`.")
    widget.notify(
        "\n".join(lines), title="Still in your copies", severity="warning", timeout=20, markup=False
    )
