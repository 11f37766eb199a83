"""Shopify's own documented sample payloads, one per topic, and small readers of what a sample
maps to (shared by the test_ingest_shopify* modules)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.mapping import Mapped, MappingError
from ingest.shopify import MAPPERS, Webhook, map_webhook
from schemas.events import CloudEvent

FIXTURES = Path(__file__).parents[1] / "fixtures" / "shopify"
SHOP = "jsmith.myshopify.com"
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORDER = f"{SHOP}/orders/820982911946154508"
FULFILLMENT = f"{SHOP}/fulfillments/123456"
RAW = {topic: (FIXTURES / f"{topic.replace('/', '_')}.json").read_text() for topic in MAPPERS}


def sample(topic: str) -> dict[str, Any]:
    """A fresh copy of the documented sample for a topic, free to modify."""
    payload: dict[str, Any] = json.loads(RAW[topic])
    return payload


def mapped(topic: str, payload: Any = None, webhook_id: str = "wh-1", at: datetime = AT) -> Mapped:
    body = sample(topic) if payload is None else payload
    return map_webhook(Webhook(SHOP, topic, body, webhook_id, at))


def only(topic: str, payload: Any = None) -> CloudEvent:
    events = mapped(topic, payload).events
    assert len(events) == 1, events
    return events[0]


def data(event: CloudEvent) -> dict[str, Any]:
    fields: dict[str, Any] = event.data.model_dump(mode="json", exclude_none=True)  # type: ignore[attr-defined]
    return fields


def with_status(topic: str, status: str) -> dict[str, Any]:
    """A fulfillment sample reporting a shipment status, as each topic carries it."""
    field = "shipment_status" if topic.startswith("fulfillments/") else "status"
    return sample(topic) | {field: status}


def refused(topic: str, payload: Any) -> MappingError:
    with pytest.raises(MappingError) as caught:
        mapped(topic, payload)
    return caught.value
