"""A replayed notification at the channel worker: the ledger decides, and a suppression is
recorded for `explain`; a first delivery or a new (resent) id goes out as any message."""

from __future__ import annotations

from delivering import NOW, FakeEvent, FakeMessage, FakeSender, delivery, request

from schemas.codec import decode_notification
from schemas.decision import DecisionRecord
from schemas.replay import HEADER, ReplayNote

NOTE = ReplayNote(id="r-1", by="ops@host", at=NOW)


def replayed(value: bytes) -> FakeEvent:
    return FakeEvent(
        value, message=FakeMessage(headers=[(HEADER, NOTE.model_dump_json().encode())])
    )


async def test_a_replayed_message_already_sent_is_recorded_as_suppressed_not_sent() -> None:
    # Given a message delivered once
    sender = FakeSender()
    runner = delivery(sender)
    await runner.batch([FakeEvent(request("n1"))])
    # When a replay puts it back
    outcome = await runner.delivery.handle(replayed(request("n1")), runner.ledger)
    # Then it is not sent again, and the decision record names the replay
    assert sender.sent == ["n1"]
    assert outcome.skipped
    assert outcome.suppressed is not None
    record = DecisionRecord.model_validate_json(outcome.suppressed)
    assert (record.replay, record.outcome) == ("r-1", "suppressed")
    [channel] = record.channels
    assert (channel.notification_id, channel.outcome) == ("n1", "suppressed")
    assert channel.reason == "already sent; replay r-1 by ops@host sent nothing again"


async def test_a_redelivery_that_is_no_replay_records_nothing() -> None:
    sender = FakeSender()
    runner = delivery(sender)
    await runner.batch([FakeEvent(request("n1"))])
    outcome = await runner.delivery.handle(FakeEvent(request("n1")), runner.ledger)
    assert outcome.skipped and outcome.suppressed is None


async def test_a_resent_message_goes_out_under_its_new_id() -> None:
    sender = FakeSender()
    runner = delivery(sender)
    await runner.batch([FakeEvent(request("n1"))])
    again = decode_notification(request("n1")).resent("1")
    outcome = await runner.delivery.handle(
        replayed(again.model_dump_json().encode()), runner.ledger
    )
    assert sender.sent == ["n1", again.notification_id]
    assert outcome.receipt is not None and outcome.suppressed is None
