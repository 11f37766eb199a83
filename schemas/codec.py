"""Bytes in and out of Kafka: validate at the edge, fail with a reason a person can act on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Union

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from schemas.events import EVENT_MODELS, SCHEMA_VERSION, CloudEvent, partition_key
from schemas.notification import NotificationRequest
from schemas.retry import RetryRecord

_ANY_EVENT: TypeAdapter[CloudEvent] = TypeAdapter(
    Annotated[Union[tuple(EVENT_MODELS.values())], Field(discriminator="type")]  # type: ignore[arg-type]  # noqa: UP007
)
_ENVELOPE = TypeAdapter(CloudEvent)
_NOTIFICATION = TypeAdapter(NotificationRequest)
_RETRY = TypeAdapter(RetryRecord)


class InvalidMessage(ValueError):
    """A message that breaks its contract; `reason` says how, `errors` lists each fault as
    (field, what is wrong), the field a dotted path such as data.items[0].unit_price."""

    def __init__(self, reason: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        field, _, why = reason.partition(": ")
        self.errors = errors or [(field, why) if why else ("(message)", reason)]


def fault(field: str, error: str) -> InvalidMessage:
    """One fault, named by its field."""
    return InvalidMessage(f"{field}: {error}", [(field, error)])


def faults(errors: list[tuple[str, str]]) -> InvalidMessage:
    """Every fault found; the reason names the first few."""
    shown = "; ".join(f"{field}: {error}" for field, error in errors[:REASON_FAULTS])
    more = len(errors) - REASON_FAULTS
    return InvalidMessage(shown + (f"; and {more} more" if more > 0 else ""), errors)


REASON_FAULTS = 5  # a dead letter's reason names this many; the 422 lists every one
MAX_FAULTS = 100  # beyond this many faults in one message, the first ones are enough


def path(loc: tuple[int | str, ...]) -> str:
    """A validation error's location as a dotted path, list positions in brackets."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(message)"


def _faults_of(exc: ValidationError) -> list[tuple[str, str]]:
    found = []
    for err in exc.errors()[:MAX_FAULTS]:
        loc = err["loc"]
        if loc and loc[0] in EVENT_MODELS:  # the union's tag, not a field
            loc = loc[1:]
        found.append((path(loc), err["msg"]))
    return found


def _explain(exc: ValidationError) -> str:
    return faults(_faults_of(exc)).reason


def decode_event(raw: bytes | None, received: datetime | None = None) -> CloudEvent:
    """Parse and validate one CloudEvent; raise InvalidMessage naming every fault. An event
    without `time` takes `received` (now, when not given) and is marked `timeassigned`."""
    if not raw:
        raise InvalidMessage("empty message")
    context = {"received": received} if received is not None else None
    try:
        event = _ANY_EVENT.validate_json(raw, context=context)
    except ValidationError as exc:
        kind = exc.errors()[0]["type"]
        if kind in ("union_tag_not_found", "union_tag_invalid"):
            raise _untyped(raw, kind, context) from None
        raise faults(_faults_of(exc)) from None
    data = event.data  # type: ignore[attr-defined]
    if partition_key(data) != event.partitionkey:
        which = "data.customer_id" if data.customer_id is not None else "data.order_id"
        raise fault("partitionkey", f"must equal {which} (or be left out)")
    return event


def _untyped(raw: bytes, kind: str, context: dict[str, Any] | None) -> InvalidMessage:
    """A missing or unknown type, and whatever else is wrong with the envelope."""
    if kind == "union_tag_not_found":
        errors = [("type", "missing (a CloudEvent needs a type)")]
    else:
        errors = [("type", f"unknown event type (known: {', '.join(sorted(EVENT_MODELS))})")]
    try:
        _ENVELOPE.validate_json(raw, context=context)
    except ValidationError as exc:
        errors += [(field, why) for field, why in _faults_of(exc) if field != "type"]
    return faults(errors)


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
        raise fault("type", f"unknown event type {type_name!r}")
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
