"""Timing as a customer notices it: messages wait for the morning, the cap, their day; some
are cancelled by later news; none is lost and none is sent twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from deciding import POLICY
from deciding import PROFILE as BASE_PROFILE
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codec import new_event
from schemas.decision import DecisionRecord
from schemas.events import CloudEvent
from schemas.notification import NotificationRequest
from streams.decide import quiet_hours, switch
from streams.handle import Context, on_event, on_wake
from streams.plans import Plan, next_due
from streams.policy import Offer
from streams.profiles import Preferences
from streams.timing import zone

EVENING = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 23:00 in Helsinki
NOON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 12:00 in Helsinki
PROFILE: dict[str, Any] = {
    **BASE_PROFILE,
    "timezone": "Europe/Helsinki",
    "first_time_buyer": True,
    "recent_orders": [
        {"order_id": "o1", "number": "#1001", "items": [{"sku": "MUG", "name": "Mug"}]}
    ],
}
EVERYTHING: Preferences = {
    "transactional": {"email": True, "sms": True, "push": True},
    "marketing": {"email": True, "sms": True, "push": True},
}
ORDER = {"customer_id": "c1", "order_id": "o1", "order_number": "#1001"}
PARCEL = {**ORDER, "fulfillment_id": "f1", "tracking_number": "JJ1"}
ITEMS = [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "9.00"}]
COUNTER = iter(range(10**9))


def event(kind: str, at: datetime, **data: Any) -> CloudEvent:
    body: dict[str, Any] = {
        "order.placed": {**ORDER, "currency": "EUR", "total": "9.00", "items": ITEMS},
        "order.refunded": {**ORDER, "currency": "EUR", "amount": "9.00"},
        "order.cancelled": dict(ORDER),
        "fulfillment.shipped": dict(PARCEL),
        "fulfillment.out_for_delivery": dict(PARCEL),
        "fulfillment.delivered": dict(PARCEL),
        "fulfillment.delayed": dict(PARCEL),
        "checkout.abandoned": {
            "customer_id": "c1",
            "checkout_id": "k1",
            "currency": "EUR",
            "total": "9.00",
            "items": ITEMS,
            "recovery_url": "https://shop.example/cart/k1",
        },
    }[kind]
    return new_event(kind, {**body, **data}, source="test", event_id=f"e{next(COUNTER)}", time=at)


def suggest(skus: Sequence[str], exclude: Any, n: int) -> list[dict[str, Any]]:
    return [s for s in ({"sku": "TEA", "name": "Tea"}, {"sku": "MUG", "name": "Mug"})
            if s["sku"] not in exclude][:n]  # fmt: skip


@dataclass
class Customer:
    """One customer's plan, fed events and clock ticks the way the agent does."""

    prefs: Preferences | None = field(default_factory=lambda: dict(EVERYTHING))
    profile: dict[str, Any] = field(default_factory=lambda: dict(PROFILE))
    plan: Plan | None = None
    requests: list[NotificationRequest] = field(default_factory=list)
    records: list[DecisionRecord] = field(default_factory=list)

    def ctx(self, now: datetime) -> Context:
        policy = POLICY.__class__(**{**POLICY.__dict__, "offer": Offer("THANKS10", 10)})
        return Context(self.profile, self.prefs, policy, now, suggest)

    def send(self, e: CloudEvent, now: datetime | None = None) -> list[NotificationRequest]:
        return self._take(on_event(e, self.plan, self.ctx(now or e.time)))

    def wake(self, now: datetime) -> list[NotificationRequest]:
        return self._take(on_wake(self.plan, self.ctx(now)))

    def _take(self, outcome: Any) -> list[NotificationRequest]:
        self.plan = outcome.plan
        self.requests += outcome.requests
        self.records += outcome.records
        return list(outcome.requests)


def channels(requests: list[NotificationRequest]) -> dict[str, str]:
    return {r.channel: r.template for r in requests}


