"""What waits on a channel's retry topic: a notification request that failed retriably, how
each attempt failed, and when to try it again."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, Field

from schemas.common import Contract
from schemas.deadletter import Attempt
from schemas.notification import NotificationRequest

RETRY_VERSION: Final = 1


class Origin(Contract):
    """Where the request was first read: its notify topic, partition and offset."""

    topic: Annotated[str, Field(min_length=1)]
    partition: Annotated[int, Field(ge=0)]
    offset: Annotated[int, Field(ge=0)]


class RetryRecord(Contract):
    """One request waiting for its next attempt on `<prefix>.retry.<channel>`, keyed by
    customer id like the notify topic it came from, in the same partition."""

    version: Literal[1] = Field(description="The record's format; a reader refuses others")
    request: NotificationRequest = Field(description="The notification request, as it came")
    attempts: Annotated[tuple[Attempt, ...], Field(min_length=1)] = Field(
        description="Every attempt so far and how it failed, oldest first"
    )
    not_before: AwareDatetime = Field(description="The next attempt is not made before this")
    origin: Origin
