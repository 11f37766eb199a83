"""The one interface every channel adapter implements."""

from __future__ import annotations

from typing import Protocol, TypeVar

from channels.messages import Message, Receipt

M = TypeVar("M", bound=Message, contravariant=True)


class Sender(Protocol[M]):
    """Delivers one rendered message to one provider.

    `send` makes exactly one attempt. It returns a Receipt when the provider accepted the
    message and otherwise raises RetriableError, PermanentError or ConfigurationError
    (channels.errors); it never retries, never returns a flag and never logs and swallows.
    A sender may be shared by many concurrent sends; `close` releases its connections.
    """

    channel: str

    async def send(self, message: M) -> Receipt:
        """Make one delivery attempt."""
        ...

    async def close(self) -> None:
        """Release connections; the sender is unusable afterwards."""
        ...
