"""Bought together: purchase records, their fold into bounded counts, and the suggestions."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.codec import InvalidMessage
from schemas.events import OrderPlaced
from streams.together import (
    SEEN,
    WITH,
    Entry,
    complements,
    fold,
    purchase_records,
    read_record,
)

NAMES = {"A": "Mug", "B": "Tea", "C": "Spoon", "D": "Kettle", "E": "Cups"}


def placed(order_id: str, *skus: str, names: dict[str, str] = NAMES) -> OrderPlaced:
    items = [
        {"sku": sku, "name": names.get(sku, sku.lower()), "quantity": 1, "unit_price": "1.00"}
        for sku in skus
    ]
    return OrderPlaced.model_validate(
        {
            "customer_id": "c1",
            "order_id": order_id,
            "order_number": f"#{order_id}",
            "currency": "EUR",
            "total": "1.00",
            "items": items,
        }
    )


def count(orders: list[OrderPlaced]) -> dict[str, Entry]:
    """What the products agent's table holds after these orders."""
    table: dict[str, Entry] = {}
    for order in orders:
        for sku, raw in purchase_records(order):
            table[sku] = fold(table.get(sku), read_record(raw))
    return table


def test_each_distinct_sku_gets_one_record_naming_the_others() -> None:
    # given an order with the mug on two lines, and tea
    order = placed("o1", "A", "B", "A")
    # when it becomes purchase records
    records = {sku: orjson.loads(raw) for sku, raw in purchase_records(order)}
    # then each product has one, naming the other
    assert records == {
        "A": {"order_id": "o1", "name": "Mug", "with": {"B": "Tea"}},
        "B": {"order_id": "o1", "name": "Tea", "with": {"A": "Mug"}},
    }


def test_an_order_of_one_product_pairs_nothing_and_costs_nothing() -> None:
    assert purchase_records(placed("o1", "D", "D")) == []


def test_the_product_bought_together_more_often_comes_first() -> None:
    # given A+B twice and A+C once
    table = count([placed("o1", "A", "B"), placed("o2", "A", "B"), placed("o3", "A", "C")])
    # then A counts B twice and C once
    assert table["A"]["with"] == {
        "B": {"name": "Tea", "count": 2},
        "C": {"name": "Spoon", "count": 1},
    }
    # and for an order of A, B comes before C
    assert complements(table.get, ["A"], (), 3) == [
        {"sku": "B", "name": "Tea"},
        {"sku": "C", "name": "Spoon"},
    ]


def test_counts_are_summed_over_the_orders_products() -> None:
    # given D bought with A once and with B twice, C with A twice
    orders = [placed("o1", "A", "D"), placed("o2", "B", "D"), placed("o3", "B", "D")]
    orders += [placed("o4", "A", "C"), placed("o5", "A", "C")]
    table = count(orders)
    # then for an order of A and B, D (1 + 2) beats C (2)
    assert [p["sku"] for p in complements(table.get, ["A", "B"], (), 3)] == ["D", "C"]


def test_ties_go_to_the_smaller_sku_and_at_most_n_come_back() -> None:
    table = count([placed("o1", "A", "E", "C", "B")])
    assert [p["sku"] for p in complements(table.get, ["A"], (), 2)] == ["B", "C"]
    assert complements(table.get, ["A"], (), 0) == []


def test_products_of_the_order_or_excluded_are_never_suggested() -> None:
    table = count([placed("o1", "A", "B", "C", "D")])
    picks = complements(table.get, ["A", "B"], {"C"}, 5)
    assert picks == [{"sku": "D", "name": "Kettle"}]


def test_an_unknown_product_gets_no_suggestions() -> None:
    assert complements(count([placed("o1", "A", "B")]).get, ["Z"], (), 3) == []


def test_a_renamed_product_is_suggested_by_its_latest_name() -> None:
    # given B bought with A as "Tea", then renamed in a later order without A
    table = count([placed("o1", "A", "B")])
    renamed = dict(purchase_records(placed("o2", "B", "C", names={"B": "Green tea"})))
    table["B"] = fold(table["B"], read_record(renamed["B"]))
    # then A's suggestion uses the new name
    assert complements(table.get, ["A"], (), 1) == [{"sku": "B", "name": "Green tea"}]


def test_a_record_read_again_changes_nothing() -> None:
    # given A's entry after an order of A and B
    (_, raw), _ = purchase_records(placed("o1", "A", "B"))
    entry = fold(None, read_record(raw))
    # when the same record is folded in again (a redelivery)
    again = fold(entry, read_record(raw))
    # then the entry is the same object: nothing to write
    assert again is entry
    assert entry["with"]["B"]["count"] == 1


