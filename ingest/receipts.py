"""Delivery receipts: SendGrid's Event Webhook and Twilio's status callbacks, checked and mapped.

Pure: signatures are checked over the exact bytes, and a provider's payload becomes
DeliveryReceipts (for the receipts topic) plus contact.failed events (for the events topic)
when the provider says an address cannot be used. Receipt and event ids are derived from the
provider's event, so a redelivered callback maps to the same ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from ingest.mapping import event_id
from ingest.web import Problem
from schemas.codec import InvalidMessage, new_event
from schemas.common import Channel
from schemas.events import CloudEvent
from schemas.receipt import DeliveryReceipt, ReceiptStatus

MAX_FIELDS = 1000  # far more than any provider's callback has
RECEIPT_NAMESPACE = uuid.UUID("0b6e7f5a-3c1d-5e8b-9f2a-7d4c1b8e6a30")
SENDGRID_SOURCE = "https://api.sendgrid.com"
TWILIO_SOURCE = "https://api.twilio.com"

SENDGRID_STATUS: dict[str, ReceiptStatus] = {
    "processed": "accepted",
    "deferred": "deferred",
    "delivered": "delivered",
    "bounce": "bounced",
    "dropped": "dropped",
    "open": "opened",
    "click": "clicked",
    "spamreport": "complained",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
}
TWILIO_STATUS: dict[str, ReceiptStatus] = {
    "accepted": "accepted",
    "scheduled": "accepted",
    "queued": "accepted",
    "sending": "accepted",
    "sent": "sent",
    "delivered": "delivered",
    "read": "opened",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "dropped",
}
# Twilio error codes that say the number itself cannot take our texts (see PROVIDERS.md).
TWILIO_CONTACT_ACTIONS = {
    "21610": "opted_out",  # the recipient replied STOP
    "21211": "invalid",  # not a valid phone number
    "21614": "invalid",  # not a mobile number
    "30005": "invalid",  # unknown handset
    "30006": "invalid",  # landline or unreachable carrier
}


@dataclass
class Receipts:
    """What one provider request maps to, and why any of its events were left out."""

    receipts: list[DeliveryReceipt] = field(default_factory=list)
    contact_failed: list[CloudEvent] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


# --- signatures -----------------------------------------------------------------------------


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """SendGrid's verification key as its settings page shows it (base64 DER) or as PEM."""
    pem = text.strip()
    if not pem.startswith("-----BEGIN"):
        pem = f"-----BEGIN PUBLIC KEY-----\n{pem}\n-----END PUBLIC KEY-----\n"
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a public key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("SendGrid's Event Webhook key is an ECDSA (P-256) public key")
    return key


