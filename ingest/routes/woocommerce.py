"""POST /webhooks/woocommerce: signed by the store's webhook secret, mapped by
ingest/woocommerce.py; WooCommerce's unsigned ping on creating a webhook gets a 200."""

from __future__ import annotations

import re
from typing import Any

from ingest import woocommerce
from ingest.accept import Intake
from ingest.mapping import Mapped
from ingest.routes import Clock
from ingest.signatures import secrets_by_sender, verify
from ingest.web import Answer, Problem, Request
from runtime.settings import Settings

PING = re.compile(rb"webhook_id=\d+")


class WooCommerceWebhooks:
    """WooCommerce's order webhooks (X-WC-Webhook-Topic), from the stores configured."""

    def __init__(self, settings: Settings, intake: Intake, clock: Clock) -> None:
        self.secrets = secrets_by_sender(settings.woocommerce_secrets, woocommerce.store_key)
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
        delivery = request.header("x-wc-webhook-delivery-id")

        def mapper(payload: Any) -> Mapped:
            hook = woocommerce.Webhook(store, topic, payload, delivery, self.clock())
            return woocommerce.map_webhook(hook)

        origin = f"woocommerce {topic or '(no topic)'}"
        answer = await self.intake.accept(request.body, mapper, origin=origin, sender=store)
        return Answer(200, answer)
