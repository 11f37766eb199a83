"""`aftercart send-test --channel C --to ADDRESS`: one message marked as a test, sent through
the running pipeline's channel worker to a real address, and what became of it."""

from __future__ import annotations

import argparse
import json
import sys

from aftercart.commands.base import Command, positive_number, unreachable
from runtime.settings import Settings

PROG = "aftercart send-test"
# What each state ends the command with: 0 once the provider took it.
EXIT = {"sent": 0}


def arguments(parser: argparse.ArgumentParser) -> None:
    """Channel, address, template, language, how long to wait."""
    parser.add_argument("--channel", required=True, choices=("email", "sms", "push"))
    parser.add_argument(
        "--to",
        required=True,
        metavar="ADDRESS",
        help="an email address, a phone number (+358401234567), or for push a subscription's "
        "JSON as the browser gives it (endpoint and keys)",
    )
    parser.add_argument(
        "--template",
        default="order.placed",
        help="which message, from sample data (default order.placed; see aftercart render)",
    )
    parser.add_argument("--lang", default="en", help="its language (default en)")
    parser.add_argument(
        "--wait",
        type=positive_number,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for the outcome (default 30)",
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Send it and wait: 0 once the provider accepted it, 1 if it failed or nothing was heard
    within --wait, 2 for a bad address, template or language, 3 if Kafka cannot be reached."""
    from channels.preview import PreviewError
    from operate.sendtest import BadAddress, outcome, sample_to, send, summary
    from schemas.topics import Topics

    try:
        request = sample_to(args.template, args.channel, args.lang, args.to)
    except (BadAddress, PreviewError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    if unreachable(settings, PROG):
        return 3
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    since_ms = send(settings.kafka_bootstrap, topics, request)
    life = outcome(settings.kafka_bootstrap, topics, request, since_ms, args.wait)
    if args.json:
        print(json.dumps(summary(life), indent=2))
    else:
        print(_words(args.channel, args.to, life.state, life.provider_id, args.wait))
        for step in life.ordered():
            print(f"  {step.at:%H:%M:%S}  {step.kind}{': ' + step.detail if step.detail else ''}")
    return EXIT.get(life.state, 1)


def _words(channel: str, to: str, state: str, provider_id: str | None, wait: float) -> str:
    to = "the push subscription" if channel == "push" else to
    if state == "sent":
        return f"test {channel} to {to} accepted by the provider (id {provider_id or 'not given'})"
    if state in ("unknown", "pending"):  # nothing heard of it yet
        return (
            f"no outcome within {wait:.0f} s: is the {channel} worker running? (aftercart status)"
        )
    return f"test {channel} to {to} NOT sent: {state}"


COMMAND = Command(
    "send-test",
    "send one message marked as a test to an address, through the running pipeline",
    run,
    arguments,
)
