"""The learning report screen: what was learned, how feedback went, day by day.

The app computes the report in a worker (it embeds text) and hands the finished dict
to this screen, which only lays it out. The shape is `Assistant.learning_report()`'s.
"""

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Sparkline, Static

SERIES = (
    ("memories", "Memories"),
    ("corrections", "Corrections"),
    ("up", "👍 Up"),
    ("down", "👎 Down"),
)


def daily_series(by_day: Sequence[Mapping[str, Any]], name: str) -> list[float]:
    """One count per calendar day, quiet days as zero, from the day before the first.

    The report lists only days with activity; filling the gaps keeps the time axis
    honest. A Sparkline scales from the smallest value to the largest (and draws a
    single value as a full bar), so the quiet day before the first gives it a zero.
    """
    counts = {date.fromisoformat(day["date"]): float(day[name]) for day in by_day}
    if not counts:
        return []
    first, last = min(counts) - timedelta(days=1), max(counts)
    return [counts.get(first + timedelta(days=n), 0.0) for n in range((last - first).days + 1)]


def totals_lines(report: Mapping[str, Any]) -> list[str]:
    """The totals and the repeat-mistake rate, as plain lines."""
    totals = report["totals"]
    memories = ", ".join(f"{n} {kind}" for kind, n in totals["memories"].items()) or "none"
    rules = totals["rules"]
    repeat = report["repeat_mistakes"]
    if repeat["rate"] is None:
        rate = "n/a (no similar question asked again after a correction)"
    else:
        rate = (
            f"{repeat['rate']:.0%} ({repeat['against_correction']} of "
            f"{repeat['similar_questions']} similar questions went against a correction)"
        )
    adoption = (
        []
        if repeat["adoption"] is None
        else [
            f"Corrections in answers: {repeat['adoption']:.0%} ({repeat['with_correction']} "
            f"of {repeat['similar_questions']} replies carried the corrected answer)"
        ]
    )
    degenerate = totals.get("degenerate_replies", 0)
    looped = (
        [f"Degenerate replies (looped or leaked prompt markers; not recalled): {degenerate}"]
        if degenerate
        else []
    )
    return [
        f"Memories: {memories}",
        f"Rules: {rules['active']} active, {rules['proposed']} proposed, "
        f"{rules['discarded']} discarded",
        f"Feedback: {totals['feedback']['up']} up, {totals['feedback']['down']} down",
        f"Corrections: {totals['corrections']} · regenerations: {totals['regenerations']}"
        f" · reformulations: {totals['reformulations']}",
        f"Repeat mistakes: {rate}",
        *adoption,
        *looped,
    ]


class LearningReport(ModalScreen[None]):
    """The learning report; Esc closes it."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, report: Mapping[str, Any]) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        report = self.report
        by_day: Sequence[Mapping[str, Any]] = report["by_day"]
        with VerticalScroll(id="report", classes="dialog"):
            yield Label(
                f"Learning report · level {report['level']} (esc closes)", classes="dialog-title"
            )
            yield Static("\n".join(totals_lines(report)), id="report-totals", markup=False)
            yield Label(self._span(by_day), classes="report-section")
            for name, title in SERIES:
                values = daily_series(by_day, name)
                with Horizontal(classes="report-series"):
                    yield Label(f"{title:<12}{int(sum(values)):>5}", classes="report-series-label")
                    yield Sparkline(values, id=f"spark-{name}")
            yield Label("Rules", classes="report-section")
            rules = [f"{r['status']:8}  {r['text']}" for r in report["rules"]]
            yield Static("\n".join(rules) or "No rules yet.", id="report-rules", markup=False)
            yield Label("Weak topics", classes="report-section")
            topics = [f"{t['label']} ({t['negatives']} negative)" for t in report["topics"]]
            yield Static(
                "\n".join(topics) or "No weak topics yet.", id="report-topics", markup=False
            )

    @staticmethod
    def _span(by_day: Sequence[Mapping[str, Any]]) -> str:
        if not by_day:
            return "Per day: no activity yet"
        first, last = by_day[0]["date"], by_day[-1]["date"]
        return f"Per day, {first} to {last}" if first != last else f"Per day, {first}"

    def action_close(self) -> None:
        self.dismiss(None)
