"""The senders' lookups (`find`) against the provider sandbox: what the worker asks after an
attempt whose answer was lost, and what it makes of each answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from pydantic import SecretStr

from channels.errors import ConfigurationError, LookupUnavailable
from channels.messages import EmailMessage, SmsMessage
from channels.sendgrid_email import SendGridEmail, activity_query
from channels.twilio_sms import TwilioSms
from runtime.settings import Settings
from sandbox.testing import SandboxHandle

SINCE = datetime.now(UTC) - timedelta(minutes=1)


def sandbox_settings(sandbox: SandboxHandle, **overrides: object) -> Settings:
    port = urlsplit(sandbox.base_url).port
    return Settings(sandbox_port=port, sms_segments_per_s=0, **overrides)  # type: ignore[arg-type]


def email(nid: str) -> EmailMessage:
    return EmailMessage(nid, "aino@example.fi", "Aino", "Your order", "text", "<p>h</p>", "c-1")


def sms(nid: str, body: str = "Moomin Shop: your order #7 has shipped") -> SmsMessage:
    return SmsMessage(nid, "+358401234567", body, "c-1")


@pytest_asyncio.fixture
async def sendgrid(sandbox: SandboxHandle) -> AsyncIterator[SendGridEmail]:
    sender = SendGridEmail(sandbox_settings(sandbox))
    yield sender
    await sender.close()


@pytest_asyncio.fixture
async def twilio(sandbox: SandboxHandle) -> AsyncIterator[TwilioSms]:
    sender = TwilioSms(sandbox_settings(sandbox))
    yield sender
    await sender.close()


async def test_sendgrid_finds_the_mail_it_accepted_by_notification_id(
    sendgrid: SendGridEmail,
) -> None:
    sent = await sendgrid.send(email("n-1"))
    found = await sendgrid.find(email("n-1"), SINCE)
    assert found is not None and found.notification_id == "n-1"
    assert found.provider_id == sent.provider_id
    assert await sendgrid.find(email("n-2"), SINCE) is None


async def test_a_sendgrid_key_without_activity_access_cannot_tell(sandbox: SandboxHandle) -> None:
    sender = SendGridEmail(sandbox_settings(sandbox, sendgrid_host=sandbox.base_url))
    sender._headers["Authorization"] = "Bearer not-a-key"  # what a key without the scope meets
    try:
        with pytest.raises(LookupUnavailable, match="401"):
            await sender.find(email("n-1"), SINCE)
    finally:
        await sender.close()


def test_the_activity_query_quotes_the_id() -> None:
    assert activity_query('a"b') == 'unique_args[\'notification_id\']="a\\"b"'


async def test_twilio_finds_the_text_it_accepted_by_recipient_and_body(twilio: TwilioSms) -> None:
    sent = await twilio.send(sms("n-1"))
    found = await twilio.find(sms("n-1"), SINCE)
    assert found is not None and found.provider_id == sent.provider_id
    # another text to the same number, or the same text sent before the attempt, is not it
    assert await twilio.find(sms("n-2", "Moomin Shop: your order #8 has shipped"), SINCE) is None
    assert await twilio.find(sms("n-1"), datetime.now(UTC) + timedelta(minutes=5)) is None


async def test_twilio_refusing_our_credentials_on_a_lookup_pauses_like_a_send(
    sandbox: SandboxHandle,
) -> None:
    sender = TwilioSms(sandbox_settings(sandbox))
    sender._token = SecretStr("")  # a token the sandbox refuses, as Twilio refuses a wrong one
    try:
        with pytest.raises(ConfigurationError):
            await sender.find(sms("n-1"), SINCE)
    finally:
        await sender.close()
