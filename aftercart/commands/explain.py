"""`aftercart explain ORDER_OR_CUSTOMER`: what was decided, per channel, and why."""

from __future__ import annotations

import argparse

from aftercart.commands.base import Command
from runtime.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """The order or customer."""
    parser.add_argument(
        "subject",
        metavar="ORDER_OR_CUSTOMER",
        help="an order id, an order number (#1001) or a customer id, in full or its last part",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Read the decisions and receipts topics and print the story."""
    from aftercart.explain import read_decisions, read_receipts, timeline
    from schemas.topics import Topics

    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    decisions = read_decisions(settings.kafka_bootstrap, topics.decisions)
    receipts = read_receipts(settings.kafka_bootstrap, topics.receipts)
    for line in timeline(decisions, args.subject, receipts):
        print(line)
    return 0


COMMAND = Command(
    "explain",
    "why a customer did or did not hear about an order, in plain words",
    run,
    arguments,
)
