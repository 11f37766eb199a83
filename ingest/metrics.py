"""What the gateway counts: each request to a route that takes something in, by what became
of it, and each event it published, by where it came from and its type. The registry is the
gateway's (runtime/metrics.py); GET /metrics serves it (ingest/routes/metrics.py)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter

from ingest.web import Answer, Handler, Problem, Request
from runtime.metrics import new_registry
from schemas.events import CloudEvent

# What a 200 answer's status says; a WooCommerce ping ("ok") carries no news either.
ANSWERED = {"accepted": "accepted", "duplicate": "duplicate", "ignored": "ignored", "ok": "ignored"}


def outcome_of(code: int, status: object = None) -> str:
    """accepted, duplicate or ignored (a 2xx, by its body's status; accepted when it names
    none), rejected (4xx: nothing was published) or failed (5xx: not acknowledged in time,
    or a fault of ours; the sender retries)."""
    if code >= 500:
        return "failed"
    if code >= 400:
        return "rejected"
    return ANSWERED.get(status, "accepted") if isinstance(status, str) else "accepted"


class GatewayMetrics:
    """The gateway's metrics, in a registry of their own unless one is given."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or new_registry()
        self.requests = Counter(
            "aftercart_gateway_webhooks",
            "Requests to the gateway's webhook, event and receipt routes, by route, outcome "
            "(accepted, duplicate, ignored, rejected, failed) and HTTP status",
            ["route", "outcome", "code"],
            registry=self.registry,
        )
        self.events = Counter(
            "aftercart_gateway_events",
            "Events the gateway published to Kafka, by source (the sender's kind) and type",
            ["source", "type"],
            registry=self.registry,
        )

    def answered(self, route: str, code: int, status: object = None) -> None:
        """Count one request to `route` by its answer."""
        self.requests.labels(route, outcome_of(code, status), str(code)).inc()

    def published(self, source: str, events: Iterable[CloudEvent]) -> None:
        """Count the events Kafka acknowledged."""
        for event in events:
            self.events.labels(source, event.type).inc()

    def counted(self, route: str, handler: Handler) -> Handler:
        """`handler`, each of its answers counted under `route`."""

        async def handle(request: Request) -> Answer:
            try:
                answer = await handler(request)
            except Problem as problem:
                self.answered(route, problem.status)
                raise
            except Exception:
                self.answered(route, 500)  # the gateway answers 500 (ingest/web.py)
                raise
            self.answered(route, answer.status, answer.body.get("status"))
            return answer

        return handle
