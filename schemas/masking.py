"""Email addresses and phone numbers cut down to what tells them apart, for text that is kept.

The log format (runtime/logs.py) and the dead-letter record (schemas/deadletter.py) both keep
a provider's words, which often quote the recipient; neither keeps a whole address.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
PHONE = re.compile(r"(?<![\w+])\+([1-9]\d{6,14})(?!\d)")


def _masked_phone(match: re.Match[str]) -> str:
    digits = match.group(1)
    # Up to the first five digits (country and area) and the last three stay; never fewer
    # than four are hidden.
    keep = max(1, min(5, len(digits) - 7))
    return f"+{digits[:keep]}****{digits[-3:]}"


def mask(text: str) -> str:
    """The text with each email address cut to its first letter and domain (a***@example.com)
    and each E.164 number to its prefix and last three digits (+35840****567)."""
    if "@" in text:
        text = EMAIL.sub(r"\1***@\2", text)
    if "+" in text:
        text = PHONE.sub(_masked_phone, text)
    return text
