"""Dead letters: the list with reasons, one record whole, and redrive (one, those ticked, or
every one of a reason), always previewed first as `aftercart dlq redrive --dry-run` would,
then done by the same code (operate/redrive.py)."""

from __future__ import annotations

import asyncio
import json

from ingest.web import Answer, Request
from operate.deadletters import Entry, groups, parse_id
from operate.redrive import decoded, plan, read_entries, redrive, select, summary
from pages.console.auth import Visitor
from pages.console.context import Context, form
from pages.console.layout import HOME, banner, e, hidden, table

PATH = f"{HOME}/dead-letters"
ACTIVE = "dead-letters"


async def listing(ctx: Context, request: Request, visitor: Visitor) -> Answer:
    """GET /console/dead-letters: by stage and reason, then each one."""
    entries = await _entries(ctx)
    waiting = [x for x in entries if x.redriven is None]
    csrf = ctx.auth.csrf(visitor)
    rows = []
    for g in groups(waiting):
        by_reason = (
            f'<form method="post" action="{PATH}/preview">{hidden("csrf", csrf)}'
            f'{hidden("reason", g.reason)}<button type="submit">Preview redrive of these '
            f"{len(g.ids)}</button></form>"
        )
        rows.append(
            f"<tr><td>{len(g.ids)}</td><td>{e(g.stage)}</td><td>{e(g.reason)}</td>"
            f"<td>{e(g.newest.isoformat()[:19])}</td><td>{by_reason}</td></tr>"
        )
    by = (
        '<table class="data"><caption>By stage and reason</caption><thead><tr>'
        '<th scope="col">Count</th><th scope="col">Stage</th><th scope="col">Reason</th>'
        '<th scope="col">Newest</th><th scope="col">Redrive</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="note">No dead letters waiting.</p>'
    )
    ticks = "".join(
        f'<tr><td><input type="checkbox" name="id" value="{e(x.id)}" id="dl-{e(x.id)}">'
        f'<label for="dl-{e(x.id)}" class="visually-hidden">Select {e(x.id)}</label></td>'
        f'<td><a href="{PATH}/{e(x.id)}">{e(x.id)}</a></td>'
        f"<td>{e(x.record.failed_at.isoformat()[:19])}</td><td>{e(x.record.stage)}</td>"
        f"<td>{e(x.record.reason)}</td></tr>"
        for x in waiting[-200:]
    )
    each = (
        f'<form method="post" action="{PATH}/preview">{hidden("csrf", csrf)}'
        '<table class="data"><caption>Each dead letter (the newest 200)</caption><thead><tr>'
        '<th scope="col">Select</th><th scope="col">Id</th><th scope="col">Failed at</th>'
        '<th scope="col">Stage</th><th scope="col">Reason</th></tr></thead>'
        f"<tbody>{ticks}</tbody></table>"
        '<button type="submit">Preview redrive of those selected</button></form>'
        if ticks
        else ""
    )
    redriven = len(entries) - len(waiting)
    note = f'<p class="note">{redriven} redriven already, not listed.</p>' if redriven else ""
    return ctx.page("Dead letters", by + each + note, ACTIVE, visitor)


