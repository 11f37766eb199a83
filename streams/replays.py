"""A replayed event (schemas/replay.py): decided again with what is known now, but not
counted into the customer's profile a second time, and its decisions marked as the replay's.

With `--resend` its messages go under new ids that point at the originals, so the channel
workers' ledgers send them once more; without, they keep their ids, and a message already
sent is not sent again.
"""

from __future__ import annotations

from dataclasses import replace

from schemas.decision import DecisionRecord
from schemas.replay import HEADER, ReplayNote
from streams.handle import Outcome
from streams.routing import Route


def replay_route(where: Route, purchases: str, note: ReplayNote | None) -> Route:
    """What an event sends first; a replayed one not its purchases, already counted once."""
    if note is None:
        return where
    return replace(where, records=tuple(r for r in where.records if r[0] != purchases))


def replayed(outcome: Outcome, note: ReplayNote) -> Outcome:
    """The outcome as the replay's: records marked, messages under new ids with --resend."""
    renamed: dict[str, str] = {}
    requests = outcome.requests
    if note.resend is not None:
        requests = [r.resent(note.resend) for r in outcome.requests]
        renamed = {r.resend_of: r.notification_id for r in requests if r.resend_of}
    records = [_marked(r, note.id, renamed) for r in outcome.records]
    return replace(outcome, requests=requests, records=records)


def header(note: ReplayNote | None) -> list[tuple[str, bytes]] | None:
    """The header to pass on with a record a replayed event leads to (None: not replayed)."""
    return None if note is None else [(HEADER, note.model_dump_json().encode())]


def _marked(record: DecisionRecord, replay: str, renamed: dict[str, str]) -> DecisionRecord:
    channels = tuple(
        c.model_copy(update={"notification_id": renamed[c.notification_id]})
        if c.notification_id in renamed
        else c
        for c in record.channels
    )
    return record.model_copy(update={"replay": replay, "channels": channels})
