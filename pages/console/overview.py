"""The overview: events in, decisions, messages sent per channel per minute (a chart drawn
as SVG here, no library), consumer lag per stage, dead letters by reason, and the
providers' refusals; the console's script refreshes it every few seconds, and a link does
without the script."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from ingest.web import Answer, Request
from operate.activity import Activity
from operate.deadletters import groups
from operate.lag import GroupLag, default_groups, measure
from operate.redrive import read_entries
from pages.console.auth import Visitor
from pages.console.context import Context
from pages.console.layout import HOME, banner, e, table
from schemas.topics import CHANNELS

PART = f"{HOME}/overview"
ACTIVE = "overview"
FRESH_S = 5.0  # what Kafka says is read again after this long, however many pages look
CHART_W, CHART_H = 600, 160


@dataclass
class FromKafka:
    """What the overview asks Kafka itself, and when it asked."""

    at: float
    events: int | None
    lags: list[GroupLag] | None
    dead: list[tuple[str, str, int]]  # stage, reason, count of those not redriven
    problem: str | None = None


class Overview:
    """The overview's pages; Kafka's figures are kept for FRESH_S."""

    def __init__(self) -> None:
        self._kafka: FromKafka | None = None

    async def page(self, ctx: Context, request: Request, visitor: Visitor) -> Answer:
        """GET /console."""
        part = await self._part(ctx)
        body = (
            f'<div data-refresh="{PART}">{part}</div>'
            f'<p class="note">Refreshes itself every {FRESH_S:g} s; '
            f'<a href="{HOME}">reload</a>.</p>'
        )
        return ctx.page("Overview", body, ACTIVE, visitor)

    async def part(self, ctx: Context, request: Request, visitor: Visitor) -> Answer:
        """GET /console/overview: the part the script puts in place."""
        return ctx.fragment(await self._part(ctx))

    async def _part(self, ctx: Context) -> str:
        kafka = await self._from_kafka(ctx)
        story = ctx.story
        done = story.activity(ctx.clock()) if story.waiting is None else None
        return _cards(kafka, done) + _chart(done) + _lags(kafka) + _dead(kafka) + _errors(done)

    async def _from_kafka(self, ctx: Context) -> FromKafka:
        if self._kafka is None or time.monotonic() - self._kafka.at > FRESH_S:
            self._kafka = await asyncio.to_thread(_ask_kafka, ctx)
        return self._kafka


def _ask_kafka(ctx: Context) -> FromKafka:
    from broker.admin import end_offsets

    bootstrap = ctx.settings.kafka_bootstrap
    try:
        events = sum(end_offsets(bootstrap, ctx.topics.events, timeout=3.0).values())
        lags = measure(bootstrap, default_groups(ctx.settings), timeout=3.0)
        waiting = [x for x in read_entries(bootstrap, ctx.topics, timeout_s=10.0) if not x.redriven]
    except Exception as exc:  # Kafka away: the page says so and keeps the rest
        return FromKafka(time.monotonic(), None, None, [], f"Kafka did not answer: {exc}")
    dead = [(g.stage, g.reason, len(g.ids)) for g in groups(waiting)]
    return FromKafka(time.monotonic(), events, lags, dead)


def _cards(kafka: FromKafka, done: Activity | None) -> str:
    sent = {c: sum(done.sent[c]) for c in CHANNELS} if done else {}
    cards = [
        ("Events in (on the topic)", "?" if kafka.events is None else f"{kafka.events:,}"),
        ("Decided, last hour", f"{sum(done.decided):,}" if done else "reading…"),
        *((f"{c} sent, last hour", f"{sent[c]:,}" if done else "reading…") for c in CHANNELS),
        ("Dead letters waiting", f"{sum(n for _, _, n in kafka.dead):,}"),
    ]
    shown = "".join(f'<div class="card">{e(label)}<b>{e(v)}</b></div>' for label, v in cards)
    problem = banner(kafka.problem, warn=True) if kafka.problem else ""
    return f'{problem}<div class="cards">{shown}</div>'


def _chart(done: Activity | None) -> str:
    """Messages sent per channel per minute over the last hour, as SVG lines."""
    if done is None:
        return '<p class="note">Reading the pipeline\'s records…</p>'
    most = max([1, *(n for c in CHANNELS for n in done.sent[c])])
    step = CHART_W / max(1, done.minutes - 1)
    lines = []
    for channel in CHANNELS:
        points = " ".join(
            f"{i * step:.1f},{CHART_H - n / most * (CHART_H - 10):.1f}"
            for i, n in enumerate(done.sent[channel])
        )
        lines.append(
            f'<polyline class="{channel}" fill="none" stroke-width="2" points="{points}"/>'
        )
    legend = "".join(f'<span class="{c}">— {c}</span>' for c in CHANNELS)
    label = f"Messages sent per minute, last {done.minutes} minutes (peak {most})"
    return (
        f"<h2>Sent per minute</h2>"
        f'<svg class="chart" viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="{e(label)}">'
        f'<line x1="0" y1="{CHART_H}" x2="{CHART_W}" y2="{CHART_H}" stroke="#d4d4d8"/>'
        f"{''.join(lines)}</svg>"
        f'<p class="legend">{legend} <span>peak {most}/min</span></p>'
    )


def _lags(kafka: FromKafka) -> str:
    if kafka.lags is None:
        return ""
    rows = ((g.group, g.state, g.members, g.total) for g in kafka.lags)
    return table("Consumer lag per stage", ("Group", "State", "Members", "Lag"), rows)


def _dead(kafka: FromKafka) -> str:
    rows = ((count, stage, reason) for stage, reason, count in kafka.dead)
    return table("Dead letters by reason", ("Count", "Stage", "Reason"), rows)


def _errors(done: Activity | None) -> str:
    if done is None:
        return ""
    rows = []
    for channel in CHANNELS:
        rate = done.error_rate(channel)
        shown = "no attempts" if rate is None else f"{rate:.1%}"
        rows.append((channel, done.accepted[channel], done.failed[channel], shown))
    return table(
        "Provider errors, last hour", ("Channel", "Accepted", "Refused", "Error rate"), rows
    )
