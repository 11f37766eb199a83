"""The gateway over HTTP, with a hand-written Kafka stand-in: what a shop sees."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_fuzz import json_values
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.dedupe import SeenEvents
from ingest.gateway import create_gateway
from ingest.receipts import twilio_signature
from ingest.shopify import MAPPERS
from ingest.signatures import sign
from ingest.sink import KafkaUnavailable, Record
from runtime.settings import Settings
from schemas.codec import decode_event, new_event
from schemas.deadletter import DeadLetter
from schemas.receipt import DeliveryReceipt
from schemas.topics import Topics

FIXTURES = Path(__file__).parent.parent / "fixtures"
SHOP = "jsmith.myshopify.com"
STORE = "https://example.com/"
TOKEN = "custom-shop-token"


class FakeKafka:
    """Keeps what was sent; can be switched off to play a broker that is down."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.down = False

    async def send(self, records: list[Record]) -> None:
        if self.down:
            raise KafkaUnavailable("Kafka did not acknowledge: KafkaTimeoutError")
        self.records.extend(records)

    async def reachable(self) -> bool:
        return not self.down

    def on(self, topic: str) -> list[Record]:
        return [r for r in self.records if r.topic == topic]


TOPICS = Topics("t")
Client = httpx.AsyncClient


@pytest.fixture
def kafka() -> FakeKafka:
    return FakeKafka()


@pytest.fixture
def intake(kafka: FakeKafka) -> Intake:
    return Intake(TOPICS, SeenEvents(3600), sink=kafka)


@pytest.fixture
async def client(intake: Intake) -> AsyncIterator[Client]:
    settings = Settings(
        shopify_secrets={SHOP: [SecretStr("new-secret"), SecretStr("old-secret")]},
        woocommerce_secrets={"https://example.com": [SecretStr("woo-secret")]},
        events_tokens=[SecretStr(TOKEN)],
        gateway_max_body_bytes=64 * 1024,
    )
    async with connect(create_gateway(settings, intake)) as client:
        yield client


def connect(app: Any) -> Client:
    """An HTTP client that calls the ASGI app in-process."""
    return Client(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def shopify(
    client: Client,
    body: bytes,
    *,
    topic: str = "orders/create",
    secret: str = "new-secret",
    webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    shop: str = SHOP,
    **headers: str,
) -> Any:
    return await client.post(
        "/webhooks/shopify",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": "2026-11-23T10:00:00.000000Z",
            **headers,
        },
    )


async def test_a_signed_shopify_order_is_on_kafka_before_the_200(
    client: Client, kafka: FakeKafka
) -> None:
    answer = await shopify(client, fixture("shopify/orders_create.json"))
    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"
    [record] = kafka.on(TOPICS.events)
    event = decode_event(record.value)
    assert event.type == "order.placed"
    assert record.key == f"{SHOP}/customers/115310627314723954".encode()  # whose order it is
    assert event.data.order_number == "#9999"  # type: ignore[attr-defined]
    assert answer.json()["events"] == [{"id": event.id, "type": "order.placed"}]


async def test_a_redelivered_webhook_publishes_nothing_more(
    client: Client, kafka: FakeKafka
) -> None:
    body = fixture("shopify/orders_create.json")
    assert (await shopify(client, body)).json()["status"] == "accepted"
    again = await shopify(client, body)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert len(kafka.on(TOPICS.events)) == 1


async def test_the_previous_secret_still_verifies_during_rotation(
    client: Client, kafka: FakeKafka
) -> None:
    answer = await shopify(client, fixture("shopify/orders_create.json"), secret="old-secret")
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "someone-elses-secret"},
        {"shop": "other-shop.myshopify.com"},
        {"X-Shopify-Hmac-Sha256": ""},
        {"X-Shopify-Hmac-Sha256": "not base64!"},
    ],
)
async def test_a_wrong_or_missing_signature_is_401_and_nothing_is_published(
    client: Client, kafka: FakeKafka, change: dict[str, str]
) -> None:
    answer = await shopify(client, fixture("shopify/orders_create.json"), **change)
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"]
    assert kafka.records == []


async def test_a_tampered_body_fails_the_signature(client: Client, kafka: FakeKafka) -> None:
    body = fixture("shopify/orders_create.json")
    answer = await client.post(
        "/webhooks/shopify",
        content=body.replace(b"404.95", b"0.01"),
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign(body, "new-secret"),
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": "w",
        },
    )
    assert answer.status_code == 401
    assert kafka.records == []


async def test_malformed_json_is_400(client: Client, kafka: FakeKafka) -> None:
    answer = await shopify(client, b'{"id": 1,')
    assert answer.status_code == 400
    assert "malformed JSON" in answer.json()["error"]
    assert kafka.records == []


async def test_a_body_over_the_limit_is_413(client: Client, kafka: FakeKafka) -> None:
    body = json.dumps({"note": "x" * 70_000}).encode()
    assert (await shopify(client, body)).status_code == 413
    assert kafka.records == []


