"""`aftercart gateway`: the webhook gateway alone, in the foreground."""

from __future__ import annotations

import argparse
import sys

from aftercart.commands.base import Command
from runtime.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the gateway until SIGINT/SIGTERM; with API tokens or console tokens, follow the
    pipeline's topics for the notifications API and the console; with a preferences secret
    or the console, the customers' preferences and addresses too."""
    from ingest.server import run_gateway
    from operate.follow import Follower
    from pages.customers import Customers
    from pages.routes import page_routes
    from runtime.preference_links import secrets_of
    from runtime.push import BadPushSetting
    from schemas.topics import Topics

    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    console = bool(settings.console_tokens)
    following = settings.api_tokens or console
    lookup = Follower(settings.kafka_bootstrap, topics, requests=console) if following else None
    customers = Customers(settings.kafka_bootstrap, topics)
    services = [customers] if secrets_of(settings) or console else []
    pages = page_routes(settings, customers, lookup if console else None)
    try:
        run_gateway(settings, lookup, pages, services)
    except BadPushSetting as exc:  # a web push setting that cannot work: say which, no trace
        print(f"aftercart gateway: {exc}", file=sys.stderr)
        return 2
    return 0


COMMAND = Command(
    "gateway",
    "run the gateway: webhooks (Shopify, WooCommerce, CloudEvents), receipts, and the pages",
    run,
    service=True,
)
