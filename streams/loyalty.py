"""Loyalty arithmetic: points an amount earns and the tier a balance reaches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

Rate = Decimal | float | int


def points_for(amount: Decimal, points_per_unit: Rate) -> int:
    """Whole points for an amount: points_per_unit * amount, rounded down, never negative."""
    # Through str(): the float 0.29 is 0.28999..., and 0.29 * 100 must earn 29 points, not 28.
    rate = Decimal(str(points_per_unit))
    earned = (rate * amount).to_integral_value(rounding=ROUND_FLOOR)
    return max(0, int(earned))


def tier_for(points: int, tiers: Mapping[str, int]) -> str | None:
    """The tier with the highest threshold the balance reaches; None below every threshold."""
    reached = [(threshold, name) for name, threshold in tiers.items() if points >= threshold]
    return max(reached)[1] if reached else None


@dataclass(frozen=True)
class Loyalty:
    """The shop's loyalty programme: points per unit of money spent, and each tier's threshold."""

    points_per_unit: Rate
    tiers: Mapping[str, int]
