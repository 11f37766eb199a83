"""The HTTP gateway: shop webhooks and CloudEvents in, validated order events on Kafka out.

Every route reads the raw body (signatures are over the exact bytes), checks who sent it, maps
it, and answers 2xx only once Kafka has acknowledged (ingest/accept.py).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from aftercart.settings import Settings
from ingest import shopify, woocommerce
from ingest.accept import Intake, Problem
from ingest.cloudevents import NotJson, parse_events
from ingest.mapping import Mapped, MappingError
from ingest.signatures import verify
from ingest.sink import KafkaUnavailable
from schemas.codec import InvalidMessage

Clock = Callable[[], datetime]
WOO_PING = re.compile(rb"webhook_id=\d+")


def create_gateway(
    settings: Settings,
    intake: Intake,
    clock: Clock = lambda: datetime.now(UTC),
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The gateway's routes around an intake (Kafka connection and de-duplication)."""
    app = FastAPI(
        title="aftercart gateway",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    limit = settings.gateway_max_body_bytes
    shopify_secrets = _secrets(settings.shopify_secrets, str.lower)
    woo_secrets = _secrets(settings.woocommerce_secrets, woocommerce.store_key)
    tokens = [t.get_secret_value().encode() for t in settings.events_tokens]

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> JSONResponse:
        intake.counts[str(exc.status)] += 1
        body: dict[str, Any] = {"error": exc.error}
        if exc.field:
            body["field"] = exc.field
        headers = {"Retry-After": "5"} if exc.status == 503 else None
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(KafkaUnavailable)
    async def unavailable(request: Request, exc: KafkaUnavailable) -> JSONResponse:
        return await problem(request, Problem(503, f"not accepted, retry later: {exc}"))

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "counts": dict(intake.counts), "remembered": len(intake.seen)}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        if not intake.ready:
            return JSONResponse({"ready": False, "reason": "starting"}, status_code=503)
        if not await intake.sink.reachable():  # type: ignore[union-attr]
            return JSONResponse({"ready": False, "reason": "Kafka unreachable"}, status_code=503)
        return JSONResponse({"ready": True})

    @app.post("/webhooks/shopify")
    async def shopify_webhook(request: Request) -> dict[str, object]:
        body = await _read(request, limit)
        shop = request.headers.get("x-shopify-shop-domain", "").strip().lower()
        signature = request.headers.get("x-shopify-hmac-sha256")
        if not verify(body, signature, shopify_secrets.get(shop, ())):
            raise Problem(401, "signature missing or wrong for this shop (X-Shopify-Hmac-Sha256)")
        topic = request.headers.get("x-shopify-topic", "").strip()
        webhook_id = request.headers.get("x-shopify-webhook-id", "").strip()
        if not topic or not webhook_id:
            raise Problem(400, "X-Shopify-Topic and X-Shopify-Webhook-Id are required")
        at = shopify.parse_time(request.headers.get("x-shopify-triggered-at")) or clock()

        def mapper(payload: Any) -> Mapped:
            return shopify.map_webhook(shopify.Webhook(shop, topic, payload, webhook_id, at))

        return await _accept(intake, body, mapper, origin=f"shopify {topic}", sender=shop)

    @app.post("/webhooks/woocommerce")
    async def woocommerce_webhook(request: Request) -> dict[str, object]:
        body = await _read(request, limit)
        signature = request.headers.get("x-wc-webhook-signature")
        if signature is None and WOO_PING.fullmatch(body.strip()):
            intake.counts["ping"] += 1
            return {"status": "ok"}  # WooCommerce's unsigned ping when a webhook is created
        store = request.headers.get("x-wc-webhook-source", "")
        if not verify(body, signature, woo_secrets.get(woocommerce.store_key(store), ())):
            raise Problem(401, "signature missing or wrong for this store (X-WC-Webhook-Signature)")
        topic = request.headers.get("x-wc-webhook-topic", "").strip()
        delivery = request.headers.get("x-wc-webhook-delivery-id", "").strip()

        def mapper(payload: Any) -> Mapped:
            hook = woocommerce.Webhook(store, topic, payload, delivery, clock())
            return woocommerce.map_webhook(hook)

        origin = f"woocommerce {topic or '(no topic)'}"
        return await _accept(intake, body, mapper, origin=origin, sender=store)

    @app.post("/events")
    async def events(request: Request) -> dict[str, object]:
        body = await _read(request, limit)
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        presented = token.strip().encode()
        matched = False
        for known in tokens:
            matched |= hmac.compare_digest(known, presented)
        if scheme.lower() != "bearer" or not matched:
            raise Problem(401, "a valid bearer token is required (Authorization: Bearer ...)")
        content_type = request.headers.get("content-type", "")
        try:
            parsed = parse_events(content_type, request.headers, body)
        except NotJson as exc:
            raise Problem(400, f"malformed JSON: {exc}") from None
        except InvalidMessage as exc:
            await intake.keep(reason=exc.reason, origin="cloudevents", key="events", body=body)
            field, _, why = exc.reason.partition(": ")
            raise Problem(422, why or exc.reason, field or None) from None
        return await intake.publish(parsed)

    return app


async def _accept(
    intake: Intake, body: bytes, mapper: Callable[[Any], Mapped], *, origin: str, sender: str
) -> dict[str, object]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:  # also for nesting too deep
        raise Problem(400, f"malformed JSON: {exc}") from None
    try:
        mapped = mapper(payload)
    except MappingError as exc:
        await intake.keep(reason=str(exc), origin=origin, key=sender, body=body)
        raise Problem(422, exc.reason, exc.field) from None
    if mapped.ignored is not None:
        return intake.ignore(origin, sender, mapped.ignored)
    return await intake.publish(mapped.events)


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"body over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _secrets(configured: dict[str, Any], normalize: Callable[[str], str]) -> dict[str, list[str]]:
    return {normalize(k): [s.get_secret_value() for s in v] for k, v in configured.items()}
