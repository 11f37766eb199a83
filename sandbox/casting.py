"""Form and parameter strings cast to their schema types, the way openapi-core casts them."""

from __future__ import annotations

from typing import Any

from jsonschema_path import SchemaPath

TRUE_VALUES = ("y", "yes", "t", "true", "on", "1")  # openapi_core.util.BOOLEAN_TRUE_VALUES
FALSE_VALUES = ("n", "no", "f", "false", "off", "0")


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
