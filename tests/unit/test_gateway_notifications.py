"""GET /notifications/{id} and GET /orders/{order}/notifications: a shop's support tool reads
what became of its messages, behind a bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from ingesting import Client, connect
from pydantic import SecretStr
from test_explain import NOW, dead_email, receipt, records

from ingest.accept import Intake
from ingest.gateway import create_gateway
from operate.follow import OrderStory
from runtime.settings import Settings

API_TOKEN = "support-tool-token"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


class StoryLookup:
    """The story in memory, as the gateway's follower keeps it, without Kafka."""

    def __init__(self, story: OrderStory) -> None:
        self.story = story
        self.waiting: str | None = None

    def notification(self, notification_id: str) -> dict[str, Any] | None:
        return self.story.notification(notification_id)

    def order(self, order: str) -> dict[str, Any] | None:
        return self.story.order(order)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


@pytest.fixture
def story() -> OrderStory:
    story = OrderStory()
    for record in records():
        story.decided(record.model_dump_json().encode())
    return story


@pytest.fixture
def lookup(story: OrderStory) -> StoryLookup:
    return StoryLookup(story)


def api(intake: Intake, lookup: StoryLookup | None, *tokens: str) -> Client:
    settings = Settings(api_tokens=[SecretStr(t) for t in tokens])
    return connect(create_gateway(settings, intake, lookup=lookup))


@pytest.fixture
async def client(intake: Intake, lookup: StoryLookup) -> AsyncIterator[Client]:
    async with api(intake, lookup, "old-support-tool-token", API_TOKEN) as client:
        yield client


def email_id(story: OrderStory) -> str:
    [nid] = [n for n, life in story.history.lives.items() if life.channel == "email"]
    return nid


async def test_a_delivered_email_reads_as_delivered_with_its_receipt(
    client: Client, story: OrderStory
) -> None:
    nid = email_id(story)
    story.history.ledger(nid, {"at": (NOW + timedelta(seconds=1)).isoformat(), "id": "sg-1"})
    story.history.receipt(receipt(nid, "delivered", NOW + timedelta(seconds=2)))
    answer = await client.get(f"/notifications/{nid}", headers=AUTH)
    assert answer.status_code == 200
    told = answer.json()
    assert (told["state"], told["failed"], told["provider_id"]) == ("delivered", False, "sg-1")
    assert (told["channel"], told["order_number"]) == ("email", "#1001")
    assert [s["kind"] for s in told["steps"]] == ["decided", "accepted", "receipt"]


async def test_a_dead_lettered_email_reads_as_failed_never_as_sent(
    client: Client, story: OrderStory
) -> None:
    nid = email_id(story)
    story.history.dead_letter(dead_email(nid, "permanent: 400 invalid address"))
    told = (await client.get(f"/notifications/{nid}", headers=AUTH)).json()
    assert (told["state"], told["failed"]) == ("dead-lettered", True)
    assert told["steps"][-1]["detail"] == "permanent: 400 invalid address"


@pytest.mark.parametrize("order", ["%231001", "1001", "shop.example%2Forders%2F1001"])
async def test_an_orders_notifications_are_found_by_number_or_id(
    client: Client, story: OrderStory, order: str
) -> None:
    answer = await client.get(f"/orders/{order}/notifications", headers=AUTH)
    assert answer.status_code == 200
    told = answer.json()
    assert [n["notification_id"] for n in told["notifications"]] == [email_id(story)]
    assert told["notifications"][0]["state"] == "pending"
    # every decision about the order is there, the refund held for it included
    assert [e["event_type"] for e in told["events"]] == ["order.placed", "order.refunded"]


async def test_unknown_names_get_404_naming_them(client: Client) -> None:
    answer = await client.get("/notifications/n-nobody", headers=AUTH)
    assert (answer.status_code, answer.json()["error"]) == (
        404,
        "nothing known about notification 'n-nobody'",
    )
    answer = await client.get("/orders/%239999/notifications", headers=AUTH)
    assert answer.json()["error"] == "nothing known about order '#9999'"
    assert (await client.get("/orders/1001", headers=AUTH)).status_code == 404
    assert (await client.post("/notifications/n-1", headers=AUTH)).status_code == 405


async def test_a_wrong_or_missing_token_gets_401_and_reads_nothing(
    client: Client, story: OrderStory
) -> None:
    path = f"/notifications/{email_id(story)}"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": API_TOKEN}):
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 401
        assert "steps" not in answer.json()
    assert (
        await client.get(path, headers={"Authorization": "Bearer old-support-tool-token"})
    ).is_success


async def test_without_api_tokens_the_routes_are_closed_and_say_so(
    intake: Intake, lookup: StoryLookup
) -> None:
    async with api(intake, lookup) as client:
        answer = await client.get("/notifications/n-1", headers=AUTH)
    assert answer.status_code == 401
    assert "AFTERCART_API_TOKENS is not set" in answer.json()["error"]


async def test_until_the_topics_are_read_it_answers_503_and_when_to_retry(
    client: Client, lookup: StoryLookup
) -> None:
    lookup.waiting = "reading the pipeline's records, 120 left"
    answer = await client.get("/orders/1001/notifications", headers=AUTH)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["error"] == "not ready yet: reading the pipeline's records, 120 left"
