"""POST /receipts/sendgrid and /receipts/twilio: the providers' delivery receipts, each
checked the provider's way and mapped by ingest/receipts.py onto the receipts topic.

A Twilio callback is believed only under the account's own auth token. The sandbox's token is
public, so it is used only when AFTERCART_RECEIPTS_ACCEPT_SANDBOX says the sandbox is what
sends the texts (aftercart up and demo): never as a fallback, or anyone could forge a STOP."""

from __future__ import annotations

import orjson

from ingest import receipts
from ingest.accept import Intake
from ingest.routes import Clock
from ingest.web import Answer, Problem, Request
from runtime.settings import SANDBOX_TWILIO_TOKEN, Settings

TWILIO_UNSET = (
    "set AFTERCART_TWILIO_ACCOUNT_SID and AFTERCART_TWILIO_AUTH_TOKEN "
    "(or AFTERCART_RECEIPTS_ACCEPT_SANDBOX=true where the sandbox sends the texts)"
)


def twilio_token(settings: Settings) -> str | None:
    """The token Twilio's callbacks are signed with: the account's, or the sandbox's public one
    only when the settings say the sandbox sends the texts; None: no callback is believed."""
    if settings.twilio_account_sid and settings.twilio_auth_token:
        return settings.twilio_auth_token.get_secret_value()
    return SANDBOX_TWILIO_TOKEN if settings.receipts_accept_sandbox else None


class DeliveryReceipts:
    """SendGrid's Event Webhook (ECDSA) and Twilio's status callbacks (HMAC-SHA1)."""

    def __init__(self, settings: Settings, intake: Intake, clock: Clock) -> None:
        key = settings.sendgrid_webhook_public_key
        self.sendgrid_key = receipts.load_public_key(key) if key else None
        self.max_age_s = settings.receipts_max_age_s
        self.twilio_token = twilio_token(settings)
        self.public_url = settings.public_url.rstrip("/")
        self.intake = intake
        self.clock = clock

    async def sendgrid(self, request: Request) -> Answer:
        """A batch of email events, signed over the timestamp and the raw body."""
        signature = request.headers.get("x-twilio-email-event-webhook-signature")
        timestamp = request.headers.get("x-twilio-email-event-webhook-timestamp")
        if self.sendgrid_key is None:
            raise Problem(401, "no SendGrid verification key is configured")
        if not receipts.sendgrid_signed(request.body, signature, timestamp, self.sendgrid_key):
            raise Problem(401, "signature missing or wrong (X-Twilio-Email-Event-Webhook-*)")
        if not receipts.sendgrid_fresh(timestamp, self.clock(), self.max_age_s):
            raise Problem(401, "stale or unreadable X-Twilio-Email-Event-Webhook-Timestamp")
        try:
            mapped = receipts.sendgrid_receipts(orjson.loads(request.body))
        except orjson.JSONDecodeError as exc:
            raise Problem(400, f"malformed JSON: {exc}") from None
        except ValueError as exc:
            raise Problem(400, str(exc)) from None
        return Answer(200, await self.intake.publish_receipts(mapped))

    async def twilio(self, request: Request) -> Answer:
        """One SMS status, signed over the public URL (its query names the notification)."""
        query = request.query
        url = f"{self.public_url}{request.path}{'?' if query else ''}{query}"
        params = receipts.parse_form(request.body)
        signature = request.headers.get("x-twilio-signature")
        if self.twilio_token is None:
            raise Problem(401, f"Twilio is not configured: {TWILIO_UNSET}")
        if not receipts.twilio_signed(url, params, signature, self.twilio_token):
            raise Problem(401, f"signature missing or wrong for {url} (X-Twilio-Signature)")
        try:
            ids = dict(receipts.parse_form(query))
            mapped = receipts.twilio_receipt(dict(params), ids, self.clock())
        except ValueError as exc:
            raise Problem(400, str(exc)) from None
        return Answer(200, await self.intake.publish_receipts(mapped))
