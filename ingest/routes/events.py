"""POST /events: CloudEvents from a custom shop, with a bearer token, parsed by
ingest/cloudevents.py (already canonical: validated, not mapped).

Every refusal tells the shop's developer what to change, and nothing refused is kept: the
request is the shop's own code, which can send it again fixed (a platform's webhook that cannot
be mapped is kept as a dead letter instead, as the shop cannot change what the platform sends).
"""

from __future__ import annotations

from ingest.accept import Intake
from ingest.cloudevents import NotJson, TooMany, UnsupportedMedia, parse_events
from ingest.routes import Clock
from ingest.tokens import BearerTokens
from ingest.web import Answer, Problem, Request
from runtime.settings import Settings
from schemas.codec import InvalidMessage


class CloudEvents:
    """Events a shop's own code sends in any CloudEvents content mode."""

    def __init__(self, settings: Settings, intake: Intake, clock: Clock) -> None:
        self.tokens = BearerTokens(settings.events_tokens)
        self.max_batch = settings.events_max_batch
        self.intake = intake
        self.clock = clock

    async def receive(self, request: Request) -> Answer:
        """Check the token, then publish the events, or answer what is wrong with them."""
        if self.tokens.closed:
            raise Problem(
                401, "POST /events is closed: no token is configured (AFTERCART_EVENTS_TOKENS)"
            )
        if not self.tokens.allow(request.header("authorization")):
            raise Problem(401, "a valid bearer token is required (Authorization: Bearer ...)")
        try:
            parsed = parse_events(
                request.header("content-type"),
                request.headers,
                request.body,
                self.clock(),
                self.max_batch,
            )
        except TooMany as exc:
            raise Problem(413, str(exc), details={"limit": self.max_batch}) from None
        except UnsupportedMedia as exc:
            raise Problem(415, str(exc)) from None
        except NotJson as exc:
            raise Problem(400, f"malformed JSON: {exc}") from None
        except InvalidMessage as exc:
            (field, error), *_ = exc.errors
            errors = [{"field": f, "error": e} for f, e in exc.errors]
            raise Problem(422, error, field, {"errors": errors}) from None
        return Answer(200, await self.intake.publish(parsed, source="cloudevents", strict=True))
