"""Order history and loyalty folded into the profile: counts, spend, points and tiers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import OrderCancelled, OrderPlaced, OrderRefunded
from streams.profiles import Profile
from streams.purchases import RECENT, apply_cancellation, apply_order, apply_refund

TIERS = {"bronze": 0, "silver": 500, "gold": 2000}
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def placed(order_id: str = "o1", total: str = "52.30", currency: str = "EUR") -> OrderPlaced:
    item = {"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": total}
    return OrderPlaced.model_validate(
        {
            "customer_id": "c1",
            "order_id": order_id,
            "order_number": f"#{order_id}",
            "currency": currency,
            "total": total,
            "items": [item],
        }
    )


def refunded(order_id: str = "o1", amount: str = "10.00", currency: str = "EUR") -> OrderRefunded:
    return OrderRefunded(order_id=order_id, customer_id="c1", currency=currency, amount=amount)


def order(profile: Profile | None, data: OrderPlaced, at: datetime = T0) -> Profile:
    return apply_order(profile, data, points_per_unit=1, tiers=TIERS, at=at)


def refund(profile: Profile | None, data: OrderRefunded, refund_id: str = "r1") -> Any:
    return apply_refund(profile, data, refund_id=refund_id, points_per_unit=1, tiers=TIERS)


def cancel(profile: Profile | None, order_id: str = "o1") -> Any:
    return apply_cancellation(profile, OrderCancelled(order_id=order_id), tiers=TIERS)


def test_a_first_order_makes_a_first_time_buyer_with_points() -> None:
    profile = order(None, placed(total="52.30"))
    assert profile["customer_id"] == "c1"
    assert profile["order_count"] == 1
    assert profile["first_time_buyer"] is True
    assert profile["lifetime_spend"] == {"EUR": "52.30"}
    assert profile["first_order_at"] == profile["last_order_at"] == "2026-11-23T12:00:00+00:00"
    assert profile["loyalty_points"] == 52
    assert profile["loyalty_tier"] == "bronze"


def test_a_second_order_adds_up_exactly_and_ends_first_time_buying() -> None:
    profile = order(order(None, placed("o1", "0.10")), placed("o2", "0.20"), T0 + timedelta(days=3))
    assert profile["order_count"] == 2
    assert profile["first_time_buyer"] is False
    assert profile["lifetime_spend"] == {"EUR": "0.30"}
    assert profile["last_order_at"] == "2026-11-26T12:00:00+00:00"
    assert profile["first_order_at"] == "2026-11-23T12:00:00+00:00"


def test_an_older_order_arriving_late_moves_only_the_first_order_time() -> None:
    profile = order(order(None, placed("o2")), placed("o1"), T0 - timedelta(days=30))
    assert profile["first_order_at"] == "2026-10-24T12:00:00+00:00"
    assert profile["last_order_at"] == "2026-11-23T12:00:00+00:00"


def test_spend_is_kept_per_currency() -> None:
    profile = order(order(None, placed("o1", "52.30", "EUR")), placed("o2", "9900", "HUF"))
    assert profile["lifetime_spend"] == {"EUR": "52.30", "HUF": "9900"}


def test_tiers_follow_the_balance_up() -> None:
    profile = order(None, placed("o1", "499.99"))
    assert (profile["loyalty_points"], profile["loyalty_tier"]) == (499, "bronze")
    profile = order(profile, placed("o2", "1.00"))
    assert (profile["loyalty_points"], profile["loyalty_tier"]) == (500, "silver")
    profile = order(profile, placed("o3", "1500.00"))
    assert (profile["loyalty_points"], profile["loyalty_tier"]) == (2000, "gold")


def test_a_partial_refund_takes_back_the_points_for_what_was_refunded() -> None:
    profile = refund(order(None, placed(total="52.30")), refunded(amount="10.00"))
    assert profile["lifetime_spend"] == {"EUR": "42.30"}
    assert profile["loyalty_points"] == 42
    assert profile["order_count"] == 1  # a refunded order was still bought


def test_a_refund_can_drop_the_tier() -> None:
    profile = refund(order(None, placed(total="600.00")), refunded(amount="200.00"))
    assert (profile["loyalty_points"], profile["loyalty_tier"]) == (400, "bronze")


def test_a_full_refund_in_parts_takes_back_every_point_and_no_more() -> None:
    profile = order(order(None, placed("o0", "20.00")), placed("o1", "10.50"))
    profile = refund(profile, refunded(amount="5.25"), "r1")
    profile = refund(profile, refunded(amount="5.25"), "r2")
    assert profile["loyalty_points"] == 20
    assert profile["lifetime_spend"] == {"EUR": "20.00"}
    profile = refund(profile, refunded(amount="99.00"), "r3")  # more than is left of o1
    assert profile["loyalty_points"] == 20
    assert profile["lifetime_spend"] == {"EUR": "20.00"}


def test_a_refund_larger_than_the_order_takes_back_only_the_order() -> None:
    profile = refund(order(None, placed(total="30.00")), refunded(amount="45.00"))
    assert profile["lifetime_spend"] == {"EUR": "0.00"}
    assert profile["loyalty_points"] == 0


def test_a_cancelled_order_is_uncounted_and_gives_back_its_points_and_spend() -> None:
    profile = order(order(None, placed("o1", "52.30")), placed("o2", "20.00"))
    profile = cancel(profile, "o2")
    assert profile["order_count"] == 1
    assert profile["first_time_buyer"] is True
    assert profile["lifetime_spend"] == {"EUR": "52.30"}
    assert profile["loyalty_points"] == 52


def test_cancelling_after_a_partial_refund_does_not_take_the_refund_twice() -> None:
    profile = refund(order(None, placed(total="52.30")), refunded(amount="10.00"))
    profile = cancel(profile)
    assert profile["lifetime_spend"] == {"EUR": "0.00"}
    assert profile["loyalty_points"] == 0
    assert profile["order_count"] == 0


def test_a_refund_after_the_cancellation_changes_nothing_more() -> None:
    cancelled = cancel(order(None, placed(total="52.30")))
    after = refund(cancelled, refunded(amount="52.30"))
    assert after["lifetime_spend"] == cancelled["lifetime_spend"] == {"EUR": "0.00"}
    assert after["loyalty_points"] == 0


def test_the_same_order_twice_counts_once() -> None:
    once = order(None, placed())
    assert order(once, placed()) is once


def test_the_same_refund_twice_is_taken_once() -> None:
    once = refund(order(None, placed(total="52.30")), refunded(amount="10.00"), "r1")
    assert refund(once, refunded(amount="10.00"), "r1") is once
    assert once["lifetime_spend"] == {"EUR": "42.30"}


def test_the_same_cancellation_twice_is_undone_once() -> None:
    once = cancel(order(order(None, placed("o1")), placed("o2")), "o1")
    assert cancel(once, "o1") is once
    assert once["order_count"] == 1


def test_refunds_and_cancellations_of_orders_never_seen_earn_or_cost_nothing() -> None:
    profile = order(None, placed("o1", "52.30"))
    assert cancel(profile, "elsewhere") is profile
    assert refund(profile, refunded("elsewhere", "30.00")) is profile
    assert refund(None, refunded()) is None
    assert cancel(None) is None


def test_a_refund_in_another_currency_than_the_order_is_not_subtracted() -> None:
    profile = order(None, placed(total="52.30", currency="EUR"))
    assert refund(profile, refunded(amount="10.00", currency="USD")) is profile


def test_only_the_recent_orders_and_refunds_are_remembered() -> None:
    profile: Profile | None = None
    for n in range(RECENT + 10):
        profile = order(profile, placed(f"o{n}", "1.00"))
        profile = refund(profile, refunded(f"o{n}", "0.50"), f"r{n}")
    assert profile is not None
    assert len(profile["recent_orders"]) == len(profile["recent_refunds"]) == RECENT
    assert profile["recent_orders"][0]["order_id"] == "o10"
    assert profile["order_count"] == RECENT + 10


def test_the_profile_survives_a_json_round_trip() -> None:
    profile = cancel(refund(order(None, placed()), refunded()), "o1")
    assert json.loads(json.dumps(profile)) == profile


# Properties over any mix of orders, refunds and cancellations, each event a fixed payload
# (a redelivered event is the same event), as the at-least-once pipeline hands them over:
# an order's news after the order, anything redelivered at any later point.
AMOUNTS = st.decimals(min_value=0, max_value=10**6, places=2).map(lambda d: format(d, "f"))
ORDERS = st.lists(
    st.tuples(AMOUNTS, st.sampled_from(["EUR", "HUF", "JPY"])), min_size=1, max_size=6
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Any], list[tuple[str, Any]]]:
    orders = draw(ORDERS)
    n = len(orders)
    refunds = draw(st.lists(st.tuples(st.integers(0, n - 1), AMOUNTS), max_size=6))
    events: list[tuple[str, Any]] = [("place", i) for i in range(n)]
    events += [("refund", j) for j in range(len(refunds))]
    events += draw(st.lists(st.tuples(st.just("cancel"), st.integers(0, n - 1)), max_size=3))
    return [orders, refunds], placed_first(draw(st.permutations(events)), refunds)


def placed_first(events: list[tuple[str, Any]], refunds: list[Any]) -> list[tuple[str, Any]]:
    """Move each order's placement before its other news, as the orders agent delivers them."""
    ordered: list[tuple[str, Any]] = []
    for kind, i in events:
        order_index = refunds[i][0] if kind == "refund" else i
        if ("place", order_index) not in ordered:
            ordered.append(("place", order_index))
        if kind != "place":
            ordered.append((kind, i))
    return ordered


