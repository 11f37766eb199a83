"""CloudEvents 1.0 over HTTP, for custom shops: structured, batched and binary content modes.

The event's type must be one of aftercart's event types and its data must match that type's
schema (schemas/json). The Kafka key is derived here (`partitionkey`), so senders need not set it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from schemas.codec import InvalidMessage, decode_event, partition_key
from schemas.events import CloudEvent

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
# Binary mode: context attributes travel as ce-* headers, the body is the data.
BINARY_ATTRIBUTES = ("specversion", "id", "source", "type", "time", "subject", "dataschema")


class NotJson(ValueError):
    """The body is not JSON."""


def parse_events(content_type: str, headers: Mapping[str, str], body: bytes) -> list[CloudEvent]:
    """Every event in the request, validated; raise InvalidMessage naming what is wrong."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == BATCH:
        batch = _json(body)
        if not isinstance(batch, list) or not batch:
            raise InvalidMessage("(body): a batch is a non-empty JSON array of events")
        return [_event(item, f"[{i}].") for i, item in enumerate(batch)]
    if media == STRUCTURED:
        return [_event(_json(body), "")]
    if "ce-specversion" in headers:
        envelope: dict[str, Any] = {
            name: headers[f"ce-{name}"] for name in BINARY_ATTRIBUTES if f"ce-{name}" in headers
        }
        envelope["datacontenttype"] = media or "application/json"
        envelope["data"] = _json(body)
        return [_event(envelope, "")]
    raise InvalidMessage(
        f"Content-Type: send {STRUCTURED}, {BATCH}, or binary mode (ce-* headers with a JSON body)"
    )


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise NotJson(str(exc)) from None
    except RecursionError:
        raise NotJson("nested too deeply") from None


def _event(envelope: Any, where: str) -> CloudEvent:
    if not isinstance(envelope, dict):
        raise InvalidMessage(f"{where or '(body)'}: a CloudEvent is a JSON object")
    # CloudEvents JSON format: an attribute that is null MUST be treated as unset.
    envelope = {k: v for k, v in envelope.items() if v is not None or k == "data"}
    if isinstance(envelope.get("data"), dict) and "partitionkey" not in envelope:
        envelope["partitionkey"] = partition_key(envelope["data"])
    try:
        return decode_event(json.dumps(envelope).encode())
    except InvalidMessage as exc:
        raise InvalidMessage(where + exc.reason) from None
    except RecursionError:
        raise InvalidMessage(f"{where}data: nested too deeply") from None
