"""Provider answers become the error type that says what the caller does next."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from channels import sendgrid_email, twilio_sms, webpush
from channels.errors import (
    ConfigurationError,
    ContactUnusable,
    DeliveryError,
    DisallowedEndpoint,
    InvalidContact,
    OptedOut,
    PayloadTooLarge,
    PermanentError,
    RetriableError,
    SubscriptionGone,
    retry_after_seconds,
)

NOW = datetime(2025, 11, 24, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, PermanentError),
        (401, ConfigurationError),
        (403, ConfigurationError),
        (404, ConfigurationError),
        (408, RetriableError),
        (413, PermanentError),
        (422, PermanentError),
        (429, RetriableError),
        (500, RetriableError),
        (503, RetriableError),
    ],
)
def test_sendgrid_status(status: int, kind: type[DeliveryError]) -> None:
    error = sendgrid_email.error_for_status(status, {}, "detail")
    assert type(error) is kind
    assert error.provider_code == str(status) and error.channel == "email"


def test_sendgrid_rate_limit_waits_until_the_reset() -> None:
    reset = int(time.time()) + 42
    error = sendgrid_email.error_for_status(429, {"X-RateLimit-Reset": str(reset)}, "slow down")
    assert isinstance(error, RetriableError)
    assert error.retry_after is not None and 0 < error.retry_after <= 42 + 1


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (429, 20429, RetriableError),
        (400, 30001, RetriableError),
        (503, None, RetriableError),
        (401, 20003, ConfigurationError),
        (403, None, ConfigurationError),
        (404, 20404, ConfigurationError),
        (400, 21606, ConfigurationError),
        (400, 21610, OptedOut),
        (400, 21211, InvalidContact),
        (400, 21614, InvalidContact),
        (400, 30006, PermanentError),  # landline or unreachable carrier: not final
        (400, 21999, PermanentError),
    ],
)
def test_twilio_status_and_code(status: int, code: int | None, kind: type[DeliveryError]) -> None:
    error = twilio_sms.error_for_twilio(status, code, "detail")
    assert type(error) is kind
    assert error.provider_code == str(code if code is not None else status)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ConfigurationError),
        (401, ConfigurationError),
        (403, ConfigurationError),
        (404, SubscriptionGone),
        (410, SubscriptionGone),
        (413, PayloadTooLarge),
        (429, RetriableError),
        (502, RetriableError),
    ],
)
def test_push_status(status: int, kind: type[DeliveryError]) -> None:
    error = webpush.error_for_status(status, {"Retry-After": "7"}, "detail")
    assert type(error) is kind
    assert error.provider_code == str(status)
    if isinstance(error, RetriableError):
        assert error.retry_after == 7.0


def test_sendgrid_bad_request_is_dead_lettered_with_the_providers_words() -> None:
    text = '{"errors":[{"message":"The from object must be provided","field":"from"}]}'
    error = sendgrid_email.error_for_status(400, {}, f"HTTP 400: {text}")
    assert type(error) is PermanentError and not isinstance(error, ContactUnusable)
    assert "The from object must be provided" in str(error)


def test_gone_and_disallowed_are_permanent() -> None:
    assert issubclass(SubscriptionGone, PermanentError)
    assert issubclass(DisallowedEndpoint, PermanentError)
    assert issubclass(PayloadTooLarge, PermanentError)
    assert not issubclass(PayloadTooLarge, ContactUnusable)
    assert not issubclass(DisallowedEndpoint, ContactUnusable)


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (twilio_sms.error_for_twilio(400, 21610, "STOP"), "opted_out"),
        (twilio_sms.error_for_twilio(400, 21211, "invalid To"), "invalid"),
        (twilio_sms.error_for_twilio(400, 21614, "not a mobile"), "invalid"),
        (webpush.error_for_status(404, {}, "not found"), "gone"),
        (webpush.error_for_status(410, {}, "expired"), "gone"),
    ],
)
def test_contact_failures_say_what_to_do_with_the_contact(
    error: DeliveryError, action: str
) -> None:
    assert isinstance(error, ContactUnusable) and isinstance(error, PermanentError)
    assert error.action == action
    assert not issubclass(ConfigurationError, PermanentError | RetriableError)


def test_retry_after_reads_seconds_dates_and_resets() -> None:
    assert retry_after_seconds({"Retry-After": "120"}, NOW) == 120.0
    assert retry_after_seconds({"Retry-After": "Mon, 24 Nov 2025 12:00:30 GMT"}, NOW) == 30.0
    assert retry_after_seconds({"Retry-After": "Mon, 24 Nov 2025 11:00:00 GMT"}, NOW) == 0.0
    assert retry_after_seconds({"X-RateLimit-Reset": str(int(NOW.timestamp()) + 5)}, NOW) == 5.0
    assert retry_after_seconds({"Retry-After": "soon"}, NOW) is None
    assert retry_after_seconds({}, NOW) is None


def test_error_text_names_the_channel_and_code() -> None:
    error = RetriableError("sms", "queue overflow", "30001", retry_after=3.0)
    assert str(error) == "sms [30001]: queue overflow"
    assert error.retry_after == 3.0