def test_only_the_last_seen_orders_are_remembered() -> None:
    entry: Entry | None = None
    for i in range(SEEN + 5):
        entry = fold(entry, {"order_id": f"o{i}", "name": "Mug", "with": {"B": "Tea"}})
    assert entry is not None
    assert entry["orders"] == [f"o{i}" for i in range(5, SEEN + 5)]
    # an order older than that would count again: the documented limit
    assert fold(entry, {"order_id": "o0", "name": "Mug", "with": {"B": "Tea"}}) is not entry


def test_a_full_entry_lets_a_new_product_in_at_the_least_counted_place() -> None:
    # given an entry full of products bought twice, P000 to P049
    entry: Entry | None = None
    others = {f"P{i:03}": f"p{i}" for i in range(WITH)}
    for i in range(2):
        entry = fold(entry, {"order_id": f"o{i}", "name": "Mug", "with": others})
    # when a product not yet counted is bought with it
    entry = fold(entry, {"order_id": "new", "name": "Mug", "with": {"NEW": "New"}})
    # then it takes the least-counted place (ties: the smallest SKU), one above its count
    assert len(entry["with"]) == WITH
    assert "P000" not in entry["with"]
    assert entry["with"]["NEW"] == {"name": "New", "count": 3}


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        None,
        b"[]",
        b'{"name": "Mug", "with": {}}',
        b'{"order_id": "o1", "name": "Mug", "with": {"B": 3}}',
        b'{"order_id": "o1", "name": 1, "with": {}}',
    ],
)
def test_anything_but_a_purchase_record_is_refused(raw: bytes | None) -> None:
    with pytest.raises(InvalidMessage):
        read_record(raw)


# Properties, over orders drawn from a few products (fewer than WITH: nothing is evicted).
SKUS = st.sampled_from("ABCDEFGH")
ORDERS = st.lists(st.lists(SKUS, min_size=1, max_size=5), max_size=12).map(
    lambda baskets: [placed(f"o{i}", *skus) for i, skus in enumerate(baskets)]
)


@given(ORDERS, st.lists(SKUS, max_size=3), st.lists(SKUS, max_size=3), st.integers(0, 8))
def test_never_a_product_of_the_order_or_excluded_and_at_most_n(
    orders: list[OrderPlaced], in_order: list[str], exclude: list[str], n: int
) -> None:
    picks = complements(count(orders).get, in_order, exclude, n)
    assert len(picks) <= n
    assert not {p["sku"] for p in picks} & (set(in_order) | set(exclude))
    assert len({p["sku"] for p in picks}) == len(picks)


@given(ORDERS, st.lists(SKUS, max_size=4), st.lists(SKUS, max_size=3), st.randoms())
def test_the_same_question_gets_the_same_answer(
    orders: list[OrderPlaced], in_order: list[str], exclude: list[str], rnd: Any
) -> None:
    table = count(orders)
    first = complements(table.get, in_order, exclude, 3)
    shuffled_order, shuffled_exclude = list(in_order), list(exclude)
    rnd.shuffle(shuffled_order)
    rnd.shuffle(shuffled_exclude)
    assert complements(table.get, shuffled_order, set(shuffled_exclude), 3) == first


@given(ORDERS)
def test_a_pair_bought_together_is_counted_alike_from_both_sides(
    orders: list[OrderPlaced],
) -> None:
    table = count(orders)
    for x, y in itertools.permutations(table, 2):
        together = sum(1 for o in orders if {x, y} <= {i.sku for i in o.items})
        from_x = table[x]["with"].get(y, {}).get("count", 0)
        from_y = table[y]["with"].get(x, {}).get("count", 0)
        assert from_x == from_y == together


@given(ORDERS)
def test_every_order_delivered_twice_counts_once(orders: list[OrderPlaced]) -> None:
    # given the records of every order published twice in a row (the customers agent replayed)
    assert count([o for order in orders for o in (order, order)]) == count(orders)


@given(st.lists(st.lists(st.integers(0, 3 * WITH), min_size=1, max_size=20), max_size=30))
def test_an_entry_never_grows_past_its_bounds(baskets: list[list[int]]) -> None:
    table = count([placed(f"o{i}", *(f"S{s}" for s in b)) for i, b in enumerate(baskets)])
    for entry in table.values():
        assert len(entry["with"]) <= WITH
        assert len(entry["orders"]) <= SEEN
