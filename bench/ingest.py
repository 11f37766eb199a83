"""The ingest figure: signed Shopify orders/create webhooks through the gateway into Kafka.

An open-loop load generator: requests are due at a fixed rate whatever the gateway does, and
each latency is measured from when its request was due, so a stall shows in the figures
instead of slowing the load down (no coordinated omission). Connections are kept alive, as
Shopify's are. A second, closed-loop pass finds the most the gateway takes.
"""

from __future__ import annotations

import asyncio
import gc
import json
import secrets
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvloop
from pydantic import SecretStr

from aftercart.stack import Stack
from bench.measure import cpu_seconds, peak_rss_mb, percentile
from broker.admin import create_topics, end_offsets
from broker.launcher import free_ports
from ingest.signatures import sign
from runtime.settings import Settings
from schemas.topics import Topics

SHOP = "bench-shop.myshopify.com"
CLOSED_LOOP_REQUESTS = 15_000
CLOSED_LOOP_CONNECTIONS = 32
WARM_UP_S = 5.0  # the broker's JIT and the gateway's caches settle before the timed pass


def order_payload(n: int) -> dict[str, Any]:
    """An orders/create body shaped and sized like Shopify's documented sample (~10 KB)."""
    money = lambda amount: {  # noqa: E731
        "shop_money": {"amount": amount, "currency_code": "EUR"},
        "presentment_money": {"amount": amount, "currency_code": "EUR"},
    }
    address = {
        "first_name": "Sofia", "last_name": "Laine", "address1": "Hämeenkatu 1", "address2": None,
        "city": "Tampere", "zip": "33100", "province": None, "country": "Finland",
        "country_code": "FI", "company": None, "phone": None, "name": "Sofia Laine",
        "latitude": None, "longitude": None, "province_code": None,
    }  # fmt: skip
    lines = [
        {
            "id": n * 10 + i, "admin_graphql_api_id": f"gid://shopify/LineItem/{n * 10 + i}",
            "current_quantity": 1, "fulfillable_quantity": 1, "fulfillment_service": "manual",
            "fulfillment_status": None, "gift_card": False, "grams": 100,
            "name": f"Linen apron {i}", "price": "19.90", "price_set": money("19.90"),
            "product_exists": True, "product_id": 7000 + i, "properties": [], "quantity": 1,
            "requires_shipping": True, "sku": f"APRON-{i}", "taxable": True,
            "title": f"Linen apron {i}", "total_discount": "0.00",
            "total_discount_set": money("0.00"), "variant_id": 9000 + i,
            "variant_inventory_management": "shopify", "variant_title": "Blue", "vendor": "Bench",
            "tax_lines": [{"price": "3.85", "rate": 0.24, "title": "ALV",
                           "price_set": money("3.85"), "channel_liable": False}],
            "duties": [], "discount_allocations": [],
        }
        for i in range(5)
    ]  # fmt: skip
    totals = {
        name: money("99.50")
        for name in (
            "current_subtotal_price_set", "current_total_price_set", "subtotal_price_set",
            "total_line_items_price_set", "total_price_set", "current_total_tax_set",
            "total_tax_set", "total_discounts_set", "total_shipping_price_set",
        )
    }  # fmt: skip
    return {
        "id": 6_000_000_000 + n, "admin_graphql_api_id": f"gid://shopify/Order/{n}",
        "name": f"#{10_000 + n}", "order_number": 10_000 + n, "number": n,
        "email": f"buyer{n % 5000}@example.fi", "contact_email": f"buyer{n % 5000}@example.fi",
        "phone": None, "currency": "EUR", "presentment_currency": "EUR",
        "total_price": "99.50", "subtotal_price": "99.50", "total_tax": "19.26",
        "current_total_price": "99.50", "financial_status": "paid", "fulfillment_status": None,
        "customer_locale": "fi", "created_at": "2026-11-23T10:00:00+02:00",
        "updated_at": "2026-11-23T10:00:00+02:00", "processed_at": "2026-11-23T10:00:00+02:00",
        "buyer_accepts_marketing": False, "confirmed": True, "test": False, "tags": "",
        "token": f"{n:032x}", "order_status_url": f"https://{SHOP}/orders/{n:032x}/authenticate",
        "source_name": "web", "payment_gateway_names": ["bogus"], "note": None,
        "note_attributes": [], "discount_codes": [], "tax_lines": [], "refunds": [],
        "fulfillments": [], "shipping_lines": [], "line_items": lines, **totals,
        "customer": {
            "id": 8_000_000 + n % 5000, "email": f"buyer{n % 5000}@example.fi",
            "first_name": "Sofia", "last_name": "Laine", "state": "enabled",
            "verified_email": True, "currency": "EUR", "default_address": address,
        },
        "billing_address": address, "shipping_address": address,
    }  # fmt: skip


def signed_requests(count: int, secret: str, host: str) -> Iterator[bytes]:
    """Whole HTTP/1.1 requests, each a distinct signed order (no two are duplicates),
    triggered now (older would be refused as a replay)."""
    triggered = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for n in range(count):
        body = json.dumps(order_payload(n), separators=(",", ":")).encode()
        head = (
            f"POST /webhooks/shopify HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Shopify-Topic: orders/create\r\nX-Shopify-Shop-Domain: {SHOP}\r\n"
            f"X-Shopify-Hmac-Sha256: {sign(body, secret)}\r\n"
            f"X-Shopify-Webhook-Id: bench-{n}\r\n"
            f"X-Shopify-Triggered-At: {triggered}\r\n\r\n"
        )
        yield head.encode() + body