def apply(profile: Profile | None, book: list[Any], event: tuple[str, Any], rate: float) -> Any:
    orders, refunds = book
    kind, i = event
    if kind == "place":
        total, currency = orders[i]
        data = placed(f"o{i}", total, currency)
        at = T0 + timedelta(hours=i)
        return apply_order(profile, data, points_per_unit=rate, tiers=TIERS, at=at)
    if kind == "refund":
        o, amount = refunds[i]
        data = refunded(f"o{o}", amount, orders[o][1])
        return apply_refund(profile, data, refund_id=f"r{i}", points_per_unit=rate, tiers=TIERS)
    return cancel(profile, f"o{i}")


def run(book: list[Any], events: list[tuple[str, Any]], rate: float = 1.5) -> Any:
    profile: Profile | None = None
    for event in events:
        profile = apply(profile, book, event, rate)
    return profile


RATES = st.sampled_from([0, 0.01, 0.29, 1, 1.5, 10])


@settings(max_examples=200)
@given(histories(), RATES)
def test_points_are_never_negative_and_are_what_the_orders_still_hold(
    history: tuple[list[Any], list[tuple[str, Any]]], rate: float
) -> None:
    profile = run(*history, rate=rate)
    held = [o["points"] for o in (profile or {}).get("recent_orders", [])]
    assert all(points >= 0 for points in held)
    assert (profile or {}).get("loyalty_points", 0) == sum(held) >= 0


