"""`aftercart kafka start|stop|status`: the local broker alone, in the background."""

from __future__ import annotations

import argparse

from aftercart.commands.base import Command
from runtime.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """The action."""
    parser.add_argument("action", choices=("start", "stop", "status"))


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Start, stop or report on the detached local broker."""
    from broker import launcher

    data_dir = settings.data_dir / "kafka"
    if args.action == "start":
        print(
            launcher.start_detached(
                data_dir,
                settings.kafka_port,
                settings.kafka_controller_port,
                cache_dir=settings.cache_dir,
                heap=settings.kafka_heap,
            )
        )
    elif args.action == "stop":
        print(launcher.stop_detached(data_dir))
    else:
        print(launcher.status(data_dir, settings.kafka_port))
    return 0


COMMAND = Command("kafka", "the local Kafka broker alone", run, arguments)
