"""Bytes in and out of Kafka: validate at the edge, fail with a reason a person can act on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Union

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from schemas.events import EVENT_MODELS, SCHEMA_VERSION, CloudEvent
from schemas.notification import NotificationRequest
from schemas.retry import RetryRecord

_ANY_EVENT: TypeAdapter[CloudEvent] = TypeAdapter(
    Annotated[Union[tuple(EVENT_MODELS.values())], Field(discriminator="type")]  # type: ignore[arg-type]  # noqa: UP007
)
_NOTIFICATION = TypeAdapter(NotificationRequest)
_RETRY = TypeAdapter(RetryRecord)


class InvalidMessage(ValueError):
    """A message that breaks its contract; `reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = err["loc"]
        if loc and loc[0] in EVENT_MODELS:  # the union's tag, not a field
            loc = loc[1:]
        where = ".".join(str(p) for p in loc) or "(message)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def partition_key(data: Any) -> str:
    """The Kafka key an event's data travels under: its customer, else (an order event that
    does not name its customer) its order."""
    get = data.get if isinstance(data, dict) else lambda name: getattr(data, name, None)
    return get("customer_id") or get("order_id") or ""


def decode_event(raw: bytes | None) -> CloudEvent:
    """Parse and validate one CloudEvent; raise InvalidMessage with the reason."""
    if not raw:
        raise InvalidMessage("empty message")
    try:
        event = _ANY_EVENT.validate_json(raw)
    except ValidationError as exc:
        kind = exc.errors()[0]["type"]
        if kind == "union_tag_not_found":
            raise InvalidMessage("type: missing (a CloudEvent needs a type)") from None
        if kind == "union_tag_invalid":
            known = ", ".join(sorted(EVENT_MODELS))
            raise InvalidMessage(f"type: unknown event type (known: {known})") from None
        raise InvalidMessage(_explain(exc)) from None
    data = event.data  # type: ignore[attr-defined]
    if partition_key(data) != event.partitionkey:
        which = "data.customer_id" if data.customer_id is not None else "data.order_id"
        raise InvalidMessage(f"partitionkey: must equal {which}")
    return event


def decode_notification(raw: bytes | None) -> NotificationRequest:
    """Parse and validate one notification request."""
    try:
        return _NOTIFICATION.validate_json(raw or b"")
    except ValidationError as exc:
        raise InvalidMessage(_explain(exc)) from None


def decode_retry(raw: bytes | None) -> RetryRecord:
    """Parse and validate one retry record (a channel's retry topic)."""
    try:
        return _RETRY.validate_json(raw or b"")
    except ValidationError as exc:
        raise InvalidMessage(_explain(exc)) from None


def encode(model: BaseModel) -> bytes:
    """Serialize a contract model to JSON bytes."""
    return model.model_dump_json(exclude_none=True).encode()


def new_event(
    type_name: str,
    data: dict[str, Any],
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """Build a validated CloudEvent of a known type around `data`."""
    if type_name not in EVENT_MODELS:
        raise InvalidMessage(f"type: unknown event type {type_name!r}")
    envelope = {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": type_name,
        "time": (time or datetime.now(UTC)).isoformat(),
        "datacontenttype": "application/json",
        "dataschema": schema_id(type_name),
        "partitionkey": partition_key(data),
        "data": data,
    }
    try:
        return EVENT_MODELS[type_name].model_validate_json(_json_bytes(envelope))
    except ValidationError as exc:
        raise InvalidMessage(_explain(exc)) from None


def schema_id(type_name: str) -> str:
    """The `$id` and CloudEvents `dataschema` of an event type's current schema."""
    return f"urn:aftercart:schema:{type_name}:v{SCHEMA_VERSION}"


def _json_bytes(obj: Any) -> bytes:
    return orjson.dumps(obj)
