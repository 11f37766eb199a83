"""Bad input at volume through the gateway: too many events in a batch, too many form fields,
each refused with its limit named, before any signature or token is looked at."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from ingesting import TOKEN, Client, FakeKafka, connect
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.gateway import create_gateway
from runtime.settings import Settings
from schemas.codec import new_event

BATCH = {"Content-Type": "application/cloudevents-batch+json", "Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def small_batches(intake: Intake) -> AsyncIterator[Client]:
    settings = Settings(
        events_tokens=[SecretStr(TOKEN)],
        events_max_batch=3,
        unsubscribe_secret=SecretStr("unsubscribe-secret"),
    )
    async with connect(create_gateway(settings, intake)) as client:
        yield client


def events(n: int) -> bytes:
    batch = [
        json.loads(
            new_event(
                "order.cancelled", {"order_id": f"o{i}"}, source="https://c.shop", event_id=str(i)
            ).model_dump_json(exclude_none=True)
        )
        for i in range(n)
    ]
    return json.dumps(batch).encode()


async def test_a_batch_over_the_limit_is_413_naming_it_and_nothing_is_published(
    small_batches: Client, kafka: FakeKafka
) -> None:
    answer = await small_batches.post("/events", content=events(4), headers=BATCH)
    assert answer.status_code == 413
    assert answer.json()["limit"] == 3
    assert "at most 3" in answer.json()["error"]
    assert "AFTERCART_EVENTS_MAX_BATCH" in answer.json()["error"]
    assert kafka.records == []


async def test_a_batch_at_the_limit_is_accepted(small_batches: Client, kafka: FakeKafka) -> None:
    answer = await small_batches.post("/events", content=events(3), headers=BATCH)
    assert answer.status_code == 200
    assert len(kafka.records) == 3


async def test_the_default_limit_is_a_thousand_events() -> None:
    assert Settings().events_max_batch == 1000


FIELDS = "&".join(f"f{i}=x" for i in range(1001))


async def test_a_twilio_form_of_too_many_fields_is_413_not_a_crash(
    small_batches: Client, kafka: FakeKafka
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"}
    answer = await small_batches.post("/receipts/twilio", content=FIELDS, headers=headers)
    assert answer.status_code == 413
    assert answer.json()["error"] == "more than 1000 fields in the form or query string"
    ok = await small_batches.post("/receipts/twilio?n=1", content="a=1", headers=headers)
    assert ok.status_code == 401  # a form of few fields goes on to the signature check


async def test_an_unsubscribe_link_of_too_many_fields_is_413(small_batches: Client) -> None:
    for method in ("GET", "POST"):
        answer = await small_batches.request(method, f"/unsubscribe?{FIELDS}")
        assert answer.status_code == 413
        assert "1000 fields" in answer.json()["error"]
