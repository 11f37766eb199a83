"""`aftercart push-token CUSTOMER_ID`: the signed customer id a shop's page hands to the web
push subscribe script (runtime/push_signup.py), for a shop whose backend calls a command."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta

from aftercart.commands.base import Command
from runtime.settings import Settings


def duration(text: str) -> float:
    """An argparse type: `90s`, `30m`, `24h`, `7d` or `1w`, as seconds above 0."""
    from operate.timespec import DURATION, UNITS

    match = DURATION.match(text.strip())
    if not match or not float(match[1]) > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90s, 30m, 24h, 7d")
    return timedelta(**{UNITS[match[2]]: float(match[1])}).total_seconds()


def arguments(parser: argparse.ArgumentParser) -> None:
    """The customer, and how long the token holds."""
    parser.add_argument("customer_id", metavar="CUSTOMER_ID", help="the shop's customer id")
    parser.add_argument(
        "--valid-for",
        type=duration,
        default=None,
        metavar="DURATION",
        help="how long the token holds: 90s, 30m, 24h, 7d (default 24h)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the token; exit 2 naming the setting when no secret is configured."""
    from runtime.push_signup import DEFAULT_VALID_S, token

    secret = settings.push_signup_secret
    if secret is None or not secret.get_secret_value():
        print("aftercart push-token: AFTERCART_PUSH_SIGNUP_SECRET is not set", file=sys.stderr)
        return 2
    valid_for = args.valid_for or DEFAULT_VALID_S
    expires = int(time.time() + valid_for)
    print(token(secret.get_secret_value().encode(), args.customer_id, expires))
    return 0


COMMAND = Command(
    "push-token", "sign a customer id for the web push subscribe script", run, arguments
)
