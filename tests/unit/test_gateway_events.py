"""CloudEvents from a custom shop through the gateway: the bearer token and the content modes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from ingesting import TOKEN, TOPICS, Client, FakeKafka, connect
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.dedupe import SeenEvents, entry_in
from ingest.gateway import create_gateway
from runtime.settings import Settings
from schemas.codec import decode_event, new_event


def cloud_event() -> dict[str, Any]:
    data = {"customer_id": "c-1", "email": "ada@shop.example", "language": "fi"}
    at = datetime(2026, 11, 23, 10, tzinfo=UTC)
    event = new_event(
        "customer.upserted", data, source="https://custom.shop", event_id="e-1", time=at
    )
    return json.loads(event.model_dump_json(exclude_none=True))


async def test_cloudevents_need_the_bearer_token(client: Client, kafka: FakeKafka) -> None:
    body = json.dumps(cloud_event()).encode()
    headers = {"Content-Type": "application/cloudevents+json"}
    assert (await client.post("/events", content=body, headers=headers)).status_code == 401
    wrong = {**headers, "Authorization": "Bearer nope"}
    refused = await client.post("/events", content=body, headers=wrong)
    assert refused.status_code == 401
    assert refused.json()["error"].startswith("a valid bearer token is required")
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


STRUCTURED = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents+json"}


async def post(client: Client, event: Any, headers: dict[str, str] | None = None) -> Any:
    return await client.post(
        "/events", content=json.dumps(event).encode(), headers=headers or STRUCTURED
    )


async def test_an_invalid_cloudevent_gets_every_fault_and_is_not_kept(
    client: Client, kafka: FakeKafka
) -> None:
    event = cloud_event()
    event["data"]["language"] = "Finnish"
    event["data"]["accepts_marketing"] = "yes"
    del event["source"]

    answer = await post(client, event)

    assert answer.status_code == 422
    body = answer.json()
    assert (body["field"], body["error"]) == ("source", "Field required")
    assert [e["field"] for e in body["errors"]] == [
        "source",
        "data.language",
        "data.accepts_marketing",
    ]
    assert kafka.records == []  # the shop's own code sends it again, fixed: nothing is kept


async def test_an_event_without_time_takes_the_time_of_receipt(
    client: Client, kafka: FakeKafka
) -> None:
    event = cloud_event()
    del event["time"], event["partitionkey"]

    answer = await post(client, event)

    assert answer.json()["status"] == "accepted"
    [record] = kafka.on(TOPICS.events)
    published = json.loads(record.value)
    assert published["timeassigned"] is True
    assert published["time"].startswith("20")
    assert record.key == b"c-1"
    again = await post(client, event)  # its redelivery gets another time, and is the same
    assert again.json()["status"] == "duplicate"
    assert len(kafka.on(TOPICS.events)) == 1


async def test_an_id_reused_with_other_content_is_409(client: Client, kafka: FakeKafka) -> None:
    event = cloud_event()
    assert (await post(client, event)).json()["status"] == "accepted"
    assert (await post(client, event)).json()["status"] == "duplicate"

    event["data"]["email"] = "someone@else.example"
    answer = await post(client, event)

    assert answer.status_code == 409
    assert answer.json() == {
        "error": "id reused with different content",
        "id": "e-1",
        "source": "https://custom.shop",
    }
    assert len(kafka.on(TOPICS.events)) == 1


async def test_a_batch_naming_one_id_twice_differently_is_409(
    client: Client, kafka: FakeKafka
) -> None:
    first, second = cloud_event(), cloud_event()
    second["data"]["email"] = "someone@else.example"
    batch = {**STRUCTURED, "Content-Type": "application/cloudevents-batch+json"}

    answer = await post(client, [first, second], batch)

    assert answer.status_code == 409
    assert kafka.records == []


async def test_an_id_reused_is_409_after_a_gateway_restart(kafka: FakeKafka) -> None:
    # Given an event accepted by one gateway, and another gateway whose memory is rebuilt
    # from the events topic as it would be at start,
    async with connect(gateway(Intake(TOPICS, SeenEvents(3600), sink=kafka))) as first:
        assert (await post(first, cloud_event())).json()["status"] == "accepted"
    restarted = SeenEvents(3600)
    for record in kafka.on(TOPICS.events):
        key, print_ = entry_in(record.value) or ("", b"")
        restarted.add(key, print_=print_)
    async with connect(gateway(Intake(TOPICS, restarted, sink=kafka))) as second:
        # when the same id comes again, unchanged and then changed,
        same = await post(second, cloud_event())
        changed = cloud_event()
        changed["data"]["language"] = "en"
        reused = await post(second, changed)
    # then the first is a duplicate and the second a conflict.
    assert same.json()["status"] == "duplicate"
    assert reused.status_code == 409
    assert len(kafka.on(TOPICS.events)) == 1


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/cloudevents+xml", ""]
)
async def test_a_content_type_no_mode_takes_is_415(
    client: Client, kafka: FakeKafka, content_type: str
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type}

    answer = await post(client, cloud_event(), headers)

    assert answer.status_code == 415
    assert "application/cloudevents+json" in answer.json()["error"]
    assert kafka.records == []


async def test_without_any_token_the_route_says_it_is_closed(kafka: FakeKafka) -> None:
    settings = Settings(events_tokens=[])
    app = create_gateway(settings, Intake(TOPICS, SeenEvents(3600), sink=kafka))
    async with connect(app) as closed:
        answer = await post(closed, cloud_event())

    assert answer.status_code == 401
    assert answer.json()["error"] == (
        "POST /events is closed: no token is configured (AFTERCART_EVENTS_TOKENS)"
    )
    assert kafka.records == []


def gateway(intake: Intake) -> Any:
    return create_gateway(Settings(events_tokens=[SecretStr(TOKEN)]), intake)
