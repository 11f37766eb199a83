"""The one error the local broker raises: its message says what to do next."""

from __future__ import annotations


class BrokerError(RuntimeError):
    """The local Kafka broker could not be fetched, started, reached or stopped."""
