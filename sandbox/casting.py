"""Form bodies and parameter strings cast to their schema types, the way openapi-core does it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from jsonschema_path import SchemaPath

TRUE_VALUES = ("y", "yes", "t", "true", "on", "1")  # openapi_core.util.BOOLEAN_TRUE_VALUES
FALSE_VALUES = ("n", "no", "f", "false", "off", "0")
NO_DEFAULT: Any = object()  # a form property without a default
FormProperty = tuple[str, str, str, Any]  # name, type, items type, default


class CastFailed(ValueError):
    """A string could not be read as its schema type."""

    def __init__(self, field: str, value: Any, type_: str):
        super().__init__(f"{value!r} is not a valid {type_}")
        self.field = field


def read_type(schema: SchemaPath) -> tuple[str, str]:
    """The schema's single type and its items' type ("" when absent or a list of types)."""
    own = (schema / "type").read_value() if "type" in schema else ""
    items_type = ""
    if own == "array" and "items" in schema:
        items = schema / "items"
        items_type = (items / "type").read_value() if "type" in items else ""
    return (own if isinstance(own, str) else "", items_type if isinstance(items_type, str) else "")


def cast_value(field: str, value: Any, type_: str, items_type: str = "") -> Any:
    """Cast a decoded string (or list of strings, for arrays) to the schema type."""
    if type_ == "array" and isinstance(value, list):
        return [cast_value(field, item, items_type) for item in value]
    if not isinstance(value, str):
        return value
    try:
        if type_ == "integer":
            return int(value)
        if type_ == "number":
            return float(value)
    except ValueError:
        raise CastFailed(field, value, type_) from None
    if type_ == "boolean":
        lowered = value.lower()
        if lowered in TRUE_VALUES:
            return True
        if lowered in FALSE_VALUES:
            return False
        raise CastFailed(field, value, type_)
    return value


def decode_form(properties: Sequence[FormProperty], body: bytes) -> dict[str, Any]:
    """A form body as openapi-core decodes it: only the schema's properties, arrays take all values.

    Raises UnicodeDecodeError for a body that is not UTF-8 and CastFailed for a value of the wrong
    type.
    """
    fields = _parse_form(body.decode("utf-8"))
    value: dict[str, Any] = {}
    for name, type_, items_type, default in properties:
        values = fields.get(name)
        if values is None:
            if default is not NO_DEFAULT:
                value[name] = default
            continue
        raw: Any = values if type_ == "array" else values[0]
        value[name] = cast_value(name, raw, type_, items_type)
    return value


def _parse_form(text: str) -> dict[str, list[str]]:
    """The values of each name, as urllib.parse.parse_qsl(text, keep_blank_values=True) reads them.

    The same steps with less generality: split on "&", skip empty fields, split at the first "=",
    "+" to space, then percent-decoding (UTF-8, errors replaced) where there is a "%".
    """
    fields: dict[str, list[str]] = {}
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = percent_decode(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = percent_decode(value)
        if name in fields:
            fields[name].append(value)
        else:
            fields[name] = [value]
    return fields


def percent_decode(text: str) -> str:
    """urllib.parse.unquote(text), without its regex split for all-ASCII text.

    unquote decodes each run of ASCII characters as one; all-ASCII text is a single run.
    """
    if "%" not in text:
        return text
    return unquote_to_bytes(text).decode("utf-8", "replace") if text.isascii() else unquote(text)
