"""Quantities in the user's units, added to the reply as it streams.

A 135M model told "I use the metric system" still answers "A marathon is 26.2 miles":
it knows the preference is there (it is in its system prompt) but cannot convert, and
`bench_answers` counted every unit probe a miss. The assistant can convert. When a
standing preference names a unit system, each quantity in the other system gets its
conversion after it, in brackets: "26.2 miles (42.2 km)", "20-30 pounds (9.1-13.6 kg)".

The model's own figure stays: a wrong figure converted is still visibly the model's,
where a replaced one would hide it. A quantity the reply already converts ("42 km
(26 miles)", "26 miles (42 km)") is left alone, and so is code inside ``` fences.
Pure and deterministic: no model.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.core.reply_shape import FENCE

UnitSystem = Literal["metric", "imperial"]

# A preference names its system ("Use metric units.", "I use the metric system, so give
# distances in kilometres") or its units ("I think in miles and pounds"). "Metric, not
# imperial" names both: the first one named is the one wanted.
_METRIC_WORDS = r"metric|kilomet\w*|kilograms?|kilos|celsius|km|kg"
_IMPERIAL_WORDS = r"imperial|miles|pounds|fahrenheit|feet|inches|lbs|us customary|us units"
# Any word that names a system: the extraction rule for "I use the metric system" starts
# with one, and `unit_system` decides which system it names.
UNIT_WORDS = f"{_METRIC_WORDS}|{_IMPERIAL_WORDS}"
_METRIC = re.compile(rf"\b(?:{_METRIC_WORDS})\b", re.IGNORECASE)
_IMPERIAL = re.compile(rf"\b(?:{_IMPERIAL_WORDS})\b", re.IGNORECASE)
_MILE = 1.609344
_POUND = 0.45359237


@dataclass(frozen=True)
class _Unit:
    names: str  # a regular expression for how a reply writes the unit
    into: str  # how the converted figure is written
    convert: Callable[[float], float]
    whole: bool = False  # rounded to whole units (degrees)
    money: bool = False  # also a currency: "it costs 20 pounds" is not a weight


_TO_METRIC = (
    _Unit(r"miles? per hour|mph", "km/h", lambda v: v * _MILE),
    _Unit(r"square (?:feet|foot)|sq\.? ?ft", "m²", lambda v: v * 0.09290304),
    _Unit(r"miles?|mi", "km", lambda v: v * _MILE),
    _Unit(r"feet|foot|ft", "m", lambda v: v * 0.3048),
    _Unit(r"inch(?:es)?", "cm", lambda v: v * 2.54),
    _Unit(r"yards?|yds?", "m", lambda v: v * 0.9144),
    _Unit(r"lbs?", "kg", lambda v: v * _POUND),
    _Unit(r"pounds?", "kg", lambda v: v * _POUND, money=True),
    _Unit(r"ounces?|oz", "g", lambda v: v * 28.349523125),
    _Unit(r"gallons?|gal", "L", lambda v: v * 3.785411784),
    _Unit(
        r"degrees? fahrenheit|degrees? F|fahrenheit|°\s?F",
        "°C",
        lambda v: (v - 32) * 5 / 9,
        whole=True,
    ),
)
_TO_IMPERIAL = (
    _Unit(r"kilomet(?:er|re)s? (?:per|an) hour|km/h|kph", "mph", lambda v: v / _MILE),
    _Unit(r"kilomet(?:er|re)s?|km", "miles", lambda v: v / _MILE),
    _Unit(r"centimet(?:er|re)s?|cm", "in", lambda v: v / 2.54),
    _Unit(r"met(?:er|re)s?", "ft", lambda v: v / 0.3048),
    _Unit(r"kilograms?|kilos?|kg", "lb", lambda v: v / _POUND),
    _Unit(r"grams?", "oz", lambda v: v / 28.349523125),
    _Unit(r"lit(?:er|re)s?", "gal", lambda v: v / 3.785411784),
    _Unit(
        r"degrees? celsius|degrees? C|celsius|°\s?C",
        "°F",
        lambda v: v * 9 / 5 + 32,
        whole=True,
    ),
)
_NUMBER = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_RANGE = r"\s*(?:-|\u2013|to|and)\s*"  # 20-30, 20\u201330, 20 to 30
# A figure starts a quantity only where it is not the tail of a word, a figure or a range.
_STARTS = r"(?<![\w.,])"
# The reply already gives the figure in the other system, before or after this one.
_GIVEN_AFTER = re.compile(r"\s*[(\[]")
_GIVEN_BEFORE = re.compile(
    r"[(\[]\s*(?:~|about|approx\.?|approximately|around|roughly|or|i\.e\.,?)?\s*$", re.IGNORECASE
)
# Held back while streaming: a figure that may still be followed by its unit and by
# the bracket that says it is already converted (at most "miles per hour (" after it).
_LAST_FIGURE = re.compile(rf"{_STARTS}-?\d")
_RANGE_START = re.compile(rf"{_STARTS}{_NUMBER}{_RANGE}$")
_DECIDED = re.compile(r"[.!?,;:)\]]\s|\n")
HOLD_WORDS = 5
# "It costs 20 pounds", "he paid 300 pounds for it": pounds as money, in a British reply.
_MONEY = re.compile(
    r"£|\b(?:cost|costs|costing|price|priced|paid|pay|pays|paying|spend|spends|spent|"
    r"worth|earn|earns|earned|salary|fee|fees|rent|budget|save|saved|sold|buy|bought|"
    r"charge|charges|charged|fine|fined|wage|wages|money|cash)\b",
    re.IGNORECASE,
)
_STERLING = re.compile(r"[ \t]+sterling\b", re.IGNORECASE)
MONEY_REACH = 40
_SENTENCE_END = re.compile(r"[.!?]\s+|\n")


def unit_system(preferences: Sequence[str]) -> UnitSystem | None:
    """The unit system the user's standing preferences ask for; the last one stated wins."""
    wanted: UnitSystem | None = None
    for text in preferences:
        metric, imperial = _METRIC.search(text), _IMPERIAL.search(text)
        if metric and (not imperial or metric.start() < imperial.start()):
            wanted = "metric"
        elif imperial:
            wanted = "imperial"
    return wanted


