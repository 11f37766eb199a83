"""Delivery receipts through the gateway: SendGrid's signed batches, Twilio's signed callbacks."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingesting import TOPICS, Client, FakeKafka, connect
from json_fuzz import json_values
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.gateway import create_gateway
from ingest.receipts import twilio_signature
from runtime.settings import SANDBOX_TWILIO_TOKEN, Settings
from schemas.codec import decode_event
from schemas.receipt import DeliveryReceipt

PUBLIC_URL = "https://hooks.shop.example"
TWILIO_TOKEN = "twilio-auth-token"
RECEIPT_TIME = datetime(2026, 11, 23, 10, 0, 2, tzinfo=UTC)
STAMP = str(int(RECEIPT_TIME.timestamp()))
PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(
    PRIVATE_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
CUSTOMER = "shop.example/customers/7"
QUERY = "notification_id=n-1&customer_id=shop.example%2Fcustomers%2F7"


@pytest.fixture
async def receipts_client(intake: Intake) -> AsyncIterator[Client]:
    settings = Settings(
        sendgrid_webhook_public_key=PUBLIC_KEY,
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token=SecretStr(TWILIO_TOKEN),
        public_url=PUBLIC_URL + "/",
    )
    async with connect(create_gateway(settings, intake, clock=lambda: RECEIPT_TIME)) as client:
        yield client


def sendgrid_batch(*events: str, **fields: Any) -> bytes:
    return json.dumps(
        [
            {
                "email": "ada@example.com",
                "timestamp": int(RECEIPT_TIME.timestamp()),
                "event": event,
                "sg_event_id": f"ev-{event}",
                "notification_id": "n-1",
                "customer_id": CUSTOMER,
                **fields,
            }
            for event in events
        ]
    ).encode()


def signed_headers(
    body: bytes, stamp: str = STAMP, key: ec.EllipticCurvePrivateKey = PRIVATE_KEY
) -> dict[str, str]:
    """SendGrid's signature of the timestamp and the body, and the timestamp."""
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
    }


async def sendgrid(
    client: Client, body: bytes, *, stamp: str = STAMP, signed_body: bytes | None = None
) -> Any:
    signed = signed_headers(body if signed_body is None else signed_body, stamp)
    headers = {"Content-Type": "application/json", **signed}
    return await client.post("/receipts/sendgrid", content=body, headers=headers)


async def test_a_signed_sendgrid_batch_is_on_the_receipts_topic_keyed_by_customer(
    receipts_client: Client, kafka: FakeKafka
) -> None:
    answer = await sendgrid(receipts_client, sendgrid_batch("processed", "delivered"))
    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"
    records = kafka.on(TOPICS.receipts)
    assert [DeliveryReceipt.model_validate_json(r.value).status for r in records] == [
        "accepted",
        "delivered",
    ]
    assert {r.key for r in records} == {CUSTOMER.encode()}
    assert kafka.on(TOPICS.events) == []


async def test_a_bounce_also_publishes_contact_failed_once(
    receipts_client: Client, kafka: FakeKafka
) -> None:
    body = sendgrid_batch("bounce", reason="550 5.1.1 user unknown", status="5.1.1")
    assert (await sendgrid(receipts_client, body)).status_code == 200
    again = await sendgrid(receipts_client, body)  # SendGrid redelivers
    assert again.status_code == 200
    [record] = kafka.on(TOPICS.events)
    event = decode_event(record.value)
    assert (event.type, record.key) == ("contact.failed", CUSTOMER.encode())
    assert event.data.action == "bounced"  # type: ignore[attr-defined]
    receipts = [DeliveryReceipt.model_validate_json(r.value) for r in kafka.on(TOPICS.receipts)]
    assert len({r.receipt_id for r in receipts}) == 1  # the redelivery has the same id


