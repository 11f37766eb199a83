"""Order events on the real broker, through the real workers, into the provider sandbox."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer
from pydantic import SecretStr
from stacks import order_placed, stack_settings, wait_committed
from support_api import API_TOKEN, api_get, api_told, twilio_status

from aftercart.stack import Stack
from bench.measure import wait_until
from broker.reading import read_topic
from ingest.publisher import EventPublisher
from operate.explain import as_json
from operate.sources import read_story
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Sandbox and every pipeline worker, on their own topics of the session's broker."""
    data_dir = tmp_path_factory.mktemp("pipeline")
    settings = stack_settings(
        kafka_bootstrap,
        data_dir,
        push_allow_sandbox=True,
        receipts_accept_sandbox=True,
        api_tokens=[SecretStr(API_TOKEN)],
    )
    with Stack(settings, Path(settings.data_dir), own_broker=False) as running:
        running.start()
        yield running


@pytest.fixture(scope="module")
def sandbox(stack: Stack) -> SandboxClient:
    return SandboxClient(stack.settings.sandbox_url)


def publish(stack: Stack, *events: CloudEvent, raw: tuple[bytes, ...] = ()) -> None:
    with EventPublisher(stack.settings.kafka_bootstrap, stack.topics) as publisher:
        for value in raw:
            publisher.publish_raw(b"junk", value)
        for event in events:
            publisher.publish(event)


def customer(cid: str, *channels: str, sandbox: SandboxClient, **profile: Any) -> list[CloudEvent]:
    """Profile, channel choice and (for push) a browser subscription of a new customer."""
    events = [
        new_event(
            "customer.upserted",
            {
                "customer_id": cid,
                "first_name": cid.title(),
                "email": f"{cid}@example.com",
                "phone": "+358401234567",
                **profile,
            },
            source="test",
        ),
        new_event(
            "preferences.updated",
            {
                "customer_id": cid,
                "transactional": {c: c in channels for c in ("email", "sms", "push")},
                # Texts arrive at any hour the tests run (quiet hours have their own tests).
                "quiet_hours": {"start": "00:00", "end": "00:00"},
            },
            source="test",
        ),
    ]
    if "push" in channels:
        sub = sandbox.subscribe(cid)
        events.append(
            new_event(
                "webpush.subscribed", {"customer_id": cid, "subscription": sub}, source="test"
            )
        )
    return events


def placed(cid: str) -> CloudEvent:
    return order_placed(cid, f"o-{cid}", "#1001", total="19.90", sku="A")


def settle(stack: Stack) -> None:
    """Wait until every worker has committed everything on its input topic."""
    t = stack.topics
    pairs = [(t.streams_app_id, t.events)] + [
        (t.channel_app_id(c), t.notify(c)) for c in ("email", "sms", "push")
    ]
    wait_committed(stack, pairs, 60, "the pipeline to settle")


