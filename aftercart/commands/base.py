"""What one `aftercart` command is: its name, its help line, its arguments and what it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from runtime.settings import Settings

Run = Callable[[argparse.Namespace, Settings], int]
Arguments = Callable[[argparse.ArgumentParser], None]


def positive_number(text: str) -> float:
    """An argparse type: a number above 0 (seconds, a rate)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number above 0, not {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def unreachable(settings: Settings, prog: str) -> bool:
    """Whether Kafka cannot be reached; if so, one line naming the address is printed, for
    the operator commands' exit code 3."""
    from broker.admin import port_open

    if port_open(settings.kafka_bootstrap, timeout=3.0):
        return False
    print(f"{prog}: cannot reach Kafka at {settings.kafka_bootstrap}", file=sys.stderr)
    return True


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For a command that takes none."""


@dataclass(frozen=True)
class Command:
    """One entry of the command table (aftercart/commands/__init__.py)."""

    name: str
    help: str
    run: Run
    arguments: Arguments = no_arguments
    # A long-running service: runs on uvloop and lets its own framework handle SIGTERM.
    service: bool = False
    # Takes no arguments of its own: whatever follows its name, --help included, is handed
    # on unparsed as args.rest (to another program).
    passthrough: bool = False
