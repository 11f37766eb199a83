"""Loyalty points an order earns, and the tier a balance reaches."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from streams.loyalty import points_for, tier_for

TIERS = {"bronze": 0, "silver": 500, "gold": 2000}


def test_points_are_the_rate_times_the_amount_rounded_down() -> None:
    assert points_for(Decimal("52.30"), 1) == 52
    assert points_for(Decimal("52.99"), 1.0) == 52
    assert points_for(Decimal("10.00"), 2.5) == 25
    assert points_for(Decimal("9.99"), Decimal("0.5")) == 4


def test_a_float_rate_earns_what_it_says_not_what_binary_makes_of_it() -> None:
    assert points_for(Decimal("100"), 0.29) == 29  # 0.29 * 100 is 28.999... in floats


def test_no_points_for_nothing_or_for_a_negative_amount() -> None:
    assert points_for(Decimal("0.99"), 1) == 0
    assert points_for(Decimal("-5.00"), 1) == 0
    assert points_for(Decimal("50.00"), 0) == 0


def test_the_tier_is_the_highest_threshold_reached() -> None:
    assert tier_for(0, TIERS) == "bronze"
    assert tier_for(499, TIERS) == "bronze"
    assert tier_for(500, TIERS) == "silver"
    assert tier_for(1999, TIERS) == "silver"
    assert tier_for(2000, TIERS) == "gold"
    assert tier_for(10**9, TIERS) == "gold"


def test_below_every_threshold_there_is_no_tier() -> None:
    assert tier_for(99, {"silver": 100, "gold": 1000}) is None
    assert tier_for(5000, {}) is None


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.decimals(0, 100, places=3))
def test_points_are_never_negative_nor_more_than_the_exact_product(
    amount: Decimal, rate: Decimal
) -> None:
    points = points_for(amount, rate)
    assert 0 <= points <= rate * amount < points + 1


@given(st.integers(0, 10**7), st.integers(0, 10**7))
def test_more_points_never_lower_the_tier(a: int, b: int) -> None:
    rank = {None: -1, **{name: i for i, name in enumerate(TIERS)}}
    assert rank[tier_for(min(a, b), TIERS)] <= rank[tier_for(max(a, b), TIERS)]
