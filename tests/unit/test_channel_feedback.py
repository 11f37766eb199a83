"""A permanent failure that condemns a contact point becomes a `contact.failed` event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels import twilio_sms, webpush
from channels.errors import (
    DisallowedEndpoint,
    MissingContact,
    PermanentError,
    RenderError,
    SubscriptionGone,
)
from channels.feedback import contact_failure
from schemas.codec import decode_event, encode
from schemas.common import PushKeys, PushSubscription
from schemas.events import CloudEvent, ContactFailed
from schemas.notification import NotificationRequest, Recipient
from streams.profiles import apply_contact_failed

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PHONE = "+358401234567"
ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:def"
SUBSCRIPTION = PushSubscription(endpoint=ENDPOINT, keys=PushKeys(p256dh="BNc", auth="tBH"))


def sms_error(code: int, text: str) -> PermanentError:
    error = twilio_sms.error_for_twilio(400, code, text)
    assert isinstance(error, PermanentError)
    return error


def push_error(status: int, text: str) -> PermanentError:
    error = webpush.error_for_status(status, {}, text)
    assert isinstance(error, PermanentError)
    return error


def data_of(event: CloudEvent | None) -> ContactFailed:
    assert event is not None
    data = getattr(event, "data", None)
    assert isinstance(data, ContactFailed)
    return data


def request(channel: str, nid: str = "n-1") -> NotificationRequest:
    recipient = {
        "email": Recipient(email="aino@example.fi"),
        "sms": Recipient(phone=PHONE),
        "push": Recipient(push=SUBSCRIPTION),
    }[channel]
    return NotificationRequest(
        notification_id=nid,
        channel=channel,  # type: ignore[arg-type]
        template="order.shipped",
        language="fi",
        customer_id="c-42",
        event_id="e-1",
        event_type="order.shipped",
        event_time=AT,
        recipient=recipient,
        data={},
        created_at=AT,
    )


@pytest.mark.parametrize(
    ("channel", "error", "action", "address"),
    [
        (
            "sms",
            sms_error(21610, "unsubscribed recipient"),
            "opted_out",
            PHONE,
        ),
        (
            "sms",
            sms_error(21211, "Invalid 'To' Phone Number"),
            "invalid",
            PHONE,
        ),
        ("sms", sms_error(21614, "not a mobile number"), "invalid", PHONE),
        ("push", push_error(404, "HTTP 404: not found"), "gone", ENDPOINT),
        ("push", push_error(410, "HTTP 410: expired"), "gone", ENDPOINT),
    ],
)
def test_a_condemned_contact_point_becomes_contact_failed(
    channel: str, error: PermanentError, action: str, address: str
) -> None:
    # when
    event = contact_failure(request(channel), error, at=AT)
    # then
    assert event is not None
    assert (event.type, event.source, event.partitionkey) == (
        "contact.failed",
        f"aftercart/channel-{channel}",
        "c-42",
    )
    data = data_of(event)
    assert (data.customer_id, data.channel, data.action, data.address) == (
        "c-42",
        channel,
        action,
        address,
    )
    assert error.provider_code is not None and error.provider_code in data.reason
    assert decode_event(encode(event)) == event  # valid on the events topic


def test_a_redelivery_gives_the_same_event_id() -> None:
    error = sms_error(21610, "STOP")
    first = contact_failure(request("sms"), error, at=AT)
    again = contact_failure(request("sms"), error)
    other = contact_failure(request("sms", nid="n-2"), error, at=AT)
    invalid = contact_failure(request("sms"), sms_error(21211, "x"), at=AT)
    assert first is not None and again is not None and other is not None and invalid is not None
    assert first.id == again.id
    assert len({first.id, other.id, invalid.id}) == 3
    assert first.time == AT


def test_the_event_makes_the_stream_processor_stop_using_the_contact() -> None:
    # given a profile with a phone number and a push subscription
    profile = {
        "customer_id": "c-42",
        "phone": PHONE,
        "push_subscriptions": [SUBSCRIPTION.model_dump()],
    }
    stop = contact_failure(request("sms"), sms_error(21610, "STOP"), at=AT)
    gone = contact_failure(request("push"), SubscriptionGone("push", "HTTP 410", "410"), at=AT)
    # when
    profile_after, prefs = apply_contact_failed(profile, None, data_of(stop))
    profile_after, _ = apply_contact_failed(profile_after, prefs, data_of(gone))
    # then
    assert prefs is not None and prefs["transactional"]["sms"] is False
    assert profile_after is not None and profile_after["push_subscriptions"] == []


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("sms", sms_error(30006, "landline or unreachable carrier")),
        ("sms", sms_error(21999, "something else")),
        ("push", push_error(413, "HTTP 413: too large")),
        ("push", DisallowedEndpoint("push", "not an allowed service")),
        ("push", PermanentError("push", "subscription keys are unusable")),
        ("email", PermanentError("email", "HTTP 400: bad from", "400")),
        ("email", MissingContact("email", "no email address")),
        ("sms", RenderError("sms", "template lacks blocks")),
        ("sms", SubscriptionGone("push", "HTTP 410", "410")),  # not this request's channel
    ],
)
def test_other_permanent_failures_say_nothing_about_the_contact(
    channel: str, error: PermanentError
) -> None:
    assert contact_failure(request(channel), error, at=AT) is None


def test_without_the_address_there_is_no_event() -> None:
    bare = request("sms").model_copy(update={"recipient": Recipient()})
    assert contact_failure(bare, sms_error(21610, "STOP"), at=AT) is None
