"""POST /webhooks/shopify: signed by the shop's app secret, mapped by ingest/shopify.py."""

from __future__ import annotations

from typing import Any

from ingest import shopify
from ingest.accept import Intake
from ingest.mapping import Mapped
from ingest.routes import Clock
from ingest.signatures import secrets_by_sender, verify
from ingest.web import Answer, Problem, Request
from runtime.settings import Settings


class ShopifyWebhooks:
    """Shopify's webhooks, one topic each (X-Shopify-Topic), from the shops configured."""

    def __init__(self, settings: Settings, intake: Intake, clock: Clock) -> None:
        self.secrets = secrets_by_sender(settings.shopify_secrets, str.lower)
        self.intake = intake
        self.clock = clock

    async def receive(self, request: Request) -> Answer:
        """Check the HMAC under the shop's secrets, then map and publish the webhook."""
        shop = request.header("x-shopify-shop-domain").lower()
        signature = request.headers.get("x-shopify-hmac-sha256")
        if not verify(request.body, signature, self.secrets.get(shop, ())):
            raise Problem(401, "signature missing or wrong for this shop (X-Shopify-Hmac-Sha256)")
        topic = request.header("x-shopify-topic")
        webhook_id = request.header("x-shopify-webhook-id")
        if not topic or not webhook_id:
            raise Problem(400, "X-Shopify-Topic and X-Shopify-Webhook-Id are required")
        at = shopify.parse_time(request.header("x-shopify-triggered-at")) or self.clock()

        def mapper(payload: Any) -> Mapped:
            return shopify.map_webhook(shopify.Webhook(shop, topic, payload, webhook_id, at))

        origin = f"shopify {topic}"
        answer = await self.intake.accept(request.body, mapper, origin=origin, sender=shop)
        return Answer(200, answer)
