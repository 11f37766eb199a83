"""What a customer has bought, folded into the profile: counts, spend, loyalty points and tier.

Keys it keeps in the profile (all JSON; money as decimal strings, times as ISO 8601 in UTC):

- order_count: orders placed and not cancelled; first_time_buyer: order_count == 1;
- lifetime_spend: {"EUR": "52.30"}, per currency, net of refunds and cancellations;
- first_order_at, last_order_at: when an order was first and last placed (cancelled included);
- loyalty_points: the balance, never negative; loyalty_tier: the highest tier it reaches;
- recent_orders: the last RECENT orders, {order_id, number, items, currency, total, refunded,
  points, cancelled}, where items are [{sku, name}] and points is what the order still holds;
- recent_refunds: the ids of the last RECENT refunds applied.

The pipeline consumes at least once: an order, refund or cancellation applied again is
recognized by these and changes nothing. A refund or cancellation of an order not among the
recent ones changes nothing either and is not remembered: an order placed before the pipeline
saw it earned nothing here, and the orders agent passes on news of an order only after the
order itself (docs/events.md), so a redelivery after the order is the first that counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from schemas.events import OrderCancelled, OrderPlaced, OrderRefunded
from streams.loyalty import Rate, points_for, tier_for
from streams.profiles import Profile, new_profile

RECENT = 50
MAX_ITEMS = 20  # lines kept per order: what review requests ask about, never suggested again


def apply_order(
    profile: Profile | None,
    data: OrderPlaced,
    *,
    points_per_unit: Rate,
    tiers: Mapping[str, int],
    at: datetime,
) -> Profile:
    """Count a placed order, add its total to the spend and its points to the balance."""
    if profile is not None and _find(profile, data.order_id) is not None:
        return profile
    merged = dict(profile or new_profile(data.customer_id))
    total = Decimal(data.total)
    points = points_for(total, points_per_unit)
    order = {
        "order_id": data.order_id,
        "number": data.order_number,
        "items": [{"sku": i.sku, "name": i.name} for i in data.items[:MAX_ITEMS]],
        "currency": data.currency,
        "total": data.total,
        "refunded": "0",
        "points": points,
        "cancelled": False,
    }
    merged["recent_orders"] = [*merged.get("recent_orders", []), order][-RECENT:]
    merged["lifetime_spend"] = _spend(merged, data.currency, total)
    when = _utc(at)
    first, last = merged.get("first_order_at"), merged.get("last_order_at")
    merged["first_order_at"] = min(when, first, key=datetime.fromisoformat) if first else when
    merged["last_order_at"] = max(when, last, key=datetime.fromisoformat) if last else when
    _count(merged, +1)
    _balance(merged, merged.get("loyalty_points", 0) + points, tiers)
    return merged


def apply_refund(
    profile: Profile | None,
    data: OrderRefunded,
    *,
    refund_id: str,
    points_per_unit: Rate,
    tiers: Mapping[str, int],
) -> Profile | None:
    """Take a refund off the spend, and back the points the order no longer pays for.

    refund_id names the refund (the event id: ingest derives it from the shop's refund). The
    order keeps floor(points_per_unit * what is left of it) points, at most what it earned, so
    a full refund takes back all of them. A refund never takes more than is left of the order;
    one of an unknown or cancelled order, or in another currency than the order's, changes
    nothing. Returns the same profile object when nothing changes.
    """
    if profile is None:
        return None
    order = _find(profile, data.order_id)
    seen = profile.get("recent_refunds", [])
    if order is None or order["cancelled"] or order["currency"] != data.currency:
        return profile
    if refund_id in seen:
        return profile
    merged = dict(profile)
    merged["recent_refunds"] = [*seen, refund_id][-RECENT:]
    total, refunded = Decimal(order["total"]), Decimal(order["refunded"])
    amount = min(max(Decimal(data.amount), Decimal(0)), max(total - refunded, Decimal(0)))
    kept = min(order["points"], points_for(total - refunded - amount, points_per_unit))
    _replace(merged, {**order, "refunded": format(refunded + amount, "f"), "points": kept})
    merged["lifetime_spend"] = _spend(merged, data.currency, -amount)
    _balance(merged, merged.get("loyalty_points", 0) - (order["points"] - kept), tiers)
    return merged


def apply_cancellation(
    profile: Profile | None, data: OrderCancelled, *, tiers: Mapping[str, int]
) -> Profile | None:
    """Undo a cancelled order: uncount it, take off what is left of its spend and its points.

    Returns the same profile object when nothing changes.
    """
    if profile is None:
        return None
    order = _find(profile, data.order_id)
    if order is None or order["cancelled"]:
        return profile
    merged = dict(profile)
    left = Decimal(order["total"]) - Decimal(order["refunded"])
    _replace(merged, {**order, "points": 0, "cancelled": True})
    merged["lifetime_spend"] = _spend(merged, order["currency"], -max(left, Decimal(0)))
    _count(merged, -1)
    _balance(merged, merged.get("loyalty_points", 0) - order["points"], tiers)
    return merged


def _find(profile: Profile, order_id: str) -> dict[str, Any] | None:
    return next((o for o in profile.get("recent_orders", []) if o["order_id"] == order_id), None)


def _replace(merged: Profile, order: dict[str, Any]) -> None:
    merged["recent_orders"] = [
        order if o["order_id"] == order["order_id"] else o for o in merged["recent_orders"]
    ]


def _spend(merged: Profile, currency: str, change: Decimal) -> dict[str, str]:
    spend = dict(merged.get("lifetime_spend", {}))
    spend[currency] = format(Decimal(spend.get(currency, "0")) + change, "f")
    return spend


def _count(merged: Profile, change: int) -> None:
    merged["order_count"] = max(0, merged.get("order_count", 0) + change)
    merged["first_time_buyer"] = merged["order_count"] == 1


def _balance(merged: Profile, points: int, tiers: Mapping[str, int]) -> None:
    merged["loyalty_points"] = max(0, points)
    merged["loyalty_tier"] = tier_for(merged["loyalty_points"], tiers)


def _utc(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
