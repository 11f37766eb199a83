"""CloudEvents 1.0 over HTTP, for custom shops: structured, batched and binary content modes.

The event's type must be one of aftercart's event types and its data must match that type's
schema (schemas/json). Only specversion, id, source and type are required: the Kafka key
(`partitionkey`) is derived from the data, and an event without `time` takes the time the
gateway received it, marked `timeassigned` (schemas/events.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from schemas.codec import InvalidMessage, decode_event, fault, faults
from schemas.events import CloudEvent

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
# Binary mode (HTTP binding 3.1): every context attribute travels as a ce-* header, the body
# is the data, and Content-Type is its datacontenttype; aftercart's data is JSON.
CE = "ce-"
JSON_DATA = "application/json"


class NotJson(ValueError):
    """The body is not JSON."""


class TooMany(ValueError):
    """A batch of more events than the gateway takes in one request (HTTP 413)."""


class UnsupportedMedia(ValueError):
    """A Content-Type that is none of the content modes taken here (HTTP 415)."""


def parse_events(
    content_type: str,
    headers: Mapping[str, str],
    body: bytes,
    received: datetime,
    max_batch: int = 1000,
) -> list[CloudEvent]:
    """Every event in the request, validated; raise InvalidMessage naming every fault,
    UnsupportedMedia for a content type no mode takes, NotJson for a body that is not JSON,
    TooMany for a batch of more than `max_batch` events."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == BATCH:
        batch = _json(body)
        if not isinstance(batch, list) or not batch:
            raise fault("(body)", "a batch is a non-empty JSON array of events")
        if len(batch) > max_batch:
            raise TooMany(
                f"a batch of {len(batch)} events: at most {max_batch} in one request "
                "(AFTERCART_EVENTS_MAX_BATCH); send the rest in further batches"
            )
        return _every(batch, received)
    if media == STRUCTURED:
        return [_event(_json(body), "", received)]
    if any(name.startswith(CE) for name in headers):
        if media not in ("", JSON_DATA) and not media.endswith("+json"):
            raise UnsupportedMedia(
                f"binary mode: the body is the event's data, and aftercart's data is JSON "
                f"(Content-Type: {JSON_DATA}), not {media}"
            )
        return [_event(_binary(headers, _json(body)), "", received)]
    raise UnsupportedMedia(_what_to_send(media))


def _what_to_send(media: str) -> str:
    sent = f"Content-Type {media}" if media else "no Content-Type"
    if media == JSON_DATA:
        sent += " and no ce-* headers"
    return (
        f"{sent} is no CloudEvents content mode: send one event as {STRUCTURED}, "
        f"several as {BATCH}, or the data as {JSON_DATA} with ce-specversion, ce-id, "
        "ce-source and ce-type headers (binary mode)"
    )


def _binary(headers: Mapping[str, str], data: Any) -> dict[str, Any]:
    # Header values are percent-encoded (HTTP binding 3.1.3.2).
    envelope: dict[str, Any] = {
        name.removeprefix(CE): unquote(value)
        for name, value in headers.items()
        if name.startswith(CE) and len(name) > len(CE)
    }
    envelope["data"] = data
    return envelope


def _every(batch: list[Any], received: datetime) -> list[CloudEvent]:
    """Each event of a batch; every fault of every event, named by its position."""
    events, errors = [], []
    for i, item in enumerate(batch):
        try:
            events.append(_event(item, f"[{i}].", received))
        except InvalidMessage as exc:
            errors += exc.errors
    if errors:
        raise faults(errors)
    return events


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise NotJson(str(exc)) from None
    except RecursionError:
        raise NotJson("nested too deeply") from None


def _event(envelope: Any, where: str, received: datetime) -> CloudEvent:
    if not isinstance(envelope, dict):
        raise fault(where.rstrip(".") or "(body)", "a CloudEvent is a JSON object")
    # CloudEvents JSON format: an attribute that is null MUST be treated as unset.
    envelope = {k: v for k, v in envelope.items() if v is not None or k == "data"}
    envelope.pop("timeassigned", None)  # aftercart's own mark: a sender's is not taken
    try:
        return decode_event(json.dumps(envelope).encode(), received)
    except InvalidMessage as exc:
        raise faults([(where + field, why) for field, why in exc.errors]) from None
    except RecursionError:
        raise fault(f"{where}data", "nested too deeply") from None
