"""Write the JSON Schema documents from the models: `python -m schemas.generate`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schemas.codec import schema_id
from schemas.deadletter import DeadLetter
from schemas.decision import DecisionRecord
from schemas.events import EVENT_MODELS, SCHEMA_VERSION
from schemas.notification import NotificationRequest
from schemas.receipt import DeliveryReceipt
from schemas.retry import RetryRecord

SCHEMA_DIR = Path(__file__).parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def document(name: str, model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema document for one contract, as committed under schemas/json/."""
    return {"$schema": DIALECT, "$id": schema_id(name), **model.model_json_schema()}


def documents() -> dict[str, dict[str, Any]]:
    """Every contract's file name and document."""
    docs = {f"{t}.v{SCHEMA_VERSION}.json": document(t, m) for t, m in EVENT_MODELS.items()}
    docs[f"notification.request.v{SCHEMA_VERSION}.json"] = document(
        "notification.request", NotificationRequest
    )
    docs[f"deadletter.v{SCHEMA_VERSION}.json"] = document("deadletter", DeadLetter)
    docs[f"decision.v{SCHEMA_VERSION}.json"] = document("decision", DecisionRecord)
    docs[f"receipt.v{SCHEMA_VERSION}.json"] = document("receipt", DeliveryReceipt)
    docs[f"retry.v{SCHEMA_VERSION}.json"] = document("retry", RetryRecord)
    return docs


def render(doc: dict[str, Any]) -> str:
    """Stable text form of a schema document."""
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def main() -> int:
    """Regenerate schemas/json/ from the models."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, doc in documents().items():
        (SCHEMA_DIR / name).write_text(render(doc))
    print(f"wrote {len(documents())} schemas to {SCHEMA_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
