"""The baseline: a bare faust agent forwarding events from one topic to another."""

from __future__ import annotations

import asyncio

import faust
import uvloop

from runtime.apps import faust_app, run_worker
from runtime.settings import Settings

GROUP = "aftercart-bench-passthrough"


def topics(settings: Settings) -> tuple[str, str]:
    """Input and output topic of the baseline."""
    return f"{settings.topic_prefix}.bench.in", f"{settings.topic_prefix}.bench.out"


def create_passthrough_app(settings: Settings) -> faust.App:
    """One agent: every event in is sent out unchanged, as the stream processor sends."""
    app = faust_app(GROUP, settings)
    source_name, sink_name = topics(settings)
    source, sink = app.topic(source_name), app.topic(sink_name)

    @app.agent(source)
    async def forward(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await sink.send(key=event.key, value=event.value)

    return app


if __name__ == "__main__":
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())  # as the pipeline's workers run
    run_worker(create_passthrough_app(Settings()), Settings())
