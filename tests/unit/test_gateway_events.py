"""CloudEvents from a custom shop through the gateway: the bearer token and the content modes."""

from __future__ import annotations

import json
from typing import Any

from ingesting import TOKEN, TOPICS, Client, FakeKafka

from schemas.codec import decode_event, new_event


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