def sendgrid_signed(
    body: bytes, signature: str | None, timestamp: str | None, key: ec.EllipticCurvePublicKey
) -> bool:
    """True when `signature` is SendGrid's ECDSA-SHA256 signature of timestamp + raw body."""
    if not signature or not timestamp:
        return False
    try:
        der = base64.b64decode(signature.strip(), validate=True)
        key.verify(der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return True


def sendgrid_fresh(timestamp: str | None, now: datetime, max_age_s: float) -> bool:
    """True when the signed timestamp (Unix seconds) is within `max_age_s` of now either way."""
    value = (timestamp or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return False
    return abs(now.timestamp() - int(value)) <= max_age_s


def twilio_signature(url: str, params: list[tuple[str, str]], token: str) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL and the sorted POST params."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signed(
    url: str, params: list[tuple[str, str]], signature: str | None, token: str
) -> bool:
    """True when `signature` matches the callback, compared in constant time."""
    if not signature:
        return False
    expected = twilio_signature(url, params, token).encode()
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def parse_form(body: bytes | str) -> list[tuple[str, str]]:
    """An application/x-www-form-urlencoded body (or query string) as name, value pairs;
    a 413 (raised here, as its callers parse before any signature check) past MAX_FIELDS."""
    text = body.decode("latin-1") if isinstance(body, bytes) else body
    try:
        return parse_qsl(text, keep_blank_values=True, errors="replace", max_num_fields=MAX_FIELDS)
    except ValueError:  # only for too many fields: bad escapes are replaced
        raise Problem(413, f"more than {MAX_FIELDS} fields in the form or query string") from None


# --- mapping --------------------------------------------------------------------------------


def receipt_id(provider: str, *parts: str) -> str:
    """A deterministic receipt id: the same provider event always gets the same id."""
    return str(uuid.uuid5(RECEIPT_NAMESPACE, "|".join((provider, *parts))))


def sendgrid_receipts(payload: Any) -> Receipts:
    """SendGrid's batch of events; events that are not about our messages are left out."""
    out = Receipts()
    if not isinstance(payload, list):
        raise ValueError("expected a JSON array of events")
    for index, item in enumerate(payload):
        try:
            _sendgrid_event(item, out)
        except _Skip as skip:
            out.ignored.append(f"[{index}]: {skip}")
    return out


def twilio_receipt(params: Mapping[str, str], query: Mapping[str, str], at: datetime) -> Receipts:
    """One status callback; the notification and customer come from the callback URL's query."""
    out = Receipts()
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    word = params.get("MessageStatus") or params.get("SmsStatus") or ""
    if not sid or not word:
        raise ValueError("MessageSid and MessageStatus are required")
    try:
        _twilio(sid, word, params, query, at, out)
    except _Skip as skip:
        out.ignored.append(str(skip))
    return out


class _Skip(Exception):
    """One provider event that becomes no receipt, with the reason."""


@dataclass(frozen=True)
class _Provider:
    """What every receipt from one provider shares: its channel, its status words, and the
    source of the contact.failed events its receipts lead to."""

    name: Literal["sendgrid", "twilio"]
    channel: Channel
    statuses: Mapping[str, ReceiptStatus]
    source: str
    called: str  # what the provider calls its status word

    def word(self, said: str | None) -> str:
        """The provider's status word, when aftercart has a status for it; else no receipt."""
        if said is None or said not in self.statuses:
            raise _Skip(f"{self.called} {said!r} is not a delivery receipt")
        return said

    def add(
        self, out: Receipts, word: str, event: tuple[str, ...], action: str | None, **fields: Any
    ) -> None:
        """The receipt of one provider event (its id derived from `event`), and the
        contact.failed it means when `action` says the address itself cannot be used."""
        if isinstance(fields["reason"], str):
            fields["reason"] = fields["reason"][:1000]
        try:
            receipt = DeliveryReceipt(
                receipt_id=receipt_id(self.name, *event),
                provider=self.name,
                channel=self.channel,
                status=self.statuses[self.word(word)],
                provider_status=word,
                **fields,
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise _Skip(f"{where}: {error['msg']}") from None
        failed = _contact_failed(receipt, action, self.source) if action else None
        out.receipts.append(receipt)
        if failed is not None:
            out.contact_failed.append(failed)


SENDGRID = _Provider("sendgrid", "email", SENDGRID_STATUS, SENDGRID_SOURCE, called="event")
TWILIO = _Provider("twilio", "sms", TWILIO_STATUS, TWILIO_SOURCE, called="status")


def _sendgrid_event(item: Any, out: Receipts) -> None:
    if not isinstance(item, dict):
        raise _Skip("not a JSON object")
    word = SENDGRID.word(_text(item, "event"))
    notification = _text(item, "notification_id")
    if notification is None:
        raise _Skip("no notification_id custom arg: not a message aftercart sent")
    stamp = item.get("timestamp")
    if type(stamp) is not int:
        raise _Skip("timestamp: expected Unix seconds")
    try:
        at = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        raise _Skip("timestamp: out of range") from None
    # A "blocked" bounce is temporary (SendGrid's bounce type): the address may work later.
    action = {"bounce": "bounced", "spamreport": "complained"}.get(word)
    if item.get("type") == "blocked":
        action = None
    SENDGRID.add(
        out,
        word,
        (_text(item, "sg_event_id") or f"{notification}|{word}|{stamp}",),
        action,
        at=at,
        notification_id=notification,
        customer_id=_text(item, "customer_id"),
        provider_message_id=_text(item, "sg_message_id"),
        address=_text(item, "email"),
        code=_text(item, "status"),
        reason=_text(item, "reason") or _text(item, "response"),
    )


def _twilio(
    sid: str,
    word: str,
    params: Mapping[str, str],
    query: Mapping[str, str],
    at: datetime,
    out: Receipts,
) -> None:
    status = TWILIO.statuses[TWILIO.word(word)]
    notification = query.get("notification_id") or None
    if notification is None:
        raise _Skip("no notification_id in the callback URL: not a message aftercart sent")
    code = params.get("ErrorCode") or None
    action = TWILIO_CONTACT_ACTIONS.get(code or "") if status in ("undelivered", "failed") else None
    TWILIO.add(
        out,
        word,
        (sid, word),
        action,
        at=at,
        notification_id=notification,
        customer_id=query.get("customer_id") or None,
        provider_message_id=sid,
        address=params.get("To") or None,
        code=code,
        reason=params.get("ErrorMessage") or (f"Twilio {code}" if code else None),
    )


def _contact_failed(receipt: DeliveryReceipt, action: str, source: str) -> CloudEvent | None:
    """The contact.failed an address-level failure means; None without a customer to act on."""
    if receipt.customer_id is None or not receipt.address:
        return None
    words = f"{receipt.provider} {receipt.provider_status}"
    detail = ": ".join(p for p in (receipt.code, receipt.reason) if p)
    data = {
        "customer_id": receipt.customer_id,
        "channel": receipt.channel,
        "action": action,
        "address": receipt.address,
        "reason": f"{words} {detail}".strip()[:1000],
    }
    try:
        return new_event(
            "contact.failed",
            data,
            source=source,
            event_id=event_id(source, "receipts", receipt.receipt_id),
            time=receipt.at,
        )
    except InvalidMessage as exc:
        raise _Skip(f"contact.failed: {exc.reason}") from None


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value if isinstance(value, str) and value.strip() else None
