"""The `aftercart-replay` header a replayed record carries: which replay, who, when, what was
selected, and whether its messages are sent again under new ids (`--resend`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import Field, ValidationError

from schemas.common import Contract, Id

HEADER = "aftercart-replay"
Headers = Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None


class ReplayNote(Contract):
    """Why a record is on its topic a second time."""

    id: Id
    by: str
    at: datetime
    selection: dict[str, Any] = Field(default_factory=dict)
    resend: str | None = None  # the tag new ids are derived from (schemas.notification.resend_id)


def replay_of(
    headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None,
) -> ReplayNote | None:
    """The replay a record's headers name, or None (an unreadable header counts as none: the
    record is then handled as a first delivery, which the ledger still guards)."""
    if not headers:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in pairs:
        if name == HEADER and value:
            try:
                return ReplayNote.model_validate_json(value)
            except ValidationError:
                return None
    return None
