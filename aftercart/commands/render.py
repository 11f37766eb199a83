"""`aftercart render TEMPLATE --channel C`: one message rendered from sample data, with the
shop's brand, loyalty programme and own templates as the settings give them to the workers."""

from __future__ import annotations

import argparse
import sys

from aftercart.commands.base import Command
from runtime.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """Template, channel, language, and which email part."""
    parser.add_argument(
        "event_type",
        metavar="TEMPLATE",
        help="an event type (e.g. order.placed), checkout.reminder or review.request",
    )
    parser.add_argument("--channel", required=True, help="email, sms or push")
    parser.add_argument("--lang", default="en", help="customer language, e.g. fi or fi-FI")
    parser.add_argument("--html", action="store_true", help="print the email's HTML part")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the preview; exit 2 with the reason when the template or channel is unknown."""
    from channels.checks import renderer_for
    from channels.overlay import OverlayError
    from channels.preview import PreviewError, preview

    try:
        out = preview(
            args.event_type,
            args.channel,
            args.lang,
            html=args.html,
            renderer=renderer_for(settings),
            loyalty=settings.loyalty_enabled,
            overlay=settings.templates_dir,
        )
        print(out)
    except (PreviewError, OverlayError) as exc:
        print(f"aftercart render: {exc}", file=sys.stderr)
        return 2
    return 0


COMMAND = Command("render", "preview one message rendered from sample data", run, arguments)