async def test_an_unmappable_payload_is_422_naming_the_field_and_kept_as_a_dead_letter(
    client: Client, kafka: FakeKafka
) -> None:
    order = json.loads(fixture("shopify/orders_create.json"))
    del order["currency"]
    body = json.dumps(order).encode()
    answer = await shopify(client, body)
    assert answer.status_code == 422
    assert answer.json()["field"] == "currency"
    assert kafka.on(TOPICS.events) == []
    [record] = kafka.on(TOPICS.deadletter)
    dead = DeadLetter.model_validate_json(record.value)
    assert dead.stage == "ingest"
    assert "currency" in dead.reason
    assert dead.original() == body


async def test_an_unknown_topic_is_200_and_recorded_as_ignored(
    client: Client, kafka: FakeKafka, intake: Intake
) -> None:
    answer = await shopify(client, b'{"id": 1}', topic="products/create")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored"
    assert kafka.records == []
    assert intake.counts["ignored"] == 1


async def test_with_kafka_down_the_shop_gets_503_and_its_retry_is_accepted(
    client: Client, kafka: FakeKafka
) -> None:
    body = fixture("shopify/orders_create.json")
    kafka.down = True
    answer = await shopify(client, body)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    assert (await client.get("/readyz")).status_code == 503
    kafka.down = False
    retry = await shopify(client, body)
    assert retry.json()["status"] == "accepted"  # not mistaken for a duplicate
    assert len(kafka.on(TOPICS.events)) == 1
    assert (await client.get("/readyz")).json() == {"ready": True}


async def test_an_unmappable_payload_with_kafka_down_is_503_not_422(
    client: Client, kafka: FakeKafka
) -> None:
    kafka.down = True  # the dead letter cannot be kept, so the shop must send it again
    assert (await shopify(client, b'{"id": 1}')).status_code == 503


async def test_before_kafka_is_reached_the_gateway_is_not_ready(kafka: FakeKafka) -> None:
    intake = Intake(TOPICS, SeenEvents(3600))
    settings = Settings(shopify_secrets={SHOP: [SecretStr("new-secret")]})
    async with connect(create_gateway(settings, intake)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        assert (await shopify(client, fixture("shopify/orders_create.json"))).status_code == 503


async def woo(client: Client, body: bytes, topic: str, secret: str = "woo-secret") -> Any:
    return await client.post(
        "/webhooks/woocommerce",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": STORE,
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign(body, secret),
            "X-WC-Webhook-Delivery-ID": "d1",
        },
    )


