"""The stream processor: a faust app built from settings, with thin agents around pure decisions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import faust

from aftercart.apps import faust_app
from aftercart.settings import Settings
from schemas.codec import InvalidMessage, decode_event, encode
from schemas.deadletter import dead_letter
from schemas.events import (
    CheckoutAbandoned,
    CloudEvent,
    CustomerUpserted,
    OrderPlaced,
    PreferencesUpdated,
    WebpushSubscribed,
)
from schemas.topics import CHANNELS, Topics
from streams.decide import Shop, decide
from streams.profiles import apply_contact, apply_customer, apply_preferences, apply_subscription

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def create_app(settings: Settings, clock: Clock = lambda: datetime.now(UTC)) -> faust.App:
    """Build the stream processor: shop events in, one notification topic per channel out."""
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    app = faust_app(topics.streams_app_id, settings)
    customers = app.Table("customers")
    preferences = app.Table("preferences")
    source = app.topic(topics.events)
    outputs = {channel: app.topic(topics.notify(channel)) for channel in CHANNELS}
    deadletters = app.topic(topics.deadletter)
    shop = Shop(settings.shop_name, settings.shop_url)

    def update_state(key: str, event: CloudEvent) -> None:
        data = event.data  # type: ignore[attr-defined]
        if isinstance(data, CustomerUpserted):
            customers[key] = apply_customer(customers.get(key), data)
        elif isinstance(data, WebpushSubscribed):
            customers[key] = apply_subscription(customers.get(key), data)
        elif isinstance(data, PreferencesUpdated):
            preferences[key] = apply_preferences(preferences.get(key), data)
        elif isinstance(data, OrderPlaced | CheckoutAbandoned):
            known = customers.get(key)
            updated = apply_contact(known, data)
            if updated is not known:
                customers[key] = updated

    @app.agent(source)
    async def process(stream: faust.StreamT) -> None:
        async for message in stream.events():
            raw = message.value
            try:
                event = decode_event(raw)
            except InvalidMessage as exc:
                record = dead_letter(
                    reason=exc.reason,
                    stage="streams",
                    topic=message.message.topic,
                    partition=message.message.partition,
                    offset=message.message.offset,
                    key=message.key,
                    original=raw,
                )
                await deadletters.send(key=message.key, value=encode(record))
                log.warning("dead-lettered offset %s: %s", message.message.offset, exc.reason)
                continue
            key = event.partitionkey
            update_state(key, event)
            for decision in decide(
                event, customers.get(key), preferences.get(key), shop=shop, now=clock()
            ):
                if decision.request is not None:
                    await outputs[decision.channel].send(
                        key=key.encode(), value=encode(decision.request)
                    )
                else:
                    log.debug(
                        "suppressed %s %s: %s", event.id, decision.channel, decision.suppressed
                    )

    return app
