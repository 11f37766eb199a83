"""What every webhook mapper shares: field access that names the field, ids, and the result.

Mappers are pure: a platform's payload in, canonical CloudEvents out (or the reason none are).
A payload that cannot be mapped raises MappingError naming the source field, so the shop's
developer knows what to fix; the gateway answers 422 and keeps the payload as a dead letter.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from schemas.codec import InvalidMessage, new_event
from schemas.events import CloudEvent

# uuid5 namespace of aftercart's event ids: the same source fact always gets the same id.
EVENT_NAMESPACE = uuid.UUID("6f1d3c1e-2b7a-5c43-9a55-0d7c4e0b8a21")
# An amount's leading digit is at most this many places before or after the decimal point.
MAX_DIGITS = 18


class MappingError(ValueError):
    """An authentic payload that cannot become a canonical event; `field` names the culprit."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Mapped:
    """The events a webhook becomes; none, with `ignored` saying why, is a valid outcome."""

    events: list[CloudEvent] = field(default_factory=list)
    ignored: str | None = None


def ignored(reason: str) -> Mapped:
    """A webhook that carries no news for the customer."""
    return Mapped(ignored=reason)


class Fields:
    """Read a JSON object; every failure names the dotted path of the field."""

    def __init__(self, value: Any, path: str = "") -> None:
        if not isinstance(value, dict):
            raise MappingError(path or "(body)", "expected a JSON object")
        self.value = value
        self.path = path

    def where(self, name: str) -> str:
        """The dotted path of a field of this object."""
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        """The field is present and not null."""
        return self.value.get(name) is not None

    def text(self, name: str) -> str:
        """A required, non-empty string (numbers are taken as their text)."""
        value = self.optional_text(name)
        if value is None:
            raise MappingError(self.where(name), "required")
        return value

    def optional_text(self, name: str) -> str | None:
        """A string, None when missing, null or blank."""
        value = self.value.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise MappingError(self.where(name), f"expected a string, got {_kind(value)}")
        return _utf8(str(value).strip(), self.where(name))

    def ident(self, name: str) -> str:
        """A required id: an integer or a non-empty string."""
        value = self.value.get(name)
        if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
            raise MappingError(self.where(name), "required: an id")
        return _utf8(str(value).strip(), self.where(name))

    def amount(self, name: str) -> str:
        """A required decimal amount, from a string or a JSON number: "49.90"."""
        value = self.value.get(name)
        if value is None:
            raise MappingError(self.where(name), "required")
        return to_amount(value, self.where(name))

    def number(self, name: str) -> int:
        """A required whole number."""
        value = self.value.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise MappingError(self.where(name), "required: a whole number")
        return value

    def flag(self, name: str) -> bool | None:
        """A boolean, None when missing."""
        value = self.value.get(name)
        if value is None or isinstance(value, bool):
            return value
        raise MappingError(self.where(name), f"expected true or false, got {_kind(value)}")

    def obj(self, name: str) -> Fields | None:
        """A nested object, None when missing or null."""
        value = self.value.get(name)
        return None if value is None else Fields(value, self.where(name))

    def objects(self, name: str) -> list[Fields]:
        """A list of objects; missing or null is an empty list."""
        value = self.value.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise MappingError(self.where(name), f"expected a list, got {_kind(value)}")
        return [Fields(item, f"{self.where(name)}[{i}]") for i, item in enumerate(value)]


def to_amount(value: Any, where: str) -> str:
    """A money amount as the decimal string the contracts use."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MappingError(where, f"expected an amount, got {_kind(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise MappingError(where, f"not an amount: {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise MappingError(where, f"not an amount: {str(value)[:40]!r}")
    # 1e999999999 is a valid Decimal: written out it fills the memory, and a sum overflows.
    if not -MAX_DIGITS <= number.adjusted() < MAX_DIGITS:
        raise MappingError(where, f"amount out of range: {str(value)[:40]!r}")
    return format(number, "f")


def _utf8(text: str, where: str) -> str:
    # JSON's \ud800 escape decodes to a lone surrogate, which no id or hash can encode.
    try:
        text.encode()
    except UnicodeEncodeError:
        raise MappingError(where, "not valid Unicode text (a lone surrogate)") from None
    return text


def _kind(value: Any) -> str:
    kinds = {
        dict: "an object",
        list: "a list",
        bool: "a boolean",
        str: "a string",
        type(None): "null",
    }
    return kinds.get(type(value), "a number")


def event_id(*parts: str) -> str:
    """A deterministic event id: a redelivered webhook maps to the same id."""
    return str(uuid.uuid5(EVENT_NAMESPACE, "/".join(parts)))


def guest_id(namespace: str, email: str) -> str:
    """A stable customer id for a guest, from the email (not the email itself)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]
    return f"{namespace}/guests/{digest}"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time from a payload or header; None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day(value: str | None) -> str | None:
    """The calendar date of an ISO time, as the contracts' YYYY-MM-DD."""
    parsed = parse_time(value)
    return parsed.date().isoformat() if parsed else None


def build(
    type_name: str, data: dict[str, Any], *, source: str, key: str, time: datetime
) -> CloudEvent:
    """A canonical event; a schema violation names the canonical field that broke."""
    clean = {k: v for k, v in data.items() if v is not None}
    try:
        return new_event(type_name, clean, source=source, event_id=event_id(source, key), time=time)
    except InvalidMessage as exc:
        where, _, why = exc.reason.partition(": ")
        raise MappingError(f"({type_name} {where})", why or exc.reason) from None
