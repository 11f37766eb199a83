"""What makes a second send harmless where no provider can be asked about the first: a web
push's RFC 8030 Topic and an email's Message-ID, both derived from the notification id."""

from __future__ import annotations

import re
import uuid

from hypothesis import given
from hypothesis import strategies as st

from channels.messages import EmailMessage, PushMessage
from schemas.common import PushKeys, PushSubscription

SUBSCRIPTION = PushSubscription(
    endpoint="https://push.example/1", keys=PushKeys(p256dh="p" * 87, auth="a" * 22)
)
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")  # RFC 8030 section 5.4
# RFC 5322 msg-id of a dot-atom on the left: what every mail system keeps as it is
MESSAGE_ID = re.compile(r"<[A-Za-z0-9_+=-]+(\.[A-Za-z0-9_+=-]+)*@[^<>@\s]+>")


def push(nid: str) -> PushMessage:
    return PushMessage(nid, SUBSCRIPTION, b"{}", 60)


def email(nid: str) -> EmailMessage:
    return EmailMessage(nid, "aino@example.fi", None, "Your order", "text", "<p>h</p>")


def test_a_uuid_notification_id_is_its_16_bytes_as_the_topic() -> None:
    nid = uuid.uuid5(uuid.NAMESPACE_URL, "order-1")
    topic = push(str(nid)).topic
    assert len(topic) == 22 and TOPIC.fullmatch(topic)
    assert push(str(nid)).topic == topic  # stable: a second send names the same topic


@given(st.text(min_size=1), st.text(min_size=1))
def test_any_notification_id_gives_a_valid_topic_of_its_own(a: str, b: str) -> None:
    assert TOPIC.fullmatch(push(a).topic)
    assert push(a).topic == push(a).topic
    assert (push(a).topic == push(b).topic) == (a == b or _same_uuid(a, b))


def _same_uuid(a: str, b: str) -> bool:
    try:
        return uuid.UUID(a) == uuid.UUID(b)
    except ValueError:
        return False


def test_a_uuid_notification_id_is_the_message_ids_left_side() -> None:
    nid = str(uuid.uuid5(uuid.NAMESPACE_URL, "order-1"))
    assert email(nid).message_id("orders@shop.example") == f"<{nid}@shop.example>"


@given(st.text(min_size=1))
def test_any_notification_id_gives_a_valid_stable_message_id(nid: str) -> None:
    message_id = email(nid).message_id("orders@shop.example")
    assert MESSAGE_ID.fullmatch(message_id) and message_id.endswith("@shop.example>")
    assert email(nid).message_id("orders@shop.example") == message_id
