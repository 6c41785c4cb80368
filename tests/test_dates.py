"""Relative times resolved against the time a message was written."""

from datetime import datetime

import pytest

from assistant.core.learning.dates import resolve_dates

SAID = datetime(2023, 5, 8, 13, 56)  # a Monday


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("I went to a support group yesterday", "I went to a support group on 7 May 2023"),
        ("Last week I ran a race", "in the week of 1 May 2023 I ran a race"),
        ("Last Friday, I painted", "on Friday, 5 May 2023, I painted"),
        ("We moved two months ago", "We moved in March 2023"),
        ("Next month I fly to Oslo", "in June 2023 I fly to Oslo"),
        ("I camped last weekend", "I camped on the weekend of 6 May 2023"),
        ("I quit smoking 3 years ago", "I quit smoking in 2020"),
        ("We went to Rome last summer", "We went to Rome in summer 2022"),
        ("I have a dog", "I have a dog"),
        (
            "I went to a poetry reading last Fri.",
            "I went to a poetry reading on Friday, 5 May 2023.",
        ),
        ("I last sat there in May", "I last sat there in May"),  # "sat" is not Saturday
    ],
)
def test_relative_times_become_dates(text: str, resolved: str) -> None:
    assert resolve_dates(text, SAID) == resolved


def test_without_a_time_the_text_is_kept() -> None:
    assert resolve_dates("I went yesterday", None) == "I went yesterday"
