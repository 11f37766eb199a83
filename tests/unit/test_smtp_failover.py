"""Email failover: the circuit breaker with fake senders, the SMTP sender against real servers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from delivering import NOW, FakeEvent, Runner, no_sleep, request, until
from pydantic import SecretStr

from broker.launcher import free_ports
from channels.breaker import CircuitBreaker
from channels.delivery import Delivery
from channels.errors import (
    ConfigurationError,
    DeliveryError,
    FailedOver,
    LookupUnavailable,
    PermanentError,
    RetriableError,
)
from channels.failover import FailoverSender, ProviderReceipt
from channels.messages import EmailMessage, Message, Receipt
from channels.registry import build_sender
from channels.sendgrid_email import NOTIFICATION_HEADER, SendGridEmail
from channels.smtp_email import SmtpEmail, mime_message
from runtime.settings import Settings
from sandbox.outbox import Outbox
from sandbox.smtp import start_smtp_server
from schemas.codec import decode_retry

EMAIL = EmailMessage("n-1", "aino@example.fi", "Virtanen, Aino", "Your order", "text", "<p>h</p>")


@dataclass
class FakeProvider:
    """A sender whose next outcomes are scripted; it records what it was given."""

    name: str
    channel: str = "email"
    failures: list[DeliveryError] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    closed: bool = False
    can_find: bool = True

    async def send(self, message: Message) -> Receipt:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message.notification_id)
        return Receipt("email", message.notification_id, f"{self.name}-{len(self.sent)}")

    async def find(self, message: Message, since: datetime) -> Receipt | None:
        if not self.can_find:
            raise LookupUnavailable("email", f"{self.name} cannot tell")
        nid = message.notification_id
        return Receipt("email", nid, f"{self.name}-found") if nid in self.sent else None

    async def close(self) -> None:
        self.closed = True


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def down() -> RetriableError:
    return RetriableError("email", "HTTP 503: unavailable", "503")


def failover(
    primary: FakeProvider, secondary: FakeProvider, clock: FakeClock, threshold: int = 3
) -> FailoverSender:
    return FailoverSender(
        primary,
        secondary,
        threshold=threshold,
        cooldown_s=60.0,
        clock=clock,
        names=("sendgrid", "smtp"),
    )


def message(n: int) -> EmailMessage:
    return EmailMessage(f"n-{n}", "aino@example.fi", None, "Your order", "text", "<p>h</p>")


async def test_trips_after_threshold_retriable_failures() -> None:
    primary = FakeProvider("sg", failures=[down(), RetriableError("email", "429", "429"), down()])
    secondary = FakeProvider("smtp")
    sender = failover(primary, secondary, FakeClock())

    for n in range(3):
        with pytest.raises(RetriableError):
            await sender.send(message(n))
    receipt = await sender.send(message(3))

    assert sender.failed_over
    assert isinstance(receipt, ProviderReceipt) and receipt.provider == "smtp"
    assert secondary.sent == ["n-3"] and primary.sent == []


async def test_permanent_errors_never_trip_and_success_resets_the_count() -> None:
    bad_address = PermanentError("email", "HTTP 400: invalid email", "400")
    primary = FakeProvider("sg", failures=[down(), down(), bad_address, bad_address, down()])
    sender = failover(primary, FakeProvider("smtp"), FakeClock())

    for n in range(5):
        with pytest.raises(DeliveryError):
            await sender.send(message(n))
    assert not sender.failed_over  # the permanent errors broke the run of failures

    receipt = await sender.send(message(5))
    assert isinstance(receipt, ProviderReceipt) and receipt.provider == "sendgrid"


async def test_hands_back_after_cooldown_when_the_primary_recovers() -> None:
    clock = FakeClock()
    primary = FakeProvider("sg", failures=[down(), down(), down()])
    secondary = FakeProvider("smtp")
    sender = failover(primary, secondary, clock)
    for n in range(3):
        with pytest.raises(RetriableError):
            await sender.send(message(n))

    clock.now += 59.0
    assert (await sender.send(message(3))).provider_id == "smtp-1"
    clock.now += 1.0
    probe = await sender.send(message(4))
    after = await sender.send(message(5))

    assert isinstance(probe, ProviderReceipt) and probe.provider == "sendgrid"
    assert isinstance(after, ProviderReceipt) and after.provider == "sendgrid"
    assert not sender.failed_over
    assert primary.sent == ["n-4", "n-5"] and secondary.sent == ["n-3"]


async def test_stays_on_secondary_when_the_half_open_probe_fails() -> None:
    clock = FakeClock()
    primary = FakeProvider("sg", failures=[down(), down(), down(), down()])
    secondary = FakeProvider("smtp")
    sender = failover(primary, secondary, clock)
    for n in range(3):
        with pytest.raises(RetriableError):
            await sender.send(message(n))

    clock.now += 60.0
    with pytest.raises(RetriableError):
        await sender.send(message(3))  # the probe
    clock.now += 30.0
    receipt = await sender.send(message(3))  # the retry: a new cooldown has begun

    assert sender.failed_over
    assert isinstance(receipt, ProviderReceipt) and receipt.provider == "smtp"
    assert secondary.sent == ["n-3"]


async def test_a_failure_that_leaves_the_secondary_with_the_traffic_is_failed_over() -> None:
    primary = FakeProvider("sg", failures=[down(), down(), down()])
    sender = failover(primary, FakeProvider("smtp"), FakeClock(), threshold=2)
    errors = []
    for n in range(2):
        with pytest.raises(RetriableError) as raised:
            await sender.send(message(n))
        errors.append(raised.value)
    # The first failure left the primary with the traffic; the second moved it to SMTP
    assert [type(e) for e in errors] == [RetriableError, FailedOver]
    assert errors[1].detail == "HTTP 503: unavailable" and errors[1].provider_code == "503"


@dataclass
class Gated(FakeProvider):
    """A provider whose answers wait until the gate opens: many requests in flight at once."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0

    async def send(self, message: Message) -> Receipt:
        self.waiting += 1
        await self.gate.wait()
        return await super().send(message)


