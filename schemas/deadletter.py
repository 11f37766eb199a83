"""What lands on the dead-letter topic: the reason, where it came from, and the original bytes.

The reason and each attempt's error are the provider's words, which may quote the recipient:
they are kept masked and capped (kept_error), in whatever built the record. The original
message, which a redrive needs whole, is kept as it was.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import field_validator

from schemas.common import Contract
from schemas.masking import mask

# A provider's error text is kept up to this many characters: enough to act on, and a dead
# letter stays small however much a provider says.
MAX_ERROR_CHARS = 1000


def kept_error(text: str) -> str:
    """A provider's words as a dead letter keeps them: addresses masked, at most
    MAX_ERROR_CHARS characters (the cut marked with an ellipsis)."""
    masked = mask(text)
    if len(masked) <= MAX_ERROR_CHARS:
        return masked
    return masked[: MAX_ERROR_CHARS - 1] + "\u2026"


class Attempt(Contract):
    """One delivery attempt and how it failed: when, the error, its type (RetriableError,
    PermanentError...) and the provider's status code (HTTP status, Twilio or SMTP code)."""

    at: datetime
    error: str
    kind: str
    code: str | None = None

    @field_validator("error")
    @classmethod
    def _kept(cls, value: str) -> str:
        return kept_error(value)


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

    @field_validator("reason")
    @classmethod
    def _kept(cls, value: str) -> str:
        return kept_error(value)

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
