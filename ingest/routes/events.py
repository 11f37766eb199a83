"""POST /events: CloudEvents from a custom shop, with a bearer token, parsed by
ingest/cloudevents.py (already canonical: validated, not mapped)."""

from __future__ import annotations

from ingest.accept import Intake
from ingest.cloudevents import NotJson, parse_events
from ingest.tokens import BearerTokens
from ingest.web import Answer, Problem, Request
from runtime.settings import Settings
from schemas.codec import InvalidMessage


class CloudEvents:
    """Events a shop's own code sends in any CloudEvents content mode."""

    def __init__(self, settings: Settings, intake: Intake) -> None:
        self.tokens = BearerTokens(settings.events_tokens)
        self.intake = intake

    async def receive(self, request: Request) -> Answer:
        """Check the token, then publish the events or keep the request with a 422."""
        if not self.tokens.allow(request.header("authorization")):
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