@pytest.mark.parametrize(
    "how", ["wrong key", "tampered body", "no signature", "no timestamp", "stale", "future"]
)
async def test_a_sendgrid_post_that_fails_verification_is_401_and_publishes_nothing(
    receipts_client: Client, kafka: FakeKafka, how: str
) -> None:
    body = sendgrid_batch("spamreport")
    if how == "wrong key":
        headers = signed_headers(body, key=ec.generate_private_key(ec.SECP256R1()))
        answer = await receipts_client.post("/receipts/sendgrid", content=body, headers=headers)
    elif how == "tampered body":
        answer = await sendgrid(receipts_client, body.replace(b"ada@", b"eve@"), signed_body=body)
    elif how in ("no signature", "no timestamp"):
        dropped = "Signature" if how == "no signature" else "Timestamp"
        signed = signed_headers(body)
        del signed[f"X-Twilio-Email-Event-Webhook-{dropped}"]
        answer = await receipts_client.post("/receipts/sendgrid", content=body, headers=signed)
    else:
        shift = -601 if how == "stale" else 601
        answer = await sendgrid(receipts_client, body, stamp=str(int(STAMP) + shift))
    assert answer.status_code == 401
    assert kafka.records == []


async def test_without_a_configured_key_sendgrid_receipts_are_refused(
    client: Client, kafka: FakeKafka
) -> None:
    answer = await sendgrid(client, sendgrid_batch("delivered"))
    assert answer.status_code == 401
    assert "no SendGrid verification key" in answer.json()["error"]


async def test_a_signed_sendgrid_body_that_is_not_an_array_is_400(
    receipts_client: Client, kafka: FakeKafka
) -> None:
    assert (await sendgrid(receipts_client, b'{"event": "delivered"}')).status_code == 400
    assert (await sendgrid(receipts_client, b"[{")).status_code == 400
    assert kafka.records == []


async def test_receipts_with_kafka_down_are_503_and_the_retry_is_accepted(
    receipts_client: Client, kafka: FakeKafka
) -> None:
    kafka.down = True
    body = sendgrid_batch("bounce")
    answer = await sendgrid(receipts_client, body)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    kafka.down = False
    assert (await sendgrid(receipts_client, body)).status_code == 200
    assert len(kafka.on(TOPICS.events)) == len(kafka.on(TOPICS.receipts)) == 1


def twilio_form(status: str, code: str = "") -> dict[str, str]:
    return {
        "MessageSid": "SM1",
        "MessageStatus": status,
        "To": "+358401234567",
        "ErrorCode": code,
        "AccountSid": "AC" + "1" * 32,
    }


def twilio_headers(
    form: dict[str, str], path: str = f"/receipts/twilio?{QUERY}", token: str = TWILIO_TOKEN
) -> dict[str, str]:
    """Twilio's signature of the callback as sent to `path` on the public URL."""
    signature = twilio_signature(PUBLIC_URL + path, sorted(form.items()), token)
    return {"X-Twilio-Signature": signature}


async def twilio(
    client: Client, form: dict[str, str], *, query: str = QUERY, token: str = TWILIO_TOKEN
) -> Any:
    path = f"/receipts/twilio?{query}" if query else "/receipts/twilio"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    headers |= twilio_headers(form, path, token)
    return await client.post(path, content=urlencode(form).encode(), headers=headers)


async def test_a_signed_twilio_callback_is_a_receipt_and_stop_opts_out(
    receipts_client: Client, kafka: FakeKafka
) -> None:
    delivered = await twilio(receipts_client, twilio_form("delivered"))
    assert delivered.status_code == 200
    stop = await twilio(receipts_client, twilio_form("undelivered", "21610"))
    assert stop.status_code == 200
    receipts = [DeliveryReceipt.model_validate_json(r.value) for r in kafka.on(TOPICS.receipts)]
    assert [(r.status, r.notification_id, r.customer_id) for r in receipts] == [
        ("delivered", "n-1", CUSTOMER),
        ("undelivered", "n-1", CUSTOMER),
    ]
    [record] = kafka.on(TOPICS.events)
    assert decode_event(record.value).data.action == "opted_out"  # type: ignore[attr-defined]


