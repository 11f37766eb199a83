"""The replay pass: a dry-run replay of the events topic the throughput pass filled, read and
judged by the same code as `aftercart replay events --dry-run` (operate/)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aftercart.stack import Stack
from operate.replay import Judge, Tally
from operate.republish import Run, replay
from operate.scan import Progress
from operate.selection import Selection, source
from operate.state import read_known
from runtime.settings import Settings
from streams.policy import policy_from


def run_pass(stack: Stack, settings: Settings) -> dict[str, Any]:
    """Records/s of a dry-run replay of every event; the state read is timed apart."""
    now = datetime.now(UTC)
    started = time.monotonic()
    known = read_known(settings.kafka_bootstrap, stack.topics)
    state_s = time.monotonic() - started
    judge = Judge(source("events", stack.topics), known, policy_from(settings), now)
    run = Run(settings.kafka_bootstrap, Selection(), judge, "bench", "bench", now.isoformat())
    tally, progress = Tally(), Progress()
    started = time.monotonic()
    replay(run, tally, progress)
    seconds = time.monotonic() - started
    return {
        "what": "aftercart replay events --dry-run over the throughput pass's events",
        "events": tally.read,
        "seconds": round(seconds, 2),
        "events_per_s": round(tally.read / seconds) if seconds else None,
        "state_read_s": round(state_s, 2),
        "would_send": tally.would_send,
        "already_sent": tally.already_sent,
    }