def arrivals(
    sandbox: SandboxClient, ids: set[str], timeout: float = 60
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def all_there() -> bool:
        for m in sandbox.messages(status="accepted"):
            if m.get("notification_id") in ids:
                found[m["notification_id"]] = m
        return set(found) == ids

    wait_until(all_there, timeout, f"notifications {sorted(ids - set(found))}")
    return found


def test_an_order_reaches_every_channel_the_customer_chose(
    stack: Stack, sandbox: SandboxClient
) -> None:
    # Given one customer who chose email, SMS and push, and one who chose email only
    everything = customer("aino", "email", "sms", "push", sandbox=sandbox)
    email_only = customer("emma", "email", sandbox=sandbox)
    aino_order, emma_order = placed("aino"), placed("emma")
    # When each places an order
    publish(stack, *everything, *email_only, aino_order, emma_order)
    # Then Aino hears on all three channels and Emma by email only
    wanted = {
        notification_id(aino_order.id, c, "order.placed"): c for c in ("email", "sms", "push")
    }
    wanted[notification_id(emma_order.id, "email", "order.placed")] = "email"
    got = arrivals(sandbox, set(wanted))
    assert {nid: m["channel"] for nid, m in got.items()} == wanted
    settle(stack)
    emma_ids = {notification_id(emma_order.id, c, "order.placed") for c in ("sms", "push")}
    assert not [m for m in sandbox.messages() if m.get("notification_id") in emma_ids]
    by_channel = {m["channel"]: m for m in got.values() if m["recipient"] != "emma@example.com"}
    assert by_channel["email"]["recipient"] == "aino@example.com"
    assert "#1001" in by_channel["email"]["subject"]
    assert by_channel["sms"]["recipient"] == "+358401234567"
    assert "Aino" in by_channel["push"]["text"] or "#1001" in by_channel["push"]["text"]
    # And explain tells Aino's email as sent, with the provider's id and its acceptance
    wait_until(lambda: channel_told(stack, "aino", "email")["state"] == "sent", 30, "the ledger")
    email = channel_told(stack, "aino", "email")
    assert email["provider_id"]
    assert [s["kind"] for s in email["steps"]] == ["decided", "accepted"]
    # And the shop's support tool reads the SMS as delivered once Twilio reports it
    sms = notification_id(aino_order.id, "sms", "order.placed")
    twilio_status(stack, sms, "aino", "delivered")
    told = api_told(stack, f"/notifications/{sms}", lambda n: n["state"] == "delivered")
    assert (told["channel"], told["customer_id"], told["failed"]) == ("sms", "aino", False)
    assert [s["kind"] for s in told["steps"]] == ["decided", "accepted", "receipt"]
    order = api_told(stack, "/orders/o-aino/notifications", lambda o: len(o["notifications"]) == 3)
    assert {n["channel"]: n["notification_id"] for n in order["notifications"]} == {
        c: notification_id(aino_order.id, c, "order.placed") for c in ("email", "sms", "push")
    }


def dead_letters(stack: Stack) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        stack.topics.deadletter,
        bootstrap_servers=stack.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    try:
        return [json.loads(record.value) for record in consumer]
    finally:
        consumer.close()


def test_a_bad_event_is_dead_lettered_and_the_stream_goes_on(
    stack: Stack, sandbox: SandboxClient
) -> None:
    # Given bytes that are not JSON and an event that breaks its schema
    broken = json.loads(placed("ville").model_dump_json())
    del broken["data"]["items"]
    garbage, invalid = b"\x00not json at all", json.dumps(broken).encode()
    good = placed("ville")
    # When they are published ahead of a good event
    publish(stack, *customer("ville", "email", sandbox=sandbox), raw=(garbage, invalid))
    publish(stack, good)
    # Then the good event is still delivered
    arrivals(sandbox, {notification_id(good.id, "email", "order.placed")})
    # And both bad messages are on the dead-letter topic with a reason and the original bytes
    letters = {base64.b64decode(d["original_b64"]): d for d in dead_letters(stack)}
    assert letters[garbage]["stage"] == "streams"
    assert "Invalid JSON" in letters[garbage]["reason"]
    assert "data.items: Field required" in letters[invalid]["reason"]


def test_a_message_the_provider_refuses_is_dead_lettered_with_its_error(
    stack: Stack, sandbox: SandboxClient
) -> None:
    # Given a customer whose email address SendGrid's contract refuses
    events = customer("bad", "email", sandbox=sandbox, email="not an address")
    order = placed("bad")
    # When they place an order
    publish(stack, *events, order)
    # Then the sandbox records the rejected request
    nid = notification_id(order.id, "email", "order.placed")
    wait_until(
        lambda: any(
            m.get("notification_id") == nid and m["status"] == "rejected"
            for m in sandbox.messages()
        ),
        60,
        "the rejection",
    )
    # And the notification is dead-lettered with the provider's error, not lost
    settle(stack)
    mine = [d for d in dead_letters(stack) if nid.encode() in base64.b64decode(d["original_b64"])]
    assert len(mine) == 1
    assert mine[0]["stage"] == "channel-email"
    assert mine[0]["reason"].startswith("permanent")
    # And explain tells it as dead-lettered, never as sent
    email = channel_told(stack, "bad", "email")
    assert email["state"] == "dead-lettered"
    assert email["steps"][-1]["kind"] == "dead"
    assert email["steps"][-1]["detail"].startswith("permanent")
    # And so does the shop's support tool on the gateway
    told = api_told(stack, f"/notifications/{nid}", lambda n: n["state"] != "pending")
    assert (told["state"], told["failed"]) == ("dead-lettered", True)
    assert api_get(stack, "/notifications/n-nobody").status_code == 404


def channel_told(stack: Stack, customer_id: str, channel: str) -> dict[str, Any]:
    """What `aftercart explain CUSTOMER --json` says of the customer's one message on CHANNEL."""
    story = read_story(stack.settings.kafka_bootstrap, stack.topics, timeout_s=10)
    told = as_json(story.decisions, customer_id, story.history)
    [found] = [c for e in told["events"] for c in e["channels"] if c["channel"] == channel]
    return found


def test_a_consenting_customer_is_shown_what_others_bought_with_it(
    stack: Stack, sandbox: SandboxClient
) -> None:
    def order(cid: str, n: int, *skus: str) -> CloudEvent:
        names = {"MUG": "Moomin mug", "TEA": "Sencha tea", "SPOON": "Tea spoon"}
        items = [{"sku": s, "name": names[s], "quantity": 1, "unit_price": "5.00"} for s in skus]
        data: dict[str, Any] = {"customer_id": cid, "order_id": f"o-{cid}-{n}"}
        data["order_number"] = f"#{n}"
        data |= {"currency": "EUR", "total": f"{5 * len(skus)}.00", "items": items}
        return new_event("order.placed", data, source="test")

    # Given two shoppers who bought a mug with tea, one a mug with a spoon
    buyers = [order("tove", 1, "MUG", "TEA"), order("tuula", 2, "MUG", "TEA")]
    buyers.append(order("tiina", 3, "MUG", "SPOON"))
    publish(stack, *customer("tove", "email", sandbox=sandbox), *buyers[:1])
    publish(stack, *customer("tuula", "email", sandbox=sandbox), buyers[1])
    publish(stack, *customer("tiina", "email", sandbox=sandbox), buyers[2])
    consenting = customer("aino2", "email", sandbox=sandbox, accepts_marketing=True)
    plain = customer("emma2", "email", sandbox=sandbox)
    publish(stack, *consenting, *plain)
    arrivals(sandbox, {notification_id(o.id, "email", "order.placed") for o in buyers})

    # When a customer who accepts offers buys a mug (the counts reach every worker a moment
    # after they are made, so she may need a second order to see them)
    def suggested(n: int) -> tuple[str, str]:
        mine, theirs = order("aino2", 10 + n, "MUG"), order("emma2", 20 + n, "MUG")
        publish(stack, mine, theirs)
        ids = {notification_id(o.id, "email", "order.placed"): o for o in (mine, theirs)}
        got = arrivals(sandbox, set(ids))
        by_customer = {ids[nid].data.customer_id: m["text"] for nid, m in got.items()}  # type: ignore[attr-defined]
        return by_customer["aino2"], by_customer["emma2"]

    for n in range(10):
        mine, theirs = suggested(n)
        if "Sencha tea" in mine:
            break
    # Then her confirmation suggests tea first (bought with mugs twice), never to the other
    assert "Customers who bought this also bought" in mine
    assert mine.index("Sencha tea") < mine.index("Tea spoon")
    assert "Sencha tea" not in theirs and "also bought" not in theirs


def test_an_order_published_twice_is_counted_once(stack: Stack, sandbox: SandboxClient) -> None:
    # Given a customer's order published twice (a Kafka timeout, then the shop's retry)
    first = placed("ville")
    publish(stack, *customer("ville", "email", sandbox=sandbox), first, first)
    arrivals(sandbox, {notification_id(first.id, "email", "order.placed")})
    # When she orders again
    second = order_placed("ville", "o-ville-2", "#1002", total="9.90", sku="B")
    publish(stack, second)
    wanted = notification_id(second.id, "email", "order.placed")
    arrivals(sandbox, {wanted})
    # Then her second confirmation knows her as a customer of two orders, not three
    [request] = [
        json.loads(r.value)
        for r in read_topic(stack.settings.kafka_bootstrap, stack.topics.notify("email"))
        if json.loads(r.value).get("notification_id") == wanted
    ]
    assert request["data"]["customer"]["order_count"] == 2
    assert request["data"]["customer"]["first_time_buyer"] is False
