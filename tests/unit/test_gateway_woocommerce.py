"""WooCommerce webhooks through the gateway: the ping, status transitions, signatures."""

from __future__ import annotations

import json
from typing import Any

from ingesting import STORE, TOPICS, WOO_SECRET, Client, FakeKafka, fixture

from ingest.signatures import sign
from schemas.codec import decode_event


async def woo(client: Client, body: bytes, topic: str, secret: str = WOO_SECRET) -> Any:
    return await client.post(
        "/webhooks/woocommerce",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": STORE,
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign(body, secret),
            "X-WC-Webhook-Delivery-ID": "d1",
        },
    )


async def test_woocommerce_ping_on_webhook_creation_is_answered_200(
    client: Client, kafka: FakeKafka
) -> None:
    answer = await client.post(
        "/webhooks/woocommerce",
        content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert kafka.records == []


async def test_woocommerce_status_transition_publishes_only_what_is_new(
    client: Client, kafka: FakeKafka
) -> None:
    created = await woo(client, fixture("woocommerce/order_created.json"), "order.created")
    assert created.status_code == 200
    types = [decode_event(r.value).type for r in kafka.on(TOPICS.events)]
    assert types == ["order.placed", "order.paid"]
    order = json.loads(fixture("woocommerce/order_created.json"))
    order["date_modified_gmt"] = "2017-03-22T19:30:00"  # a note was added, still processing
    await woo(client, json.dumps(order).encode(), "order.updated")
    assert len(kafka.on(TOPICS.events)) == 2
    await woo(client, fixture("woocommerce/order_updated.json"), "order.updated")
    types = [decode_event(r.value).type for r in kafka.on(TOPICS.events)]
    assert types == ["order.placed", "order.paid", "fulfillment.shipped"]


async def test_woocommerce_wrong_signature_is_401(client: Client, kafka: FakeKafka) -> None:
    answer = await woo(client, fixture("woocommerce/order_created.json"), "order.created", "guess")
    assert answer.status_code == 401
    assert kafka.records == []
