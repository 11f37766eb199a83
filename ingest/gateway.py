"""The HTTP gateway: shop webhooks and CloudEvents in, validated order events on Kafka out.

Every route gets the raw body (signatures are over the exact bytes), checks who sent it, maps
it, and answers 2xx only once Kafka has acknowledged (ingest/accept.py). Providers' delivery
receipts come in the same way (ingest/receipts.py) and go to the receipts topic, and browsers
sign up for web push on a shop's pages (ingest/routes/push.py). The handlers
live in ingest/routes/, one module per kind of sender; this module is their table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from ingest.accept import Intake
from ingest.routes import Clock, push, utc_now
from ingest.routes.events import CloudEvents
from ingest.routes.health import Health
from ingest.routes.metrics import Metrics
from ingest.routes.notifications import (
    NOTIFICATIONS,
    ORDERS,
    NotificationLookup,
    NotificationsApi,
)
from ingest.routes.receipts import DeliveryReceipts
from ingest.routes.shopify import ShopifyWebhooks
from ingest.routes.unsubscribe import Unsubscribe
from ingest.routes.woocommerce import WooCommerceWebhooks
from ingest.web import Answer, App, Handler, Lifespan, Problem, Routes
from runtime.settings import Settings
from runtime.unsubscribe import PATH as UNSUBSCRIBE

RETRY_AFTER = ((b"retry-after", b"5"),)


# The routes of the pages for people (pages/), made by the composition root over the intake.
Pages = Callable[[Intake], Routes]


def create_gateway(
    settings: Settings,
    intake: Intake,
    clock: Clock = utc_now,
    lifespan: Lifespan | None = None,
    lookup: NotificationLookup | None = None,
    pages: Pages | None = None,
) -> App:
    """The gateway's routes around an intake (Kafka connection and de-duplication), the
    notifications API over a lookup when one is given, and the pages' routes when given."""
    own = _own_routes(settings, intake, clock, lookup)
    made = pages(intake) if pages is not None else Routes()
    # Every route that takes something in is counted by its answers (ingest/metrics.py): the
    # gateway's own, and the pages' that publish (the preference center's form).
    counted = intake.metrics.counted
    routes = {(m, p): counted(p, h) if m == "POST" else h for (m, p), h in own.exact.items()}
    routes |= made.exact
    prefixes = own.prefixed | {
        (m, p): counted(p, h) if m == "POST" else h for (m, p), h in made.prefixed.items()
    }
    return App(
        routes,
        max_body=settings.gateway_max_body_bytes,
        read_timeout_s=settings.gateway_read_timeout_s,
        on_problem=partial(refused, intake.counts),
        lifespan=lifespan,
        prefixes=prefixes,
    )


def _own_routes(
    settings: Settings, intake: Intake, clock: Clock, lookup: NotificationLookup | None
) -> Routes:
    """The webhook, event, receipt, unsubscribe, push sign-up, health and API routes."""
    health = Health(intake)
    shopify = ShopifyWebhooks(settings, intake, clock)
    woocommerce = WooCommerceWebhooks(settings, intake, clock)
    events = CloudEvents(settings, intake, clock)
    receipts = DeliveryReceipts(settings, intake, clock)
    unsubscribe = Unsubscribe(settings, intake, clock)
    signup = push.PushSignup(settings, intake, clock)
    metrics = Metrics(intake.metrics.registry)
    api = NotificationsApi(settings, lookup)
    exact: dict[tuple[str, str], Handler] = {
        ("GET", "/healthz"): health.alive,
        ("GET", "/readyz"): health.ready,
        ("GET", "/metrics"): metrics.scrape,
        ("POST", "/webhooks/shopify"): shopify.receive,
        ("POST", "/webhooks/woocommerce"): woocommerce.receive,
        ("POST", "/events"): events.receive,
        ("POST", "/receipts/sendgrid"): receipts.sendgrid,
        ("POST", "/receipts/twilio"): receipts.twilio,
        ("GET", UNSUBSCRIBE): unsubscribe.ask,
        ("POST", UNSUBSCRIBE): unsubscribe.unsubscribe,
        ("GET", push.WORKER): signup.service_worker,
        ("GET", push.SCRIPT): signup.subscribe_script,
        ("GET", push.KEY): signup.public_key,
        ("OPTIONS", push.SUBSCRIPTIONS): signup.preflight,
        ("POST", push.SUBSCRIPTIONS): signup.subscribe,
    }
    prefixed: dict[tuple[str, str], Handler] = {
        ("GET", NOTIFICATIONS): api.notification,
        ("GET", ORDERS): api.order,
    }
    return Routes(exact, prefixed)


def refused(counts: Counter[str], problem: Problem) -> Answer:
    """A request that was not accepted: counted by status, its cause named in the body, and
    Retry-After when the sender should simply try again."""
    counts[str(problem.status)] += 1
    body: dict[str, Any] = {"error": problem.error}
    if problem.field:
        body["field"] = problem.field
    body.update(problem.details)
    retry = RETRY_AFTER if problem.status == 503 else ()
    return Answer(problem.status, body, (*problem.headers, *retry))
