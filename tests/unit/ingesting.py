"""The gateway over HTTP as a shop sees it: a hand-written Kafka stand-in, an in-process
client, and a signed Shopify webhook (shared by the test_gateway_* modules and their conftest)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ingest.signatures import sign
from ingest.sink import KafkaUnavailable, Record
from schemas.topics import Topics

FIXTURES = Path(__file__).parent.parent / "fixtures"
SHOP = "jsmith.myshopify.com"
STORE = "https://example.com/"
TOKEN = "custom-shop-token"
# The shop's secrets, as long as the settings require.
NEW_SECRET = "new-shopify-secret"
OLD_SECRET = "old-shopify-secret"
WOO_SECRET = "woocommerce-secret"


class FakeKafka:
    """Keeps what was sent; can be switched off to play a broker that is down."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.down = False

    async def send(self, records: list[Record]) -> None:
        if self.down:
            raise KafkaUnavailable("Kafka did not acknowledge: KafkaTimeoutError")
        self.records.extend(records)

    async def reachable(self) -> bool:
        return not self.down

    def on(self, topic: str) -> list[Record]:
        return [r for r in self.records if r.topic == topic]


TOPICS = Topics("t")
Client = httpx.AsyncClient


def connect(app: Any) -> Client:
    """An HTTP client that calls the ASGI app in-process."""
    return Client(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def shopify(
    client: Client,
    body: bytes,
    *,
    topic: str = "orders/create",
    secret: str = NEW_SECRET,
    webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    shop: str = SHOP,
    **headers: str,
) -> Any:
    return await client.post(
        "/webhooks/shopify",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            **headers,
        },
    )
