"""The gateway's handlers, one module per kind of sender; ingest/gateway.py is their table.

Each module's class is built once from the settings and the intake. Its methods are the
handlers: each checks who sent the request, over the raw bytes where a signature covers them,
and then leaves publishing to the intake (ingest/accept.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The gateway's clock when a test does not set one."""
    return datetime.now(UTC)
