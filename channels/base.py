"""The one interface every channel adapter implements."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypeVar

from channels.messages import Message, Receipt

M = TypeVar("M", bound=Message, contravariant=True)


class Sender(Protocol[M]):
    """Delivers one rendered message to one provider.

    `send` makes exactly one attempt. It returns a Receipt when the provider accepted the
    message and otherwise raises RetriableError, PermanentError or ConfigurationError
    (channels.errors); it never retries, never returns a flag and never logs and swallows.
    A sender may be shared by many concurrent sends; `close` releases its connections.

    `find` asks the provider whether it already accepted a message (after an attempt whose
    answer never came). `can_find` says whether that can work at all; when it is False the
    worker never asks, and `find` raises LookupUnavailable.
    """

    channel: str
    can_find: bool

    async def send(self, message: M) -> Receipt:
        """Make one delivery attempt."""
        ...

    async def find(self, message: M, since: datetime) -> Receipt | None:
        """The provider's receipt for `message` if it accepted it at or after `since`, None if
        it has no such message; raises LookupUnavailable when it cannot tell, RetriableError
        or ConfigurationError as `send` does."""
        ...

    async def close(self) -> None:
        """Release connections; the sender is unusable afterwards."""
        ...
