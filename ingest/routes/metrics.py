"""GET /metrics: the gateway's Prometheus metrics (ingest/metrics.py), in the text format the
scraper asks for."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from ingest.web import Answer, Request
from runtime.metrics import exposition


class Metrics:
    """What a Prometheus server scrapes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    async def scrape(self, request: Request) -> Answer:
        """Every metric of the registry, as of now."""
        body, content_type = exposition(self.registry, request.header("accept"))
        return Answer(200, {}, content=(content_type, body))
