"""What every route answers when it cannot accept: too big, no such route, Kafka down or
not yet reached."""

from __future__ import annotations

import json

from ingesting import NEW_SECRET, SHOP, TOPICS, Client, FakeKafka, connect, fixture, shopify
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.dedupe import SeenEvents
from ingest.gateway import create_gateway
from runtime.settings import Settings


async def test_a_body_over_the_limit_is_413(client: Client, kafka: FakeKafka) -> None:
    body = json.dumps({"note": "x" * 70_000}).encode()
    assert (await shopify(client, body)).status_code == 413
    assert kafka.records == []


async def test_with_kafka_down_the_shop_gets_503_and_its_retry_is_accepted(
    client: Client, kafka: FakeKafka
) -> None:
    body = fixture("shopify/orders_create.json")
    kafka.down = True
    answer = await shopify(client, body)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    assert (await client.get("/readyz")).status_code == 503
    kafka.down = False
    retry = await shopify(client, body)
    assert retry.json()["status"] == "accepted"  # not mistaken for a duplicate
    assert len(kafka.on(TOPICS.events)) == 1
    assert (await client.get("/readyz")).json() == {"ready": True}


async def test_an_unmappable_payload_with_kafka_down_is_503_not_422(
    client: Client, kafka: FakeKafka
) -> None:
    kafka.down = True  # the dead letter cannot be kept, so the shop must send it again
    assert (await shopify(client, b'{"id": 1}')).status_code == 503


async def test_before_kafka_is_reached_the_gateway_is_not_ready(kafka: FakeKafka) -> None:
    intake = Intake(TOPICS, SeenEvents(3600))
    settings = Settings(shopify_secrets={SHOP: [SecretStr(NEW_SECRET)]})
    async with connect(create_gateway(settings, intake)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        assert (await shopify(client, fixture("shopify/orders_create.json"))).status_code == 503


async def test_unknown_paths_and_methods_get_json_errors(client: Client) -> None:
    missing = await client.post("/webhooks/magento", content=b"{}")
    assert missing.status_code == 404
    assert "no such endpoint" in missing.json()["error"]
    wrong = await client.get("/webhooks/shopify")
    assert wrong.status_code == 405
