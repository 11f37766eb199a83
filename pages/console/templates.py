"""Templates: any template, in any language the shop has templates for, on any channel,
rendered from sample data by the workers' own renderer (the shop's brand and templates),
as `aftercart render` does."""

from __future__ import annotations

from channels.overlay import languages
from channels.preview import CHANNELS, SAMPLES, PreviewError, sample_request
from ingest.web import Answer, Request
from pages.console.auth import Visitor
from pages.console.context import Context, query
from pages.console.layout import HOME, banner, e
from pages.console.search import message_html

PATH = f"{HOME}/templates"
ACTIVE = "templates"


async def show(ctx: Context, request: Request, visitor: Visitor) -> Answer:
    """GET /console/templates[?template=&language=&channel=]."""
    asked = query(request)
    known = languages(ctx.settings.templates_dir)
    template = asked.get("template", "order.placed")
    language = asked.get("language", "en")
    channel = asked.get("channel", "email")
    body = _form(template, language, channel, known)
    try:
        req = sample_request(
            template, channel, language, loyalty=ctx.settings.loyalty_enabled, known=known
        )
    except PreviewError as exc:
        return ctx.page("Templates", body + banner(str(exc), warn=True), ACTIVE, visitor, 400)
    body += f"<h2>{e(template)} · {e(language)} · {e(channel)}</h2>"
    body += message_html(req, ctx.renderer)
    return ctx.page("Templates", body, ACTIVE, visitor, emails=True)


def _form(template: str, language: str, channel: str, known: list[str]) -> str:
    def select(name: str, label: str, options: list[str] | tuple[str, ...], chosen: str) -> str:
        listed = "".join(
            f'<option value="{e(o)}"{" selected" if o == chosen else ""}>{e(o)}</option>'
            for o in options
        )
        return f'<label>{e(label)}<select name="{name}">{listed}</select></label>'

    return (
        f'<form method="get" action="{PATH}" class="inline">'
        + select("template", "Template", list(SAMPLES), template)
        + select("language", "Language", known, language)
        + select("channel", "Channel", CHANNELS, channel)
        + '<button type="submit">Preview</button></form>'
    )
