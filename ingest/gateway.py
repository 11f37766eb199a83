"""The HTTP gateway: shop webhooks and CloudEvents in, validated order events on Kafka out.

Every route gets the raw body (signatures are over the exact bytes), checks who sent it, maps
it, and answers 2xx only once Kafka has acknowledged (ingest/accept.py). Providers' delivery
receipts come in the same way (ingest/receipts.py) and go to the receipts topic.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from ingest import pages, receipts, shopify, woocommerce
from ingest.accept import Intake
from ingest.cloudevents import NotJson, parse_events
from ingest.mapping import Mapped, MappingError, build
from ingest.signatures import verify
from ingest.sink import KafkaUnavailable, Record
from ingest.web import Answer, App, Handler, Lifespan, Problem, Request
from runtime import unsubscribe
from runtime.settings import Settings
from schemas.codec import InvalidMessage, encode

Clock = Callable[[], datetime]
WOO_PING = re.compile(rb"webhook_id=\d+")
RETRY_AFTER = ((b"retry-after", b"5"),)
TWILIO_PATH = "/receipts/twilio"


def create_gateway(
    settings: Settings,
    intake: Intake,
    clock: Clock = lambda: datetime.now(UTC),
    lifespan: Lifespan | None = None,
) -> App:
    """The gateway's routes around an intake (Kafka connection and de-duplication)."""
    shopify_secrets = _secrets(settings.shopify_secrets, str.lower)
    woo_secrets = _secrets(settings.woocommerce_secrets, woocommerce.store_key)
    tokens = [t.get_secret_value().encode() for t in settings.events_tokens]
    sendgrid_key = settings.sendgrid_webhook_public_key
    sendgrid_public = receipts.load_public_key(sendgrid_key) if sendgrid_key else None
    twilio_token = settings.twilio_credentials[1].get_secret_value()
    public_url = settings.public_url.rstrip("/")

    def problem(exc: Problem) -> Answer:
        intake.counts[str(exc.status)] += 1
        body: dict[str, Any] = {"error": exc.error}
        if exc.field:
            body["field"] = exc.field
        return Answer(exc.status, body, RETRY_AFTER if exc.status == 503 else ())

    async def healthz(request: Request) -> Answer:
        counts = dict(intake.counts)
        return Answer(200, {"status": "ok", "counts": counts, "remembered": len(intake.seen)})

    async def readyz(request: Request) -> Answer:
        if intake.sink is None:
            return Answer(503, {"ready": False, "reason": "starting"})
        if not await intake.sink.reachable():
            return Answer(503, {"ready": False, "reason": "Kafka unreachable"})
        return Answer(200, {"ready": True})

    async def shopify_webhook(request: Request) -> Answer:
        shop = request.header("x-shopify-shop-domain").lower()
        signature = request.headers.get("x-shopify-hmac-sha256")
        if not verify(request.body, signature, shopify_secrets.get(shop, ())):
            raise Problem(401, "signature missing or wrong for this shop (X-Shopify-Hmac-Sha256)")
        topic = request.header("x-shopify-topic")
        webhook_id = request.header("x-shopify-webhook-id")
        if not topic or not webhook_id:
            raise Problem(400, "X-Shopify-Topic and X-Shopify-Webhook-Id are required")
        at = shopify.parse_time(request.header("x-shopify-triggered-at")) or clock()

        def mapper(payload: Any) -> Mapped:
            return shopify.map_webhook(shopify.Webhook(shop, topic, payload, webhook_id, at))

        return await _accept(intake, request.body, mapper, origin=f"shopify {topic}", sender=shop)

    async def woocommerce_webhook(request: Request) -> Answer:
        signature = request.headers.get("x-wc-webhook-signature")
        if signature is None and WOO_PING.fullmatch(request.body.strip()):
            intake.counts["ping"] += 1
            return Answer(200, {"status": "ok"})  # WooCommerce's unsigned ping on creation
        store = request.header("x-wc-webhook-source")
        if not verify(request.body, signature, woo_secrets.get(woocommerce.store_key(store), ())):
            raise Problem(401, "signature missing or wrong for this store (X-WC-Webhook-Signature)")
        topic = request.header("x-wc-webhook-topic")
        delivery = request.header("x-wc-webhook-delivery-id")

        def mapper(payload: Any) -> Mapped:
            hook = woocommerce.Webhook(store, topic, payload, delivery, clock())
            return woocommerce.map_webhook(hook)

        origin = f"woocommerce {topic or '(no topic)'}"
        return await _accept(intake, request.body, mapper, origin=origin, sender=store)

    async def events(request: Request) -> Answer:
        scheme, _, token = request.header("authorization").partition(" ")
        presented = token.strip().encode()
        matched = False
        for known in tokens:
            matched |= hmac.compare_digest(known, presented)
        if scheme.lower() != "bearer" or not matched:
            raise Problem(401, "a valid bearer token is required (Authorization: Bearer ...)")
        try:
            parsed = parse_events(request.header("content-type"), request.headers, request.body)
        except NotJson as exc:
            raise Problem(400, f"malformed JSON: {exc}") from None
        except InvalidMessage as exc:
            await _keep(
                intake, reason=exc.reason, origin="cloudevents", key="events", body=request.body
            )
            field, _, why = exc.reason.partition(": ")
            raise Problem(422, why or exc.reason, field or None) from None
        return Answer(200, await _publish(intake, parsed))

    async def sendgrid_receipts(request: Request) -> Answer:
        signature = request.headers.get("x-twilio-email-event-webhook-signature")
        timestamp = request.headers.get("x-twilio-email-event-webhook-timestamp")
        if sendgrid_public is None:
            raise Problem(401, "no SendGrid verification key is configured")
        if not receipts.sendgrid_signed(request.body, signature, timestamp, sendgrid_public):
            raise Problem(401, "signature missing or wrong (X-Twilio-Email-Event-Webhook-*)")
        if not receipts.sendgrid_fresh(timestamp, clock(), settings.receipts_max_age_s):
            raise Problem(401, "stale or unreadable X-Twilio-Email-Event-Webhook-Timestamp")
        try:
            payload = orjson.loads(request.body)
            mapped = receipts.sendgrid_receipts(payload)
        except orjson.JSONDecodeError as exc:
            raise Problem(400, f"malformed JSON: {exc}") from None
        except ValueError as exc:
            raise Problem(400, str(exc)) from None
        return Answer(200, await _publish_receipts(intake, mapped))

    async def twilio_receipts(request: Request) -> Answer:
        query = request.query
        url = f"{public_url}{request.path}{'?' if query else ''}{query}"
        params = receipts.parse_form(request.body)
        signature = request.headers.get("x-twilio-signature")
        if not receipts.twilio_signed(url, params, signature, twilio_token):
            raise Problem(401, f"signature missing or wrong for {url} (X-Twilio-Signature)")
        try:
            ids = dict(receipts.parse_form(query))
            mapped = receipts.twilio_receipt(dict(params), ids, clock())
        except ValueError as exc:
            raise Problem(400, str(exc)) from None
        return Answer(200, await _publish_receipts(intake, mapped))

    unsubscribe_secret = (
        settings.unsubscribe_secret.get_secret_value().encode()
        if settings.unsubscribe_secret
        else None
    )

    def unsubscriber(request: Request) -> str:
        if unsubscribe_secret is None:
            raise Problem(404, "one-click unsubscribe is not configured")
        token = dict(receipts.parse_form(request.query)).get("t", "")
        try:
            return unsubscribe.customer_of(unsubscribe_secret, token)
        except ValueError as exc:
            raise Problem(400, str(exc)) from None

    async def unsubscribe_page(request: Request) -> Answer:
        """A person clicked the footer link: confirm with a button (a link checker that only
        fetches the page must not unsubscribe anyone)."""
        unsubscriber(request)
        return Answer(200, {}, html=pages.confirm(settings.shop_name, request.query))

    async def unsubscribe_now(request: Request) -> Answer:
        """The button, or the mail client's one-click POST (RFC 8058)."""
        customer = unsubscriber(request)
        data = {"customer_id": customer, "marketing": {"email": False}}
        event = build(
            "preferences.updated",
            data,
            source=public_url,
            key=f"unsubscribe/{customer}/{clock():%Y-%m-%d}",
            time=clock(),
        )
        await _publish(intake, [event])
        return Answer(200, {}, html=pages.done(settings.shop_name))

    routes: dict[tuple[str, str], Handler] = {
        ("GET", unsubscribe.PATH): unsubscribe_page,
        ("POST", unsubscribe.PATH): unsubscribe_now,
        ("GET", "/healthz"): healthz,
        ("GET", "/readyz"): readyz,
        ("POST", "/webhooks/shopify"): shopify_webhook,
        ("POST", "/webhooks/woocommerce"): woocommerce_webhook,
        ("POST", "/events"): events,
        ("POST", "/receipts/sendgrid"): sendgrid_receipts,
        ("POST", TWILIO_PATH): twilio_receipts,
    }
    return App(
        routes, max_body=settings.gateway_max_body_bytes, on_problem=problem, lifespan=lifespan
    )