async def test_requests_in_flight_as_the_primary_fails_are_retried_through_the_secondary() -> None:
    # Given SendGrid failing five requests that are in flight together, a failover after two
    # and the channel's circuit breaker opening after three failures in a row
    primary = Gated("sendgrid", failures=[down() for _ in range(5)])
    secondary = FakeProvider("smtp")
    breaker = CircuitBreaker("email", after=3, probe_every=30, clock=FakeClock())
    sender = failover(primary, secondary, FakeClock(), threshold=2)
    delivery = Delivery(
        "email", Settings(), sender, sleep=no_sleep, clock=lambda: NOW, breaker=breaker
    )
    runner = Runner(delivery)
    nids = [f"n{i}" for i in range(5)]
    events = [FakeEvent(request(nid, customer=f"c-{nid}"), f"c-{nid}".encode()) for nid in nids]
    batch = asyncio.ensure_future(runner.batch(events, limit=5))
    await until(lambda: primary.waiting == 5)
    # When all five fail
    primary.gate.set()
    dead = await batch
    # Then SMTP has the traffic and the channel is not held: the breaker counted only the
    # failure before the failover, and the retries go through SMTP at once
    kinds = sorted(decode_retry(r.value).attempts[-1].kind for r in runner.retries)
    assert kinds == ["FailedOver"] * 4 + ["RetriableError"]
    assert (breaker.state, breaker.failures) == ("closed", 1)
    dead += await runner.redeliver()
    assert dead == [] and sorted(secondary.sent) == nids and primary.sent == []
    assert breaker.state == "closed"


async def test_close_closes_both() -> None:
    primary, secondary = FakeProvider("sg"), FakeProvider("smtp")
    await failover(primary, secondary, FakeClock()).close()
    assert primary.closed and secondary.closed


def smtp_settings(port: int, **extra: Any) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, **extra)


def test_email_sender_is_sendgrid_only_without_an_smtp_host() -> None:
    assert isinstance(build_sender("email", Settings()), SendGridEmail)
    assert isinstance(build_sender("email", Settings(smtp_host="127.0.0.1")), FailoverSender)


def test_smtp_port_follows_the_credentials() -> None:
    sandbox = Settings(smtp_host="127.0.0.1", sandbox_smtp_port=2525)
    real = Settings(smtp_host="smtp.example.com", smtp_username="u", smtp_password=SecretStr("p"))
    assert (sandbox.smtp_server_port, sandbox.smtp_use_starttls) == (2525, False)
    assert (real.smtp_server_port, real.smtp_use_starttls) == (587, True)


def test_mime_message_is_text_and_html_with_the_notification_header() -> None:
    mime = mime_message(EMAIL, "orders@shop.example", "Moomin Shop")
    assert mime.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mime.iter_parts()] == ["text/plain", "text/html"]
    assert mime[NOTIFICATION_HEADER] == "n-1"
    assert mime["To"] == '"Virtanen, Aino" <aino@example.fi>'
    assert mime["From"] == "Moomin Shop <orders@shop.example>"
    assert mime["Message-ID"] == "<n-1@shop.example>"  # the same for a second send of it
    assert "List-Unsubscribe" not in mime


