"""Redaction for dataset exports: the things a fine-tune must never memorise.

A dataset leaves the app's store (it is meant to be copied to a training machine), so
by default (`redact = true`) it carries placeholders instead of e-mail addresses, card
numbers (13-19 digits passing the Luhn check), phone numbers and API-key-like tokens.
"""

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?\d[\d \-().]{6,}\d(?!\w)")
_KEYS = re.compile(
    r"\b(?:sk-[A-Za-z0-9_-]{16,}|ghp_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{30,})\b"
)
_LONG_TOKEN = re.compile(r"\b[A-Za-z0-9_\-]{32,}\b")


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if 13 <= len(digits) <= 19 and _luhn(digits):
        return "[CARD]"
    if 9 <= len(digits) <= 15:
        return "[PHONE]"
    return text


def _token(match: re.Match[str]) -> str:
    text = match.group(0)
    # Long runs of letters and digits together look like keys; long words do not.
    mixed = any(c.isdigit() for c in text) and any(c.isalpha() for c in text)
    return "[SECRET]" if mixed else text


def redact(text: str) -> str:
    """`text` with e-mail addresses, card and phone numbers and keys replaced."""
    text = _KEYS.sub("[SECRET]", text)
    text = EMAIL.sub("[EMAIL]", text)
    text = _LONG_TOKEN.sub(_token, text)
    return _DIGIT_RUN.sub(_number, text)