async def _publish_receipts(intake: Intake, mapped: receipts.Receipts) -> dict[str, object]:
    """contact.failed first (de-duplicated like every event), then the receipts."""
    answer: dict[str, object] = {"status": "accepted" if mapped.receipts else "ignored"}
    if mapped.contact_failed:
        published = await _publish(intake, list(mapped.contact_failed))
        answer["events"] = published["events"]
    if mapped.receipts:
        if intake.sink is None:
            raise Problem(503, "starting: not yet connected to Kafka")
        topic = intake.topics.receipts
        records = [Record(topic, r.key.encode(), encode(r)) for r in mapped.receipts]
        try:
            await intake.sink.send(records)
        except KafkaUnavailable as exc:
            raise Problem(503, f"not accepted, retry later: {exc}") from None
        intake.counts["receipts"] += len(records)
    if mapped.ignored:
        intake.counts["ignored"] += len(mapped.ignored)
        answer["ignored"] = mapped.ignored
    answer["receipts"] = [r.receipt_id for r in mapped.receipts]
    return answer


async def _accept(
    intake: Intake, body: bytes, mapper: Callable[[Any], Mapped], *, origin: str, sender: str
) -> Answer:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:  # also for nesting too deep
        raise Problem(400, f"malformed JSON: {exc}") from None
    try:
        mapped = mapper(payload)
    except MappingError as exc:
        await _keep(intake, reason=str(exc), origin=origin, key=sender, body=body)
        raise Problem(422, exc.reason, exc.field) from None
    if mapped.ignored is not None:
        return Answer(200, intake.ignore(origin, sender, mapped.ignored))
    return Answer(200, await _publish(intake, mapped.events))


async def _publish(intake: Intake, events: list[Any]) -> dict[str, object]:
    try:
        return await intake.publish(events)
    except KafkaUnavailable as exc:
        raise Problem(503, f"not accepted, retry later: {exc}") from None


async def _keep(intake: Intake, *, reason: str, origin: str, key: str, body: bytes) -> None:
    try:
        await intake.keep(reason=reason, origin=origin, key=key, body=body)
    except KafkaUnavailable as exc:
        raise Problem(503, f"not accepted, retry later: {exc}") from None


def _secrets(configured: dict[str, Any], normalize: Callable[[str], str]) -> dict[str, list[str]]:
    return {normalize(k): [s.get_secret_value() for s in v] for k, v in configured.items()}
