"""The contract: JSON Schema files, models and the edge validation agree."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from aftercart.demo.sample_shop import CUSTOMERS, _order_data
from schemas.codec import InvalidMessage, decode_event, encode, new_event
from schemas.events import EVENT_MODELS
from schemas.generate import SCHEMA_DIR, documents, render

SUB = {"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "k", "auth": "a"}}
EXTRA_SAMPLES: dict[str, dict[str, Any]] = {
    "customer.upserted": {"customer_id": "c1", "email": "a@b.example", "language": "fi"},
    "preferences.updated": {"customer_id": "c1", "transactional": {"sms": True}},
    "webpush.subscribed": {"customer_id": "c1", "subscription": SUB},
    "contact.failed": {
        "customer_id": "c1",
        "channel": "sms",
        "action": "opted_out",
        "address": "+358401234567",
        "reason": "Twilio 21610: the recipient replied STOP",
    },
    "checkout.updated": {
        "customer_id": "c1",
        "checkout_id": "k1",
        "currency": "EUR",
        "total": "10.00",
        "recovery_url": "https://shop.example/checkouts/k1",
    },
}


def sample(type_name: str) -> dict[str, Any]:
    """A valid event of each type, as JSON."""
    data = EXTRA_SAMPLES.get(type_name) or _order_data(CUSTOMERS[0], type_name, 1)
    data = {**data, "customer_id": "c1"}
    return json.loads(encode(new_event(type_name, data, source="test")))


def validator(type_name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMA_DIR / f"{type_name}.v1.json").read_text()))


def test_committed_schemas_are_generated_from_the_models() -> None:
    # Given the models, when the schemas are generated, then the committed files are the same.
    for name, doc in documents().items():
        path = SCHEMA_DIR / name
        assert path.exists(), f"{name} missing: run python -m schemas.generate"
        assert path.read_text() == render(doc), f"{name} is stale: run python -m schemas.generate"


def test_every_schema_is_valid_draft_2020_12() -> None:
    for doc in documents().values():
        Draft202012Validator.check_schema(doc)
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("type_name", sorted(EVENT_MODELS))
def test_a_valid_event_passes_the_schema_and_the_model(type_name: str) -> None:
    event = sample(type_name)
    assert list(validator(type_name).iter_errors(event)) == []
    assert decode_event(json.dumps(event).encode()).type == type_name


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=6),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers()),
)
DATETIME_FIELDS = {"time", "delivered_at"}


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += _paths(v, (*prefix, i))
    return found


@settings(max_examples=300, deadline=None)
@given(
    type_name=st.sampled_from(sorted(EVENT_MODELS)),
    pick=st.integers(min_value=0),
    value=JSON_VALUES,
    delete=st.booleans(),
)
def test_schema_and_model_agree_on_mutated_events(
    type_name: str, pick: int, value: Any, delete: bool
) -> None:
    # Given a valid event with one field deleted or replaced, then schema and model agree.
    event = copy.deepcopy(sample(type_name))
    paths = _paths(event)
    path = paths[pick % len(paths)]
    parent = event
    for step in path[:-1]:
        parent = parent[step]
    if path[-1] in DATETIME_FIELDS and isinstance(value, str):
        value = 7  # the schema leaves date-time format unchecked; the model parses it
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    schema_ok = not list(validator(type_name).iter_errors(event))
    try:
        decode_event(json.dumps(event).encode())
        model_ok = True
    except InvalidMessage as exc:
        # partitionkey == data.order_id (or customer_id) is a cross-field rule JSON Schema
        # cannot state
        model_ok = exc.reason.startswith("partitionkey: must equal data.")
    assert schema_ok == model_ok, f"{type_name} {path} -> {value!r}"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty message"),
        (b"not json", "Invalid JSON"),
        (b'{"specversion": "1.0"}', "type: missing"),
        (b'{"type": "order.teleported"}', "unknown event type"),
    ],
)
def test_bad_input_gets_a_clear_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        decode_event(raw)


def test_a_missing_field_is_named() -> None:
    event = sample("order.paid")
    del event["data"]["currency"]
    with pytest.raises(InvalidMessage, match=r"data\.currency: Field required"):
        decode_event(json.dumps(event).encode())


def test_events_are_keyed_by_customer_or_by_order_when_the_customer_is_unknown() -> None:
    event = sample("order.paid")
    assert event["partitionkey"] == event["data"]["customer_id"] == "c1"
    event["partitionkey"] = "someone-else"
    with pytest.raises(InvalidMessage, match=r"partitionkey: must equal data\.customer_id"):
        decode_event(json.dumps(event).encode())
    del event["data"]["customer_id"]  # a refund that names only its order
    event["partitionkey"] = event["data"]["order_id"]
    assert decode_event(json.dumps(event).encode()).partitionkey == event["data"]["order_id"]
    event["partitionkey"] = "c1"
    with pytest.raises(InvalidMessage, match=r"partitionkey: must equal data\.order_id"):
        decode_event(json.dumps(event).encode())
