"""Bought together: co-purchase counts per product, and the suggestions drawn from them.

Each order placed becomes one purchase record per distinct SKU, keyed by that SKU on the
purchases topic: the SKU's name and the other SKUs (with names) bought in the same order. The
products agent folds each record into the product's entry, a JSON dict:

    {"name": "Mug", "with": {"TEA": {"name": "Tea", "count": 12}, ...}, "orders": ["o-9", ...]}

A count is a number of orders, not of units: two mugs and a tea count once for the pair.

Bounded: an entry keeps at most WITH co-purchased products, by the Space-Saving rule (Metwally,
Agrawal and El Abbadi, 2005). A product not yet counted, when the entry is full, takes the place
of the least-counted one and starts from that count plus one. Plain "keep the top K" would never
let a product in once every kept count is above one, so a product that becomes popular late
could never be suggested. Space-Saving keeps every product whose count is more than 1/WITH of
all the counts added to the entry, and a count it reports is too high by at most the count it
evicted. Only the first few products of an entry are ever suggested, and those sit far above
the evicted counts.

At least once: a record can arrive twice (the customers agent republishes the records of an
order.placed it reads again after a crash; the products agent reads a record again when its
table write reached the changelog before its offset was committed). An entry remembers the
last SEEN orders it counted and a record of one of them changes nothing. Faust commits offsets
at least every second (runtime/apps.py), so a redelivery repeats about a second's records: a
product would have to be bought in more than SEEN orders in that second to be counted twice.
Even then the counts of one order are only one too high, which a popularity signal tolerates.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import orjson

from schemas.codec import InvalidMessage
from schemas.events import OrderPlaced

WITH = 50
SEEN = 32

Entry = dict[str, Any]
Lookup = Callable[[str], Entry | None]


def purchase_records(order: OrderPlaced) -> list[tuple[str, bytes]]:
    """One (SKU, record) per distinct SKU of the order, for the purchases topic; none for an
    order of one product, which pairs it with nothing (a product's name reaches the counts with
    the orders that pair it)."""
    names: dict[str, str] = {}
    for item in order.items:
        names.setdefault(item.sku, item.name)
    if len(names) < 2:
        return []
    return [
        (sku, _record(order.order_id, name, {o: n for o, n in names.items() if o != sku}))
        for sku, name in names.items()
    ]


def _record(order_id: str, name: str, others: dict[str, str]) -> bytes:
    return orjson.dumps({"order_id": order_id, "name": name, "with": others})


def read_record(raw: bytes | None) -> dict[str, Any]:
    """A purchase record from its bytes; InvalidMessage if it is not one."""
    try:
        record = orjson.loads(raw or b"")
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage(f"purchase record: invalid JSON: {exc}") from None
    if not (
        isinstance(record, dict)
        and isinstance(record.get("order_id"), str)
        and isinstance(record.get("name"), str)
        and isinstance(record.get("with"), dict)
        and all(isinstance(n, str) for n in record["with"].values())
    ):
        raise InvalidMessage("purchase record: needs order_id, name and with {sku: name}")
    return record


def fold(entry: Entry | None, record: Mapping[str, Any]) -> Entry:
    """Count one purchase record into its product's entry; the entry itself if already counted."""
    if entry is not None and record["order_id"] in entry["orders"]:
        return entry
    counts: dict[str, dict[str, Any]] = {
        sku: dict(known) for sku, known in (entry or {}).get("with", {}).items()
    }
    for sku, name in sorted(record["with"].items()):
        if sku in counts:
            counts[sku] = {"name": name, "count": counts[sku]["count"] + 1}
            continue
        start = 0
        if len(counts) >= WITH:
            least = min(counts, key=lambda s: (counts[s]["count"], s))
            start = counts.pop(least)["count"]
        counts[sku] = {"name": name, "count": start + 1}
    seen = [*(entry or {}).get("orders", []), record["order_id"]][-SEEN:]
    return {"name": record["name"], "with": counts, "orders": seen}


def complements(
    lookup: Lookup, skus_in_order: Sequence[str], exclude: Collection[str], n: int
) -> list[dict[str, str]]:
    """Up to n products bought with the order's, most co-purchases first (then by SKU).

    Never one of the order's SKUs or of `exclude`. Names come from each product's own entry
    (its latest name) when it has one.
    """
    if n <= 0:
        return []
    skip = set(skus_in_order) | set(exclude)
    scores: dict[str, int] = {}
    names: dict[str, str] = {}
    for sku in sorted(set(skus_in_order)):
        for other, known in (lookup(sku) or {}).get("with", {}).items():
            if other not in skip:
                scores[other] = scores.get(other, 0) + known["count"]
                names.setdefault(other, known["name"])
    picks = []
    for sku in sorted(scores, key=lambda s: (-scores[s], s))[:n]:
        own = lookup(sku)
        picks.append({"sku": sku, "name": own["name"] if own else names[sku]})
    return picks
