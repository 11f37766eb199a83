"""`aftercart explain ORDER_OR_CUSTOMER`: what was decided, per channel, why, and what became
of each message."""

from __future__ import annotations

import argparse
import json

from aftercart.commands.base import Command
from runtime.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """The order or customer, and the output's form."""
    parser.add_argument(
        "subject",
        metavar="ORDER_OR_CUSTOMER",
        help="an order id, an order number (#1001) or a customer id, in full or its last part",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: each event, its decision and each message's state and steps",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Read the pipeline's topics and print the story; 1 when nothing is known of the subject."""
    from operate.explain import as_json, timeline
    from operate.sources import read_story
    from schemas.topics import Topics

    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    story = read_story(settings.kafka_bootstrap, topics)
    if args.json:
        found = as_json(story.decisions, args.subject, story.history)
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0 if found["found"] else 1
    lines = timeline(story.decisions, args.subject, story.history)
    for line in lines:
        print(line)
    return 0 if len(lines) > 1 else 1


COMMAND = Command(
    "explain",
    "why a customer did or did not hear about an order, and what became of each message",
    run,
    arguments,
)
