"""POST /webhooks/shopify: signed by the shop's app secret, mapped by ingest/shopify.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ingest import shopify
from ingest.accept import Intake
from ingest.dedupe import body_key
from ingest.mapping import Mapped
from ingest.routes import Clock, fresh
from ingest.signatures import secrets_by_sender, verify
from ingest.web import Answer, Problem, Request
from runtime.settings import Settings


class ShopifyWebhooks:
    """Shopify's webhooks, one topic each (X-Shopify-Topic), from the shops configured."""

    def __init__(self, settings: Settings, intake: Intake, clock: Clock) -> None:
        self.secrets = secrets_by_sender(settings.shopify_secrets, str.lower)
        # Older than this, a delivery could no longer be recognised as a redelivery.
        self.window = timedelta(hours=settings.dedupe_window_h)
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
        at = self._triggered(request.header("x-shopify-triggered-at"))
        # Ids fall back on the signed body, not on the unsigned X-Shopify-Webhook-Id: a
        # captured body sent again under a new id is still a duplicate.
        delivery = body_key(request.body)

        def mapper(payload: Any) -> Mapped:
            return shopify.map_webhook(shopify.Webhook(shop, topic, payload, delivery, at))

        origin = f"shopify {topic}"
        answer = await self.intake.accept(request.body, mapper, origin=origin, sender=shop)
        return Answer(200, answer)

    def _triggered(self, header: str) -> datetime:
        """When Shopify triggered the webhook (now, when it does not say); 401 for a time
        outside the dedupe window, which only a replay of an old delivery sends."""
        now = self.clock()
        if not header:
            return now
        at = shopify.parse_time(header)
        if at is None:
            raise Problem(400, f"X-Shopify-Triggered-At is no ISO 8601 time: {header!r}")
        fresh(at, now, self.window, f"X-Shopify-Triggered-At {header}")
        return at
