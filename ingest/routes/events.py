"""POST /events: CloudEvents from a custom shop, with a bearer token, parsed by
ingest/cloudevents.py (already canonical: validated, not mapped)."""

from __future__ import annotations

import hmac

from ingest.accept import Intake
from ingest.cloudevents import NotJson, parse_events
from ingest.web import Answer, Problem, Request
from runtime.settings import Settings
from schemas.codec import InvalidMessage


class CloudEvents:
    """Events a shop's own code sends in any CloudEvents content mode."""

    def __init__(self, settings: Settings, intake: Intake) -> None:
        self.tokens = [t.get_secret_value().encode() for t in settings.events_tokens]
        self.intake = intake

    async def receive(self, request: Request) -> Answer:
        """Check the token, then publish the events or keep the request with a 422."""
        if not self._authorized(request.header("authorization")):
            raise Problem(401, "a valid bearer token is required (Authorization: Bearer ...)")
        try:
            parsed = parse_events(request.header("content-type"), request.headers, request.body)
        except NotJson as exc:
            raise Problem(400, f"malformed JSON: {exc}") from None
        except InvalidMessage as exc:
            await self.intake.keep(
                reason=exc.reason, origin="cloudevents", key="events", body=request.body
            )
            field, _, why = exc.reason.partition(": ")
            raise Problem(422, why or exc.reason, field or None) from None
        return Answer(200, await self.intake.publish(parsed, source="cloudevents"))

    def _authorized(self, authorization: str) -> bool:
        # Every token is compared, whichever matches, so the time taken tells nothing.
        scheme, _, token = authorization.partition(" ")
        presented = token.strip().encode()
        matched = False
        for known in self.tokens:
            matched |= hmac.compare_digest(known, presented)
        return scheme.lower() == "bearer" and matched
