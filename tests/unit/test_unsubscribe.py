"""One-click unsubscribe: a signed link in every marketing email, honoured by the gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from deciding import POLICY
from ingesting import TOPICS, FakeKafka, connect
from pydantic import SecretStr
from sendgrid.helpers.mail import From

from channels.messages import EmailMessage
from channels.sendgrid_email import mail_body
from ingest.accept import Intake
from ingest.dedupe import SeenEvents
from ingest.gateway import create_gateway
from runtime import signing, unsubscribe
from runtime.settings import Settings
from schemas.codec import decode_event, new_event
from streams.handle import Context, on_wake
from streams.lifecycle import scheduled

SECRET = b"unsubscribe-secret"


def test_a_link_names_its_customer_and_nothing_forged_passes() -> None:
    token = unsubscribe.token(SECRET, "shop.example/customers/7")
    assert unsubscribe.customer_of([SECRET], token) == "shop.example/customers/7"
    who, _, signature = token.partition(".")
    forged = unsubscribe.token(b"another secret", "shop.example/customers/8")
    for bad in (forged, f"{who}.", f"{forged.partition('.')[0]}.{signature}", "x", ""):
        with pytest.raises(ValueError):
            unsubscribe.customer_of([SECRET], bad)


def test_links_signed_with_an_older_secret_still_work_after_a_rotation() -> None:
    # Given a link mailed under the old secret, and a new one added before it
    old_link = unsubscribe.token(b"old unsubscribe secret", "c7")
    settings = Settings(
        unsubscribe_secret=SecretStr("new unsubscribe secret"),
        unsubscribe_secrets=[SecretStr("old unsubscribe secret")],
    )
    secrets = unsubscribe.secrets_of(settings)
    # Then new links are signed with the new one, and both are honoured
    assert secrets == (b"new unsubscribe secret", b"old unsubscribe secret")
    assert unsubscribe.customer_of(secrets, old_link) == "c7"
    assert unsubscribe.customer_of(secrets, unsubscribe.token(secrets[0], "c8")) == "c8"
    # And once the old secret is dropped, its links are not
    with pytest.raises(ValueError):
        unsubscribe.customer_of(secrets[:1], old_link)


def test_the_secrets_list_alone_configures_unsubscribe() -> None:
    settings = Settings(
        unsubscribe_secrets=[
            SecretStr("first secret, long enough"),
            SecretStr("second secret, long enough"),
        ]
    )
    assert unsubscribe.secrets_of(settings) == (
        b"first secret, long enough",
        b"second secret, long enough",
    )
    assert unsubscribe.secrets_of(Settings()) == ()


def test_a_token_signed_for_another_purpose_does_not_unsubscribe() -> None:
    other = signing.sign("preferences", "c7", SECRET)
    with pytest.raises(ValueError):
        unsubscribe.customer_of([SECRET], other)
    # nor dressed up as a link from before tokens named their purpose
    payload = base64.urlsafe_b64encode(b"preferences\0c7").rstrip(b"=").decode()
    with pytest.raises(ValueError):
        unsubscribe.customer_of([SECRET], f"{payload}.{other.partition('.')[2]}")


def test_links_mailed_before_tokens_named_their_purpose_still_work() -> None:
    who = b"shop.example/customers/7"
    mac = hmac.new(SECRET, who, hashlib.sha256).digest()
    b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    assert unsubscribe.customer_of([SECRET], f"{b64(who)}.{b64(mac)}") == who.decode()


def test_marketing_emails_carry_the_link_and_the_list_unsubscribe_headers() -> None:
    # Given a review request waiting for a customer who accepts offers by email
    link = lambda customer: unsubscribe.link("https://hooks.example", SECRET, customer)  # noqa: E731
    policy = POLICY.__class__(**{**POLICY.__dict__, "unsubscribe": link})
    delivered = new_event(
        "fulfillment.delivered",
        {"customer_id": "c1", "order_id": "o1", "order_number": "#1", "fulfillment_id": "f1"},
        source="t",
        time=datetime(2026, 11, 1, tzinfo=UTC),
    )
    plan = {"pending": [scheduled(delivered, "review.request", "review:o1", delivered.time)]}
    profile = {"customer_id": "c1", "email": "c1@example.com"}
    prefs = {"marketing": {"email": True}}
    # When it fires
    out = on_wake(plan, Context(profile, prefs, policy, datetime(2026, 11, 8, tzinfo=UTC)))
    [request] = out.requests
    url = request.data["unsubscribe_url"]
    assert url.startswith("https://hooks.example/unsubscribe?t=")
    # Then the email offers one-click unsubscribe to the mail client (RFC 8058)
    message = EmailMessage("n1", "c1@example.com", None, "s", "t", "<p>h</p>", "c1", url)
    headers = json.loads(mail_body(message, From("shop@example.com")))["headers"]
    assert headers["List-Unsubscribe"] == f"<{url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_the_gateway_asks_on_get_and_switches_marketing_email_off_on_post() -> None:
    kafka = FakeKafka()
    intake = Intake(TOPICS, SeenEvents(3600), sink=kafka)
    settings = Settings(unsubscribe_secret=SecretStr(SECRET.decode()), shop_name="Moomin Shop")
    query = {"t": unsubscribe.token(SECRET, "shop.example/customers/7")}
    async with connect(create_gateway(settings, intake)) as client:
        page = await client.get("/unsubscribe", params=query)
        assert page.status_code == 200 and '<form method="post"' in page.text
        assert kafka.records == []  # a link checker fetching the page unsubscribes nobody
        done = await client.post(
            "/unsubscribe", params=query, content=b"List-Unsubscribe=One-Click"
        )
        assert done.status_code == 200 and "You are unsubscribed" in done.text
        forged = await client.post("/unsubscribe", params={"t": "x.y"})
        assert forged.status_code == 400
    [record] = kafka.on(TOPICS.events)
    event = decode_event(record.value)
    assert event.type == "preferences.updated"
    assert event.data.model_dump(exclude_none=True) == {  # type: ignore[attr-defined]
        "customer_id": "shop.example/customers/7",
        "marketing": {"email": False},
    }


async def test_without_a_secret_there_is_no_unsubscribe_endpoint() -> None:
    intake = Intake(TOPICS, SeenEvents(3600), sink=FakeKafka())
    async with connect(create_gateway(Settings(), intake)) as client:
        assert (await client.post("/unsubscribe", params={"t": "a.b"})).status_code == 404