async def test_woocommerce_ping_on_webhook_creation_is_answered_200(
    client: Client, kafka: FakeKafka
) -> None:
    answer = await client.post(
        "/webhooks/woocommerce",
        content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert kafka.records == []


async def test_woocommerce_status_transition_publishes_only_what_is_new(
    client: Client, kafka: FakeKafka
) -> None:
    created = await woo(client, fixture("woocommerce/order_created.json"), "order.created")
    assert created.status_code == 200
    types = [decode_event(r.value).type for r in kafka.on(TOPICS.events)]
    assert types == ["order.placed", "order.paid"]
    order = json.loads(fixture("woocommerce/order_created.json"))
    order["date_modified_gmt"] = "2017-03-22T19:30:00"  # a note was added, still processing
    await woo(client, json.dumps(order).encode(), "order.updated")
    assert len(kafka.on(TOPICS.events)) == 2
    await woo(client, fixture("woocommerce/order_updated.json"), "order.updated")
    types = [decode_event(r.value).type for r in kafka.on(TOPICS.events)]
    assert types == ["order.placed", "order.paid", "fulfillment.shipped"]


async def test_woocommerce_wrong_signature_is_401(client: Client, kafka: FakeKafka) -> None:
    answer = await woo(client, fixture("woocommerce/order_created.json"), "order.created", "guess")
    assert answer.status_code == 401
    assert kafka.records == []


def cloud_event() -> dict[str, Any]:
    data = {"customer_id": "c-1", "email": "ada@shop.example", "language": "fi"}
    event = new_event("customer.upserted", data, source="https://custom.shop", event_id="e-1")
    return json.loads(event.model_dump_json(exclude_none=True))


async def test_cloudevents_need_the_bearer_token(client: Client, kafka: FakeKafka) -> None:
    body = json.dumps(cloud_event()).encode()
    headers = {"Content-Type": "application/cloudevents+json"}
    assert (await client.post("/events", content=body, headers=headers)).status_code == 401
    wrong = {**headers, "Authorization": "Bearer nope"}
    assert (await client.post("/events", content=body, headers=wrong)).status_code == 401
    assert kafka.records == []


async def test_cloudevents_structured_and_binary_mode(client: Client, kafka: FakeKafka) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    event = cloud_event()
    structured = await client.post(
        "/events",
        content=json.dumps(event).encode(),
        headers={**auth, "Content-Type": "application/cloudevents+json"},
    )
    assert structured.json()["status"] == "accepted"
    binary = await client.post(
        "/events",
        content=json.dumps(event["data"] | {"email": "ada@new.example"}).encode(),
        headers={
            **auth,
            "Content-Type": "application/json",
            "ce-specversion": "1.0",
            "ce-id": "e-2",
            "ce-source": "https://custom.shop",
            "ce-type": "customer.upserted",
            "ce-time": "2026-11-23T10:00:00Z",
        },
    )
    assert binary.json()["status"] == "accepted"
    published = [decode_event(r.value) for r in kafka.on(TOPICS.events)]
    assert [e.id for e in published] == ["e-1", "e-2"]
    assert published[1].data.email == "ada@new.example"  # type: ignore[attr-defined]
    assert all(r.key == b"c-1" for r in kafka.on(TOPICS.events))


async def test_an_invalid_cloudevent_is_422_and_kept(client: Client, kafka: FakeKafka) -> None:
    event = cloud_event()
    event["data"]["language"] = "Finnish"
    answer = await client.post(
        "/events",
        content=json.dumps(event).encode(),
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/cloudevents+json",
        },
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "data.language"
    assert kafka.on(TOPICS.events) == []
    assert len(kafka.on(TOPICS.deadletter)) == 1


async def test_unknown_paths_and_methods_get_json_errors(client: Client) -> None:
    missing = await client.post("/webhooks/magento", content=b"{}")
    assert missing.status_code == 404
    assert "no such endpoint" in missing.json()["error"]
    wrong = await client.get("/webhooks/shopify")
    assert wrong.status_code == 405


JSON = json_values()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    topic=st.sampled_from([*MAPPERS, "products/create"]),
    payload=JSON,
    signed=st.booleans(),
)
async def test_no_webhook_makes_the_gateway_fail_or_publish_an_invalid_event(
    client: Client, kafka: FakeKafka, topic: str, payload: Any, signed: bool
) -> None:
    body = json.dumps(payload).encode()
    before = len(kafka.records)
    answer = await shopify(
        client, body, topic=topic, secret="new-secret" if signed else "x", webhook_id=str(before)
    )
    assert answer.status_code in {200, 400, 401, 422}
    if not signed:
        assert answer.status_code == 401
    for record in kafka.records[before:]:
        if record.topic == TOPICS.events:
            decode_event(record.value)  # every published event passes its schema
        else:
            assert record.topic == TOPICS.deadletter and answer.status_code == 422


# --- delivery receipts ----------------------------------------------------------------------

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


async def sendgrid(
    client: Client, body: bytes, *, stamp: str = STAMP, signed_body: bytes | None = None
) -> Any:
    signed = stamp.encode() + (body if signed_body is None else signed_body)
    signature = PRIVATE_KEY.sign(signed, ec.ECDSA(hashes.SHA256()))
    return await client.post(
        "/receipts/sendgrid",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        },
    )


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
        other = ec.generate_private_key(ec.SECP256R1()).sign(
            STAMP.encode() + body, ec.ECDSA(hashes.SHA256())
        )
        headers = {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(other).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": STAMP,
        }
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


def signed_headers(body: bytes) -> dict[str, str]:
    signature = PRIVATE_KEY.sign(STAMP.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": STAMP,
    }


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


async def twilio(
    client: Client, form: dict[str, str], *, query: str = QUERY, token: str = TWILIO_TOKEN
) -> Any:
    path = f"/receipts/twilio?{query}" if query else "/receipts/twilio"
    signature = twilio_signature(PUBLIC_URL + path, sorted(form.items()), token)
    return await client.post(
        path,
        content=urlencode(form).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )


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
        url = f"{PUBLIC_URL}/receipts/twilio?{QUERY}"
        headers = {"X-Twilio-Signature": twilio_signature(url, sorted(form.items()), TWILIO_TOKEN)}
        answer = await receipts_client.post(
            "/receipts/twilio?notification_id=n-2&customer_id=c-2",
            content=urlencode(form).encode(),
            headers=headers,
        )
    elif how == "param":
        url = f"{PUBLIC_URL}/receipts/twilio?{QUERY}"
        headers = {"X-Twilio-Signature": twilio_signature(url, sorted(form.items()), TWILIO_TOKEN)}
        tampered = {**form, "ErrorCode": "30006"}
        answer = await receipts_client.post(
            f"/receipts/twilio?{QUERY}", content=urlencode(tampered).encode(), headers=headers
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
    url = f"{PUBLIC_URL}/receipts/twilio?{QUERY}"
    headers = {
        "X-Twilio-Signature": twilio_signature(url, sorted(form.items()), TWILIO_TOKEN),
        "X-Aftercart-Query-String": QUERY,
    }
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