def test_a_late_evening_text_waits_for_the_morning_and_email_does_not() -> None:
    customer = Customer()
    sent = customer.send(event("fulfillment.out_for_delivery", EVENING))
    assert channels(sent) == {"email": "fulfillment.out_for_delivery"}
    deferred = [c for r in customer.records for c in r.channels if c.outcome == "deferred"]
    morning = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 08:00 in Helsinki
    assert {c.channel for c in deferred} == {"sms", "push"}
    assert all(c.until == morning for c in deferred)
    assert "quiet hours (21:00-08:00 Europe/Helsinki)" in (deferred[0].reason or "")
    assert customer.wake(morning - timedelta(minutes=1)) == []
    assert channels(customer.wake(morning)) == {
        "sms": "fulfillment.out_for_delivery",
        "push": "fulfillment.out_for_delivery",
    }
    assert customer.wake(morning + timedelta(hours=1)) == []  # fired once


def test_the_customers_own_quiet_hours_win() -> None:
    customer = Customer()
    assert customer.prefs is not None
    customer.prefs["quiet_hours"] = {"start": "00:00", "end": "00:00"}  # none at all
    assert set(channels(customer.send(event("fulfillment.shipped", EVENING)))) == {
        "email",
        "sms",
        "push",
    }


def test_a_delay_notice_cancels_the_waiting_arriving_today_text() -> None:
    customer = Customer()
    customer.send(event("fulfillment.out_for_delivery", EVENING))
    customer.send(event("fulfillment.delayed", EVENING + timedelta(hours=2)))
    cancelled = [r for r in customer.records if r.outcome == "cancelled"]
    assert {(r.event_type, r.reason) for r in cancelled} == {
        ("fulfillment.out_for_delivery", "by a delay notice")
    }
    morning = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert "fulfillment.out_for_delivery" not in channels(customer.wake(morning)).values()


def test_news_older_than_what_the_parcel_reached_sends_nothing() -> None:
    customer = Customer()
    customer.send(event("fulfillment.delivered", NOON))
    assert customer.send(event("fulfillment.out_for_delivery", NOON + timedelta(minutes=5))) == []
    assert customer.send(event("fulfillment.delayed", NOON + timedelta(minutes=6))) == []
    stale = [r.reason for r in customer.records if r.outcome == "suppressed"]
    assert stale == [
        "stale: the parcel already reached delivered",
        "stale: the parcel was already delivered",
    ]


def test_a_review_request_comes_seven_days_after_delivery_with_what_was_bought() -> None:
    customer = Customer()
    customer.send(event("fulfillment.delivered", NOON))
    assert customer.wake(NOON + timedelta(days=6, hours=23)) == []
    sent = customer.wake(NOON + timedelta(days=7))
    email = next(r for r in sent if r.channel == "email")
    assert email.template == "review.request"
    assert email.data["order"] == {"number": "#1001", "items": [{"sku": "MUG", "name": "Mug"}]}
    assert email.data["recommendations"] == [{"sku": "TEA", "name": "Tea"}]  # never the mug
    assert customer.wake(NOON + timedelta(days=8)) == []
    # Another parcel of the same order delivered later asks for no second review.
    customer.send(event("fulfillment.delivered", NOON + timedelta(days=9), fulfillment_id="f2"))
    assert customer.wake(NOON + timedelta(days=30)) == []


def test_a_refund_cancels_the_review_request() -> None:
    customer = Customer()
    customer.send(event("fulfillment.delivered", NOON))
    customer.send(event("order.refunded", NOON + timedelta(days=2)))
    assert customer.wake(NOON + timedelta(days=8)) == []
    assert [r.reason for r in customer.records if r.outcome == "cancelled"] == ["by a refund"]


def test_marketing_extras_only_with_consent() -> None:
    consenting, other = Customer(), Customer(prefs={"transactional": {"email": True}})
    placed = event("order.placed", NOON)
    with_extras = consenting.send(placed)[0].data
    assert with_extras["offer"] == {"code": "THANKS10", "percent": 10}
    assert with_extras["recommendations"] == [{"sku": "TEA", "name": "Tea"}]
    plain = other.send(placed)[0].data
    assert "offer" not in plain and "recommendations" not in plain


