"""Replay: a form (topic, time range, filters) that always shows the dry run's summary first
and then asks to go on; the replay then runs in the gateway beside the pages, and its page
shows its progress. The same code as `aftercart replay` (operate/republish.py)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingest.web import Answer, Request
from operate.replay import Tally
from operate.republish import prepare, replay
from operate.scan import Progress
from operate.selection import Selection, source
from operate.timespec import time_range
from pages.console.auth import Visitor
from pages.console.context import Context, form
from pages.console.layout import HOME, banner, e, hidden, table

PATH = f"{HOME}/replay"
ACTIVE = "replay"
FIELDS = ("topic", "since", "until", "customer", "order", "type")
TOPICS = ("events", "notify.email", "notify.sms", "notify.push")


@dataclass
class Job:
    """A replay the console started: how far it got, and how it ended."""

    id: str
    asked: dict[str, str]
    tally: Tally = field(default_factory=Tally)
    progress: Progress = field(default_factory=Progress)
    done: bool = False
    error: str | None = None
    replay_id: str = ""


class Jobs:
    """The replays this gateway has started since it began."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    def start(self, ctx: Context, asked: dict[str, str]) -> Job:
        """Run a replay of what the form asked in a thread of its own."""
        job = Job(uuid.uuid4().hex[:12], asked)
        self.jobs[job.id] = job
        threading.Thread(target=_run, args=(ctx, job), name="console-replay", daemon=True).start()
        return job


def _run(ctx: Context, job: Job) -> None:
    try:
        run = _prepared(ctx, job.asked, dry_run=False)
        job.replay_id = run.replay_id
        replay(run, job.tally, job.progress)
    except Exception as exc:  # shown on the job's page; nothing else to tell
        job.error = str(exc) or type(exc).__name__
    finally:
        job.done = True


async def ask(ctx: Context, request: Request, visitor: Visitor) -> Answer:
    """GET /console/replay: the form."""
    return ctx.page("Replay", _form(ctx, visitor, {}), ACTIVE, visitor)


async def preview(ctx: Context, request: Request, visitor: Visitor) -> Answer:
    """POST /console/replay/preview: the dry run, then a button to go on."""
    asked = _asked(form(request)[0])
    try:
        run = await asyncio.to_thread(_prepared, ctx, asked, dry_run=True)
    except ValueError as exc:
        body = banner(str(exc), warn=True) + _form(ctx, visitor, asked)
        return ctx.page("Replay", body, ACTIVE, visitor, 400)
    tally = Tally()
    await asyncio.to_thread(replay, run, tally, Progress())
    summary = tally.as_json()
    go = (
        f'<form method="post" action="{PATH}/start">{hidden("csrf", ctx.auth.csrf(visitor))}'
        + "".join(hidden(k, v) for k, v in asked.items())
        + f'<button type="submit">Replay these {summary["selected"]} records</button></form>'
    )
    body = (
        banner(f"Dry run: nothing was published. {_line(summary)}")
        + _summary_tables(summary)
        + (go if summary["selected"] else "")
    )
    return ctx.page("Replay: dry run", body, ACTIVE, visitor)


async def start(ctx: Context, request: Request, visitor: Visitor, jobs: Jobs) -> Answer:
    """POST /console/replay/start: run it; its page follows it."""
    asked = _asked(form(request)[0])
    try:
        _selection(asked, ctx.clock())
        source(asked.get("topic", ""), ctx.topics)
    except ValueError as exc:
        return ctx.page("Replay", banner(str(exc), warn=True), ACTIVE, visitor, 400)
    job = jobs.start(ctx, asked)
    return Answer(303, {}, ((b"location", f"{PATH}/{job.id}".encode()),), html="")