@dataclass
class Tally:
    """Latencies of answered requests and the statuses seen."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_due: float = 0.0
    last_done: float = 0.0


class Connection:
    """One kept-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> int:
        """Send a request, read the whole answer, return its status."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


async def _connect(host: str, port: int) -> Connection:
    return Connection(*await asyncio.open_connection(host, port))


async def open_loop(
    host: str, port: int, requests: list[bytes], rate: float, connections: int = 64
) -> Tally:
    """Send `requests` at `rate` per second; latency counts from each request's due time."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await _connect(host, port))
    tally = Tally()
    start = time.perf_counter() + 0.05
    tally.first_due = start

    async def one(request: bytes, due: float) -> None:
        conn = await pool.get()
        try:
            status = await conn.exchange(request)
        finally:
            pool.put_nowait(conn)
        done = time.perf_counter()
        tally.latencies_ms.append((done - due) * 1000)
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        tally.last_done = max(tally.last_done, done)

    tasks = []
    for i, request in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, due)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().writer.close()
    return tally


async def closed_loop(host: str, port: int, requests: list[bytes], connections: int) -> Tally:
    """Each connection sends its next request as soon as the last is answered."""
    tally = Tally(first_due=time.perf_counter())
    feed = iter(requests)

    async def worker() -> None:
        conn = await _connect(host, port)
        for request in feed:
            sent = time.perf_counter()
            status = await conn.exchange(request)
            done = time.perf_counter()
            tally.latencies_ms.append((done - sent) * 1000)
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            tally.last_done = done
        conn.writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return tally


def run(main: Coroutine[Any, Any, Tally]) -> Tally:
    """Run one pass on uvloop, as the gateway runs: the load generator stays cheap."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def summary(tally: Tally) -> dict[str, Any]:
    """Requests per second and latency percentiles of one pass."""
    answered = len(tally.latencies_ms)
    elapsed = max(tally.last_done - tally.first_due, 1e-9)
    lat = tally.latencies_ms
    return {
        "requests": answered,
        "requests_per_s": round(answered / elapsed),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "latency_ms": {
            "p50": round(percentile(lat, 50), 1),
            "p95": round(percentile(lat, 95), 1),
            "p99": round(percentile(lat, 99), 1),
            "max": round(max(lat, default=float("nan")), 1),
        },
    }


def run_pass(stack: Stack, settings: Settings, *, rate: float, seconds: float) -> dict[str, Any]:
    """Start a gateway on topics no worker reads, load it, check Kafka holds every event."""
    secret = secrets.token_urlsafe(24)
    (port,) = free_ports(1)
    ingest = settings.model_copy(
        update={
            "topic_prefix": f"{settings.topic_prefix}-ingest",
            "gateway_port": port,
            "shopify_secrets": {SHOP: [SecretStr(secret)]},
        }
    )
    topics = Topics(ingest.topic_prefix, ingest.topic_partitions)
    create_topics(ingest.kafka_bootstrap, topics.all())
    child = stack.start_gateway(ingest, name="bench-gateway")
    host = ingest.gateway_host
    warming, measured = int(rate * WARM_UP_S), int(rate * seconds)
    total = warming + measured + CLOSED_LOOP_REQUESTS
    pool = list(signed_requests(total, secret, f"{host}:{port}"))
    warm, timed, flat_out = (
        pool[:warming],
        pool[warming : warming + measured],
        pool[warming + measured :],
    )
    # The load generator's own pauses would count as the gateway's latency: keep the
    # collector off the request pool and out of the timed passes.
    gc.freeze()
    gc.disable()
    run(open_loop(host, port, warm, rate))
    cpu_before, client_before = cpu_seconds(child.process.pid) or 0.0, time.process_time()
    offered = summary(run(open_loop(host, port, timed, rate)))
    cpu_used = (cpu_seconds(child.process.pid) or 0.0) - cpu_before
    client_used = time.process_time() - client_before
    most = summary(run(closed_loop(host, port, flat_out, CLOSED_LOOP_CONNECTIONS)))
    on_kafka = sum(end_offsets(ingest.kafka_bootstrap, topics.events).values())
    accepted = len(warm) + sum(part["statuses"].get("200", 0) for part in (offered, most))
    gc.enable()
    gc.unfreeze()
    rss = peak_rss_mb(child.process.pid)
    stack.supervisor.stop(child)
    return {
        "what": "signed Shopify orders/create through the gateway into Kafka (acks=all)",
        "body_bytes": len(timed[0].partition(b"\r\n\r\n")[2]),
        "offered_per_s": rate,
        "requests_per_s": offered["requests_per_s"],
        "latency_ms": offered["latency_ms"],
        "statuses": offered["statuses"],
        "gateway_cpu_seconds_per_1000": round(cpu_used / max(offered["requests"], 1) * 1000, 2),
        "load_generator_cpu_seconds_per_1000": round(
            client_used / max(offered["requests"], 1) * 1000, 2
        ),
        "max_requests_per_s": most["requests_per_s"],
        "max_latency_ms": most["latency_ms"],
        "max_connections": CLOSED_LOOP_CONNECTIONS,
        "events_on_kafka": on_kafka,
        "requests_accepted": accepted,
        "gateway_peak_rss_mb": rss,
    }