@pytest.mark.parametrize("how", ["token", "query", "param", "missing"])
async def test_a_twilio_callback_that_fails_verification_is_401(
    receipts_client: Client, kafka: FakeKafka, how: str
) -> None:
    form = twilio_form("undelivered", "21610")
    if how == "token":
        answer = await twilio(receipts_client, form, token="guess")
    elif how == "query":  # signed for one notification, sent for another
        answer = await receipts_client.post(
            "/receipts/twilio?notification_id=n-2&customer_id=c-2",
            content=urlencode(form).encode(),
            headers=twilio_headers(form),
        )
    elif how == "param":
        tampered = {**form, "ErrorCode": "30006"}
        answer = await receipts_client.post(
            f"/receipts/twilio?{QUERY}",
            content=urlencode(tampered).encode(),
            headers=twilio_headers(form),
        )
    else:
        answer = await receipts_client.post(
            f"/receipts/twilio?{QUERY}", content=urlencode(form).encode()
        )
    assert answer.status_code == 401
    assert kafka.records == []


async def test_a_query_string_header_sent_by_a_caller_is_not_believed(
    receipts_client: Client, kafka: FakeKafka
) -> None:
    form = twilio_form("delivered")
    headers = {**twilio_headers(form), "X-Aftercart-Query-String": QUERY}
    answer = await receipts_client.post(
        "/receipts/twilio", content=urlencode(form).encode(), headers=headers
    )
    assert answer.status_code == 401


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(
        st.dictionaries(
            st.sampled_from(["event", "email", "timestamp", "notification_id", "customer_id"]),
            json_values(["bounce", "delivered", "spamreport", "n-1", CUSTOMER]),
        ),
        max_size=4,
    )
    | json_values(),
)
async def test_no_signed_sendgrid_body_makes_the_gateway_fail(
    receipts_client: Client, kafka: FakeKafka, events: Any
) -> None:
    before = len(kafka.records)
    answer = await sendgrid(receipts_client, json.dumps(events).encode())
    assert answer.status_code in {200, 400}
    for record in kafka.records[before:]:
        if record.topic == TOPICS.events:
            assert decode_event(record.value).type == "contact.failed"
        else:
            DeliveryReceipt.model_validate_json(record.value)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    form=st.dictionaries(
        st.sampled_from(["MessageSid", "MessageStatus", "ErrorCode", "To", "Other"]),
        st.text(max_size=20) | st.sampled_from(["undelivered", "21610", "SM9"]),
    ),
    query=st.sampled_from([QUERY, "", "notification_id=", "customer_id=%FF&notification_id=x"]),
)
async def test_no_signed_twilio_callback_makes_the_gateway_fail(
    receipts_client: Client, kafka: FakeKafka, form: dict[str, str], query: str
) -> None:
    answer = await twilio(receipts_client, form, query=query)
    assert answer.status_code in {200, 400}


@pytest.mark.parametrize("accept_sandbox", [False, True])
async def test_without_twilio_credentials_only_a_sandbox_stack_believes_the_sandbox_token(
    intake: Intake, kafka: FakeKafka, accept_sandbox: bool
) -> None:
    # Given a gateway with no Twilio account (the sandbox's token is public)
    settings = Settings(public_url=PUBLIC_URL, receipts_accept_sandbox=accept_sandbox)
    form = twilio_form("undelivered", "21610")
    async with connect(create_gateway(settings, intake, clock=lambda: RECEIPT_TIME)) as client:
        # When a STOP signed with the sandbox's token arrives
        answer = await twilio(client, form, token=SANDBOX_TWILIO_TOKEN)
    # Then only a stack that runs the sandbox believes it; anywhere else nobody can forge one
    assert answer.status_code == (200 if accept_sandbox else 401)
    assert len(kafka.on(TOPICS.events)) == (1 if accept_sandbox else 0)
    if not accept_sandbox:
        assert "AFTERCART_TWILIO_AUTH_TOKEN" in answer.json()["error"]


async def test_with_twilio_credentials_the_sandbox_token_is_refused(
    receipts_client: Client, kafka: FakeKafka
) -> None:
    form = twilio_form("undelivered", "21610")
    answer = await twilio(receipts_client, form, token=SANDBOX_TWILIO_TOKEN)
    assert answer.status_code == 401 and kafka.on(TOPICS.events) == []
