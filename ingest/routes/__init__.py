"""The gateway's handlers, one module per kind of sender; ingest/gateway.py is their table.

Each module's class is built once from the settings and the intake. Its methods are the
handlers: each checks who sent the request, over the raw bytes where a signature covers them,
and then leaves publishing to the intake (ingest/accept.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ingest.web import Problem

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The gateway's clock when a test does not set one."""
    return datetime.now(UTC)


def fresh(at: datetime, now: datetime, window: timedelta, said: str) -> None:
    """401 for a signed time (`said` names where it was read) further from now than the
    de-duplication window: only a replay of an old delivery sends one, and past the window it
    could no longer be recognised as a redelivery."""
    if abs(now - at) > window:
        raise Problem(
            401,
            f"{said} is outside the {window.total_seconds() / 3600:g} h window "
            "(AFTERCART_DEDUPE_WINDOW_H): a replay of an old delivery is not taken",
        )
