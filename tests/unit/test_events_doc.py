"""docs/events.md lists every field of every event type, as the schemas say."""

from __future__ import annotations

import pytest

from schemas.docs import BEGIN, DOC, END, fields_section, rendered
from schemas.events import EVENT_MODELS


def test_the_committed_field_tables_are_generated_from_the_schemas() -> None:
    # Given the schemas, when the doc's tables are generated, then the committed doc is the same.
    text = DOC.read_text()
    assert text == rendered(text), "docs/events.md is stale: run python -m schemas.docs"


def test_every_type_and_nested_field_is_listed() -> None:
    section = fields_section()

    for type_name in EVENT_MODELS:
        assert f"### `{type_name}`" in section
    assert "| `items[].unit_price` | string (`^-?[0-9]+(\\.[0-9]+)?$`) | yes |" in section
    assert "| `subscription.keys.p256dh` |" in section
    assert "| `quiet_hours.start` |" in section
    assert "| `time` | date-time (ISO 8601) |  |" in section  # optional


def test_a_doc_without_the_markers_is_refused_not_overwritten() -> None:
    with pytest.raises(ValueError, match="lacks the markers"):
        rendered("# Events\n")
    assert BEGIN in DOC.read_text() and END in DOC.read_text()
