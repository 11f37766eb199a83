"""hypothesis strategies for JSON a shop might send, shared by the ingest and gateway tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

LONE_SURROGATE = "\ud800"  # what JSON's "\ud800" escape decodes to


def json_values(
    likely: Iterable[str] = (), keys: Iterable[str] = (), *, max_dict: int = 6
) -> st.SearchStrategy[Any]:
    """Any JSON value, leaning on strings and field names the code under test looks for."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=12)
        | st.sampled_from(["", " ", "0", "-1", "1e999999", *likely])
        | st.just(LONE_SURROGATE)
    )
    key = field_keys(keys)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=max_dict),
        max_leaves=16,
    )


def field_keys(names: Iterable[str] = ()) -> st.SearchStrategy[str]:
    """Object keys: mostly the field names the code looks for, sometimes anything."""
    known = sorted(set(names))
    return (st.sampled_from(known) | st.text(max_size=6)) if known else st.text(max_size=12)


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a JSON document where a value can be changed or removed."""
    if isinstance(value, dict):
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    found = []
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found
