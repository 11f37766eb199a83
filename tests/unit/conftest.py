"""Fixtures of the gateway's tests (test_gateway_*, test_unsubscribe): a fake Kafka, the
intake around it, and a client of a gateway that knows a Shopify shop, a WooCommerce store and a
CloudEvents token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ingesting import (
    NEW_SECRET,
    OLD_SECRET,
    SHOP,
    TOKEN,
    TOPICS,
    WOO_SECRET,
    Client,
    FakeKafka,
    connect,
)
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.dedupe import SeenEvents
from ingest.gateway import create_gateway
from runtime.settings import Settings


@pytest.fixture
def kafka() -> FakeKafka:
    return FakeKafka()


@pytest.fixture
def intake(kafka: FakeKafka) -> Intake:
    return Intake(TOPICS, SeenEvents(3600), sink=kafka)


@pytest.fixture
async def client(intake: Intake) -> AsyncIterator[Client]:
    settings = Settings(
        shopify_secrets={SHOP: [SecretStr(NEW_SECRET), SecretStr(OLD_SECRET)]},
        woocommerce_secrets={"https://example.com": [SecretStr(WOO_SECRET)]},
        events_tokens=[SecretStr(TOKEN)],
        gateway_max_body_bytes=64 * 1024,
    )
    async with connect(create_gateway(settings, intake)) as client:
        yield client