def test_mime_message_carries_one_click_unsubscribe() -> None:
    marketing = replace(EMAIL, unsubscribe_url="https://shop.example/u/abc")
    mime = mime_message(marketing, "orders@shop.example", "Moomin Shop")
    assert mime["List-Unsubscribe"] == "<https://shop.example/u/abc>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def serve(factory: Callable[[], SMTP]) -> tuple[asyncio.Server, int]:
    [port] = free_ports(1)
    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", port)
    return server, port


async def test_smtp_sender_delivers_to_the_sandbox_outbox() -> None:
    # Server and client in the test's own loop: fixtures run in the session's loop.
    outbox = Outbox()
    [port] = free_ports(1)
    server = await start_smtp_server(outbox, "127.0.0.1", port)
    sender = SmtpEmail(smtp_settings(port))
    try:
        first = await sender.send(EMAIL)
        await sender.send(message(2))  # over the same connection
    finally:
        await sender.close()
        server.close()

    entries = outbox.messages(channel="email")
    assert [e.notification_id for e in entries] == ["n-1", "n-2"]
    [entry, _] = entries
    assert entry.status == "accepted" and entry.recipient == "aino@example.fi"
    assert entry.subject == "Your order" and entry.text == "text"
    assert entry.payload["provider"] == "smtp"
    assert entry.provider_id == first.provider_id == "<n-1@shop.example>"


async def test_a_second_smtp_send_of_a_notification_carries_the_same_message_id() -> None:
    # Given an SMTP server, and a worker that sends one notification twice (a crash lost the
    # first answer: SMTP cannot be asked whether it took it)
    outbox = Outbox()
    [port] = free_ports(1)
    server = await start_smtp_server(outbox, "127.0.0.1", port)
    sender = SmtpEmail(smtp_settings(port))
    try:
        await sender.send(EMAIL)
        await sender.send(EMAIL)
        await sender.send(message(2))
    finally:
        await sender.close()
        server.close()
    # Then the receiving server sees both copies under one Message-ID, so it or the mail
    # client can drop the second; another notification has its own
    ids = [e.provider_id for e in outbox.messages(channel="email")]
    assert ids == ["<n-1@shop.example>", "<n-1@shop.example>", "<n-2@shop.example>"]


class Refuses:
    """A provider that answers RCPT TO with a fixed reply."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        return self.reply


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("550 5.1.1 mailbox unavailable", PermanentError),
        ("451 4.3.0 try again later", RetriableError),
    ],
)
async def test_smtp_replies_map_to_error_types(reply: str, error: type[DeliveryError]) -> None:
    server, port = await serve(lambda: SMTP(Refuses(reply)))
    sender = SmtpEmail(smtp_settings(port))
    try:
        with pytest.raises(error) as raised:
            await sender.send(EMAIL)
    finally:
        await sender.close()
        server.close()
    assert type(raised.value) is error
    assert reply.split()[0] == raised.value.provider_code
    assert reply.split(maxsplit=1)[1] in raised.value.detail


async def test_rejected_login_is_a_configuration_error() -> None:
    def refuse(*args: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    server, port = await serve(
        lambda: SMTP(Refuses("250 OK"), authenticator=refuse, auth_require_tls=False)
    )
    settings = smtp_settings(
        port, smtp_username="u", smtp_password=SecretStr("wrong"), smtp_starttls=False
    )
    sender = SmtpEmail(settings)
    try:
        with pytest.raises(ConfigurationError) as raised:
            await sender.send(EMAIL)
    finally:
        await sender.close()
        server.close()
    assert raised.value.provider_code == "535"
    assert "wrong" not in str(raised.value)


async def test_nothing_listening_is_retriable() -> None:
    [port] = free_ports(1)
    sender = SmtpEmail(smtp_settings(port), timeout_s=2.0)
    with pytest.raises(RetriableError):
        await sender.send(EMAIL)


async def test_a_lookup_finds_the_mail_whichever_provider_took_it() -> None:
    # Given SendGrid (which can be asked) and SMTP (which cannot), each holding one mail
    sendgrid, smtp = FakeProvider("sendgrid"), FakeProvider("smtp", can_find=False)
    sendgrid.sent.append("n-1")
    sender = failover(sendgrid, smtp, FakeClock())
    since = datetime(2026, 11, 23, tzinfo=UTC)
    # Then SendGrid's mail is found and named, and for any other the answer is "cannot tell"
    found = await sender.find(message(1), since)
    assert isinstance(found, ProviderReceipt) and found.provider == "sendgrid"
    with pytest.raises(LookupUnavailable, match="smtp cannot tell"):
        await sender.find(message(2), since)
    assert sender.can_find
