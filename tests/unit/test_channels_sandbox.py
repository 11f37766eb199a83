"""End to end: rendered messages through the real senders into the provider sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from yarl import URL

from channels.errors import (
    ConfigurationError,
    DisallowedEndpoint,
    PermanentError,
    SubscriptionGone,
)
from channels.render import Renderer
from channels.sendgrid_email import SendGridEmail
from channels.twilio_sms import TwilioSms
from channels.webpush import WebPush
from runtime.settings import Settings
from sandbox.testing import SandboxHandle
from schemas.common import PushSubscription
from schemas.notification import NotificationRequest, Recipient

SHIPPED = {
    "customer_id": "c-1",
    "order_id": "o-77",
    "order_number": "#1001",
    "fulfillment_id": "f-1",
    "carrier": "DHL",
    "tracking_number": "JD014600003828",
    "tracking_url": "https://www.dhl.com/track?id=JD014600003828",
    "estimated_delivery": "2025-11-25",
}


def shipped(channel: str, recipient: Recipient, nid: str = "n-shipped-1") -> NotificationRequest:
    """A fulfillment.shipped request for Aino, as the stream processor emits it."""
    now = datetime(2025, 11, 24, 9, 0, tzinfo=UTC)
    return NotificationRequest(
        notification_id=f"{nid}-{channel}",
        channel=channel,  # type: ignore[arg-type]
        template="fulfillment.shipped",
        language="fi",
        customer_id="c-1",
        event_id="e-1",
        event_type="fulfillment.shipped",
        event_time=now,
        recipient=recipient,
        data={
            "shop": {"name": "Moomin Shop", "url": "https://shop.example"},
            "customer": {"first_name": "Aino", "last_name": "Virtanen"},
            "event": SHIPPED,
        },
        created_at=now,
    )


def settings_for(sandbox: SandboxHandle, **extra: Any) -> Settings:
    """Settings with no credentials: every sender falls back to the sandbox."""
    port = URL(sandbox.base_url).port
    assert port is not None
    return Settings(sandbox_port=port, push_allow_sandbox=True, **extra)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


async def test_email_reaches_the_outbox(sandbox: SandboxHandle, renderer: Renderer) -> None:
    # given
    sender = SendGridEmail(settings_for(sandbox))
    message = renderer.email(shipped("email", Recipient(email="aino@example.fi")))
    # when
    receipt = await sender.send(message)
    await sender.close()
    # then
    [entry] = sandbox.wait_for(1, channel="email")
    assert entry["status"] == "accepted", entry["error"]
    assert entry["notification_id"] == "n-shipped-1-email"
    assert entry["recipient"] == "aino@example.fi"
    assert entry["subject"] == message.subject == "Tilauksesi #1001 on matkalla, Aino!"
    assert entry["provider_id"] == receipt.provider_id


async def test_sms_reaches_the_outbox(sandbox: SandboxHandle, renderer: Renderer) -> None:
    sender = TwilioSms(settings_for(sandbox))
    message = renderer.sms(shipped("sms", Recipient(phone="+358401234567")))
    receipt = await sender.send(message)
    await sender.close()
    [entry] = sandbox.wait_for(1, channel="sms")
    assert entry["status"] == "accepted", entry["error"]
    assert entry["notification_id"] == "n-shipped-1-sms"
    assert entry["recipient"] == "+358401234567"
    assert entry["text"] == message.body and SHIPPED["tracking_url"] in entry["text"]
    assert entry["provider_id"] == receipt.provider_id
    assert str(receipt.provider_id).startswith("SM")


async def test_push_reaches_the_browser(sandbox: SandboxHandle, renderer: Renderer) -> None:
    # given a browser subscribed with this sender's VAPID key
    settings = settings_for(sandbox)
    sender = WebPush(settings)
    subscription = PushSubscription.model_validate(
        sandbox.request(
            "POST", "/push/subscribers", {"applicationServerKey": sender.application_server_key}
        )
    )
    message = renderer.push(shipped("push", Recipient(push=subscription)), settings.push_ttl_s)
    # when
    receipt = await sender.send(message)
    await sender.close()
    # then: the sandbox decrypted it and checked VAPID
    [entry] = sandbox.wait_for(1, channel="push")
    assert entry["status"] == "accepted", entry["error"]
    assert entry["notification_id"] == "n-shipped-1-push"
    assert entry["recipient"] == subscription.endpoint.rsplit("/", 1)[1]
    assert entry["subject"] == "Tilauksesi #1001 on lähetetty"
    assert entry["payload"]["url"] == SHIPPED["tracking_url"]
    assert receipt.provider_id and entry["provider_id"] in receipt.provider_id


async def test_push_to_an_unknown_subscriber_is_permanent(sandbox: SandboxHandle) -> None:
    sender = WebPush(settings_for(sandbox))
    known = PushSubscription.model_validate(sandbox.new_push_subscription())
    gone = known.model_copy(update={"endpoint": f"{sandbox.base_url}/push/no-such-subscriber"})
    message = Renderer().push(shipped("push", Recipient(push=gone)), 60)
    with pytest.raises(SubscriptionGone) as caught:
        await sender.send(message)
    await sender.close()
    assert isinstance(caught.value, PermanentError) and caught.value.provider_code == "410"


async def test_push_signed_with_another_key_is_a_configuration_error(
    sandbox: SandboxHandle,
) -> None:
    # given a subscription made for a different application server key
    other = WebPush(Settings()).application_server_key
    subscription = PushSubscription.model_validate(
        sandbox.request("POST", "/push/subscribers", {"applicationServerKey": other})
    )
    sender = WebPush(settings_for(sandbox))
    message = Renderer().push(shipped("push", Recipient(push=subscription)), 60)
    # when / then
    with pytest.raises(ConfigurationError) as caught:
        await sender.send(message)
    await sender.close()
    assert caught.value.provider_code == "403"


async def test_sandbox_push_needs_push_allow_sandbox(sandbox: SandboxHandle) -> None:
    port = URL(sandbox.base_url).port
    sender = WebPush(Settings(sandbox_port=port or 0))
    subscription = PushSubscription.model_validate(sandbox.new_push_subscription())
    with pytest.raises(DisallowedEndpoint):
        await sender.send(Renderer().push(shipped("push", Recipient(push=subscription)), 60))
    await sender.close()
    assert sandbox.messages(channel="push") == []


async def test_invalid_phone_number_is_permanent(sandbox: SandboxHandle) -> None:
    sender = TwilioSms(settings_for(sandbox))
    message = Renderer().sms(shipped("sms", Recipient(phone="0401234567")))
    with pytest.raises(PermanentError) as caught:
        await sender.send(message)
    await sender.close()
    assert caught.value.provider_code == "21211"
    [entry] = sandbox.wait_for(1, channel="sms", status="rejected")
    assert entry["error"].startswith("400 21211")


async def test_sendgrid_with_a_real_looking_key_goes_to_the_configured_host(
    sandbox: SandboxHandle,
) -> None:
    # The sandbox checks that a Bearer key is present, not which: it cannot know real keys.
    # A rejected key (401) is covered against a fake provider in test_channel_senders.
    settings = settings_for(
        sandbox, sendgrid_api_key=SecretStr("SG.wrong.key"), sendgrid_host=sandbox.base_url
    )
    assert settings.sendgrid_base_url == sandbox.base_url
    sender = SendGridEmail(settings)
    await sender.send(Renderer().email(shipped("email", Recipient(email="aino@example.fi"))))
    await sender.close()
    [entry] = sandbox.wait_for(1, channel="email")
    assert entry["status"] == "accepted"
