"""The channels aftercart can deliver on, registered by name."""

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


def build_email(settings: Settings) -> Sender[Any]:
    """SendGrid, with SMTP taking over while it keeps failing when an smtp_host is set."""
    if not settings.smtp_host:
        return SendGridEmail(settings)
    return FailoverSender(
        SendGridEmail(settings),
        SmtpEmail(settings),
        threshold=settings.smtp_failover_after,
        cooldown_s=settings.smtp_failover_cooldown_s,
        clock=time.monotonic,
        names=("sendgrid", "smtp"),
    )


SENDERS: dict[str, Callable[[Settings], Sender[Any]]] = {
    "email": build_email,
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
