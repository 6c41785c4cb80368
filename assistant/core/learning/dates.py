"""Relative times in a memory, resolved against the time the user said them.

"I went to a support group yesterday" is true on the day it is said; stored as-is it
turns false the next morning. Each relative expression a sentence uses ("yesterday",
"last week", "last Friday", "two months ago", "next month") is replaced by the date or
period it meant when the message was written, so a memory keeps its time.
"""

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Chat's short names ("last Fri"); not "sat", "sun" or "wed", which are words too ("I
# last sat there").
_SHORT_DAYS = {
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
}
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "a few": 3,
    "few": 3,
}
_SEASONS = {"spring": 4, "summer": 7, "autumn": 10, "fall": 10, "winter": 1}


def day(d: date) -> str:
    """A date written out the way a memory shows it: "7 May 2023"."""
    return f"{d.day} {d:%B %Y}"


def month(d: date) -> str:
    return f"{d:%B %Y}"


def _shift_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _week_of(d: date) -> str:
    return f"in the week of {day(d - timedelta(days=d.weekday()))}"


def _weekday(today: date, name: str, which: str) -> str:
    name = _SHORT_DAYS.get(name.lower(), name.lower())
    target = _WEEKDAYS.index(name)
    back = (today.weekday() - target) % 7 or 7
    if which == "next":
        when = today + timedelta(days=(target - today.weekday()) % 7 or 7)
    elif which == "this" and target >= today.weekday():
        when = today + timedelta(days=target - today.weekday())
    else:
        when = today - timedelta(days=back)
    return f"on {name.capitalize()}, {day(when)}"


def _weekend(today: date, which: str) -> str:
    monday = today - timedelta(days=today.weekday())
    saturday = monday + timedelta(days={"last": -2, "this": 5, "next": 12}[which])
    return f"on the weekend of {day(saturday)}"


def _ago(today: date, count: str, unit: str) -> str:
    n = int(count) if count.isdigit() else _NUMBERS.get(count.lower(), 1)
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return f"around {day(today - timedelta(days=n))}"
    if unit == "week":
        return f"around {day(today - timedelta(weeks=n))}"
    if unit == "month":
        return f"in {month(_shift_months(today, -n))}"
    return f"in {today.year - n}"


def _season(today: date, which: str, season: str) -> str:
    start = _SEASONS[season.lower()]
    year = today.year
    if which == "last" and today.month <= start + 2:
        year -= 1
    elif which == "next" and today.month >= start:
        year += 1
    return f"in {season.lower()} {year}"


_Resolver = Callable[[re.Match[str], date], str]
_COUNT = r"(\d+|a couple of|a few|few|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
_RULES: list[tuple[re.Pattern[str], _Resolver]] = [
    (
        re.compile(r"\b(?:on |in )?the day before yesterday\b", re.I),
        lambda _, t: f"on {day(t - timedelta(days=2))}",
    ),
    (re.compile(r"\b(?:on )?yesterday\b", re.I), lambda _, t: f"on {day(t - timedelta(days=1))}"),
    (
        re.compile(r"\blast night\b", re.I),
        lambda _, t: f"on the night of {day(t - timedelta(days=1))}",
    ),
    (re.compile(r"\btomorrow\b", re.I), lambda _, t: f"on {day(t + timedelta(days=1))}"),
    (re.compile(r"\b(?:today|tonight|this morning)\b", re.I), lambda _, t: f"on {day(t)}"),
    (
        re.compile(r"\b(?:over |on )?(last|this|next) weekend\b", re.I),
        lambda m, t: _weekend(t, m[1].lower()),
    ),
    (
        re.compile(r"\b(last|this|next) week\b", re.I),
        lambda m, t: _week_of(
            t + timedelta(weeks={"last": -1, "this": 0, "next": 1}[m[1].lower()])
        ),
    ),
    (
        re.compile(r"\b(last|this|next) month\b", re.I),
        lambda m, t: (
            "in " + month(_shift_months(t, {"last": -1, "this": 0, "next": 1}[m[1].lower()]))
        ),
    ),
    (
        re.compile(r"\b(last|this|next) year\b", re.I),
        lambda m, t: f"in {t.year + {'last': -1, 'this': 0, 'next': 1}[m[1].lower()]}",
    ),
    (
        re.compile(rf"\b(?:on )?(last|this|next) ({'|'.join((*_WEEKDAYS, *_SHORT_DAYS))})\b", re.I),
        lambda m, t: _weekday(t, m[2], m[1].lower()),
    ),
    (
        re.compile(r"\b(last|this|next) (spring|summer|autumn|fall|winter)\b", re.I),
        lambda m, t: _season(t, m[1].lower(), m[2]),
    ),
    (
        re.compile(rf"\b{_COUNT} (days?|weeks?|months?|years?) ago\b", re.I),
        lambda m, t: _ago(t, m[1], m[2]),
    ),
]


def resolve_dates(text: str, when: datetime | None) -> str:
    """`text` with each relative time replaced by what it meant at `when`."""
    if when is None:
        return text
    today = when.date()
    for pattern, resolver in _RULES:
        text = pattern.sub(lambda m, r=resolver: r(m, today), text)  # type: ignore[misc]
    return text
