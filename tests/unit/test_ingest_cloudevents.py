"""CloudEvents over HTTP from custom shops: structured, batched and binary content modes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_fuzz import json_values

from ingest.cloudevents import BATCH, STRUCTURED, NotJson, UnsupportedMedia, parse_events
from schemas.codec import InvalidMessage, decode_event, encode
from schemas.events import CloudEvent

SHOP = "https://shop.example"
RECEIVED = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
PAID = {"order_id": "shop.example/orders/1001", "currency": "EUR", "amount": "49.90"}


def envelope(type_name: str = "order.paid", data: Any = None, **attributes: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "evt-1",
        "source": SHOP,
        "type": type_name,
        "time": "2026-03-01T12:00:00Z",
        "data": PAID if data is None else data,
        **attributes,
    }


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def structured(value: Any) -> list[CloudEvent]:
    return parse_events(STRUCTURED, {}, body(value), RECEIVED)


def reason(content_type: str, value: Any, headers: dict[str, str] | None = None) -> str:
    with pytest.raises(InvalidMessage) as caught:
        parse_events(content_type, headers or {}, body(value), RECEIVED)
    return caught.value.reason


def test_a_structured_event_is_validated_and_keyed() -> None:
    (event,) = structured(envelope())

    assert event.type == "order.paid"
    assert event.id == "evt-1"
    assert event.source == SHOP
    assert event.time == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert event.data.amount == "49.90"  # type: ignore[attr-defined]
    assert event.partitionkey == "shop.example/orders/1001"  # the order: no customer named


def test_an_order_event_naming_its_customer_travels_under_the_customer() -> None:
    (event,) = structured(envelope(data=PAID | {"customer_id": "shop.example/customers/7"}))

    assert event.partitionkey == "shop.example/customers/7"


def test_a_customer_event_travels_under_the_customer() -> None:
    customer = {"customer_id": "shop.example/customers/7", "email": "aino@example.fi"}

    (event,) = structured(envelope("customer.upserted", customer))

    assert event.partitionkey == "shop.example/customers/7"


def test_a_partitionkey_the_sender_got_wrong_is_refused() -> None:
    wrong = envelope(partitionkey="shop.example/orders/9")

    assert reason(STRUCTURED, wrong) == "partitionkey: must equal data.order_id (or be left out)"


def test_a_batch_is_every_event_in_order() -> None:
    second = envelope("order.cancelled", {"order_id": "shop.example/orders/1002"}, id="evt-2")

    events = parse_events(BATCH, {}, body([envelope(), second]), RECEIVED)

    assert [(e.id, e.type) for e in events] == [
        ("evt-1", "order.paid"),
        ("evt-2", "order.cancelled"),
    ]


def test_a_bad_event_in_a_batch_is_named_by_its_position() -> None:
    bad = envelope(data=PAID | {"currency": "euro"}, id="evt-2")

    assert reason(BATCH, [envelope(), bad]).startswith("[1].data.currency: ")


@pytest.mark.parametrize("batch", [[], {"events": []}])
def test_a_batch_must_be_a_non_empty_array(batch: Any) -> None:
    assert reason(BATCH, batch) == "(body): a batch is a non-empty JSON array of events"


def test_a_binary_event_takes_its_attributes_from_the_headers() -> None:
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "evt-9",
        "ce-source": SHOP,
        "ce-type": "order.paid",
        "ce-time": "2026-03-01T12:00:00Z",
        "ce-subject": "order 1001",
    }

    (event,) = parse_events("application/json; charset=utf-8", headers, body(PAID), RECEIVED)

    assert (event.id, event.type, event.subject) == ("evt-9", "order.paid", "order 1001")
    assert event.datacontenttype == "application/json"
    assert event.partitionkey == "shop.example/orders/1001"
    assert event.data.currency == "EUR"  # type: ignore[attr-defined]


def test_a_binary_event_whose_data_is_not_json_is_an_unsupported_media_type() -> None:
    headers = {"ce-specversion": "1.0", "ce-id": "e", "ce-source": SHOP, "ce-type": "order.paid"}

    with pytest.raises(UnsupportedMedia, match=r"binary mode: .* not text/plain"):
        parse_events("text/plain", headers, body(PAID), RECEIVED)


def test_an_unknown_type_is_refused_naming_the_type() -> None:
    assert reason(STRUCTURED, envelope("order.teleported")).startswith("type: unknown event type")


def test_data_breaking_its_schema_is_refused_naming_the_field() -> None:
    bad = envelope(data=PAID | {"amount": "forty"})

    assert reason(STRUCTURED, bad).startswith("data.amount: ")


def test_a_missing_attribute_is_refused_naming_it() -> None:
    missing = envelope()
    del missing["source"]

    assert reason(STRUCTURED, missing).startswith("source: ")


def test_an_attribute_sent_as_null_counts_as_unset() -> None:
    nulls = envelope(datacontenttype=None, partitionkey=None, subject=None, traceparent=None)

    (event,) = structured(nulls)

    assert event.datacontenttype == "application/json"
    assert event.partitionkey == "shop.example/orders/1001"
    assert decode_event(encode(event)) == event


def test_only_specversion_id_source_and_type_are_required() -> None:
    bare = envelope()
    del bare["time"]

    (event,) = structured(bare)

    assert event.time == RECEIVED  # the gateway's clock when it received the event
    assert event.timeassigned is True
    assert event.partitionkey == "shop.example/orders/1001"
    assert json.loads(encode(event))["timeassigned"] is True  # and the record says so


def test_a_time_the_sender_gave_is_kept_unmarked() -> None:
    (event,) = structured(envelope(timeassigned=True))  # a sender cannot claim the mark

    assert event.time == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert event.timeassigned is None


def test_every_fault_of_every_event_is_listed_with_its_path() -> None:
    broken = envelope(
        "order.placed",
        {"order_id": "o-1", "items": [{"sku": "a", "name": "A", "quantity": 0}]},
    )
    del broken["source"]

    with pytest.raises(InvalidMessage) as caught:
        parse_events(BATCH, {}, body([envelope(), broken, "nope"]), RECEIVED)

    assert caught.value.errors == [
        ("[1].source", "Field required"),
        ("[1].data.customer_id", "Field required"),
        ("[1].data.order_number", "Field required"),
        ("[1].data.currency", "Field required"),
        ("[1].data.total", "Field required"),
        ("[1].data.items[0].quantity", "Input should be greater than or equal to 1"),
        ("[1].data.items[0].unit_price", "Field required"),
        ("[2]", "a CloudEvent is a JSON object"),
    ]


def test_an_unknown_type_is_listed_with_the_envelopes_other_faults() -> None:
    bad = envelope("order.teleported", id="")

    with pytest.raises(InvalidMessage) as caught:
        structured(bad)

    assert [field for field, _ in caught.value.errors] == ["type", "id"]


def test_binary_mode_takes_extension_attributes_percent_decoded() -> None:
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "evt-9",
        "ce-source": SHOP,
        "ce-type": "order.paid",
        "ce-subject": "order%20%231001",
        "ce-traceparent": "00-abc-def-01",
    }

    (event,) = parse_events("", headers, body(PAID), RECEIVED)

    assert event.subject == "order #1001"
    assert event.model_extra == {"traceparent": "00-abc-def-01"}
    assert event.time == RECEIVED


def test_a_body_that_is_not_json_is_not_json() -> None:
    with pytest.raises(NotJson):
        parse_events(STRUCTURED, {}, b"{'id': 1}", RECEIVED)


def test_json_nested_beyond_reason_is_not_json_rather_than_a_crash() -> None:
    with pytest.raises(NotJson):
        parse_events(STRUCTURED, {}, b"[" * 100_000, RECEIVED)


@pytest.mark.parametrize(
    "content_type", ["application/json", "", "text/plain", "application/cloudevents+xml"]
)
def test_a_request_in_no_content_mode_is_refused_with_what_to_send(content_type: str) -> None:
    with pytest.raises(UnsupportedMedia) as caught:
        parse_events(content_type, {}, body(envelope()), RECEIVED)

    assert "is no CloudEvents content mode: send one event as application/cloudevents+json" in str(
        caught.value
    )


# Any request: events that survive the trip through Kafka, NotJson, or InvalidMessage


JSON = json_values(
    ["1.0", SHOP, "order.paid", "customer.upserted", "2026-03-01T12:00:00Z"],
    [*envelope(), "partitionkey", "subject", *PAID, "customer_id"],
    max_dict=8,
)
CONTENT_TYPES = st.sampled_from(
    [STRUCTURED, BATCH, f"{BATCH}; charset=utf-8", "application/json", "", "text/plain"]
) | st.text(max_size=20)
HEADER_VALUES = st.sampled_from(
    ["1.0", "evt-1", SHOP, "order.paid", "2026-03-01T12:00Z"]
) | st.text(max_size=12)
HEADERS = st.dictionaries(
    st.sampled_from(
        [f"ce-{a}" for a in ("specversion", "id", "source", "type", "time", "subject")]
    ),
    HEADER_VALUES,
)


@st.composite
def damaged_event(draw: st.DrawFn) -> Any:
    """A valid event with one attribute or data field removed or replaced."""
    event = envelope(data=dict(PAID))
    target = event["data"] if draw(st.booleans()) else event
    key = draw(st.sampled_from(sorted(target)))
    if draw(st.booleans()):
        del target[key]
    else:
        target[key] = draw(JSON)
    return event


BODIES = (
    st.binary(max_size=64)
    | JSON.map(body)
    | damaged_event().map(body)
    | st.lists(damaged_event(), max_size=3).map(body)
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content_type=CONTENT_TYPES, headers=HEADERS, raw=BODIES)
def test_any_request_is_events_or_a_named_refusal(
    content_type: str, headers: dict[str, str], raw: bytes
) -> None:
    try:
        events = parse_events(content_type, headers, raw, RECEIVED)
    except (NotJson, UnsupportedMedia):
        return
    except InvalidMessage as exc:
        field, _, why = exc.reason.partition(": ")  # as the gateway's 422 names the field
        assert field and why, exc.reason
        return
    assert events
    for event in events:
        assert decode_event(encode(event)) == event
