"""Each notification's whole life, put together from what the pipeline wrote on Kafka.

A decision says a message should go; what became of it is told by other records: the retry
topics (each failed attempt, and when the next is due), the dead-letter topic (given up, with
every attempt), the channel workers' delivery ledgers (accepted by the provider, with its id)
and the receipts topic (delivered, bounced, opened...). `History` folds them in, in any
order, and `Life.state` says where the message stands: a message that failed never reads as
sent. Pure: the records come from operate/sources.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from channels.order import LINE_KEY
from schemas.codec import InvalidMessage, decode_notification
from schemas.deadletter import Attempt, DeadLetter
from schemas.decision import DecisionRecord
from schemas.receipt import DeliveryReceipt
from schemas.retry import RetryRecord

StepKind = Literal[
    "decided", "failed", "retrying", "accepted", "expired", "superseded", "dead", "receipt"
]
# The state each step leaves the message in (a failed attempt is followed by retrying or dead);
# a receipt leaves it in the provider's word (delivered, bounced...).
STATE_OF: dict[StepKind, str] = {
    "decided": "pending",
    "retrying": "retrying",
    "accepted": "sent",
    "expired": "expired",
    "superseded": "superseded",
    "dead": "dead-lettered",
}
FAILED_RECEIPTS = frozenset({"bounced", "dropped", "undelivered", "failed", "complained"})


@dataclass(frozen=True)
class Step:
    """One thing that happened to a notification."""

    at: datetime
    kind: StepKind
    detail: str = ""
    code: str | None = None


@dataclass
class Life:
    """One notification: where it was decided, and everything that happened to it since."""

    notification_id: str
    channel: str | None = None
    customer_id: str | None = None
    event_id: str | None = None
    provider_id: str | None = None
    steps: list[Step] = field(default_factory=list)

    def ordered(self) -> list[Step]:
        """The steps in the order they happened."""
        return sorted(self.steps, key=lambda s: s.at)

    @property
    def state(self) -> str:
        """pending, retrying, sent, expired (past its useful life, unsent), superseded,
        dead-lettered, or the
        provider's word once it reported
        (delivered, bounced...): what the latest step left it in; `unknown` with no steps."""
        state = "unknown"
        for step in self.ordered():
            if step.kind == "receipt":
                state = step.detail.split(":", 1)[0]
            elif step.kind in STATE_OF:
                state = STATE_OF[step.kind]
        return state

    @property
    def failed(self) -> bool:
        """Whether the message did not reach the customer (dead-lettered, bounced...)."""
        return self.state in ("dead-lettered", "expired", "superseded") or (
            self.state in FAILED_RECEIPTS
        )

    def add(self, step: Step) -> None:
        """Add a step, once: the same attempt is told by every retry record after it."""
        if step not in self.steps:
            self.steps.append(step)


class History:
    """Notifications by id, built from any mix of the pipeline's records."""

    def __init__(self) -> None:
        self.lives: dict[str, Life] = {}

    def life(self, notification_id: str) -> Life:
        """The notification's life so far (an empty one if nothing is known)."""
        return self.lives.setdefault(notification_id, Life(notification_id))

    def decision(self, record: DecisionRecord) -> None:
        """A decision to send names the notification, its channel and its customer."""
        for outcome in record.channels:
            if outcome.outcome == "sent" and outcome.notification_id:
                life = self.life(outcome.notification_id)
                life.channel, life.event_id = outcome.channel, record.event_id
                life.customer_id = life.customer_id or record.customer_id
                life.add(Step(record.at, "decided", outcome.reason or ""))

    def retry(self, record: RetryRecord) -> None:
        """Every failed attempt so far, and when the next one is due."""
        life = self._of(record.request.notification_id, record.request.channel)
        life.customer_id = record.request.customer_id
        self._attempts(life, record.attempts)
        at = record.attempts[-1].at
        next_at = record.not_before.isoformat(timespec="seconds")
        life.add(Step(at, "retrying", f"attempt {len(record.attempts) + 1} at {next_at}"))

    def dead_letter(self, record: DeadLetter) -> None:
        """A notification given up on (a dead letter of a channel worker), with its attempts."""
        if not record.stage.startswith("channel-"):
            return
        try:
            request = decode_notification(record.original())
        except InvalidMessage:
            return  # not a notification that could be read: nothing to join it to
        life = self._of(request.notification_id, request.channel)
        life.customer_id = request.customer_id
        self._attempts(life, record.attempts)
        life.add(Step(record.failed_at, "dead", record.reason))

    def ledger(self, notification_id: str, entry: Mapping[str, Any]) -> None:
        """A delivery ledger entry: accepted by the provider (with its id), expired unsent
        (past its useful life) or superseded by a later message of its order while it waited;
        a refused attempt is told by the retry records."""
        if notification_id.startswith(LINE_KEY):
            return  # a customer's line of messages waiting for a retry, not a notification
        life = self.life(notification_id)
        if "superseded" in entry:
            at = datetime.fromisoformat(entry["superseded"])
            life.add(Step(at, "superseded", f"by {entry.get('by')}"))
        if "at" in entry:
            life.provider_id = entry.get("id") or life.provider_id
            detail = f"provider id {entry['id']}" if entry.get("id") else ""
            life.add(Step(datetime.fromisoformat(entry["at"]), "accepted", detail))
        elif "expired" in entry:
            life.add(Step(datetime.fromisoformat(entry["expired"]), "expired"))

    def receipt(self, receipt: DeliveryReceipt) -> None:
        """What the provider reported after it accepted the message."""
        life = self._of(receipt.notification_id, receipt.channel)
        life.customer_id = life.customer_id or receipt.customer_id
        life.provider_id = life.provider_id or receipt.provider_message_id
        detail = f"{receipt.status}: {receipt.reason}" if receipt.reason else receipt.status
        life.add(Step(receipt.at, "receipt", detail, receipt.code))

    def known(self, notification_id: str) -> Life:
        """What is known of a notification (an empty life if nothing), changing nothing."""
        return self.lives.get(notification_id) or Life(notification_id)

    def _of(self, notification_id: str, channel: str) -> Life:
        life = self.life(notification_id)
        life.channel = life.channel or channel
        return life

    @staticmethod
    def _attempts(life: Life, attempts: Iterable[Attempt]) -> None:
        for attempt in attempts:
            life.add(Step(attempt.at, "failed", f"{attempt.kind}: {attempt.error}", attempt.code))
