"""POST /webhooks/woocommerce: signed by the store's webhook secret, mapped by
ingest/woocommerce.py; WooCommerce's unsigned ping on creating a webhook gets a 200.

WooCommerce signs no delivery time, but the order it sends says when it last changed
(`date_modified_gmt`, in the signed body): an order webhook is sent as the order changes, so an
order last changed outside the de-duplication window is a replay of an old delivery (401), as
Shopify's X-Shopify-Triggered-At is checked."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from ingest import woocommerce
from ingest.accept import Intake
from ingest.dedupe import body_key
from ingest.mapping import Mapped, parse_time
from ingest.routes import Clock, fresh
from ingest.signatures import secrets_by_sender, verify
from ingest.web import Answer, Problem, Request
from runtime.settings import Settings

PING = re.compile(rb"webhook_id=\d+")


class WooCommerceWebhooks:
    """WooCommerce's order webhooks (X-WC-Webhook-Topic), from the stores configured."""

    def __init__(self, settings: Settings, intake: Intake, clock: Clock) -> None:
        self.secrets = secrets_by_sender(settings.woocommerce_secrets, woocommerce.store_key)
        self.window = timedelta(hours=settings.dedupe_window_h)
        self.intake = intake
        self.clock = clock

    async def receive(self, request: Request) -> Answer:
        """Answer the ping, check the HMAC under the store's secrets, then map and publish."""
        signature = request.headers.get("x-wc-webhook-signature")
        if signature is None and PING.fullmatch(request.body.strip()):
            self.intake.counts["ping"] += 1
            return Answer(200, {"status": "ok"})
        store = request.header("x-wc-webhook-source")
        secrets = self.secrets.get(woocommerce.store_key(store), ())
        if not verify(request.body, signature, secrets):
            raise Problem(401, "signature missing or wrong for this store (X-WC-Webhook-Signature)")
        topic = request.header("x-wc-webhook-topic")
        # Named by the signed body, not by the unsigned X-WC-Webhook-Delivery-ID.
        delivery = body_key(request.body)

        def mapper(payload: Any) -> Mapped:
            now = self.clock()
            hook = woocommerce.Webhook(store, topic, payload, delivery, now)
            modified = hook.body.optional_text("date_modified_gmt")
            if (at := parse_time(modified)) is not None:
                fresh(at, now, self.window, f"the order's date_modified_gmt {modified}")
            return woocommerce.map_webhook(hook)

        origin = f"woocommerce {topic or '(no topic)'}"
        answer = await self.intake.accept(request.body, mapper, origin=origin, sender=store)
        return Answer(200, answer)
