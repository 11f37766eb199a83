"""Plain HTTP to the sandbox's provider routes, for the tests that read exact status codes, headers
and error bodies (an SDK turns those into exceptions), and the providers' published documents to
check the sandbox's answers against."""

from __future__ import annotations

import functools
import json
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

from openapi_core import Config, OpenAPI

from sandbox.contracts import SPEC_DIR


def exchange(request: urllib.request.Request, timeout: float = 10.0) -> tuple[int, Message, Any]:
    """Send one request: the status, headers and decoded JSON body (None when empty) it gets,
    an error status as much as a success."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, exc.headers, exc.read()
    return status, headers, json.loads(body) if body else None


def call(request: urllib.request.Request, timeout: float = 10.0) -> tuple[int, Any]:
    """Send one request: the status and decoded JSON body (None when empty) it gets."""
    status, _, body = exchange(request, timeout)
    return status, body


@functools.cache
def document(filename: str) -> OpenAPI:
    """A provider's document in sandbox/specs, as published (no errata), read once per session."""
    data = json.loads((SPEC_DIR / filename).read_text(encoding="utf-8"))
    # The document itself is checked where the sandbox loads it (Contracts.load): not again here.
    return OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))