def test_checkout_reminders_come_after_1_and_24_hours_until_an_order_is_placed() -> None:
    customer = Customer(prefs={"marketing": {"email": True}})
    customer.send(event("checkout.abandoned", NOON))
    first = customer.wake(NOON + timedelta(hours=1))
    assert [(r.channel, r.template, r.data["reminder"]) for r in first] == [
        ("email", "checkout.reminder", 1)
    ]
    customer.send(event("order.placed", NOON + timedelta(hours=2)))
    assert customer.wake(NOON + timedelta(days=2)) == []
    cancelled = [r for r in customer.records if r.outcome == "cancelled"]
    assert [(r.event_type, r.reason) for r in cancelled] == [
        ("checkout.reminder", "by the order placed")
    ]


def test_the_marketing_cap_defers_the_second_offer_of_the_day() -> None:
    customer = Customer(prefs={"marketing": {"email": True}})
    customer.send(event("checkout.abandoned", NOON))
    customer.send(event("checkout.abandoned", NOON, checkout_id="k2"))
    first = customer.wake(NOON + timedelta(hours=1))
    assert len(first) == 1  # two reminders due, one fits under the cap
    assert customer.wake(NOON + timedelta(hours=24, minutes=59)) == []
    assert len(customer.wake(NOON + timedelta(hours=25))) == 1


def test_an_unsubscribe_reaches_messages_already_waiting() -> None:
    customer = Customer()
    customer.send(event("fulfillment.delivered", NOON))
    customer.prefs = {"marketing": {"email": False, "sms": False, "push": False}}
    assert customer.wake(NOON + timedelta(days=7)) == []
    last = customer.records[-1]
    assert {c.outcome for c in last.channels} == {"suppressed"}


# --- properties over any story ----------------------------------------------------------

KINDS = [
    "order.placed",
    "fulfillment.shipped",
    "fulfillment.out_for_delivery",
    "fulfillment.delivered",
    "fulfillment.delayed",
    "order.refunded",
    "order.cancelled",
    "checkout.abandoned",
]
SWITCHES = st.fixed_dictionaries({c: st.booleans() for c in ("email", "sms", "push")})
PREFS = st.fixed_dictionaries({"transactional": SWITCHES, "marketing": SWITCHES})
STEP = st.one_of(
    st.tuples(st.just("event"), st.sampled_from(KINDS), st.sampled_from(["f1", "f2"])),
    st.tuples(st.just("prefs"), PREFS, st.none()),
    st.tuples(st.just("wait"), st.integers(1, 40 * 60), st.none()),  # minutes
)


@settings(max_examples=150, deadline=None)
@given(start=st.integers(0, 47), steps=st.lists(STEP, max_size=25), prefs=PREFS)
def test_timing_rules_hold_in_any_story(
    start: int, steps: list[tuple[str, Any, Any]], prefs: Preferences
) -> None:
    customer = Customer(prefs=prefs)
    now = NOON + timedelta(minutes=30 * start)

    def check(requests: list[NotificationRequest]) -> None:
        for r in requests:
            # An unsubscribed channel never receives; marketing never without consent.
            on, _, _ = switch(customer.prefs, customer.profile, _category(r.template), r.channel)
            assert on, (r.channel, r.template, customer.prefs)
            # SMS and push never inside quiet hours, in the customer's local time.
            if r.channel in ("sms", "push"):
                local = now.astimezone(zone("Europe/Helsinki")).time()
                assert not quiet_hours(customer.prefs, POLICY).contains(local)

    for step, value, parcel in steps:
        if step == "event":
            extra = {"fulfillment_id": parcel} if value.startswith("fulfillment.") else {}
            check(customer.send(event(value, now, **extra), now))
        elif step == "prefs":
            customer.prefs = value
        else:
            now += timedelta(minutes=value)
            check(customer.wake(now))
    # Every waiting message is eventually sent, or cancelled, or not sent for a reason.
    for _ in range(100):
        due = next_due(customer.plan)
        if due is None:
            break
        now = max(now, due)
        check(customer.wake(now))
    assert next_due(customer.plan) is None
    ids = [r.notification_id for r in customer.requests]
    assert len(ids) == len(set(ids)), "a message was sent twice"


def _category(template: str) -> str:
    return "marketing" if template in ("checkout.reminder", "review.request") else "transactional"
