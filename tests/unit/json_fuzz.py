"""hypothesis strategies for JSON a shop might send, and the rule every webhook mapper keeps
whatever it is sent; shared by the ingest and gateway tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import strategies as st

from ingest.mapping import Mapped, MappingError
from schemas.codec import decode_event, encode

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


JsonPath = tuple[str | int, ...]


def paths(value: Any, prefix: JsonPath = ()) -> list[JsonPath]:
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


def holder(document: Any, path: JsonPath) -> Any:
    """The object or array that holds the value at `path` (one of `paths(document)`)."""
    for step in path[:-1]:
        document = document[step]
    return document


def damage(
    draw: st.DrawFn, document: Any, where: list[JsonPath], values: st.SearchStrategy[Any]
) -> None:
    """Remove the value at one of `where`, or replace it with one of `values`, in place."""
    path = draw(st.sampled_from(where))
    parent = holder(document, path)
    if draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(values)


def assert_mapped_or_refused(mapper: Callable[[Any], Mapped], payload: Any) -> None:
    """Events the contract reads back unchanged, or the reason there are none, or a
    MappingError naming a field; and the same event ids when the payload comes again."""
    try:
        result = mapper(payload)
    except MappingError as exc:
        assert exc.field
        return
    assert bool(result.events) != bool(result.ignored)
    for event in result.events:
        assert decode_event(encode(event)) == event
    assert [e.id for e in mapper(payload).events] == [e.id for e in result.events]
