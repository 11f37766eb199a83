"""Delivery receipts: provider signatures, and what each event or status becomes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st
from json_fuzz import json_values
from sendgrid.helpers.eventwebhook import EventWebhook
from twilio.request_validator import RequestValidator

from ingest.receipts import (
    load_public_key,
    parse_form,
    receipt_id,
    sendgrid_fresh,
    sendgrid_receipts,
    sendgrid_signed,
    twilio_receipt,
    twilio_signature,
    twilio_signed,
)
from schemas.codec import decode_event, encode

NOW = datetime(2026, 11, 23, 10, 0, 2, tzinfo=UTC)
CUSTOMER = "shop.example/customers/7"
NOTIFICATION = "6d0c1f0e-8a55-5d6b-9a39-1f2f3c4d5e6f"
URL = "https://hooks.shop.example/receipts/twilio?notification_id=n1&customer_id=c%2F7"


def key_pair() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A P-256 key pair, the public half as SendGrid's settings page shows it (base64 DER)."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


def sign(private: ec.EllipticCurvePrivateKey, timestamp: str, body: bytes) -> str:
    signature = private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def sendgrid_event(event: str, **fields: Any) -> dict[str, Any]:
    return {
        "email": "ada@example.com",
        "timestamp": int(NOW.timestamp()),
        "event": event,
        "sg_event_id": f"ev-{event}",
        "sg_message_id": "msg-1.filter",
        "notification_id": NOTIFICATION,
        "customer_id": CUSTOMER,
        **fields,
    }


# --- signatures -----------------------------------------------------------------------------


def test_a_sendgrid_signature_verifies_as_the_sendgrid_sdk_verifies_it() -> None:
    private, public = key_pair()
    body = json.dumps([sendgrid_event("delivered")]).encode()
    signature = sign(private, "1795428002", body)
    assert sendgrid_signed(body, signature, "1795428002", load_public_key(public))
    assert EventWebhook(public).verify_signature(body.decode(), signature, "1795428002")


def test_a_pem_public_key_is_accepted_too() -> None:
    private, _ = key_pair()
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert isinstance(load_public_key(pem.decode()), ec.EllipticCurvePublicKey)


@pytest.mark.parametrize("text", ["", "not a key", base64.b64encode(b"garbage").decode()])
def test_a_key_that_is_not_one_is_refused_at_start(text: str) -> None:
    with pytest.raises(ValueError):
        load_public_key(text)


def test_a_wrong_key_a_tampered_body_or_a_changed_timestamp_fail() -> None:
    private, public = key_pair()
    _, someone_else = key_pair()
    body = b'[{"event":"delivered"}]'
    signature = sign(private, "1795428002", body)
    assert not sendgrid_signed(body, signature, "1795428002", load_public_key(someone_else))
    key = load_public_key(public)
    assert not sendgrid_signed(body.replace(b"delivered", b"bounce"), signature, "1795428002", key)
    assert not sendgrid_signed(body, signature, "1795428003", key)


@pytest.mark.parametrize(
    ("signature", "timestamp"),
    [(None, "1795428002"), ("", "1795428002"), ("sig", None), ("not base64!", "1"), ("AAAA", "1")],
)
def test_missing_or_malformed_sendgrid_headers_fail(
    signature: str | None, timestamp: str | None
) -> None:
    _, public = key_pair()
    assert not sendgrid_signed(b"[]", signature, timestamp, load_public_key(public))


def test_a_stale_or_future_timestamp_is_a_replay() -> None:
    now = int(NOW.timestamp())
    assert sendgrid_fresh(str(now - 599), NOW, 600)
    assert not sendgrid_fresh(str(now - 601), NOW, 600)
    assert not sendgrid_fresh(str(now + 601), NOW, 600)
    for unreadable in (None, "", "-5", "1e9", "١٢٣", "9" * 40):
        assert not sendgrid_fresh(unreadable, NOW, 600)


def test_a_twilio_signature_is_the_one_the_twilio_sdk_computes() -> None:
    params = [("MessageStatus", "delivered"), ("MessageSid", "SM1"), ("To", "+358401234567")]
    expected = RequestValidator("token").compute_signature(URL, dict(params))
    assert twilio_signature(URL, params, "token") == expected
    assert twilio_signed(URL, params, expected, "token")


def test_a_twilio_signature_fails_for_another_token_url_or_param() -> None:
    params = [("MessageStatus", "delivered"), ("MessageSid", "SM1")]
    signature = twilio_signature(URL, params, "token")
    assert not twilio_signed(URL, params, signature, "other-token")
    assert not twilio_signed(URL.replace("n1", "n2"), params, signature, "token")
    assert not twilio_signed(URL, [*params[:1], ("MessageSid", "SM2")], signature, "token")
    assert not twilio_signed(URL, params, None, "token")
    assert not twilio_signed(URL, params, "", "token")


def test_a_form_body_is_read_as_twilio_sends_it() -> None:
    assert parse_form(b"To=%2B358401234567&ErrorCode=&Body=a+b") == [
        ("To", "+358401234567"),
        ("ErrorCode", ""),
        ("Body", "a b"),
    ]


# --- SendGrid events ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "status"),
    [
        ("processed", "accepted"),
        ("deferred", "deferred"),
        ("delivered", "delivered"),
        ("bounce", "bounced"),
        ("dropped", "dropped"),
        ("open", "opened"),
        ("click", "clicked"),
        ("spamreport", "complained"),
        ("unsubscribe", "unsubscribed"),
        ("group_unsubscribe", "unsubscribed"),
    ],
)
def test_each_sendgrid_event_becomes_a_receipt(event: str, status: str) -> None:
    [receipt] = sendgrid_receipts([sendgrid_event(event)]).receipts
    assert (receipt.channel, receipt.status, receipt.provider_status) == ("email", status, event)
    assert receipt.notification_id == NOTIFICATION
    assert receipt.customer_id == CUSTOMER
    assert receipt.key == CUSTOMER
    assert receipt.at == NOW
    assert receipt.provider_message_id == "msg-1.filter"


def test_a_bounce_suppresses_the_address() -> None:
    event = sendgrid_event("bounce", reason="550 5.1.1 user unknown", status="5.1.1", type="bounce")
    mapped = sendgrid_receipts([event])
    [failed] = mapped.contact_failed
    assert failed.type == "contact.failed"
    assert failed.partitionkey == CUSTOMER
    data = failed.data  # type: ignore[attr-defined]
    assert (data.channel, data.action, data.address) == ("email", "bounced", "ada@example.com")
    assert data.reason == "sendgrid bounce 5.1.1: 550 5.1.1 user unknown"
    assert mapped.receipts[0].reason == "550 5.1.1 user unknown"
    decode_event(encode(failed))  # passes the edge validation


def test_a_spam_report_is_a_complaint() -> None:
    [failed] = sendgrid_receipts([sendgrid_event("spamreport")]).contact_failed
    assert failed.data.action == "complained"  # type: ignore[attr-defined]


def test_a_blocked_bounce_is_temporary_and_suppresses_nothing() -> None:
    mapped = sendgrid_receipts([sendgrid_event("bounce", type="blocked")])
    assert [r.status for r in mapped.receipts] == ["bounced"]
    assert mapped.contact_failed == []


def test_a_bounce_without_a_customer_is_a_receipt_that_cannot_suppress() -> None:
    event = sendgrid_event("bounce")
    del event["customer_id"]
    mapped = sendgrid_receipts([event])
    assert mapped.receipts[0].key == NOTIFICATION
    assert mapped.contact_failed == []


def test_a_redelivered_batch_maps_to_the_same_ids() -> None:
    batch = [sendgrid_event("bounce"), sendgrid_event("delivered")]
    first, again = sendgrid_receipts(batch), sendgrid_receipts(json.loads(json.dumps(batch)))
    assert [r.receipt_id for r in first.receipts] == [r.receipt_id for r in again.receipts]
    assert [e.id for e in first.contact_failed] == [e.id for e in again.contact_failed]
    assert first.receipts[0].receipt_id == receipt_id("sendgrid", "ev-bounce")


def test_events_that_are_not_ours_or_not_receipts_are_left_out_with_the_reason() -> None:
    foreign = sendgrid_event("delivered")
    del foreign["notification_id"]
    mapped = sendgrid_receipts(
        [foreign, sendgrid_event("group_resubscribe"), "x", sendgrid_event("open", timestamp="1")]
    )
    assert mapped.receipts == []
    assert [m.split(":")[0] for m in mapped.ignored] == ["[0]", "[1]", "[2]", "[3]"]
    assert "notification_id" in mapped.ignored[0]


def test_a_body_that_is_not_an_array_is_refused() -> None:
    with pytest.raises(ValueError, match="array"):
        sendgrid_receipts({"event": "delivered"})


# --- Twilio status callbacks ----------------------------------------------------------------

QUERY = {"notification_id": NOTIFICATION, "customer_id": CUSTOMER}


def callback(status: str, code: str = "") -> dict[str, str]:
    return {"MessageSid": "SM1", "MessageStatus": status, "To": "+358401234567", "ErrorCode": code}


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("queued", "accepted"),
        ("sending", "accepted"),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("undelivered", "undelivered"),
        ("failed", "failed"),
        ("read", "opened"),
        ("canceled", "dropped"),
    ],
)
def test_each_twilio_status_becomes_a_receipt(word: str, status: str) -> None:
    [receipt] = twilio_receipt(callback(word), QUERY, NOW).receipts
    assert (receipt.channel, receipt.status, receipt.provider_status) == ("sms", status, word)
    assert (receipt.notification_id, receipt.customer_id) == (NOTIFICATION, CUSTOMER)
    assert receipt.address == "+358401234567"
    assert receipt.provider_message_id == "SM1"


@pytest.mark.parametrize(
    ("code", "action"),
    [
        ("21610", "opted_out"),
        ("21211", "invalid"),
        ("21614", "invalid"),
        ("30005", "invalid"),
        ("30006", "invalid"),
    ],
)
def test_twilio_error_codes_about_the_number_say_what_to_do(code: str, action: str) -> None:
    mapped = twilio_receipt(callback("undelivered", code), QUERY, NOW)
    [failed] = mapped.contact_failed
    data = failed.data  # type: ignore[attr-defined]
    assert (data.channel, data.action, data.address) == ("sms", action, "+358401234567")
    assert code in data.reason
    assert mapped.receipts[0].reason == f"Twilio {code}"
    decode_event(encode(failed))


def test_other_twilio_failures_suppress_nothing() -> None:
    assert twilio_receipt(callback("failed", "30001"), QUERY, NOW).contact_failed == []
    assert twilio_receipt(callback("undelivered"), QUERY, NOW).contact_failed == []


def test_a_redelivered_callback_has_the_same_receipt_id_later() -> None:
    first = twilio_receipt(callback("delivered"), QUERY, NOW).receipts[0]
    later = twilio_receipt(callback("delivered"), QUERY, NOW + timedelta(minutes=5)).receipts[0]
    assert first.receipt_id == later.receipt_id == receipt_id("twilio", "SM1", "delivered")


def test_a_callback_without_our_notification_id_is_left_out() -> None:
    mapped = twilio_receipt(callback("delivered"), {}, NOW)
    assert mapped.receipts == []
    assert "notification_id" in mapped.ignored[0]


def test_a_callback_without_sid_or_status_is_refused() -> None:
    with pytest.raises(ValueError, match="MessageSid"):
        twilio_receipt({"MessageStatus": "sent"}, QUERY, NOW)


# --- no input crashes the parsers -----------------------------------------------------------

PUBLIC_KEY = load_public_key(key_pair()[1])
KEYS = ["event", "email", "timestamp", "notification_id", "customer_id", "sg_event_id", "type"]
LIKELY = ["bounce", "spamreport", "delivered", "blocked", NOTIFICATION, "a@b.example"]


@given(json_values(LIKELY, KEYS))
def test_no_sendgrid_payload_crashes_the_mapper(payload: Any) -> None:
    try:
        mapped = sendgrid_receipts(payload)
    except ValueError:
        assert not isinstance(payload, list)
        return
    for receipt in mapped.receipts:
        assert receipt.notification_id
    for failed in mapped.contact_failed:
        decode_event(encode(failed))


@given(
    st.dictionaries(
        st.sampled_from(["MessageSid", "MessageStatus", "ErrorCode", "To", "ErrorMessage", "x"]),
        st.text(max_size=30) | st.sampled_from(["undelivered", "21610", "SM1", "+3584012"]),
    ),
    st.dictionaries(st.sampled_from(["notification_id", "customer_id"]), st.text(max_size=250)),
)
def test_no_twilio_callback_crashes_the_mapper(
    params: dict[str, str], query: dict[str, str]
) -> None:
    try:
        mapped = twilio_receipt(params, query, NOW)
    except ValueError:
        return
    for failed in mapped.contact_failed:
        decode_event(encode(failed))


@given(st.binary(max_size=200), st.text(max_size=40) | st.none(), st.text(max_size=20) | st.none())
def test_no_signature_header_or_body_crashes_the_checks(
    body: bytes, signature: str | None, timestamp: str | None
) -> None:
    assert not sendgrid_signed(body, signature, timestamp, PUBLIC_KEY)
    assert isinstance(sendgrid_fresh(timestamp, NOW, 600), bool)
    assert not twilio_signed(URL, parse_form(body), signature, "token")
