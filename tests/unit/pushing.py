"""Shared by the web push tests: a browser's subscription keys, and reading what was signed."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from schemas.common import PushKeys, PushSubscription


@dataclass
class Browser:
    """A subscriber's key pair: what a browser holds to decrypt its pushes."""

    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> PushSubscription:
        public = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = PushKeys(p256dh=b64(public), auth=b64(self.auth))
        return PushSubscription(endpoint=endpoint, keys=keys)

    def decrypt(self, body: bytes) -> bytes:
        plain: bytes = http_ece.decrypt(
            body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"
        )
        return plain


def b64(raw: bytes) -> str:
    """Unpadded URL-safe base64, as push subscriptions and VAPID keys are written."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key(vapid: Vapid) -> str:
    """The application server key browsers subscribe with."""
    return b64(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def claims(authorization: str) -> dict[str, Any]:
    """The JWT claims of a VAPID Authorization header."""
    token = authorization.split("t=", 1)[1].split(",", 1)[0]
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded
