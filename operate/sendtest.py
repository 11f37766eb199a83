"""`aftercart send-test`: one message, rendered from sample data, sent to an address the shop
names, through the real path: onto the channel's topic, taken by the running channel worker,
guarded by its delivery ledger, sent with the provider's SDK. The recipient sees it marked as
a test (channels/render.py's TEST_MARK); then what became of it is read back from Kafka.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

from kafka import KafkaProducer
from pydantic import ValidationError

from broker.reading import MissingTopic, read_topic
from channels.preview import sample_request
from operate.history import History, Life
from operate.sources import CLIENT_ID, Story, folds
from schemas.common import PushSubscription
from schemas.notification import NotificationRequest, Recipient
from schemas.topics import Topics

CUSTOMER = "aftercart-send-test"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# Where a message stands once nothing more will happen to it without a retry.
SETTLED = frozenset({"sent", "dead-lettered", "retrying"})


class BadAddress(ValueError):
    """The address given cannot take a message on that channel; the message says why."""


def recipient(channel: str, to: str) -> Recipient:
    """An email address, a phone number, or a push subscription's JSON (as the browser gives
    it: endpoint and keys)."""
    if channel == "email":
        if not EMAIL.fullmatch(to):
            raise BadAddress(f"not an email address: {to!r}")
        return Recipient(email=to)
    if channel == "sms":
        if not E164.fullmatch(to):
            raise BadAddress(f"not a phone number in E.164 form (+358401234567): {to!r}")
        return Recipient(phone=to)
    try:
        return Recipient(push=PushSubscription.model_validate_json(to))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "subscription"
        raise BadAddress(f"not a push subscription's JSON: {where}: {first['msg']}") from None


def sample_to(template: str, channel: str, language: str, to: str) -> NotificationRequest:
    """The sample message of `template`, to `to`, under a notification id of its own."""
    sample = sample_request(template, channel, language)
    now = datetime.now(UTC)
    nid = f"test-{uuid4()}"
    return sample.model_copy(
        update={
            "notification_id": nid,
            "customer_id": CUSTOMER,
            "event_id": nid,
            "event_time": now,
            "created_at": now,
            "recipient": recipient(channel, to),
            "test": True,
        }
    )


def send(bootstrap: str, topics: Topics, request: NotificationRequest) -> int:
    """Put the request on its channel's topic, acknowledged by every in-sync replica; the
    time it was sent (epoch ms)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id=CLIENT_ID)
    try:
        sent_ms = int(time.time() * 1000)
        value = request.model_dump_json().encode()
        producer.send(topics.notify(request.channel), value, CUSTOMER.encode()).get(30)
        return sent_ms
    finally:
        producer.close()


def outcome(
    bootstrap: str,
    topics: Topics,
    request: NotificationRequest,
    since_ms: int,
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> Life:
    """What became of the request: read back from the ledger, retry and dead-letter topics
    until it is sent, retrying or dead-lettered, or `timeout_s` passed (state `unknown`:
    nothing heard of it)."""
    nid, channel = request.notification_id, request.channel
    watched = [topics.ledger(channel), topics.retry(channel), topics.deadletter]
    tell = folds(topics)
    deadline = clock() + timeout_s
    while True:
        story = Story(history=History())
        for topic in watched:
            try:
                for record in read_topic(
                    bootstrap, topic, since_ms=since_ms, timeout_s=10, client_id=CLIENT_ID
                ):
                    if record.value and nid.encode() in (record.key or b"") + record.value:
                        tell[topic](story, record.key, record.value)
            except MissingTopic:
                continue
        life = story.history.known(nid)
        if life.state in SETTLED or clock() >= deadline:
            return life
        time.sleep(0.5)


def summary(life: Life) -> dict[str, object]:
    """The outcome as JSON-ready data."""
    steps = [{"at": s.at.isoformat(), "kind": s.kind, "detail": s.detail} for s in life.ordered()]
    return {
        "notification_id": life.notification_id,
        "state": life.state,
        "provider_id": life.provider_id,
        "steps": steps,
    }