async def follow(ctx: Context, request: Request, visitor: Visitor, jobs: Jobs) -> Answer:
    """GET /console/replay/<job> (and .../part, the part the script refreshes)."""
    name = request.path.removeprefix(f"{PATH}/")
    part = name.endswith("/part")
    job = jobs.jobs.get(name.removesuffix("/part"))
    if job is None:
        return ctx.page("Replay", banner("No such replay.", warn=True), ACTIVE, visitor, 404)
    shown = _status(job)
    if part:
        return ctx.fragment(shown)
    refresh = "" if job.done else f' data-refresh="{PATH}/{job.id}/part" data-every="1"'
    reload = "" if job.done else f'<p class="note"><a href="{PATH}/{job.id}">Reload</a></p>'
    return ctx.page("Replay", f"<div{refresh}>{shown}</div>{reload}", ACTIVE, visitor)


def _status(job: Job) -> str:
    summary = job.tally.as_json()
    if job.error:
        state = banner(f"The replay stopped: {job.error}", warn=True)
    elif job.done:
        state = banner(f"Done: replay {job.replay_id}. {_line(summary)}")
    else:
        progress = job.progress
        state = banner(f"Running: {progress.read} of {progress.total or '?'} records read.")
    return state + _summary_tables(summary)


def _line(summary: dict[str, Any]) -> str:
    return (
        f"{summary['read']} read, {summary['selected']} selected, "
        f"{summary['published']} put back, {summary['would_send']} would be sent, "
        f"{summary['already_sent']} already sent."
    )


def _summary_tables(summary: dict[str, Any]) -> str:
    counts = [(k, summary[k]) for k in ("read", "selected", "published", "would_send")]
    counts += [(k, summary[k]) for k in ("already_sent", "deferred")]
    suppressed = sorted(summary["suppressed"].items())
    return table("Summary", ("", "Records"), counts) + table(
        "Suppressed, and why", ("Why", "Count"), suppressed
    )


def _asked(fields: dict[str, str]) -> dict[str, str]:
    return {k: fields[k].strip() for k in FIELDS if fields.get(k, "").strip()}


def _prepared(ctx: Context, asked: dict[str, str], *, dry_run: bool) -> Any:
    now = ctx.clock()
    chosen = source(asked.get("topic", ""), ctx.topics)
    return prepare(
        ctx.settings,
        ctx.topics,
        chosen,
        _selection(asked, now),
        by="console",
        now=now,
        dry_run=dry_run,
    )


def _selection(asked: dict[str, str], now: datetime) -> Selection:
    since, until = time_range(asked.get("since"), asked.get("until"), now, ("since", "until"))

    def listed(name: str) -> frozenset[str]:
        return frozenset(v.strip() for v in asked.get(name, "").split(",") if v.strip())

    return Selection(
        since=since,
        until=until,
        customers=listed("customer"),
        orders=listed("order"),
        types=listed("type"),
    )


def _form(ctx: Context, visitor: Visitor, asked: dict[str, str]) -> str:
    chosen = asked.get("topic", "events")
    options = "".join(
        f'<option value="{t}"{" selected" if t == chosen else ""}>{t}</option>' for t in TOPICS
    )

    def box(name: str, label: str, hint: str) -> str:
        value = e(asked.get(name, ""))
        return (
            f'<label>{e(label)}<input type="text" name="{name}" value="{value}" '
            f'placeholder="{e(hint)}"></label>'
        )

    return (
        f'<form method="post" action="{PATH}/preview" class="inline">'
        f"{hidden('csrf', ctx.auth.csrf(visitor))}"
        f'<label>Topic<select name="topic">{options}</select></label>'
        + box("since", "Since", "2h, 7d or an ISO time")
        + box("until", "Until", "30m or an ISO time")
        + box("customer", "Customers", "ids, comma-separated")
        + box("order", "Orders", "#1001, ids")
        + box("type", "Event types", "order.placed, ...")
        + '<button type="submit">Dry run first</button></form>'
        '<p class="note">A replay always shows its dry run first; nothing is published until '
        "you go on. The delivery ledgers keep a message already sent from going twice.</p>"
    )