@settings(max_examples=200)
@given(histories(), st.data())
def test_applying_an_event_twice_equals_applying_it_once(
    history: tuple[list[Any], list[tuple[str, Any]]], data: st.DataObject
) -> None:
    book, events = history
    redelivered = [*events, *data.draw(st.lists(st.sampled_from(events), max_size=5))]
    doubled = [e for e in events for _ in range(2)]
    assert run(book, redelivered) == run(book, doubled) == run(book, events)


@settings(max_examples=200)
@given(histories())
def test_spend_is_exact_decimal_arithmetic(
    history: tuple[list[Any], list[tuple[str, Any]]],
) -> None:
    profile = run(*history)
    expected: dict[str, Decimal] = {}
    for o in profile["recent_orders"]:
        left = Decimal(0) if o["cancelled"] else Decimal(o["total"]) - Decimal(o["refunded"])
        expected[o["currency"]] = expected.get(o["currency"], Decimal(0)) + left
    assert {c: Decimal(v) for c, v in profile["lifetime_spend"].items()} == expected
    assert all(Decimal(v) >= 0 for v in profile["lifetime_spend"].values())


@given(st.lists(AMOUNTS, min_size=1, max_size=20))
def test_spend_of_many_orders_is_their_exact_sum(totals: list[str]) -> None:
    profile: Profile | None = None
    for n, total in enumerate(totals):
        profile = order(profile, placed(f"o{n}", total))
    assert profile is not None
    assert profile["lifetime_spend"]["EUR"] == format(sum(map(Decimal, totals)), "f")
