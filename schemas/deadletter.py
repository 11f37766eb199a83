"""What lands on the dead-letter topic: the reason, where it came from, and the original bytes."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

from schemas.common import Contract


class Attempt(Contract):
    """One delivery attempt and how it failed: when, the error, its type (RetriableError,
    PermanentError...) and the provider's status code (HTTP status, Twilio or SMTP code)."""

    at: datetime
    error: str
    kind: str
    code: str | None = None


class DeadLetter(Contract):
    """A message that could not be processed, kept whole so it can be redriven."""

    reason: str
    stage: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    original_b64: str
    attempts: tuple[Attempt, ...] = ()
    failed_at: datetime

    def original(self) -> bytes:
        """The original message bytes."""
        return base64.b64decode(self.original_b64)


def dead_letter(
    *,
    reason: str,
    stage: str,
    topic: str,
    original: bytes | None,
    key: bytes | None = None,
    partition: int | None = None,
    offset: int | None = None,
    attempts: Sequence[Attempt] = (),
) -> DeadLetter:
    """Build the dead-letter record for a message that failed at `stage`."""
    return DeadLetter(
        reason=reason,
        stage=stage,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key.decode("utf-8", "replace") if key is not None else None,
        original_b64=base64.b64encode(original or b"").decode(),
        attempts=tuple(attempts),
        failed_at=datetime.now(UTC),
    )
