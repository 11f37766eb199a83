"""GET /healthz and /readyz: whether the gateway runs, and whether it can accept now."""

from __future__ import annotations

from ingest.accept import Intake
from ingest.web import Answer, Request


class Health:
    """What a load balancer or an operator asks about the gateway."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake

    async def alive(self, request: Request) -> Answer:
        """Always 200 while the process serves, with what happened to requests so far."""
        counts = dict(self.intake.counts)
        return Answer(200, {"status": "ok", "counts": counts, "remembered": len(self.intake.seen)})

    async def ready(self, request: Request) -> Answer:
        """200 only while Kafka answers: before that a shop's webhook would get a 503."""
        sink = self.intake.sink
        if sink is None:
            return Answer(503, {"ready": False, "reason": "starting"})
        if not await sink.reachable():
            return Answer(503, {"ready": False, "reason": "Kafka unreachable"})
        return Answer(200, {"ready": True})
