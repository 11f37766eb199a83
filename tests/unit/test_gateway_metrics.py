"""GET /metrics on the gateway: each webhook counted by route and outcome, each event published
by source and type, in the text format Prometheus' own parser reads."""

from __future__ import annotations

from collections import Counter

from ingesting import Client, FakeKafka, fixture, shopify
from prometheus_client.parser import text_string_to_metric_families

from ingest.metrics import outcome_of

LABELS = {
    "aftercart_gateway_webhooks": ("route", "outcome", "code"),
    "aftercart_gateway_events": ("source", "type"),
}


async def scrape(client: Client) -> dict[str, dict[tuple[str, ...], float]]:
    """{counter: {its label values, in LABELS' order: value}} of the gateway's /metrics."""
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    families: dict[str, dict[tuple[str, ...], float]] = {}
    for family in text_string_to_metric_families(answer.text):
        if family.name.endswith("_created"):  # when each series began: prometheus-client's own
            continue
        assert family.type == "counter" and family.name in LABELS
        for sample in family.samples:
            if sample.name.endswith("_total"):
                values = tuple(sample.labels[name] for name in LABELS[family.name])
                families.setdefault(family.name, {})[values] = sample.value
    return families


async def test_each_webhook_is_counted_by_route_and_outcome(
    client: Client, kafka: FakeKafka
) -> None:
    order = fixture("shopify/orders_create.json")
    kafka.down = True
    assert (await shopify(client, order)).status_code == 503
    kafka.down = False
    first = await shopify(client, order)
    assert first.json()["status"] == "accepted"
    assert (await shopify(client, order)).json()["status"] == "duplicate"
    assert (await shopify(client, order, secret="wrong")).status_code == 401
    assert (await client.get("/healthz")).status_code == 200  # not a route that takes anything

    families = await scrape(client)
    route = "/webhooks/shopify"
    assert families["aftercart_gateway_webhooks"] == {
        (route, "accepted", "200"): 1,
        (route, "duplicate", "200"): 1,
        (route, "rejected", "401"): 1,
        (route, "failed", "503"): 1,
    }
    types = Counter(e["type"] for e in first.json()["events"])
    published = families["aftercart_gateway_events"]
    assert published == {("shopify", kind): n for kind, n in types.items()}


async def test_a_woocommerce_ping_is_counted_as_ignored(client: Client) -> None:
    ping = await client.post("/webhooks/woocommerce", content=b"webhook_id=12")
    assert ping.status_code == 200
    families = await scrape(client)
    counted = families["aftercart_gateway_webhooks"]
    assert counted == {("/webhooks/woocommerce", "ignored", "200"): 1}
    assert "aftercart_gateway_events" not in families  # declared, nothing published yet


def test_outcomes_of_answers() -> None:
    assert outcome_of(200, "accepted") == outcome_of(200) == outcome_of(200, None) == "accepted"
    assert outcome_of(200, "duplicate") == "duplicate"
    assert outcome_of(200, "ignored") == outcome_of(200, "ok") == "ignored"
    assert outcome_of(413) == outcome_of(422) == "rejected"
    assert outcome_of(500) == outcome_of(503) == "failed"
