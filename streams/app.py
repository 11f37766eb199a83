"""The stream processor: a faust app built from settings, with thin agents around pure decisions.

Two agents, each keyed by what its state is about:
- customers (events and wake-ups, keyed by customer): profile, preferences and the plan of
  waiting messages meet each event and decide who hears what, when (streams/handle.py), one
  notification topic per channel. A timer wakes customers whose waiting messages are due
  (streams/wakeups.py); the wake-up is handled in the customer's partition like an event.
  Orders placed are also copied to the orders topic; an order event that does not name its
  customer or number goes there instead of being decided on.
- orders (orders topic, keyed by order): knows each order's customer and number
  (streams/orders.py) and puts completed events back on the events topic, keyed by customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import faust
from faust.types import EventT

from runtime.apps import dead_letter_of, faust_app, produce
from runtime.settings import Settings
from schemas.codec import InvalidMessage, decode_event, encode
from schemas.events import (
    CheckoutAbandoned,
    CheckoutUpdated,
    CloudEvent,
    ContactFailed,
    CustomerUpserted,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    PreferencesUpdated,
    WebpushSubscribed,
)
from schemas.topics import CHANNELS, Topics
from streams.handle import Context, Outcome, on_event, on_wake
from streams.orders import index_record, is_complete, is_order_scoped, learn, read_index, resolve
from streams.plans import next_due
from streams.policy import policy_from
from streams.products import install_products, publish_purchases
from streams.profiles import (
    Profile,
    apply_consent,
    apply_contact,
    apply_contact_failed,
    apply_customer,
    apply_preferences,
    apply_subscription,
)
from streams.purchases import apply_cancellation, apply_order, apply_refund
from streams.records import held_record
from streams.together import complements
from streams.wakeups import DueIndex

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def wall_clock(settings: Settings) -> Clock:
    """Now, shifted by settings.clock_shift_s (0 in production)."""
    shift = timedelta(seconds=settings.clock_shift_s)
    return lambda: datetime.now(UTC) + shift


def create_app(settings: Settings, clock: Clock | None = None) -> faust.App:
    """Build the stream processor: shop events in, one notification topic per channel out."""
    clock = clock or wall_clock(settings)
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    app = faust_app(topics.streams_app_id, settings)
    orders = app.Table("orders")
    customers = app.Table("customers")
    preferences = app.Table("preferences")
    plans = app.Table("plans")
    suggest = partial(complements, install_products(app, topics))
    due = DueIndex()
    source = app.topic(topics.events, topics.wakeups)
    order_topic = app.topic(topics.orders)  # order index records and incomplete order events
    outputs = {channel: topics.notify(channel) for channel in CHANNELS}

    emit = partial(produce, app)

    policy = policy_from(settings)

    async def reject(message: EventT, reason: str) -> None:
        await emit(topics.deadletter, message.key, dead_letter_of(message, reason, "streams"))

    rate, tiers = settings.loyalty_points_per_unit, settings.loyalty_tiers

    def update_state(key: str, event: CloudEvent) -> None:
        data = event.data  # type: ignore[attr-defined]
        known = customers.get(key)
        updated: Profile | None = known
        if isinstance(data, CustomerUpserted):
            updated = apply_customer(known, data)
            said = apply_consent(preferences.get(key), data)
            if said is not None and said != preferences.get(key):
                preferences[key] = said
        elif isinstance(data, WebpushSubscribed):
            updated = apply_subscription(known, data)
        elif isinstance(data, ContactFailed):
            updated, said = apply_contact_failed(known, preferences.get(key), data)
            if said != preferences.get(key):
                preferences[key] = said
        elif isinstance(data, PreferencesUpdated):
            preferences[key] = apply_preferences(preferences.get(key), data)
        elif isinstance(data, OrderPlaced):
            with_contact = apply_contact(known, data)
            updated = apply_order(
                with_contact, data, points_per_unit=rate, tiers=tiers, at=event.time
            )
        elif isinstance(data, CheckoutAbandoned | CheckoutUpdated):
            updated = apply_contact(known, data)
        elif isinstance(data, OrderRefunded):
            updated = apply_refund(
                known, data, refund_id=event.id, points_per_unit=rate, tiers=tiers
            )
        elif isinstance(data, OrderCancelled):
            updated = apply_cancellation(known, data, tiers=tiers)
        if updated is not known and updated is not None:
            customers[key] = updated

    async def act(key: str, outcome: Outcome) -> None:
        if outcome.changed:
            plans[key] = outcome.plan
            due.set(key, next_due(outcome.plan))
        for request in outcome.requests:
            await emit(outputs[request.channel], key.encode(), encode(request))
        for record in outcome.records:
            await emit(topics.decisions, key.encode(), encode(record))

    def context(key: str) -> Context:
        return Context(customers.get(key), preferences.get(key), policy, clock(), suggest)

    @plans.on_recover
    async def index_plans() -> None:
        due.rebuild((key, next_due(plan)) for key, plan in plans.items())
        log.info("%d customers have messages waiting", len(due))

    @app.timer(settings.schedule_tick_s)
    async def wake_due_customers() -> None:
        for key in due.take(clock()):
            await emit(topics.wakeups, key.encode(), b"{}")

    @app.agent(source)
    async def decide_for_customers(stream: faust.StreamT) -> None:
        async for message in stream.events():
            if message.message.topic == topics.wakeups:
                key = message.key.decode()
                await act(key, on_wake(plans.get(key), context(key)))
                continue
            try:
                event = decode_event(message.value)
            except InvalidMessage as exc:
                await reject(message, exc.reason)
                continue
            if is_order_scoped(event):
                order_key = event.data.order_id.encode()  # type: ignore[attr-defined]
                if not is_complete(event):
                    await emit(topics.orders, order_key, message.value)
                    continue
                if event.type == "order.placed":
                    await emit(topics.orders, order_key, index_record(event))
                    await publish_purchases(emit, topics.purchases, event.data)  # type: ignore[attr-defined]
            key = event.partitionkey
            update_state(key, event)
            await act(key, on_event(event, plans.get(key), context(key)))

    @app.agent(order_topic)
    async def resolve_orders(stream: faust.StreamT) -> None:
        async for message in stream.events():
            key = message.key.decode()
            ids = read_index(message.value)
            if ids is not None:
                result = learn(ids, orders.get(key))
            else:
                try:
                    event = decode_event(message.value)
                except InvalidMessage as exc:
                    await reject(message, exc.reason)
                    continue
                result = resolve(event, orders.get(key))
                if result.waiting:
                    record = held_record(event, "waiting", result.waiting, clock())
                    await emit(topics.decisions, message.key, encode(record))
                if result.dropped:
                    record = held_record(event, "dropped", result.dropped, clock())
                    await emit(topics.decisions, message.key, encode(record))
                    await reject(message, result.dropped)
            if result.state is not None:
                orders[key] = result.state
            for ready in result.ready:
                await emit(topics.events, ready.partitionkey.encode(), encode(ready))

    return app
