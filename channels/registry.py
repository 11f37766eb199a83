"""The channels aftercart can deliver on, registered by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aftercart.settings import Settings
from channels.base import Sender
from channels.sendgrid_email import SendGridEmail
from channels.twilio_sms import TwilioSms
from channels.webpush import WebPush

SENDERS: dict[str, Callable[[Settings], Sender[Any]]] = {
    "email": SendGridEmail,
    "sms": TwilioSms,
    "push": WebPush,
}


def build_sender(channel: str, settings: Settings) -> Sender[Any]:
    """The sender for a channel name, built from settings; unknown names are a KeyError."""
    try:
        factory = SENDERS[channel]
    except KeyError:
        raise KeyError(f"no sender for channel {channel!r}; known: {sorted(SENDERS)}") from None
    return factory(settings)
