"""The stream processor: a faust app built from settings, with thin agents around pure decisions.

Two agents, each keyed by what its state is about:
- customers (events and wake-ups, keyed by customer): each event is first routed
  (streams/routing.py): orders placed are also copied to the orders topic, and an order event
  that does not name its customer or number goes there instead of being decided on. Then it
  updates the profile and preferences (streams/state.py), and they and the plan of waiting
  messages decide who hears what, when (streams/handle.py), one notification topic per
  channel. A timer wakes customers whose waiting messages are due (streams/wakeups.py); the
  wake-up is handled in the customer's partition like an event.
- orders (orders topic, keyed by order): knows each order's customer and number
  (streams/orders.py) and puts completed events back on the events topic, keyed by customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import faust

from runtime.apps import faust_app, produce
from runtime.endpoint import serve_worker
from runtime.metrics import new_registry
from runtime.settings import Settings
from schemas.codec import decode_event, encode
from schemas.events import CloudEvent
from schemas.replay import ReplayNote, replay_of
from schemas.topics import CHANNELS, Topics
from streams.handle import Context, Outcome, on_event, on_wake
from streams.metrics import StreamMetrics
from streams.orders import OrderState, held_records, learn, read_index, resolve
from streams.plans import Plan, next_due
from streams.policy import Loyalty, loyalty_from, policy_from
from streams.products import install_products
from streams.profiles import Preferences, Profile
from streams.rejects import Reject, as_received, read_or_reject, rejecter
from streams.replays import header, replay_route, replayed
from streams.routing import route
from streams.state import state_changes
from streams.together import complements
from streams.wakeups import DueIndex

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
V = TypeVar("V")


def wall_clock(settings: Settings) -> Clock:
    """Now, shifted by settings.clock_shift_s (0 in production)."""
    shift = timedelta(seconds=settings.clock_shift_s)
    return lambda: datetime.now(UTC) + shift


def store(table: MutableMapping[str, V], key: str, value: V | None) -> None:
    """Write a changed table entry; None says unchanged: nothing is written."""
    if value is not None:
        table[key] = value


def fold(
    customers: MutableMapping[str, Profile],
    preferences: MutableMapping[str, Preferences],
    key: str,
    event: CloudEvent,
    loyalty: Loyalty,
) -> None:
    """Count an event into its customer's profile and preferences (what changed is written)."""
    changes = state_changes(customers.get(key), preferences.get(key), event, loyalty)
    store(customers, key, changes.profile)
    store(preferences, key, changes.preferences)


def create_app(settings: Settings, clock: Clock | None = None) -> faust.App:
    """Build the stream processor: shop events in, one notification topic per channel out."""
    clock = clock or wall_clock(settings)
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    app = faust_app(topics.streams_app_id, settings)
    registry = new_registry()
    metrics = StreamMetrics(registry)
    serve_worker(app, registry, settings, "streams")
    orders = app.Table("orders")
    customers = app.Table("customers")
    preferences = app.Table("preferences")
    plans = app.Table("plans")
    suggest = partial(complements, install_products(app, topics))
    due = DueIndex()
    source = app.topic(topics.events, topics.wakeups)
    outputs = {channel: topics.notify(channel) for channel in CHANNELS}
    emit, reject = partial(produce, app), metrics.counting(rejecter(app, topics))
    read_event = metrics.reading(decode_event)  # each event read counted by type
    policy, loyalty = policy_from(settings), loyalty_from(settings)

    async def act(
        key: str, decide: Callable[[Plan | None, Context], Outcome], note: ReplayNote | None = None
    ) -> None:
        """Decide with what is known of the customer; store the plan, send what was decided."""
        known = Context(customers.get(key), preferences.get(key), policy, clock(), suggest)
        outcome = decide(plans.get(key), known)
        if note is not None:
            outcome = replayed(outcome, note)
        if outcome.changed:
            plans[key] = outcome.plan
            due.set(key, next_due(outcome.plan))
        for request in outcome.requests:  # a replay's header goes on to the channel worker
            await emit(outputs[request.channel], key.encode(), encode(request), None, header(note))
        for record in outcome.records:
            await emit(topics.decisions, key.encode(), encode(record))
        metrics.decided(outcome.records)

    install_wakeups(app, plans, due, topics.wakeups, settings.schedule_tick_s, clock)

    @app.agent(source)
    async def decide_for_customers(stream: faust.StreamT) -> None:
        async for message in stream.events():
            if message.message.topic == topics.wakeups:
                await act(message.key.decode(), on_wake)
                continue
            event = await read_or_reject(message, as_received(read_event, message), reject)
            if event is None:
                continue
            note = replay_of(message.message.headers)  # decided again, counted in once
            where = replay_route(route(event, message.value, topics), topics.purchases, note)
            for record in where.records:
                await emit(*record, None, header(note))
            if where.decide:
                key = event.partitionkey
                if note is None:
                    fold(customers, preferences, key, event, loyalty)
                await act(key, partial(on_event, event), note)

    install_orders(app, topics, orders, reject, clock)
    return app


def install_wakeups(
    app: faust.App, plans: Any, due: DueIndex, wakeups: str, tick_s: float, clock: Clock
) -> None:
    """Index the waiting messages once the plans are recovered, and wake each customer whose
    next message is due (the wake-up is handled in the customer's partition, like an event)."""

    @plans.on_recover
    async def index_plans() -> None:
        due.rebuild((key, next_due(plan)) for key, plan in plans.items())
        log.info("%d customers have messages waiting", len(due))

    @app.timer(tick_s)
    async def wake_due_customers() -> None:
        for key in due.take(clock()):
            await produce(app, wakeups, key.encode(), b"{}")


def install_orders(
    app: faust.App,
    topics: Topics,
    orders: MutableMapping[str, OrderState],
    reject: Reject,
    clock: Clock,
) -> None:
    """Register the orders agent: order index records and incomplete order events in, keyed by
    order; completed events back to the events topic, keyed by customer."""
    emit = partial(produce, app)

    @app.agent(app.topic(topics.orders))
    async def resolve_orders(stream: faust.StreamT) -> None:
        async for message in stream.events():
            key = message.key.decode()
            ids = read_index(message.value)
            if ids is not None:
                result = learn(ids, orders.get(key))
            else:
                event = await read_or_reject(message, as_received(decode_event, message), reject)
                if event is None:
                    continue
                result = resolve(event, orders.get(key))
                for record in held_records(event, result, clock()):
                    await emit(topics.decisions, message.key, encode(record))
                if result.dropped:
                    await reject(message, result.dropped)
            if result.state is not None:
                orders[key] = result.state
            passed_on = message.message.headers or None  # a replay's header goes on with it
            for ready in result.ready:
                ready_key = ready.partitionkey.encode()
                await emit(topics.events, ready_key, encode(ready), None, passed_on)
