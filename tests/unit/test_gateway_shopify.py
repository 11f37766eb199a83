"""Shopify webhooks through the gateway: signed, mapped, published once, or refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingesting import NEW_SECRET, OLD_SECRET, SHOP, TOPICS, Client, FakeKafka, fixture, shopify
from json_fuzz import json_values

from ingest.accept import Intake
from ingest.shopify import MAPPERS
from ingest.signatures import sign
from schemas.codec import decode_event
from schemas.deadletter import DeadLetter


async def test_a_signed_shopify_order_is_on_kafka_before_the_200(
    client: Client, kafka: FakeKafka
) -> None:
    answer = await shopify(client, fixture("shopify/orders_create.json"))
    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"
    [record] = kafka.on(TOPICS.events)
    event = decode_event(record.value)
    assert event.type == "order.placed"
    assert record.key == f"{SHOP}/customers/115310627314723954".encode()  # whose order it is
    assert event.data.order_number == "#9999"  # type: ignore[attr-defined]
    assert answer.json()["events"] == [{"id": event.id, "type": "order.placed"}]


async def test_a_redelivered_webhook_publishes_nothing_more(
    client: Client, kafka: FakeKafka
) -> None:
    body = fixture("shopify/orders_create.json")
    assert (await shopify(client, body)).json()["status"] == "accepted"
    again = await shopify(client, body)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert len(kafka.on(TOPICS.events)) == 1


async def test_the_previous_secret_still_verifies_during_rotation(
    client: Client, kafka: FakeKafka
) -> None:
    answer = await shopify(client, fixture("shopify/orders_create.json"), secret=OLD_SECRET)
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "someone-elses-secret"},
        {"shop": "other-shop.myshopify.com"},
        {"X-Shopify-Hmac-Sha256": ""},
        {"X-Shopify-Hmac-Sha256": "not base64!"},
    ],
)
async def test_a_wrong_or_missing_signature_is_401_and_nothing_is_published(
    client: Client, kafka: FakeKafka, change: dict[str, str]
) -> None:
    answer = await shopify(client, fixture("shopify/orders_create.json"), **change)
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"]
    assert kafka.records == []


async def test_a_tampered_body_fails_the_signature(client: Client, kafka: FakeKafka) -> None:
    body = fixture("shopify/orders_create.json")
    answer = await client.post(
        "/webhooks/shopify",
        content=body.replace(b"404.95", b"0.01"),
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign(body, NEW_SECRET),
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": "w",
        },
    )
    assert answer.status_code == 401
    assert kafka.records == []


async def test_malformed_json_is_400(client: Client, kafka: FakeKafka) -> None:
    answer = await shopify(client, b'{"id": 1,')
    assert answer.status_code == 400
    assert "malformed JSON" in answer.json()["error"]
    assert kafka.records == []


async def test_an_unmappable_payload_is_422_naming_the_field_and_kept_as_a_dead_letter(
    client: Client, kafka: FakeKafka
) -> None:
    order = json.loads(fixture("shopify/orders_create.json"))
    del order["currency"]
    body = json.dumps(order).encode()
    answer = await shopify(client, body)
    assert answer.status_code == 422
    assert answer.json()["field"] == "currency"
    assert kafka.on(TOPICS.events) == []
    [record] = kafka.on(TOPICS.deadletter)
    dead = DeadLetter.model_validate_json(record.value)
    assert dead.stage == "ingest"
    assert "currency" in dead.reason
    assert dead.original() == body


async def test_an_unknown_topic_is_200_and_recorded_as_ignored(
    client: Client, kafka: FakeKafka, intake: Intake
) -> None:
    answer = await shopify(client, b'{"id": 1}', topic="products/create")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored"
    assert kafka.records == []
    assert intake.counts["ignored"] == 1


JSON = json_values()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    topic=st.sampled_from([*MAPPERS, "products/create"]),
    payload=JSON,
    signed=st.booleans(),
)
async def test_no_webhook_makes_the_gateway_fail_or_publish_an_invalid_event(
    client: Client, kafka: FakeKafka, topic: str, payload: Any, signed: bool
) -> None:
    body = json.dumps(payload).encode()
    before = len(kafka.records)
    answer = await shopify(
        client, body, topic=topic, secret=NEW_SECRET if signed else "x", webhook_id=str(before)
    )
    assert answer.status_code in {200, 400, 401, 422}
    if not signed:
        assert answer.status_code == 401
    for record in kafka.records[before:]:
        if record.topic == TOPICS.events:
            decode_event(record.value)  # every published event passes its schema
        else:
            assert record.topic == TOPICS.deadletter and answer.status_code == 422


def shopify_time(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("age", [timedelta(hours=-73), timedelta(hours=73)])
async def test_a_webhook_triggered_outside_the_dedupe_window_is_401_as_a_replay(
    client: Client, kafka: FakeKafka, age: timedelta
) -> None:
    stale = shopify_time(datetime.now(UTC) - age)
    body = fixture("shopify/checkouts_create.json")
    answer = await shopify(client, body, **{"X-Shopify-Triggered-At": stale})
    assert answer.status_code == 401
    assert "outside the 72 h window" in answer.json()["error"]
    assert "AFTERCART_DEDUPE_WINDOW_H" in answer.json()["error"]
    assert kafka.records == []


async def test_an_unreadable_triggered_at_is_400(client: Client, kafka: FakeKafka) -> None:
    body = fixture("shopify/orders_create.json")
    answer = await shopify(client, body, **{"X-Shopify-Triggered-At": "yesterday"})
    assert answer.status_code == 400
    assert "X-Shopify-Triggered-At is no ISO 8601 time" in answer.json()["error"]
    assert kafka.records == []


async def test_a_webhook_within_the_window_is_accepted(client: Client, kafka: FakeKafka) -> None:
    recent = shopify_time(datetime.now(UTC) - timedelta(minutes=50))
    answer = await shopify(
        client, fixture("shopify/orders_create.json"), **{"X-Shopify-Triggered-At": recent}
    )
    assert answer.json()["status"] == "accepted"


async def test_a_signed_body_sent_again_under_another_webhook_id_is_a_duplicate(
    client: Client, kafka: FakeKafka
) -> None:
    # A checkout without updated_at: nothing in the body but the body itself tells deliveries
    # apart, so the unsigned X-Shopify-Webhook-Id must not.
    checkout = json.loads(fixture("shopify/checkouts_create.json"))
    checkout.pop("updated_at", None)
    body = json.dumps(checkout).encode()
    first = await shopify(client, body, topic="checkouts/create", webhook_id="w-1")
    assert first.json()["status"] == "accepted"
    again = await shopify(client, body, topic="checkouts/create", webhook_id="w-1")
    replayed = await shopify(client, body, topic="checkouts/create", webhook_id="w-forged")
    assert again.json()["status"] == "duplicate"
    assert replayed.json()["status"] == "duplicate"
    assert len(kafka.on(TOPICS.events)) == 1
