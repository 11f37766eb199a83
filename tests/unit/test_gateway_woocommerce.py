"""WooCommerce webhooks through the gateway: the ping, status transitions, signatures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from ingesting import STORE, TOPICS, WOO_SECRET, Client, FakeKafka, connect, fixture
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.gateway import create_gateway
from ingest.signatures import sign
from runtime.settings import Settings
from schemas.codec import decode_event

# The fixtures' orders last changed on 2017-03-22: the gateway's clock is a day later.
FIXTURES_DAY = datetime(2017, 3, 23, 12, tzinfo=UTC)


@pytest.fixture
async def client(intake: Intake) -> AsyncIterator[Client]:
    settings = Settings(woocommerce_secrets={STORE: [SecretStr(WOO_SECRET)]})
    async with connect(create_gateway(settings, intake, clock=lambda: FIXTURES_DAY)) as client:
        yield client


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


@pytest.mark.parametrize("modified", ["2017-03-19T11:59:00", "2017-03-26T12:01:00"])
async def test_an_order_last_changed_outside_the_dedupe_window_is_401_as_a_replay(
    client: Client, kafka: FakeKafka, modified: str
) -> None:
    # Given an order webhook, signed, whose order last changed more than 72 h from now
    order = json.loads(fixture("woocommerce/order_updated.json"))
    order["date_modified_gmt"] = modified
    answer = await woo(client, json.dumps(order).encode(), "order.updated")
    # Then it is refused as the replay of an old delivery, and nothing is published
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert f"date_modified_gmt {modified} is outside the 72 h window" in error
    assert kafka.records == []


async def test_an_order_changed_within_the_window_or_not_saying_when_is_taken(
    client: Client, kafka: FakeKafka
) -> None:
    order = json.loads(fixture("woocommerce/order_created.json"))
    order["date_modified_gmt"] = "2017-03-20T12:01:00"  # 72 h less a minute before the clock
    assert (await woo(client, json.dumps(order).encode(), "order.created")).status_code == 200
    del order["date_modified_gmt"]
    order["id"] = 728
    assert (await woo(client, json.dumps(order).encode(), "order.created")).status_code == 200
    assert len(kafka.on(TOPICS.events)) == 4  # placed and paid, of each order
