"""The channels aftercart can deliver on, registered by name, each provider's sender named."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from channels.base import Sender
from channels.failover import FailoverSender
from channels.sendgrid_email import SendGridEmail
from channels.smtp_email import SmtpEmail
from channels.twilio_sms import TwilioSms
from channels.webpush import WebPush
from runtime.settings import Settings

# What the worker puts around each provider's sender, given the provider's name (it times
# them: channels/metrics.py).
Wrap = Callable[[Sender[Any], str], Sender[Any]]


def as_is(sender: Sender[Any], provider: str) -> Sender[Any]:
    """No wrapping."""
    return sender


def build_email(settings: Settings, wrap: Wrap = as_is) -> Sender[Any]:
    """SendGrid, with SMTP taking over while it keeps failing when an smtp_host is set."""
    sendgrid = wrap(SendGridEmail(settings), "sendgrid")
    if not settings.smtp_host:
        return sendgrid
    return FailoverSender(
        sendgrid,
        wrap(SmtpEmail(settings), "smtp"),
        threshold=settings.smtp_failover_after,
        cooldown_s=settings.smtp_failover_cooldown_s,
        clock=time.monotonic,
        names=("sendgrid", "smtp"),
    )


def build_sms(settings: Settings, wrap: Wrap = as_is) -> Sender[Any]:
    """Twilio."""
    return wrap(TwilioSms(settings), "twilio")


def build_push(settings: Settings, wrap: Wrap = as_is) -> Sender[Any]:
    """Web push, to whichever push service a subscription names."""
    return wrap(WebPush(settings), "webpush")


SENDERS: dict[str, Callable[[Settings, Wrap], Sender[Any]]] = {
    "email": build_email,
    "sms": build_sms,
    "push": build_push,
}


def build_sender(channel: str, settings: Settings, wrap: Wrap = as_is) -> Sender[Any]:
    """The sender for a channel name, built from settings, each provider's sender wrapped;
    unknown names are a KeyError."""
    try:
        factory = SENDERS[channel]
    except KeyError:
        raise KeyError(f"no sender for channel {channel!r}; known: {sorted(SENDERS)}") from None
    return factory(settings, wrap)
