"""`aftercart gateway`: the webhook gateway alone, in the foreground."""

from __future__ import annotations

import argparse

from aftercart.commands.base import Command
from runtime.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the gateway until SIGINT/SIGTERM."""
    from ingest.server import run_gateway

    run_gateway(settings)
    return 0


COMMAND = Command(
    "gateway", "run the webhook gateway (Shopify, WooCommerce, CloudEvents)", run, service=True
)