async def detail(ctx: Context, request: Request, visitor: Visitor) -> Answer:
    """GET /console/dead-letters/<id>: one dead letter whole."""
    try:
        wanted = parse_id(request.path.removeprefix(f"{PATH}/"))
    except ValueError as exc:
        return ctx.page("Dead letter", banner(str(exc), warn=True), ACTIVE, visitor, 400)
    entry = next((x for x in await _entries(ctx) if x.id == wanted), None)
    if entry is None:
        found = banner(f"No dead letter {wanted} on {ctx.topics.deadletter}.", warn=True)
        return ctx.page("Dead letter", found, ACTIVE, visitor, 404)
    record = entry.record
    facts = [
        ("Reason", record.reason),
        ("Stage", record.stage),
        ("From", f"{record.topic} {record.partition}:{record.offset}, key {record.key}"),
        ("Failed at", record.failed_at.isoformat()),
    ]
    if entry.redriven is not None:
        r = entry.redriven
        facts.append(("Redriven", f"{r.at.isoformat()} by {r.by} to {r.topic}"))
    attempts = table(
        "Attempts",
        ("#", "At", "Kind", "Code", "Error"),
        (
            (n, a.at.isoformat()[:19], a.kind, a.code or "", a.error)
            for n, a in enumerate(record.attempts, 1)
        ),
    )
    original = decoded(record.original())
    shown = original if isinstance(original, str) else json.dumps(original, indent=2)
    button = (
        f'<form method="post" action="{PATH}/preview">{hidden("csrf", ctx.auth.csrf(visitor))}'
        f"{hidden('id', entry.id)}{hidden('all', 'on')}"
        '<button type="submit">Preview redrive of this one</button></form>'
    )
    body = (
        table("Dead letter " + entry.id, ("", ""), facts)
        + attempts
        + f"<h2>Original</h2><pre>{e(shown)}</pre>{button}"
    )
    return ctx.page(f"Dead letter {entry.id}", body, ACTIVE, visitor)


async def preview(ctx: Context, request: Request, visitor: Visitor) -> Answer:
    """POST /console/dead-letters/preview: what a redrive of the selection would do."""
    return await _redrive(ctx, request, visitor, dry_run=True)


async def run(ctx: Context, request: Request, visitor: Visitor) -> Answer:
    """POST /console/dead-letters/redrive: do it, after a preview."""
    return await _redrive(ctx, request, visitor, dry_run=False)


async def _redrive(ctx: Context, request: Request, visitor: Visitor, *, dry_run: bool) -> Answer:
    fields, pairs = form(request)
    try:
        ids = {parse_id(v) for k, v in pairs if k == "id"}
    except ValueError as exc:
        return ctx.page("Redrive", banner(str(exc), warn=True), ACTIVE, visitor, 400)
    reason = fields.get("reason", "")
    if not ids and not reason:
        said = banner("Select dead letters, or a reason, to redrive.", warn=True)
        return ctx.page("Redrive", said, ACTIVE, visitor, 400)
    chosen = select(await _entries(ctx), ids=ids, reason=reason, redriven_too="all" in fields)
    now = ctx.clock()
    if dry_run:
        outcome = plan(chosen, ctx.topics, now)
    else:
        by = f"console@{ctx.settings.gateway_host}"
        outcome = await asyncio.to_thread(
            redrive, ctx.settings.kafka_bootstrap, ctx.topics, chosen, by
        )
    told = summary(len(chosen), outcome, dry_run=dry_run)
    verb = "would put back" if dry_run else "put back"
    lines = table("Where they go", ("Topic", "Count"), sorted(told["by_topic"].items())) + table(
        "Not redriven", ("Id", "Why"), sorted(told["skipped"].items())
    )
    head = banner(f"{told['selected']} dead letters selected; {verb} {told['would_redrive']}.")
    confirm = ""
    if dry_run and told["would_redrive"]:
        keep = "".join(hidden("id", i) for i in sorted(ids)) + (
            hidden("reason", reason) if reason else ""
        )
        keep += hidden("all", "on") if "all" in fields else ""
        confirm = (
            f'<form method="post" action="{PATH}/redrive">{hidden("csrf", ctx.auth.csrf(visitor))}'
            f'{keep}<button type="submit">Redrive {told["would_redrive"]} now</button></form>'
        )
    title = "Redrive preview" if dry_run else "Redriven"
    return ctx.page(title, head + lines + confirm, ACTIVE, visitor)


async def _entries(ctx: Context) -> list[Entry]:
    return await asyncio.to_thread(read_entries, ctx.settings.kafka_bootstrap, ctx.topics)