_UNIT_WORD = re.compile(rf"\b(?:{UNIT_WORDS})\b", re.IGNORECASE)
_WANT = re.compile(
    r"\b(?:use|using|want|prefer|give|switch|convert|change|should be|need|rather|"
    r"think in|only|to)\W+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)
_UNWANTED = re.compile(
    r"\b(?:not|no|never|don't|instead of|rather than|stop|without|hate)\W+(?:\w+\W+){0,1}$",
    re.IGNORECASE,
)
_WANTED_AFTER = re.compile(r"\W*(?:please|pls|instead|only)\b", re.IGNORECASE)


def asked_system(text: str) -> UnitSystem | None:
    """The unit system a complaint about units asks for, or None when it names no unit.

    "Use miles please" asks for imperial; "not kilometres!" and a bare "Fahrenheit
    again?!" ask for the system other than the one named, since a unit named without
    being asked for is the one that annoyed.
    """
    bare: UnitSystem | None = None
    for match in _UNIT_WORD.finditer(text):
        named: UnitSystem = "metric" if _METRIC.fullmatch(match.group(0)) else "imperial"
        other: UnitSystem = "imperial" if named == "metric" else "metric"
        before = text[: match.start()]
        if _UNWANTED.search(before):
            return other
        if _WANT.search(before) or _WANTED_AFTER.match(text, match.end()):
            return named
        bare = bare or other
    return bare


def _pattern(units: Sequence[_Unit]) -> re.Pattern[str]:
    names = "|".join(f"(?P<u{i}>{unit.names})" for i, unit in enumerate(units))
    return re.compile(
        rf"{_STARTS}(?P<a>{_NUMBER})(?:(?P<sep>{_RANGE})(?P<b>{_NUMBER}))?(?:\s*|-)"
        rf"(?:{names})(?![\w/²])",
        re.IGNORECASE,
    )


_UNITS: dict[UnitSystem, tuple[tuple[_Unit, ...], re.Pattern[str]]] = {
    "metric": (_TO_METRIC, _pattern(_TO_METRIC)),
    "imperial": (_TO_IMPERIAL, _pattern(_TO_IMPERIAL)),
}


def _is_money(text: str, match: re.Match[str]) -> bool:
    """Whether "pounds" here are money: a word of buying or earning before the figure in
    its sentence (no further than a streamed reply keeps of what went out), or
    "sterling" after it."""
    before = _SENTENCE_END.split(text[max(0, match.start() - MONEY_REACH) : match.start()])[-1]
    return bool(_MONEY.search(before) or _STERLING.match(text, match.end()))


def _figure(value: float, whole: bool) -> str:
    if whole or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.2g}"


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def convert(
    text: str, system: UnitSystem, *, before: str = "", fenced: bool = False
) -> tuple[str, int]:
    """`text` with each quantity outside `system` followed by its conversion, and how
    many were converted.

    `before` is what came just before `text` in the reply (for "42 km (26 miles)");
    `fenced` says whether `text` starts inside a ``` fence.
    """
    units, pattern = _UNITS[system]
    full, offset = before + text, len(before)
    out, kept, added = [], 0, 0
    for match in pattern.finditer(full, offset):
        in_code = (fenced + full.count(FENCE, offset, match.start())) % 2 == 1
        if in_code or _GIVEN_AFTER.match(full, match.end()):
            continue
        if _GIVEN_BEFORE.search(full, 0, match.start()):
            continue
        unit = next(u for i, u in enumerate(units) if match.group(f"u{i}") is not None)
        if unit.money and _is_money(full, match):
            continue
        figures = [
            _figure(unit.convert(_number(match.group(g))), unit.whole)
            for g in ("a", "b")
            if match.group(g) is not None
        ]
        sep = (match.group("sep") or "").strip()
        joined = ("-" if sep in ("-", "\u2013") else f" {sep} ").join(figures)
        space = "" if unit.into.startswith("°") else " "
        out.append(full[offset + kept : match.end()] + f" ({joined}{space}{unit.into})")
        kept, added = match.end() - offset, added + 1
    out.append(full[offset + kept :])
    return "".join(out), added


class UnitsInReply:
    """Feed the reply as it is shown; returns it with conversions added.

    A figure at the end of what came so far is held back until the words after it say
    whether it is a quantity, and whether the reply converts it itself: at most
    HOLD_WORDS words, and only when the user has a unit preference at all.
    """

    def __init__(self, system: UnitSystem) -> None:
        self._system = system
        self._pending = ""
        self._before = ""  # the end of what went out, for "42 km (26 miles)"
        self._fenced = False
        self.added = 0  # quantities converted so far

    def feed(self, piece: str) -> str:
        self._pending += piece
        return self._out(self._hold())

    def finish(self) -> str:
        """What is still held back, once the reply has ended."""
        return self._out(len(self._pending))

    def _hold(self) -> int:
        """Where the part that may still change starts."""
        pending = self._pending
        figures = list(_LAST_FIGURE.finditer(pending))
        if figures:
            figure = figures[-1]
            rest = pending[figure.start() :]
            if len(rest.split()) <= HOLD_WORDS and not _DECIDED.search(rest):
                start = figure.start()
                if ranged := _RANGE_START.search(pending, 0, start):
                    start = ranged.start()
                return start
        return len(pending.rstrip("`"))  # a run of backticks may still become a fence

    def _out(self, upto: int) -> str:
        text, self._pending = self._pending[:upto], self._pending[upto:]
        if not text:
            return ""
        shown, added = convert(text, self._system, before=self._before, fenced=self._fenced)
        self.added += added
        self._fenced = (self._fenced + text.count(FENCE)) % 2 == 1
        self._before = (self._before + text)[-MONEY_REACH:]
        return shown
